package judges

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// exactCounts is the null distribution of U for sizes n, m in exact
// integers, by the generating function Π_{i=1..n}(1−q^{m+i})/(1−q^i).
func exactCounts(n, m int) []*big.Int {
	c := make([]*big.Int, n*m+1)
	for k := range c {
		c[k] = new(big.Int)
	}
	c[0].SetInt64(1)
	for i := 1; i <= n; i++ {
		for k := len(c) - 1; k >= m+i; k-- { // × (1 − q^{m+i})
			c[k].Sub(c[k], c[k-m-i])
		}
		for k := i; k < len(c); k++ { // ÷ (1 − q^i)
			c[k].Add(c[k], c[k-i])
		}
	}
	return c
}

func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / math.Abs(want)
}

// Every count, and every tail probability, against exact integer arithmetic.
func TestWilcoxDistExact(t *testing.T) {
	sizes := [][2]int{{1, 1}, {1, 7}, {3, 2}, {4, 4}, {5, 9}, {10, 10}, {17, 30}, {49, 49}, {1, 5000}, {2, 4999}, {30, 49}, {100, 100}}
	for _, s := range sizes {
		n, m := s[0], s[1]
		w := newWilcoxDist(n, m)
		want := exactCounts(n, m)
		total := new(big.Int).Binomial(int64(n+m), int64(n))
		if wt, _ := new(big.Float).SetInt(total).Float64(); relErr(w.total, wt) > 1e-15 {
			t.Errorf("%d,%d: total %v, want %v", n, m, w.total, wt)
		}
		if len(w.counts) != n*m/2+1 {
			t.Fatalf("%d,%d: %d counts", n, m, len(w.counts))
		}
		cum := new(big.Int)
		for k, c := range w.counts {
			wk, _ := new(big.Float).SetInt(want[k]).Float64()
			if e := relErr(c, wk); e > 1e-13 {
				t.Fatalf("%d,%d: c(%d) = %v, want %v (rel %g)", n, m, k, c, wk, e)
			}
			cum.Add(cum, want[k])
			p, _ := new(big.Rat).SetFrac(cum, total).Float64()
			if e := relErr(w.cdf(k, true), p); e > 1e-13 {
				t.Fatalf("%d,%d: P(U ≤ %d) = %v, want %v (rel %g)", n, m, k, w.cdf(k, true), p, e)
			}
			// P(U > nm−k−1) = P(U ≥ nm−k) = P(U ≤ k) by symmetry.
			if e := relErr(w.cdf(n*m-k-1, false), p); e > 1e-13 {
				t.Fatalf("%d,%d: upper tail at %d: %v, want %v", n, m, n*m-k-1, w.cdf(n*m-k-1, false), p)
			}
		}
	}
}

// Symmetry in (n, m) and quantile consistency with the cdf.
func TestWilcoxQuantile(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for range 200 {
		n, m := 1+rng.IntN(49), 1+rng.IntN(49)
		w := newWilcoxDist(n, m)
		for _, x := range []float64{1e-9, 0.001, 0.01, 0.025, 0.05, 0.25, 0.5, 0.75, 0.99, rng.Float64()} {
			q := w.quantile(x)
			if q < 0 || q > n*m {
				t.Fatalf("%d,%d: qwilcox(%v) = %d", n, m, x, q)
			}
			if x <= 0.5 && !(w.cdf(q, true) >= x-1e-14 && (q == 0 || w.cdf(q-1, true) < x-1e-14)) {
				t.Fatalf("%d,%d: qwilcox(%v) = %d: cdf %v, below %v", n, m, x, q, w.cdf(q, true), w.cdf(q-1, true))
			}
		}
	}
}

func TestMannWhitneyExactInputs(t *testing.T) {
	_, err := MannWhitneyTest([]float64{1, 2, 2}, []float64{3, 4}, MannWhitneyOptions{Method: MethodExact})
	if err == nil || !strings.Contains(err.Error(), "without ties") {
		t.Errorf("exact with ties: err %v", err)
	}
	big := make([]float64, 201)
	for i := range big {
		big[i] = float64(i) + 0.5
	}
	_, err = MannWhitneyTest(big[:100], big[100:], MannWhitneyOptions{Method: MethodExact})
	if err == nil || !strings.Contains(err.Error(), "n·m") {
		t.Errorf("exact too large: err %v", err)
	}
	r, err := MannWhitneyTest([]float64{1, 2, 3}, []float64{4, 5, 6}, MannWhitneyOptions{})
	if err != nil || r.Method != MethodExact || r.Alternative != TwoSided || r.Confidence != 0.98 {
		t.Errorf("defaults: %+v %v", r, err)
	}
	// R: wilcox.test(1:3, 4:6) p = 0.1; alternative="less" p = 0.05.
	if r.PValue != 0.1 {
		t.Errorf("exact two-sided p = %v, want 0.1", r.PValue)
	}
	r, _ = MannWhitneyTest([]float64{1, 2, 3}, []float64{4, 5, 6}, MannWhitneyOptions{Alternative: Less})
	if r.PValue != 0.05 || r.CILow != math.Inf(-1) {
		t.Errorf("exact less: p %v CI [%v, %v]", r.PValue, r.CILow, r.CIHigh)
	}
	for _, o := range []MannWhitneyOptions{{Alternative: "up"}, {Method: "bootstrap"}, {Confidence: 1}} {
		if _, err := MannWhitneyTest([]float64{1}, []float64{2}, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
