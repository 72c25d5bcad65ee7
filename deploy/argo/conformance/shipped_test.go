package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	analysisutil "github.com/argoproj/argo-rollouts/utils/analysis"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"sigs.k8s.io/yaml"
)

// This file runs the manifests shipped in deploy/ that the other tests do
// not: Flagger's Canary and its augur template, KEDA's ScaledObject, the
// Argo Rollout, and the CI jobs' augur gate command lines.

// deployFile reads a file under deploy/.
func deployFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// atServer points a shipped URL at base, keeping its path and query.
func atServer(t *testing.T, base, shipped string) string {
	t.Helper()
	u, err := url.Parse(shipped)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := url.Parse(base)
	u.Scheme, u.Host = b.Scheme, b.Host
	return u.String()
}

// TestShippedFlaggerCanary stores deploy/flagger/template.yaml and calls
// every webhook of deploy/flagger/canary.yaml with Flagger's payload
// (fluxcd/flagger pkg/controller/webhook.go: name, namespace, phase,
// checksum, metadata; event webhooks add eventMessage, eventType and
// timestamp), checking what Flagger would do with each answer at the start
// of a canary: proceed (≤ 202) or hold (> 202).
func TestShippedFlaggerCanary(t *testing.T) {
	base := webAugur(t)
	req, _ := http.NewRequest(http.MethodPut, base+"/api/v1/templates/podinfo", bytes.NewReader(deployFile(t, "flagger/template.yaml")))
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT deploy/flagger/template.yaml: %d %s", resp.StatusCode, b)
	}
	resp.Body.Close()

	var canary struct {
		Metadata struct{ Name, Namespace string }
		Spec     struct {
			Analysis struct {
				Webhooks []struct {
					Name, Type, URL string
					Metadata        map[string]string
				}
			}
		}
	}
	if err := yaml.Unmarshal(deployFile(t, "flagger/canary.yaml"), &canary); err != nil {
		t.Fatal(err)
	}
	hooks := canary.Spec.Analysis.Webhooks
	if len(hooks) == 0 {
		t.Fatal("deploy/flagger/canary.yaml: no webhooks")
	}
	// At the start of a canary nothing is judged yet: checks pass, the
	// promotion waits, nothing rolls back, events are kept.
	proceed := map[string]bool{"pre-rollout": true, "rollout": true, "confirm-promotion": false,
		"rollback": false, "event": true, "post-rollout": true}
	for _, h := range hooks {
		want, known := proceed[h.Type]
		if !known {
			t.Fatalf("webhook %s: type %q not covered here", h.Name, h.Type)
		}
		meta := map[string]string{}
		for k, v := range h.Metadata {
			meta[k] = v
		}
		if h.Type == "event" {
			meta["eventMessage"], meta["eventType"] = "New revision detected! Scaling up podinfo.test", "Normal"
			meta["timestamp"] = "1733250000000"
		}
		body, _ := json.Marshal(map[string]any{"name": canary.Metadata.Name, "namespace": "test",
			"phase": "Progressing", "checksum": "6d4f8b9c7", "metadata": meta})
		resp, err := http.Post(atServer(t, base, h.URL), "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.StatusCode <= http.StatusAccepted; got != want {
			t.Errorf("webhook %s (%s): %d %s, want Flagger to proceed %v", h.Name, h.Type, resp.StatusCode, b, want)
		}
	}
}

// TestShippedScaledObject reads every trigger of deploy/keda/scaledobject.yaml
// as KEDA's metrics-api scaler does (JSON by its GJSON path; Prometheus
// text by metric name) from a live instance under the manifest's key.
func TestShippedScaledObject(t *testing.T) {
	base := webAugur(t)
	webPut(t, base+"/api/v1/templates/checkout", webTemplateSpec("", ""))
	var so struct {
		Spec struct {
			Triggers []struct {
				Type     string
				Metadata map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(deployFile(t, "keda/scaledobject.yaml"), &so); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	for i, tr := range so.Spec.Triggers {
		if tr.Type != "metrics-api" {
			t.Fatalf("trigger %d: type %s", i, tr.Type)
		}
		u, err := url.Parse(tr.Metadata["url"])
		if err != nil {
			t.Fatal(err)
		}
		// The manifest's key is an Argo gate key: create that instance,
		// its canary serving healthy latency.
		parts := strings.Split(u.Query().Get("key"), "/")
		if len(parts) != 5 || parts[0] != "argo" {
			t.Fatalf("trigger %d: key %q is not an Argo gate key", i, u.Query().Get("key"))
		}
		if i == 0 {
			webPush(t, base, map[string]float64{parts[4]: 0.1}, stop)
		}
		gate := base + "/api/v1/gates/argo/" + parts[1] + "?namespace=" + parts[2] + "&rollout=" + parts[3] + "&canary-hash=" + parts[4] + "&stable-hash=stable0"
		if resp, err := http.Get(gate); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("trigger %d: gate call: %v %v", i, err, resp)
		} else {
			resp.Body.Close()
		}
		// Read as KEDA polls: the headroom exists once an interval is
		// judged (before, KEDA reports the trigger's error and keeps the
		// replica count).
		var v float64
		var b []byte
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			resp, err := http.Get(atServer(t, base, tr.Metadata["url"]))
			if err != nil {
				t.Fatal(err)
			}
			b, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("trigger %d: %d %s (KEDA accepts only 200)", i, resp.StatusCode, b)
			}
			switch tr.Metadata["format"] {
			case "json":
				v, err = kedaJSONValue(b, tr.Metadata["valueLocation"])
			case "prometheus":
				v, err = promTextValue(b, tr.Metadata["valueLocation"])
			default:
				t.Fatalf("trigger %d: format %q", i, tr.Metadata["format"])
			}
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("trigger %d (%s %s): %v in %s", i, tr.Metadata["format"], tr.Metadata["valueLocation"], err, b)
			}
		}
		t.Logf("trigger %d: %s = %v", i, tr.Metadata["valueLocation"], v)
		if tr.Metadata["valueLocation"] == "healthy" && v != 1 {
			t.Errorf("trigger %d: healthy %v for a healthy canary", i, v)
		}
	}
}

