package pagerduty

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/augurhq/augur/alerting/notify"
)

// Limits of the Events API v2
// (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
// a summary of at most 1,024 characters, a dedup_key of at most 255, an
// event of at most 512 KB. A verdict lists at most maxFailing metrics in
// custom_details, each reason cut to maxMetricReason, which keeps the
// event far under the size limit.
const (
	maxSummary      = 1024
	maxDedupKey     = 255
	maxFailing      = 100
	maxMetricReason = 1000
	maxReason       = 4000
)

// event is an Events API v2 request body.
type event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"`
	DedupKey    string   `json:"dedup_key"`
	Payload     *payload `json:"payload,omitempty"`
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
	Links       []link   `json:"links,omitempty"`
}

type payload struct {
	Summary       string  `json:"summary"`
	Source        string  `json:"source"`
	Severity      string  `json:"severity"`
	Timestamp     string  `json:"timestamp,omitempty"`
	Component     string  `json:"component,omitempty"`
	Group         string  `json:"group,omitempty"`
	Class         string  `json:"class,omitempty"`
	CustomDetails details `json:"custom_details"`
}

type details struct {
	Verdict        string            `json:"verdict"`
	Score          *float64          `json:"score"`
	Reason         string            `json:"reason"`
	Experiment     string            `json:"experiment"`
	ExperimentID   string            `json:"experiment_id"`
	RunID          string            `json:"run_id,omitempty"`
	Labels         map[string]string `json:"labels,omitempty"`
	Failing        []metric          `json:"failing_metrics,omitempty"`
	FailingOmitted int               `json:"failing_metrics_omitted,omitempty"`
	Report         string            `json:"report,omitempty"`
}

type metric struct {
	Metric         string `json:"metric"`
	Classification string `json:"classification,omitempty"`
	Reason         string `json:"reason"`
}

type link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// DedupKey is the alert key of an experiment: every run of it updates one
// alert.
func DedupKey(experimentID string) string {
	return cut("augur-"+experimentID, maxDedupKey)
}

// severities maps a triggering verdict to the payload's severity.
var severities = map[string]string{
	"fail":         "critical",
	"error":        "error",
	"inconclusive": "warning",
	"marginal":     "warning",
}

// build returns the event for m, or false when m is not one PagerDuty
// takes (a start, a failed interval, a verdict not in TriggerOn).
func build(cfg Config, key string, m notify.Message) (event, bool) {
	ev := event{RoutingKey: key, DedupKey: DedupKey(m.ExperimentID)}
	if m.Resolved || (m.Event == notify.EventVerdict && m.Verdict == "pass") {
		ev.EventAction = "resolve"
		return ev, true
	}
	if m.Event != notify.EventVerdict || !slices.Contains(cfg.TriggerOn, m.Verdict) {
		return event{}, false
	}
	ev.EventAction = "trigger"
	ev.Client = "augur"
	ev.ClientURL = m.ReportURL
	if m.ReportURL != "" {
		ev.Links = []link{{Href: m.ReportURL, Text: "augur report: " + m.Name}}
	}
	d := details{
		Verdict: m.Verdict, Score: m.Score, Reason: cut(m.Reason, maxReason), Experiment: m.Name,
		ExperimentID: m.ExperimentID, RunID: m.RunID, Labels: m.Labels, Report: m.ReportURL,
	}
	for i, f := range m.Failing {
		if i == maxFailing {
			d.FailingOmitted = len(m.Failing) - maxFailing
			break
		}
		d.Failing = append(d.Failing, metric{Metric: f.Name, Classification: f.Classification, Reason: cut(f.Reason, maxMetricReason)})
	}
	ev.Payload = &payload{
		Summary: summary(m), Source: cfg.Source, Severity: severities[m.Verdict],
		Component: cfg.Component, Group: cfg.Group, Class: cfg.Class, CustomDetails: d,
	}
	if !m.At.IsZero() {
		ev.Payload.Timestamp = m.At.UTC().Format(time.RFC3339)
	}
	return ev, true
}

// summary is "augur: FAIL checkout-canary (score 41.7): reason", cut to
// PagerDuty's 1,024 characters.
func summary(m notify.Message) string {
	s := "augur: " + strings.ToUpper(m.Verdict) + " " + m.Name
	if m.Score != nil {
		s += " (score " + strconv.FormatFloat(*m.Score, 'f', 1, 64) + ")"
	}
	if m.Reason != "" {
		s += ": " + m.Reason
	}
	return cut(s, maxSummary)
}

func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	const note = "…"
	return string([]rune(s)[:n-1]) + note
}
