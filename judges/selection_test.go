package judges

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// allDiffs materialises and sorts the differences: the brute force.
func allDiffs(x, y []float64) []float64 {
	d := make([]float64, 0, len(x)*len(y))
	for _, a := range x {
		for _, b := range y {
			d = append(d, diff(a, b))
		}
	}
	slices.Sort(d)
	return d
}

// Every order statistic, by the counting path alone (limit 1), by the
// collecting path alone and by the default mix, equals the brute force.
func TestKthEveryRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for iter := range 400 {
		x, _ := sortedClean(randomSample(rng, 1+rng.IntN(25), iter%3))
		y, _ := sortedClean(randomSample(rng, 1+rng.IntN(25), (iter/3)%3))
		if len(x) == 0 || len(y) == 0 {
			continue
		}
		want := allDiffs(x, y)
		for _, limit := range []int64{1, 7, 1 << 20} {
			d := &diffMatrix{x: x, y: y, limit: limit}
			full := bracket{lo: want[0], hi: want[len(want)-1], nLess: 0, nLE: d.size()}
			for k := range int64(len(want)) {
				if got := d.kth(k+1, full); got != want[k] || math.Signbit(got) != math.Signbit(want[k]) {
					t.Fatalf("x=%v y=%v limit %d: D_(%d) = %v, want %v", x, y, limit, k+1, got, want[k])
				}
			}
		}
	}
}

// The full estimate and interval, forced through the counting path.
func TestHodgesLehmannCountingPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for iter := range 2000 {
		x, _ := sortedClean(randomSample(rng, 1+rng.IntN(60), iter%3))
		y, _ := sortedClean(randomSample(rng, 1+rng.IntN(60), (iter/3)%3))
		if len(x) == 0 || len(y) == 0 {
			continue
		}
		rk := mergeRanks(x, y)
		_, est, lo, hi := bruteForceOpts(x, y, MannWhitneyOptions{Alternative: TwoSided, Method: MethodAsymptotic, Confidence: 0.98})
		kL, kU := ciRanks(len(x), len(y), rk.tiesX, rk.tiesY, 0.98, TwoSided)
		gotEst, gotLo, gotHi := hodgesLehmannOn(&diffMatrix{x: x, y: y, limit: 1}, kL, kU)
		if !same(gotEst, est) || gotLo != lo || gotHi != hi {
			t.Fatalf("x=%v y=%v: got %v [%v, %v], want %v [%v, %v]", x, y, gotEst, gotLo, gotHi, est, lo, hi)
		}
	}
}

// Interpolation keeps the pass count low on smooth data; bisection bounds it
// on hostile data (values spread over the whole exponent range).
func TestHodgesLehmannPasses(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	smooth := func(n int) ([]float64, []float64) {
		return lognormalLatencies(rng, n, 120), lognormalLatencies(rng, n, 110)
	}
	hostile := func(n int) ([]float64, []float64) {
		x, y := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i] = math.Ldexp(1+rng.Float64(), rng.IntN(2000)-1000)
			y[i] = -math.Ldexp(1+rng.Float64(), rng.IntN(2000)-1000)
		}
		return x, y
	}
	for _, tc := range []struct {
		name      string
		gen       func(int) ([]float64, []float64)
		n         int
		maxPasses int
	}{
		{"smooth", smooth, 20000, 25},
		{"hostile", hostile, 20000, 3 * 200},
	} {
		t.Run(fmt.Sprintf("%s/n=%d", tc.name, tc.n), func(t *testing.T) {
			x, y := tc.gen(tc.n)
			x, _ = sortedClean(x)
			y, _ = sortedClean(y)
			rk := mergeRanks(x, y)
			d := &diffMatrix{x: x, y: y}
			kL, kU := ciRanks(len(x), len(y), rk.tiesX, rk.tiesY, 0.98, TwoSided)
			hodgesLehmannOn(d, kL, kU)
			t.Logf("%d passes", d.passes)
			if d.passes > tc.maxPasses {
				t.Errorf("%d passes, want ≤ %d", d.passes, tc.maxPasses)
			}
		})
	}
}

func TestNthSmallest(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for iter := range 500 {
		s := make([]float64, 1+rng.IntN(200))
		for i := range s {
			switch iter % 3 {
			case 0:
				s[i] = rng.NormFloat64()
			case 1:
				s[i] = float64(rng.IntN(3))
			default:
				s[i] = float64(i) // sorted input
			}
		}
		sorted := slices.Clone(s)
		slices.Sort(sorted)
		k := rng.IntN(len(s))
		if got := nthSmallest(slices.Clone(s), k); got != sorted[k] {
			t.Fatalf("nthSmallest(%v, %d) = %v, want %v", s, k, got, sorted[k])
		}
	}
}

func TestOrderKey(t *testing.T) {
	vals := []float64{ninf, -math.MaxFloat64, -1, -math.SmallestNonzeroFloat64, negz, 0,
		math.SmallestNonzeroFloat64, 1, math.MaxFloat64, inf}
	for i := range vals {
		if got := fromOrderKey(orderKey(vals[i])); math.Float64bits(got) != math.Float64bits(vals[i]) {
			t.Errorf("round trip of %v gives %v", vals[i], got)
		}
		if i > 0 && orderKey(vals[i-1]) >= orderKey(vals[i]) {
			t.Errorf("orderKey(%v) ≥ orderKey(%v)", vals[i-1], vals[i])
		}
	}
}
