package gates

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// flaggerWebhookPayload has the fields and JSON tags of Flagger's
// CanaryWebhookPayload (fluxcd/flagger pkg/apis/flagger/v1beta1/canary.go);
// the payloads below are built the way pkg/controller/webhook.go builds
// them: CallWebhook sets name, namespace, the phase the scheduler passes
// (pkg/controller/scheduler_hooks.go, scheduler.go) and the checksum, plus
// the webhook's metadata; CallEventWebhook adds eventMessage, eventType
// and timestamp (unix milliseconds) to the metadata.
type flaggerWebhookPayload struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Phase     string            `json:"phase"`
	Checksum  string            `json:"checksum"`
	Metadata  map[string]string `json:"metadata,omitempty"`
}

func flaggerBody(t *testing.T, phase, checksum string, meta map[string]string) string {
	t.Helper()
	b, err := json.Marshal(flaggerWebhookPayload{Name: "podinfo", Namespace: "test", Phase: phase, Checksum: checksum, Metadata: meta})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func eventMeta(msg, typ string) map[string]string {
	return map[string]string{"eventMessage": msg, "eventType": typ,
		"timestamp": strconv.FormatInt(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC).UnixNano()/1000000, 10)}
}

func TestFlaggerWebhooksAcrossRevisions(t *testing.T) {
	f := newFake(analysis.Template{Name: "podinfo", Flagger: FlaggerRollout, Args: []analysis.TemplateArg{
		{Name: "name", Required: true}, {Name: "namespace", Required: true}, {Name: "checksum", Required: true}}})
	r := newRouter(f, Options{})
	const rev1, rev2 = "6b8f9c7d5", "54c8d6f7b9"
	const keyRev1, keyRev2 = "flagger/podinfo/test/podinfo/" + rev1, "flagger/podinfo/test/podinfo/" + rev2
	steps := []struct {
		name, typ, phase, checksum string
		meta                       map[string]string
		before                     func()
		code                       int
		want                       string
		instances                  int
	}{
		{"event before any run", "event", "Initializing", rev1, eventMeta("New revision detected! Scaling up podinfo.test", "Normal"), nil, 200, "not recorded", 0},
		{"rollback before any run", "rollback", "Progressing", rev1, nil, nil, 403, "no rollback", 0},
		{"confirm-rollout starts the run", "confirm-rollout", "Initialized", rev1, nil, nil, 202, "running", 1},
		{"pre-rollout", "pre-rollout", "Progressing", rev1, nil, nil, 202, "0 of 3 intervals judged", 1},
		{"rollout while running", "rollout", "Progressing", rev1, map[string]string{"cmd": "hey -z 1m http://podinfo-canary.test:9898/"}, nil, 202, "running", 1},
		{"no type: the template's", "", "Progressing", rev1, nil, nil, 202, "running", 1},
		{"rollback while healthy", "rollback", "Progressing", rev1, nil, nil, 403, "no rollback", 1},
		{"event recorded", "event", "Progressing", rev1, eventMeta("Advance podinfo.test canary weight 10", "Normal"), nil, 200, "recorded on experiment exp-1", 1},
		{"confirm-traffic-increase", "confirm-traffic-increase", "Progressing", rev1, nil, nil, 202, "running", 1},
		{"rollout after a passed interval", "rollout", "Progressing", rev1, nil, func() { f.judge(keyRev1, 1, judges.OutcomePass, 100, false) }, 200, "interval 1 of 3", 1},
		{"confirm-promotion waits", "confirm-promotion", "Progressing", rev1, nil, nil, 403, "promotion waits for the final verdict: 1 of 3", 1},
		{"confirm-promotion after a final pass", "confirm-promotion", "Progressing", rev1, nil, func() { f.judge(keyRev1, 3, judges.OutcomePass, 98, true) }, 200, "promote", 1},
		{"post-rollout recorded", "post-rollout", "Succeeded", rev1, nil, nil, 200, "recorded", 1},
		{"new revision starts a new run", "rollout", "Progressing", rev2, nil, nil, 202, "running", 2},
		{"failed interval within failure_limit", "rollout", "Progressing", rev2, nil, func() { f.judge(keyRev2, 1, judges.OutcomeFail, 12, false) }, 202, "fail so far", 2},
		{"failed run fails rollout", "rollout", "Progressing", rev2, nil, func() { f.judge(keyRev2, 2, judges.OutcomeFail, 12, true) }, 403, "analysis failed", 2},
		{"failed: pre-rollout", "pre-rollout", "Progressing", rev2, nil, nil, 403, "analysis failed", 2},
		{"failed: confirm-rollout", "confirm-rollout", "Waiting", rev2, nil, nil, 403, "analysis failed", 2},
		{"failed: confirm-traffic-increase", "confirm-traffic-increase", "Progressing", rev2, nil, nil, 403, "analysis failed", 2},
		{"failed: confirm-promotion", "confirm-promotion", "Progressing", rev2, nil, nil, 403, "analysis failed", 2},
		{"failed: rollback rolls back", "rollback", "Progressing", rev2, nil, nil, 200, "roll back", 2},
		{"the old revision keeps its verdict", "confirm-promotion", "Succeeded", rev1, nil, nil, 200, "promote", 2},
		{"event on the new revision", "event", "Failed", rev2, eventMeta("Rolling back podinfo.test failed checks threshold reached 1", "Warning"), nil, 200, "recorded on experiment exp-2", 2},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.before != nil {
				s.before()
			}
			target := "/api/v1/gates/flagger/podinfo"
			if s.typ != "" {
				target += "?type=" + s.typ
			}
			code, body := call(r, "POST", target, flaggerBody(t, s.phase, s.checksum, s.meta))
			if code != s.code || !strings.Contains(body, s.want) {
				t.Errorf("got %d %q, want %d mentioning %q", code, body, s.code, s.want)
			}
			if strings.Count(body, "\n") != 1 || !strings.HasSuffix(body, "\n") {
				t.Errorf("body %q is not one line", body)
			}
			if n := f.count(); n != s.instances {
				t.Errorf("%d instances, want %d", n, s.instances)
			}
		})
	}
	if len(f.events) != 3 {
		t.Fatalf("events %+v, want 3", f.events)
	}
	ev := f.events[0]
	if ev.ExperimentID != "exp-1" || ev.Source != "flagger" || ev.Type != "Normal" || ev.Message != "Advance podinfo.test canary weight 10" ||
		!ev.At.Equal(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)) || !strings.Contains(string(ev.Data), `"checksum":"`+rev1) {
		t.Errorf("event %+v", ev)
	}
	if ev := f.events[1]; ev.Type != "post-rollout" || !strings.Contains(ev.Message, "Succeeded") {
		t.Errorf("post-rollout event %+v", ev)
	}
	if ev := f.events[2]; ev.ExperimentID != "exp-2" || ev.Type != "Warning" {
		t.Errorf("event %+v", ev)
	}
}

