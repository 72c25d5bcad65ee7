package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state/pgtest"
	"github.com/augurhq/augur/cmd/augur/app"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// dataServer is an in-process augur holding latency samples for v1 and v2
// (identical) and v3 (40 higher), from 30 s ago to 2 min ahead: the replicas read it as a shared
// Prometheus-API source.
func dataServer(t *testing.T) string {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.Listen, cfg.Store.Dir = "127.0.0.1:0", t.TempDir()
	cfg.OTLPGRPC.Listen, cfg.Jaeger.Listen = "", ""
	srv, err := app.NewServer(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	app := srv.Store().Appender(context.Background())
	now := time.Now()
	for s := -30; s <= 120; s++ {
		ts := now.Add(time.Duration(s) * time.Second).UnixMilli()
		for pod := 0; pod < 5; pod++ {
			for _, v := range []string{"v1", "v2", "v3"} {
				val := 100 + float64((s*7+pod*13)%11)
				if v == "v3" { // a regression
					val += 40
				}
				ls := labels.FromStrings("__name__", "latency", "version", v, "pod", fmt.Sprint(pod))
				if _, err := app.Append(0, ls, ts, val); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	return srv.URL()
}

// hookCounter counts verdict deliveries per experiment and per
// webhook-id.
type hookCounter struct {
	mu     sync.Mutex
	counts map[string]int
	ids    map[string]int
}

func newHookCounter(t *testing.T) (*hookCounter, string) {
	h := &hookCounter{counts: map[string]int{}, ids: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v analysis.Verdict
		if err := json.NewDecoder(r.Body).Decode(&v); err == nil {
			h.mu.Lock()
			h.counts[v.ExperimentID]++
			h.ids[r.Header.Get("webhook-id")]++
			h.mu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL
}

func (h *hookCounter) count(exp string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[exp]
}

// check fails unless each experiment's verdict arrived exactly once, and
// no webhook-id arrived twice.
func (h *hookCounter) check(t *testing.T, ids []string) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		if h.counts[id] != 1 {
			t.Errorf("%s: %d verdict deliveries, want exactly 1", id, h.counts[id])
		}
	}
	for id, n := range h.ids {
		if n != 1 {
			t.Errorf("webhook-id %s received %d times", id, n)
		}
	}
}

// notifyConfig routes every verdict at once to a webhook receiver at url
// (on loopback, which the guard must be told to allow).
func notifyConfig(url string, lease time.Duration) string {
	return fmt.Sprintf(`notify:
  receivers: [{name: hook, webhook: {url: %q}, guard: {allow_loopback: true}}]
  route: {receiver: hook, group_by: [experiment_id], group_wait: 0s}
  delivery: {backoff: 100ms, max_backoff: 200ms, poll_interval: 100ms, lease: %s}
`, url, lease)
}

type replica struct {
	cmd  *exec.Cmd
	base string
	logs *bytes.Buffer
}

func startReplica(t *testing.T, name, configYAML string) *replica {
	t.Helper()
	dir := t.TempDir()
	addr := freeAddr(t)
	path := filepath.Join(dir, "augur.yaml")
	cfg := fmt.Sprintf("listen: %s\nstore: {dir: %s}\notlp_grpc: {listen: \"\"}\njaeger: {listen: \"\"}\n%s", addr, filepath.Join(dir, "data"), configYAML)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(augurBin(t), "serve", "--config", path)
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = io.Discard, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replica{cmd: cmd, base: "http://" + addr, logs: logs}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("replica %s log:\n%s", name, logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(r.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s not up after 30s:\n%s", name, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func apiJSON(t *testing.T, method, url, body string, want int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/yaml")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, url, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
}

func experimentSpec(name string, interval time.Duration, count int) string {
	return fmt.Sprintf(`apiVersion: augur/v1
name: %s
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {interval: %s}
limits: {count: %d}
step: 1s
metrics:
  - {name: latency, source: shared, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
`, name, interval, count)
}

// waitCompleted polls until every experiment's run ended and its verdict
// was delivered to hooks.
func waitCompleted(t *testing.T, base string, hooks *hookCounter, ids []string, timeout time.Duration) map[string]analysis.Experiment {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out := map[string]analysis.Experiment{}
		for _, id := range ids {
			var e analysis.Experiment
			apiJSON(t, http.MethodGet, base+"/api/v1/experiments/"+id, "", http.StatusOK, &e)
			if e.Status == string(analysis.RunCompleted) && hooks.count(id) > 0 {
				out[id] = e
			}
		}
		if len(out) == len(ids) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d experiments completed within %s", len(out), len(ids), timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestReplicasShareRunsAndTakeOver: two augur serve replicas share one
// PostgreSQL database. Experiments are created on the first, which is
// killed (SIGKILL) mid-run; the second takes its runs over within one
// lease period, and every interval is judged exactly once, every run ends
// with exactly one verdict, delivered once.
func TestReplicasShareRunsAndTakeOver(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and two augur processes")
	}
	dsn := pgtest.Start(t).NewDatabase(t)
	data := dataServer(t)
	hooks, hookURL := newHookCounter(t)
	const lease = 2 * time.Second
	conf := func(name string) string {
		return fmt.Sprintf("analysis:\n  state: {driver: postgres, dsn: %q}\n  replica: %s\n  lease: %s\n  poll: 100ms\n  sources:\n    shared: {type: prometheus, url: %q}\n",
			dsn, name, lease, data) + notifyConfig(hookURL, lease)
	}
	a := startReplica(t, "a", conf("a"))
	b := startReplica(t, "b", conf("b"))

	const n, count, interval = 12, 8, time.Second
	var ids []string
	for i := 0; i < n; i++ {
		var e analysis.Experiment
		apiJSON(t, http.MethodPost, a.base+"/api/v1/experiments", experimentSpec(fmt.Sprintf("exp-%d", i), interval, count), http.StatusCreated, &e)
		ids = append(ids, e.ID)
	}
	time.Sleep(3500 * time.Millisecond)
	killed := time.Now()
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()

	done := waitCompleted(t, b.base, hooks, ids, 60*time.Second)
	byReplica := map[string]int{}
	for _, id := range ids {
		e := done[id]
		var rl struct{ Runs []analysis.Run }
		apiJSON(t, http.MethodGet, b.base+"/api/v1/experiments/"+id+"/runs", "", http.StatusOK, &rl)
		runs := rl.Runs
		if len(runs) != 1 || runs[0].Verdict == nil {
			t.Fatalf("%s: %d runs, want 1 with a verdict", id, len(runs))
		}
		var il struct{ Intervals []analysis.IntervalResult }
		apiJSON(t, http.MethodGet, b.base+"/api/v1/runs/"+e.Run+"/intervals", "", http.StatusOK, &il)
		ivs := il.Intervals
		if len(ivs) != count {
			t.Errorf("%s: %d intervals judged, want %d", id, len(ivs), count)
		}
		for i, iv := range ivs {
			if iv.Index != i {
				t.Errorf("%s: interval %d at position %d", id, iv.Index, i)
			}
			byReplica[iv.Replica]++
			due := iv.Verdict.Window.End
			// Intervals due after the kill were judged by b within a lease
			// period (plus the poll and the judgement itself).
			if iv.Replica == "b" && due.After(killed) {
				if lag := iv.CreatedAt.Sub(due); lag > lease+time.Second {
					t.Errorf("%s interval %d: judged %s after it came due, more than the %s lease", id, i+1, lag, lease)
				}
			}
		}
		if runs[0].Verdict.Verdict != "pass" {
			t.Errorf("%s: verdict %s (%s), want pass on identical cohorts", id, runs[0].Verdict.Verdict, runs[0].Verdict.Reason)
		}
	}
	if byReplica["a"] == 0 || byReplica["b"] == 0 {
		t.Errorf("intervals by replica %v: both replicas should have judged some", byReplica)
	}
	hooks.check(t, ids)
	t.Logf("intervals judged per replica: %v", byReplica)
}

// TestRestartResumes: augur serve on SQLite, killed mid-experiment and
// restarted on the same data directory, resumes the run where it stopped.
func TestRestartResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts augur processes")
	}
	data := dataServer(t)
	hooks, hookURL := newHookCounter(t)
	dir := t.TempDir()
	conf := fmt.Sprintf("analysis:\n  state: {path: %q}\n  lease: 1s\n  poll: 100ms\n  sources:\n    shared: {type: prometheus, url: %q}\n", filepath.Join(dir, "state.db"), data) +
		notifyConfig(hookURL, time.Second)
	first := startReplica(t, "first", conf)
	var e analysis.Experiment
	apiJSON(t, http.MethodPost, first.base+"/api/v1/experiments", experimentSpec("restart", time.Second, 6), http.StatusCreated, &e)
	time.Sleep(2500 * time.Millisecond)
	_ = first.cmd.Process.Kill()
	_ = first.cmd.Wait()
	second := startReplica(t, "second", conf)
	done := waitCompleted(t, second.base, hooks, []string{e.ID}, 30*time.Second)[e.ID]
	var il struct{ Intervals []analysis.IntervalResult }
	apiJSON(t, http.MethodGet, second.base+"/api/v1/runs/"+done.Run+"/intervals", "", http.StatusOK, &il)
	before := il.Intervals
	if len(before) != 6 {
		t.Fatalf("%d intervals, want 6", len(before))
	}
	replicas := map[string]bool{}
	for i, iv := range before {
		if iv.Index != i {
			t.Fatalf("interval %d at position %d", iv.Index, i)
		}
		replicas[iv.Replica] = true
	}
	if len(replicas) != 2 {
		t.Errorf("intervals judged by %d processes, want 2 (before and after the restart)", len(replicas))
	}
	if done.Verdict == nil || done.Verdict.Verdict != "pass" {
		t.Errorf("final verdict %+v", done.Verdict)
	}
	hooks.check(t, []string{e.ID})
}
