package judges

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

var (
	inf  = math.Inf(1)
	ninf = math.Inf(-1)
	nan  = math.NaN()
	negz = math.Copysign(0, -1)
)

// bruteForce materialises all differences (with the Inf − Inf = 0 rule) and
// counts U pair by pair: the independent reference for the fast paths, for
// the two-sided test with MethodAuto.
func bruteForce(x, y []float64, confidence float64) (u, est, lo, hi float64) {
	return bruteForceOpts(x, y, MannWhitneyOptions{Alternative: TwoSided, Method: MethodAuto, Confidence: confidence})
}

// bruteForceOpts is bruteForce for any alternative and method; the interval
// ranks come from ciRanks or the exact distribution (tested on their own).
func bruteForceOpts(x, y []float64, opts MannWhitneyOptions) (u, est, lo, hi float64) {
	x, _ = sortedClean(x)
	y, _ = sortedClean(y)
	d := make([]float64, 0, len(x)*len(y))
	for _, a := range x {
		for _, b := range y {
			switch {
			case a > b:
				u++
			case a == b:
				u += 0.5
			}
			d = append(d, diff(a, b))
		}
	}
	slices.Sort(d)
	k := len(d) / 2
	if len(d)%2 == 1 {
		est = d[k]
	} else {
		est = midpoint(d[k-1], d[k])
	}
	rk := mergeRanks(x, y)
	tieFree := len(slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(x), y...))))) == len(x)+len(y)
	exact := opts.Method == MethodExact || (opts.Method == MethodAuto && len(x) < 50 && len(y) < 50 && tieFree)
	var kL, kU int64
	if exact {
		kL, kU, _ = newWilcoxDist(len(x), len(y)).exactCIRanks(opts.Confidence, opts.Alternative)
	} else {
		kL, kU = ciRanks(len(x), len(y), rk.tiesX, rk.tiesY, opts.Confidence, opts.Alternative)
	}
	lo, hi = math.Inf(-1), math.Inf(1)
	if kL > 0 {
		lo = d[kL-1]
	}
	if kU > 0 {
		hi = d[kU-1]
	}
	return u, est, lo, hi
}

