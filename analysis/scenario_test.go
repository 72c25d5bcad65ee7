package analysis_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/embedded"
	"github.com/augurhq/augur/collector/store"
	"github.com/augurhq/augur/collector/store/storetest"
)

// Scenario files (testdata/scenarios/*.txt) drive the engine the way
// Prometheus' promqltest drives PromQL:
//
//	spec                      an indented augur/v1 spec follows
//	load 1m                   indented series follow, one sample per step
//	  latency{version="v1"} normal(100,10,1)x60 ...
//	fail <text>               queries containing text fail at the source
//	run                       run every interval; indented expectations:
//	  interval 2 fail         the verdict of interval 2
//	  final pass              the run's final verdict
//	  judged 3                how many intervals were judged
//	  judged <= 6             at most that many (an early stop)
//	  stopped <text>          why the run stopped early (substring)
//	  reason <text>           the final reason (substring)
//	  metric 1 latency high   a metric's classification in interval 1
//	                          (variant/metric for abn)
//	  because 1 latency <text>  a metric's reason in interval 1 (substring)
//	  cluster 1 latency pod welch  its cluster label and method
//
// Values: numbers; _ (no sample); a+bxN and a-bxN (promqltest: N+1
// values); normal(mean,sd,seed)xN; lognormal(mu,sigma,seed)xN;
// ar1(mean,sd,rho,seed)xN (an AR(1) drift around mean with marginal sd);
// counter(lambda,seed)xN (a counter growing by Poisson(lambda) per step,
// N+1 values from 0). Samples start at the spec's timing.start.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			t.Parallel()
			runScenarioFile(t, f)
		})
	}
}

type scenario struct {
	spec    strings.Builder
	loads   []load
	fails   []string
	expects []string
}

type load struct {
	step  time.Duration
	lines []string
}

func parseScenario(t *testing.T, path string) *scenario {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := &scenario{}
	var block string
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		line := s.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			if block == "spec" {
				sc.spec.WriteString("\n")
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			switch block {
			case "spec":
				sc.spec.WriteString(strings.TrimPrefix(line, "  ") + "\n")
			case "load":
				sc.loads[len(sc.loads)-1].lines = append(sc.loads[len(sc.loads)-1].lines, trimmed)
			case "run":
				sc.expects = append(sc.expects, trimmed)
			default:
				t.Fatalf("%s:%d: indented line outside a block", path, n)
			}
			continue
		}
		cmd, arg, _ := strings.Cut(trimmed, " ")
		block = cmd
		switch cmd {
		case "spec", "run":
		case "load":
			d, err := time.ParseDuration(arg)
			if err != nil {
				t.Fatalf("%s:%d: load step: %v", path, n, err)
			}
			sc.loads = append(sc.loads, load{step: d})
		case "fail":
			sc.fails = append(sc.fails, arg)
		default:
			t.Fatalf("%s:%d: unknown command %q", path, n, cmd)
		}
	}
	return sc
}

type sourcesFunc func(name string) (analysis.Source, error)

func (f sourcesFunc) Source(name string, _ *analysis.SourceSpec) (analysis.Source, error) {
	return f(name)
}

func runScenarioFile(t *testing.T, path string) {
	sc := parseScenario(t, path)
	spec, err := analysis.ParseSpec(strings.NewReader(sc.spec.String()))
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	if spec.Timing.Start == nil || spec.Timing.Start.At == nil {
		t.Fatal("scenario specs need an absolute timing.start: samples start there")
	}
	// The fixtures are at fixed past times.
	st := storetest.OpenBackfill(t, *spec.Timing.Start.At)
	for _, l := range sc.loads {
		loadSeries(t, st, *spec.Timing.Start.At, l)
	}
	emb := embedded.New(st)
	sources := sourcesFunc(func(name string) (analysis.Source, error) {
		if name != analysis.DefaultSource {
			return nil, fmt.Errorf("unknown source %q", name)
		}
		return analysis.SourceFunc(func(ctx context.Context, q analysis.Query) ([]analysis.Series, error) {
			for _, f := range sc.fails {
				if strings.Contains(q.Expr, f) {
					return nil, errors.New("scenario: source unavailable")
				}
			}
			return emb.Fetch(ctx, q)
		}), nil
	})
	final, intervals, err := analysis.RunLocal(context.Background(), spec, sources, nil)
	if err != nil {
		t.Fatal(err)
	}
	check(t, final, intervals, sc.expects)
}

