package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/alerting/notify"
	"github.com/augurhq/augur/alerting/outbox"
	"github.com/augurhq/augur/alerting/route"
	"github.com/augurhq/augur/alerting/signedwebhook"
	"github.com/augurhq/augur/analysis"
)

// hookReceiver is a webhook receiver answering status until told
// otherwise; it records every request's webhook-id, the status it got,
// and whether its Standard Webhooks signature verified.
type hookReceiver struct {
	*httptest.Server
	key    []byte // the signing key; nil: signatures are not checked
	mu     sync.Mutex
	status int
	ids    []string
	codes  []int
	badSig int
	bodies []string
}

func newHookReceiver(t *testing.T, status int, key []byte) *hookReceiver {
	t.Helper()
	h := &hookReceiver{status: status, key: key}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		code := h.status
		id := r.Header.Get("webhook-id")
		h.ids = append(h.ids, id)
		h.codes = append(h.codes, code)
		h.bodies = append(h.bodies, string(body))
		if h.key != nil && !verifyStandardWebhook(h.key, id, r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body) {
			h.badSig++
		}
		h.mu.Unlock()
		w.WriteHeader(code)
		_, _ = fmt.Fprintf(w, "answer %d from the internal service", code)
	}))
	t.Cleanup(h.Close)
	return h
}

// verifyStandardWebhook checks a signature header as the Standard
// Webhooks specification defines it (written here from the specification:
// HMAC-SHA256 over "id.timestamp.body", base64, "v1," prefixed, several
// space-separated), independently of augur's signer.
func verifyStandardWebhook(key []byte, id, ts, header string, body []byte) bool {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(header) {
		if v, ok := strings.CutPrefix(sig, "v1,"); ok && hmac.Equal([]byte(v), []byte(want)) {
			return true
		}
	}
	return false
}

func (h *hookReceiver) answer(status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status = status
}

// received counts the requests answered with each status.
func (h *hookReceiver) received() map[int]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[int]int{}
	for _, c := range h.codes {
		out[c]++
	}
	return out
}

// checkOneID fails unless every request carried the same, non-empty
// webhook-id, and every signature verified.
func (h *hookReceiver) checkOneID(t *testing.T) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, id := range h.ids {
		if id == "" || id != h.ids[0] {
			t.Errorf("request %d has webhook-id %q, the first had %q", i+1, id, h.ids[0])
		}
	}
	if h.badSig > 0 {
		t.Errorf("%d of %d requests carried no valid signature", h.badSig, len(h.ids))
	}
}

