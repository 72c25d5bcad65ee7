package judges

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func scaled(s []float64, f float64) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = v * f
	}
	return out
}

func constant(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func TestClassifyMannWhitney(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	base := lognormalLatencies(rng, 300, 120)
	healthy := lognormalLatencies(rng, 300, 120)
	slower := scaled(lognormalLatencies(rng, 300, 120), 1.3)
	faster := scaled(lognormalLatencies(rng, 300, 120), 0.7)
	slightlySlower := scaled(lognormalLatencies(rng, 3000, 120), 1.05)
	base3000 := lognormalLatencies(rng, 3000, 120)

	for _, tc := range []struct {
		name           string
		x, y           []float64
		cfg            MannWhitneyConfig
		want           Classification
		critical       bool
		reason         string // substring of the reason
		nanStatsNoPass bool
	}{
		{name: "regression is high", x: slower, y: base, cfg: MannWhitneyConfig{Direction: Increase},
			want: High, reason: "canary higher, mean +"},
		{name: "healthy passes", x: healthy, y: base, cfg: MannWhitneyConfig{Direction: Increase},
			want: Pass, reason: "no significant difference"},
		{name: "decrease is harmless when increases are bad", x: faster, y: base, cfg: MannWhitneyConfig{Direction: Increase},
			want: Pass, reason: "canary lower (harmless)"},
		{name: "increase is harmless when decreases are bad", x: slower, y: base, cfg: MannWhitneyConfig{Direction: Decrease},
			want: Pass, reason: "canary higher (harmless)"},
		{name: "decrease is low when decreases are bad", x: faster, y: base, cfg: MannWhitneyConfig{Direction: Decrease},
			want: Low, reason: "canary lower, mean -"},
		{name: "either catches increase", x: slower, y: base, cfg: MannWhitneyConfig{}, want: High},
		{name: "either catches decrease", x: faster, y: base, cfg: MannWhitneyConfig{Direction: Either}, want: Low},
		{name: "significant but within allowed increase", x: slightlySlower, y: base3000,
			cfg:  MannWhitneyConfig{Direction: Increase, AllowedIncrease: 1.2},
			want: Pass, reason: "within allowed +20%"},
		{name: "critical increase breached", x: slower, y: base,
			cfg:  MannWhitneyConfig{Direction: Increase, AllowedIncrease: 1.1, CriticalIncrease: 1.2},
			want: High, critical: true, reason: "critical: beyond +20%"},
		{name: "critical increase not breached", x: slower, y: base,
			cfg:  MannWhitneyConfig{Direction: Increase, AllowedIncrease: 1.1, CriticalIncrease: 2},
			want: High},
		{name: "critical decrease breached", x: faster, y: base,
			cfg:  MannWhitneyConfig{Direction: Decrease, CriticalDecrease: 0.9},
			want: Low, critical: true},
		{name: "constant but different is high, deterministically", x: constant(20, 2), y: constant(20, 1),
			cfg: MannWhitneyConfig{Direction: Increase}, want: High,
			reason: "+100.0% (98% CI +100.0%..+100.0%) vs baseline median 1: canary higher, mean +100% beyond allowed +0%"},
		{name: "all equal passes", x: constant(20, 5), y: constant(30, 5), cfg: MannWhitneyConfig{}, want: Pass},
		{name: "empty canary", x: nil, y: base, want: NoData, reason: "no canary data"},
		{name: "all-NaN baseline", x: base, y: []float64{math.NaN(), math.NaN()}, want: NoData,
			reason: "no baseline data (all 2 values NaN)"},
		{name: "both empty", want: NoData, reason: "no canary data, no baseline data"},
		{name: "NaN values are dropped", x: append([]float64{math.NaN()}, constant(20, 2)...),
			y: append(constant(20, 1), math.NaN()), cfg: MannWhitneyConfig{Direction: Increase}, want: High},
		{name: "NaN estimate is an error, not a pass", x: []float64{math.Inf(-1), math.Inf(1)}, y: []float64{0},
			want: Error, reason: "Hodges–Lehmann estimate is NaN"},
		{name: "baseline mean 0 skips the effect-size gate", x: []float64{0, 1, 2, 2, 3, 1, 2, 4, 1, 2},
			y: constant(10, 0), cfg: MannWhitneyConfig{Direction: Increase, AllowedIncrease: 5, CriticalIncrease: 10},
			want: High, critical: true, reason: "effect-size gate skipped (mean ratio undefined: the baseline mean is 0)"},
		{name: "infinite canary is high", x: constant(10, math.Inf(1)), y: constant(10, 3), want: High,
			reason: "shift +Inf"},
		{name: "invalid direction", x: base, y: base, cfg: MannWhitneyConfig{Direction: "up"}, want: Error,
			reason: "Direction"},
		{name: "invalid confidence", x: base, y: base, cfg: MannWhitneyConfig{Confidence: 1.5}, want: Error,
			reason: "Confidence"},
		{name: "several config problems on one line", x: base, y: base, cfg: MannWhitneyConfig{Direction: "up", Confidence: 2},
			want: Error, reason: `invalid Direction "up": want increase, decrease or either; invalid Confidence 2`},
		{name: "critical below allowed", x: base, y: base, cfg: MannWhitneyConfig{AllowedIncrease: 1.5, CriticalIncrease: 1.2},
			want: Error, reason: "CriticalIncrease"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ClassifyMannWhitney(tc.x, tc.y, tc.cfg)
			if got.Classification != tc.want || got.Critical != tc.critical {
				t.Errorf("got %s critical=%v, want %s critical=%v (%s)", got.Classification, got.Critical, tc.want, tc.critical, got.Reason)
			}
			if !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("reason %q does not contain %q", got.Reason, tc.reason)
			}
			if strings.Contains(got.Reason, "\n") || got.Reason == "" {
				t.Errorf("reason %q is not one line", got.Reason)
			}
			// Deterministic: the same input gives the same verdict.
			if again := ClassifyMannWhitney(tc.x, tc.y, tc.cfg); again.Reason != got.Reason {
				t.Errorf("second run: %q", again.Reason)
			}
		})
	}
}

