package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/augurhq/augur/analysis"
)

// gateTemplate is a template judging the pods of the canary-hash arg
// against a 500 ms latency ceiling over three 1 s intervals; source ""
// reads the embedded store.
func gateTemplate(onError, source string) string {
	src := ""
	if source != "" {
		src = "\n    source: " + source
	}
	spec := `apiVersion: augur/v1
kind: slo
name: checkout-${args.rollout}-${args.canary-hash}
cohorts:
  target: 'pod_template_hash="${args.canary-hash}"'
timing: {lifetime: 3s, interval: 1s}
step: 1s
limits: {failure_limit: 0}
metrics:
  - name: latency_max` + src + `
    query: max(gate_latency_seconds{${cohort}})
    judge: {type: threshold, aggregate: max, upper: 0.5}
`
	b, _ := json.Marshal(map[string]any{"on_error": onError, "spec": spec, "args": []map[string]any{
		{"name": "rollout", "required": true}, {"name": "canary-hash", "required": true}}})
	return string(b)
}

// startGateServer serves augur with a source "down" on a closed port,
// the templates checkout, checkout-outage and checkout-strict, and keeps
// pushing the canaries' latency (hash → seconds) stamped now.
func startGateServer(t *testing.T, latency map[string]float64) *Server {
	t.Helper()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + closed.Addr().String()
	_ = closed.Close()
	retries := 0
	srv := startServer(t, func(c *Config) {
		c.Analysis.Sources = map[string]analysis.SourceSpec{"down": {Type: analysis.SourcePrometheus, URL: down,
			Timeout: analysis.Duration(200 * time.Millisecond), Retries: &retries}}
	})
	for name, body := range map[string]string{"checkout": gateTemplate("", ""), "checkout-outage": gateTemplate("", "down"), "checkout-strict": gateTemplate("error", "down")} {
		req, _ := http.NewRequest(http.MethodPut, srv.URL()+"/api/v1/templates/"+name, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("PUT template %s: %d %s", name, resp.StatusCode, b)
		}
	}
	push := func() {
		var pts []string
		for hash, v := range latency {
			pts = append(pts, fmt.Sprintf(`{"attributes":[{"key":"pod_template_hash","value":{"stringValue":%q}}],"timeUnixNano":"%d","asDouble":%g}`, hash, time.Now().UnixNano(), v))
		}
		body := `{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},"scopeMetrics":[{"metrics":[{"name":"gate_latency_seconds","gauge":{"dataPoints":[` + strings.Join(pts, ",") + `]}}]}]}]}`
		if code, msg := post(t, srv.URL()+"/v1/metrics", "application/json", "", []byte(body)); code != http.StatusOK {
			t.Errorf("push: %d %s", code, msg)
		}
	}
	push()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				push()
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return srv
}

