package gates

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
)

// Flagger webhook types (Flagger's HookType values).
const (
	FlaggerPreRollout             = "pre-rollout"
	FlaggerRollout                = "rollout"
	FlaggerConfirmRollout         = "confirm-rollout"
	FlaggerConfirmTrafficIncrease = "confirm-traffic-increase"
	FlaggerConfirmPromotion       = "confirm-promotion"
	FlaggerPostRollout            = "post-rollout"
	FlaggerRollback               = "rollback"
	FlaggerEvent                  = "event"
)

var flaggerTypes = []string{FlaggerPreRollout, FlaggerRollout, FlaggerConfirmRollout, FlaggerConfirmTrafficIncrease,
	FlaggerConfirmPromotion, FlaggerPostRollout, FlaggerRollback, FlaggerEvent}

// flaggerPayload is Flagger's webhook body (CanaryWebhookPayload).
type flaggerPayload struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Phase     string            `json:"phase"`
	Checksum  string            `json:"checksum"`
	Metadata  map[string]string `json:"metadata,omitempty"`
}

// flaggerClosed is the status of a closed gate: Flagger fails any status
// above 202 (Flagger's own load tester answers 403 for a closed gate).
const flaggerClosed = http.StatusForbidden

// flagger serves Flagger's webhooks. Every answer is one human line,
// which Flagger puts into its events.
func (g *gates) flagger(c *gin.Context) {
	ctx, name := c.Request.Context(), c.Param("template")
	say := func(code int, format string, a ...any) {
		c.String(code, oneLine(fmt.Sprintf(format, a...))+"\n")
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes))
	if err != nil {
		say(http.StatusRequestEntityTooLarge, "body: larger than %d bytes or unreadable", MaxBodyBytes)
		return
	}
	var p flaggerPayload
	if err := json.Unmarshal(body, &p); err != nil {
		say(http.StatusBadRequest, "body: want Flagger's webhook payload {name, namespace, phase, checksum, metadata}: %v", err)
		return
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"name", p.Name}, {"namespace", p.Namespace}, {"checksum", p.Checksum}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		say(http.StatusUnprocessableEntity, "payload: missing %s", strings.Join(missing, ", "))
		return
	}
	t, err := g.m.GetTemplate(ctx, name)
	if err != nil {
		code, msg := g.classify(c, err, "template "+name)
		say(code, "%s", msg)
		return
	}
	typ := c.Query("type")
	if typ == "" {
		typ = orDefault(t.Flagger, FlaggerRollout)
	}
	if !slices.Contains(flaggerTypes, typ) {
		say(http.StatusBadRequest, "type %q: want one of %s", typ, strings.Join(flaggerTypes, ", "))
		return
	}
	key := "flagger/" + name + "/" + p.Namespace + "/" + p.Name + "/" + p.Checksum
	args := map[string]string{}
	for k, v := range p.Metadata {
		args[k] = v
	}
	args["name"], args["namespace"], args["phase"], args["checksum"] = p.Name, p.Namespace, p.Phase, p.Checksum

	if typ == FlaggerEvent || typ == FlaggerPostRollout || typ == FlaggerRollback {
		// These never start a run: they speak of one that exists.
		inst, err := g.m.Instance(ctx, key)
		if analysis.IsNotFound(err) {
			if typ == FlaggerRollback {
				say(flaggerClosed, "no rollback: no analysis has started for %s.%s revision %s", p.Name, p.Namespace, p.Checksum)
			} else {
				say(http.StatusOK, "not recorded: no analysis has started for %s.%s revision %s", p.Name, p.Namespace, p.Checksum)
			}
			return
		}
		if err != nil {
			code, msg := g.classify(c, err, "instance "+key)
			say(code, "%s", msg)
			return
		}
		if typ == FlaggerRollback {
			g.flaggerRollback(c, inst, t.OnError, say)
			return
		}
		ev := flaggerEvent(inst.Experiment.ID, typ, p, body)
		if err := g.m.RecordEvent(ctx, ev); err != nil {
			code, msg := g.classify(c, err, "experiment "+inst.Experiment.ID)
			say(code, "%s", msg)
			return
		}
		say(http.StatusOK, "recorded on experiment %s", inst.Experiment.ID)
		return
	}

	inst, err := g.flaggerInstance(ctx, t.Template, key, args)
	if err == nil && inst.Template != "" && inst.Template != name {
		err = refuse(http.StatusConflict, "key %s belongs to an instance of template %s, not %s", key, inst.Template, name)
	}
	if err != nil {
		var br *badRequest
		if errors.As(err, &br) {
			say(br.code, "%s", br.msg)
			return
		}
		code, msg := g.classify(c, err, "template "+name)
		say(code, "%s", msg)
		return
	}
	st, err := g.status(ctx, inst.RunID, t.OnError)
	if err != nil {
		code, msg := g.classify(c, err, "run "+inst.RunID)
		say(code, "%s", msg)
		return
	}
	report := g.reportURL(c, st.ExperimentID)
	switch {
	case st.Verdict == VerdictFail:
		say(flaggerClosed, "augur: analysis failed: %s (%s)", st.Reason, report)
	case st.Verdict == VerdictError:
		say(http.StatusServiceUnavailable, "augur: %s (%s)", st.Reason, report)
	case typ == FlaggerConfirmPromotion && !(st.Final && st.Verdict == VerdictPass):
		if st.Final {
			say(flaggerClosed, "augur: not promoting: the analysis ended %s: %s (%s)", st.Verdict, st.Reason, report)
		} else {
			say(flaggerClosed, "augur: promotion waits for the final verdict: %d of %d intervals judged (%s)", st.Intervals.Judged, st.Intervals.Total, report)
		}
	case typ == FlaggerConfirmPromotion:
		say(http.StatusOK, "augur: passed, score %s: promote (%s)", scoreText(st.Score), report)
	case st.Verdict == VerdictPass:
		say(http.StatusOK, "augur: %s (%s)", st.Reason, report)
	default:
		say(http.StatusAccepted, "augur: %s: %s (%s)", st.Verdict, st.Reason, report)
	}
}

