package web

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

// alertmanagerBody is a version 4 webhook as Alertmanager sends it: the
// fields of notify/webhook/webhook.go's Message and template/template.go's
// Data and Alert (prometheus/alertmanager 68fb2d5759b3), one firing and one
// resolved alert.
const alertmanagerBody = `{
  "receiver": "augur",
  "status": "firing",
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": "page"},
      "annotations": {"summary": "5xx above 5 %"},
      "startsAt": "2026-12-03T20:04:05.123Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus.invalid/graph?g0.expr=x",
      "fingerprint": "3a9b0c4d5e6f7081"
    },
    {
      "status": "resolved",
      "labels": {"alertname": "DiskFull", "service": "checkout"},
      "annotations": {},
      "startsAt": "2026-12-03T19:00:00Z",
      "endsAt": "2026-12-03T19:30:00Z",
      "generatorURL": "",
      "fingerprint": "0000000000000001"
    }
  ],
  "groupLabels": {"service": "checkout"},
  "commonLabels": {"service": "checkout"},
  "commonAnnotations": {},
  "externalURL": "http://alertmanager.invalid:9093",
  "version": "4",
  "groupKey": "{}:{service=\"checkout\"}",
  "truncatedAlerts": 0
}`

// aborterFunc is an AlertAborter that records what it was given.
type aborterFunc struct {
	calls [][]analysis.FiringAlert
	fn    func([]analysis.FiringAlert) ([]analysis.AlertAbort, error)
}

func (a *aborterFunc) AbortOnAlerts(_ context.Context, source string, alerts []analysis.FiringAlert) ([]analysis.AlertAbort, error) {
	if source != "alertmanager" {
		return nil, errors.New("source " + source)
	}
	a.calls = append(a.calls, alerts)
	if a.fn == nil {
		return nil, nil
	}
	return a.fn(alerts)
}

// TestAlertmanagerWebhook: only the firing alerts go to the manager, with
// their labels, start and fingerprint, and the answer lists what it ended.
func TestAlertmanagerWebhook(t *testing.T) {
	ab := &aborterFunc{fn: func(alerts []analysis.FiringAlert) ([]analysis.AlertAbort, error) {
		return []analysis.AlertAbort{{ExperimentID: "e1", RunID: "r1", Experiment: "checkout", Alert: alerts[0].String()}}, nil
	}}
	a := serve(t, &fake{AlertAborter: ab}, request{method: http.MethodPost, target: "/api/v1/alerts/alertmanager", body: alertmanagerBody})
	if a.Code != http.StatusOK {
		t.Fatalf("status %d: %s", a.Code, a.Body)
	}
	want := []analysis.FiringAlert{{
		Labels:   map[string]string{"alertname": "HighErrorRate", "service": "checkout", "severity": "page"},
		StartsAt: time.Date(2026, 12, 3, 20, 4, 5, 123e6, time.UTC), Fingerprint: "3a9b0c4d5e6f7081",
		GeneratorURL: "http://prometheus.invalid/graph?g0.expr=x",
	}}
	if len(ab.calls) != 1 || !reflect.DeepEqual(ab.calls[0], want) {
		t.Errorf("manager got %+v, want %+v", ab.calls, want)
	}
	aborted, _ := a.json["aborted"].([]any)
	if len(aborted) != 1 || aborted[0].(map[string]any)["experiment_id"] != "e1" || a.json["firing"] != 1.0 || a.json["resolved"] != 1.0 {
		t.Errorf("answer %s", a.Body)
	}
}

// TestAlertmanagerWebhookResolvedOnly: a payload of resolved alerts
// aborts nothing and answers an empty list.
func TestAlertmanagerWebhookResolvedOnly(t *testing.T) {
	ab := &aborterFunc{fn: func(alerts []analysis.FiringAlert) ([]analysis.AlertAbort, error) {
		if len(alerts) > 0 {
			t.Errorf("resolved alerts passed on as firing: %+v", alerts)
		}
		return nil, nil
	}}
	body := strings.Replace(alertmanagerBody, `"status": "firing",
      "labels": {"alertname": "HighErrorRate"`, `"status": "resolved",
      "labels": {"alertname": "HighErrorRate"`, 1)
	a := serve(t, &fake{AlertAborter: ab}, request{method: http.MethodPost, target: "/api/v1/alerts/alertmanager", body: body})
	if a.Code != http.StatusOK || strings.TrimSpace(a.Body.String()) != `{"aborted":[],"firing":0,"resolved":2}` {
		t.Errorf("status %d: %s", a.Code, a.Body)
	}
}

