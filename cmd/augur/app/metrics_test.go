package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

type fakeSnapshots struct {
	snaps      []analysis.ExperimentSnapshot
	err        error
	endedSince time.Time
}

func (f *fakeSnapshots) Snapshot(_ context.Context, endedSince time.Time) ([]analysis.ExperimentSnapshot, error) {
	f.endedSince = endedSince
	return f.snaps, f.err
}

func fp(f float64) *float64 { return &f }

// TestExperimentMetricsCollect: what each state of a run shows, through
// the Prometheus text a scraper reads.
func TestExperimentMetricsCollect(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	rec := func(id, tmpl, key string) analysis.ExperimentRecord {
		return analysis.ExperimentRecord{ID: id, Spec: analysis.Spec{Name: "n-" + id}, Template: tmpl, Key: key}
	}
	interval := func(score *float64, metrics ...analysis.MetricResult) *analysis.IntervalResult {
		return &analysis.IntervalResult{Verdict: analysis.Verdict{Verdict: judges.OutcomePass, Score: score, Metrics: metrics}}
	}
	tests := []struct {
		name    string
		snap    analysis.ExperimentSnapshot
		want    string
		absent  []string
		backlog int
	}{
		{
			name: "running shows the latest interval's score and effects",
			snap: analysis.ExperimentSnapshot{Experiment: rec("a", "canary", "k1"), Backlog: 2,
				Run: analysis.Run{Status: analysis.RunRunning, NextIndex: 3, Spec: analysis.Spec{Name: "n-a"}},
				Latest: interval(fp(90),
					analysis.MetricResult{Name: "latency", Variant: "canary", Shift: fp(0.02), CILow: fp(0.01), CIHigh: fp(0.03)},
					analysis.MetricResult{Name: "errors", Variant: "canary", CanaryRate: fp(0.25), BaselineRate: fp(0.125)},
					analysis.MetricResult{Name: "cpu", Variant: "canary", Cluster: &analysis.ClusterInfo{Scale: "log", Tests: []analysis.ClusterTest{{Estimate: fp(1.5)}}}},
					analysis.MetricResult{Name: "memory", Variant: "canary", Aggregate: fp(1e9)})},
			want: `augur_experiment_verdict{experiment="a",key="k1",name="n-a",template="canary",verdict="running"} 1
augur_experiment_score{experiment="a",key="k1",name="n-a",template="canary"} 90
augur_experiment_intervals_judged{experiment="a",key="k1",name="n-a",template="canary"} 3
augur_metric_effect{experiment="a",metric="latency",scale="difference",variant="canary"} 0.02
augur_metric_effect_lower{experiment="a",metric="latency",scale="difference",variant="canary"} 0.01
augur_metric_effect_upper{experiment="a",metric="latency",scale="difference",variant="canary"} 0.03
augur_metric_effect{experiment="a",metric="errors",scale="difference",variant="canary"} 0.125
augur_metric_effect{experiment="a",metric="cpu",scale="ratio",variant="canary"} 1.5
augur_scheduling_backlog_intervals 2`,
			absent:  []string{`metric="memory"`, `augur_metric_effect_lower{experiment="a",metric="errors"`},
			backlog: 2,
		},
		{
			name:   "paused is still running",
			snap:   analysis.ExperimentSnapshot{Experiment: rec("b", "", ""), Run: analysis.Run{Status: analysis.RunPaused, NextIndex: 0}},
			want:   `augur_experiment_verdict{experiment="b",key="",name="n-b",template="",verdict="running"} 1`,
			absent: []string{"augur_experiment_score{", "augur_metric_effect{"},
		},
		{
			name: "completed shows the final verdict and its score",
			snap: analysis.ExperimentSnapshot{Experiment: rec("c", "", ""),
				Run:    analysis.Run{Status: analysis.RunCompleted, NextIndex: 2, Verdict: &analysis.Verdict{Verdict: judges.OutcomeMarginal, Score: fp(60)}},
				Latest: interval(fp(99))},
			want:   `augur_experiment_verdict{experiment="c",key="",name="n-c",template="",verdict="marginal"} 1` + "\n" + `augur_experiment_score{experiment="c",key="",name="n-c",template=""} 60`,
			absent: []string{`verdict="running"`},
		},
		{
			name: "aborted is inconclusive without a score",
			snap: analysis.ExperimentSnapshot{Experiment: rec("d", "", ""),
				Run:    analysis.Run{Status: analysis.RunAborted, NextIndex: 1, Verdict: &analysis.Verdict{Verdict: judges.OutcomeInconclusive}},
				Latest: interval(fp(99))},
			want:   `augur_experiment_verdict{experiment="d",key="",name="n-d",template="",verdict="inconclusive"} 1`,
			absent: []string{"augur_experiment_score{"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &fakeSnapshots{snaps: []analysis.ExperimentSnapshot{tt.snap}}
			m := newExperimentMetrics(src, MetricsConfig{ExperimentRetention: time.Hour}, func() time.Time { return now }, slog.New(slog.DiscardHandler))
			text := gatherText(t, m)
			for _, line := range strings.Split(tt.want, "\n") {
				if !strings.Contains(text, line+"\n") {
					t.Errorf("missing %s in\n%s", line, text)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(text, s) {
					t.Errorf("has %s:\n%s", s, text)
				}
			}
			if !src.endedSince.Equal(now.Add(-time.Hour)) {
				t.Errorf("asked for runs ended since %s, want the retention before now", src.endedSince)
			}
		})
	}
	t.Run("a failed read shows no experiments and keeps the counters", func(t *testing.T) {
		m := newExperimentMetrics(&fakeSnapshots{err: errors.New("database is locked")}, defaultMetrics(), time.Now, slog.New(slog.DiscardHandler))
		m.IntervalJudged(judges.OutcomeFail, 3*time.Second)
		text := gatherText(t, m)
		if strings.Contains(text, "augur_experiment_verdict{") || !strings.Contains(text, `augur_interval_judgements_total{outcome="fail"} 1`) ||
			!strings.Contains(text, `augur_scheduling_lag_seconds_bucket{le="5"} 1`) {
			t.Errorf("got\n%s", text)
		}
	})
}

// gatherText renders m as the Prometheus text /metrics serves.
func gatherText(t *testing.T, m *experimentMetrics) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}
