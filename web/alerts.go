package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
)

// AlertAborter ends the active runs whose abort_on_alert matches a firing
// alert (*analysis.Manager implements it).
type AlertAborter interface {
	AbortOnAlerts(ctx context.Context, source string, alerts []analysis.FiringAlert) ([]analysis.AlertAbort, error)
}

// MaxAlertmanagerBytes bounds an Alertmanager webhook body; larger bodies
// get 413.
const MaxAlertmanagerBytes = 4 << 20

// alertmanagerVersion is the webhook payload version read here.
const alertmanagerVersion = "4"

// alertmanagerMessage is Alertmanager's webhook payload, version 4
// (notify/webhook Message embedding template.Data). Fields added by later
// Alertmanager releases are ignored.
type alertmanagerMessage struct {
	Version           *string              `json:"version"`
	GroupKey          string               `json:"groupKey"`
	TruncatedAlerts   uint64               `json:"truncatedAlerts"`
	Status            string               `json:"status"`
	Receiver          string               `json:"receiver"`
	GroupLabels       map[string]string    `json:"groupLabels"`
	CommonLabels      map[string]string    `json:"commonLabels"`
	CommonAnnotations map[string]string    `json:"commonAnnotations"`
	ExternalURL       string               `json:"externalURL"`
	Alerts            *[]alertmanagerAlert `json:"alerts"`
}

// alertmanagerAlert is one alert of the payload (template.Alert).
type alertmanagerAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// alertAborts is the answer to an Alertmanager webhook: the runs ended,
// and how many of the payload's alerts were firing and resolved.
type alertAborts struct {
	Aborted  []analysis.AlertAbort `json:"aborted"`
	Firing   int                   `json:"firing"`
	Resolved int                   `json:"resolved"`
}

func registerAlerts(r gin.IRoutes, a api, ab AlertAborter) {
	r.POST(Prefix+"/alerts/alertmanager", func(c *gin.Context) { a.alertmanager(c, ab) })
}

// alertmanager takes an Alertmanager webhook: every firing alert ends the
// active runs whose abort_on_alert it matches; resolved alerts change
// nothing.
func (a api) alertmanager(c *gin.Context, ab AlertAborter) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxAlertmanagerBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", MaxAlertmanagerBytes))
		return
	case err != nil:
		writeError(c, http.StatusBadRequest, "read body: "+err.Error())
		return
	}
	msg, fields := decodeAlertmanager(body)
	if len(fields) > 0 {
		writeError(c, http.StatusBadRequest, "not an Alertmanager webhook payload (version 4): "+summary(fields), fields...)
		return
	}
	out := alertAborts{Aborted: []analysis.AlertAbort{}}
	var firing []analysis.FiringAlert
	for _, al := range *msg.Alerts {
		if al.Status != "firing" {
			out.Resolved++
			continue
		}
		out.Firing++
		startsAt, _ := time.Parse(time.RFC3339Nano, al.StartsAt) // checked by decodeAlertmanager
		firing = append(firing, analysis.FiringAlert{Labels: al.Labels, StartsAt: startsAt, Fingerprint: al.Fingerprint, GeneratorURL: al.GeneratorURL})
	}
	aborted, err := ab.AbortOnAlerts(c.Request.Context(), "alertmanager", firing)
	if err != nil {
		a.fail(c, err, "", "")
		return
	}
	out.Aborted = append(out.Aborted, aborted...)
	c.JSON(http.StatusOK, out)
}

// decodeAlertmanager decodes and checks a version 4 payload, naming each
// field that is missing or wrong.
func decodeAlertmanager(body []byte) (alertmanagerMessage, []fieldError) {
	var msg alertmanagerMessage
	if len(bytes.TrimSpace(body)) == 0 {
		return msg, []fieldError{{Message: "empty body: send Alertmanager's webhook JSON"}}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&msg); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return msg, []fieldError{{Field: typeErr.Field, Message: fmt.Sprintf("must be %s, got %s", typeErr.Type, typeErr.Value)}}
		}
		return msg, []fieldError{{Message: "body is not JSON: " + err.Error()}}
	}
	if dec.More() {
		return msg, []fieldError{{Message: "body has data after the JSON object"}}
	}
	var fields []fieldError
	switch {
	case msg.Version == nil:
		fields = append(fields, fieldError{Field: "version", Message: fmt.Sprintf("required: %q", alertmanagerVersion)})
	case *msg.Version != alertmanagerVersion:
		fields = append(fields, fieldError{Field: "version", Message: fmt.Sprintf("must be %q, got %q", alertmanagerVersion, *msg.Version)})
	}
	if msg.Alerts == nil {
		fields = append(fields, fieldError{Field: "alerts", Message: "required: the list of alerts"})
		return msg, fields
	}
	for i, al := range *msg.Alerts {
		switch al.Status {
		case "firing":
			if len(al.Labels) == 0 {
				fields = append(fields, fieldError{Field: fmt.Sprintf("alerts[%d].labels", i), Message: "a firing alert must have labels"})
			}
		case "resolved":
		default:
			fields = append(fields, fieldError{Field: fmt.Sprintf("alerts[%d].status", i), Message: fmt.Sprintf("must be firing or resolved, got %q", al.Status)})
		}
		for _, ts := range []struct{ name, v string }{{"startsAt", al.StartsAt}, {"endsAt", al.EndsAt}} {
			if _, err := time.Parse(time.RFC3339Nano, ts.v); err != nil {
				fields = append(fields, fieldError{Field: fmt.Sprintf("alerts[%d].%s", i, ts.name), Message: fmt.Sprintf("must be an RFC 3339 time, got %q", ts.v)})
			}
		}
	}
	return msg, fields
}