func check(t *testing.T, final analysis.Verdict, intervals []analysis.Verdict, expects []string) {
	t.Helper()
	describe := func() string {
		var b strings.Builder
		for _, v := range intervals {
			fmt.Fprintf(&b, "\n  interval %d: %s (%s) %s", v.Interval, v.Verdict, analysis.ScoreText(v.Score), v.Reason)
			for _, m := range v.Metrics {
				fmt.Fprintf(&b, "\n    %s/%s %s: %s", m.Variant, m.Name, m.Classification, m.Reason)
			}
		}
		fmt.Fprintf(&b, "\n  final: %s stopped=%q %s", final.Verdict, final.Stopped, final.Reason)
		return b.String()
	}
	for _, e := range expects {
		f := strings.Fields(e)
		switch {
		case f[0] == "final" && len(f) == 2:
			if string(final.Verdict) != f[1] {
				t.Errorf("%s: got %s%s", e, final.Verdict, describe())
			}
		case f[0] == "judged" && len(f) == 2:
			if strconv.Itoa(len(intervals)) != f[1] {
				t.Errorf("%s: got %d%s", e, len(intervals), describe())
			}
		case f[0] == "judged" && len(f) == 3 && f[1] == "<=":
			if n, err := strconv.Atoi(f[2]); err != nil || len(intervals) > n {
				t.Errorf("%s: got %d%s", e, len(intervals), describe())
			}
		case f[0] == "interval" && len(f) == 3:
			i, _ := strconv.Atoi(f[1])
			if i < 1 || i > len(intervals) {
				t.Errorf("%s: only %d intervals judged%s", e, len(intervals), describe())
			} else if got := string(intervals[i-1].Verdict); got != f[2] {
				t.Errorf("%s: got %s%s", e, got, describe())
			}
		case f[0] == "stopped" || f[0] == "reason":
			want := strings.TrimSpace(strings.TrimPrefix(e, f[0]))
			got := final.Stopped
			if f[0] == "reason" {
				got = final.Reason
			}
			if !strings.Contains(got, want) {
				t.Errorf("%s: got %q%s", e, got, describe())
			}
		case (f[0] == "because" && len(f) >= 4) || (f[0] == "cluster" && len(f) == 5):
			i, _ := strconv.Atoi(f[1])
			r, ok := metricAt(intervals, i, f[2])
			switch {
			case !ok:
				t.Errorf("%s: no such metric result%s", e, describe())
			case f[0] == "because":
				want := strings.Join(f[3:], " ")
				if !strings.Contains(r.Reason, want) {
					t.Errorf("%s: got %q%s", e, r.Reason, describe())
				}
			case r.Cluster == nil || r.Cluster.Label != strings.Trim(f[3], `"`) || r.Cluster.Method != strings.ReplaceAll(f[4], "_", " "):
				t.Errorf("%s: got %+v%s", e, r.Cluster, describe())
			}
		case f[0] == "metric" && len(f) == 4:
			i, _ := strconv.Atoi(f[1])
			variant, name, ok := strings.Cut(f[2], "/")
			if !ok {
				variant, name = "", f[2]
			}
			found := false
			if i >= 1 && i <= len(intervals) {
				for _, m := range intervals[i-1].Metrics {
					if m.Name == name && (variant == "" || m.Variant == variant) {
						found = true
						if string(m.Classification) != f[3] {
							t.Errorf("%s: got %s (%s)%s", e, m.Classification, m.Reason, describe())
						}
					}
				}
			}
			if !found {
				t.Errorf("%s: no such metric result%s", e, describe())
			}
		default:
			t.Errorf("bad expectation %q", e)
		}
	}
}

