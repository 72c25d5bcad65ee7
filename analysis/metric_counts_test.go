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

// TestMWLevelAchievable: the widest Hodges–Lehmann interval of 3 vs 3
// values has level 1 − 2/20 = 90 %; 98 % needs more values.
func TestMWLevelAchievable(t *testing.T) {
	for _, tc := range []struct {
		n, m int
		a2   float64
		want bool
	}{
		{3, 3, 0.02, false},
		{3, 3, 0.2, true},
		{1, 3, 0.5, true},
		{1, 3, 0.4, false},
		{5, 5, 0.02, true},
		{60, 60, 1e-6, true},
		{60, 1, 0.02, false},
	} {
		if got := mwLevelAchievable(tc.n, tc.m, tc.a2); got != tc.want {
			t.Errorf("%d vs %d at two-sided %g: %v, want %v", tc.n, tc.m, tc.a2, got, tc.want)
		}
	}
}
