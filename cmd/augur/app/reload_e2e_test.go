package app

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

// reloadConfig writes a server configuration routing verdicts to the
// receiver named route (hooks a and b are defined), with the named
// sources given, to path.
func reloadConfig(t *testing.T, path, dir, hookA, hookB, route, sources string) {
	t.Helper()
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
store: {dir: %q}
otlp_grpc: {listen: ""}
jaeger: {listen: ""}
analysis:
  poll: 20ms
%s
notify:
  receivers:
    - {name: a, webhook: {url: %q}, guard: {allow_loopback: true}}
    - {name: b, webhook: {url: %q}, guard: {allow_loopback: true}}
  route: {receiver: %s, group_by: [experiment_id], group_wait: 0s}
  delivery: {poll_interval: 20ms, backoff: 50ms, max_backoff: 100ms}
`, dir, sources, hookA, hookB, route)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestReload: POST /-/reload applies a new routing tree and a new named
// source while remote-write requests keep flowing, none of them failing;
// an invalid configuration is refused with its errors, the gauge says so,
// and the running configuration stays in force.
func TestReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "augur.yaml")
	a, b := newHookReceiver(t, http.StatusOK, nil), newHookReceiver(t, http.StatusOK, nil)
	reloadConfig(t, path, filepath.Join(dir, "data"), a.URL, b.URL, "a", "")
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := runServer(t, cfg)
	srv.SetLoader(func() (Config, error) { return LoadConfig(path) })
	base := srv.URL()

	// Load: remote-write batches all along, counting failures.
	var failed, sent atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := remoteWriteV1(t, fmt.Sprintf("reload-%d-%d", w, i), time.Now(), float64(i))
				code, _ := post(t, base+"/api/v1/write", "application/x-protobuf", "snappy", body)
				sent.Add(1)
				if code/100 != 2 {
					failed.Add(1)
				}
			}
		}()
	}
	defer func() {
		close(stop)
		wg.Wait()
		if failed.Load() > 0 || sent.Load() == 0 {
			t.Errorf("%d of %d remote-write requests failed during the reloads", failed.Load(), sent.Load())
		}
	}()

	reload := func(want int) string {
		t.Helper()
		code, body := post(t, base+"/-/reload", "application/json", "", nil)
		if code != want {
			t.Fatalf("reload: %d %s, want %d", code, body, want)
		}
		return body
	}
	gauge := func() float64 {
		t.Helper()
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v float64 = -1
		b, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "augur_config_last_reload_successful ") {
				_, _ = fmt.Sscan(strings.TrimPrefix(line, "augur_config_last_reload_successful "), &v)
			}
		}
		return v
	}
	verdictTo := func(hook *hookReceiver) {
		t.Helper()
		before := hook.received()[http.StatusOK]
		exp := createEndedExperiment(t, base, "")
		waitDelivery(t, base, exp, "delivery", func(d analysis.OutboxDelivery) bool { return d.Status == analysis.DeliveryDelivered })
		if hook.received()[http.StatusOK] != before+1 {
			t.Errorf("the verdict of %s did not reach the expected receiver", exp)
		}
	}
	verdictTo(a)

	// An invalid configuration: refused whole, errors named.
	reloadConfig(t, path, filepath.Join(dir, "data"), a.URL, b.URL, "nobody", "")
	body := reload(http.StatusBadRequest)
	if !strings.Contains(body, `unknown receiver \"nobody\"`) || gauge() != 0 {
		t.Errorf("invalid reload answered %s, gauge %v", body, gauge())
	}
	verdictTo(a)

	// A valid one: b gets the verdicts, and the new source is known.
	reloadConfig(t, path, filepath.Join(dir, "data"), a.URL, b.URL, "b",
		"  sources:\n    thanos: {type: prometheus, url: \"http://127.0.0.1:9\"}")
	spec := "apiVersion: augur/v1\nname: uses-thanos\ncohorts: {baseline: 'v=\"1\"', canary: 'v=\"2\"'}\ntiming: {interval: 1m, lifetime: 2m}\n" +
		"metrics:\n  - {name: m, source: thanos, query: 'x{${cohort}}', judge: {type: mannwhitney}}\n"
	if code, body := post(t, base+"/api/v1/experiments", "application/yaml", "", []byte(spec)); code != http.StatusUnprocessableEntity {
		t.Fatalf("before the reload, an unknown source: %d %s", code, body)
	}
	reload(http.StatusOK)
	if gauge() != 1 {
		t.Error("the gauge does not show the successful reload")
	}
	verdictTo(b)
	if code, body := post(t, base+"/api/v1/experiments", "application/yaml", "", []byte(spec)); code != http.StatusCreated {
		t.Errorf("after the reload the source is unknown: %d %s", code, body)
	}
}

// TestHealthAndReady: /-/healthy answers while serving; /-/ready only
// while the state store answers, and not once shutdown began.
func TestHealthAndReady(t *testing.T) {
	srv, stop := runServer(t, deliveryConfig(t))
	for _, p := range []string{"/-/healthy", "/-/ready"} {
		resp, err := http.Get(srv.URL() + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	if err := srv.engine.state.Close(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(srv.URL() + "/-/ready")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/-/ready with the state store closed: %d, want 503", resp.StatusCode)
	}
	stop()
}

// TestListMatchesEachExperiment: the list (which reads every latest run
// in one query past a few experiments) shows each experiment as its own
// GET does: never started, running, aborted, completed, restarted.
func TestListMatchesEachExperiment(t *testing.T) {
	srv, _ := runServer(t, deliveryConfig(t))
	base := srv.URL()
	var ids []string
	for i := range 24 {
		spec := fmt.Sprintf("apiVersion: augur/v1\nname: list-%02d\ncohorts: {baseline: 'v=\"1\"', canary: 'v=\"2\"'}\ntiming: {interval: 1m, lifetime: 2m}\n"+
			"metrics:\n  - {name: m, query: 'x{${cohort}}', judge: {type: mannwhitney}}\n", i)
		q := ""
		if i%4 == 0 {
			q = "?start=false"
		}
		var x analysis.Experiment
		getJSON(t, http.MethodPost, base+"/api/v1/experiments"+q, spec, http.StatusCreated, &x)
		ids = append(ids, x.ID)
		switch i % 4 {
		case 1:
			getJSON(t, http.MethodPost, base+"/api/v1/experiments/"+x.ID+"/abort", "", http.StatusOK, nil)
		case 2:
			getJSON(t, http.MethodPost, base+"/api/v1/experiments/"+x.ID+"/abort", "", http.StatusOK, nil)
			getJSON(t, http.MethodPost, base+"/api/v1/experiments/"+x.ID+"/start", "", http.StatusOK, nil)
		}
	}
	var list struct{ Experiments []analysis.Experiment }
	getJSON(t, http.MethodGet, base+"/api/v1/experiments", "", http.StatusOK, &list)
	if len(list.Experiments) != len(ids) {
		t.Fatalf("%d listed, want %d", len(list.Experiments), len(ids))
	}
	for _, l := range list.Experiments {
		var one analysis.Experiment
		getJSON(t, http.MethodGet, base+"/api/v1/experiments/"+l.ID, "", http.StatusOK, &one)
		if l.Status != one.Status || l.Run != one.Run || l.Judged != one.Judged || l.Intervals != one.Intervals {
			t.Errorf("%s: listed %s run %s judged %d/%d, alone %s run %s judged %d/%d", l.Spec.Name,
				l.Status, l.Run, l.Judged, l.Intervals, one.Status, one.Run, one.Judged, one.Intervals)
		}
	}
}
