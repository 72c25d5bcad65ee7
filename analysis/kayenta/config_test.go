package kayenta

import (
	"testing"

	"github.com/augurhq/augur/analysis"
)

// TestNotAConfig: inputs that are not canary configs are errors that say
// what is wrong and where.
func TestNotAConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		input   string
		wantErr []string
	}{
		{"empty", "  \n", []string{"empty canary config"}},
		{"malformed fixture", string(fixture(t, "malformed")), []string{"not valid JSON", "line 9, column 3", "invalid character ']'"}},
		{"truncated", `{"name":"x","metrics":[`, []string{"not valid JSON", "unexpected end of JSON input"}},
		{"a list of configs", `[{"id":"1","name":"a"}]`, []string{"JSON object, got an array", "GET /canaryConfig"}},
		{"a string", `"checkout"`, []string{"JSON object, got a string"}},
		{"an augur spec", `{"apiVersion":"augur/v1","kind":"canary","metrics":[]}`, []string{"augur spec"}},
		{"no metrics field", `{"name":"x","judge":{"name":"NetflixACAJudge-v1.0"}}`, []string{"metrics: missing"}},
		{"no metric", `{"name":"x","metrics":[]}`, []string{"the config has no metric"}},
		{"metrics is not a list", `{"name":"x","metrics":{"a":1}}`, []string{"config:", "metrics"}},
		{"a metric is not an object", `{"name":"x","metrics":[42]}`, []string{"metrics[0]: must be a JSON object, got a number"}},
		{"a metric without name", `{"name":"x","metrics":[{"query":{"type":"prometheus"}}]}`, []string{"metrics[0].name: must not be empty"}},
		{"a query without type", `{"name":"x","metrics":[{"name":"m","query":{"metricName":"up"}}]}`, []string{"metrics[0].query.type: missing"}},
		{"a query that is a string", `{"name":"x","metrics":[{"name":"m","query":"name,CpuRawUser,:eq"}]}`, []string{"metrics[0].query: must be a JSON object"}},
		{"a field of the wrong type", `{"name":"x","metrics":[{"name":"m","query":{"type":"prometheus","labelBindings":"a=b"}}]}`,
			[]string{"metrics[0].query:", "labelBindings must be []string, got a JSON string"}},
		{"a critical flag that is a string", `{"name":"x","metrics":[{"name":"m","query":{"type":"prometheus"},"analysisConfigurations":{"canary":{"critical":"yes"}}}]}`,
			[]string{"metrics[0].analysisConfigurations.canary:", "critical must be bool"}},
		{"a group weight that is a string", `{"name":"x","metrics":[],"classifier":{"groupWeights":{"a":"50"}}}`,
			[]string{"classifier:", "must be float64"}},
		{"only other providers", string(config(`{"name":"m","query":{"type":"datadog","metricName":"avg:x"}}`)),
			[]string{"no prometheus metric to import"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Convert([]byte(tc.input), explicitOptions())
			wantError(t, err, tc.wantErr...)
		})
	}
}

// TestUnsupportedQueryTypes: metrics of other providers are skipped with a
// warning naming them; the prometheus metrics still import.
func TestUnsupportedQueryTypes(t *testing.T) {
	spec, warnings, err := Convert(fixture(t, "mixed-providers"), withScopes("search-v1", "search-v2", nil))
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	assertValid(t, spec)
	if len(spec.Metrics) != 1 || spec.Metrics[0].Name != "query errors" {
		t.Fatalf("metrics = %+v, want only query errors", spec.Metrics)
	}
	wantQuery(t, spec, 0, `sum(rate(search_query_errors_total{${cohort}}[1m]))`)
	if spec.Cohorts.Canary.Selector != `app="search-v2"` {
		t.Errorf("canary = %q", spec.Cohorts.Canary.Selector)
	}
	if len(spec.GroupWeights) != 1 || spec.GroupWeights["errors"] != 25 {
		t.Errorf("group_weights = %v, want errors 25 only", spec.GroupWeights)
	}
	for _, w := range [][]string{
		{"metrics[0].query.type datadog: only prometheus queries import", `"query latency" skipped`},
		{"metrics[1].query.type stackdriver", `"index cpu" skipped`},
		{"judge.name StaticBaselineJudge-v1.0", "augur's Mann–Whitney judge"},
		{"judge.judgeConfigurations", "ignored"},
		{"metrics[2].query.scopeLabel", "ignored"},
		{"classifier.groupWeights.latency", "dropped"},
	} {
		wantWarning(t, warnings, w...)
	}
}

// TestQuietFields: bookkeeping fields need no warning, other fields do.
func TestQuietFields(t *testing.T) {
	cfg := `{"id":"abc","name":"x","applications":["a"],"configVersion":"1","createdTimestamp":1,"updatedTimestamp":2,
		"createdTimestampIso":"2024-05-01T10:00:00Z","updatedTimestampIso":"2024-05-01T10:00:00Z","owner":"team-a",
		"metrics":[` + promMetric("m", errorsPromQL, "") + `]}`
	_, warnings, err := Convert([]byte(cfg), withScopes("a", "b", nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 {
		t.Fatalf("warnings = %q, want only the one about owner", warnings)
	}
	wantWarning(t, warnings, "owner: not used by the import")
}

func TestThresholds(t *testing.T) {
	legacy := `"classifier":{"scoreThresholds":{"pass":80,"marginal":60}}`
	for _, tc := range []struct {
		name   string
		extra  []string
		option *analysis.ScoreThreshold
		want   analysis.ScoreThreshold
	}{
		{"Kayenta's usual defaults", nil, nil, analysis.ScoreThreshold{Pass: 95, Marginal: 75}},
		{"the config's legacy scoreThresholds", []string{legacy}, nil, analysis.ScoreThreshold{Pass: 80, Marginal: 60}},
		{"the options win", []string{legacy}, &analysis.ScoreThreshold{Pass: 90, Marginal: 50}, analysis.ScoreThreshold{Pass: 90, Marginal: 50}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := withScopes("a", "b", nil)
			o.Thresholds = tc.option
			spec, _, err := Convert(config(promMetric("m", errorsPromQL, ""), tc.extra...), o)
			if err != nil {
				t.Fatal(err)
			}
			if spec.Thresholds != tc.want {
				t.Errorf("thresholds = %+v, want %+v", spec.Thresholds, tc.want)
			}
		})
	}
	o := withScopes("a", "b", nil)
	o.Thresholds = &analysis.ScoreThreshold{Pass: 60, Marginal: 80}
	_, _, err := Convert(config(promMetric("m", errorsPromQL, "")), o)
	wantError(t, err, "converted spec is invalid", "thresholds.marginal")
}
