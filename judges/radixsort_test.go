package judges

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRadixSortUint64(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for iter := range 200 {
		n := rng.IntN(5000)
		a := make([]uint64, n)
		for i := range a {
			switch iter % 4 {
			case 0:
				a[i] = rng.Uint64()
			case 1:
				a[i] = rng.Uint64N(7) // most digits shared: passes skipped
			case 2:
				a[i] = rng.Uint64N(1<<40) << 20
			default:
				a[i] = 1<<63 + rng.Uint64N(3)<<55
			}
		}
		want := slices.Sorted(slices.Values(a))
		radixSortUint64(a, make([]uint64, n))
		if !slices.Equal(a, want) {
			t.Fatalf("iter %d (n=%d): not sorted", iter, n)
		}
	}
}

// The radix path and the small-sample path agree with slices.Sort on
// floats, including ±Inf, ±0 (as +0), NaN (dropped) and subnormals.
func TestSortedCleanRadix(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	special := []float64{inf, ninf, nan, negz, 0, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64}
	for iter := range 100 {
		n := []int{0, 1, radixMin - 1, radixMin, radixMin + 1, 3*radixMin + 7}[iter%6]
		s := make([]float64, n)
		for i := range s {
			if rng.IntN(10) == 0 {
				s[i] = special[rng.IntN(len(special))]
			} else {
				s[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(20)-10))
			}
		}
		orig := slices.Clone(s)
		got, dropped := sortedClean(s)
		var want []float64
		for _, v := range s {
			if !math.IsNaN(v) {
				want = append(want, v+0) // −0 + 0 = +0
			}
		}
		slices.Sort(want)
		if dropped != n-len(want) || len(got) != len(want) {
			t.Fatalf("n=%d: %d values, %d dropped; want %d", n, len(got), dropped, len(want))
		}
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("n=%d: [%d] = %v, want %v", n, i, got[i], want[i])
			}
		}
		for i := range s {
			if math.Float64bits(s[i]) != math.Float64bits(orig[i]) {
				t.Fatal("input modified")
			}
		}
	}
}
