package app

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source"
	"github.com/augurhq/augur/analysis/source/embedded"
	"github.com/augurhq/augur/analysis/state"
	"github.com/augurhq/augur/collector/store/storetest"
)

// BenchmarkScheduler1000Experiments keeps 1,000 experiments active, each
// judged every minute (5 metrics on the embedded store: 3 rank tests, an
// error proportion and a threshold, 10 pods per cohort scraped every 15 s),
// with state in SQLite, for AUGUR_SCHED_DURATION (default 3m) of real time,
// and reports the scheduling lag: how long after an interval came due its
// judgement began. Creations are spread over the first minute, as
// deployments would be. Not falling behind: the intervals judged keep pace
// with those due, and the lag stays below the poll period plus a
// judgement's time.
//
//	go test ./cmd/augur/app -run '^$' -bench Scheduler1000 -benchtime 1x -timeout 30m
func BenchmarkScheduler1000Experiments(b *testing.B) {
	d := 3 * time.Minute
	if s := os.Getenv("AUGUR_SCHED_DURATION"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			b.Fatal(err)
		}
	}
	const experiments, pods = 1000, 10
	st := storetest.Open(b)
	now := time.Now()
	r := rand.New(rand.NewPCG(5, 6))
	app := st.Appender(context.Background())
	counters := map[string]float64{}
	for ts := now.Add(-15 * time.Minute); ts.Before(now.Add(d + 2*time.Minute)); ts = ts.Add(15 * time.Second) {
		for _, v := range []string{"v1", "v2"} {
			for p := 0; p < pods; p++ {
				pod := fmt.Sprint(p)
				for g := 0; g < 3; g++ {
					ls := labels.FromStrings("__name__", fmt.Sprintf("gauge_%d", g), "version", v, "pod", pod)
					if _, err := app.Append(0, ls, ts.UnixMilli(), 100+10*r.NormFloat64()); err != nil {
						b.Fatal(err)
					}
				}
				for _, c := range []string{"requests_total", "errors_total"} {
					inc := 30.0
					if c == "errors_total" {
						inc = float64(r.IntN(2))
					}
					counters[c+v+pod] += inc
					ls := labels.FromStrings("__name__", c, "version", v, "pod", pod)
					if _, err := app.Append(0, ls, ts.UnixMilli(), counters[c+v+pod]); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	}
	if err := app.Commit(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	db, err := state.OpenSQLite(ctx, filepath.Join(b.TempDir(), "augur.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	reg, err := source.NewRegistry(embedded.New(st), nil, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	mgr, err := analysis.NewManager(DefaultConfig().Analysis.managerConfig(), db, reg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	spec, err := analysis.ParseSpec(strings.NewReader(`apiVersion: augur/v1
name: sched
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {interval: 1m, lookback: 10m}
limits: {count: 1000, failure_limit: 1000, inconclusive_limit: 1000}
step: 15s
metrics:
  - {name: g0, query: 'gauge_0{${cohort}}', judge: {type: mannwhitney}}
  - {name: g1, query: 'gauge_1{${cohort}}', judge: {type: mannwhitney}}
  - {name: g2, query: 'gauge_2{${cohort}}', judge: {type: mannwhitney}}
  - {name: errors, query: 'sum(increase(errors_total{${cohort}}[${window}]))', total_query: 'sum(increase(requests_total{${cohort}}[${window}]))', judge: {type: proportion}}
  - {name: rps, query: 'sum(rate(requests_total{${cohort}}[1m]))', judge: {type: threshold, lower: 1}}
`))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		var ru0 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
		mgr.Start()
		began := time.Now()
		for i := 0; i < experiments; i++ {
			if _, err := mgr.Create(ctx, spec, true); err != nil {
				b.Fatal(err)
			}
			time.Sleep(time.Until(began.Add(time.Duration(i+1) * time.Minute / experiments)))
		}
		time.Sleep(time.Until(began.Add(d)))
		lag := mgr.Lag()
		mgr.Close()
		elapsed := time.Since(began)
		var ru1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
		// Each experiment's interval k is due k minutes after its creation.
		due := 0
		for i := 0; i < experiments; i++ {
			created := began.Add(time.Duration(i) * time.Minute / experiments)
			due += int(began.Add(elapsed).Sub(created) / time.Minute)
		}
		b.ReportMetric(float64(lag.Intervals), "intervals")
		b.ReportMetric(float64(due), "due")
		b.ReportMetric(lag.Mean().Seconds()*1000, "mean-lag-ms")
		b.ReportMetric(lag.Max.Seconds()*1000, "max-lag-ms")
		b.ReportMetric(cpu.Seconds()/elapsed.Seconds(), "cores-busy")
		fmt.Fprintf(os.Stderr, "%d experiments over %s: %d intervals judged of %d due; scheduling lag mean %s, max %s; CPU %.2f of 2 cores\n",
			experiments, elapsed.Round(time.Second), lag.Intervals, due, lag.Mean().Round(time.Millisecond), lag.Max.Round(time.Millisecond), cpu.Seconds()/elapsed.Seconds())
	}
}
