package analysis

import (
	"fmt"
	"strings"

	"github.com/augurhq/augur/judges"
)

// Decision is what Decide concludes after an interval.
type Decision struct {
	// Done: the run ends with Final.
	Done  bool
	Final Verdict
}

// Decide counts interval i's verdict against the spec's limits (in st) and
// says whether the run ends, and with which final verdict. This is the
// whole of the run-level logic:
//
//   - a critical metric's failure ends the run failed at once;
//   - a sequential test that found a variant worse ends it failed; in abn,
//     once every variant's primary test stopped, the run ends with this
//     interval's outcome; in a canary, once every sequential metric passed
//     early (no worse than its margin) while every other metric passed in
//     the same interval, the run ends passed;
//   - more than failure_limit failed intervals: failed; more than
//     inconclusive_limit inconclusive or marginal ones: inconclusive; more
//     than consecutive_error_limit errors in a row: error;
//   - after the last interval, its verdict is the run's (Kayenta: the last
//     judgement, over the longest window, decides).
//
// Error never counts as a failure and missing data never as a pass.
func Decide(spec Spec, st *RunState, i int, v Verdict) Decision {
	switch v.Verdict {
	case judges.OutcomeFail:
		st.Failures++
		st.ConsecutiveErrors = 0
	case judges.OutcomeInconclusive, judges.OutcomeMarginal:
		st.Inconclusives++
		st.ConsecutiveErrors = 0
	case judges.OutcomeError:
		st.ConsecutiveErrors++
	default:
		st.ConsecutiveErrors = 0
	}
	final := v
	end := func(outcome judges.Outcome, stopped string) Decision {
		final.Verdict = outcome
		if stopped != "" {
			final.Stopped = stopped
			if outcome != v.Verdict {
				final.Reason = stopped + "; last interval: " + v.Reason
			} else {
				final.Reason = stopped + "; " + v.Reason
			}
		}
		return Decision{Done: true, Final: final}
	}
	last := i+1 >= spec.IntervalCount()
	if names := criticalFailures(v); len(names) > 0 {
		return end(judges.OutcomeFail, fmt.Sprintf("critical metric %s failed in interval %d", strings.Join(names, ", "), i+1))
	}
	if worse, all := sequentialStops(spec, st, v); len(worse) > 0 {
		return end(judges.OutcomeFail, fmt.Sprintf("sequential test: %s significantly worse (always-valid p ≤ α) in interval %d", strings.Join(worse, ", "), i+1))
	} else if all && !last && spec.Kind == KindABN {
		return end(v.Verdict, fmt.Sprintf("sequential test: every variant decided by interval %d", i+1))
	} else if all && !last {
		return end(v.Verdict, fmt.Sprintf("sequential test: every sequential metric passed early and every other metric passed in interval %d", i+1))
	}
	l := spec.Limits
	switch {
	case st.Failures > l.FailureLimit:
		return end(judges.OutcomeFail, fmt.Sprintf("%d failed interval(s), more than failure_limit %d", st.Failures, l.FailureLimit))
	case l.InconclusiveLimit != nil && st.Inconclusives > *l.InconclusiveLimit:
		return end(judges.OutcomeInconclusive, fmt.Sprintf("%d inconclusive interval(s), more than inconclusive_limit %d", st.Inconclusives, *l.InconclusiveLimit))
	case l.ConsecutiveErrorLimit != nil && st.ConsecutiveErrors > *l.ConsecutiveErrorLimit:
		return end(judges.OutcomeError, fmt.Sprintf("%d consecutive errors, more than consecutive_error_limit %d", st.ConsecutiveErrors, *l.ConsecutiveErrorLimit))
	case last:
		return end(v.Verdict, "")
	}
	return Decision{}
}

// criticalFailures names the deciding critical metrics that failed.
func criticalFailures(v Verdict) []string {
	var out []string
	for _, r := range v.Metrics {
		if r.DryRun {
			continue
		}
		failed := r.Classification == judges.High || r.Classification == judges.Low
		if r.CriticalBreach || (r.Critical && (failed || r.MustHaveDataBreach)) {
			name := r.Name
			if r.Variant != "" && r.Variant != "canary" && r.Variant != "target" {
				name = r.Variant + "/" + r.Name
			}
			out = append(out, name)
		}
	}
	return out
}

// sequentialStops lists the deciding sequential tests that found a variant
// worse (abn: the variant, or variant/metric for a guardrail; canary: the
// metric), and says whether the run may end now with this interval's
// outcome: in abn, once every variant's primary test has stopped; in a
// canary, once every deciding sequential metric has passed early (no worse
// than its margin) and every other deciding metric passed in this interval.
func sequentialStops(spec Spec, st *RunState, v Verdict) (worse []string, all bool) {
	if spec.Kind == KindSLO || !hasSequential(spec) {
		return nil, false
	}
	comps := spec.Comparisons()
	all = len(comps) > 0
	for _, c := range comps {
		for _, m := range spec.Metrics {
			if m.Judge.Type != JudgeSequential || m.DryRun {
				continue
			}
			t := st.track(c.Variant, m)
			name := m.Name
			if spec.Kind == KindABN {
				name = c.Variant
				if !m.Primary {
					name += "/" + m.Name
				}
			}
			switch {
			case t != nil && t.Decided == DecidedWorse:
				worse = append(worse, name)
			case spec.Kind == KindABN && !m.Primary:
			case t == nil || t.Decided == "":
				all = false
			}
		}
	}
	if spec.Kind == KindCanary {
		for _, r := range v.Metrics {
			if !r.DryRun && r.Classification != judges.Pass {
				all = false
			}
		}
	}
	return worse, all
}

func hasSequential(spec Spec) bool {
	for _, m := range spec.Metrics {
		if m.Judge.Type == JudgeSequential && !m.DryRun {
			return true
		}
	}
	return false
}
