package analysis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/augurhq/augur/judges"
)

// MaxAbortOnAlert bounds a spec's abort_on_alert matcher sets.
const MaxAbortOnAlert = 20

// StoppedByAlert is Verdict.Stopped of a run an alert ended.
const StoppedByAlert = "alert"

// FiringAlert is an alert reported firing by an alerting system.
type FiringAlert struct {
	Labels       map[string]string `json:"labels"`
	StartsAt     time.Time         `json:"starts_at"`
	Fingerprint  string            `json:"fingerprint,omitempty"`
	GeneratorURL string            `json:"generator_url,omitempty"`
}

// String names the alert as alertname{other labels}.
func (a FiringAlert) String() string {
	b := labels.NewBuilder(labels.FromMap(a.Labels))
	b.Del(labels.AlertName)
	rest := b.Labels().String()
	if len(rest) > 512 {
		rest = rest[:509] + "...}"
	}
	return a.Labels[labels.AlertName] + rest
}

// AlertAbort is a run an alert ended as fail.
type AlertAbort struct {
	ExperimentID string `json:"experiment_id"`
	RunID        string `json:"run_id"`
	Experiment   string `json:"experiment"`
	Alert        string `json:"alert"`
	// Matcher is the abort_on_alert set the alert matched.
	Matcher string `json:"matcher"`
	Reason  string `json:"reason"`
}

// parseAlertMatchers parses one abort_on_alert matcher set, with or
// without its braces. Regular expressions are anchored, as Alertmanager's
// and Prometheus's are.
func parseAlertMatchers(set string) ([]*labels.Matcher, error) {
	t := strings.TrimSpace(set)
	if !strings.HasPrefix(t, "{") {
		t = "{" + t + "}"
	}
	ms, err := promQL.ParseMetricSelector(t)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if !m.Matches("") {
			return ms, nil
		}
	}
	return nil, errors.New("at least one matcher must not match the empty value, or the set would match every alert")
}

func (s Spec) validateAbortOnAlert(v *validator) {
	if len(s.AbortOnAlert) > MaxAbortOnAlert {
		v.add("abort_on_alert", "at most %d matcher sets, got %s", MaxAbortOnAlert, thousands(int64(len(s.AbortOnAlert))))
		return
	}
	for i, set := range s.AbortOnAlert {
		if _, err := parseAlertMatchers(set); err != nil {
			v.add(fmt.Sprintf("abort_on_alert[%d]", i), "must be label matchers such as {service=\"checkout\", severity=~\"critical|page\"}: %v", err)
		}
	}
}

// alertMatch returns the first of sets that every label matcher of which
// lbls satisfies.
func alertMatch(sets []string, lbls map[string]string) (string, bool) {
	for _, set := range sets {
		ms, err := parseAlertMatchers(set)
		if err != nil || len(ms) == 0 {
			continue // refused at creation; a stored spec is valid
		}
		ok := true
		for _, m := range ms {
			if !m.Matches(lbls[m.Name]) {
				ok = false
				break
			}
		}
		if ok {
			return set, true
		}
	}
	return "", false
}