// metricAt finds a metric's result ([variant/]name) in interval i.
func metricAt(intervals []analysis.Verdict, i int, name string) (analysis.MetricResult, bool) {
	variant, n, ok := strings.Cut(name, "/")
	if !ok {
		variant, n = "", name
	}
	if i < 1 || i > len(intervals) {
		return analysis.MetricResult{}, false
	}
	for _, m := range intervals[i-1].Metrics {
		if m.Name == n && (variant == "" || m.Variant == variant) {
			return m, true
		}
	}
	return analysis.MetricResult{}, false
}

var generator = regexp.MustCompile(`^(normal|lognormal|counter|ar1)\(([^)]*)\)x(\d+)$`)

// expand turns a value notation into values (NaN: no sample).
func expand(tok string) ([]float64, error) {
	if tok == "_" {
		return []float64{math.NaN()}, nil
	}
	if m := generator.FindStringSubmatch(tok); m != nil {
		var args []float64
		for _, a := range strings.Split(m[2], ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(a), 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", tok, err)
			}
			args = append(args, v)
		}
		n, _ := strconv.Atoi(m[3])
		if len(args) != map[string]int{"normal": 3, "lognormal": 3, "counter": 2, "ar1": 4}[m[1]] {
			return nil, fmt.Errorf("%s: wrong number of arguments", tok)
		}
		r := rand.New(rand.NewPCG(uint64(args[len(args)-1]), 99))
		out := make([]float64, 0, n+1)
		switch m[1] {
		case "normal":
			for range n {
				out = append(out, args[0]+args[1]*r.NormFloat64())
			}
		case "lognormal":
			for range n {
				out = append(out, math.Exp(args[0]+args[1]*r.NormFloat64()))
			}
		case "ar1":
			e := args[1] * r.NormFloat64()
			for range n {
				out = append(out, args[0]+e)
				e = args[2]*e + args[1]*math.Sqrt(1-args[2]*args[2])*r.NormFloat64()
			}
		case "counter":
			c := 0.0
			out = append(out, c)
			for range n {
				c += float64(poisson(r, args[0]))
				out = append(out, c)
			}
		}
		return out, nil
	}
	for _, sep := range []string{"+", "-"} {
		if a, rest, ok := strings.Cut(tok, sep); ok && a != "" {
			b, nStr, ok := strings.Cut(rest, "x")
			if !ok {
				continue
			}
			av, err1 := strconv.ParseFloat(a, 64)
			bv, err2 := strconv.ParseFloat(b, 64)
			n, err3 := strconv.Atoi(nStr)
			if err := errors.Join(err1, err2, err3); err != nil {
				return nil, fmt.Errorf("%s: %w", tok, err)
			}
			if sep == "-" {
				bv = -bv
			}
			out := make([]float64, 0, n+1)
			for k := 0; k <= n; k++ {
				out = append(out, av+float64(k)*bv)
			}
			return out, nil
		}
	}
	v, err := strconv.ParseFloat(tok, 64)
	if err != nil {
		return nil, fmt.Errorf("bad value %q", tok)
	}
	return []float64{v}, nil
}

func poisson(r *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func loadSeries(t *testing.T, st *store.Store, t0 time.Time, l load) {
	type sample struct {
		ls labels.Labels
		t  int64
		v  float64
	}
	var all []sample
	for _, line := range l.lines {
		i := strings.Index(line, "}")
		if i < 0 {
			i = strings.Index(line, " ")
		}
		sel, vals := line[:i+1], strings.Fields(line[i+1:])
		ls, err := parser.NewParser(parser.Options{}).ParseMetric(sel)
		if err != nil {
			t.Fatalf("load %q: %v", sel, err)
		}
		k := 0
		for _, tok := range vals {
			xs, err := expand(tok)
			if err != nil {
				t.Fatalf("load %q: %v", line, err)
			}
			for _, x := range xs {
				if !math.IsNaN(x) {
					all = append(all, sample{ls, t0.Add(time.Duration(k) * l.step).UnixMilli(), x})
				}
				k++
			}
		}
	}
	slices.SortStableFunc(all, func(a, b sample) int { return int(a.t - b.t) })
	app := st.Appender(context.Background())
	for _, s := range all {
		if _, err := app.Append(0, s.ls, s.t, s.v); err != nil {
			t.Fatalf("append %s: %v", s.ls, err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
}
