package judges

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func lognormalClusters(rng *rand.Rand, k int, ratio, sd float64) []Cluster {
	vals := make([]float64, k)
	for i := range vals {
		vals[i] = 100 * ratio * math.Exp(sd*rng.NormFloat64())
	}
	return toClusters(vals)
}

func allNaN(vs ...float64) bool {
	for _, v := range vs {
		if !math.IsNaN(v) {
			return false
		}
	}
	return true
}

// Bad, degenerate and thin inputs: a clear error, or NaN statistics with a
// Note; never a finite p-value that a caller could read as "no
// significant difference".
func TestClusterCompareEdges(t *testing.T) {
	c := func(id string, v, w float64) Cluster { return Cluster{ID: id, Value: v, Weight: w} }
	three := []Cluster{c("b1", 100, 10), c("b2", 110, 10), c("b3", 95, 10)}
	for _, tc := range []struct {
		name             string
		x, y             []Cluster
		cfg              ClusterConfig
		err              string // substring; "" = no error
		noData           bool
		method           ClusterMethod
		nanP             bool
		note             string
		canary, baseline int
	}{
		{name: "empty canary", x: nil, y: three, err: "canary: no cluster with data", noData: true},
		{name: "all weights 0", x: []Cluster{c("a", 1, 0), c("b", 2, 0)}, y: three, err: "2 of 2 left out", noData: true},
		{name: "infinite value", x: []Cluster{c("pod-x", math.Inf(1), 3), c("a", 1, 1)}, y: three, err: `canary cluster "pod-x" has value +Inf`},
		{name: "log of zero", x: []Cluster{c("pod-z", 0, 3), c("a", 1, 1)}, y: three, cfg: ClusterConfig{Scale: ScaleLog}, err: `canary cluster "pod-z" has value 0: the log scale needs values > 0`},
		{name: "log of negative baseline", x: three, y: []Cluster{c("b9", -1, 3), c("a", 1, 1)}, cfg: ClusterConfig{Scale: ScaleLog}, err: `baseline cluster "b9"`},
		{name: "negative weight", x: []Cluster{c("w", 1, -1)}, y: three, err: `cluster "w" has weight -1`},
		{name: "NaN weight", x: []Cluster{c("w", 1, math.NaN())}, y: three, err: `cluster "w" has weight NaN`},
		{name: "unknown scale", x: three, y: three, cfg: ClusterConfig{Scale: "sqrt"}, err: `unknown cluster scale "sqrt"`},
		{name: "confidence 1", x: three, y: three, cfg: ClusterConfig{Confidence: 1}, err: "confidence 1 is outside (0, 1)"},
		{name: "NaN values left out and counted", x: []Cluster{c("a", 101, 1), c("b", math.NaN(), 1), c("c", 99, 1), c("d", 104, 0)}, y: three,
			method: ClusterWelch, note: "left out clusters without data or with a NaN value: canary 2", canary: 2, baseline: 3},
		{name: "one cluster each", x: []Cluster{c("a", 120, 5)}, y: []Cluster{c("b", 100, 5)},
			method: ClusterNone, nanP: true, note: "one cluster in each cohort", canary: 1, baseline: 1},
		{name: "one canary cluster: pooled", x: []Cluster{c("a", 120, 5)}, y: three,
			method: ClusterPooled, note: "1 canary cluster: pooled t with the between-cluster variance of the 3 baseline clusters (df 2)", canary: 1, baseline: 3},
		{name: "one baseline cluster: pooled", x: three, y: []Cluster{c("a", 120, 5)},
			method: ClusterPooled, note: "1 baseline cluster", canary: 3, baseline: 1},
		{name: "zero variance both, equal", x: []Cluster{c("a", 5, 1), c("b", 5, 1)}, y: []Cluster{c("c", 5, 1), c("d", 5, 1)},
			method: ClusterWelch, nanP: true, note: "between-cluster variance is 0", canary: 2, baseline: 2},
		{name: "zero variance both, different", x: []Cluster{c("a", 6, 1), c("b", 6, 1)}, y: []Cluster{c("c", 5, 1), c("d", 5, 1)},
			method: ClusterWelch, nanP: true, note: "between-cluster variance is 0", canary: 2, baseline: 2},
		{name: "pooled, other cohort constant", x: []Cluster{c("a", 9, 1)}, y: []Cluster{c("c", 5, 1), c("d", 5, 1)},
			method: ClusterPooled, nanP: true, note: "between-cluster variance is 0", canary: 1, baseline: 2},
		{name: "overflowing linear values", x: []Cluster{c("a", 1e308, 1), c("b", -1e308, 1)}, y: three,
			method: ClusterWelch, nanP: true, note: "overflows", canary: 2, baseline: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ClusterCompare(tc.x, tc.y, tc.cfg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				if errors.Is(err, ErrNoData) != tc.noData {
					t.Errorf("errors.Is(ErrNoData) = %v, want %v", !tc.noData, tc.noData)
				}
				if !allNaN(r.T, r.P, r.PGreater, r.PLess) {
					t.Errorf("error result carries statistics: %+v", r)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Method != tc.method || r.Canary != tc.canary || r.Baseline != tc.baseline {
				t.Errorf("method %s %d/%d, want %s %d/%d", r.Method, r.Canary, r.Baseline, tc.method, tc.canary, tc.baseline)
			}
			if !strings.Contains(r.Note, tc.note) {
				t.Errorf("note %q lacks %q", r.Note, tc.note)
			}
			if tc.nanP {
				if !allNaN(r.T, r.DF, r.P, r.PGreater, r.PLess, r.CILow, r.CIHigh) {
					t.Errorf("want NaN statistics, got %+v", r)
				}
			} else if !(r.P >= 0 && r.P <= 1) || math.IsNaN(r.CILow) {
				t.Errorf("want statistics, got %+v", r)
			}
		})
	}
}

// Swapping the cohorts mirrors the result: the ratio inverts (the
// difference negates), the interval mirrors, greater and less swap.
func TestClusterCompareSwapMirrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		scale := []ClusterScale{ScaleLog, ScaleLinear}[i%2]
		n, m := 1+rng.IntN(8), 1+rng.IntN(8)
		if n == 1 && m == 1 {
			m = 2
		}
		x, y := lognormalClusters(rng, n, 1.05, 0.1), lognormalClusters(rng, m, 1, 0.1)
		cfg := ClusterConfig{Scale: scale, Confidence: 0.9 + 0.09*rng.Float64()}
		a, errA := ClusterCompare(x, y, cfg)
		b, errB := ClusterCompare(y, x, cfg)
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		inv, invLo, invHi := 1/b.Estimate, 1/b.CIHigh, 1/b.CILow
		if scale == ScaleLinear {
			inv, invLo, invHi = -b.Estimate, -b.CIHigh, -b.CILow
		}
		const tol = 1e-9
		if a.Method != b.Method || !closeTo(a.Estimate, inv, tol) || !closeTo(a.CILow, invLo, tol) || !closeTo(a.CIHigh, invHi, tol) ||
			!closeTo(a.T, -b.T, tol) || !closeTo(a.DF, b.DF, tol) || !closeTo(a.P, b.P, tol) ||
			!closeTo(a.PGreater, b.PLess, tol) || !closeTo(a.PLess, b.PGreater, tol) {
			t.Fatalf("%s %d vs %d: not mirrored:\n%+v\n%+v", scale, n, m, a, b)
		}
	}
}