func same(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

// randomSample draws values with heavy ties, signed zeros, infinities and NaN.
func randomSample(rng *rand.Rand, n int, kind int) []float64 {
	s := make([]float64, n)
	for i := range s {
		switch kind {
		case 0: // continuous
			s[i] = rng.NormFloat64()*3 + 1
		case 1: // heavy ties
			s[i] = float64(rng.IntN(5) - 2)
		default: // everything nasty
			switch rng.IntN(12) {
			case 0:
				s[i] = inf
			case 1:
				s[i] = ninf
			case 2:
				s[i] = nan
			case 3:
				s[i] = negz
			case 4:
				s[i] = 0
			default:
				s[i] = float64(rng.IntN(7)-3) * 0.1
			}
		}
	}
	return s
}

func TestMannWhitneyMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alts := []Alternative{TwoSided, Greater, Less}
	methods := []Method{MethodAuto, MethodAsymptotic, MethodExact}
	for iter := range 3000 {
		n, m := 1+rng.IntN(40), 1+rng.IntN(40)
		x, y := randomSample(rng, n, iter%3), randomSample(rng, m, (iter/3)%3)
		opts := MannWhitneyOptions{
			Alternative: alts[iter%3],
			Method:      methods[(iter/9)%3],
			Confidence:  []float64{0.5, 0.9, 0.98, 0.999999}[iter%4],
		}
		r, err := MannWhitneyTest(x, y, opts)
		if errors.Is(err, ErrNoData) {
			continue
		}
		if err != nil && opts.Method == MethodExact && strings.Contains(err.Error(), "ties") {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		u, est, lo, hi := bruteForceOpts(x, y, opts)
		if r.U != u || r.TwoU != int64(2*u) || !same(r.Estimate, est) || r.CILow != lo || r.CIHigh != hi {
			t.Fatalf("x=%v y=%v %+v:\n got U %v est %v CI [%v, %v]\nwant U %v est %v CI [%v, %v]",
				x, y, opts, r.U, r.Estimate, r.CILow, r.CIHigh, u, est, lo, hi)
		}
		if math.IsNaN(r.PValue) || r.PValue < 0 || r.PValue > 1 {
			t.Fatalf("p = %v", r.PValue)
		}
		if opts.Method != MethodAuto && r.Method != opts.Method {
			t.Fatalf("method %v, asked %v", r.Method, opts.Method)
		}
	}
}

func TestMannWhitneyInputs(t *testing.T) {
	t.Run("confidence out of range", func(t *testing.T) {
		for _, c := range []float64{0, 1, -0.5, 1.5, nan} {
			if _, err := MannWhitney([]float64{1}, []float64{2}, c); err == nil {
				t.Errorf("confidence %v accepted", c)
			}
		}
	})
	t.Run("no data names the side", func(t *testing.T) {
		for _, tc := range []struct {
			x, y []float64
			side string
		}{
			{nil, []float64{1}, "canary"},
			{[]float64{nan, nan}, []float64{1}, "canary"},
			{[]float64{1}, []float64{nan}, "baseline"},
			{nil, nil, "canary and baseline"},
		} {
			r, err := MannWhitney(tc.x, tc.y, 0.98)
			if !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), tc.side) {
				t.Errorf("%v vs %v: err %v, want ErrNoData naming %s", tc.x, tc.y, err, tc.side)
			}
			if r.DroppedNaNCanary+r.NCanary != len(tc.x) || r.DroppedNaNBaseline+r.NBaseline != len(tc.y) {
				t.Errorf("counts %+v", r)
			}
		}
	})
	t.Run("NaN dropped and counted", func(t *testing.T) {
		r, err := MannWhitney([]float64{nan, 3, 4, nan}, []float64{1, nan, 2}, 0.98)
		if err != nil {
			t.Fatal(err)
		}
		if r.NCanary != 2 || r.NBaseline != 2 || r.DroppedNaNCanary != 2 || r.DroppedNaNBaseline != 1 {
			t.Errorf("counts %+v", r)
		}
		if r.U != 4 || r.Estimate != 2 {
			t.Errorf("U %v estimate %v, want 4 and 2", r.U, r.Estimate)
		}
	})
	t.Run("caller slices unmodified", func(t *testing.T) {
		x, y := []float64{3, nan, 1, negz, 2}, []float64{5, 4, nan}
		x0, y0 := slices.Clone(x), slices.Clone(y)
		if _, err := MannWhitney(x, y, 0.98); err != nil {
			t.Fatal(err)
		}
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(x0[i]) {
				t.Fatalf("canary modified: %v", x)
			}
		}
		for i := range y {
			if math.Float64bits(y[i]) != math.Float64bits(y0[i]) {
				t.Fatalf("baseline modified: %v", y)
			}
		}
	})
	t.Run("signed zeros tie", func(t *testing.T) {
		r, err := MannWhitney([]float64{negz, negz}, []float64{0, 0, 0}, 0.98)
		if err != nil {
			t.Fatal(err)
		}
		if r.U != 3 || r.PValue != 1 || !strings.Contains(r.Note, "σ = 0") {
			t.Errorf("U %v p %v note %q", r.U, r.PValue, r.Note)
		}
		if math.Signbit(r.Estimate) || math.Signbit(r.CILow) || math.Signbit(r.CIHigh) {
			t.Errorf("estimate/CI carry −0: %v [%v, %v]", r.Estimate, r.CILow, r.CIHigh)
		}
	})
	t.Run("infinities rank", func(t *testing.T) {
		r, err := MannWhitney([]float64{inf, 5, inf}, []float64{ninf, 4, inf}, 0.98)
		if err != nil {
			t.Fatal(err)
		}
		// x>y pairs: inf>{-inf,4} twice = 4, 5>{-inf,4} = 2; ties inf=inf twice.
		if r.U != 7 {
			t.Errorf("U = %v, want 7", r.U)
		}
		if !math.IsNaN(r.MeanRatio) || !strings.Contains(r.MeanRatioNote, "Inf") {
			t.Errorf("mean ratio %v note %q", r.MeanRatio, r.MeanRatioNote)
		}
	})
	t.Run("estimate undefined between -Inf and +Inf", func(t *testing.T) {
		r, err := MannWhitney([]float64{ninf, inf}, []float64{0}, 0.98)
		if err != nil {
			t.Fatal(err)
		}
		if !math.IsNaN(r.Estimate) || !strings.Contains(r.Note, "undefined") {
			t.Errorf("estimate %v note %q", r.Estimate, r.Note)
		}
		if r.CILow != ninf || r.CIHigh != inf {
			t.Errorf("CI [%v, %v]", r.CILow, r.CIHigh)
		}
	})
	t.Run("mean ratio", func(t *testing.T) {
		for _, tc := range []struct {
			x, y  []float64
			ratio float64
			note  string
		}{
			{[]float64{2, 4}, []float64{1, 2}, 2, ""},
			{[]float64{1, 2}, []float64{0, 0}, nan, "baseline mean is 0"},
			{[]float64{1, 2}, []float64{-1, -2}, -1, "negative"},
			{[]float64{1e308, 1e308}, []float64{1}, nan, "overflows"},
		} {
			r, err := MannWhitney(tc.x, tc.y, 0.98)
			if err != nil {
				t.Fatal(err)
			}
			if !same(r.MeanRatio, tc.ratio) || !strings.Contains(r.MeanRatioNote, tc.note) {
				t.Errorf("%v / %v: ratio %v note %q, want %v %q", tc.x, tc.y, r.MeanRatio, r.MeanRatioNote, tc.ratio, tc.note)
			}
		}
	})
	t.Run("Z sign", func(t *testing.T) {
		up, _ := MannWhitney([]float64{5, 6, 7}, []float64{1, 2, 3}, 0.98)
		down, _ := MannWhitney([]float64{1, 2, 3}, []float64{5, 6, 7}, 0.98)
		even, _ := MannWhitney([]float64{1, 2}, []float64{1, 2}, 0.98)
		if !(up.Z > 0) || down.Z != -up.Z || even.Z != 0 || even.PValue != 1 {
			t.Errorf("Z up %v down %v even %v (p %v)", up.Z, down.Z, even.Z, even.PValue)
		}
	})
}

