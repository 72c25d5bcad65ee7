package analysis

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSpecBounds checks each bound just inside and just outside: intervals
// per run, points per series, the timing horizon, an absolute start's
// range, and the number of webhooks. Each refusal names its field.
func TestSpecBounds(t *testing.T) {
	const points = "metrics: [{name: m, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n"
	spec := func(timing, rest string) string {
		if !strings.Contains(rest, "metrics:") {
			rest += points
		}
		return "apiVersion: augur/v1\nname: x\ncohorts: {baseline: 'v=\"1\"', canary: 'v=\"2\"'}\ntiming: {" + timing + "}\n" + rest
	}
	hooks := func(n int) string {
		var b strings.Builder
		b.WriteString("webhooks:\n")
		for i := range n {
			fmt.Fprintf(&b, "  - http://127.0.0.1:9/hook/%d\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name string
		body string
		want []string // nil: accepted
	}{
		{"count at the bound", spec("interval: 1m", "limits: {count: 10000}\n"), nil},
		{"count over the bound", spec("interval: 1m", "limits: {count: 10001}\n"),
			[]string{"limits.count: must be within 0..10,000 intervals per run, got 10,001"}},
		{"lifetime / interval at the bound", spec("lifetime: 10000m, interval: 1m", ""), nil},
		{"lifetime / interval over the bound", spec("lifetime: 10001m, interval: 1m", ""),
			[]string{"timing.interval: timing.lifetime 6d22h41m / timing.interval 1m gives 10,001 intervals; at most 10,000 per run: use an interval of at least 1m1ms"}},
		{"ten years of seconds, starting ten years ago", spec("lifetime: 87600h, interval: 1s, start: -87600h", ""), []string{
			"timing.lifetime: must be at most 1y, got 10y",
			"timing.interval: timing.lifetime 10y / timing.interval 1s gives 315,360,000 intervals; at most 10,000 per run: use an interval of at least 8h45m32s847ms",
			"timing.start: a relative start reaches at most 1y back, got -10y",
		}},
		{"span at the bound", spec("interval: 1d", "limits: {count: 365}\nstep: 1h\n"), nil},
		{"span over the bound", spec("interval: 1d", "limits: {count: 366}\nstep: 1h\n"),
			[]string{"limits.count: 366 intervals of 1d span more than 1y: at most 365 intervals of 1d"}},
		{"interval of a year, counted", spec("interval: 1y", "limits: {count: 2}\n"), []string{"limits.count: 2 intervals of 1y span more than 1y: at most 1 intervals of 1y"}},

		{"points at the bound", spec("lifetime: 24h", "step: 7s855ms\n"), nil},
		{"points over the bound", spec("lifetime: 24h", "step: 7s854ms\n"),
			[]string{"step: 7s854ms gives 11,001 points per series over the 1d window (timing.lifetime); at most 11,000: use a step of at least 7s855ms"}},
		{"a day at 1ms", spec("lifetime: 24h", "step: 1ms\n"),
			[]string{"step: 1ms gives 86,400,001 points per series over the 1d window (timing.lifetime); at most 11,000: use a step of at least 7s855ms"}},
		{"growing windows reach the lifetime", spec("lifetime: 24h, interval: 1h", "step: 1s\n"),
			[]string{"step: 1s gives 86,401 points per series over the 1d window (timing.lifetime)"}},
		{"lookback caps the window", spec("lifetime: 24h, interval: 1h, lookback: 10999s", "step: 1s\n"), nil},
		{"lookback over the bound", spec("lifetime: 24h, interval: 1h, lookback: 11000s", "step: 1s\n"),
			[]string{"step: 1s gives 11,001 points per series over the 3h3m20s window (timing.lookback); at most 11,000: use a step of at least 1s1ms"}},
		{"counted intervals", spec("interval: 1h", "limits: {count: 24}\nstep: 1ms\n"),
			[]string{"step: 1ms gives 86,400,001 points per series over the 1d window (limits.count × timing.interval)"}},
		{"sequential windows", "apiVersion: augur/v1\nkind: abn\nname: x\ncohorts: {control: 'v=\"1\"', variants: {b: 'v=\"2\"'}}\ntiming: {lifetime: 24h, interval: 1h}\nstep: 1s\n" +
			"metrics: [{name: m, primary: true, query: 'x{${cohort}}', judge: {type: sequential}}]\n",
			[]string{"step: 1s gives 86,401 points per series over the 1d window (timing.lifetime)"}},
		{"samples of a range query", spec("lifetime: 24h", "step: 1ms\nmetrics: [{name: m, kind: samples, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n"),
			[]string{"step: 1ms gives 86,400,001 points"}},
		{"counts read no range", spec("lifetime: 24h", "step: 1ms\nmetrics: [{name: m, query: 'x{${cohort}}', total_query: 'y{${cohort}}', judge: {type: proportion}}]\n"), nil},
		{"jaeger ignores the step", spec("lifetime: 24h", "step: 1ms\nsources: {tr: {type: jaeger, address: '127.0.0.1:16685'}}\n"+
			"metrics: [{name: m, source: tr, kind: samples, query: '{service=\"x\",${cohort}}', judge: {type: mannwhitney}}]\n"), nil},
		{"a metric's step at the bound", spec("lifetime: 24h", "step: 1ms\nmetrics: [{name: m, step: 7s855ms, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n"), nil},
		{"a metric's step over the bound", spec("lifetime: 24h", "metrics: [{name: a, query: 'x{${cohort}}', judge: {type: mannwhitney}}, {name: m, step: 7s854ms, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n"),
			[]string{"metrics[1].step: 7s854ms gives 11,001 points per series over the 1d window (timing.lifetime); at most 11,000: use a step of at least 7s855ms"}},
		{"a metric's step over a year", spec("lifetime: 24h", "metrics: [{name: m, step: 366d, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n"),
			[]string{"metrics[0].step: must be at most 1y, got 366d"}},
		{"a counts metric's step reads no range", spec("lifetime: 24h", "metrics: [{name: m, step: 1ms, query: 'x{${cohort}}', total_query: 'y{${cohort}}', judge: {type: proportion}}]\n"), nil},
		{"the spec's step unused by metrics with their own", spec("lifetime: 24h", "step: 1ms\nmetrics: [{name: m, step: 1m, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n"), nil},
		{"step of a year", spec("lifetime: 24h", "step: 1y\n"), nil},
		{"step over a year", spec("lifetime: 24h", "step: 366d\n"), []string{"step: must be at most 1y, got 366d"}},

		{"lifetime of a year", spec("lifetime: 1y, interval: 1d", "step: 1h\n"), nil},
		{"lifetime over a year", spec("lifetime: 8761h, interval: 1d", "step: 1h\n"), []string{"timing.lifetime: must be at most 1y, got 365d1h"}},
		{"begin_after over a year", spec("lifetime: 1h, begin_after: 8761h", ""), []string{"timing.begin_after: must be at most 1y, got 365d1h"}},
		{"baseline offset of a year", spec("lifetime: 1h, baseline_offset: 1y", ""), nil},
		{"baseline offset over a year", spec("lifetime: 1h, baseline_offset: 8761h", ""), []string{"timing.baseline_offset: must be at most 1y, got 365d1h"}},
		{"delay over a year", spec("lifetime: 1h, delay: 8761h", ""), []string{"timing.delay: must be at most 1y, got 365d1h"}},
		{"lookback over a year", spec("lifetime: 1h, lookback: 8761h", ""), []string{"timing.lookback: must be at most 1y, got 365d1h"}},
		{"interval over a year", spec("interval: 8761h", "limits: {count: 1}\n"), []string{"timing.interval: must be at most 1y, got 365d1h"}},
		{"relative start a year back", spec("lifetime: 1h, start: -1y", ""), nil},
		{"relative start over a year back", spec("lifetime: 1h, start: -8761h", ""), []string{"timing.start: a relative start reaches at most 1y back, got -365d1h"}},

		{"earliest start", spec("lifetime: 1h, start: '2000-01-01T00:00:00Z'", ""), nil},
		{"before the earliest start", spec("lifetime: 1h, start: '1999-12-31T23:59:59Z'", ""), []string{"timing.start: 1999-12-31T23:59:59Z is outside 2000-01-01..2100-01-01"}},
		{"latest start", spec("lifetime: 1h, start: '2099-12-31T23:59:59Z'", ""), nil},
		{"at the latest start", spec("lifetime: 1h, start: '2100-01-01T00:00:00Z'", ""), []string{"timing.start: 2100-01-01T00:00:00Z is outside 2000-01-01..2100-01-01"}},
		{"year 1", spec("lifetime: 1h, start: '0001-01-01T00:00:00Z'", ""), []string{"timing.start: 0001-01-01T00:00:00Z is outside"}},
		{"year 9999", spec("lifetime: 1h, start: '9999-12-31T23:59:59Z'", ""), []string{"timing.start: 9999-12-31T23:59:59Z is outside"}},

		{"ten webhooks", spec("lifetime: 1h", hooks(10)), nil},
		{"eleven webhooks", spec("lifetime: 1h", hooks(11)), []string{"webhooks: at most 10 webhook URLs, got 11"}},
		{"fifteen thousand webhooks", spec("lifetime: 1h", hooks(15000)), []string{"webhooks: at most 10 webhook URLs, got 15,000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSpec(strings.NewReader(tt.body))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tt.want) {
				t.Errorf("%d errors, want %d: %v", n, len(tt.want), err)
			}
		})
	}
}

// TestSpecBoundsBuiltInCode: durations cannot be written negative or finer
// than a millisecond, but a spec built in code (an import) can hold them.
func TestSpecBoundsBuiltInCode(t *testing.T) {
	s, err := ParseSpec(strings.NewReader("apiVersion: augur/v1\nname: x\ncohorts: {baseline: 'v=\"1\"', canary: 'v=\"2\"'}\ntiming: {lifetime: 1h}\n" +
		"metrics: [{name: m, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		modify func(*Spec)
		want   string // "": accepted
	}{
		{"negative delay", func(s *Spec) { s.Timing.Delay = Duration(-time.Second) }, "timing.delay: must not be negative, got -1s"},
		{"negative offset", func(s *Spec) { s.Timing.BaselineOffset = Duration(-time.Minute) }, "timing.baseline_offset: must not be negative, got -1m0s"},
		{"whole milliseconds", func(s *Spec) { s.Timing.BaselineOffset = Duration(time.Millisecond) }, ""},
		{"a fraction of a millisecond", func(s *Spec) { s.Timing.BaselineOffset = Duration(400 * time.Microsecond) },
			"timing.baseline_offset: must be a whole number of milliseconds, got 400µs"},
		{"a lifetime off the millisecond", func(s *Spec) { s.Timing.Lifetime = Duration(time.Hour + time.Nanosecond) },
			"timing.lifetime: must be a whole number of milliseconds, got 1h0m0.000000001s"},
		{"a step off the millisecond", func(s *Spec) { s.Step = Duration(1500 * time.Microsecond) }, "step: must be a whole number of milliseconds, got 1.5ms"},
		{"a relative start off the millisecond", func(s *Spec) { s.Timing.Start = &StartTime{Relative: -time.Hour - time.Microsecond} },
			"timing.start: a relative start must be a whole number of milliseconds, got -1h0m0.000001s"},
		{"an absolute start in nanoseconds", func(s *Spec) {
			at := time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC)
			s.Timing.Start = &StartTime{At: &at}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s
			tt.modify(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestMinDivisor(t *testing.T) {
	for _, tt := range []struct {
		total time.Duration
		n     int64
		want  time.Duration
	}{
		{24 * time.Hour, MaxPointsPerSeries - 1, 7855 * time.Millisecond},
		{10001 * time.Minute, MaxIntervals, time.Minute + time.Millisecond},
		{time.Hour, MaxIntervals, 360 * time.Millisecond},
		{time.Millisecond, 10, time.Millisecond},
	} {
		got := minDivisor(tt.total, tt.n)
		if got != tt.want || int64(tt.total/got) > tt.n || (got > time.Millisecond && int64(tt.total/(got-time.Millisecond)) <= tt.n) {
			t.Errorf("minDivisor(%s, %d) = %s, want %s", tt.total, tt.n, got, tt.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567", 86400001: "86,400,001"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
