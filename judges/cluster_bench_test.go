package judges

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func BenchmarkClusterCompare(b *testing.B) {
	for _, k := range []int{10, 100, 1000} {
		rng := rand.New(rand.NewPCG(1, uint64(k)))
		x, y := lognormalClusters(rng, k, 1.02, 0.05), lognormalClusters(rng, k, 1, 0.05)
		b.Run(fmt.Sprintf("log/%dvs%d", k, k), func(b *testing.B) {
			for b.Loop() {
				if _, err := ClusterCompare(x, y, ClusterConfig{Scale: ScaleLog, Confidence: 0.98}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWorstCluster(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 3))
	x, y := lognormalClusters(rng, 10, 1, 0.05), lognormalClusters(rng, 10, 1, 0.05)
	for b.Loop() {
		if _, err := WorstCluster(x, y, Increase, ScaleLog); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClusterRates(b *testing.B) {
	cs := make([]ClusterCount, 10)
	for i := range cs {
		cs[i] = ClusterCount{ID: "p", Events: float64(20 + i), Trials: 3600}
	}
	for b.Loop() {
		if _, err := ClusterRates(cs, cs[1:], 0.98); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHistogramQuantile(b *testing.B) {
	for _, nb := range []int{12, 160} {
		h := Histogram{}
		for i := range nb {
			h.Bounds = append(h.Bounds, 0.001*math.Pow(1.1, float64(i)))
			h.Counts = append(h.Counts, float64(100+i))
		}
		h.Counts = append(h.Counts, 3)
		b.Run(fmt.Sprintf("%dbuckets", nb), func(b *testing.B) {
			for b.Loop() {
				if q := HistogramQuantile(h, 0.99); math.IsNaN(q) {
					b.Fatal("NaN")
				}
			}
		})
	}
}

func BenchmarkEffectiveSampleSize(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 5))
	xs := make([]float64, 720)
	for i := range xs {
		xs[i] = rng.NormFloat64()
	}
	for b.Loop() {
		EffectiveSampleSize(xs)
	}
}
