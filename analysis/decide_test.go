package analysis

import (
	"strings"
	"testing"

	"github.com/augurhq/augur/judges"
)

func intp(n int) *int { return &n }

// TestDecide walks sequences of interval outcomes through the limits.
func TestDecide(t *testing.T) {
	const (
		P = judges.OutcomePass
		M = judges.OutcomeMarginal
		F = judges.OutcomeFail
		I = judges.OutcomeInconclusive
		E = judges.OutcomeError
	)
	tests := []struct {
		name      string
		limits    Limits
		count     int
		outcomes  []judges.Outcome
		wantAt    int // 1-based interval at which the run ends
		want      judges.Outcome
		wantWhy   string
		critical  int // 1-based interval whose metric is a critical failure
		criticalB bool
	}{
		{name: "all pass: last decides", count: 3, outcomes: []judges.Outcome{P, P, P}, wantAt: 3, want: P},
		{name: "first failure stops with failure_limit 0", count: 3, outcomes: []judges.Outcome{P, F, P}, wantAt: 2, want: F, wantWhy: "more than failure_limit 0"},
		{name: "failure_limit 1 tolerates one", limits: Limits{FailureLimit: 1}, count: 3, outcomes: []judges.Outcome{F, P, P}, wantAt: 3, want: P},
		{name: "failure_limit 1 stops at the second", limits: Limits{FailureLimit: 1}, count: 4, outcomes: []judges.Outcome{F, P, F, P}, wantAt: 3, want: F},
		{name: "inconclusive unlimited by default", count: 3, outcomes: []judges.Outcome{I, M, P}, wantAt: 3, want: P},
		{name: "inconclusive_limit 1", limits: Limits{InconclusiveLimit: intp(1)}, count: 4, outcomes: []judges.Outcome{I, M, P, P}, wantAt: 2, want: I, wantWhy: "inconclusive_limit 1"},
		{name: "last inconclusive decides", count: 2, outcomes: []judges.Outcome{P, I}, wantAt: 2, want: I},
		{name: "errors below the limit continue", limits: Limits{ConsecutiveErrorLimit: intp(2)}, count: 4, outcomes: []judges.Outcome{E, E, P, P}, wantAt: 4, want: P},
		{name: "errors reset by a judgement", limits: Limits{ConsecutiveErrorLimit: intp(1)}, count: 5, outcomes: []judges.Outcome{E, P, E, P, P}, wantAt: 5, want: P},
		{name: "consecutive errors over the limit", limits: Limits{ConsecutiveErrorLimit: intp(1)}, count: 5, outcomes: []judges.Outcome{P, E, E, P, P}, wantAt: 3, want: E, wantWhy: "consecutive errors"},
		{name: "error is never a failure", limits: Limits{ConsecutiveErrorLimit: intp(10)}, count: 3, outcomes: []judges.Outcome{E, E, E}, wantAt: 3, want: E},
		{name: "critical failure stops at once", limits: Limits{FailureLimit: 5}, count: 4, outcomes: []judges.Outcome{P, F, P, P}, critical: 2, wantAt: 2, want: F, wantWhy: "critical metric lat failed"},
		{name: "critical bound breach stops", limits: Limits{FailureLimit: 5}, count: 4, outcomes: []judges.Outcome{F, P}, critical: 1, criticalB: true, wantAt: 1, want: F},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := Spec{Kind: KindCanary, Limits: tt.limits}
			spec.Limits.Count = tt.count
			spec.Limits.setDefaults()
			var st RunState
			for i, o := range tt.outcomes {
				v := Verdict{Verdict: o, Reason: "r"}
				if tt.critical == i+1 {
					m := MetricResult{Name: "lat", Variant: "canary", Critical: !tt.criticalB, CriticalBreach: tt.criticalB, Classification: judges.High}
					v.Metrics = append(v.Metrics, m)
				}
				d := Decide(spec, &st, i, v)
				if !d.Done {
					if i+1 == tt.wantAt {
						t.Fatalf("interval %d: the run should end", i+1)
					}
					continue
				}
				if i+1 != tt.wantAt {
					t.Fatalf("ended at interval %d, want %d (%s)", i+1, tt.wantAt, d.Final.Reason)
				}
				if d.Final.Verdict != tt.want {
					t.Errorf("final %s, want %s (%s)", d.Final.Verdict, tt.want, d.Final.Reason)
				}
				if !strings.Contains(d.Final.Stopped, tt.wantWhy) {
					t.Errorf("stopped %q, want it to contain %q", d.Final.Stopped, tt.wantWhy)
				}
				return
			}
			t.Fatal("the run never ended")
		})
	}
}

