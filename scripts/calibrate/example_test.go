package main

import (
	"bytes"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

// TestCanarySpecIsTheExample: the spec the calibration judges with is the
// example users copy (deploy/examples/checkout-canary.yaml), metric for
// metric, apart from the replicate's label in the cohorts and the timing;
// TestSmoke then runs it against a live server, so the example's queries
// and judges are exercised on real ingested data.
func TestCanarySpecIsTheExample(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/examples/checkout-canary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	example, err := analysis.ParseSpec(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("example: %v", err)
	}
	tmpl, err := loadTemplate("canary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body, err := render(tmpl, classes()[0], 0, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := analysis.ParseSpec(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("canary.yaml: %v", err)
	}
	if spec.Step != example.Step || spec.Confidence != example.Confidence || spec.Limits.FailureLimit != example.Limits.FailureLimit {
		t.Errorf("step, confidence or failure_limit differ: %v %v %d, example %v %v %d",
			spec.Step, spec.Confidence, spec.Limits.FailureLimit, example.Step, example.Confidence, example.Limits.FailureLimit)
	}
	byName := map[string]analysis.MetricSpec{}
	for _, m := range example.Metrics {
		byName[m.Name] = m
	}
	for _, m := range spec.Metrics {
		e, ok := byName[m.Name]
		switch {
		case !ok:
			t.Errorf("metric %s is not in the example", m.Name)
		case m.Query != e.Query || m.TotalQuery != e.TotalQuery || m.Kind != e.Kind || m.Critical != e.Critical ||
			m.ClusterBy != e.ClusterBy || !reflect.DeepEqual(m.Judge, e.Judge):
			t.Errorf("metric %s differs from the example's:\n%+v\n%+v", m.Name, m, e)
		}
	}
	if len(spec.Metrics) < 3 {
		t.Errorf("canary.yaml judges %d metrics, want the example's three statistical ones", len(spec.Metrics))
	}
}