// TestAlertmanagerWebhookBadPayload: a body that is not a version 4
// payload gets 400 naming the field, and reaches no experiment.
func TestAlertmanagerWebhookBadPayload(t *testing.T) {
	tests := []struct {
		name, body string
		want       string // a field entry, or the message for the whole body
	}{
		{"empty", "", "empty body"},
		{"not JSON", "{", "body is not JSON"},
		{"trailing data", `{"version":"4","alerts":[]} {}`, "data after the JSON object"},
		{"no version", `{"alerts":[]}`, `version: required: "4"`},
		{"version 3", strings.Replace(alertmanagerBody, `"version": "4"`, `"version": "3"`, 1), `version: must be "4", got "3"`},
		{"version a number", strings.Replace(alertmanagerBody, `"version": "4"`, `"version": 4`, 1), "version: must be string, got number"},
		{"no alerts", `{"version":"4"}`, "alerts: required"},
		{"alerts not a list", `{"version":"4","alerts":{}}`, "alerts: must be"},
		{"bad status", strings.Replace(alertmanagerBody, `"status": "resolved"`, `"status": "gone"`, 1), `alerts[1].status: must be firing or resolved, got "gone"`},
		{"firing without labels", `{"version":"4","alerts":[{"status":"firing","labels":{},"startsAt":"2026-12-03T20:04:05Z","endsAt":"0001-01-01T00:00:00Z"}]}`, "alerts[0].labels: a firing alert must have labels"},
		{"bad startsAt", strings.Replace(alertmanagerBody, `"2026-12-03T20:04:05.123Z"`, `"yesterday"`, 1), `alerts[0].startsAt: must be an RFC 3339 time, got "yesterday"`},
		{"label value not a string", strings.Replace(alertmanagerBody, `"severity": "page"`, `"severity": 3`, 1), "alerts.labels: must be string, got number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ab := &aborterFunc{}
			a := serve(t, &fake{AlertAborter: ab}, request{method: http.MethodPost, target: "/api/v1/alerts/alertmanager", body: tt.body})
			if a.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", a.Code, a.Body)
			}
			msg, _ := a.json["error"].(string)
			if !strings.Contains(msg, tt.want) && !strings.Contains(strings.Join(a.fields(), "\n"), tt.want) {
				t.Errorf("answer %s lacks %q", a.Body, tt.want)
			}
			if len(ab.calls) != 0 {
				t.Errorf("a refused payload reached the manager: %+v", ab.calls)
			}
		})
	}
}

// TestAlertmanagerWebhookLimitsAndErrors: an oversized body gets 413 and a
// store failure a 500 that does not echo the error.
func TestAlertmanagerWebhookLimitsAndErrors(t *testing.T) {
	big := `{"version":"4","alerts":[],"receiver":"` + strings.Repeat("x", MaxAlertmanagerBytes) + `"}`
	if a := serve(t, &fake{AlertAborter: &aborterFunc{}}, request{method: http.MethodPost, target: "/api/v1/alerts/alertmanager", body: big}); a.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", a.Code)
	}
	ab := &aborterFunc{fn: func([]analysis.FiringAlert) ([]analysis.AlertAbort, error) {
		return nil, errors.New("SELECT id FROM runs: database is locked")
	}}
	a := serve(t, &fake{AlertAborter: ab}, request{method: http.MethodPost, target: "/api/v1/alerts/alertmanager", body: alertmanagerBody})
	if a.Code != http.StatusInternalServerError || strings.Contains(a.Body.String(), "SELECT") || !strings.Contains(a.log, "database is locked") {
		t.Errorf("store failure: %d %s (log %q)", a.Code, a.Body, a.log)
	}
}
