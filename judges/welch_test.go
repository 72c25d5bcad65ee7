package judges

import (
	"math"
	"strings"
	"testing"
)

func TestWelchReference(t *testing.T) {
	ref := loadTestsReference(t)
	if len(ref.Welch) < 30 {
		t.Fatalf("%d Welch cases, want ≥ 30", len(ref.Welch))
	}
	for _, c := range ref.Welch {
		t.Run(c.ID+" "+c.Name, func(t *testing.T) {
			r, err := Welch(refFloats(c.X), refFloats(c.Y), c.Alternative, c.Confidence)
			if err != nil {
				t.Fatal(err)
			}
			const tol = 1e-8
			for _, chk := range []struct {
				what      string
				got, want float64
			}{
				{"T vs scipy", r.T, float64(c.ScipyT)},
				{"p vs scipy", r.PValue, float64(c.ScipyP)},
				{"T vs R", r.T, float64(c.RT)},
				{"DF vs R", r.DF, float64(c.RDF)},
				{"p vs R", r.PValue, float64(c.RP)},
				{"CI low vs R", r.CILow, float64(c.RCILow)},
				{"CI high vs R", r.CIHigh, float64(c.RCIHigh)},
			} {
				if !refRelClose(chk.got, chk.want, tol) {
					t.Errorf("%s: %.17g, reference %.17g", chk.what, chk.got, chk.want)
				}
			}
		})
	}
}

func TestWelchZeroVariance(t *testing.T) {
	for _, c := range [][2][]float64{
		{{3, 3, 3}, {3, 3}},
		{{3, 3, 3}, {4, 4, 4, 4}},
	} {
		r, err := Welch(c[0], c[1], TwoSided, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if !math.IsNaN(r.T) || !math.IsNaN(r.PValue) || !math.IsNaN(r.CILow) || r.Note == "" {
			t.Errorf("%v: T %v p %v CI [%v, %v] note %q; want NaN with a note", c, r.T, r.PValue, r.CILow, r.CIHigh, r.Note)
		}
	}
}

func TestWelchInputs(t *testing.T) {
	nan := math.NaN()
	r, err := Welch([]float64{1, nan, 2, 3}, []float64{nan, 5, 6}, Greater, 0.9)
	if err != nil || r.NCanary != 3 || r.NBaseline != 2 || r.DroppedNaNCanary != 1 || r.DroppedNaNBaseline != 1 {
		t.Errorf("NaN handling: %+v, %v", r, err)
	}
	for _, bad := range []struct {
		x, y []float64
		alt  Alternative
		conf float64
		want string
	}{
		{[]float64{1}, []float64{1, 2}, TwoSided, 0.95, "canary"},
		{[]float64{1, 2}, []float64{nan, 2}, TwoSided, 0.95, "baseline"},
		{[]float64{1, 2}, []float64{1, 2}, "up", 0.95, "alternative"},
		{[]float64{1, 2}, []float64{1, 2}, TwoSided, 1, "confidence"},
		{[]float64{1, math.Inf(1)}, []float64{1, 2}, TwoSided, 0.95, "Inf"},
	} {
		if _, err := Welch(bad.x, bad.y, bad.alt, bad.conf); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Welch(%v, %v, %v, %v) error %v, want one naming %q", bad.x, bad.y, bad.alt, bad.conf, err, bad.want)
		}
	}
}

// Swapping the samples flips T and Diff and mirrors the one-sided p-values.
func TestWelchPropertySwap(t *testing.T) {
	for seed := range 20 {
		x, y := propertySamplesWelch(seed)
		a, _ := Welch(x, y, Greater, 0.95)
		b, _ := Welch(y, x, Less, 0.95)
		two1, _ := Welch(x, y, TwoSided, 0.95)
		two2, _ := Welch(y, x, TwoSided, 0.95)
		if a.T != -b.T || a.DF != b.DF || a.PValue != b.PValue || two1.PValue != two2.PValue {
			t.Errorf("seed %d: T %v/%v DF %v/%v p %v/%v two-sided %v/%v", seed, a.T, b.T, a.DF, b.DF, a.PValue, b.PValue, two1.PValue, two2.PValue)
		}
		g, _ := Welch(x, y, Less, 0.95)
		if math.Abs(a.PValue+g.PValue-1) > 1e-15 {
			t.Errorf("seed %d: greater %v + less %v ≠ 1", seed, a.PValue, g.PValue)
		}
		if lo, hi := two1.CILow, two1.CIHigh; !(lo < two1.Diff && two1.Diff < hi) || math.Abs((lo+hi)/2-two1.Diff) > 1e-12*math.Max(1, math.Abs(two1.Diff)) {
			t.Errorf("seed %d: CI [%v, %v] not centred on %v", seed, lo, hi, two1.Diff)
		}
	}
}

// propertySamplesWelch returns two deterministic pseudo-random samples.
func propertySamplesWelch(seed int) (x, y []float64) {
	s := uint64(seed)*0x9E3779B97F4A7C15 + 1
	next := func() float64 {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		return float64(s>>11) / (1 << 53)
	}
	n, m := 2+seed%7, 3+seed%5
	for range n {
		x = append(x, 10*next()+float64(seed%3))
	}
	for range m {
		y = append(y, 5*next())
	}
	return x, y
}

func FuzzWelch(f *testing.F) {
	f.Add([]byte{3, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0}, 1.0, uint8(0), 0.95)
	f.Add([]byte{2, 1, 0, 1, 0, 1, 0, 1, 0}, 1e300, uint8(1), 0.5)
	f.Add([]byte{2, 0xFD, 0xFF, 0xFC, 0xFF, 0xFF, 0xFF, 0, 0}, 1e-300, uint8(2), 0.99)
	f.Fuzz(func(t *testing.T, data []byte, scale float64, dir uint8, confidence float64) {
		x, y := fuzzSamples(data, scale)
		alt := []Alternative{TwoSided, Greater, Less}[int(dir)%3]
		r, err := Welch(x, y, alt, confidence)
		if err != nil {
			return
		}
		checkFuzzP(t, r.PValue, r.Note)
	})
}

// checkFuzzP fails unless p is in [0, 1], or NaN with a note.
func checkFuzzP(t *testing.T, p float64, note string) {
	t.Helper()
	if math.IsNaN(p) {
		if note == "" {
			t.Fatalf("p is NaN without a note")
		}
		return
	}
	if !(p >= 0 && p <= 1) {
		t.Fatalf("p = %v outside [0, 1]", p)
	}
}