func TestClassifyMannWhitneyReason(t *testing.T) {
	// 4 vs 4 values reach at most 97.1 %: at the default 98 % this is
	// inconclusive (TestClassifyMannWhitneyLevelNotAchievable).
	got := ClassifyMannWhitney([]float64{10, 20, 30, 40}, []float64{1, 2, 3, 4}, MannWhitneyConfig{Direction: Increase, Confidence: 0.97})
	want := "+900.0% (97% CI +240.0%..+1560.0%) vs baseline median 2.5: canary higher, mean +900% beyond allowed +0%"
	if got.Classification != High || got.Reason != want {
		t.Errorf("got %s %q\nwant high %q", got.Classification, got.Reason, want)
	}
	// Baseline median 0: absolute shifts.
	got = ClassifyMannWhitney([]float64{0, 0, 0, 3, 4}, []float64{0, 0, 0, 0, 0}, MannWhitneyConfig{Confidence: 0.9})
	want = "shift +0 (90% CI +0..+4) vs baseline median 0: no significant difference"
	if got.Classification != Pass || got.Reason != want {
		t.Errorf("got %s %q\nwant pass %q", got.Classification, got.Reason, want)
	}
}

func TestMannWhitneyConfigDefaults(t *testing.T) {
	c := MannWhitneyConfig{}.withDefaults()
	if c.Direction != Either || c.Confidence != 0.98 || c.AllowedIncrease != 1 || c.AllowedDecrease != 1 ||
		c.CriticalIncrease != 0 || c.CriticalDecrease != 0 {
		t.Errorf("defaults %+v", c)
	}
	if err := (MannWhitneyConfig{}).Validate(); err != nil {
		t.Errorf("zero config invalid: %v", err)
	}
	for _, bad := range []MannWhitneyConfig{
		{AllowedIncrease: -1}, {AllowedDecrease: math.NaN()}, {CriticalDecrease: 1.5}, {CriticalIncrease: math.Inf(1)},
	} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// Reference fences computed independently with numpy (percentile method
// 'linear', i.e. type 7):
//
//	import numpy as np
//	def fences(a, k):
//	    a = np.asarray(a, dtype=float)
//	    p1, q1, q3, p99 = np.percentile(a, [1, 25, 75, 99])
//	    iqr = q3 - q1
//	    lo, hi = min(p1, q1 - k*iqr), max(p99, q3 + k*iqr)
//	    kept = a[(a >= lo) & (a <= hi)]
//	    return [repr(float(v)) for v in (p1, q1, q3, p99, lo, hi)], int(a.size - kept.size)
//	canary = [10, 11, 12, 12, 13, 13, 14, 15, 15, 16, 200, -50]
//	baseline = [10, 11, 11, 12, 13, 13, 14, 14, 15, 16, 17, 40]
//	gen = [float((i*37) % 101) for i in range(200)] + [1000.0, -1000.0, 500.0, 250.0]
//	for k in (3, 10): print(k, fences(canary, k), fences(baseline, k))
//	for k in (3, 1): print(k, fences(gen, k))
//
// Output:
//
//	3 (['-43.4', '11.75', '15.0', '179.7600000000001', '-43.4', '179.7600000000001'], 2) (['10.11', '11.75', '15.25', '37.47000000000001', '1.25', '37.47000000000001'], 1)
//	10 (['-43.4', '11.75', '15.0', '179.7600000000001', '-43.4', '179.7600000000001'], 2) (['10.11', '11.75', '15.25', '37.47000000000001', '-23.25', '50.25'], 0)
//	3 (['0.03000000000000025', '24.75', '76.25', '245.49999999999983', '-129.75', '245.49999999999983'], 4)
//	1 (['0.03000000000000025', '24.75', '76.25', '245.49999999999983', '-26.75', '245.49999999999983'], 4)
var (
	outlierCanary   = []float64{10, 11, 12, 12, 13, 13, 14, 15, 15, 16, 200, -50}
	outlierBaseline = []float64{10, 11, 11, 12, 13, 13, 14, 14, 15, 16, 17, 40}
)

func outlierGen() []float64 {
	s := make([]float64, 0, 204)
	for i := range 200 {
		s = append(s, float64((i*37)%101))
	}
	return append(s, 1000, -1000, 500, 250)
}

func TestOutlierFences(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sample  []float64
		k       float64
		lo, hi  float64
		removed int
	}{
		{"canary k=3: P1 and P99 bind", outlierCanary, 3, -43.4, 179.7600000000001, 2},
		{"canary k=10: P1 and P99 still bind", outlierCanary, 10, -43.4, 179.7600000000001, 2},
		{"baseline k=3: Q1 fence low, P99 high", outlierBaseline, 3, 1.25, 37.47000000000001, 1},
		{"baseline k=10: IQR fences bind, nothing removed", outlierBaseline, 10, -23.25, 50.25, 0},
		{"generated k=3", outlierGen(), 3, -129.75, 245.49999999999983, 4},
		{"generated k=1", outlierGen(), 1, -26.75, 245.49999999999983, 4},
		{"single value", []float64{5}, 3, 5, 5, 0},
		// quantile7 gives P1 = Q1 = Q3 = P99 = +Inf here (numpy gives
		// [inf, nan, nan, nan]: it computes inf − inf when interpolating
		// between equal infinities). IQR is NaN, so the percentiles are the
		// fences and 1 lies below P1.
		{"infinite quartiles fall back to percentiles", []float64{math.Inf(1), math.Inf(1), math.Inf(1), 1}, 3,
			math.Inf(1), math.Inf(1), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := slices.Clone(tc.sample)
			lo, hi := outlierFences(tc.sample, tc.k)
			if lo != tc.lo || hi != tc.hi {
				t.Errorf("fences [%.17g, %.17g], want [%.17g, %.17g]", lo, hi, tc.lo, tc.hi)
			}
			kept, nan, removed := cleanCohort(tc.sample, NaNRemove, OutliersRemove, tc.k)
			if removed != tc.removed || nan != 0 || len(kept)+removed != len(tc.sample) {
				t.Errorf("removed %d of %d (kept %d), want %d", removed, len(tc.sample), len(kept), tc.removed)
			}
			if !slices.Equal(orig, tc.sample) {
				t.Error("input modified")
			}
		})
	}
}

