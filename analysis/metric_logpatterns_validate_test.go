package analysis

import (
	"strings"
	"testing"
)

func TestLogPatternsSpecValidation(t *testing.T) {
	spec := func(metric string) string {
		return "apiVersion: augur/v1\nname: x\ncohorts: {baseline: 'service_version=\"v1\"', canary: 'service_version=\"v2\"'}\ntiming: {lifetime: 1h}\nmetrics:\n  - " + metric + "\n"
	}
	const (
		q     = `query: 'sum by (pattern_id) (increase(augur_log_pattern_records_total{severity=~"error|warn",${cohort}}[${window}]))'`
		total = `total_query: 'sum(increase(augur_log_records_total{${cohort}}[${window}]))'`
	)
	ok := []struct{ name, metric string }{
		{"default judge", "{name: m, kind: logpatterns, " + q + ", " + total + "}"},
		{"kind from the judge", "{name: m, judge: {type: patterns, margin: 50%}, " + q + ", " + total + "}"},
		{"no aggregation", `{name: m, kind: logpatterns, query: 'increase(augur_log_pattern_records_total{${cohort}}[${window}])', ` + total + "}"},
		{"without another label", `{name: m, kind: logpatterns, query: 'sum without (pod) (increase(augur_log_pattern_records_total{${cohort}}[${window}]))', ` + total + "}"},
		{"topk keeps it", `{name: m, kind: logpatterns, query: 'topk(50, sum by (pattern_id, service_name) (increase(augur_log_pattern_records_total{${cohort}}[${window}])))', ` + total + "}"},
		{"matched on it", `{name: m, kind: logpatterns, query: 'sum by (pattern_id) (increase(a{${cohort}}[${window}])) * on (pattern_id) group_left sum by (pattern_id) (b{${cohort}})', ` + total + "}"},
		{"label_replace makes it", `{name: m, kind: logpatterns, query: 'label_replace(sum by (sig) (increase(e{${cohort}}[${window}])), "pattern_id", "$1", "sig", "(.*)")', ` + total + "}"},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSpec(strings.NewReader(spec(tt.metric)))
			if err != nil {
				t.Fatal(err)
			}
			if m := s.Metrics[0]; m.Kind != KindLogPatterns || m.Judge.Type != JudgePatterns {
				t.Errorf("kind %q judge %q", m.Kind, m.Judge.Type)
			}
		})
	}
	bad := []struct{ name, metric, want string }{
		{"no total_query", "{name: m, kind: logpatterns, " + q + "}", "metrics[0].total_query: the patterns judge needs total_query"},
		{"summed over patterns", `{name: m, kind: logpatterns, query: 'sum(increase(augur_log_pattern_records_total{${cohort}}[${window}]))', ` + total + "}",
			"metrics[0].query: a logpatterns query must return one series per pattern_id, but sum sums every pattern into one series"},
		{"grouped by another label", `{name: m, kind: logpatterns, query: 'sum by (service_version) (increase(augur_log_pattern_records_total{${cohort}}[${window}]))', ` + total + "}",
			"metrics[0].query: a logpatterns query must return one series per pattern_id, but sum by (service_version) drops it"},
		{"without pattern_id", `{name: m, kind: logpatterns, query: 'sum without (pattern_id) (increase(x{${cohort}}[${window}]))', ` + total + "}", "sum without (pattern_id) drops it"},
		{"matched on another label", `{name: m, kind: logpatterns, query: 'sum by (pattern_id, pod) (a{${cohort}}) / on (pod) sum by (pod) (b{${cohort}})', ` + total + "}", "on (pod) drops it"},
		{"a scalar", `{name: m, kind: logpatterns, query: 'scalar(sum(x{${cohort}}))', ` + total + "}", "scalar() returns no labels"},
		{"a decrease", "{name: m, kind: logpatterns, judge: {direction: decrease}, " + q + ", " + total + "}", "metrics[0].judge.direction: the patterns judge tests for patterns more frequent in the canary"},
		{"an absolute margin", "{name: m, kind: logpatterns, judge: {margin: 0.1pp}, " + q + ", " + total + "}", "metrics[0].judge.margin: the patterns judge takes a relative margin"},
		{"a threshold field", "{name: m, kind: logpatterns, judge: {upper: 3}, " + q + ", " + total + "}", "metrics[0].judge: the patterns judge takes direction, confidence and margin only"},
		{"another judge", "{name: m, kind: logpatterns, judge: {type: mannwhitney}, " + q + "}", "metrics[0].kind: the mannwhitney judge reads"},
		{"patterns judge on counts", "{name: m, kind: counts, judge: {type: patterns}, " + q + ", " + total + "}", `metrics[0].kind: the patterns judge reads logpatterns data, got "counts"`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSpec(strings.NewReader(spec(tt.metric)))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}
