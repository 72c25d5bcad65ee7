package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// refCase is one case of testdata/reference.json.
type refCase struct {
	Kind string    `json:"kind"`
	XS   []float64 `json:"x"`
	YS   []float64 `json:"y"`
	L    float64   `json:"lo"`
	H    float64   `json:"hi"`
	P    float64   `json:"p"`
	K    int       `json:"k"`
	N    int       `json:"n"`
}

// TestStatsAgainstR compares the references' statistics with R
// (testdata/gen_reference.R).
func TestStatsAgainstR(t *testing.T) {
	b, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []refCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		t.Run(c.Kind, func(t *testing.T) {
			switch c.Kind {
			case "hl":
				// R finds the bounds with uniroot (tolerance 1e-4).
				_, lo, hi := hodgesLehmann(c.XS, c.YS, 0.98)
				if math.Abs(lo-c.L) > 1e-4 || math.Abs(hi-c.H) > 1e-4 {
					t.Errorf("case %d: interval [%v, %v], R [%v, %v]", i, lo, hi, c.L, c.H)
				}
			case "t":
				p, ok := tTest(c.XS, c.YS)
				if !ok || math.Abs(p-c.P) > 1e-9*math.Max(1, c.P) {
					t.Errorf("case %d: p %v (ok %v), R %v", i, p, ok, c.P)
				}
			case "wilson":
				lo, hi := wilson(c.K, c.N)
				if math.Abs(lo-c.L) > 1e-12 || math.Abs(hi-c.H) > 1e-12 {
					t.Errorf("case %d: %d of %d: [%v, %v], R [%v, %v]", i, c.K, c.N, lo, hi, c.L, c.H)
				}
			default:
				t.Fatalf("unknown kind %q", c.Kind)
			}
		})
	}
}

// TestHodgesLehmannOrderStatistics checks the bisection against every
// difference materialised and sorted.
func TestHodgesLehmannOrderStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		n, m int
		draw func() float64
	}{
		{"continuous", 37, 52, func() float64 { return rng.NormFloat64() }},
		{"ties", 60, 45, func() float64 { return float64(rng.IntN(5)) / 60 }},
		{"signed zeros", 9, 11, func() float64 { return []float64{0, math.Copysign(0, -1), 1, -1}[rng.IntN(4)] }},
		{"one each", 1, 1, func() float64 { return rng.Float64() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, y := make([]float64, tc.n), make([]float64, tc.m)
			for i := range x {
				x[i] = tc.draw()
			}
			for i := range y {
				y[i] = tc.draw()
			}
			var d []float64
			for _, a := range x {
				for _, b := range y {
					d = append(d, a-b)
				}
			}
			slices.Sort(d)
			sx, sy := slices.Clone(x), slices.Clone(y)
			slices.Sort(sx)
			slices.Sort(sy)
			for k := 1; k <= len(d); k += max(1, len(d)/50) {
				if got := kthDiff(sx, sy, k); got != d[k-1] {
					t.Fatalf("k=%d: %v, want %v", k, got, d[k-1])
				}
			}
			est, _, _ := hodgesLehmann(x, y, 0.98)
			want := d[len(d)/2]
			if len(d)%2 == 0 {
				want = (d[len(d)/2-1] + d[len(d)/2]) / 2
			}
			if est != want {
				t.Errorf("estimate %v, want the median difference %v", est, want)
			}
		})
	}
}

func TestKayentaHigh(t *testing.T) {
	// Kayenta's own example: shift 22.5, 98 % interval [6, 39]; 6 is
	// above the band ¼·22.5 = 5.6.
	if !kayentaHigh([]float64{10, 20, 30, 40}, []float64{1, 2, 3, 4}) {
		t.Error("Kayenta's example is not High")
	}
	if kayentaHigh([]float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}) {
		t.Error("a decrease is High")
	}
	if kayentaHigh(nil, []float64{1}) {
		t.Error("no canary data is High")
	}
}

func TestTTestWithoutATest(t *testing.T) {
	for _, tc := range []struct {
		name string
		x, y []float64
	}{
		{"one value each", []float64{1}, []float64{2}},
		{"no variance", []float64{1, 1}, []float64{1, 1}},
		{"empty", nil, []float64{1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if p, ok := tTest(tc.x, tc.y); ok {
				t.Errorf("p %v: a test without the data for one", p)
			}
		})
	}
}

func TestBucketQuantile(t *testing.T) {
	bounds := []float64{1, 2, 4}
	for _, tc := range []struct {
		q      float64
		counts []int32
		want   float64
	}{
		{0.5, []int32{10, 10, 0, 0}, 1},        // rank 10: the top of the first bucket
		{0.75, []int32{10, 10, 0, 0}, 1.5},     // rank 15: halfway through (1, 2]
		{0.99, []int32{0, 0, 10, 0}, 3.98},     // within (2, 4]
		{0.99, []int32{1, 0, 0, 99}, 4},        // in +Inf: the highest finite bound
		{0.5, []int32{0, 0, 0, 0}, math.NaN()}, // no requests
	} {
		got := bucketQuantile(tc.q, bounds, tc.counts)
		if !(math.Abs(got-tc.want) < 1e-12 || math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("q %v of %v: %v, want %v", tc.q, tc.counts, got, tc.want)
		}
	}
}
