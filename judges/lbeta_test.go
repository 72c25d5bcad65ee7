package judges

import (
	"math"
	"testing"
)

// Values printed by R 4.2.2 lbeta with sprintf("%.17g").
func TestLbetaMatchesR(t *testing.T) {
	for _, c := range []struct{ a, b, want float64 }{
		{1e7, 3, -47.661140072314986},
		{1.5e7, 2.5e7, -26462536.634159304},
		{12.5, 30, -25.908683991310077},
		{3, 4, -4.0943445622221004},
		{0.5, 0.5, 1.1447298858494004},
		{5, 1e6, -65.89950895945843},
		{0.001, 20, 6.9042083357566382},
	} {
		got := lbeta(c.a, c.b)
		if d := math.Abs(got - c.want); d > 1e-14*math.Max(1, math.Abs(c.want)) {
			t.Errorf("lbeta(%v, %v) = %.17g, R %.17g", c.a, c.b, got, c.want)
		}
	}
	if got := lchoose(10, 3); math.Abs(got-math.Log(120)) > 1e-14 {
		t.Errorf("lchoose(10, 3) = %v", got)
	}
	if got := lchoose(10, 11); !math.IsInf(got, -1) {
		t.Errorf("lchoose(10, 11) = %v, want -Inf", got)
	}
}
