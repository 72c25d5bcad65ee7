package app

import (
	"bytes"
	"strings"
	"testing"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// TestPrintVerdictClusters: a metric judged per pod shows its deciding
// pod-level comparison, and an inconclusive verdict has no score.
func TestPrintVerdictClusters(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	v := analysis.Verdict{Verdict: judges.OutcomeInconclusive, Reason: "not enough evidence yet for latency",
		Metrics: []analysis.MetricResult{{Name: "latency", Classification: judges.Inconclusive, Reason: "the interval straddles the margin 5%",
			Cluster: &analysis.ClusterInfo{Label: "pod", Canary: 3, Baseline: 3, Method: "welch", Scale: "log", Tests: []analysis.ClusterTest{
				{Name: "p50", Estimate: f(1.01), CILow: f(0.97), CIHigh: f(1.05), Confidence: f(0.995), PValue: f(0.4)},
				{Name: "p99", Estimate: f(1.25), CILow: f(0.98), CIHigh: f(1.6), Confidence: f(0.995), PValue: f(0.01)},
			}}}}}
	var out bytes.Buffer
	PrintVerdict(&out, v)
	for _, want := range []string{"p99 ×1.25 (99.5% ×0.98..×1.6)", "verdict: INCONCLUSIVE (score n/a)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