// promTextValue is the value of the single sample of metric name in a
// Prometheus text exposition.
func promTextValue(body []byte, name string) (float64, error) {
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	f, ok := fams[name]
	if !ok || len(f.GetMetric()) != 1 {
		return 0, errors.New("no single sample of " + name)
	}
	m := f.GetMetric()[0]
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue(), nil
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue(), nil
	}
	return 0, errors.New(name + " is not a gauge")
}

// TestShippedRollout loads deploy/argo/rollout.yaml into Argo's Rollout
// type (unknown fields refused) and creates, with Argo's own factory, the
// AnalysisRun of every analysis it references from the shipped templates,
// with the valueFrom args resolved as the rollout controller would: every
// template argument without a value must be given, none unknown.
func TestShippedRollout(t *testing.T) {
	var ro v1alpha1.Rollout
	if err := yaml.UnmarshalStrict(deployFile(t, "argo/rollout.yaml"), &ro); err != nil {
		t.Fatalf("rollout.yaml: %v", err)
	}
	tmpls := shippedTemplates(t)
	resolve := func(args []v1alpha1.AnalysisRunArgument) []v1alpha1.Argument {
		var out []v1alpha1.Argument
		for _, a := range args {
			v := a.Value
			if a.ValueFrom != nil {
				v = "resolved-" + a.Name
			}
			out = append(out, v1alpha1.Argument{Name: a.Name, Value: str(v)})
		}
		return out
	}
	check := func(where string, refs []v1alpha1.AnalysisTemplateRef, args []v1alpha1.AnalysisRunArgument) {
		if len(refs) == 0 {
			t.Fatalf("%s: no templates", where)
		}
		for _, ref := range refs {
			tmpl, ok := tmpls[ref.TemplateName]
			if !ok {
				t.Fatalf("%s: template %s is not in deploy/argo/analysistemplate.yaml", where, ref.TemplateName)
			}
			run, err := analysisutil.NewAnalysisRunFromTemplates([]*v1alpha1.AnalysisTemplate{tmpl}, nil, resolve(args), nil, nil, nil, nil, "", "x-", "shop")
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			declared := map[string]bool{}
			for _, a := range tmpl.Spec.Args {
				declared[a.Name] = true
			}
			for _, a := range args {
				if !declared[a.Name] {
					t.Errorf("%s: arg %s is not declared by %s", where, a.Name, ref.TemplateName)
				}
			}
			for _, m := range run.Spec.Metrics {
				if _, err := analysisutil.ResolveMetricArgs(m, run.Spec.Args); err != nil {
					t.Errorf("%s: %s: %v", where, m.Name, err)
				}
			}
		}
	}
	bg := ro.Spec.Strategy.Canary.Analysis
	if bg == nil {
		t.Fatal("rollout.yaml: no background analysis")
	}
	check("background analysis", bg.Templates, bg.Args)
	steps := 0
	for i, s := range ro.Spec.Strategy.Canary.Steps {
		if s.Analysis != nil {
			steps++
			check("step "+string(rune('0'+i)), s.Analysis.Templates, s.Analysis.Args)
		}
	}
	if steps == 0 {
		t.Error("rollout.yaml: no analysis step before promotion")
	}
}

// TestShippedCIJobs runs the augur gate command line of each CI example
// (deploy/ci) against a live augur, with the jobs' variables filled in:
// the flags exist and the command follows a run to a verdict exit code
// (0 pass, 1 fail, 2 inconclusive or marginal; 3 would mean it could not
// analyse, and a usage error would not reach the server).
func TestShippedCIJobs(t *testing.T) {
	bin := augurBin(t)
	base := serveAugur(t, bin)
	webPut(t, base+"/api/v1/templates/checkout", webTemplateSpec("", ""))
	cmdLine := regexp.MustCompile(`augur gate((?:[^\n;]|\\\n|\n\s+--)*)`)
	vars := strings.NewReplacer(`"$AUGUR_URL"`, base, `${{ github.repository }}`, "org/repo", `${{ github.sha }}`, "abc123",
		`$CI_PROJECT_PATH`, "group/project", `$CI_COMMIT_SHA`, "abc123", `"$(cat .stable-version)"`, "stable0", `\`+"\n", " ", "\n", " ", `"`, "")
	for _, f := range []string{"ci/github-actions.yaml", "ci/gitlab-ci.yaml"} {
		m := cmdLine.FindSubmatch(deployFile(t, f))
		if m == nil {
			t.Fatalf("%s: no augur gate command line", f)
		}
		args := append([]string{"gate"}, strings.Fields(vars.Replace(string(m[1])))...)
		cmd := exec.Command(bin, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code > 2 {
				t.Errorf("%s: augur %s: exit %d\n%s", f, strings.Join(args, " "), code, out.String())
			}
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("%s: augur gate did not reach a verdict in 60 s\n%s", f, out.String())
		}
	}
}
