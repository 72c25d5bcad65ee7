package judges

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Outcome is the verdict on a whole canary run.
type Outcome string

const (
	OutcomePass         Outcome = "pass"
	OutcomeMarginal     Outcome = "marginal"
	OutcomeFail         Outcome = "fail"
	OutcomeInconclusive Outcome = "inconclusive"
	OutcomeError        Outcome = "error"
)

// Scored is one metric's classification as input to ScoreRun.
type Scored struct {
	Name           string
	Classification Classification
	Weight         float64 // > 0
	Critical       bool    // the metric is critical: High or Low fails the run
	CriticalBreach bool    // a critical bound was breached (MetricResult.Critical)
}

// Thresholds are the score cut-offs, 0 ≤ Marginal ≤ Pass ≤ 100.
type Thresholds struct {
	Pass, Marginal float64
}

// Validate checks 0 ≤ Marginal ≤ Pass ≤ 100.
func (t Thresholds) Validate() error {
	var errs []error
	in := func(name string, v float64) {
		if !(v >= 0 && v <= 100) {
			errs = append(errs, fmt.Errorf("invalid %s %v: outside [0, 100]", name, v))
		}
	}
	in("Pass", t.Pass)
	in("Marginal", t.Marginal)
	if t.Marginal > t.Pass {
		errs = append(errs, fmt.Errorf("invalid Marginal %v: above Pass %v", t.Marginal, t.Pass))
	}
	return errors.Join(errs...)
}

// Score is the verdict on a run. Score is 100·Σweight(pass)/Σweight(pass,
// high, low) over the metrics with data (0 when none has data, or when a
// critical failure forces it).
type Score struct {
	Outcome Outcome
	Score   float64
	Reason  string
}

// ScoreRun combines metric classifications into a run outcome. In order:
//
//  1. invalid thresholds, a weight that is not > 0 and finite, or an unknown
//     classification → error;
//  2. no metrics → inconclusive;
//  3. any CriticalBreach, or a Critical metric classified High or Low →
//     fail with score 0;
//  4. NoData and Error are never counted as a pass: if even the best case
//     (all of them passing) scores below Marginal → fail;
//  5. otherwise any Error → error; any NoData → inconclusive (so a critical
//     metric without data never passes);
//  6. otherwise pass if score ≥ Pass, marginal if score ≥ Marginal, else fail.
func ScoreRun(metrics []Scored, th Thresholds) Score {
	if err := th.Validate(); err != nil {
		return Score{Outcome: OutcomeError, Reason: "thresholds: " + oneLine(err)}
	}
	var errs []error
	for i, m := range metrics {
		if !(m.Weight > 0) || math.IsInf(m.Weight, 0) {
			errs = append(errs, fmt.Errorf("%s: weight %v must be > 0 and finite", metricName(i, m), m.Weight))
		}
		switch m.Classification {
		case Pass, High, Low, NoData, Error:
		default:
			errs = append(errs, fmt.Errorf("%s: unknown classification %q", metricName(i, m), m.Classification))
		}
	}
	if len(errs) > 0 {
		return Score{Outcome: OutcomeError, Reason: "invalid metrics: " + oneLine(errors.Join(errs...))}
	}
	if len(metrics) == 0 {
		return Score{Outcome: OutcomeInconclusive, Reason: "no metrics to score"}
	}

	var critical, failing, missing, errored []string
	var wPass, wFail, wMissing float64
	for i, m := range metrics {
		name := metricName(i, m)
		switch {
		case m.CriticalBreach:
			critical = append(critical, name+" "+string(m.Classification)+" beyond its critical bound")
		case m.Critical && (m.Classification == High || m.Classification == Low):
			critical = append(critical, name+" "+string(m.Classification)+" (critical metric)")
		}
		switch m.Classification {
		case Pass:
			wPass += m.Weight
		case High, Low:
			wFail += m.Weight
			failing = append(failing, name+" "+string(m.Classification))
		case NoData:
			wMissing += m.Weight
			missing = append(missing, name)
		case Error:
			wMissing += m.Weight
			errored = append(errored, name)
		}
	}
	if len(critical) > 0 {
		return Score{Outcome: OutcomeFail, Reason: "critical failure: " + nameList(critical)}
	}

	score := 0.0
	if wPass+wFail > 0 {
		score = 100 * wPass / (wPass + wFail)
	}
	total := wPass + wFail + wMissing
	best := 100 * (wPass + wMissing) / total
	worst := 100 * wPass / total
	withoutData := append(append([]string(nil), missing...), errored...)

	switch {
	case len(withoutData) > 0 && best < th.Marginal:
		return Score{Outcome: OutcomeFail, Score: score, Reason: fmt.Sprintf(
			"best-case score %s < marginal %s even if %s passed: %s",
			fmtScore(best), fmtNum(th.Marginal), nameList(withoutData), nameList(failing))}
	case len(errored) > 0:
		return Score{Outcome: OutcomeError, Score: score, Reason: fmt.Sprintf(
			"error in %s; score %s..%s depending on the metrics without a verdict",
			nameList(errored), fmtScore(worst), fmtScore(best))}
	case len(missing) > 0:
		return Score{Outcome: OutcomeInconclusive, Score: score, Reason: fmt.Sprintf(
			"no data for %s; score %s..%s depending on them",
			nameList(missing), fmtScore(worst), fmtScore(best))}
	}

	s := Score{Score: score}
	switch {
	case score >= th.Pass:
		s.Outcome = OutcomePass
		s.Reason = fmt.Sprintf("score %s ≥ pass %s", fmtScore(score), fmtNum(th.Pass))
	case score >= th.Marginal:
		s.Outcome = OutcomeMarginal
		s.Reason = fmt.Sprintf("score %s < pass %s", fmtScore(score), fmtNum(th.Pass))
	default:
		s.Outcome = OutcomeFail
		s.Reason = fmt.Sprintf("score %s < marginal %s", fmtScore(score), fmtNum(th.Marginal))
	}
	if len(failing) > 0 {
		s.Reason += ": " + nameList(failing)
	}
	return s
}

func metricName(i int, m Scored) string {
	if m.Name == "" {
		return fmt.Sprintf("metric #%d", i)
	}
	return m.Name
}

// nameList joins up to 5 names and counts the rest.
func nameList(names []string) string {
	const maxNames = 5
	if len(names) <= maxNames {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:maxNames], ", ") + fmt.Sprintf(" and %d more", len(names)-maxNames)
}

func fmtScore(v float64) string { return fmt.Sprintf("%.1f", v) }
