package judges

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func ptr(v float64) *float64 { return &v }

func TestClassifyThresholdAggregates(t *testing.T) {
	data := []float64{0.31, 0.92, 0.15, 0.77, 0.48, math.NaN(), 0.66, 0.05, 0.99, 0.52, 0.23, 0.81}
	four := []float64{4, 1, 3, 2}
	// Expected percentiles are numpy.percentile (linear, type 7).
	for _, tc := range []struct {
		agg  string
		data []float64
		want float64
	}{
		{"", data, 0.5354545454545455},
		{"mean", data, 0.5354545454545455},
		{"median", data, 0.52},
		{"min", data, 0.05},
		{"max", data, 0.99},
		{"last", data, 0.81},
		{"p90", data, 0.92},
		{"p95", data, 0.9550000000000001},
		{"p99", data, 0.983},
		{"median", four, 2.5},
		{"p90", four, 3.7},
		{"p95", four, 3.8499999999999996},
		{"p99", four, 3.9699999999999998},
		{"last", four, 2},
		{"p99", []float64{7}, 7},
	} {
		t.Run(tc.agg, func(t *testing.T) {
			orig := slices.Clone(tc.data)
			r := ClassifyThreshold(tc.data, ThresholdConfig{Aggregate: tc.agg, Upper: ptr(100)})
			if r.Threshold == nil || r.Threshold.Value != tc.want {
				t.Fatalf("got %+v, want %v", r.Threshold, tc.want)
			}
			if math.Abs(r.Threshold.Value-tc.want) > 0 {
				t.Errorf("value %.17g, want %.17g", r.Threshold.Value, tc.want)
			}
			for i := range orig {
				if !same(orig[i], tc.data[i]) {
					t.Fatal("input modified")
				}
			}
		})
	}
}

func TestClassifyThreshold(t *testing.T) {
	vals := []float64{0.9, 0.95, 0.91, math.NaN()}
	for _, tc := range []struct {
		name   string
		data   []float64
		cfg    ThresholdConfig
		want   Classification
		reason string
	}{
		{"above upper", vals, ThresholdConfig{Upper: ptr(0.8)}, High, "mean 0.92 above the upper bound 0.8"},
		{"below lower", vals, ThresholdConfig{Aggregate: "min", Lower: ptr(0.95)}, Low, "min 0.9 below the lower bound 0.95"},
		{"within both", vals, ThresholdConfig{Aggregate: "max", Lower: ptr(0.5), Upper: ptr(0.95)}, Pass, "max 0.95 within [0.5, 0.95]"},
		{"on the lower bound", vals, ThresholdConfig{Aggregate: "min", Lower: ptr(0.9)}, Pass, "min 0.9 within the lower bound 0.9"},
		{"empty", nil, ThresholdConfig{Upper: ptr(1)}, NoData, "no canary data"},
		{"all NaN", []float64{math.NaN()}, ThresholdConfig{Upper: ptr(1)}, NoData, "no canary data (all 1 values NaN)"},
		{"mean of opposite infinities", []float64{math.Inf(1), math.Inf(-1)}, ThresholdConfig{Upper: ptr(1)}, Error, "NaN"},
		{"infinite p99", []float64{1, 2, math.Inf(1)}, ThresholdConfig{Aggregate: "p99", Upper: ptr(1e300)}, High, "p99 +Inf above"},
		{"unknown aggregate", vals, ThresholdConfig{Aggregate: "q50", Upper: ptr(1)}, Error, "invalid Aggregate \"q50\""},
		{"no bounds", vals, ThresholdConfig{}, Error, "missing Lower and Upper"},
		{"crossed bounds", vals, ThresholdConfig{Lower: ptr(2), Upper: ptr(1)}, Error, "invalid Lower 2: greater than Upper 1"},
		{"several problems on one line", vals, ThresholdConfig{Aggregate: "x1"}, Error,
			`invalid Aggregate "x1": want mean, median, min, max, last or a percentile pNN or pNN.N (p50, p90, p95, p99, p99.9, ...); missing Lower and Upper`},
		{"NaN bound", vals, ThresholdConfig{Upper: ptr(math.NaN())}, Error, "invalid Upper: NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ClassifyThreshold(tc.data, tc.cfg)
			if r.Classification != tc.want || !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("got %s %q, want %s containing %q", r.Classification, r.Reason, tc.want, tc.reason)
			}
			if strings.Contains(r.Reason, "\n") {
				t.Errorf("reason %q is not one line", r.Reason)
			}
			if r.MannWhitney != nil {
				t.Error("threshold result carries a Mann–Whitney result")
			}
		})
	}
}