func TestClassifyMannWhitneyOptions(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	base := lognormalLatencies(rng, 400, 100)
	slightly := scaled(lognormalLatencies(rng, 400, 100), 1.25)
	nan := math.NaN()
	withNaN := func(s []float64, k int) []float64 {
		out := slices.Clone(s)
		for range k {
			out = append(out, nan)
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		x, y     []float64
		cfg      MannWhitneyConfig
		want     Classification
		critical bool
		breach   bool
		removed  Removed
		replaced Replaced
		nx, ny   int    // sample sizes seen by the test, when it ran
		reason   string // substring
	}{
		{name: "outliers kept by default", x: outlierCanary, y: outlierBaseline, want: Pass, nx: 12, ny: 12,
			reason: "no significant difference"},
		{name: "outliers removed per cohort", x: outlierCanary, y: outlierBaseline,
			cfg:     MannWhitneyConfig{Outliers: OutliersRemove},
			removed: Removed{OutliersCanary: 2, OutliersBaseline: 1}, nx: 10, ny: 11, want: Pass,
			reason: "; outliers removed: canary 2, baseline 1"},
		{name: "outlier factor widens the baseline fences", x: outlierCanary, y: outlierBaseline,
			cfg:     MannWhitneyConfig{Outliers: OutliersRemove, OutlierFactor: 10},
			removed: Removed{OutliersCanary: 2}, nx: 10, ny: 12, want: Pass,
			reason: "; outliers removed: canary 2"},
		{name: "NaN removed by default and reported", x: withNaN(constant(20, 2), 3), y: withNaN(constant(20, 1), 1),
			cfg: MannWhitneyConfig{Direction: Increase}, want: High, removed: Removed{NaNCanary: 3, NaNBaseline: 1},
			nx: 20, ny: 20, reason: "beyond allowed +0%; NaN removed: canary 3, baseline 1"},
		{name: "NaN replaced by 0 turns a regression into a decrease", x: withNaN(constant(20, 2), 20), y: constant(20, 1),
			cfg: MannWhitneyConfig{NaNStrategy: NaNReplace, Direction: Increase}, want: Pass,
			replaced: Replaced{NaNCanary: 20}, nx: 40, ny: 20, reason: "; NaN replaced by 0: canary 20"},
		{name: "all-NaN cohort replaced is data", x: withNaN(nil, 10), y: constant(10, 0),
			cfg: MannWhitneyConfig{NaNStrategy: NaNReplace}, want: Pass, replaced: Replaced{NaNCanary: 10},
			nx: 10, ny: 10, reason: "no significant difference; NaN replaced by 0: canary 10"},
		{name: "replace then remove outliers", x: withNaN(outlierCanary, 2), y: outlierBaseline,
			cfg:      MannWhitneyConfig{NaNStrategy: NaNReplace, Outliers: OutliersRemove},
			replaced: Replaced{NaNCanary: 2}, removed: Removed{OutliersCanary: 2, OutliersBaseline: 1}, nx: 12, ny: 11,
			want: Pass, reason: "NaN replaced by 0: canary 2; outliers removed: canary 2, baseline 1"},
		{name: "cles gate lets a small shift pass", x: slightly, y: base,
			cfg:  MannWhitneyConfig{Direction: Increase, EffectMeasure: MeasureCLES, AllowedIncrease: 0.9},
			want: Pass, nx: 400, ny: 400, reason: "canary higher but CLES 0."},
		{name: "cles default gate is open", x: slightly, y: base,
			cfg:  MannWhitneyConfig{Direction: Increase, EffectMeasure: MeasureCLES},
			want: High, nx: 400, ny: 400, reason: "beyond allowed 0.5"},
		// 4 vs 4 values reach at most 97.1 % (exact interval), so these
		// ask for 97 %: at 98 % they are inconclusive.
		{name: "cles critical", x: []float64{10, 20, 30, 40}, y: []float64{1, 2, 3, 4},
			cfg:  MannWhitneyConfig{Confidence: 0.97, EffectMeasure: MeasureCLES, AllowedIncrease: 0.9, CriticalIncrease: 0.95},
			want: High, critical: true, nx: 4, ny: 4,
			reason: "canary higher, CLES 1 beyond allowed 0.9; critical: beyond CLES 0.95"},
		{name: "cles low", x: []float64{1, 2, 3, 4}, y: []float64{10, 20, 30, 40},
			cfg:  MannWhitneyConfig{Confidence: 0.97, EffectMeasure: MeasureCLES, AllowedDecrease: 0.2, CriticalDecrease: 0.1},
			want: Low, critical: true, nx: 4, ny: 4,
			reason: "canary lower, CLES 0 beyond allowed 0.2; critical: beyond CLES 0.1"},
		{name: "cles gate applies when the mean ratio is undefined", x: []float64{0, 1, 2, 2, 3, 1, 2, 4, 1, 2},
			y: constant(10, 0), cfg: MannWhitneyConfig{Direction: Increase, EffectMeasure: MeasureCLES, AllowedIncrease: 0.97},
			want: Pass, nx: 10, ny: 10, reason: "canary higher but CLES 0.95 within allowed 0.97"},
		{name: "must have data: empty canary breaches", x: nil, y: base, cfg: MannWhitneyConfig{MustHaveData: true},
			want: NoData, breach: true, reason: "no canary data; the metric must have data: fails the run"},
		{name: "must have data: all-NaN baseline breaches", x: base, y: withNaN(nil, 3), cfg: MannWhitneyConfig{MustHaveData: true},
			want: NoData, breach: true, removed: Removed{NaNBaseline: 3},
			reason: "no baseline data (all 3 values NaN); the metric must have data"},
		{name: "must have data satisfied", x: base, y: base, cfg: MannWhitneyConfig{MustHaveData: true},
			want: Pass, nx: 400, ny: 400},
		{name: "no data without must-have is no breach", x: nil, y: nil, want: NoData,
			reason: "no canary data, no baseline data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			xOrig, yOrig := slices.Clone(tc.x), slices.Clone(tc.y)
			got := ClassifyMannWhitney(tc.x, tc.y, tc.cfg)
			if got.Classification != tc.want || got.Critical != tc.critical || got.MustHaveDataBreach != tc.breach {
				t.Errorf("got %s critical=%v breach=%v, want %s critical=%v breach=%v (%s)", got.Classification,
					got.Critical, got.MustHaveDataBreach, tc.want, tc.critical, tc.breach, got.Reason)
			}
			if got.Removed != tc.removed || got.Replaced != tc.replaced {
				t.Errorf("removed %+v replaced %+v, want %+v %+v", got.Removed, got.Replaced, tc.removed, tc.replaced)
			}
			if !strings.Contains(got.Reason, tc.reason) || strings.Contains(got.Reason, "\n") {
				t.Errorf("reason %q, want one line containing %q", got.Reason, tc.reason)
			}
			if mw := got.MannWhitney; mw != nil {
				if mw.NCanary != tc.nx || mw.NBaseline != tc.ny {
					t.Errorf("test saw n=%d m=%d, want %d %d", mw.NCanary, mw.NBaseline, tc.nx, tc.ny)
				}
				if mw.DroppedNaNCanary != tc.removed.NaNCanary || mw.DroppedNaNBaseline != tc.removed.NaNBaseline {
					t.Errorf("dropped NaN %d %d, want %+v", mw.DroppedNaNCanary, mw.DroppedNaNBaseline, tc.removed)
				}
			} else if tc.nx != 0 {
				t.Error("no statistics")
			}
			if !slices.EqualFunc(xOrig, tc.x, same) || !slices.EqualFunc(yOrig, tc.y, same) {
				t.Error("input modified")
			}
		})
	}
}

