package judges

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// byAlt holds one number per alternative; null (nil) where absent.
type byAlt map[Alternative]*float64

// interval is [lo, hi] with null for an infinite end.
type interval [2]*float64

// referenceCase is one case of testdata/mannwhitney_reference.json, written
// by testdata/gen_reference.py (scipy, numpy brute force) and
// testdata/gen_reference.R (R's wilcox.test); see the script for the fields.
type referenceCase struct {
	Name       string                      `json:"name"`
	Confidence float64                     `json:"confidence"`
	X          []float64                   `json:"x"`
	Y          []float64                   `json:"y"`
	U          float64                     `json:"u"`
	P          byAlt                       `json:"p"`
	RPAsym     byAlt                       `json:"r_p_asym"`
	RPExact    byAlt                       `json:"r_p_exact"`
	Estimate   float64                     `json:"estimate"`
	REstimate  *float64                    `json:"r_estimate_exact"`
	CINormal   map[Alternative]interval    `json:"ci_normal"`
	KNormal    map[Alternative][2]int64    `json:"k_normal"`
	NbrNormal  map[Alternative][4]*float64 `json:"nbr_normal"`
	RCIExact   map[Alternative]interval    `json:"r_ci_exact"`
	RCIAsym    map[Alternative]*interval   `json:"r_ci_asym"`
}

type binnedReferenceCase struct {
	Name     string    `json:"name"`
	Bounds   []float64 `json:"bounds"`
	Canary   []float64 `json:"canary"`
	Baseline []float64 `json:"baseline"`
	U        float64   `json:"u"`
	P        byAlt     `json:"p"`
}

