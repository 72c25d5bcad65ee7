package judges

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// expand turns a histogram with integer counts into raw observations, each
// at its bucket's upper bound (+Inf for the last bucket).
func expand(h Histogram) []float64 {
	var s []float64
	for i, c := range h.Counts {
		v := inf
		if i < len(h.Bounds) {
			v = h.Bounds[i]
		}
		for range int(c) {
			s = append(s, v)
		}
	}
	return s
}

func randomHistogram(rng *rand.Rand, bounds []float64, total int) Histogram {
	h := Histogram{Bounds: bounds, Counts: make([]float64, len(bounds)+1)}
	for range total {
		h.Counts[min(rng.IntN(len(h.Counts)+2), len(h.Counts)-1)]++
	}
	return h
}

// Binned U and p equal the raw test on the expanded samples.
func TestMannWhitneyBinnedMatchesRaw(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	bounds := []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	for iter := range 500 {
		b := bounds[:1+rng.IntN(len(bounds))]
		x, y := randomHistogram(rng, b, 1+rng.IntN(300)), randomHistogram(rng, b, 1+rng.IntN(300))
		for _, alt := range []Alternative{TwoSided, Greater, Less} {
			opts := MannWhitneyOptions{Alternative: alt}
			got, err := MannWhitneyBinned(x, y, opts)
			if err != nil {
				t.Fatal(err)
			}
			opts.Method = MethodAsymptotic
			want, err := MannWhitneyTest(expand(x), expand(y), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got.U != want.U || got.Z != want.Z && relErr(got.Z, want.Z) > 1e-12 || relErr(got.PValue, want.PValue) > 1e-12 {
				t.Fatalf("iter %d %s: binned U %v Z %v p %v, raw U %v Z %v p %v", iter, alt, got.U, got.Z, got.PValue, want.U, want.Z, want.PValue)
			}
			if got.Method != MethodAsymptotic || got.NCanary != want.NCanary || got.CLES != want.CLES {
				t.Fatalf("method %v n %d/%d CLES %v/%v", got.Method, got.NCanary, want.NCanary, got.CLES, want.CLES)
			}
			if !math.IsNaN(got.Estimate) || !math.IsNaN(got.CILow) || !strings.Contains(got.Note, "binned") {
				t.Fatalf("HL on binned data: %v [%v, %v] note %q", got.Estimate, got.CILow, got.CIHigh, got.Note)
			}
		}
	}
}

func TestMannWhitneyBinnedErrors(t *testing.T) {
	h := func(b []float64, c ...float64) Histogram { return Histogram{Bounds: b, Counts: c} }
	for _, tc := range []struct {
		x, y Histogram
		opts MannWhitneyOptions
		want string
	}{
		{h([]float64{1, 2}, 1, 2, 3), h([]float64{1}, 1, 2), MannWhitneyOptions{}, "bucket layouts differ: canary has 2 bounds, baseline 1"},
		{h([]float64{1, 2}, 1, 2, 3), h([]float64{1, 3}, 1, 2, 3), MannWhitneyOptions{}, "bound 1 is 2 for the canary, 3 for the baseline"},
		{h([]float64{1}, 1, 2), h([]float64{1}, 1, 2), MannWhitneyOptions{Method: MethodExact}, "without ties"},
		{h([]float64{1}, -1, 2), h([]float64{1}, 1, 2), MannWhitneyOptions{}, "negative"},
		{h([]float64{2, 1}, 1, 1, 1), h([]float64{2, 1}, 1, 1, 1), MannWhitneyOptions{}, "ascending"},
		{h([]float64{1}, 1), h([]float64{1}, 1, 2), MannWhitneyOptions{}, "counts"},
		{h([]float64{1}, 0, 0), h([]float64{1}, 1, 2), MannWhitneyOptions{}, "canary: no data"},
	} {
		_, err := MannWhitneyBinned(tc.x, tc.y, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v vs %+v: err %v, want %q", tc.x, tc.y, err, tc.want)
		}
	}
	_, err := MannWhitneyBinned(h([]float64{1}, 0, 0), h([]float64{1}, 0, 0), MannWhitneyOptions{})
	if !errors.Is(err, ErrNoData) {
		t.Errorf("empty: %v", err)
	}
	r, err := MannWhitneyBinned(h([]float64{1}, 3, 0), h([]float64{1}, 2.5, 0), MannWhitneyOptions{})
	if err != nil || r.PValue != 1 || !strings.Contains(r.Note, "σ = 0") {
		t.Errorf("one bucket: %+v %v", r, err)
	}
	// Fractional counts (after rate()) are fine.
	r, err = MannWhitneyBinned(h([]float64{1, 2}, 0.5, 3.25, 1), h([]float64{1, 2}, 2.75, 1.5, 0.25), MannWhitneyOptions{Alternative: Greater})
	if err != nil || !(r.PValue > 0 && r.PValue < 1) || r.U != 0.5*(0+2.75/2)+3.25*(2.75+0.75)+1*(4.25+0.125) {
		t.Errorf("fractional: U %v p %v %v", r.U, r.PValue, err)
	}
}

func TestHistogramFromCumulative(t *testing.T) {
	h, err := HistogramFromCumulative([]float64{0.1, 0.5, 1}, []float64{2, 5, 5, 9})
	if err != nil || len(h.Bounds) != 3 || h.Counts[0] != 2 || h.Counts[1] != 3 || h.Counts[2] != 0 || h.Counts[3] != 4 {
		t.Errorf("%+v %v", h, err)
	}
	h, err = HistogramFromCumulative([]float64{0.1, inf}, []float64{2, 5})
	if err != nil || len(h.Bounds) != 1 || h.Counts[1] != 3 {
		t.Errorf("+Inf bound: %+v %v", h, err)
	}
	if _, err := HistogramFromCumulative([]float64{1, 2}, []float64{5, 4, 6}); err == nil || !strings.Contains(err.Error(), "decrease") {
		t.Errorf("decreasing: %v", err)
	}
	if _, err := HistogramFromCumulative([]float64{1, 2}, []float64{5, 4}); err == nil {
		t.Error("short cumulative accepted")
	}
}

func TestHistogramFromExponential(t *testing.T) {
	h, err := HistogramFromExponential(0, 3, map[int32]float64{1: 2, 3: 5})
	if err != nil {
		t.Fatal(err)
	}
	wantB := []float64{0, 2, 4, 8}
	wantC := []float64{3, 2, 0, 5, 0}
	for i := range wantB {
		if h.Bounds[i] != wantB[i] {
			t.Fatalf("bounds %v, want %v", h.Bounds, wantB)
		}
	}
	for i := range wantC {
		if h.Counts[i] != wantC[i] {
			t.Fatalf("counts %v, want %v", h.Counts, wantC)
		}
	}
	h, err = HistogramFromExponential(3, 0, map[int32]float64{-2: 1, 8: 1})
	if err != nil || h.Bounds[1] != math.Exp2(-0.25) || h.Bounds[len(h.Bounds)-1] != 2 || len(h.Counts) != 13 {
		t.Errorf("schema 3: %+v %v", h, err)
	}
	if _, err := HistogramFromExponential(9, 0, nil); err == nil {
		t.Error("schema 9 accepted")
	}
}
