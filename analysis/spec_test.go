package analysis

import (
	"strings"
	"testing"
	"time"
)

const validYAML = `
name: checkout-canary
baseline: service_version="v1"
canary: service_version="v2"
window:
  duration: 1h
metrics:
  - name: latency_p99
    query: histogram_quantile(0.99, sum by (le) (rate(augur_span_duration_seconds_bucket{service_name="checkout",${cohort}}[2m])))
    judge: {type: mannwhitney, direction: increase}
  - name: memory
    query: max(process_memory_usage_bytes{${cohort}})
    judge: {type: threshold, upper: 5e8}
webhooks: [http://127.0.0.1:9/hook]
`

func TestParseSpecValid(t *testing.T) {
	json := `{"name":"x","baseline":"v=\"1\"","canary":"v=\"2\"",
	  "window":{"start":"2026-01-01T00:00:00Z","end":"2026-01-01T01:00:00Z"},"step":"30s",
	  "thresholds":{"pass":90,"marginal":50},
	  "metrics":[{"name":"m","query":"rate(x{${cohort}}[1m])","judge":{"type":"mannwhitney"},"weight":2,"critical":true}]}`
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, s Spec)
	}{
		{"yaml with defaults", validYAML, func(t *testing.T, s Spec) {
			if s.Step != Duration(time.Minute) || s.Thresholds != (ScoreThreshold{Pass: 95, Marginal: 75}) {
				t.Errorf("defaults: step %s thresholds %+v", s.Step, s.Thresholds)
			}
			if s.Metrics[0].Judge.Confidence != 0.98 || s.Metrics[0].Weight != 1 || s.Metrics[1].Judge.Aggregate != "mean" {
				t.Errorf("metric defaults: %+v", s.Metrics)
			}
			if s.Window.Duration != Duration(time.Hour) {
				t.Errorf("window duration %s", s.Window.Duration)
			}
		}},
		{"json with explicit values", json, func(t *testing.T, s Spec) {
			if s.Step != Duration(30*time.Second) || s.Thresholds.Pass != 90 || s.Metrics[0].Weight != 2 || !s.Metrics[0].Critical {
				t.Errorf("explicit values lost: %+v", s)
			}
			if s.Metrics[0].Judge.Direction != "increase" {
				t.Errorf("direction default: %q", s.Metrics[0].Judge.Direction)
			}
			start, end := s.Window.Resolve(time.Now())
			if end.Sub(start) != time.Hour {
				t.Errorf("window %s..%s", start, end)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSpec(strings.NewReader(tt.body))
			if err != nil {
				t.Fatalf("ParseSpec: %v", err)
			}
			tt.check(t, s)
		})
	}
}

func TestParseSpecInvalidNamesField(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(string) string
		wantSub []string
	}{
		{"empty body", func(string) string { return "  " }, []string{"empty body"}},
		{"unknown field", func(s string) string { return s + "colour: blue\n" }, []string{"colour"}},
		{"missing name", func(s string) string { return strings.Replace(s, "name: checkout-canary", "", 1) }, []string{"name: must not be empty"}},
		{"bad baseline matcher", func(s string) string {
			return strings.Replace(s, `baseline: service_version="v1"`, `baseline: 'service_version=v1'`, 1)
		}, []string{"baseline: invalid label matchers"}},
		{"same cohorts", func(s string) string {
			return strings.Replace(s, `canary: service_version="v2"`, `canary: service_version="v1"`, 1)
		}, []string{"canary: must differ from baseline"}},
		{"no window", func(s string) string { return strings.Replace(s, "  duration: 1h", "  duration: 0s", 1) }, []string{"window: give a duration"}},
		{"bad duration", func(s string) string { return strings.Replace(s, "duration: 1h", "duration: soon", 1) }, []string{`invalid duration "soon"`}},
		{"query without placeholder", func(s string) string { return strings.Replace(s, "{${cohort}}", "{}", 1) }, []string{"metrics[1].query: must contain ${cohort}"}},
		{"invalid promql", func(s string) string { return strings.Replace(s, "max(process", "max((process", 1) }, []string{"metrics[1].query: invalid PromQL"}},
		{"unknown judge", func(s string) string { return strings.Replace(s, "type: threshold", "type: vibes", 1) }, []string{`metrics[1].judge.type: unknown judge "vibes"`}},
		{"bad direction", func(s string) string { return strings.Replace(s, "direction: increase", "direction: up", 1) }, []string{"metrics[0].judge.direction"}},
		{"threshold field on mannwhitney", func(s string) string {
			return strings.Replace(s, "direction: increase}", "direction: increase, upper: 3}", 1)
		}, []string{"metrics[0].judge: aggregate, lower, upper and relative belong to the threshold judge"}},
		{"unknown no-data policy", func(s string) string {
			return strings.Replace(s, "  - name: memory\n", "  - name: memory\n    no_data: shrug\n", 1)
		}, []string{`metrics[1].no_data: must be inconclusive, fail or ignore, got "shrug"`}},
		{"unknown nan strategy", func(s string) string {
			return strings.Replace(s, "direction: increase}", "direction: increase, nan_strategy: guess}", 1)
		}, []string{"metrics[0].judge:", "guess"}},
		{"mannwhitney option on threshold", func(s string) string {
			return strings.Replace(s, "upper: 5e8}", "upper: 5e8, outliers: remove}", 1)
		}, []string{"metrics[1].judge: direction, confidence, effect sizes, nan_strategy and outliers belong to the mannwhitney judge"}},
		{"group weight for an unknown group", func(s string) string { return s + "group_weights: {latency: 1}\n" },
			[]string{`group_weights.latency: no metric is in group "latency"`, `metrics[0].group: group "" has no weight`}},
		{"non-positive group weight", func(s string) string {
			return strings.Replace(s, "  - name: memory\n", "  - name: memory\n    group: mem\n", 1) + "group_weights: {mem: 0, \"\": 1}\n"
		}, []string{"group_weights.mem: must be a positive number"}},
		{"threshold without bounds", func(s string) string { return strings.Replace(s, ", upper: 5e8", "", 1) }, []string{"metrics[1].judge"}},
		{"bad webhook", func(s string) string { return strings.Replace(s, "http://127.0.0.1:9/hook", "ftp://x", 1) }, []string{"webhooks[0]"}},
		{"marginal above pass", func(s string) string { return s + "thresholds: {pass: 50, marginal: 80}\n" }, []string{"thresholds.marginal"}},
		{"duplicate metric", func(s string) string { return strings.Replace(s, "name: memory", "name: latency_p99", 1) }, []string{"duplicate metric name"}},
		{"two errors at once", func(s string) string {
			return strings.Replace(strings.Replace(s, "name: checkout-canary", "name: ''", 1), "type: threshold", "type: x", 1)
		}, []string{"name: must not be empty", "metrics[1].judge.type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSpec(strings.NewReader(tt.mutate(validYAML)))
			if err == nil {
				t.Fatal("want an error")
			}
			for _, sub := range tt.wantSub {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error %q does not contain %q", err, sub)
				}
			}
		})
	}
}

func TestRenderQuery(t *testing.T) {
	got := RenderQuery(`a{x="1",${cohort}} / b{${cohort}}`, `v="2"`)
	if want := `a{x="1",v="2"} / b{v="2"}`; got != want {
		t.Errorf("got %s want %s", got, want)
	}
}
