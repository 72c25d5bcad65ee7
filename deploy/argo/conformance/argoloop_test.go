package conformance

import (
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	analysisutil "github.com/argoproj/argo-rollouts/utils/analysis"
	"github.com/argoproj/argo-rollouts/utils/defaults"
	timeutil "github.com/argoproj/argo-rollouts/utils/time"
)

// The analysis controller's measurement loop, replayed from
// argoproj/argo-rollouts v1.8.3 analysis/analysis.go (generateMetricTasks,
// runMeasurements, assessRunStatus, assessMetricStatus,
// assessMetricFailureInconclusiveOrError): the controller itself needs a
// Kubernetes API server and informers, and its bookkeeping is unexported,
// so its rules are followed here step by step, around Argo's own
// provider, condition evaluation (inside the provider) and helpers.

// webErrorRetry stands for the controller's DefaultErrorRetryInterval
// (10 s, whatever the metric's interval), scaled like the test's 1 s
// augur interval stands for minutes.
const webErrorRetry = 100 * time.Millisecond

// step is one reconciliation at now: take the measurements that are due,
// then assess the metrics and the run.
func (r *webRun) step(now time.Time) {
	terminating := analysisutil.IsTerminating(r.run)
	for i, m := range r.metrics {
		if analysisutil.MetricCompleted(r.run, m.Name) || terminating {
			continue
		}
		res := analysisutil.GetResult(r.run, m.Name)
		if res != nil {
			if c := m.EffectiveCount(); c != nil && res.Count >= int32(c.IntValue()) {
				continue
			}
		}
		if now.Before(r.next[i]) {
			continue
		}
		meas := r.providers[i].Run(r.run, m)
		if res == nil {
			res = &v1alpha1.MetricResult{Name: m.Name, Phase: v1alpha1.AnalysisPhaseRunning}
		}
		if meas.Phase.Completed() {
			if meas.FinishedAt == nil {
				f := timeutil.MetaNow()
				meas.FinishedAt = &f
			}
			switch meas.Phase {
			case v1alpha1.AnalysisPhaseSuccessful:
				res.Successful++
				res.Count++
				res.ConsecutiveError = 0
				res.ConsecutiveSuccess++
			case v1alpha1.AnalysisPhaseFailed:
				res.Failed++
				res.Count++
				res.ConsecutiveError = 0
				res.ConsecutiveSuccess = 0
			case v1alpha1.AnalysisPhaseInconclusive:
				res.Inconclusive++
				res.Count++
				res.ConsecutiveError = 0
				res.ConsecutiveSuccess = 0
			case v1alpha1.AnalysisPhaseError:
				res.Error++
				res.ConsecutiveError++
				res.ConsecutiveSuccess = 0
			}
		}
		res.Measurements = append(res.Measurements, meas)
		analysisutil.SetResult(r.run, *res)
		interval := webErrorRetry
		if meas.Phase != v1alpha1.AnalysisPhaseError && m.Interval != "" {
			d, err := m.Interval.Duration()
			if err != nil {
				continue
			}
			interval = d
		}
		r.next[i] = time.Now().Add(interval)
	}
	r.run.Status.Phase = r.assessRun()
}

// assessRun is assessRunStatus: the run is running while a metric is;
// then, or once it is terminating, the worst completed metric's phase.
func (r *webRun) assessRun() v1alpha1.AnalysisPhase {
	terminating := analysisutil.IsTerminating(r.run)
	var worst v1alpha1.AnalysisPhase
	everything := true
	for _, m := range r.metrics {
		res := analysisutil.GetResult(r.run, m.Name)
		if res == nil {
			everything = false
			continue
		}
		st := assessMetric(m, *res, terminating)
		if res.Phase != st {
			res.Phase = st
			analysisutil.SetResult(r.run, *res)
		}
		if !st.Completed() {
			everything = false
			continue
		}
		if worst == "" || analysisutil.IsWorse(worst, st) {
			worst = st
		}
	}
	if terminating {
		if worst == "" {
			return v1alpha1.AnalysisPhaseSuccessful
		}
		return worst
	}
	if !everything || worst == "" {
		return v1alpha1.AnalysisPhaseRunning
	}
	return worst
}

// assessMetric is assessMetricStatus.
func assessMetric(m v1alpha1.Metric, res v1alpha1.MetricResult, terminating bool) v1alpha1.AnalysisPhase {
	if res.Phase.Completed() {
		return res.Phase
	}
	if len(res.Measurements) == 0 {
		if terminating {
			return v1alpha1.AnalysisPhaseSuccessful
		}
		return v1alpha1.AnalysisPhasePending
	}
	if !res.Measurements[len(res.Measurements)-1].Phase.Completed() {
		return v1alpha1.AnalysisPhaseRunning
	}
	if p := failureInconclusiveOrError(m, res); p != "" {
		return p
	}
	successLimit := m.ConsecutiveSuccessLimit != nil && m.ConsecutiveSuccessLimit.IntValue() > 0
	if successLimit && res.ConsecutiveSuccess >= int32(m.ConsecutiveSuccessLimit.IntValue()) {
		return v1alpha1.AnalysisPhaseSuccessful
	}
	if c := m.EffectiveCount(); c != nil && res.Count >= int32(c.IntValue()) {
		failureApplicable := m.FailureLimit == nil || m.FailureLimit.IntValue() >= 0
		switch {
		case failureApplicable && successLimit:
			return v1alpha1.AnalysisPhaseInconclusive
		case successLimit:
			return v1alpha1.AnalysisPhaseFailed
		}
		return v1alpha1.AnalysisPhaseSuccessful
	}
	if terminating {
		return v1alpha1.AnalysisPhaseSuccessful
	}
	return v1alpha1.AnalysisPhaseRunning
}

// failureInconclusiveOrError is assessMetricFailureInconclusiveOrError:
// the later checks win (error over inconclusive over failed).
func failureInconclusiveOrError(m v1alpha1.Metric, res v1alpha1.MetricResult) v1alpha1.AnalysisPhase {
	var phase v1alpha1.AnalysisPhase
	failureLimit := int32(0)
	if m.FailureLimit != nil {
		failureLimit = int32(m.FailureLimit.IntValue())
	}
	if failureLimit >= 0 && res.Failed > failureLimit {
		phase = v1alpha1.AnalysisPhaseFailed
	}
	inconclusiveLimit := int32(0)
	if m.InconclusiveLimit != nil {
		inconclusiveLimit = int32(m.InconclusiveLimit.IntValue())
	}
	if res.Inconclusive > inconclusiveLimit {
		phase = v1alpha1.AnalysisPhaseInconclusive
	}
	if res.ConsecutiveError > defaults.GetConsecutiveErrorLimitOrDefault(&m) {
		phase = v1alpha1.AnalysisPhaseError
	}
	return phase
}
