package analysis

import (
	"math"
	"testing"
)

func TestMoreTrials(t *testing.T) {
	// A band [0.8, 1.25] (centre 1 on the log scale, half-width log 1.25)
	// must shrink to half-width log 1.1 to exclude a 10 % margin: (log 1.25
	// / log 1.1)² ≈ 5.23 times the data, 4.23 times more.
	got, ok := moreTrials(0.8, 1.25, 1.1, 10_000)
	if want := 10_000 * (math.Pow(math.Log(1.25)/math.Log(1.1), 2) - 1); !ok || math.Abs(got-want) > 1e-6 {
		t.Errorf("got %g %v, want %g", got, ok, want)
	}
	if _, ok := moreTrials(1.05, 1.3, 1.1, 10_000); ok {
		t.Error("centre above the bound: more data would not do")
	}
	if _, ok := moreTrials(0.9, 1.05, 1.1, 10_000); ok {
		t.Error("already under the bound")
	}
	for x, want := range map[float64]string{940: "940", 1234: "1.2k", 41_300: "41k", 1_234_567: "1.2M"} {
		if got := roughCount(x); got != want {
			t.Errorf("roughCount(%g) = %q, want %q", x, got, want)
		}
	}
}
