package analysis

import (
	"math"
	"testing"
)

// TestNewcombe checks the hybrid score interval against Newcombe (1998),
// "Interval estimation for the difference between independent
// proportions", Statistics in Medicine 17:873–890, Table II, method 10.
func TestNewcombe(t *testing.T) {
	for _, tc := range []struct {
		x1, n1, x2, n2 int64
		lo, hi         float64
	}{
		{56, 70, 48, 80, 0.0524, 0.3339},
		{9, 10, 3, 10, 0.1705, 0.8090},
	} {
		lo, hi := newcombe(tc.x1, tc.n1, tc.x2, tc.n2, 0.95)
		if math.Abs(lo-tc.lo) > 1e-4 || math.Abs(hi-tc.hi) > 1e-4 {
			t.Errorf("%d/%d − %d/%d: [%.4f, %.4f], want [%.4f, %.4f]", tc.x1, tc.n1, tc.x2, tc.n2, lo, hi, tc.lo, tc.hi)
		}
	}
}
