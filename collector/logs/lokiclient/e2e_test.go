package lokiclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/grafana/loki-client-go/loki"
	"github.com/prometheus/common/model"
)

// startAugur builds the augur binary from the main module and serves it on
// a free port with a temporary data directory, until the test ends.
func startAugur(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the augur binary")
	}
	tmp := t.TempDir()
	// AUGUR_BIN runs a binary built elsewhere instead.
	bin := os.Getenv("AUGUR_BIN")
	if bin == "" {
		bin = filepath.Join(tmp, "augur")
		build := exec.Command("go", "build", "-o", bin, "./cmd/augur")
		build.Dir = filepath.Join("..", "..", "..")
		// Never let the main module's go.mod be rewritten from here.
		build.Env = append(os.Environ(), "GOFLAGS=-mod=readonly -buildvcs=false", "GOWORK=off")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/augur: %v\n%s", err, out)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()

	var logs bytes.Buffer
	// The gRPC receivers are off: this test needs HTTP only, and their
	// default ports may be taken on a shared machine.
	srv := exec.Command(bin, "serve", "--listen", addr, "--data-dir", filepath.Join(tmp, "data"), "--otlp-grpc-listen=", "--jaeger-listen=")
	srv.Stdout, srv.Stderr = &logs, &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = srv.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("augur log:\n%s", logs.String())
		}
	})

	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/metrics")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("augur did not come up on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestLokiClientPush pushes with Grafana's Loki client, in snappy protobuf
// and in JSON, and reads the counts back through the Prometheus query API.
func TestLokiClientPush(t *testing.T) {
	base := startAugur(t)

	resp, err := http.Post(base+"/loki/api/v1/push", "application/json", bytes.NewReader([]byte(`{"streams":[]}`)))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		t.Fatal("augur does not route POST /loki/api/v1/push")
	}

	now := time.Now().Add(-time.Minute).Truncate(time.Second)
	for _, tc := range []struct {
		version string
		json    bool
	}{{"v1", false}, {"v2", true}} {
		cfg, err := loki.NewDefaultConfig(base + "/loki/api/v1/push")
		if err != nil {
			t.Fatal(err)
		}
		cfg.EncodeJson = tc.json
		cfg.BatchWait = 100 * time.Millisecond
		c, err := loki.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ls := model.LabelSet{"app": "checkout", "version": model.LabelValue(tc.version)}
		for i := range 6 {
			line := fmt.Sprintf("level=info user %d logged in from 10.0.0.%d", i, i)
			if i%3 == 0 {
				line = fmt.Sprintf("level=error payment %d failed: card declined", i)
			}
			if err := c.Handle(ls, now.Add(time.Duration(i)*time.Second), line); err != nil {
				t.Fatal(err)
			}
		}
		c.Stop() // flushes the batch
	}

	want := map[string]float64{"v1/info": 4, "v1/error": 2, "v2/info": 4, "v2/error": 2}
	var got map[string]float64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got = query(t, base, `sum by (service_version, severity) (augur_log_records_total{service_name="checkout"})`, now.Add(10*time.Second))
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
	}
	t.Fatalf("got %v, want %v", got, want)
}

func query(t *testing.T, base, expr string, at time.Time) map[string]float64 {
	t.Helper()
	q := url.Values{"query": {expr}, "time": {strconv.FormatInt(at.Unix(), 10)}}
	resp, err := http.Get(base + "/api/v1/query?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("query %s: %d %s", expr, resp.StatusCode, body)
	}
	var r struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("query %s: %v: %s", expr, err, body)
	}
	out := map[string]float64{}
	for _, s := range r.Data.Result {
		v, _ := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
		out[s.Metric["service_version"]+"/"+s.Metric["severity"]] = v
	}
	return out
}