func loadReference(t *testing.T) ([]referenceCase, []binnedReferenceCase) {
	t.Helper()
	raw, err := os.ReadFile("testdata/mannwhitney_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases  []referenceCase       `json:"cases"`
		Binned []binnedReferenceCase `json:"binned_cases"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) < 150 {
		t.Fatalf("reference has %d cases, want at least 150", len(ref.Cases))
	}
	return ref.Cases, ref.Binned
}

func (iv interval) bounds() (lo, hi float64) {
	lo, hi = math.Inf(-1), math.Inf(1)
	if iv[0] != nil {
		lo = *iv[0]
	}
	if iv[1] != nil {
		hi = *iv[1]
	}
	return lo, hi
}

// pClose compares p-values: relative tolerance rel, or absolute 1e-14 for
// tiny p (both sides underflow alike).
func pClose(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Abs(want) || math.Abs(got-want) <= 1e-14 && want < 1e-10
}

var alternatives = []Alternative{TwoSided, Greater, Less}

func TestMannWhitneyReference(t *testing.T) {
	cases, _ := loadReference(t)
	var exactCases, checkedRoots int
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			for _, alt := range alternatives {
				opts := MannWhitneyOptions{Alternative: alt, Method: MethodAsymptotic, Confidence: c.Confidence}
				r, err := MannWhitneyTest(c.X, c.Y, opts)
				if err != nil {
					t.Fatal(err)
				}
				if r.U != c.U {
					t.Errorf("%s: U = %v, scipy %v", alt, r.U, c.U)
				}
				if p := *c.P[alt]; !pClose(r.PValue, p, 1e-9) {
					t.Errorf("%s: asymptotic p = %.17g, scipy %.17g", alt, r.PValue, p)
				}
				if p := c.RPAsym[alt]; p != nil && !pClose(r.PValue, *p, 1e-9) {
					t.Errorf("%s: asymptotic p = %.17g, R %.17g", alt, r.PValue, *p)
				}
				if r.Estimate != c.Estimate {
					t.Errorf("%s: estimate = %.17g, brute force %.17g", alt, r.Estimate, c.Estimate)
				}
				lo, hi := c.CINormal[alt].bounds()
				if r.CILow != lo || r.CIHigh != hi {
					t.Errorf("%s: normal CI = [%.17g, %.17g], brute force [%.17g, %.17g]", alt, r.CILow, r.CIHigh, lo, hi)
				}
				x, _ := sortedClean(c.X)
				y, _ := sortedClean(c.Y)
				rk := mergeRanks(x, y)
				if kL, kU := ciRanks(len(x), len(y), rk.tiesX, rk.tiesY, c.Confidence, alt); kL != c.KNormal[alt][0] || kU != c.KNormal[alt][1] {
					t.Errorf("%s: CI ranks = (%d, %d), reference %v", alt, kL, kU, c.KNormal[alt])
				}
				// R's root-found bound lies between the neighbours of our
				// order statistic, within R's absolute tolerance 1e-4.
				if ci := c.RCIAsym[alt]; ci != nil {
					nb := c.NbrNormal[alt]
					between := func(v float64, below, above *float64) bool {
						return (below == nil || v >= *below-1e-4) && (above == nil || v <= *above+1e-4)
					}
					rlo, rhi := ci.bounds()
					if alt != Less && !between(rlo, nb[0], nb[1]) {
						t.Errorf("%s: R lower bound %.17g outside (D_(k-1), D_(k+1)) = (%v, %v)", alt, rlo, deref(nb[0]), deref(nb[1]))
					}
					if alt != Greater && !between(rhi, nb[2], nb[3]) {
						t.Errorf("%s: R upper bound %.17g outside (D_(k-1), D_(k+1)) = (%v, %v)", alt, rhi, deref(nb[2]), deref(nb[3]))
					}
					checkedRoots++
				}

				if c.RPExact == nil {
					continue
				}
				exactCases++
				opts.Method = MethodExact
				e, err := MannWhitneyTest(c.X, c.Y, opts)
				if err != nil {
					t.Fatal(err)
				}
				if p := *c.RPExact[alt]; !pClose(e.PValue, p, 1e-12) {
					t.Errorf("%s: exact p = %.17g, R %.17g (rel %.3g)", alt, e.PValue, p, relErr(e.PValue, p))
				}
				lo, hi = c.RCIExact[alt].bounds()
				if e.CILow != lo || e.CIHigh != hi {
					t.Errorf("%s: exact CI = [%.17g, %.17g], R [%.17g, %.17g]", alt, e.CILow, e.CIHigh, lo, hi)
				}
				if e.Estimate != *c.REstimate {
					t.Errorf("exact estimate %.17g, R %.17g", e.Estimate, *c.REstimate)
				}
				// Auto picks exact exactly when R's default does.
				opts.Method = MethodAuto
				a, _ := MannWhitneyTest(c.X, c.Y, opts)
				if want := len(x) < 50 && len(y) < 50; (a.Method == MethodExact) != want {
					t.Errorf("auto chose %s for n=%d m=%d", a.Method, len(x), len(y))
				}
			}
		})
	}
	t.Logf("%d cases; %d exact (case, alternative) pairs against R; %d R normal intervals checked", len(cases), exactCases, checkedRoots)
	if exactCases < 150 {
		t.Errorf("only %d exact comparisons", exactCases)
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func TestMannWhitneyBinnedReference(t *testing.T) {
	_, binned := loadReference(t)
	if len(binned) == 0 {
		t.Fatal("no binned cases")
	}
	for _, c := range binned {
		for _, alt := range alternatives {
			r, err := MannWhitneyBinned(Histogram{c.Bounds, c.Canary}, Histogram{c.Bounds, c.Baseline}, MannWhitneyOptions{Alternative: alt})
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			if r.U != c.U || !pClose(r.PValue, *c.P[alt], 1e-9) {
				t.Errorf("%s %s: U %v p %.17g, scipy U %v p %.17g", c.Name, alt, r.U, r.PValue, c.U, *c.P[alt])
			}
		}
	}
}

// Kayenta's documented example.
func TestMannWhitneyKayentaExample(t *testing.T) {
	r, err := MannWhitney([]float64{10, 20, 30, 40}, []float64{1, 2, 3, 4}, 0.98)
	if err != nil {
		t.Fatal(err)
	}
	if r.Estimate != 22.5 || r.CILow != 6 || r.CIHigh != 39 {
		t.Errorf("estimate %v CI [%v, %v], want 22.5 [6, 39]", r.Estimate, r.CILow, r.CIHigh)
	}
	if r.U != 16 || r.CLES != 1 {
		t.Errorf("U %v CLES %v, want 16 and 1", r.U, r.CLES)
	}
	if r.MeanRatio != 10 || r.CanaryMedian != 25 || r.BaselineMedian != 2.5 || r.RelativeShift != 9 {
		t.Errorf("mean ratio %v medians %v / %v relative shift %v", r.MeanRatio, r.CanaryMedian, r.BaselineMedian, r.RelativeShift)
	}
}
