package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/metricproviders/webmetric"
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	analysisutil "github.com/argoproj/argo-rollouts/utils/analysis"
	log "github.com/sirupsen/logrus"
	"sigs.k8s.io/yaml"
)

// webAugur builds augur from the main module (or runs $AUGUR_BIN) and
// serves it on a free loopback port, with a named source "down" that
// points at a closed port (a monitoring outage), until the test ends.
func webAugur(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the augur binary")
	}
	return serveAugur(t, augurBin(t))
}

// serveAugur runs bin as webAugur describes.
func serveAugur(t *testing.T, bin string) string {
	t.Helper()
	tmp := t.TempDir()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downURL := "http://" + closed.Addr().String()
	_ = closed.Close()
	cfg := filepath.Join(tmp, "augur.yaml")
	body := fmt.Sprintf("analysis:\n  sources:\n    down: {type: prometheus, url: %q, timeout: 200ms, retries: 0}\n", downURL)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	var logs bytes.Buffer
	srv := exec.Command(bin, "serve", "--config", cfg, "--listen", addr, "--data-dir", filepath.Join(tmp, "data"), "--otlp-grpc-listen=", "--jaeger-listen=")
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
			t.Logf("augur serve log:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("augur serve did not come up:\n%s", logs.String())
		}
	}
}

// augurBin builds augur from the main module into a test directory (or
// returns $AUGUR_BIN).
func augurBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("AUGUR_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "augur")
	build := exec.Command("go", "build", "-o", bin, "./cmd/augur")
	build.Dir = filepath.Join("..", "..", "..")
	build.Env = append(os.Environ(), "GOFLAGS=-mod=readonly -buildvcs=false", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/augur: %v\n%s", err, out)
	}
	return bin
}

// webTemplateSpec is an augur template judging the canary pods'
// (pod_template_hash = the canary-hash arg) latency against a 500 ms
// ceiling over three 1 s intervals; source names the data source.
func webTemplateSpec(onError, source string) string {
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
    query: max(checkout_latency_seconds{${cohort}})
    judge: {type: threshold, aggregate: max, upper: 0.5}
`
	b, _ := json.Marshal(map[string]any{"on_error": onError, "spec": spec, "args": []map[string]any{
		{"name": "namespace", "required": true}, {"name": "rollout", "required": true},
		{"name": "canary-hash", "required": true}, {"name": "stable-hash", "required": true}}})
	return string(b)
}

func webPut(t *testing.T, url, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT %s: %d %s", url, resp.StatusCode, b)
	}
}

// webPush sends every cohort's latency gauge, stamped now, over OTLP/HTTP
// JSON every 100 ms until stop is closed.
func webPush(t *testing.T, base string, values map[string]float64, stop <-chan struct{}) {
	t.Helper()
	send := func() {
		var points []string
		for hash, v := range values {
			points = append(points, fmt.Sprintf(`{"attributes":[{"key":"pod_template_hash","value":{"stringValue":%q}}],"timeUnixNano":"%d","asDouble":%g}`, hash, time.Now().UnixNano(), v))
		}
		body := `{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},"scopeMetrics":[{"metrics":[{"name":"checkout_latency_seconds","gauge":{"dataPoints":[` +
			strings.Join(points, ",") + `]}}]}]}]}`
		resp, err := http.Post(base+"/v1/metrics", "application/json", strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("push: %d", resp.StatusCode)
		}
	}
	send()
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				send()
			}
		}
	}()
}

// shippedTemplates loads deploy/argo/analysistemplate.yaml into Argo's
// types, refusing unknown fields as the API server's schema would.
func shippedTemplates(t *testing.T) map[string]*v1alpha1.AnalysisTemplate {
	return loadTemplates(t, "analysistemplate.yaml")
}

// loadTemplates loads the AnalysisTemplates of a file in deploy/argo.
func loadTemplates(t *testing.T, file string) map[string]*v1alpha1.AnalysisTemplate {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", file))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*v1alpha1.AnalysisTemplate{}
	for _, doc := range strings.Split(string(b), "\n---\n") {
		var at v1alpha1.AnalysisTemplate
		if err := yaml.UnmarshalStrict([]byte(doc), &at); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out[at.Name] = &at
	}
	return out
}

// shippedTemplate is the one AnalysisTemplate of a file in deploy/argo.
func shippedTemplate(t *testing.T, file string) *v1alpha1.AnalysisTemplate {
	t.Helper()
	ts := loadTemplates(t, file)
	if len(ts) != 1 {
		t.Fatalf("%s: %d templates, want 1", file, len(ts))
	}
	for _, at := range ts {
		return at
	}
	return nil
}

// resolvedRun is an AnalysisRun made by Argo's own factory (args merged
// and checked as the rollout controller does) with each metric's args
// resolved and the metrics validated as the analysis controller does.
type resolvedRun struct {
	run     *v1alpha1.AnalysisRun
	metrics []v1alpha1.Metric
}

func argoRun(t *testing.T, tmpl *v1alpha1.AnalysisTemplate, args map[string]string) resolvedRun {
	t.Helper()
	var argv []v1alpha1.Argument
	for k, v := range args {
		argv = append(argv, v1alpha1.Argument{Name: k, Value: str(v)})
	}
	run, err := analysisutil.NewAnalysisRunFromTemplates([]*v1alpha1.AnalysisTemplate{tmpl}, nil, argv, nil, nil, nil, nil, "", tmpl.Name+"-", "shop")
	if err != nil {
		t.Fatalf("%s: %v", tmpl.Name, err)
	}
	r := resolvedRun{run: run}
	for _, m := range run.Spec.Metrics {
		resolved, err := analysisutil.ResolveMetricArgs(m, run.Spec.Args)
		if err != nil {
			t.Fatalf("%s: resolve args: %v", m.Name, err)
		}
		r.metrics = append(r.metrics, *resolved)
	}
	if err := analysisutil.ValidateMetrics(r.metrics); err != nil {
		t.Fatalf("%s: Argo refuses the metrics: %v", tmpl.Name, err)
	}
	return r
}

// webRun is an AnalysisRun of one shipped template driven the way Argo's
// analysis controller drives it.
type webRun struct {
	run       *v1alpha1.AnalysisRun
	metrics   []v1alpha1.Metric
	providers []*webmetric.Provider
	next      []time.Time
}

func str(s string) *string { return &s }

// newWebRun creates the AnalysisRun with Argo's own factory (args merged
// and checked as the rollout controller does) and resolves each metric's
// args, validates the metrics and builds its web provider as the analysis
// controller does.
func newWebRun(t *testing.T, tmpl *v1alpha1.AnalysisTemplate, args map[string]string) *webRun {
	t.Helper()
	rr := argoRun(t, tmpl, args)
	r := &webRun{run: rr.run, metrics: rr.metrics}
	for _, m := range r.metrics {
		client, err := webmetric.NewWebMetricHttpClient(m)
		if err != nil {
			t.Fatal(err)
		}
		parser, err := webmetric.NewWebMetricJsonParser(m)
		if err != nil {
			t.Fatal(err)
		}
		r.providers = append(r.providers, webmetric.NewWebMetricProvider(*log.NewEntry(log.New()), client, parser))
		r.next = append(r.next, time.Time{})
	}
	return r
}
