package analysis

import (
	"strings"
	"testing"
)

// TestValidateUnit: cluster_by, margin, quantiles, the run's confidence
// and min_coverage, and histogram queries that cannot return buckets are
// refused at creation with the field named.
func TestValidateUnit(t *testing.T) {
	const head = `apiVersion: augur/v1
name: x
cohorts: {baseline: 'v="1"', canary: 'v="2"'}
timing: {lifetime: 10m, interval: 10m}
`
	hist := func(q string) string {
		return "metrics:\n  - {name: h, kind: histogram, query: '" + q + "', judge: {type: mannwhitney}}\n"
	}
	points := func(extra, judge string) string {
		return "metrics:\n  - {name: m, query: 'x{${cohort}}'" + extra + ", judge: {type: mannwhitney" + judge + "}}\n"
	}
	for _, tc := range []struct {
		name, body string
		field      string // "" = valid
		says       string
	}{
		{"classic buckets by le and pod", hist(`sum by (le, pod) (increase(x_bucket{${cohort}}[${window}]))`), "", ""},
		{"classic buckets without aggregation", hist(`increase(x_bucket{${cohort}}[${window}])`), "", ""},
		{"native histograms summed by pod", hist(`sum by (pod) (increase(x_seconds{${cohort}}[${window}]))`), "", ""},
		{"aggregation drops le", hist(`sum by (pod) (increase(x_bucket{${cohort}}[${window}]))`), "metrics[0].query", "drops the le label"},
		{"sum without grouping", hist(`sum(increase(x_bucket{${cohort}}[${window}]))`), "metrics[0].query", "drops the le label"},
		{"without le", hist(`sum without (le) (increase(x_bucket{${cohort}}[${window}]))`), "metrics[0].query", "drops the le label"},
		{"histogram_quantile", hist(`histogram_quantile(0.99, sum by (le) (rate(x_bucket{${cohort}}[5m])))`), "metrics[0].query", "histogram_quantile returns numbers"},
		{"cluster_by a label", points(", cluster_by: k8s_pod_name", ""), "", ""},
		{"cluster_by none", points(", cluster_by: none", ""), "", ""},
		{"cluster_by not a label", points(", cluster_by: 'pod-name'", ""), "metrics[0].cluster_by", "auto, none or a label name"},
		{"relative margin", points("", ", margin: 5%"), "", ""},
		{"absolute margin on latency", points("", ", margin: 0.1pp"), "metrics[0].judge.margin", "belongs to proportions"},
		{"zero margin", points("", ", margin: 0"), "metrics[0].judge.margin", "must be positive"},
		{"margin on a threshold", "metrics:\n  - {name: m, query: 'x{${cohort}}', judge: {type: threshold, upper: 1, margin: 5%}}\n", "metrics[0].judge.margin", "has no margin"},
		{"margin on a kayenta judge", points("", ", kayenta: true, margin: 5%"), "metrics[0].judge.margin", "Kayenta"},
		{"kayenta on a proportion", "metrics:\n  - {name: e, query: 'e{${cohort}}', total_query: 't{${cohort}}', judge: {type: proportion, kayenta: true}}\n", "metrics[0].judge.kayenta", "mannwhitney"},
		{"quantiles on points", points("", ", quantiles: [0.99]"), "metrics[0].judge.quantiles", "kind histogram"},
		{"quantile of 1", "metrics:\n  - {name: h, kind: histogram, query: 'increase(x_bucket{${cohort}}[${window}])', judge: {type: mannwhitney, quantiles: [0.5, 1]}}\n", "metrics[0].judge.quantiles[1]", "within (0, 1)"},
		{"six quantiles", "metrics:\n  - {name: h, kind: histogram, query: 'increase(x_bucket{${cohort}}[${window}])', judge: {type: mannwhitney, quantiles: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}}\n", "metrics[0].judge.quantiles", "at most 5"},
		{"duplicate quantile", "metrics:\n  - {name: h, kind: histogram, query: 'increase(x_bucket{${cohort}}[${window}])', judge: {type: mannwhitney, quantiles: [0.9, 0.9]}}\n", "metrics[0].judge.quantiles[1]", "duplicate"},
		{"judge confidence of 1", points("", ", confidence: 1"), "metrics[0].judge.confidence", "within (0, 1)"},
		{"run confidence", "confidence: 0.95\n" + points("", ""), "", ""},
		{"run confidence above 1", "confidence: 1.5\n" + points("", ""), "confidence", "within (0, 1)"},
		{"negative run confidence", "confidence: -0.1\n" + points("", ""), "confidence", "within (0, 1)"},
		{"own confidences use up the budget", "metrics:\n  - {name: a, query: 'x{${cohort}}', judge: {type: mannwhitney, confidence: 0.98}}\n  - {name: b, query: 'y{${cohort}}', judge: {type: mannwhitney}}\n", "confidence", "leaving none for b"},
		{"own confidences alone", "metrics:\n  - {name: a, query: 'x{${cohort}}', judge: {type: mannwhitney, confidence: 0.98}}\n  - {name: b, query: 'y{${cohort}}', judge: {type: mannwhitney, confidence: 0.98}}\n", "", ""},
		{"min_coverage of 1", "min_coverage: 1\n" + points("", ""), "", ""},
		{"min_coverage above 1", "min_coverage: 1.2\n" + points("", ""), "min_coverage", "within (0, 1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSpec(strings.NewReader(head + tc.body))
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.field == "":
			case err == nil:
				t.Fatalf("accepted; want %s refused", tc.field)
			case !strings.Contains(err.Error(), tc.field+":") || !strings.Contains(err.Error(), tc.says):
				t.Errorf("error %q does not name %s with %q", err, tc.field, tc.says)
			}
		})
	}
}