// signingKey writes a whsec_ secret file and returns its path and key.
func signingKey(t *testing.T) (string, []byte) {
	key := []byte("a-32-byte-signing-key-for-tests!")
	path := filepath.Join(t.TempDir(), "hook.secret")
	if err := os.WriteFile(path, []byte("whsec_"+base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, key
}

// deliveryConfig is a server configuration on loopback that polls and
// delivers quickly.
func deliveryConfig(t *testing.T) Config {
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Store.Dir = t.TempDir()
	cfg.OTLPGRPC.Listen, cfg.Jaeger.Listen = "", ""
	cfg.Analysis.Poll = 20 * time.Millisecond
	cfg.Notify.Delivery.PollInterval = 20 * time.Millisecond
	return cfg
}

// hookConfig is deliveryConfig routing every verdict at once to a signed
// webhook receiver at hookURL, retrying quickly.
func hookConfig(t *testing.T, hookURL, secretFile string) Config {
	cfg := deliveryConfig(t)
	cfg.Notify = testNotify(hookURL, secretFile)
	return cfg
}

func testNotify(hookURL, secretFile string) outbox.Config {
	n := outbox.DefaultConfig()
	hook := signedwebhook.DefaultConfig()
	hook.URL = hookURL
	if secretFile != "" {
		hook.SecretFiles = []string{secretFile}
	}
	n.Receivers = []outbox.ReceiverConfig{{Name: "hook", Webhook: &hook, Guard: notify.Guard{AllowLoopback: true}}}
	n.Route = &route.RouteConfig{Receiver: "hook", GroupBy: []string{"experiment_id"}, GroupWait: "0s"}
	n.Delivery.Backoff, n.Delivery.MaxBackoff = 50*time.Millisecond, 100*time.Millisecond
	n.Delivery.PollInterval = 20 * time.Millisecond
	return n
}

// runServer starts a server on cfg; stop shuts it down (at cleanup too, if
// not stopped before).
func runServer(t *testing.T, cfg Config) (srv *Server, stop func()) {
	t.Helper()
	srv, err := NewServer(cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return srv, stop
}

// createEndedExperiment creates over HTTP an experiment whose single
// interval is due at once (no data: inconclusive), with extra appended to
// its spec, and returns its ID.
func createEndedExperiment(t *testing.T, base, extra string) string {
	t.Helper()
	spec := `apiVersion: augur/v1
name: delivered
labels: {team: payments}
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {start: "-1m", interval: 1m, lifetime: 1m}
metrics:
  - {name: latency, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
` + extra
	var x analysis.Experiment
	getJSON(t, http.MethodPost, base+"/api/v1/experiments", spec, http.StatusCreated, &x)
	if x.Run == "" {
		t.Fatalf("experiment %s has no run", x.ID)
	}
	return x.ID
}

// getJSON makes a request and decodes the answer, which must have status
// want.
func getJSON(t *testing.T, method, url, body string, want int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, url, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := jsonUnmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
}

// rawJSON makes getJSON keep the answer as text.
type rawJSON struct{ s *string }

func jsonUnmarshal(b []byte, out any) error {
	if r, ok := out.(*rawJSON); ok {
		*r.s = string(b)
		return nil
	}
	return json.Unmarshal(b, out)
}

// listDeliveries reads an experiment's deliveries over the API.
func listDeliveries(t *testing.T, base, exp string) []analysis.OutboxDelivery {
	t.Helper()
	var out struct{ Deliveries []analysis.OutboxDelivery }
	getJSON(t, http.MethodGet, base+"/api/v1/experiments/"+exp+"/deliveries", "", http.StatusOK, &out)
	return out.Deliveries
}

// waitDelivery polls an experiment's deliveries until it has exactly one
// verdict delivery and cond holds for it.
func waitDelivery(t *testing.T, base, exp, what string, cond func(analysis.OutboxDelivery) bool) analysis.OutboxDelivery {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var last []analysis.OutboxDelivery
		for _, d := range listDeliveries(t, base, exp) {
			if d.Event == "verdict" {
				last = append(last, d)
			}
		}
		if len(last) > 1 {
			t.Fatalf("experiment %s has %d verdict deliveries, want 1: %+v", exp, len(last), last)
		}
		if len(last) == 1 && cond(last[0]) {
			return last[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("experiment %s: timed out waiting for %s; deliveries %+v", exp, what, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUndeliveredVerdictIsRetried: with the receiver answering 500, the
// delivery shows the error and when it is tried again; once the receiver
// is back it is delivered exactly once, every attempt with the same
// webhook-id and a signature an independent verifier accepts.
func TestUndeliveredVerdictIsRetried(t *testing.T) {
	secret, key := signingKey(t)
	hook := newHookReceiver(t, http.StatusInternalServerError, key)
	srv, _ := runServer(t, hookConfig(t, hook.URL, secret))
	exp := createEndedExperiment(t, srv.URL(), "")

	d := waitDelivery(t, srv.URL(), exp, "a failed attempt", func(d analysis.OutboxDelivery) bool { return d.Attempts >= 1 })
	if d.Status != analysis.DeliveryPending || d.Receiver != "hook" || !strings.Contains(d.LastError, "500") || d.NextAttempt.IsZero() {
		t.Fatalf("after a failed attempt: %+v", d)
	}
	hook.answer(http.StatusOK)
	d = waitDelivery(t, srv.URL(), exp, "delivery", func(d analysis.OutboxDelivery) bool { return d.Status == analysis.DeliveryDelivered })
	if d.Attempts < 2 || len(d.History) != d.Attempts || !d.History[len(d.History)-1].OK || d.DeliveredAt == nil {
		t.Errorf("after delivery: %+v", d)
	}
	got := hook.received()
	if got[http.StatusOK] != 1 || got[http.StatusInternalServerError] != d.Attempts-1 {
		t.Errorf("receiver answered %v over %d attempts, want one 200 after %d 500s", got, d.Attempts, d.Attempts-1)
	}
	hook.checkOneID(t)
	if hook.ids[0] != d.ID {
		t.Errorf("webhook-id %s, the delivery's ID is %s", hook.ids[0], d.ID)
	}
}

// TestUndeliveredVerdictSurvivesRestart: a verdict not delivered when the
// server stops is delivered by the next server on the same data directory,
// exactly once, the attempts counted on.
func TestUndeliveredVerdictSurvivesRestart(t *testing.T) {
	hook := newHookReceiver(t, http.StatusServiceUnavailable, nil)
	cfg := hookConfig(t, hook.URL, "")
	first, stop := runServer(t, cfg)
	exp := createEndedExperiment(t, first.URL(), "")
	waitDelivery(t, first.URL(), exp, "a failed attempt", func(d analysis.OutboxDelivery) bool { return d.Attempts >= 1 })
	stop()

	hook.answer(http.StatusOK)
	second, _ := runServer(t, cfg)
	d := waitDelivery(t, second.URL(), exp, "delivery", func(d analysis.OutboxDelivery) bool { return d.Status == analysis.DeliveryDelivered })
	if d.Attempts < 2 {
		t.Errorf("%d attempts: the count did not survive the restart", d.Attempts)
	}
	if got := hook.received(); got[http.StatusOK] != 1 || got[http.StatusServiceUnavailable] < 1 {
		t.Errorf("receiver answered %v, want 503s, then exactly one 200", got)
	}
	hook.checkOneID(t)
}

// TestRefusedVerdictIsDeadLetteredAndRetried: a 400 is not retried; the
// dead letter shows the answer, and a retry asked over the API sends it
// again, with the same webhook-id, once the receiver takes it.
func TestRefusedVerdictIsDeadLetteredAndRetried(t *testing.T) {
	hook := newHookReceiver(t, http.StatusBadRequest, nil)
	srv, _ := runServer(t, hookConfig(t, hook.URL, ""))
	exp := createEndedExperiment(t, srv.URL(), "")
	d := waitDelivery(t, srv.URL(), exp, "a dead letter", func(d analysis.OutboxDelivery) bool { return d.Status == analysis.DeliveryDead })
	if d.Attempts != 1 || !d.History[0].Permanent || !strings.Contains(d.LastError, "400") {
		t.Errorf("dead letter %+v, want one permanent 400", d)
	}
	hook.answer(http.StatusNoContent)
	retry := srv.URL() + "/api/v1/experiments/" + exp + "/deliveries/" + d.ID + "/retry"
	getJSON(t, http.MethodPost, retry, "", http.StatusOK, nil)
	d = waitDelivery(t, srv.URL(), exp, "delivery after the retry", func(d analysis.OutboxDelivery) bool { return d.Status == analysis.DeliveryDelivered })
	if d.Attempts != 2 {
		t.Errorf("attempts %d, want 2", d.Attempts)
	}
	hook.checkOneID(t)
	// A delivered message is not sent again.
	getJSON(t, http.MethodPost, retry, "", http.StatusConflict, nil)
}

// TestSpecWebhookURLs: a spec's raw webhook URL is not called unless the
// server allows spec URLs; when allowed, the address guard still refuses
// loopback unless that is allowed too; and an error answer's body never
// reaches the deliveries API.
func TestSpecWebhookURLs(t *testing.T) {
	tests := []struct {
		name     string
		allow    bool
		loopback bool
		status   int
		want     analysis.DeliveryStatus
		wantErr  string
		calls    int
	}{
		{"off by default", false, false, http.StatusOK, analysis.DeliveryDead, "notify.allow_spec_urls is off", 0},
		{"loopback refused by the guard", true, false, http.StatusOK, analysis.DeliveryDead, "loopback", 0},
		{"allowed", true, true, http.StatusOK, analysis.DeliveryDelivered, "", 1},
		{"error body kept out", true, true, http.StatusForbidden, analysis.DeliveryDead, "403 Forbidden", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hook := newHookReceiver(t, tt.status, nil)
			cfg := hookConfig(t, "http://127.0.0.1:9/unused", "")
			cfg.Notify.Route = nil
			cfg.Notify.AllowSpecURLs = tt.allow
			cfg.Notify.SpecURLs.Guard.AllowLoopback = tt.loopback
			srv, _ := runServer(t, cfg)
			exp := createEndedExperiment(t, srv.URL(), fmt.Sprintf("webhooks: [%q]\n", hook.URL+"/hook"))
			d := waitDelivery(t, srv.URL(), exp, string(tt.want), func(d analysis.OutboxDelivery) bool { return d.Status == tt.want })
			if d.Receiver != "spec.webhooks[0]" || !strings.Contains(d.LastError, tt.wantErr) {
				t.Errorf("delivery %+v, want %s naming %q", d, tt.want, tt.wantErr)
			}
			var raw string
			getJSON(t, http.MethodGet, srv.URL()+"/api/v1/experiments/"+exp+"/deliveries", "", http.StatusOK, &rawJSON{&raw})
			if strings.Contains(raw, "internal service") {
				t.Errorf("the receiver's answer body reached the API: %s", raw)
			}
			calls := 0
			for _, n := range hook.received() {
				calls += n
			}
			if calls != tt.calls {
				t.Errorf("the URL was called %d times, want %d", calls, tt.calls)
			}
		})
	}
}

// TestRunEventsOnlyWhereAsked: run starts and failed intervals go to the
// route that matches on event, and nowhere else; the verdict goes where
// verdicts go. A threshold the data always breach fails each of three
// intervals; failure_limit lets the run go on to its final fail.
func TestRunEventsOnlyWhereAsked(t *testing.T) {
	verdicts := newHookReceiver(t, http.StatusOK, nil)
	events := newHookReceiver(t, http.StatusOK, nil)
	cfg := hookConfig(t, verdicts.URL, "")
	ev := signedwebhook.DefaultConfig()
	ev.URL = events.URL
	cfg.Notify.Receivers = append(cfg.Notify.Receivers, outbox.ReceiverConfig{Name: "events", Webhook: &ev, Guard: notify.Guard{AllowLoopback: true}})
	cfg.Notify.Route.Routes = []*route.RouteConfig{{Matchers: []string{`event=~"run_started|interval_failed"`}, Receiver: "events"}}
	srv, _ := runServer(t, cfg)
	spec := `apiVersion: augur/v1
name: failing
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {start: "-3m", interval: 1m, lifetime: 3m}
limits: {failure_limit: 5}
metrics:
  - {name: five, query: 'vector(5) or up{${cohort}}', judge: {type: threshold, upper: 1}}
`
	var x analysis.Experiment
	getJSON(t, http.MethodPost, srv.URL()+"/api/v1/experiments", spec, http.StatusCreated, &x)
	var ds []analysis.OutboxDelivery
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		ds = listDeliveries(t, srv.URL(), x.ID)
		done := 0
		for _, d := range ds {
			if d.Status == analysis.DeliveryDelivered {
				done++
			}
		}
		if done == 4 {
			break
		}
	}
	got := map[string][]string{}
	for _, d := range ds {
		if d.Status != analysis.DeliveryDelivered {
			t.Errorf("delivery %s to %s is %s: %s", d.Event, d.Receiver, d.Status, d.LastError)
		}
		got[d.Receiver] = append(got[d.Receiver], d.Event)
	}
	// The third interval's failure ends the run: it is the verdict, not a
	// failed interval of a run going on.
	want := map[string][]string{"hook": {"verdict"}, "events": {"interval_failed", "interval_failed", "run_started"}}
	for r, evs := range want {
		sort.Strings(got[r])
		if strings.Join(got[r], ",") != strings.Join(evs, ",") {
			t.Errorf("%s got %v, want %v", r, got[r], evs)
		}
	}
	var m notify.Message
	for _, d := range ds {
		if d.Event == "interval_failed" {
			if err := json.Unmarshal(d.Message, &m); err != nil {
				t.Fatal(err)
			}
		}
	}
	if m.Verdict != "fail" || len(m.Failing) != 1 || m.Failing[0].Name != "five" || m.Severity != notify.SeverityCritical {
		t.Errorf("interval_failed message %+v, want the failing interval's verdict", m)
	}
}

// TestTemplateThatFailsIsDeadLettered: a webhook receiver whose body
// template does not render for a message has that delivery dead-lettered
// with the template's error, and the other receiver still gets it.
func TestTemplateThatFailsIsDeadLettered(t *testing.T) {
	good := newHookReceiver(t, http.StatusOK, nil)
	bad := newHookReceiver(t, http.StatusOK, nil)
	cfg := hookConfig(t, good.URL, "")
	tmpl := signedwebhook.DefaultConfig()
	tmpl.URL, tmpl.Body = bad.URL, `{"text": "{{.Verdict}} {{.Labels.team}} {{index .Failing 0}}"}`
	cfg.Notify.Receivers = append(cfg.Notify.Receivers, outbox.ReceiverConfig{Name: "templated", Webhook: &tmpl, Guard: notify.Guard{AllowLoopback: true}})
	cfg.Notify.Route.Routes = []*route.RouteConfig{{Receiver: "templated", Continue: true}, {Receiver: "hook"}}
	srv, _ := runServer(t, cfg)
	exp := createEndedExperiment(t, srv.URL(), "")
	var ds []analysis.OutboxDelivery
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		ds = listDeliveries(t, srv.URL(), exp)
		settled := 0
		for _, d := range ds {
			if d.Status != analysis.DeliveryPending {
				settled++
			}
		}
		if len(ds) == 2 && settled == 2 {
			break
		}
	}
	byReceiver := map[string]analysis.OutboxDelivery{}
	for _, d := range ds {
		byReceiver[d.Receiver] = d
	}
	// The run had no data: no failing metric, so index .Failing 0 fails.
	if d := byReceiver["templated"]; d.Status != analysis.DeliveryDead || !strings.Contains(d.LastError, "index out of range") || !d.History[0].Permanent {
		t.Errorf("templated delivery %+v, want dead with the template's error", d)
	}
	if d := byReceiver["hook"]; d.Status != analysis.DeliveryDelivered {
		t.Errorf("the other receiver's delivery %+v, want delivered", d)
	}
	if n := len(bad.received()); n != 0 {
		t.Errorf("the templated receiver was called: %v", bad.received())
	}
}