func TestThresholdResultDoesNotAliasConfig(t *testing.T) {
	upper := 1.0
	cfg := ThresholdConfig{Upper: &upper}
	r := ClassifyThreshold([]float64{2}, cfg)
	upper = 5
	if *r.Threshold.Upper != 1 || r.Threshold.N != 1 || r.Threshold.Aggregate != "mean" {
		t.Errorf("result %+v", r.Threshold)
	}
}

func TestQuantile7(t *testing.T) {
	s := []float64{-math.MaxFloat64, math.MaxFloat64}
	if got := quantile7(s, 0.5); got != 0 {
		t.Errorf("midpoint of ±MaxFloat64 = %v, want 0", got)
	}
	if got := quantile7([]float64{math.Inf(-1), 0}, 0.5); got != math.Inf(-1) {
		t.Errorf("got %v", got)
	}
	if got := quantile7([]float64{1, 3}, 1); got != 3 {
		t.Errorf("got %v", got)
	}
}

// General percentiles against numpy.percentile (linear, type 7):
//
//	import numpy as np
//	data = [0.31, 0.92, 0.15, 0.77, 0.48, 0.66, 0.05, 0.99, 0.52, 0.23, 0.81]
//	for q in (50, 75, 99.9, 0.5, 1, 12.5):
//	    print(q, repr(float(np.percentile(data, q))))
//	base = [0.30, 0.80, 0.20, 0.70, 0.50, 0.60, 0.10, 0.90, 0.40, 0.25, 0.85]
//	for q in (50, 90):
//	    print('base', q, repr(float(np.percentile(base, q))), repr(float(np.percentile(data, q)/np.percentile(base, q))))
//	print('mean ratio', repr(float(np.mean(data)/np.mean(base))))
//
// Output:
//
//	50 0.52
//	75 0.79
//	99.9 0.9893000000000002
//	0.5 0.055
//	1 0.060000000000000005
//	12.5 0.16999999999999998
//	base 50 0.5 1.04
//	base 90 0.85 1.0823529411764707
//	mean ratio 1.0517857142857145
var (
	thrData = []float64{0.31, 0.92, 0.15, 0.77, 0.48, 0.66, 0.05, 0.99, 0.52, 0.23, 0.81}
	thrBase = []float64{0.30, 0.80, 0.20, 0.70, 0.50, 0.60, 0.10, 0.90, 0.40, 0.25, 0.85}
)

func TestClassifyThresholdPercentiles(t *testing.T) {
	for _, tc := range []struct {
		agg  string
		want float64
	}{
		{"p50", 0.52}, {"p75", 0.79}, {"p99.9", 0.9893000000000002}, {"p0.5", 0.055}, {"p1", 0.060000000000000005},
		{"p12.5", 0.16999999999999998}, {"p01", 0.060000000000000005},
	} {
		t.Run(tc.agg, func(t *testing.T) {
			r := ClassifyThreshold(thrData, ThresholdConfig{Aggregate: tc.agg, Upper: ptr(1)})
			if r.Classification != Pass || r.Threshold.Value != tc.want {
				t.Errorf("got %s %.17g (%s), want %.17g", r.Classification, r.Threshold.Value, r.Reason, tc.want)
			}
		})
	}
	for _, bad := range []struct{ agg, err string }{
		{"p0", `invalid Aggregate "p0": percentile outside (0, 100)`},
		{"p00.0", `invalid Aggregate "p00.0": percentile outside (0, 100)`},
		{"p100", `invalid Aggregate "p100": want mean`},
		{"p", `invalid Aggregate "p": want mean`},
		{"p9.", `invalid Aggregate "p9.": want mean`},
		{"p.5", `invalid Aggregate "p.5": want mean`},
		{"p-5", `invalid Aggregate "p-5": want mean`},
		{"p1e1", `invalid Aggregate "p1e1": want mean`},
		{"P99", `invalid Aggregate "P99": want mean`},
		{"p99 ", `invalid Aggregate "p99 ": want mean`},
	} {
		t.Run(bad.agg, func(t *testing.T) {
			r := ClassifyThreshold(thrData, ThresholdConfig{Aggregate: bad.agg, Upper: ptr(1)})
			if r.Classification != Error || !strings.Contains(r.Reason, bad.err) {
				t.Errorf("got %s %q, want error containing %q", r.Classification, r.Reason, bad.err)
			}
		})
	}
}