func TestGateCommandExitCodes(t *testing.T) {
	srv := startGateServer(t, map[string]float64{"good": 0.2, "bad": 0.9})
	for _, tt := range []struct {
		name, template, key string
		args                []string
		code                int
		out, errOut         string
	}{
		{"healthy canary passes", "checkout", "deploy-good", []string{"rollout=checkout", "canary-hash=good"}, ExitPass, "pass", "interval 1/3"},
		{"regressed canary fails", "checkout", "deploy-bad", []string{"rollout=checkout", "canary-hash=bad"}, ExitFail, "fail", "interval 1/3"},
		{"source outage is an error", "checkout-outage", "deploy-outage", []string{"rollout=checkout", "canary-hash=good"}, ExitError, "error", "interval 3/3"},
		{"unknown template", "nope", "deploy-x", nil, ExitError, "", "404: template nope not found"},
		{"missing required arg", "checkout", "deploy-y", []string{"rollout=checkout"}, ExitError, "", "missing required arg(s) canary-hash"},
		{"bad --arg", "checkout", "deploy-z", []string{"rollout"}, ExitError, "", `--arg "rollout": want name=value`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out, errOut bytes.Buffer
			code := Gate(ctx, &out, &errOut, GateArgs{Server: srv.URL(), Template: tt.template, Key: tt.key, Args: tt.args, Poll: 100 * time.Millisecond, Format: "text"})
			if code != tt.code || !strings.Contains(out.String(), tt.out) || !strings.Contains(errOut.String(), tt.errOut) {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out.String(), errOut.String())
			}
		})
	}
	// A rerun with the same key follows the same run and ends at once.
	var out, errOut bytes.Buffer
	if code := Gate(context.Background(), &out, &errOut, GateArgs{Server: srv.URL(), Template: "checkout", Key: "deploy-good",
		Args: []string{"rollout=checkout", "canary-hash=good"}, Poll: 100 * time.Millisecond, Format: "json"}); code != ExitPass {
		t.Errorf("rerun: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	var v analysis.Verdict
	if err := json.Unmarshal(out.Bytes(), &v); err != nil || v.Verdict != "pass" || v.Interval != 3 {
		t.Errorf("rerun JSON: %v %s", err, out.String())
	}
}

// TestArgoGateConcurrentCallsOneRun: 50 gate calls at once with one key
// create one experiment and one run.
func TestArgoGateConcurrentCallsOneRun(t *testing.T) {
	srv := startGateServer(t, map[string]float64{"c50": 0.2})
	var wg sync.WaitGroup
	ids := make(chan string, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(srv.URL() + "/api/v1/gates/argo/checkout?namespace=shop&rollout=checkout&canary-hash=c50")
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var st struct {
				ExperimentID string `json:"experiment_id"`
				RunID        string `json:"run_id"`
			}
			b, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(b, &st); err != nil || resp.StatusCode != 200 {
				t.Errorf("%d %s", resp.StatusCode, b)
				return
			}
			if st.ExperimentID == "" || st.RunID == "" {
				t.Errorf("no experiment or run in %s", b)
			}
			ids <- st.ExperimentID + "/" + st.RunID
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	list, err := srv.Manager().List(context.Background())
	if len(seen) != 1 || err != nil || len(list) != 1 {
		t.Fatalf("answers name %v; %d experiments stored (%v)", seen, len(list), err)
	}
	if runs, err := srv.Manager().Runs(context.Background(), list[0].ID); err != nil || len(runs) != 1 {
		t.Errorf("%d runs (%v), want 1", len(runs), err)
	}
}

// kedaPrometheusValue replays KEDA's metrics-api scaler reading the
// Prometheus text format (kedacore/keda pkg/scalers/metrics_api_scaler.go,
// getValueFromPrometheusResponse): the valueLocation is parsed as a
// PromQL metric selector, the body with expfmt's text parser, and the
// first sample of the named family whose labels equal every matcher's
// value gives an untyped, counter or gauge value.
func kedaPrometheusValue(body []byte, valueLocation string) (float64, error) {
	matchers, err := parser.NewParser(parser.Options{}).ParseMetricSelector(valueLocation)
	if err != nil {
		return 0, err
	}
	name := ""
	for _, m := range matchers {
		if m.Name == "__name__" {
			name = m.Value
		}
	}
	s := strings.ReplaceAll(string(body), "\r\n", "\n")
	if len(s) > 0 && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(s))
	if err != nil {
		return 0, fmt.Errorf("prometheus format parsing error: %w", err)
	}
	fam, ok := fams[name]
	if !ok {
		return 0, fmt.Errorf("metric '%s' not found", name)
	}
	for _, m := range fam.GetMetric() {
		match := true
		for _, mt := range matchers {
			if mt.Name == "__name__" {
				continue
			}
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == mt.Name && l.GetValue() == mt.Value {
					found = true
				}
			}
			match = match && found
		}
		if !match {
			continue
		}
		if u := m.GetUntyped(); u != nil && u.Value != nil {
			return u.GetValue(), nil
		}
		if c := m.GetCounter(); c != nil && c.Value != nil {
			return c.GetValue(), nil
		}
		if g := m.GetGauge(); g != nil && g.Value != nil {
			return g.GetValue(), nil
		}
	}
	return 0, fmt.Errorf("value %s not found", valueLocation)
}

func TestKEDAMetricsAPIPrometheusFormat(t *testing.T) {
	srv := startGateServer(t, map[string]float64{"keda1": 0.4})
	resp, err := http.Get(srv.URL() + "/api/v1/gates/argo/checkout?key=keda-1&rollout=checkout&canary-hash=keda1")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		ExperimentID string `json:"experiment_id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	get := func(path string) []byte {
		resp, err := http.Get(srv.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK { // KEDA accepts only 200
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	// Once an interval is judged, the score and the headroom exist.
	deadline := time.Now().Add(10 * time.Second)
	for !bytes.Contains(get("/api/v1/gates/keda/checkout?key=keda-1&format=prometheus"), []byte(`augur_gate_slo_headroom{template="checkout",key="keda-1"`)) {
		if time.Now().After(deadline) {
			t.Fatal("no interval judged in time")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, path := range []string{"/api/v1/gates/keda/checkout?key=keda-1&format=prometheus", "/api/v1/experiments/" + st.ExperimentID + "/keda?format=prometheus"} {
		body := get(path)
		for _, tt := range []struct {
			location string
			want     float64
		}{
			{`augur_gate_healthy{experiment="` + st.ExperimentID + `"}`, 1},
			{`augur_gate_score`, 100},
			{`augur_gate_slo_headroom{experiment="` + st.ExperimentID + `"}`, (0.5 - 0.4) / 0.5},
		} {
			got, err := kedaPrometheusValue(body, tt.location)
			if err != nil || got < tt.want-1e-9 || got > tt.want+1e-9 {
				t.Errorf("%s %s = %v, %v; want %v\n%s", path, tt.location, got, err, tt.want, body)
			}
		}
	}
}

func TestHTTPExternalURLValidate(t *testing.T) {
	for _, tt := range []struct {
		url  string
		okay bool
	}{
		{"", true}, {"https://augur.example.com", true}, {"http://augur:8080/base/", true},
		{"augur.example.com", false}, {"ftp://augur", false}, {"https://augur.example.com/?a=b", false},
	} {
		c := DefaultConfig()
		c.HTTP.ExternalURL = tt.url
		err := c.Validate()
		if (err == nil) != tt.okay || (err != nil && !strings.Contains(err.Error(), "http.external_url")) {
			t.Errorf("%q: %v", tt.url, err)
		}
	}
}
