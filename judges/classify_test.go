package judges

import (
	"math"
	"math/rand/v2"
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
	got := ClassifyMannWhitney([]float64{10, 20, 30, 40}, []float64{1, 2, 3, 4}, MannWhitneyConfig{Direction: Increase})
	want := "+900.0% (98% CI +240.0%..+1560.0%) vs baseline median 2.5: canary higher, mean +900% beyond allowed +0%"
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
