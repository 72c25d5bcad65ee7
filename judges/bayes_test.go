package judges

import (
	"math"
	"testing"
)

func TestProbCanaryWorseReference(t *testing.T) {
	ref := loadTestsReference(t)
	if len(ref.Bayes) < 10 {
		t.Fatalf("%d beta-binomial cases, want ≥ 10", len(ref.Bayes))
	}
	for _, c := range ref.Bayes {
		t.Run(c.ID+" "+c.Name, func(t *testing.T) {
			got, err := ProbCanaryWorse(c.CanaryErrors, c.CanaryTotal, c.BaselineErrors, c.BaselineTotal,
				BetaPrior{Alpha: c.PriorAlpha, Beta: c.PriorBeta})
			if err != nil {
				t.Fatal(err)
			}
			if !refAbsClose(got, float64(c.Expected), 1e-9) {
				t.Errorf("P = %.17g, R %.17g (closed form %.17g, integrate %.17g)", got, c.Expected, c.RClosed, c.RIntegrate)
			}
		})
	}
}

// The four routes (sum on α_c, α_b, β_b or β_c) agree where several apply.
func TestBetaGreaterSymmetries(t *testing.T) {
	for _, c := range [][4]float64{{6, 95, 2, 99}, {3, 4, 5, 6}, {120, 880, 100, 1000}, {1, 1, 1, 1}} {
		a1, b1, a2, b2 := c[0], c[1], c[2], c[3]
		direct := betaGreaterSum(int64(a1), b1, a2, b2)
		for name, v := range map[string]float64{
			"via α_b": 1 - betaGreaterSum(int64(a2), b2, a1, b1),
			"via β_b": betaGreaterSum(int64(b2), a2, b1, a1),
			"via β_c": 1 - betaGreaterSum(int64(b1), a1, b2, a2),
			"quad":    betaGreaterQuad(a1, b1, a2, b2),
		} {
			if math.Abs(v-direct) > 1e-9 {
				t.Errorf("%v: %s %.17g, direct %.17g", c, name, v, direct)
			}
		}
	}
}

func TestProbCanaryWorseInputs(t *testing.T) {
	for _, c := range []struct {
		e [4]int64
		p BetaPrior
	}{
		{[4]int64{-1, 10, 0, 10}, BetaPrior{}},
		{[4]int64{11, 10, 0, 10}, BetaPrior{}},
		{[4]int64{1, 10, 0, 10}, BetaPrior{Alpha: -1, Beta: 1}},
		{[4]int64{1, 10, 0, 10}, BetaPrior{Alpha: math.NaN(), Beta: 1}},
		{[4]int64{1, 10, 0, 10}, BetaPrior{Alpha: 1, Beta: 0}},
	} {
		if _, err := ProbCanaryWorse(c.e[0], c.e[1], c.e[2], c.e[3], c.p); err == nil {
			t.Errorf("%v %v accepted", c.e, c.p)
		}
	}
	// Symmetry: equal data gives 1/2; swapping cohorts gives 1 − P.
	if p, _ := ProbCanaryWorse(7, 1000, 7, 1000, BetaPrior{}); math.Abs(p-0.5) > 1e-12 {
		t.Errorf("equal data: %v", p)
	}
	p1, _ := ProbCanaryWorse(12, 900, 7, 1000, BetaPrior{})
	p2, _ := ProbCanaryWorse(7, 1000, 12, 900, BetaPrior{})
	if math.Abs(p1+p2-1) > 1e-12 {
		t.Errorf("swap: %v + %v ≠ 1", p1, p2)
	}
}

// More canary errors make the canary more likely worse.
func TestProbCanaryWorseMonotone(t *testing.T) {
	prev := -1.0
	for ce := int64(0); ce <= 60; ce += 4 {
		p, err := ProbCanaryWorse(ce, 2000, 20, 2000, BetaPrior{})
		if err != nil || !(p >= prev) {
			t.Errorf("errors %d: %v after %v (%v)", ce, p, prev, err)
		}
		prev = p
	}
}

func FuzzProbCanaryWorse(f *testing.F) {
	f.Add(int64(5), int64(100), int64(1), int64(100), 1.0, 1.0)
	f.Add(int64(0), int64(0), int64(0), int64(0), 0.5, 0.5)
	f.Add(int64(3), int64(10_000_000), int64(0), int64(10_000_000), 2.0, 3.5)
	f.Fuzz(func(t *testing.T, ce, ct, be, bt int64, a, b float64) {
		if ct > 1e8 || bt > 1e8 {
			ct, bt = ct%100_000_000, bt%100_000_000
		}
		if a > 1e6 || b > 1e6 {
			return
		}
		p, err := ProbCanaryWorse(ce, ct, be, bt, BetaPrior{Alpha: a, Beta: b})
		if err != nil {
			return
		}
		if !(p >= 0 && p <= 1) {
			t.Fatalf("P = %v", p)
		}
	})
}