// flaggerInstance finds the revision's instance, or creates it with the
// template's declared args. Flagger's phase and event metadata change
// from call to call, so an existing instance is not compared with them.
func (g *gates) flaggerInstance(ctx context.Context, t analysis.Template, key string, args map[string]string) (analysis.Instance, error) {
	inst, err := g.m.Instance(ctx, key)
	if err == nil || !analysis.IsNotFound(err) {
		return inst, err
	}
	pass := map[string]string{}
	var missing []string
	for _, a := range t.Args {
		if v, ok := args[a.Name]; ok {
			pass[a.Name] = v
		} else if a.Required && a.Default == nil {
			missing = append(missing, a.Name)
		}
	}
	if len(missing) > 0 {
		return analysis.Instance{}, refuse(http.StatusUnprocessableEntity, "template %s: missing required arg(s) %s (add them to the webhook's metadata)", t.Name, strings.Join(missing, ", "))
	}
	return g.m.Instantiate(ctx, analysis.InstanceRequest{Template: t.Name, Key: key, Args: pass})
}

// flaggerRollback answers Flagger's rollback hook: a 2xx rolls back, so
// only a failed analysis answers 200.
func (g *gates) flaggerRollback(c *gin.Context, inst analysis.Instance, onError string, say func(int, string, ...any)) {
	st, err := g.status(c.Request.Context(), inst.RunID, onError)
	if err != nil {
		code, msg := g.classify(c, err, "run "+inst.RunID)
		say(code, "%s", msg)
		return
	}
	if st.Verdict == VerdictFail {
		say(http.StatusOK, "augur: roll back: %s (%s)", st.Reason, g.reportURL(c, st.ExperimentID))
		return
	}
	say(flaggerClosed, "augur: no rollback: %s", st.Reason)
}

// flaggerEvent is an event or post-rollout call as an experiment event.
func flaggerEvent(expID, typ string, p flaggerPayload, body []byte) analysis.Event {
	ev := analysis.Event{ExperimentID: expID, Source: "flagger", Type: typ, At: time.Now().UTC(), Data: json.RawMessage(bytes.TrimSpace(body))}
	if typ == FlaggerEvent {
		ev.Type = orDefault(p.Metadata["eventType"], typ)
		ev.Message = p.Metadata["eventMessage"]
		if ms, err := strconv.ParseInt(p.Metadata["timestamp"], 10, 64); err == nil {
			ev.At = time.UnixMilli(ms).UTC()
		}
	} else {
		ev.Message = fmt.Sprintf("post-rollout: canary %s.%s phase %s", p.Name, p.Namespace, p.Phase)
	}
	return ev
}

func scoreText(s *float64) string {
	if s == nil {
		return "none"
	}
	return strconv.FormatFloat(*s, 'f', 1, 64)
}
