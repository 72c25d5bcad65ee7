package judges

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// lognormalLatencies draws n latency-like values around median.
func lognormalLatencies(rng *rand.Rand, n int, median float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = median * math.Exp(0.4*rng.NormFloat64())
	}
	return s
}

// BenchmarkMannWhitneyHL times the whole MannWhitney call (copy, sort, U, p,
// Hodges–Lehmann estimate and 98% CI) for n = m.
func BenchmarkMannWhitneyHL(b *testing.B) {
	for _, n := range []int{1e4, 1e5, 1e6} {
		rng := rand.New(rand.NewPCG(uint64(n), 7))
		x := lognormalLatencies(rng, n, 120)
		y := lognormalLatencies(rng, n, 110)
		b.Run(fmt.Sprintf("n=m=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := MannWhitney(x, y, 0.98); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
