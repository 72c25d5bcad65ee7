package analysis

import (
	"math"
	"slices"
	"testing"
)

// TestCommonHistograms: bucket lists of different native schemas map onto
// the edges none of them straddles; classic buckets keep their layout.
func TestCommonHistograms(t *testing.T) {
	s2 := math.Sqrt2
	for _, tc := range []struct {
		name   string
		lists  [][]bucket
		bounds []float64
		counts [][]float64
	}{
		{
			name: "schema 1 and schema 0",
			lists: [][]bucket{
				{{lo: 1, hi: s2, n: 1}, {lo: s2, hi: 2, n: 2}, {lo: 2, hi: 2 * s2, n: 3}},
				{{lo: -1e-9, hi: 1e-9, n: 4}, {lo: 1, hi: 2, n: 5}, {lo: 2, hi: 4, n: 6}},
			},
			bounds: []float64{-1e-9, 1e-9, 1, 2, 4},
			counts: [][]float64{{0, 0, 0, 3, 3, 0}, {0, 4, 0, 5, 6, 0}},
		},
		{
			name: "classic buckets",
			lists: [][]bucket{
				{{lo: math.Inf(-1), hi: 0.1, n: 5}, {lo: 0.1, hi: 0.5, n: 4}, {lo: 0.5, hi: math.Inf(1), n: 1}},
				{{lo: math.Inf(-1), hi: 0.1, n: 3}, {lo: 0.1, hi: 0.5, n: 3}, {lo: 0.5, hi: math.Inf(1), n: 4}},
			},
			bounds: []float64{0.1, 0.5},
			counts: [][]float64{{5, 4, 1}, {3, 3, 4}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs, err := commonHistograms(tc.lists)
			if err != nil {
				t.Fatal(err)
			}
			for i, h := range hs {
				if !slices.Equal(h.Bounds, tc.bounds) || !slices.Equal(h.Counts, tc.counts[i]) {
					t.Errorf("histogram %d: bounds %v counts %v, want %v %v", i, h.Bounds, h.Counts, tc.bounds, tc.counts[i])
				}
			}
		})
	}
}