// The cluster interval is never narrower than the per-cluster summaries
// justify: with ≥ 2 clusters per cohort it is exactly Welch's interval on
// the cluster values (log values, exponentiated, on ScaleLog), computed
// here by the package's Welch on the plain values; with one cluster in a
// cohort (pooled) it is wider than the Welch interval would be if the
// single cluster's variance were zero.
func TestClusterIntervalNotNarrowerThanClusterSummaries(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		n, m := 2+rng.IntN(10), 2+rng.IntN(10)
		x, y := lognormalClusters(rng, n, 1.02, 0.05), lognormalClusters(rng, m, 1, 0.05)
		for _, scale := range []ClusterScale{ScaleLog, ScaleLinear} {
			r, err := ClusterCompare(x, y, ClusterConfig{Scale: scale, Confidence: 0.98})
			if err != nil {
				t.Fatal(err)
			}
			vals := func(cs []Cluster) []float64 {
				out := make([]float64, len(cs))
				for i, c := range cs {
					out[i] = c.Value
					if scale == ScaleLog {
						out[i] = math.Log(c.Value)
					}
				}
				return out
			}
			w, err := Welch(vals(x), vals(y), TwoSided, 0.98)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := r.CILow, r.CIHigh
			if scale == ScaleLog {
				lo, hi = math.Log(lo), math.Log(hi)
			}
			if hi-lo < (w.CIHigh-w.CILow)*(1-1e-9) {
				t.Fatalf("%s %d vs %d: cluster interval width %v < Welch on cluster values %v", scale, n, m, hi-lo, w.CIHigh-w.CILow)
			}
		}
		// Pooled: one canary cluster.
		one := x[:1]
		r, err := ClusterCompare(one, y, ClusterConfig{Scale: ScaleLinear, Confidence: 0.98})
		if err != nil {
			t.Fatal(err)
		}
		_, vy := meanVar(vals1(y))
		q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(m - 1)}.Quantile(0.99)
		if width := r.CIHigh - r.CILow; width < 2*q*math.Sqrt(vy/float64(m))*(1-1e-9) {
			t.Fatalf("pooled interval width %v narrower than the baseline mean's own uncertainty %v", width, 2*q*math.Sqrt(vy/float64(m)))
		}
	}
}