// AbortOnAlerts ends, as fail, the active run of every experiment whose
// run's abort_on_alert matches one of the firing alerts, naming the
// earliest matching alert in the verdict's reason, and records the abort
// as an event of the experiment from source. A run that ended meanwhile
// is left alone. It returns the runs it ended.
func (m *Manager) AbortOnAlerts(ctx context.Context, source string, alerts []FiringAlert) ([]AlertAbort, error) {
	if len(alerts) == 0 {
		return nil, nil
	}
	alerts = ownAlertsLeftOut(alerts)
	if len(alerts) == 0 {
		return nil, nil
	}
	sort.SliceStable(alerts, func(i, j int) bool { return alerts[i].StartsAt.Before(alerts[j].StartsAt) })
	// Only experiments whose latest run is active can be aborted: the
	// database selects them.
	var es []ExperimentRecord
	for _, st := range []RunStatus{RunRunning, RunPaused} {
		found, err := m.store.FindExperiments(ctx, ExperimentFilter{Status: string(st)})
		if err != nil {
			return nil, err
		}
		es = append(es, found...)
	}
	var out []AlertAbort
	for _, e := range es {
		runs, err := m.store.ListRuns(ctx, e.ID)
		if err != nil {
			return out, err
		}
		if len(runs) == 0 || !runs[0].Status.Active() || len(runs[0].Spec.AbortOnAlert) == 0 {
			continue
		}
		r := runs[0]
		a, set, ok := firstMatch(r.Spec.AbortOnAlert, alerts)
		if !ok {
			continue
		}
		ab, err := m.failOnAlert(ctx, source, r, a, set)
		switch {
		case errors.Is(err, ErrConflict), errors.Is(err, ErrNotFound):
			// It ended, or was deleted, meanwhile: nothing to abort.
		case err != nil:
			return out, err
		default:
			out = append(out, ab)
		}
	}
	return out, nil
}

// firstMatch returns the first of alerts that matches one of sets, and
// the set.
func firstMatch(sets []string, alerts []FiringAlert) (FiringAlert, string, bool) {
	for _, a := range alerts {
		if set, ok := alertMatch(sets, a.Labels); ok {
			return a, set, true
		}
	}
	return FiringAlert{}, "", false
}

// failOnAlert ends run r as fail because of alert a. The store changes
// the run only while it is active, in one transaction, so an interval
// commit racing it finds the run ended and is dropped; the verdict then
// goes out as any final verdict does.
func (m *Manager) failOnAlert(ctx context.Context, source string, r Run, a FiringAlert, set string) (AlertAbort, error) {
	now := m.now().UTC()
	at := a.StartsAt
	if at.IsZero() {
		at = now
	}
	reason := fmt.Sprintf("alert %s fired at %s: run ended as fail", a, at.UTC().Format(time.RFC3339))
	v := abortedVerdict(r, now)
	zero := 0.0
	v.Verdict, v.Score, v.Reason, v.Stopped = judges.OutcomeFail, &zero, reason, StoppedByAlert
	if err := m.store.SetRunStatus(ctx, r.ID, RunAborted, time.Time{}, &v); err != nil {
		return AlertAbort{}, err
	}
	m.signalEnded()
	ab := AlertAbort{ExperimentID: r.ExperimentID, RunID: r.ID, Experiment: r.Spec.Name, Alert: a.String(), Matcher: set, Reason: reason}
	data, _ := json.Marshal(struct {
		RunID   string      `json:"run_id"`
		Matcher string      `json:"matcher"`
		Alert   FiringAlert `json:"alert"`
	}{r.ID, set, a})
	if len(data) > MaxEventDataBytes {
		data = nil
	}
	msg := reason
	if len(msg) > MaxEventMessageBytes {
		msg = msg[:MaxEventMessageBytes]
	}
	ev := Event{ExperimentID: r.ExperimentID, Source: source, Type: "abort_on_alert", Message: msg, Data: data, At: now}
	if err := m.RecordEvent(ctx, ev); err != nil {
		// The run ended as fail; only its note is missing.
		m.logger.Warn("recording an alert abort failed", "experiment", r.ExperimentID, "run", r.ID, "err", err)
	}
	return ab, nil
}

// OwnAlertPrefix starts the alertnames augur raises about its own verdicts
// (alerting/alertmanager: AugurCanaryFailed, ...). They carry the failed
// experiment's labels, so if Alertmanager routes them back here one
// canary's failure would end every canary of the same service; they are
// left out.
const OwnAlertPrefix = "AugurCanary"

// ownAlertsLeftOut returns a copy of alerts without augur's own.
func ownAlertsLeftOut(alerts []FiringAlert) []FiringAlert {
	out := make([]FiringAlert, 0, len(alerts))
	for _, a := range alerts {
		if !strings.HasPrefix(a.Labels["alertname"], OwnAlertPrefix) {
			out = append(out, a)
		}
	}
	return out
}
