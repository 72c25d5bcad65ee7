package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/augurhq/augur/alerting/notify"
	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// Runs reads what a message is built from.
type Runs interface {
	GetRun(ctx context.Context, id string) (analysis.Run, error)
	GetExperiment(ctx context.Context, id string) (analysis.ExperimentRecord, error)
	ListIntervals(ctx context.Context, runID string, after, limit int) ([]analysis.IntervalResult, error)
}

// errGone means the event's run or experiment was deleted before the event
// was routed: there is nothing left to announce.
var errGone = errors.New("run or experiment deleted")

// buildMessage makes the message of one outbox event from the stored run,
// its experiment and, for a failed interval, that interval's verdict.
// reportBase is the external URL reports are linked under ("" for none).
func buildMessage(ctx context.Context, runs Runs, ev analysis.OutboxEvent, reportBase string) (notify.Message, error) {
	r, err := runs.GetRun(ctx, ev.RunID)
	if errors.Is(err, analysis.ErrNotFound) {
		return notify.Message{}, errGone
	}
	if err != nil {
		return notify.Message{}, err
	}
	exp, err := runs.GetExperiment(ctx, ev.ExperimentID)
	if errors.Is(err, analysis.ErrNotFound) {
		return notify.Message{}, errGone
	}
	if err != nil {
		return notify.Message{}, err
	}
	m := notify.Message{
		ID:           ev.ID,
		Event:        notify.Event(ev.Kind),
		ExperimentID: ev.ExperimentID,
		RunID:        ev.RunID,
		Name:         r.Spec.Name,
		Labels:       messageLabels(r.Spec, exp),
		At:           ev.At,
		StartedAt:    r.StartedAt,
	}
	if reportBase != "" {
		m.ReportURL = strings.TrimRight(reportBase, "/") + "/experiments/" + url.PathEscape(ev.ExperimentID)
	}
	var v *analysis.Verdict
	switch ev.Kind {
	case analysis.OutboxRunStarted:
		m.Severity = notify.SeverityInfo
		m.Reason = fmt.Sprintf("run started: %d intervals", r.Spec.IntervalCount())
		return m, nil
	case analysis.OutboxIntervalFailed:
		res, err := runs.ListIntervals(ctx, ev.RunID, ev.Index-1, 1)
		if err != nil {
			return notify.Message{}, err
		}
		if len(res) == 0 || res[0].Index != ev.Index {
			return notify.Message{}, errGone
		}
		v = &res[0].Verdict
	default: // verdict, run_aborted
		v = r.Verdict
	}
	if v == nil {
		return notify.Message{}, fmt.Errorf("outbox event %s: run %s has no verdict", ev.ID, ev.RunID)
	}
	fillVerdict(&m, *v)
	// A run that ended otherwise than failing (a pass, or an abort by a
	// user) resolves what an earlier verdict of the experiment raised.
	if ev.Kind == analysis.OutboxVerdict && r.Status == analysis.RunAborted && v.Verdict != judges.OutcomeFail {
		m.Resolved = true
	}
	if ev.Kind == analysis.OutboxVerdict && v.Verdict == judges.OutcomePass {
		m.Resolved = true
	}
	if ev.Kind == analysis.OutboxRunAborted {
		m.Reason = "run aborted: " + m.Reason
	}
	return m, nil
}

// messageLabels are what routes match: the spec's labels, then name, kind,
// template and key where set.
func messageLabels(s analysis.Spec, exp analysis.ExperimentRecord) map[string]string {
	l := make(map[string]string, len(s.Labels)+4)
	for k, v := range s.Labels {
		l[k] = v
	}
	set := func(k, v string) {
		if v != "" {
			l[k] = v
		}
	}
	set("name", s.Name)
	set("kind", s.Kind)
	set("template", exp.Template)
	set("key", exp.Key)
	return l
}

// fillVerdict copies a verdict into m: outcome, severity, score, reason,
// failing metrics, and the verdict document as the payload.
func fillVerdict(m *notify.Message, v analysis.Verdict) {
	m.Verdict = string(v.Verdict)
	m.Severity = severity(v.Verdict)
	m.Score = v.Score
	m.Reason = v.Reason
	for _, mr := range v.Metrics {
		if mr.DryRun {
			continue
		}
		switch mr.Classification {
		case judges.High, judges.Low, judges.Error:
		default:
			if !mr.CriticalBreach && !mr.MustHaveDataBreach {
				continue
			}
		}
		name := mr.Name
		if mr.Variant != "" && mr.Variant != "canary" {
			name += " (" + mr.Variant + ")"
		}
		m.Failing = append(m.Failing, notify.Metric{Name: name, Classification: string(mr.Classification), Reason: mr.Reason})
	}
	if b, err := json.Marshal(v); err == nil {
		m.Payload = b
	}
}

func severity(o judges.Outcome) string {
	switch o {
	case judges.OutcomeFail:
		return notify.SeverityCritical
	case judges.OutcomePass:
		return notify.SeverityInfo
	default:
		return notify.SeverityWarning
	}
}