func TestClassifyThresholdRelative(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name          string
		canary, base  []float64
		cfg           ThresholdConfig
		want          Classification
		ratio         float64 // checked when the class is Pass, High or Low
		breach        bool
		removed       Removed
		reason        string // exact
		reasonContain bool   // reason is a substring only
	}{
		{name: "median within +5%", canary: thrData, base: thrBase,
			cfg:  ThresholdConfig{Relative: true, Aggregate: "p50", Upper: ptr(1.05)},
			want: Pass, ratio: 1.04, reason: "p50 0.52 vs baseline 0.5: ratio 1.04 within the upper bound 1.05"},
		{name: "p90 above +5%", canary: thrData, base: thrBase,
			cfg:  ThresholdConfig{Relative: true, Aggregate: "p90", Upper: ptr(1.05)},
			want: High, ratio: 1.0823529411764707, reason: "p90 0.92 vs baseline 0.85: ratio 1.082 above the upper bound 1.05"},
		{name: "mean below a lower bound", canary: thrData, base: thrBase,
			cfg:  ThresholdConfig{Relative: true, Lower: ptr(1.1), Upper: ptr(2)},
			want: Low, ratio: 1.0517857142857145, reason: "mean 0.5355 vs baseline 0.5091: ratio 1.052 below the lower bound 1.1"},
		{name: "NaN dropped from both", canary: append([]float64{nan}, thrData...), base: append(thrBase, nan, nan),
			cfg:  ThresholdConfig{Relative: true, Aggregate: "median", Lower: ptr(0.9), Upper: ptr(1.1)},
			want: Pass, ratio: 1.04, removed: Removed{NaNCanary: 1, NaNBaseline: 2},
			reason: "median 0.52 vs baseline 0.5: ratio 1.04 within [0.9, 1.1]"},
		{name: "negative baseline: more negative is lower", canary: []float64{-12}, base: []float64{-10},
			cfg:  ThresholdConfig{Relative: true, Lower: ptr(0.9)},
			want: Low, ratio: 0.8, reason: "mean -12 vs baseline -10: ratio 0.8 below the lower bound 0.9"},
		{name: "negative baseline: less negative is higher", canary: []float64{-9}, base: []float64{-10},
			cfg:  ThresholdConfig{Relative: true, Upper: ptr(1.05)},
			want: High, ratio: 1.1, reason: "mean -9 vs baseline -10: ratio 1.1 above the upper bound 1.05"},
		{name: "baseline 0 is not computable, never pass", canary: []float64{0, 0}, base: []float64{0, 0},
			cfg:  ThresholdConfig{Relative: true, Upper: ptr(1.1)},
			want: Error, reason: "baseline mean is 0: the ratio to it is not computable"},
		{name: "baseline p99 0", canary: []float64{5}, base: []float64{0, 0, 0},
			cfg:  ThresholdConfig{Relative: true, Aggregate: "p99", Upper: ptr(100)},
			want: Error, reason: "baseline p99 is 0: the ratio to it is not computable"},
		{name: "infinite baseline", canary: []float64{5}, base: []float64{inf},
			cfg:  ThresholdConfig{Relative: true, Upper: ptr(100)},
			want: Error, reason: "baseline mean is +Inf: the ratio to it is not computable"},
		{name: "NaN baseline mean", canary: []float64{5}, base: []float64{inf, -inf},
			cfg:  ThresholdConfig{Relative: true, Upper: ptr(100)},
			want: Error, reason: "baseline mean is NaN (the values contain both +Inf and −Inf)"},
		{name: "NaN canary mean", canary: []float64{inf, -inf}, base: []float64{1},
			cfg:  ThresholdConfig{Relative: true, Upper: ptr(100)},
			want: Error, reason: "mean is NaN (the values contain both +Inf and −Inf)"},
		{name: "infinite canary is high", canary: []float64{inf}, base: []float64{1},
			cfg:  ThresholdConfig{Relative: true, Upper: ptr(100)},
			want: High, ratio: inf, reason: "mean +Inf vs baseline 1: ratio +Inf above the upper bound 100"},
		{name: "empty baseline", canary: thrData, base: nil,
			cfg: ThresholdConfig{Relative: true, Upper: ptr(1.1)}, want: NoData, reason: "no baseline data"},
		{name: "both empty, must have data", canary: []float64{nan}, base: []float64{},
			cfg: ThresholdConfig{Relative: true, Upper: ptr(1.1), MustHaveData: true}, want: NoData, breach: true,
			removed: Removed{NaNCanary: 1},
			reason:  "no canary data (all 1 values NaN), no baseline data; the metric must have data: fails the run"},
		{name: "absolute config refused", canary: thrData, base: thrBase, cfg: ThresholdConfig{Upper: ptr(1)},
			want: Error, reason: "threshold config: absolute bounds are judged without the baseline (ClassifyThreshold)"},
		{name: "invalid config", canary: thrData, base: thrBase, cfg: ThresholdConfig{Relative: true, Aggregate: "p0"},
			want: Error, reason: `percentile outside (0, 100); missing Lower and Upper`, reasonContain: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c0, b0 := slices.Clone(tc.canary), slices.Clone(tc.base)
			r := ClassifyThresholdRelative(tc.canary, tc.base, tc.cfg)
			if r.Classification != tc.want || r.MustHaveDataBreach != tc.breach || r.Removed != tc.removed {
				t.Errorf("got %s breach=%v removed=%+v (%s), want %s breach=%v removed=%+v",
					r.Classification, r.MustHaveDataBreach, r.Removed, r.Reason, tc.want, tc.breach, tc.removed)
			}
			if tc.reasonContain && !strings.Contains(r.Reason, tc.reason) || !tc.reasonContain && r.Reason != tc.reason {
				t.Errorf("reason %q, want %q", r.Reason, tc.reason)
			}
			switch tc.want {
			case Pass, High, Low:
				// 1e-15: numpy sums pairwise, mean() left to right.
				d := math.Abs(r.Threshold.Ratio - tc.ratio)
				if !r.Threshold.Relative || !(r.Threshold.Ratio == tc.ratio || d <= 1e-15*math.Abs(tc.ratio)) {
					t.Errorf("ratio %.17g relative=%v, want %.17g", r.Threshold.Ratio, r.Threshold.Relative, tc.ratio)
				}
			}
			if !slices.EqualFunc(c0, tc.canary, same) || !slices.EqualFunc(b0, tc.base, same) {
				t.Error("input modified")
			}
		})
	}
}

func TestClassifyThresholdRelativeNeedsBaseline(t *testing.T) {
	r := ClassifyThreshold(thrData, ThresholdConfig{Relative: true, Upper: ptr(1.1)})
	if r.Classification != Error || r.Reason != "threshold config: relative bounds need the baseline (ClassifyThresholdRelative)" {
		t.Errorf("got %s %q", r.Classification, r.Reason)
	}
	r = ClassifyThreshold(nil, ThresholdConfig{Upper: ptr(1.1), MustHaveData: true})
	if r.Classification != NoData || !r.MustHaveDataBreach || r.Reason != "no canary data; the metric must have data: fails the run" {
		t.Errorf("got %s %v %q", r.Classification, r.MustHaveDataBreach, r.Reason)
	}
	r = ClassifyThreshold([]float64{2, math.NaN()}, ThresholdConfig{Upper: ptr(1.1)})
	if r.Classification != High || r.MustHaveDataBreach || r.Removed.NaNCanary != 1 || r.Threshold.Relative {
		t.Errorf("got %+v", r)
	}
}
