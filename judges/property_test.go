package judges

import (
	"math"
	"math/rand/v2"
	"testing"
)

// propertySamples yields varied sample pairs: continuous, tied, integer.
func propertySamples(t *testing.T, fn func(t *testing.T, x, y []float64)) {
	rng := rand.New(rand.NewPCG(11, 12))
	for iter := range 300 {
		n, m := 1+rng.IntN(80), 1+rng.IntN(80)
		if iter%10 == 0 {
			n, m = 500+rng.IntN(3000), 500+rng.IntN(3000) // beyond the collect limit
		}
		x, y := make([]float64, n), make([]float64, m)
		shift := float64(rng.IntN(5) - 2)
		for i := range x {
			x[i] = math.Round(rng.NormFloat64()*4) + shift
		}
		for j := range y {
			y[j] = math.Round(rng.NormFloat64() * 4)
		}
		if iter%2 == 1 { // continuous
			for i := range x {
				x[i] += rng.Float64()
			}
			for j := range y {
				y[j] += rng.Float64()
			}
		}
		fn(t, x, y)
	}
}

func mustMW(t *testing.T, x, y []float64) MannWhitneyResult {
	t.Helper()
	r, err := MannWhitney(x, y, 0.98)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Swapping canary and baseline: U' = nm − U, same p, Z' = −Z, estimate and
// interval mirrored.
func TestPropertySwap(t *testing.T) {
	propertySamples(t, func(t *testing.T, x, y []float64) {
		a, b := mustMW(t, x, y), mustMW(t, y, x)
		nm := float64(len(x) * len(y))
		if b.U != nm-a.U || b.PValue != a.PValue || b.Z != -a.Z {
			t.Fatalf("swap: U %v→%v (nm %v), p %v→%v, Z %v→%v", a.U, b.U, nm, a.PValue, b.PValue, a.Z, b.Z)
		}
		if b.Estimate != -a.Estimate || b.CILow != -a.CIHigh || b.CIHigh != -a.CILow {
			t.Fatalf("swap: %v [%v, %v] → %v [%v, %v]", a.Estimate, a.CILow, a.CIHigh, b.Estimate, b.CILow, b.CIHigh)
		}
	})
}

// Adding c to the canary adds c to the estimate and the interval (exact on
// integer-valued data) and leaves the baseline alone.
func TestPropertyShiftEquivariance(t *testing.T) {
	propertySamples(t, func(t *testing.T, x, y []float64) {
		for i := range x {
			x[i] = math.Round(x[i])
		}
		for j := range y {
			y[j] = math.Round(y[j])
		}
		a := mustMW(t, x, y)
		for _, c := range []float64{-7, 3, 1000} {
			xs := make([]float64, len(x))
			for i := range x {
				xs[i] = x[i] + c
			}
			b := mustMW(t, xs, y)
			if b.Estimate != a.Estimate+c || b.CILow != a.CILow+c || b.CIHigh != a.CIHigh+c {
				t.Fatalf("shift %v: %v [%v, %v] → %v [%v, %v]", c, a.Estimate, a.CILow, a.CIHigh, b.Estimate, b.CILow, b.CIHigh)
			}
		}
	})
}

// U, Z and p depend on ranks only: invariant under a strictly increasing
// transform (exp, on values small enough not to overflow or collide).
func TestPropertyMonotoneInvariance(t *testing.T) {
	propertySamples(t, func(t *testing.T, x, y []float64) {
		ex, ey := make([]float64, len(x)), make([]float64, len(y))
		for i, v := range x {
			ex[i] = math.Exp(v / 8)
		}
		for j, v := range y {
			ey[j] = math.Exp(v / 8)
		}
		a, b := mustMW(t, x, y), mustMW(t, ex, ey)
		if a.U != b.U || a.Z != b.Z || a.PValue != b.PValue || a.CLES != b.CLES {
			t.Fatalf("exp: U %v→%v Z %v→%v p %v→%v", a.U, b.U, a.Z, b.Z, a.PValue, b.PValue)
		}
	})
}

// The interval contains the estimate, and a higher confidence never narrows it.
func TestPropertyIntervalNesting(t *testing.T) {
	propertySamples(t, func(t *testing.T, x, y []float64) {
		prevLo, prevHi := math.Inf(1), math.Inf(-1)
		for _, c := range []float64{0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999} {
			r, err := MannWhitney(x, y, c)
			if err != nil {
				t.Fatal(err)
			}
			if !(r.CILow <= r.Estimate && r.Estimate <= r.CIHigh) {
				t.Fatalf("conf %v: estimate %v outside [%v, %v]", c, r.Estimate, r.CILow, r.CIHigh)
			}
			if r.CILow > prevLo || r.CIHigh < prevHi {
				t.Fatalf("conf %v: [%v, %v] narrower than [%v, %v]", c, r.CILow, r.CIHigh, prevLo, prevHi)
			}
			prevLo, prevHi = r.CILow, r.CIHigh
		}
	})
}

// Swapping canary and baseline swaps the one-sided p-values, for both
// methods; the two-sided p is twice the smaller one-sided p (capped at 1)
// when U ≠ nm/2, and the one-sided intervals mirror.
func TestPropertySwapAlternatives(t *testing.T) {
	propertySamples(t, func(t *testing.T, x, y []float64) {
		for _, method := range []Method{MethodAuto, MethodAsymptotic} {
			run := func(a, b []float64, alt Alternative) MannWhitneyResult {
				r, err := MannWhitneyTest(a, b, MannWhitneyOptions{Alternative: alt, Method: method})
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			g, l := run(x, y, Greater), run(x, y, Less)
			gs, ls := run(y, x, Greater), run(y, x, Less)
			two := run(x, y, TwoSided)
			if g.PValue != ls.PValue || l.PValue != gs.PValue {
				t.Fatalf("%s: greater %v less %v, swapped greater %v less %v", method, g.PValue, l.PValue, gs.PValue, ls.PValue)
			}
			if g.CILow != -ls.CIHigh || l.CIHigh != -gs.CILow || g.CIHigh != inf || l.CILow != ninf {
				t.Fatalf("%s: one-sided CIs [%v, %v] [%v, %v], swapped [%v, %v] [%v, %v]", method,
					g.CILow, g.CIHigh, l.CILow, l.CIHigh, gs.CILow, gs.CIHigh, ls.CILow, ls.CIHigh)
			}
			if two.TwoU != int64(len(x)*len(y)) {
				if want := min(1, 2*min(g.PValue, l.PValue)); math.Abs(two.PValue-want) > 1e-15*want {
					t.Fatalf("%s: two-sided %v, one-sided %v %v", method, two.PValue, g.PValue, l.PValue)
				}
			}
			// A one-sided interval is never wider on its finite side than the
			// two-sided one at the same level.
			if g.CILow < two.CILow || l.CIHigh > two.CIHigh {
				t.Fatalf("%s: one-sided bounds %v, %v outside two-sided [%v, %v]", method, g.CILow, l.CIHigh, two.CILow, two.CIHigh)
			}
		}
	})
}
