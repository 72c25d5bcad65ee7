package judges

import (
	"math"
	"testing"
)

func TestSampleRatioMismatchReference(t *testing.T) {
	ref := loadTestsReference(t)
	if len(ref.SRM) < 10 {
		t.Fatalf("%d SRM cases, want ≥ 10", len(ref.SRM))
	}
	for _, c := range ref.SRM {
		t.Run(c.ID+" "+c.Name, func(t *testing.T) {
			r, err := SampleRatioMismatch(c.Observed, c.Weights)
			if err != nil {
				t.Fatal(err)
			}
			for _, chk := range []struct {
				what      string
				got, want float64
			}{
				{"χ² vs scipy", r.ChiSquare, float64(c.ScipyChi2)},
				{"χ² vs R", r.ChiSquare, float64(c.RChi2)},
				{"p vs scipy", r.PValue, float64(c.ScipyP)},
				{"p vs R", r.PValue, float64(c.RP)},
			} {
				if !refRelClose(chk.got, chk.want, 1e-9) && !(chk.want < 1e-300 && chk.got < 1e-290) {
					t.Errorf("%s: %.17g, reference %.17g", chk.what, chk.got, chk.want)
				}
			}
			if r.Mismatch != (float64(c.ScipyP) < DefaultSRMThreshold) {
				t.Errorf("Mismatch %v at p %v", r.Mismatch, r.PValue)
			}
		})
	}
}

func TestSampleRatioMismatchInputs(t *testing.T) {
	for _, c := range []struct {
		obs []int64
		w   []float64
	}{
		{[]int64{1}, []float64{1}},
		{[]int64{1, 2}, []float64{1}},
		{[]int64{-1, 2}, []float64{1, 1}},
		{[]int64{1, 2}, []float64{0, 1}},
		{[]int64{1, 2}, []float64{math.NaN(), 1}},
		{[]int64{1, 2}, []float64{math.Inf(1), 1}},
	} {
		if _, err := SampleRatioMismatch(c.obs, c.w); err == nil {
			t.Errorf("%v %v accepted", c.obs, c.w)
		}
	}
	if _, err := SampleRatioMismatchAt([]int64{1, 2}, []float64{1, 1}, 0); err == nil {
		t.Error("threshold 0 accepted")
	}
	r, err := SampleRatioMismatch([]int64{0, 0}, []float64{1, 1})
	if err != nil || !math.IsNaN(r.PValue) || r.Mismatch || r.Note == "" {
		t.Errorf("all empty: %+v %v", r, err)
	}
	r, _ = SampleRatioMismatchAt([]int64{5100, 4900}, []float64{1, 1}, 0.05)
	if !r.Mismatch {
		t.Errorf("p %v at threshold 0.05 not flagged", r.PValue)
	}
}

func FuzzSampleRatioMismatch(f *testing.F) {
	f.Add(int64(5000), int64(5000), int64(0), 1.0, 1.0, 0.0)
	f.Add(int64(0), int64(0), int64(3), 0.9, 0.1, 1.0)
	f.Fuzz(func(t *testing.T, a, b, c int64, wa, wb, wc float64) {
		obs, w := []int64{a, b}, []float64{wa, wb}
		if c != 0 {
			obs, w = append(obs, c), append(w, wc)
		}
		r, err := SampleRatioMismatch(obs, w)
		if err != nil {
			return
		}
		checkFuzzP(t, r.PValue, r.Note)
	})
}
