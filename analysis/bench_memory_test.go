package analysis_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/embedded"
	"github.com/augurhq/augur/collector/store/storetest"
)

// BenchmarkWorstSpecPeakRSS judges one interval of the largest range query
// a valid spec can make: one metric whose selector matches `series` series
// per cohort, over a window of exactly MaxPointsPerSeries points at the
// step, through the embedded store as augur serve queries it (its own
// engine, bounded by MaxQueryPoints). It reports the process's peak
// resident memory while judging (VmHWM, reset after loading the data) next
// to its resident memory before, with GOGC at 75 as augur serve runs.
// 181 series per cohort is the most that passes (1,991,000 points); 4,500
// is refused by the engine. AUGUR_HUGE_TESTS=1 adds 1,000 and 4,500 series
// through the store's shared engine (store.query_max_samples, 50M), which
// answers them whole (gigabytes) for the fetcher to refuse afterwards, as
// it refuses other sources' answers over MaxQueryPoints.
func BenchmarkWorstSpecPeakRSS(b *testing.B) {
	type bench struct {
		series int
		shared bool
	}
	cases := []bench{{100, false}, {181, false}, {4500, false}}
	if os.Getenv("AUGUR_HUGE_TESTS") != "" {
		cases = append(cases, bench{1000, true}, bench{4500, true})
	}
	for _, c := range cases {
		engine := "limited"
		if c.shared {
			engine = "shared"
		}
		b.Run(fmt.Sprintf("engine=%s/series=%d", engine, c.series), func(b *testing.B) { benchWorstSpec(b, c.series, c.shared) })
	}
}

func benchWorstSpec(b *testing.B, series int, shared bool) {
	defer debug.SetGCPercent(debug.SetGCPercent(75))
	st := storetest.Open(b)
	// A sample every 4m (within the 5m lookback) of the last 1h32m: every
	// 500ms step has a point, and the data is as recent as live data.
	const step, every = 500 * time.Millisecond, 4 * time.Minute
	window := time.Duration(analysis.MaxPointsPerSeries-1) * step
	t0 := time.Now().Add(-window - time.Minute).Truncate(time.Second)
	for t := time.Duration(0); t <= window+every; t += every {
		app := st.Appender(context.Background())
		for _, v := range []string{"v1", "v2"} {
			for i := range series {
				ls := labels.FromStrings("__name__", "latency", "version", v, "pod", strconv.Itoa(i))
				if _, err := app.Append(0, ls, t0.Add(t).UnixMilli(), float64(i%97)+float64(t/every%13)); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := app.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	spec, err := analysis.ParseSpec(strings.NewReader(fmt.Sprintf(`apiVersion: augur/v1
name: worst
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {start: %q, lifetime: %s}
step: %s
metrics:
  - {name: latency, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
`, t0.UTC().Format(time.RFC3339), analysis.Duration(window), analysis.Duration(step))))
	if err != nil {
		b.Fatal(err)
	}
	var src analysis.Source = embedded.New(st.Limited(analysis.MaxQueryPoints, nil))
	if shared {
		src = embedded.New(st)
	}
	sources := sourcesFunc(func(string) (analysis.Source, error) { return src, nil })
	sch := spec.Schedule(t0)
	want := series * analysis.MaxPointsPerSeries
	debug.FreeOSMemory()
	before := procStatusKiB(b, "VmRSS")
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skipf("cannot reset the peak RSS: %v", err)
	}
	b.ResetTimer()
	for b.Loop() {
		var rs analysis.RunState
		v := analysis.EvaluateInterval(context.Background(), spec, sch, 0, &rs, sources)
		m := v.Metrics[0]
		refusal := "too many samples" // the limited engine's
		if shared {
			refusal = "at most 2,000,000 per query" // the fetcher's, once the shared engine answered
		}
		switch {
		case want <= analysis.MaxQueryPoints:
			if m.Canary.N != want || m.Baseline.N != want {
				b.Fatalf("verdict %s: %+v", v.Verdict, m)
			}
		case m.Classification != "error" || !strings.Contains(m.Error, refusal):
			b.Fatalf("over MaxQueryPoints: %s %s", m.Classification, m.Error)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(want), "points/cohort")
	b.ReportMetric(float64(before)/1024, "MiB-RSS-before")
	b.ReportMetric(float64(procStatusKiB(b, "VmHWM"))/1024, "MiB-RSS-peak")
}

// procStatusKiB reads one kB field of /proc/self/status.
func procStatusKiB(b *testing.B, field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}
