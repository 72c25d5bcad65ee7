package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// flaggerPayload is built as Flagger builds its webhook body
// (fluxcd/flagger pkg/controller/webhook.go, CanaryWebhookPayload).
func flaggerPayload(t *testing.T, phase, checksum string, meta map[string]string) string {
	t.Helper()
	b, err := json.Marshal(struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Phase     string            `json:"phase"`
		Checksum  string            `json:"checksum"`
		Metadata  map[string]string `json:"metadata,omitempty"`
	}{"podinfo", "test", phase, checksum, meta})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFlaggerGateAcrossRevisions drives the Flagger gate of a live server
// through a healthy revision and a regressed one.
func TestFlaggerGateAcrossRevisions(t *testing.T) {
	srv := startGateServer(t, map[string]float64{"rev-good": 0.2, "rev-bad": 0.9})
	tmpl := strings.ReplaceAll(strings.ReplaceAll(gateTemplate("", ""), `args.canary-hash`, `args.checksum`), `args.rollout`, `args.name`)
	tmpl = strings.Replace(strings.Replace(tmpl, `"name":"rollout"`, `"name":"name"`, 1), `"name":"canary-hash"`, `"name":"checksum"`, 1)
	req, _ := http.NewRequest(http.MethodPut, srv.URL()+"/api/v1/templates/podinfo", strings.NewReader(tmpl))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("PUT template: %v %v", resp, err)
	}
	hook := func(typ, phase, checksum string, meta map[string]string) (int, string) {
		resp, err := http.Post(srv.URL()+"/api/v1/gates/flagger/podinfo?type="+typ, "application/json", strings.NewReader(flaggerPayload(t, phase, checksum, meta)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	until := func(typ, checksum string, code int) string {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			c, body := hook(typ, "Progressing", checksum, nil)
			if c == code {
				return body
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s %s: still %d %q, want %d", typ, checksum, c, body, code)
			}
		}
	}
	if code, body := hook("pre-rollout", "Progressing", "rev-good", nil); code != http.StatusAccepted {
		t.Fatalf("pre-rollout: %d %q", code, body)
	}
	if code, body := hook("confirm-promotion", "Progressing", "rev-good", nil); code != http.StatusForbidden || !strings.Contains(body, "promotion waits") {
		t.Errorf("confirm-promotion before the end: %d %q", code, body)
	}
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	if code, body := hook("event", "Progressing", "rev-good", map[string]string{"eventMessage": "Advance podinfo.test canary weight 10", "eventType": "Normal", "timestamp": ts}); code != http.StatusOK || !strings.Contains(body, "recorded on experiment") {
		t.Errorf("event: %d %q", code, body)
	}
	if body := until("confirm-promotion", "rev-good", http.StatusOK); !strings.Contains(body, "promote") {
		t.Errorf("confirm-promotion after a pass: %q", body)
	}
	if code, body := hook("rollback", "Progressing", "rev-good", nil); code != http.StatusForbidden {
		t.Errorf("rollback of a passed revision: %d %q", code, body)
	}
	// A new revision starts its own run, which fails.
	if code, body := hook("rollout", "Progressing", "rev-bad", nil); code != http.StatusAccepted {
		t.Errorf("rollout of the new revision: %d %q", code, body)
	}
	if body := until("rollout", "rev-bad", http.StatusForbidden); !strings.Contains(body, "analysis failed") || strings.Count(body, "\n") != 1 {
		t.Errorf("rollout after a failed interval: %q", body)
	}
	if code, body := hook("rollback", "Progressing", "rev-bad", nil); code != http.StatusOK || !strings.Contains(body, "roll back") {
		t.Errorf("rollback of the failed revision: %d %q", code, body)
	}
	if code, _ := hook("confirm-promotion", "Succeeded", "rev-good", nil); code != http.StatusOK {
		t.Errorf("the old revision lost its verdict: %d", code)
	}
	list, err := srv.Manager().List(context.Background())
	if err != nil || len(list) != 2 {
		t.Fatalf("%d experiments (%v), want one per revision", len(list), err)
	}
	var events int
	for _, x := range list {
		evs, err := srv.Manager().Events(context.Background(), x.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			events++
			if ev.Source != "flagger" || ev.Type != "Normal" || ev.Message != "Advance podinfo.test canary weight 10" || ev.At.UnixMilli() != mustInt(t, ts) {
				t.Errorf("event %+v", ev)
			}
		}
	}
	if events != 1 {
		t.Errorf("%d events recorded, want 1", events)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
