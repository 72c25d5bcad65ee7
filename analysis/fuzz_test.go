package analysis

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fuzzRunStart is when the fuzzed runs start (relative starts count back
// from it).
var fuzzRunStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// FuzzParseSpec feeds YAML and JSON specs to ParseSpec. Whatever it is
// given, it does not panic; a spec it accepts encodes to JSON (as the state
// store keeps it), parses back to a spec that encodes the same, and has a
// schedule within the bounds (checkSchedule).
func FuzzParseSpec(f *testing.F) {
	for _, p := range []string{"testdata/scenarios/*.txt", "../deploy/examples/*-canary.yaml"} {
		files, _ := filepath.Glob(p)
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			if strings.HasSuffix(file, ".txt") {
				b = scenarioSpec(b)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(canaryYAML))
	f.Add([]byte(`{"apiVersion":"augur/v1","name":"x","cohorts":{"baseline":"v=\"1\"","canary":"v=\"2\""},"timing":{"lifetime":"24h"},"step":"7s855ms",` +
		`"metrics":[{"name":"m","query":"x{${cohort}}","weight":2,"judge":{"type":"mannwhitney"}}]}`))
	f.Add([]byte("apiVersion: augur/v1\nkind: abn\nname: ab\ncohorts: {control: 'v=\"a\"', variants: {b: 'v=\"b\"'}}\n" +
		"timing: {start: -1y, lifetime: 1y, interval: 1d, lookback: 3h, baseline_offset: 1y, delay: 1y, begin_after: 1y}\nstep: 1s\n" +
		"srm: {query: 'r{${cohort}}', split: {control: 1, b: 1}}\nmetrics: [{name: m, primary: true, query: 'x{${cohort}}', judge: {type: sequential}}]\n"))
	f.Add([]byte("apiVersion: augur/v1\nname: x\ncohorts: {baseline: 'v=\"1\"', canary: 'v=\"2\"'}\ntiming: {interval: 1m, start: '2099-12-31T23:59:59.999999999Z'}\n" +
		"limits: {count: 10000}\nmetrics: [{name: m, query: 'x{${cohort}}', judge: {type: threshold, lower: -1e308, upper: 1e308}}]\n"))
	// DEL, which YAML escapes and JSON writes raw.
	f.Add([]byte("apiVersion: augur/v1\nname: \"a\\x7fb\"\ncohorts: {baseline: 'v=\"1\"', canary: 'v=\"2\"'}\ntiming: {lifetime: 1h}\n" +
		"metrics: [{name: m, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := ParseSpec(bytes.NewReader(body))
		if err != nil {
			return
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("an accepted spec does not encode: %v", err)
		}
		back, err := ParseSpec(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("an accepted spec, encoded, is refused: %v\n%s", err, b)
		}
		b2, err := json.Marshal(back)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("an accepted spec changed on its way through JSON (%v):\n%s\n%s", err, b, b2)
		}
		checkSchedule(t, s)
	})
}

// scenarioSpec is the spec section of a scenario file: the indented lines
// after "spec".
func scenarioSpec(b []byte) []byte {
	var out strings.Builder
	in := false
	for line := range strings.Lines(string(b)) {
		switch {
		case strings.TrimSpace(line) == "spec":
			in = true
		case in && strings.HasPrefix(line, "  "):
			out.WriteString(line[2:])
		case in:
			return []byte(out.String())
		}
	}
	return []byte(out.String())
}

// FuzzSchedule builds timings from numbers: whatever Validate accepts has a
// schedule within the bounds (checkSchedule).
func FuzzSchedule(f *testing.F) {
	ms := func(d time.Duration) int64 { return d.Milliseconds() }
	f.Add(ms(time.Hour), ms(10*time.Minute), int64(0), int64(0), int64(0), int64(0), int64(0), false, 0, ms(time.Minute))
	f.Add(ms(24*time.Hour), ms(time.Hour), ms(3*time.Hour), ms(5*time.Minute), ms(time.Hour), ms(30*time.Second), ms(-time.Hour), false, 0, ms(time.Second))
	f.Add(int64(0), ms(time.Minute), int64(0), int64(0), int64(0), int64(0), int64(0), false, MaxIntervals, ms(time.Minute))
	f.Add(ms(MaxTimingSpan), ms(MaxTimingSpan/MaxIntervals), ms(MaxTimingSpan), ms(MaxTimingSpan), ms(MaxTimingSpan), ms(MaxTimingSpan),
		-ms(MaxTimingSpan), false, 0, ms(MaxTimingSpan/(MaxPointsPerSeries-1)))
	f.Add(ms(87600*time.Hour), ms(time.Second), int64(0), int64(0), int64(0), int64(0), -ms(87600*time.Hour), false, 0, ms(time.Second))
	f.Add(ms(time.Hour), ms(time.Hour), int64(0), int64(0), int64(0), int64(0), latestStart.UnixMilli()-1, true, 0, ms(time.Minute))
	f.Add(int64(0), int64(1<<62), int64(0), int64(0), int64(0), int64(0), int64(0), false, 1<<30, int64(1))
	f.Fuzz(func(t *testing.T, lifetime, interval, lookback, beginAfter, offset, delay, start int64, absolute bool, count int, step int64) {
		d := func(v int64) Duration { return Duration(time.Duration(v) * time.Millisecond) }
		s := Spec{
			APIVersion: APIVersion, Name: "fuzz", Step: d(step),
			Cohorts: Cohorts{Baseline: &Cohort{Selector: `v="1"`}, Canary: &Cohort{Selector: `v="2"`}},
			Timing: Timing{Lifetime: d(lifetime), Interval: d(interval), Lookback: d(lookback), BeginAfter: d(beginAfter),
				BaselineOffset: d(offset), Delay: d(delay)},
			Limits:  Limits{Count: count},
			Metrics: []MetricSpec{{Name: "m", Query: "x{${cohort}}", Judge: JudgeSpec{Type: JudgeMannWhitney}}},
		}
		if start != 0 {
			s.Timing.Start = &StartTime{Relative: time.Duration(start) * time.Millisecond}
			if absolute {
				at := time.UnixMilli(start).UTC()
				s.Timing.Start = &StartTime{At: &at}
			}
		}
		s.SetDefaults()
		if s.Validate() != nil {
			return
		}
		checkSchedule(t, s)
	})
}

// checkSchedule checks the schedule of an accepted spec: at most
// MaxIntervals intervals, each window ordered, as long as the interval
// arithmetic says (no overflow), no longer than longestWindow and within
// MaxPointsPerSeries points at the step when the spec reads ranges; the
// baseline's window the same, shifted back by baseline_offset; every
// interval due at or after its end; and everything within a few years of
// the start.
func checkSchedule(t *testing.T, s Spec) {
	t.Helper()
	sch := s.Schedule(fuzzRunStart)
	if sch.Count < 1 || sch.Count > MaxIntervals {
		t.Fatalf("%d intervals", sch.Count)
	}
	longest, _, ok := s.longestWindow()
	if !ok {
		t.Fatalf("accepted timing without a longest window: %+v", s.Timing)
	}
	lo, hi := earliestStart.Add(-2*MaxTimingSpan), latestStart.Add(5*MaxTimingSpan)
	for i := range sch.Count {
		tw, rw, due := sch.Window(i)
		n := time.Duration(i + 1)
		if d := tw.End.Sub(sch.Begin); d/n != sch.Interval || d%n != 0 {
			t.Fatalf("interval %d ends %s after the begin, not %d × %s", i, d, i+1, sch.Interval)
		}
		w := tw.End.Sub(tw.Start)
		if w <= 0 || w > longest {
			t.Fatalf("interval %d: window %s..%s (%s), longest %s", i, tw.Start, tw.End, w, longest)
		}
		for _, m := range s.Metrics {
			if s.readsRanges(func(o MetricSpec) bool { return o.Name == m.Name }) {
				q := Query{Expr: "x", Start: tw.Start, End: tw.End, Step: s.metricStep(m)}
				if err := checkRange(q, nil); err != nil {
					t.Fatalf("interval %d, metric %s: %v", i, m.Name, err)
				}
			}
		}
		if !rw.Start.Equal(tw.Start.Add(-sch.BaselineOffset)) || !rw.End.Equal(tw.End.Add(-sch.BaselineOffset)) {
			t.Fatalf("interval %d: baseline window %v, treatment %v, offset %s", i, rw, tw, sch.BaselineOffset)
		}
		if due.Before(tw.End) {
			t.Fatalf("interval %d due %s before its end %s", i, due, tw.End)
		}
		for _, at := range []time.Time{tw.Start, due, rw.Start} {
			if at.Before(lo) || at.After(hi) {
				t.Fatalf("interval %d reaches %s", i, at)
			}
		}
	}
}
