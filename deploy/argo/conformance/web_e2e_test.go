package conformance

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	analysisutil "github.com/argoproj/argo-rollouts/utils/analysis"
)

// gateAnswer is what a measurement's value holds: the Argo gate's JSON
// (jsonPath "{$}").
type gateAnswer struct {
	Verdict      string `json:"verdict"`
	Final        bool   `json:"final"`
	ExperimentID string `json:"experiment_id"`
	Key          string `json:"key"`
}

func answers(t *testing.T, r *webRun, metric string) []gateAnswer {
	t.Helper()
	var out []gateAnswer
	for _, m := range analysisutil.ArrayMeasurement(r.run, metric) {
		if m.Phase == v1alpha1.AnalysisPhaseError {
			continue
		}
		var a gateAnswer
		if err := json.Unmarshal([]byte(m.Value), &a); err != nil {
			t.Fatalf("measurement value %q: %v", m.Value, err)
		}
		out = append(out, a)
	}
	return out
}

// drive reconciles the runs until until() or the deadline.
func drive(t *testing.T, until func() bool, runs ...*webRun) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !until(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			for _, r := range runs {
				t.Logf("%s: %s %+v", r.run.GenerateName, r.run.Status.Phase, r.run.Status.MetricResults)
			}
			t.Fatal("the analysis did not end in time")
		}
		for _, r := range runs {
			if !r.run.Status.Phase.Completed() {
				r.step(time.Now())
			}
		}
	}
}

func phases(r *webRun, metric string) map[v1alpha1.AnalysisPhase]int {
	n := map[v1alpha1.AnalysisPhase]int{}
	for _, m := range analysisutil.ArrayMeasurement(r.run, metric) {
		n[m.Phase]++
	}
	return n
}