func vals1(cs []Cluster) []float64 {
	out := make([]float64, len(cs))
	for i, c := range cs {
		out[i] = c.Value
	}
	return out
}

func TestClusterRatesEdges(t *testing.T) {
	cc := func(id string, e, n float64) ClusterCount { return ClusterCount{ID: id, Events: e, Trials: n} }
	some := []ClusterCount{cc("a", 3, 1000), cc("b", 5, 1200), cc("c", 2, 900)}
	for _, tc := range []struct {
		name   string
		x, y   []ClusterCount
		err    string
		noData bool
		method ClusterMethod
		nanP   bool
		note   string
	}{
		{name: "no events anywhere", x: []ClusterCount{cc("a", 0, 100), cc("b", 0, 50)}, y: []ClusterCount{cc("c", 0, 80), cc("d", 0, 70)},
			method: ClusterNone, nanP: true, note: "no events in either cohort"},
		{name: "one cluster each", x: some[:1], y: some[1:2], method: ClusterNone, nanP: true, note: "one cluster in each cohort"},
		{name: "one canary cluster", x: []ClusterCount{cc("x", 9, 1000)}, y: some, method: ClusterPooled, note: "1 canary cluster: its rate is taken to vary as one of the 3 baseline clusters (df 2)"},
		{name: "zero canary events, baseline varies", x: []ClusterCount{cc("a", 0, 100), cc("b", 0, 50)}, y: some, method: ClusterWelch},
		{name: "equal rates everywhere", x: []ClusterCount{cc("a", 1, 100), cc("b", 2, 200)}, y: []ClusterCount{cc("c", 3, 300), cc("d", 1, 100)},
			method: ClusterWelch, nanP: true, note: "between-cluster variance 0"},
		{name: "clusters without trials left out", x: append([]ClusterCount{cc("idle", 0, 0)}, some...), y: some, method: ClusterWelch, note: "left out clusters without trials: canary 1"},
		{name: "events without trials", x: []ClusterCount{cc("bad", 3, 0)}, y: some, err: `canary cluster "bad" has 3 events but no trials`},
		{name: "negative", x: []ClusterCount{cc("neg", -1, 10)}, y: some, err: `canary cluster "neg" has events -1`},
		{name: "NaN trials", x: some, y: []ClusterCount{cc("nan", 1, math.NaN())}, err: `baseline cluster "nan"`},
		{name: "Inf events", x: some, y: []ClusterCount{cc("inf", math.Inf(1), 10)}, err: `baseline cluster "inf"`},
		{name: "no trials", x: []ClusterCount{cc("idle", 0, 0)}, y: some, err: "canary: no cluster with trials", noData: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ClusterRates(tc.x, tc.y, 0.98)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || errors.Is(err, ErrNoData) != tc.noData {
					t.Fatalf("error %v, want %q (no data %v)", err, tc.err, tc.noData)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Method != tc.method || !strings.Contains(r.Note, tc.note) {
				t.Errorf("method %s note %q, want %s %q", r.Method, r.Note, tc.method, tc.note)
			}
			if tc.nanP != allNaN(r.T, r.P, r.PGreater, r.PLess, r.CILow, r.CIHigh) || (!tc.nanP && !(r.P >= 0 && r.P <= 1)) {
				t.Errorf("NaN statistics %v, got %+v", tc.nanP, r)
			}
		})
	}
	if _, err := ClusterRates(some, some, 1.5); err == nil {
		t.Error("confidence 1.5 accepted")
	}
}

