package analysis

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/judges"
)

const canaryYAML = `
apiVersion: augur/v1
kind: canary
name: checkout-canary
cohorts:
  baseline: service_version="v1"
  canary: {selector: service_version="v2", selectors: {logs: 'app="checkout", version="v2"'}}
sources:
  logs: {type: loki, url: "http://127.0.0.1:3100", org_id: team-a}
timing: {lifetime: 1h, interval: 10m}
metrics:
  - name: latency_p99
    query: histogram_quantile(0.99, sum by (le) (rate(augur_span_duration_seconds_bucket{service_name="checkout",${cohort}}[2m])))
    judge: {type: mannwhitney, direction: increase}
  - name: memory
    query: max(process_memory_usage_bytes{${cohort}})
    judge: {type: threshold, upper: 5e8}
  - name: errors
    query: sum(increase(augur_span_errors_total{${cohort}}[${window}]))
    total_query: sum(increase(augur_span_requests_total{${cohort}}[${window}]))
    judge: {type: proportion}
  - name: error_logs
    source: logs
    query: sum(count_over_time({${cohort}} |= "error" [1m]))
    judge: {type: mannwhitney}
webhooks: [http://127.0.0.1:9/hook]
`

func TestParseSpecDefaults(t *testing.T) {
	s, err := ParseSpec(strings.NewReader(canaryYAML))
	if err != nil {
		t.Fatal(err)
	}
	if s.Step != Duration(time.Minute) || s.Thresholds != (ScoreThreshold{Pass: 95, Marginal: 75}) || s.Correction != CorrectionNone {
		t.Errorf("defaults: step %s thresholds %+v correction %s", s.Step, s.Thresholds, s.Correction)
	}
	if s.IntervalCount() != 6 || *s.Limits.ConsecutiveErrorLimit != 4 || s.Limits.InconclusiveLimit != nil {
		t.Errorf("limits: count %d %+v", s.IntervalCount(), s.Limits)
	}
	m := s.Metrics
	// judge.confidence stays unset: the metric takes its share of the
	// run's confidence (alpha.go).
	if m[0].Judge.Confidence != 0 || m[0].Weight != 1 || m[0].Source != DefaultSource || m[0].Kind != KindPoints {
		t.Errorf("mannwhitney defaults: %+v", m[0])
	}
	if m[1].Judge.Aggregate != "mean" || m[2].Kind != KindCounts || m[2].Judge.Test != "fisher" || m[2].Judge.Direction != judges.Increase {
		t.Errorf("threshold/proportion defaults: %+v %+v", m[1], m[2])
	}
	if got := s.Cohorts.Canary.For("logs"); got != `app="checkout", version="v2"` {
		t.Errorf("per-source selector: %q", got)
	}
	if got := s.Cohorts.Canary.For(DefaultSource); got != `service_version="v2"` {
		t.Errorf("default selector: %q", got)
	}
	if *s.Sources["logs"].Retries != DefaultSourceRetries || s.Sources["logs"].Timeout != Duration(DefaultSourceTimeout) {
		t.Errorf("source defaults: %+v", s.Sources["logs"])
	}
}