// Replacing NaN by 0 is the same as passing zeros.
func TestNaNReplaceEqualsZeros(t *testing.T) {
	x := []float64{3, math.NaN(), 5, 7, math.NaN(), 2}
	y := []float64{1, 2, math.NaN(), 3}
	a := ClassifyMannWhitney(x, y, MannWhitneyConfig{NaNStrategy: NaNReplace})
	b := ClassifyMannWhitney([]float64{3, 0, 5, 7, 0, 2}, []float64{1, 2, 0, 3}, MannWhitneyConfig{})
	if *a.MannWhitney != *b.MannWhitney || a.Classification != b.Classification {
		t.Errorf("replace %+v\nzeros %+v", *a.MannWhitney, *b.MannWhitney)
	}
}

func TestMannWhitneyConfigValidateOptions(t *testing.T) {
	c := MannWhitneyConfig{}.withDefaults()
	if c.NaNStrategy != NaNRemove || c.Outliers != OutliersKeep || c.OutlierFactor != 3 || c.EffectMeasure != MeasureMeanRatio || c.MustHaveData {
		t.Errorf("defaults %+v", c)
	}
	c = MannWhitneyConfig{EffectMeasure: MeasureCLES}.withDefaults()
	if c.AllowedIncrease != 0.5 || c.AllowedDecrease != 0.5 {
		t.Errorf("cles defaults %+v", c)
	}
	for _, tc := range []struct {
		name string
		cfg  MannWhitneyConfig
		err  string // "" = valid
	}{
		{"replace", MannWhitneyConfig{NaNStrategy: NaNReplace}, ""},
		{"remove outliers k=1.5", MannWhitneyConfig{Outliers: OutliersRemove, OutlierFactor: 1.5}, ""},
		{"cles bounds", MannWhitneyConfig{EffectMeasure: MeasureCLES, AllowedIncrease: 0.6, CriticalIncrease: 1,
			AllowedDecrease: 0.4, CriticalDecrease: 0.05}, ""},
		{"cles bounds at 0.5", MannWhitneyConfig{EffectMeasure: MeasureCLES, AllowedIncrease: 0.5, AllowedDecrease: 0.5}, ""},
		{"bad NaN strategy", MannWhitneyConfig{NaNStrategy: "zero"}, `invalid NaNStrategy "zero": want remove or replace`},
		{"bad outliers", MannWhitneyConfig{Outliers: "trim"}, `invalid Outliers "trim": want keep or remove`},
		{"negative factor", MannWhitneyConfig{Outliers: OutliersRemove, OutlierFactor: -1}, "invalid OutlierFactor -1: must be > 0 and finite"},
		{"infinite factor", MannWhitneyConfig{OutlierFactor: math.Inf(1)}, "invalid OutlierFactor +Inf"},
		{"NaN factor", MannWhitneyConfig{OutlierFactor: math.NaN()}, "invalid OutlierFactor NaN"},
		{"bad measure", MannWhitneyConfig{EffectMeasure: "ratio"}, `invalid EffectMeasure "ratio": want meanRatio or cles`},
		{"mean ratio is not a CLES", MannWhitneyConfig{EffectMeasure: MeasureCLES, AllowedIncrease: 1.2},
			"invalid AllowedIncrease 1.2: CLES bound outside [0.5, 1]"},
		{"cles increase below 0.5", MannWhitneyConfig{EffectMeasure: MeasureCLES, AllowedIncrease: 0.4},
			"invalid AllowedIncrease 0.4: CLES bound outside [0.5, 1]"},
		{"cles decrease above 0.5", MannWhitneyConfig{EffectMeasure: MeasureCLES, AllowedDecrease: 0.6},
			"invalid AllowedDecrease 0.6: CLES bound outside (0, 0.5]"},
		{"cles negative decrease", MannWhitneyConfig{EffectMeasure: MeasureCLES, AllowedDecrease: -0.1},
			"invalid AllowedDecrease -0.1"},
		{"cles critical below allowed", MannWhitneyConfig{EffectMeasure: MeasureCLES, AllowedIncrease: 0.8, CriticalIncrease: 0.7},
			"invalid CriticalIncrease 0.7: below AllowedIncrease 0.8"},
		{"cles critical above 1", MannWhitneyConfig{EffectMeasure: MeasureCLES, CriticalIncrease: 1.5},
			"invalid CriticalIncrease 1.5: CLES bound outside [0.5, 1]"},
		{"cles critical decrease above allowed", MannWhitneyConfig{EffectMeasure: MeasureCLES, AllowedDecrease: 0.3, CriticalDecrease: 0.4},
			"invalid CriticalDecrease 0.4: above AllowedDecrease 0.3"},
		{"cles NaN bound", MannWhitneyConfig{EffectMeasure: MeasureCLES, AllowedIncrease: math.NaN()},
			"invalid AllowedIncrease NaN"},
		{"several on one line", MannWhitneyConfig{NaNStrategy: "x", Outliers: "y"},
			`invalid NaNStrategy "x": want remove or replace; invalid Outliers "y"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("valid config rejected: %v", err)
			case tc.err != "" && err == nil:
				t.Errorf("accepted, want %q", tc.err)
			case tc.err != "":
				r := ClassifyMannWhitney([]float64{1, 2}, []float64{1, 2}, tc.cfg)
				if r.Classification != Error || !strings.Contains(r.Reason, tc.err) {
					t.Errorf("got %s %q, want error containing %q", r.Classification, r.Reason, tc.err)
				}
			}
		})
	}
}

func TestClassifyMannWhitneyOptionsReason(t *testing.T) {
	got := ClassifyMannWhitney([]float64{10, 20, 30, 40, 1e6}, []float64{1, 2, 3, 4},
		MannWhitneyConfig{Confidence: 0.97, Outliers: OutliersRemove, Direction: Increase, AllowedIncrease: 1.1})
	want := "+900.0% (97% CI +240.0%..+1560.0%) vs baseline median 2.5: canary higher, mean +900% beyond allowed +10%; outliers removed: canary 1"
	if got.Classification != High || got.Reason != want {
		t.Errorf("got %s %q\nwant high %q", got.Classification, got.Reason, want)
	}
	got = ClassifyMannWhitney([]float64{10, 20, 30, 40}, []float64{1, 2, 3, 4, math.NaN()},
		MannWhitneyConfig{Confidence: 0.97, EffectMeasure: MeasureCLES, AllowedIncrease: 0.9, CriticalIncrease: 0.95})
	want = "+900.0% (97% CI +240.0%..+1560.0%) vs baseline median 2.5: canary higher, CLES 1 beyond allowed 0.9; critical: beyond CLES 0.95; NaN removed: baseline 1"
	if got.Classification != High || !got.Critical || got.Reason != want {
		t.Errorf("got %s %q\nwant high %q", got.Classification, got.Reason, want)
	}
}