// With equal traffic per pod the delta method is Welch's t on the pod
// rates; swapping cohorts negates the result.
func TestClusterRatesEqualTrafficIsWelchOnRates(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 100 {
		k1, k2 := 2+rng.IntN(9), 2+rng.IntN(9)
		gen := func(k int) ([]ClusterCount, []float64) {
			cs, rates := make([]ClusterCount, k), make([]float64, k)
			for i := range cs {
				e := float64(rng.IntN(40))
				cs[i] = ClusterCount{ID: "p", Events: e, Trials: 2000}
				rates[i] = e / 2000
			}
			return cs, rates
		}
		x, rx := gen(k1)
		y, ry := gen(k2)
		r, err := ClusterRates(x, y, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		w, err := Welch(rx, ry, TwoSided, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(w.T) {
			continue
		}
		if !closeTo(r.T, w.T, 1e-9) || !closeTo(r.DF, w.DF, 1e-9) || !closeTo(r.P, w.PValue, 1e-9) ||
			!closeTo(r.CILow, w.CILow, 1e-9) || !closeTo(r.CIHigh, w.CIHigh, 1e-9) {
			t.Fatalf("delta method %+v\nWelch on pod rates %+v", r, w)
		}
		s, err := ClusterRates(y, x, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if !closeTo(s.Estimate, -r.Estimate, 1e-12) || !closeTo(s.PGreater, r.PLess, 1e-9) || !closeTo(s.CILow, -r.CIHigh, 1e-9) {
			t.Fatalf("swap not mirrored: %+v %+v", r, s)
		}
	}
}

func TestEffectiveSampleSize(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	ar := func(n int, rho float64) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
			if i > 0 {
				x[i] += rho * x[i-1]
			}
		}
		return x
	}
	alt := make([]float64, 50)
	for i := range alt {
		alt[i] = float64(i % 2)
	}
	for _, tc := range []struct {
		name   string
		xs     []float64
		lo, hi float64
	}{
		{"empty", nil, 0, 0},
		{"one", []float64{3}, 1, 1},
		{"constant", []float64{2, 2, 2, 2}, 4, 4},
		{"independent", ar(1000, 0), 850, 1000},
		{"AR(1) 0.8", ar(1000, 0.8), 1, 333},
		// Lag 3 for 60 points: 1 + 2Σw_kρ_k ≤ 1 + L, so ESS ≥ n/4 = 15
		// however strong the autocorrelation (true ESS here ≈ 1.5).
		{"AR(1) 0.95, 60 points", ar(60, 0.95), 15, 36},
		{"alternating: capped at n", alt, 50, 50},
		{"NaN left out", []float64{1, math.NaN(), 1, 1}, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := EffectiveSampleSize(tc.xs)
			if !(got >= tc.lo && got <= tc.hi) {
				t.Errorf("ESS %v, want in [%v, %v]", got, tc.lo, tc.hi)
			}
		})
	}
}

// FuzzClusterCompare: any values and weights give an error or a result
// whose p-values are in [0, 1] or all NaN together, with NaN statistics
// for Method none, and never a finite p-value from a non-finite kept value.
func FuzzClusterCompare(f *testing.F) {
	f.Add([]byte{3, 1, 2, 3, 4, 5, 6}, false)
	f.Add([]byte{1, 0xFF, 0x00, 7}, true)
	f.Add([]byte{2, 0, 0, 0, 0}, true)
	f.Fuzz(func(t *testing.T, data []byte, log bool) {
		if len(data) < 1 {
			return
		}
		split := int(data[0]) % 12
		var x, y []Cluster
		special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, -1, 1e308, 5e-324}
		for i, b := range data[1:] {
			v := float64(b) + 1
			if b >= 0xF9 {
				v = special[b-0xF9]
			}
			w := 1.0
			if b%17 == 0 {
				w = 0
			}
			c := Cluster{ID: "c", Value: v, Weight: w}
			if i < split {
				x = append(x, c)
			} else {
				y = append(y, c)
			}
		}
		scale := ScaleLinear
		if log {
			scale = ScaleLog
		}
		r, err := ClusterCompare(x, y, ClusterConfig{Scale: scale, Confidence: 0.98})
		if err != nil {
			return
		}
		ps := []float64{r.P, r.PGreater, r.PLess, r.T}
		if math.IsNaN(r.P) {
			if !allNaN(ps...) {
				t.Fatalf("partly NaN statistics: %+v", r)
			}
		} else {
			for _, p := range ps[:3] {
				if !(p >= 0 && p <= 1) {
					t.Fatalf("p-value %v: %+v", p, r)
				}
			}
			if r.Method == ClusterNone {
				t.Fatalf("method none with statistics: %+v", r)
			}
			if !(r.CILow <= r.CIHigh) {
				t.Fatalf("interval %v..%v", r.CILow, r.CIHigh)
			}
		}
	})
}