func TestParseSpecABNDefaultsToBH(t *testing.T) {
	s, err := ParseSpec(strings.NewReader(`
apiVersion: augur/v1
kind: abn
name: ab
cohorts: {control: 'v="a"', variants: {b: 'v="b"'}}
timing: {start: -1h, lifetime: 1h, interval: 10m}
srm: {query: 'sum(increase(r{${cohort}}[${window}]))', split: {control: 1, b: 1}}
metrics:
  - {name: conv, primary: true, query: 'x{${cohort}}', judge: {type: sequential}}
  - {name: lat, query: 'y{${cohort}}', judge: {type: mannwhitney}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Correction != judges.AdjustBH || s.SRM.PValue != 0.001 || s.Metrics[0].Judge.Alpha != 0 || math.Abs(s.MetricAlpha(s.Metrics[0])-0.005) > 1e-12 {
		t.Errorf("abn defaults: correction %s srm %+v alpha %g", s.Correction, s.SRM, s.Metrics[0].Judge.Alpha)
	}
	if s.Timing.Start.Relative != -time.Hour {
		t.Errorf("relative start: %+v", s.Timing.Start)
	}
	if c := s.Comparisons(); len(c) != 1 || c[0].Variant != "b" || c[0].ReferenceName != "control" {
		t.Errorf("comparisons: %+v", c)
	}
}

// TestParseSpecInvalid checks that every error names its field.
func TestParseSpecInvalid(t *testing.T) {
	base := func(body string) string {
		return "apiVersion: augur/v1\nname: x\ncohorts: {baseline: 'v=\"1\"', canary: 'v=\"2\"'}\ntiming: {lifetime: 1h}\n" + body
	}
	metric := "metrics: [{name: m, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n"
	tests := []struct {
		name, body string
		want       []string
	}{
		{"empty", "", []string{"empty body"}},
		{"no apiVersion", "name: x\n", []string{"apiVersion: must be augur/v1"}},
		{"wrong apiVersion", strings.Replace(base(metric), "augur/v1", "augur/v2", 1), []string{`apiVersion: must be augur/v1, got "augur/v2"`}},
		{"unknown field", base(metric) + "colour: red\n", []string{"field colour not found"}},
		{"unknown cohort field", strings.Replace(base(metric), "canary: 'v=\"2\"'", "canary: {selectr: 'v=\"2\"'}", 1), []string{"field selectr not found"}},
		{"bad kind", base(metric) + "kind: bluegreen\n", []string{"kind: must be canary, abn or slo"}},
		{"missing canary", strings.Replace(base(metric), ", canary: 'v=\"2\"'", "", 1), []string{"cohorts.canary: must be set for a canary experiment"}},
		{"variants on canary", base(metric) + "", nil},
		{"bad selector", strings.Replace(base(metric), `canary: 'v="2"'`, `canary: 'v=2'`, 1), []string{"cohorts.canary.selector: invalid label matchers"}},
		{"no timing", strings.Replace(base(metric), "timing: {lifetime: 1h}\n", "", 1), []string{"timing.interval: give timing.lifetime"}},
		{"lifetime below interval", strings.Replace(base(metric), "{lifetime: 1h}", "{lifetime: 1m, interval: 5m}", 1), []string{"timing.lifetime: must be at least timing.interval"}},
		{"positive relative start", strings.Replace(base(metric), "{lifetime: 1h}", "{lifetime: 1h, start: 2026-13-01}", 1), []string{"invalid start"}},
		{"no metrics", base(""), []string{"metrics: at least one metric is required"}},
		{"no placeholder", base("metrics: [{name: m, query: 'x', judge: {type: mannwhitney}}]\n"), []string{"metrics[0].query: must contain ${cohort}"}},
		{"bad promql", base("metrics: [{name: m, query: 'sum(x{${cohort}}', judge: {type: mannwhitney}}]\n"), []string{"metrics[0].query: invalid PromQL"}},
		{"unknown judge", base("metrics: [{name: m, query: 'x{${cohort}}', judge: {type: bayes}}]\n"), []string{`metrics[0].judge.type: unknown judge "bayes"`}},
		{"proportion without total", base("metrics: [{name: m, query: 'x{${cohort}}', judge: {type: proportion}}]\n"), []string{"metrics[0].total_query: the proportion judge needs total_query"}},
		{"sequential on slo", "apiVersion: augur/v1\nname: x\nkind: slo\ncohorts: {target: 'v=\"1\"'}\ntiming: {lifetime: 1h}\nmetrics: [{name: m, query: 'x{${cohort}}', judge: {type: sequential}}]\n",
			[]string{"metrics[0].judge.type: an slo experiment judges its target against thresholds"}},
		{"sequential counts without total", base("metrics: [{name: m, kind: counts, query: 'x{${cohort}}', judge: {type: sequential}}]\n"),
			[]string{"metrics[0].total_query: the sequential judge on counts needs total_query"}},
		{"sequential counts either way", base("metrics: [{name: m, kind: counts, query: 'x{${cohort}}', total_query: 'y{${cohort}}', judge: {type: sequential, direction: either}}]\n"),
			[]string{"metrics[0].judge.direction: the sequential judge on counts tests one direction"}},
		{"sequential counts absolute margin", base("metrics: [{name: m, kind: counts, query: 'x{${cohort}}', total_query: 'y{${cohort}}', judge: {type: sequential, margin: 0.1pp}}]\n"),
			[]string{"metrics[0].judge.margin: the sequential judge takes a relative margin such as 5%, got 0.1pp"}},
		{"sequential histogram decrease", base("metrics: [{name: m, kind: histogram, query: 'x{${cohort}}', judge: {type: sequential, direction: decrease}}]\n"),
			[]string{"metrics[0].judge.direction: the sequential judge on histograms judges an increase"}},
		{"sequential histogram quantile", base("metrics: [{name: m, kind: histogram, query: 'x{${cohort}}', judge: {type: sequential, quantiles: [0.5, 1]}}]\n"),
			[]string{"metrics[0].judge.quantiles[1]: must be within (0, 1), got 1"}},
		{"sequential points margin", base("metrics: [{name: m, query: 'x{${cohort}}', judge: {type: sequential, margin: 5%}}]\n"),
			[]string{"metrics[0].judge.margin: the sequential judge on points data (the mSPRT) takes no margin"}},
		{"total_query on mannwhitney", base("metrics: [{name: m, query: 'x{${cohort}}', total_query: 'y{${cohort}}', judge: {type: mannwhitney}}]\n"),
			[]string{"metrics[0].total_query: belongs to the proportion and patterns judges, and to the sequential judge on counts"}},
		{"histogram threshold", base("metrics: [{name: m, kind: histogram, query: 'x{${cohort}}', judge: {type: threshold, upper: 1}}]\n"), []string{"metrics[0].kind: the threshold judge reads"}},
		{"jaeger needs samples", base("sources: {tr: {type: jaeger, address: 'localhost:16685'}}\nmetrics: [{name: m, source: tr, query: '{service=\"x\",${cohort}}', judge: {type: mannwhitney}}]\n"), []string{"metrics[0].kind: a jaeger source returns per-request durations"}},
		{"bad source", base("sources: {p: {type: prometheus, url: 'ftp://x'}}\n" + metric), []string{"sources.p.url: must be an absolute http(s) URL"}},
		{"reserved source name", base("sources: {embedded: {type: prometheus, url: 'http://x'}}\n" + metric), []string{"sources.embedded: the name embedded is reserved"}},
		{"bad correction", base(metric + "correction: fdr\n"), []string{"correction: must be none, bh"}},
		{"negative failure limit", base(metric + "limits: {failure_limit: -1}\n"), []string{"limits.failure_limit: must not be negative"}},
		{"primary on canary", base("metrics: [{name: m, primary: true, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n"), []string{"metrics: primary metrics belong to abn experiments"}},
		{"two errors at once", base("metrics: [{name: m, query: 'x', judge: {type: bayes}}]\nwebhooks: [nope]\n"), []string{"metrics[0].query", "metrics[0].judge.type", "webhooks[0]"}},
	}
	for _, tt := range tests {
		if tt.want == nil {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSpec(strings.NewReader(tt.body))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseSpecABNInvalid(t *testing.T) {
	_, err := ParseSpec(strings.NewReader(`
apiVersion: augur/v1
kind: abn
name: ab
cohorts: {control: 'v="a"', variants: {b: 'v="b"'}, canary: 'v="c"'}
timing: {lifetime: 1h}
srm: {query: 'r{${cohort}}', split: {control: 1, z: 2}}
metrics:
  - {name: lat, query: 'y{${cohort}}', judge: {type: mannwhitney}}
`))
	for _, w := range []string{
		"cohorts.canary: does not belong to a abn experiment",
		"metrics: an abn experiment needs exactly one primary metric, got 0",
		"srm.split.b: every cohort needs a positive share",
		"srm.split.z: no such cohort",
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("want %q in %v", w, err)
		}
	}
}

// TestSpecJSONRoundTrip: a parsed spec written as JSON parses back equal.
func TestSpecJSONRoundTrip(t *testing.T) {
	s, err := ParseSpec(strings.NewReader(canaryYAML))
	if err != nil {
		t.Fatal(err)
	}
	b, err := jsonMarshal(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSpec(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	b2, _ := jsonMarshal(back)
	if string(b) != string(b2) {
		t.Errorf("round trip changed the spec:\n%s\n%s", b, b2)
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
