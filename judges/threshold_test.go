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
		{"unknown aggregate", vals, ThresholdConfig{Aggregate: "p50", Upper: ptr(1)}, Error, "invalid Aggregate \"p50\""},
		{"no bounds", vals, ThresholdConfig{}, Error, "missing Lower and Upper"},
		{"crossed bounds", vals, ThresholdConfig{Lower: ptr(2), Upper: ptr(1)}, Error, "invalid Lower 2: greater than Upper 1"},
		{"several problems on one line", vals, ThresholdConfig{Aggregate: "p1"}, Error,
			`invalid Aggregate "p1": want mean, median, min, max, last, p90, p95 or p99; missing Lower and Upper`},
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