func TestFlaggerRefusals(t *testing.T) {
	for _, tt := range []struct {
		name, target, body string
		code               int
		want               string
	}{
		{"unknown template", "/api/v1/gates/flagger/nope", `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"x"}`, 404, "template nope not found"},
		{"unknown type", "/api/v1/gates/flagger/podinfo?type=confirm", `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"x"}`, 400, "want one of pre-rollout"},
		{"missing checksum", "/api/v1/gates/flagger/podinfo", `{"name":"podinfo","namespace":"test","phase":"Progressing"}`, 422, "missing checksum"},
		{"not JSON", "/api/v1/gates/flagger/podinfo", `name=podinfo`, 400, "Flagger's webhook payload"},
		{"metadata not strings", "/api/v1/gates/flagger/podinfo", `{"name":"podinfo","namespace":"test","checksum":"x","metadata":{"a":1}}`, 400, "webhook payload"},
		{"required arg absent from metadata", "/api/v1/gates/flagger/podinfo", `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"x"}`, 422, "missing required arg(s) service"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(analysis.Template{Name: "podinfo", Args: []analysis.TemplateArg{{Name: "service", Required: true}}})
			code, body := call(newRouter(f, Options{}), "POST", tt.target, tt.body)
			if code != tt.code || !strings.Contains(body, tt.want) {
				t.Errorf("got %d %q, want %d mentioning %q", code, body, tt.code, tt.want)
			}
			if f.count() != 0 {
				t.Errorf("a refused call created an instance")
			}
		})
	}
}