// Tie groups larger than int64 t³ allows must not overflow.
func TestMannWhitneyLargeTieGroups(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 2×2.5e6 values")
	}
	const n = 2_500_000 // t = 5e6 pooled: t³ ≈ 1.25e20 > MaxInt64
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = float64(i % 2)
		y[i] = float64(i % 3 / 2)
	}
	r, err := MannWhitney(x, y, 0.98)
	if err != nil {
		t.Fatal(err)
	}
	if r.Z <= 0 || math.IsNaN(r.PValue) || r.PValue > 1e-100 {
		t.Errorf("Z %v p %v", r.Z, r.PValue)
	}
	// U = #ones(x)·#zeros(y) + ½·(ties of ones + ties of zeros).
	ones := func(s []float64) float64 {
		var c float64
		for _, v := range s {
			c += v
		}
		return c
	}
	ox, oy := ones(x), ones(y)
	want := ox*(n-oy) + 0.5*(ox*oy+(n-ox)*(n-oy))
	if r.U != want {
		t.Errorf("U = %v, want %v", r.U, want)
	}
	if r.Estimate != 0 || r.CILow != 0 || r.CIHigh != 0 { // D = 0 holds ranks N/6..2N/3
		t.Errorf("estimate %v CI [%v, %v]", r.Estimate, r.CILow, r.CIHigh)
	}
}