func TestDecideDryRunCriticalDoesNotStop(t *testing.T) {
	spec := Spec{Kind: KindCanary, Limits: Limits{Count: 3, FailureLimit: 5}}
	var st RunState
	v := Verdict{Verdict: judges.OutcomePass, Metrics: []MetricResult{{Name: "x", Critical: true, DryRun: true, Classification: judges.High}}}
	if d := Decide(spec, &st, 0, v); d.Done {
		t.Fatalf("a dry-run critical metric stopped the run: %s", d.Final.Reason)
	}
}

// TestDecideSequentialCanary: in a canary run, a sequential metric found
// worse ends the run failed at once; one that passed early ends it passed
// only when every other deciding metric passed in the same interval (a
// dry-run metric does not count), and never at the last interval's place.
func TestDecideSequentialCanary(t *testing.T) {
	spec := Spec{Kind: KindCanary, Limits: Limits{Count: 6, FailureLimit: 5}, Cohorts: Cohorts{Baseline: &Cohort{Selector: `v="1"`}, Canary: &Cohort{Selector: `v="2"`}}, Metrics: []MetricSpec{
		{Name: "errors", Kind: KindCounts, Judge: JudgeSpec{Type: JudgeSequential}},
		{Name: "latency", Judge: JudgeSpec{Type: JudgeMannWhitney}},
		{Name: "cpu", DryRun: true, Judge: JudgeSpec{Type: JudgeMannWhitney}},
	}}
	spec.Limits.setDefaults()
	verdict := func(latency judges.Classification) Verdict {
		return Verdict{Verdict: judges.OutcomePass, Reason: "r", Metrics: []MetricResult{
			{Name: "errors", Variant: "canary", Classification: judges.Pass},
			{Name: "latency", Variant: "canary", Classification: latency},
			{Name: "cpu", Variant: "canary", DryRun: true, Classification: judges.High},
		}}
	}
	for _, tt := range []struct {
		name    string
		decided string
		latency judges.Classification
		done    bool
		want    judges.Outcome
		why     string
	}{
		{"undecided goes on", "", judges.Pass, false, "", ""},
		{"worse fails at once", DecidedWorse, judges.Pass, true, judges.OutcomeFail, "sequential test: errors significantly worse"},
		{"early pass with every other metric passed", DecidedPass, judges.Pass, true, judges.OutcomePass, "every sequential metric passed early"},
		{"early pass while latency is inconclusive goes on", DecidedPass, judges.Inconclusive, false, "", ""},
		{"early pass while latency fails goes on", DecidedPass, judges.High, false, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var st RunState
			st.setTrack("canary", "errors", &SequentialTrack{Decided: tt.decided})
			d := Decide(spec, &st, 1, verdict(tt.latency))
			if d.Done != tt.done || d.Final.Verdict != tt.want || !strings.Contains(d.Final.Stopped, tt.why) {
				t.Errorf("got done %v %s %q, want done %v %s %q", d.Done, d.Final.Verdict, d.Final.Stopped, tt.done, tt.want, tt.why)
			}
		})
	}
}

// TestDecideSequentialABNGuardrail: in abn, a sequential guardrail found
// worse fails the run, named variant/metric; the early end still waits for
// every variant's primary test.
func TestDecideSequentialABNGuardrail(t *testing.T) {
	spec := Spec{Kind: KindABN, Limits: Limits{Count: 6, FailureLimit: 5},
		Cohorts: Cohorts{Control: &Cohort{Selector: `v="a"`}, Variants: map[string]Cohort{"b": {Selector: `v="b"`}}},
		Metrics: []MetricSpec{
			{Name: "conv", Primary: true, Judge: JudgeSpec{Type: JudgeSequential}},
			{Name: "errors", Kind: KindCounts, Judge: JudgeSpec{Type: JudgeSequential}},
		}}
	spec.Limits.setDefaults()
	v := Verdict{Verdict: judges.OutcomePass, Reason: "r"}
	var st RunState
	st.setTrack("b", "errors", &SequentialTrack{Decided: DecidedPass})
	if d := Decide(spec, &st, 1, v); d.Done {
		t.Fatalf("ended before the primary test stopped: %s", d.Final.Stopped)
	}
	st.setTrack("b", "conv", &SequentialTrack{Decided: DecidedBetter})
	if d := Decide(spec, &st, 2, v); !d.Done || d.Final.Verdict != judges.OutcomePass || !strings.Contains(d.Final.Stopped, "every variant decided") {
		t.Errorf("primary decided: done %v %s %q", d.Done, d.Final.Verdict, d.Final.Stopped)
	}
	st.setTrack("b", "errors", &SequentialTrack{Decided: DecidedWorse})
	if d := Decide(spec, &st, 3, v); !d.Done || d.Final.Verdict != judges.OutcomeFail || !strings.Contains(d.Final.Stopped, "b/errors significantly worse") {
		t.Errorf("guardrail worse: done %v %s %q", d.Done, d.Final.Verdict, d.Final.Stopped)
	}
}