// TestShippedTemplatesWithArgoWebProvider runs the AnalysisTemplates of
// deploy/argo/analysistemplate.yaml through Argo Rollouts' web provider
// (argoproj/argo-rollouts metricproviders/webmetric/webmetric.go: its HTTP
// call, JSONPath and condition evaluation) and the analysis controller's
// rules against a live augur serve fed with data stamped now.
func TestShippedTemplatesWithArgoWebProvider(t *testing.T) {
	base := webAugur(t)
	webPut(t, base+"/api/v1/templates/checkout", webTemplateSpec("", ""))
	webPut(t, base+"/api/v1/templates/checkout-outage", webTemplateSpec("", "down"))
	webPut(t, base+"/api/v1/templates/checkout-strict", webTemplateSpec("error", "down"))
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	webPush(t, base, map[string]float64{"healthy1": 0.2, "regressed1": 0.9}, stop)
	tmpls := shippedTemplates(t)
	if tmpls["augur-canary"] == nil || tmpls["augur-promote"] == nil {
		t.Fatalf("templates %v, want augur-canary and augur-promote", tmpls)
	}
	args := func(template, hash string) map[string]string {
		return map[string]string{"namespace": "shop", "rollout": "checkout-" + hash, "canary-hash": hash, "stable-hash": "stable0",
			"augur-template": template, "interval": "1s", "augur-url": base}
	}

	t.Run("KEDA metrics-api reads the gate's numbers", func(t *testing.T) {
		t.Parallel()
		kedaJSON(t, base)
	})

	t.Run("healthy canary is promoted, never paused", func(t *testing.T) {
		t.Parallel()
		bg := newWebRun(t, tmpls["augur-canary"], args("checkout", "healthy1"))
		promote := newWebRun(t, tmpls["augur-promote"], args("checkout", "healthy1"))
		drive(t, func() bool { return promote.run.Status.Phase.Completed() || bg.run.Status.Phase.Completed() }, bg, promote)
		if promote.run.Status.Phase != v1alpha1.AnalysisPhaseSuccessful {
			t.Fatalf("promotion step %s, want Successful: %+v", promote.run.Status.Phase, promote.run.Status.MetricResults)
		}
		// The rollout completes and terminates its background analysis.
		bg.run.Spec.Terminate = true
		bg.step(time.Now())
		if bg.run.Status.Phase != v1alpha1.AnalysisPhaseSuccessful {
			t.Errorf("background analysis %s, want Successful", bg.run.Status.Phase)
		}
		if p := phases(bg, "augur"); p[v1alpha1.AnalysisPhaseInconclusive]+p[v1alpha1.AnalysisPhaseFailed]+p[v1alpha1.AnalysisPhaseError] > 0 || p[v1alpha1.AnalysisPhaseSuccessful] < 2 {
			t.Errorf("background measurements %v, want only Successful ones, one per interval", p)
		}
		if p := phases(promote, "augur-final"); p[v1alpha1.AnalysisPhaseInconclusive]+p[v1alpha1.AnalysisPhaseError] > 0 || p[v1alpha1.AnalysisPhaseSuccessful] != 1 {
			t.Errorf("promotion measurements %v, want one Successful and no Inconclusive", p)
		}
		all := append(answers(t, bg, "augur"), answers(t, promote, "augur-final")...)
		for _, a := range all {
			if a.ExperimentID != all[0].ExperimentID || a.Key != "argo/checkout/shop/checkout-healthy1/healthy1" {
				t.Errorf("answers went to several experiments or keys: %+v", all)
				break
			}
		}
		if last := answers(t, promote, "augur-final"); len(last) == 0 || !last[len(last)-1].Final || last[len(last)-1].Verdict != "pass" {
			t.Errorf("promotion ended on %+v, want a final pass", last)
		}
	})

	t.Run("regressed canary fails at its first failing interval", func(t *testing.T) {
		t.Parallel()
		bg := newWebRun(t, tmpls["augur-canary"], args("checkout", "regressed1"))
		drive(t, func() bool { return bg.run.Status.Phase.Completed() }, bg)
		if bg.run.Status.Phase != v1alpha1.AnalysisPhaseFailed {
			t.Fatalf("background analysis %s, want Failed: %+v", bg.run.Status.Phase, bg.run.Status.MetricResults)
		}
		got := answers(t, bg, "augur")
		if last := got[len(got)-1]; last.Verdict != "fail" {
			t.Errorf("last answer %+v, want fail", last)
		}
		if p := phases(bg, "augur"); p[v1alpha1.AnalysisPhaseFailed] != 1 || p[v1alpha1.AnalysisPhaseInconclusive] > 0 {
			t.Errorf("measurements %v, want running ones then one Failed", p)
		}
	})

	t.Run("outage pauses under on_error inconclusive", func(t *testing.T) {
		t.Parallel()
		bg := newWebRun(t, tmpls["augur-canary"], args("checkout-outage", "healthy1"))
		drive(t, func() bool { return bg.run.Status.Phase.Completed() }, bg)
		if bg.run.Status.Phase != v1alpha1.AnalysisPhaseInconclusive {
			t.Fatalf("background analysis %s, want Inconclusive (the rollout pauses): %+v", bg.run.Status.Phase, bg.run.Status.MetricResults)
		}
		if got := answers(t, bg, "augur"); got[len(got)-1].Verdict != "inconclusive" {
			t.Errorf("last answer %+v, want inconclusive", got[len(got)-1])
		}
	})

	t.Run("outage errors the rollout under on_error error", func(t *testing.T) {
		t.Parallel()
		bg := newWebRun(t, tmpls["augur-canary"], args("checkout-strict", "healthy1"))
		drive(t, func() bool { return bg.run.Status.Phase.Completed() }, bg)
		if bg.run.Status.Phase != v1alpha1.AnalysisPhaseError {
			t.Fatalf("background analysis %s, want Error (the rollout aborts): %+v", bg.run.Status.Phase, bg.run.Status.MetricResults)
		}
		ms := analysisutil.ArrayMeasurement(bg.run, "augur")
		last := ms[len(ms)-1]
		if p := phases(bg, "augur"); p[v1alpha1.AnalysisPhaseError] != 5 || !strings.Contains(last.Message, "503") {
			t.Errorf("measurements %v, last %q: want 5 Errors (consecutiveErrorLimit 4) from 503 answers", p, last.Message)
		}
	})
}
