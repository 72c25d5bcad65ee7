package judges

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// referenceCase is one case of testdata/mannwhitney_reference.json, written
// by testdata/gen_reference.py from scipy (U, p) and a numpy brute force
// over all n·m differences (estimate, CI and their ranks).
type referenceCase struct {
	Name     string    `json:"name"`
	X        []float64 `json:"x"`
	Y        []float64 `json:"y"`
	U        float64   `json:"u"`
	P        float64   `json:"p"`
	Estimate float64   `json:"estimate"`
	CILow    float64   `json:"ci_low"`
	CIHigh   float64   `json:"ci_high"`
	KLow     int64     `json:"k_low"`
	KHigh    int64     `json:"k_high"`
}

func loadReference(t *testing.T) (confidence float64, cases []referenceCase) {
	t.Helper()
	raw, err := os.ReadFile("testdata/mannwhitney_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Confidence float64         `json:"confidence"`
		Cases      []referenceCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) < 15 {
		t.Fatalf("reference has %d cases, want at least 15", len(ref.Cases))
	}
	return ref.Confidence, ref.Cases
}

func TestMannWhitneyReference(t *testing.T) {
	confidence, cases := loadReference(t)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			r, err := MannWhitneyTest(c.X, c.Y, MannWhitneyOptions{Method: MethodAsymptotic, Confidence: confidence})
			if err != nil {
				t.Fatal(err)
			}
			if r.U != c.U {
				t.Errorf("U = %v, scipy %v", r.U, c.U)
			}
			if rel := math.Abs(r.PValue-c.P) / c.P; !(rel <= 1e-9) {
				t.Errorf("p = %.17g, scipy %.17g (relative error %.3g)", r.PValue, c.P, rel)
			}
			if r.Estimate != c.Estimate {
				t.Errorf("estimate = %.17g, brute force %.17g", r.Estimate, c.Estimate)
			}
			if r.CILow != c.CILow || r.CIHigh != c.CIHigh {
				t.Errorf("CI = [%.17g, %.17g], brute force [%.17g, %.17g]", r.CILow, r.CIHigh, c.CILow, c.CIHigh)
			}
			x, _ := sortedClean(c.X)
			y, _ := sortedClean(c.Y)
			rk := mergeRanks(x, y)
			if kL, kU := ciRanks(len(x), len(y), rk.tiesX, rk.tiesY, confidence, TwoSided); kL != c.KLow || kU != c.KHigh {
				t.Errorf("CI ranks = (%d, %d), reference (%d, %d)", kL, kU, c.KLow, c.KHigh)
			}
		})
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
	if r.MeanRatio != 10 || r.CanaryMedian != 25 || r.BaselineMedian != 2.5 {
		t.Errorf("mean ratio %v medians %v / %v", r.MeanRatio, r.CanaryMedian, r.BaselineMedian)
	}
}
