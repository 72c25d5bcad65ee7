package judges

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func equalFractions(k int) []float64 {
	t := make([]float64, k)
	for i := range t {
		t[i] = float64(i+1) / float64(k)
	}
	return t
}

// TestGroupSequentialOBrienFleming checks the bounds against the published
// Lan–DeMets O'Brien–Fleming-type boundaries for five equally spaced looks
// at one-sided α = 0.025 (Jennison & Turnbull, Table 7.7; R gsDesign
// sfLDOF: 4.877, 3.357, 2.680, 2.290, 2.031).
func TestGroupSequentialOBrienFleming(t *testing.T) {
	got, err := GroupSequentialBounds(0.025, equalFractions(5), OBrienFlemingSpending)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{4.877, 3.357, 2.680, 2.290, 2.031}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 2e-3 {
			t.Errorf("look %d: z = %.4f, want %.3f", i+1, got[i], want[i])
		}
	}
}

// TestGroupSequentialSpendsAlpha checks by simulation of the Brownian
// motion that the bounds spend what they promise, at every look and in
// total, and that one look is the fixed-sample test.
func TestGroupSequentialSpendsAlpha(t *testing.T) {
	one, err := GroupSequentialBounds(0.01, []float64{1}, PowerSpending(3))
	if err != nil || math.Abs(one[0]-normalQuantile(0.99)) > 1e-8 {
		t.Fatalf("one look: %v %v", one, err)
	}
	const k, alpha, paths = 12, 0.05, 200000
	bounds, err := GroupSequentialBounds(alpha, equalFractions(k), PowerSpending(3))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 12))
	crossedBy := make([]int, k)
	for range paths {
		s := 0.0
		for j := range k {
			s += rng.NormFloat64() * math.Sqrt(1/float64(k))
			if s/math.Sqrt(float64(j+1)/k) >= bounds[j] {
				for q := j; q < k; q++ {
					crossedBy[q]++
				}
				break
			}
		}
	}
	for j := range k {
		want := alpha * math.Pow(float64(j+1)/k, 3)
		got := float64(crossedBy[j]) / paths
		se := math.Sqrt(want * (1 - want) / paths)
		if math.Abs(got-want) > 4*se+1e-5 {
			t.Errorf("by look %d: crossed %.5f, want %.5f (±%.5f)", j+1, got, want, 4*se)
		}
	}
	// the last look's nominal level is far above the spent increment:
	// the looks overlap, which a union bound ignores
	last := 0.5 * math.Erfc(bounds[k-1]/math.Sqrt2)
	increment := alpha * (1 - math.Pow(float64(k-1)/k, 3))
	if !(last > 1.5*increment) {
		t.Errorf("last look's nominal level %.4g, spent increment %.4g", last, increment)
	}
	t.Logf("12 looks, α 0.05, ρ 3: last nominal level %.4g (union bound %.4g)", last, increment)
}

func TestGroupSequentialBadInput(t *testing.T) {
	for _, c := range []struct {
		alpha float64
		t     []float64
	}{{0, []float64{1}}, {0.05, nil}, {0.05, []float64{0.5, 0.5, 1}}, {0.05, []float64{0, 1}}, {0.05, []float64{0.5, 1.5}}} {
		if _, err := GroupSequentialBounds(c.alpha, c.t, PowerSpending(3)); err == nil {
			t.Errorf("%v %v accepted", c.alpha, c.t)
		}
	}
}

func BenchmarkGroupSequentialBounds(b *testing.B) {
	for _, k := range []int{12, 60, 100} {
		b.Run(fmt.Sprintf("looks=%d", k), func(b *testing.B) {
			for b.Loop() {
				if _, err := GroupSequentialBounds(0.001, equalFractions(k), PowerSpending(3)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
