package judges

import (
	"math"
	"os"
	"testing"
)

// TestMannWhitneyHugeSamples runs n = m = 1e8 (about 5 GB of memory), so
// it only runs when AUGUR_HUGE_TESTS=1: U must stay exact where 2U passes
// 2^53. Canary x_i = 2i, baseline y_j = 2j+1: #{x > y} = n(n−1)/2, so
// 2U = n(n−1) exactly, and with no ties σ² = n²(2n+1)/12.
func TestMannWhitneyHugeSamples(t *testing.T) {
	if os.Getenv("AUGUR_HUGE_TESTS") != "1" {
		t.Skip("set AUGUR_HUGE_TESTS=1 to run (n = m = 1e8)")
	}
	const n = 100_000_000
	x := make([]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = float64(2 * i)
		y[i] = float64(2*i + 1)
	}
	r, err := MannWhitneyTest(x, y, MannWhitneyOptions{Method: MethodAsymptotic, SkipShift: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(n) * (n - 1); r.TwoU != want {
		t.Errorf("2U = %d, want %d", r.TwoU, want)
	}
	nf := float64(n)
	sigma := math.Sqrt(nf * nf * (2*nf + 1) / 12)
	// U − nm/2 = −n/2: the canary is slightly smaller, so Z is negative.
	z := -(nf/2 - 0.5) / sigma
	if math.Abs(r.Z-z) > 1e-9*math.Abs(z) {
		t.Errorf("z = %v, want %v", r.Z, z)
	}
	if !(r.PValue > 0.99) {
		t.Errorf("p = %v: the samples interleave, so no difference", r.PValue)
	}
}
