package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source"
	"github.com/augurhq/augur/analysis/source/embedded"
	"github.com/augurhq/augur/analysis/state"
	"github.com/augurhq/augur/collector/store/storetest"
)

// BenchmarkExperimentMetricsScrape measures one scrape of the experiment
// series (what /metrics and the self-scrape pay) with 1,000 and 10,000
// experiments in SQLite, each with a running run whose first interval was
// judged (two metrics), so every experiment shows a verdict, a score and
// its effects.
//
//	go test ./cmd/augur/app -run '^$' -bench ExperimentMetricsScrape -benchtime 5x -timeout 30m
func BenchmarkExperimentMetricsScrape(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("experiments=%d", n), func(b *testing.B) {
			ctx := context.Background()
			st := storetest.Open(b)
			db, err := state.OpenSQLite(ctx, filepath.Join(b.TempDir(), "augur.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			reg, err := source.NewRegistry(embedded.New(st), nil, false, nil)
			if err != nil {
				b.Fatal(err)
			}
			mc := DefaultConfig().Analysis.managerConfig()
			mc.Poll, mc.Workers = 10*time.Millisecond, 4
			mgr, err := analysis.NewManager(mc, db, reg, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			spec, err := analysis.ParseSpec(strings.NewReader(`apiVersion: augur/v1
name: scrape
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {start: "-1m", interval: 1m, lifetime: 1h}
metrics:
  - {name: latency, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
  - {name: errors, query: 'sum(increase(errors_total{${cohort}}[${window}]))', total_query: 'sum(increase(requests_total{${cohort}}[${window}]))', judge: {type: proportion}}
`))
			if err != nil {
				b.Fatal(err)
			}
			for range n {
				if _, err := mgr.Create(ctx, spec, true); err != nil {
					b.Fatal(err)
				}
			}
			mgr.Start()
			for mgr.Lag().Intervals < n {
				time.Sleep(50 * time.Millisecond)
			}
			mgr.Close()
			m := newExperimentMetrics(mgr.Snapshotter(), defaultMetrics(), time.Now, slog.New(slog.DiscardHandler))
			r := prometheus.NewRegistry()
			r.MustRegister(m)
			series := 0
			b.ResetTimer()
			for b.Loop() {
				mfs, err := r.Gather()
				if err != nil {
					b.Fatal(err)
				}
				series = 0
				for _, mf := range mfs {
					series += len(mf.GetMetric())
				}
			}
			b.ReportMetric(float64(series), "series")
		})
	}
}
