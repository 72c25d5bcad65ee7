package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/augurhq/augur/judges"
)

// judgeOne runs one metric of a one-metric, one-interval canary spec on
// the given series.
func judgeOne(t *testing.T, m MetricSpec, ref, treat []Series) MetricResult {
	t.Helper()
	m.setDefaults()
	spec := Spec{APIVersion: APIVersion, Kind: KindCanary, Metrics: []MetricSpec{m},
		Cohorts: Cohorts{Baseline: &Cohort{Selector: `v="1"`}, Canary: &Cohort{Selector: `v="2"`}}}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	iv := &interval{spec: spec, look: 1, looks: 1, treatment: TimeRange{Start: t0, End: t0.Add(30 * time.Minute)}}
	r := MetricResult{Name: m.Name, Variant: "canary", Kind: m.Kind}
	var jr judges.MetricResult
	switch m.Kind {
	case KindHistogram:
		jr = iv.histogram(&r, m, ref, treat)
	default:
		jr = iv.points(&r, m, ref, treat)
	}
	r.Classification, r.Reason, r.MustHaveDataBreach = jr.Classification, jr.Reason, jr.MustHaveDataBreach
	return r
}

// podSeries is one series per pod of a cohort with the given points.
func podSeries(prefix string, pods [][]float64) []Series {
	out := make([]Series, len(pods))
	for i, xs := range pods {
		s := Series{Labels: map[string]string{"pod": fmt.Sprintf("%s%d", prefix, i)}}
		for k, x := range xs {
			s.Points = append(s.Points, Point{T: int64(k) * 60000, V: x})
		}
		out[i] = s
	}
	return out
}

// drawPods draws pods of n points each: the pod's offset (log-sd spread)
// times lognormal noise, times scale.
func drawPods(r *rand.Rand, pods, n int, spread, scale float64) [][]float64 {
	out := make([][]float64, pods)
	for p := range out {
		off := math.Exp(spread * r.NormFloat64())
		for range n {
			out[p] = append(out[p], scale*100*off*math.Exp(0.1*r.NormFloat64()))
		}
	}
	return out
}

var latencyMetric = MetricSpec{Name: "latency", Query: `latency{${cohort}}`, Judge: JudgeSpec{Type: JudgeMannWhitney}}

// TestSwapMirrors: swapping the cohorts (and the harmful direction) mirrors
// the cluster comparison: the ratio and its interval invert, its p-value
// stays, and High becomes Low, Pass stays Pass. The worst-pod check is not
// symmetric by design (the baseline's pods are the reference it predicts
// from), so the classifications are compared when it fires in neither.
func TestSwapMirrors(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	mirror := map[judges.Classification]judges.Classification{judges.High: judges.Low, judges.Low: judges.High,
		judges.Pass: judges.Pass, judges.Inconclusive: judges.Inconclusive}
	seen := map[judges.Classification]int{}
	for i := range 200 {
		nc, nb := 2+r.IntN(6), 2+r.IntN(6)
		canary := podSeries("c", drawPods(r, nc, 10, 0.05, 1+0.3*r.Float64()))
		baseline := podSeries("b", drawPods(r, nb, 10, 0.05, 1))
		up, down := latencyMetric, latencyMetric
		up.Judge.Direction, down.Judge.Direction = judges.Increase, judges.Decrease
		a := judgeOne(t, up, baseline, canary)
		b := judgeOne(t, down, canary, baseline)
		seen[a.Classification]++
		ta, tb := a.Cluster.Tests[0], b.Cluster.Tests[0]
		if math.Abs(*ta.PValue-*tb.PValue) > 1e-12 {
			t.Fatalf("case %d: p = %v, swapped %v", i, *ta.PValue, *tb.PValue)
		}
		if !fired(a) && !fired(b) && b.Classification != mirror[a.Classification] {
			t.Fatalf("case %d: %s, swapped %s\n%s\n%s", i, a.Classification, b.Classification, a.Reason, b.Reason)
		}
		if math.Abs(*ta.Estimate**tb.Estimate-1) > 1e-9 || math.Abs(*ta.CILow**tb.CIHigh-1) > 1e-9 || math.Abs(*ta.CIHigh**tb.CILow-1) > 1e-9 {
			t.Fatalf("case %d: estimate %v [%v, %v], swapped %v [%v, %v]", i, *ta.Estimate, *ta.CILow, *ta.CIHigh, *tb.Estimate, *tb.CILow, *tb.CIHigh)
		}
	}
	if seen[judges.High] == 0 || seen[judges.Pass] == 0 {
		t.Errorf("the cases should both pass and fail: %v", seen)
	}
}

// TestClusterIntervalNotNarrower: the cluster interval is never narrower
// than Welch's t interval on the per-pod log means written out here from
// the raw points (an independent transcription of Welch 1947 with the
// Satterthwaite degrees of freedom), at the level the metric spends, and
// always wider than a pooled interval that treats points as independent.
func TestClusterIntervalNotNarrower(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 200 {
		nc, nb := 2+r.IntN(8), 2+r.IntN(8)
		cp, bp := drawPods(r, nc, 5+r.IntN(30), 0.1*r.Float64(), 1), drawPods(r, nb, 5+r.IntN(30), 0.1*r.Float64(), 1)
		res := judgeOne(t, latencyMetric, podSeries("b", bp), podSeries("c", cp))
		ts := res.Cluster.Tests[0]
		conf := *ts.Confidence
		lo, hi := welchOnLogMeans(cp, bp, conf)
		if math.Log(*ts.CILow) > lo+1e-9 || math.Log(*ts.CIHigh) < hi-1e-9 {
			t.Fatalf("case %d: cluster interval [%v, %v] narrower than Welch on per-pod means [%v, %v]", i,
				math.Log(*ts.CILow), math.Log(*ts.CIHigh), lo, hi)
		}
		// Its level is the metric's: one-sided α/2 (two tests) per side.
		if want := 1 - 2*(0.01/2); math.Abs(conf-want) > 1e-12 {
			t.Fatalf("case %d: confidence %v, want %v", i, conf, want)
		}
	}
}

// fired reports whether the worst-pod check failed r.
func fired(r MetricResult) bool {
	w := r.Cluster.Worst
	return w != nil && w.PValue != nil && *w.PValue <= w.Alpha
}

func welchOnLogMeans(canary, baseline [][]float64, conf float64) (lo, hi float64) {
	means := func(pods [][]float64) (m, v, n float64) {
		var xs []float64
		for _, p := range pods {
			s := 0.0
			for _, x := range p {
				s += x
			}
			xs = append(xs, math.Log(s/float64(len(p))))
		}
		n = float64(len(xs))
		for _, x := range xs {
			m += x / n
		}
		for _, x := range xs {
			v += (x - m) * (x - m) / (n - 1)
		}
		return m, v, n
	}
	mc, vc, nc := means(canary)
	mb, vb, nb := means(baseline)
	a, b := vc/nc, vb/nb
	df := (a + b) * (a + b) / (a*a/(nc-1) + b*b/(nb-1))
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(1 - (1-conf)/2)
	return mc - mb - q*math.Sqrt(a+b), mc - mb + q*math.Sqrt(a+b)
}

// TestNeverPassOnNonFinite: infinite values or counts in a cohort, or a
// cohort that is all NaN, never classify Pass.
func TestNeverPassOnNonFinite(t *testing.T) {
	ok := [][]float64{{100, 101, 99}, {100, 102, 98}}
	hist := func(pod string, counts ...float64) []Series {
		les := []string{"0.1", "0.5", "+Inf"}
		var out []Series
		for i, c := range counts {
			out = append(out, Series{Labels: map[string]string{"pod": pod, "le": les[i]}, Points: []Point{{V: c}}})
		}
		return out
	}
	histM := MetricSpec{Name: "h", Kind: KindHistogram, Query: `sum by (le, pod) (x_bucket{${cohort}})`, Judge: JudgeSpec{Type: JudgeMannWhitney}}
	for _, tc := range []struct {
		name       string
		m          MetricSpec
		ref, treat []Series
	}{
		{"+Inf point in the canary", latencyMetric, podSeries("b", ok), podSeries("c", [][]float64{{100, math.Inf(1), 99}, {100, 101, 99}})},
		{"-Inf point in the baseline", latencyMetric, podSeries("b", [][]float64{{100, math.Inf(-1), 99}, {100, 101, 99}}), podSeries("c", ok)},
		{"all-NaN canary", latencyMetric, podSeries("b", ok), podSeries("c", [][]float64{{math.NaN(), math.NaN()}})},
		{"NaN bucket count", histM, append(hist("a", 50, 90, 100), hist("b", 50, 90, 100)...), append(hist("c", 50, math.NaN(), 100), hist("d", 50, 90, 100)...)},
		{"+Inf bucket count", histM, append(hist("a", 50, 90, math.Inf(1)), hist("b", 50, 90, 100)...), append(hist("c", 50, 90, 100), hist("d", 50, 90, 100)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := judgeOne(t, tc.m, tc.ref, tc.treat)
			if r.Classification == judges.Pass {
				t.Errorf("classified pass: %s", r.Reason)
			}
		})
	}
}

// TestInconclusiveScoreIsNull: an inconclusive verdict's score is null in
// JSON, for the run and for its variants.
func TestInconclusiveScoreIsNull(t *testing.T) {
	spec, err := ParseSpec(strings.NewReader(`
apiVersion: augur/v1
name: x
cohorts: {baseline: 'v="1"', canary: 'v="2"'}
timing: {lifetime: 10m, interval: 10m}
metrics:
  - name: latency
    cluster_by: pod
    query: 'latency{${cohort}}'
    judge: {type: mannwhitney}
`))
	if err != nil {
		t.Fatal(err)
	}
	src := SourceFunc(func(_ context.Context, q Query) ([]Series, error) {
		return []Series{{Labels: map[string]string{}, Points: []Point{{V: 1}, {V: 2}, {V: 3}}}}, nil
	})
	sch := spec.Schedule(time.Now())
	v := EvaluateInterval(context.Background(), spec, sch, 0, &RunState{}, sourcesOf(src))
	if v.Verdict != judges.OutcomeInconclusive {
		t.Fatalf("verdict %s (%s), want inconclusive", v.Verdict, v.Reason)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Score    *float64 `json:"score"`
		Variants []map[string]any
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"score":null`) || got.Score != nil || got.Variants[0]["score"] != nil {
		t.Errorf("score is not null: %s", b)
	}
}

// oneSource serves every source name with one Source.
type oneSource struct{ s Source }

func (o oneSource) Source(string, *SourceSpec) (Source, error) { return o.s, nil }

func sourcesOf(s Source) Sources { return oneSource{s} }

// TestKayentaJudgeKeepsKayentaRule: a judge.kayenta metric is judged
// exactly as judges.ClassifyMannWhitney at its own 98 %, pods or not.
func TestKayentaJudgeKeepsKayentaRule(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m := latencyMetric
	m.Judge.Kayenta = true
	for i := range 20 {
		cp, bp := drawPods(r, 3, 20, 0.05, 1+0.1*r.Float64()), drawPods(r, 3, 20, 0.05, 1)
		got := judgeOne(t, m, podSeries("b", bp), podSeries("c", cp))
		ms := m
		ms.setDefaults()
		want := judges.ClassifyMannWhitney(Values(podSeries("c", cp)), Values(podSeries("b", bp)), ms.mannWhitneyConfig())
		if got.Classification != want.Classification || got.Reason != want.Reason || got.Cluster != nil {
			t.Fatalf("case %d: %s %q (cluster %+v), want %s %q", i, got.Classification, got.Reason, got.Cluster, want.Classification, want.Reason)
		}
	}
}

// TestLevelsSpendTheBudget: at interval k of K a metric's cluster tests
// run at the group-sequential level of half its MetricAlpha each (the
// cohort test and the worst pod); the first look spends exactly its share
// of the power function, and the levels over the run add up to more than
// the share, since the growing windows' looks overlap (judges'
// TestGroupSequentialSpendsAlpha checks what they spend together).
func TestLevelsSpendTheBudget(t *testing.T) {
	spec, err := ParseSpec(strings.NewReader(`
apiVersion: augur/v1
name: x
cohorts: {baseline: 'v="1"', canary: 'v="2"'}
timing: {lifetime: 30m, interval: 10m}
metrics:
  - {name: a, query: 'a{${cohort}}', judge: {type: mannwhitney}}
  - {name: b, query: 'b{${cohort}}', judge: {type: mannwhitney}}
`))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(9, 9))
	src := SourceFunc(func(_ context.Context, q Query) ([]Series, error) {
		return podSeries("p", drawPods(r, 3, 10, 0.05, 1)), nil
	})
	sch := spec.Schedule(time.Now())
	sum := 0.0
	for i := range 3 {
		v := EvaluateInterval(context.Background(), spec, sch, i, &RunState{}, sourcesOf(src))
		got := v.Metrics[0].Cluster.Tests[0].Alpha
		want := spec.LookLevel(spec.Metrics[0], i+1, 3, 2)
		if math.Abs(got-want) > 1e-15 {
			t.Errorf("interval %d: α %v, want %v", i+1, got, want)
		}
		sum += got
	}
	share := spec.MetricAlpha(spec.Metrics[0]) / 2
	if math.Abs(share-0.01/2/2) > 1e-15 {
		t.Errorf("share %v, want 0.0025 (0.01 over 2 metrics, half for the cohort test)", share)
	}
	if first := spec.LookLevel(spec.Metrics[0], 1, 3, 2); math.Abs(first-share/27) > 1e-9*share {
		t.Errorf("first look at %v, want %v", first, share/27)
	}
	if !(sum > share && sum < 3*share) {
		t.Errorf("levels over the run add up to %v for a share of %v", sum, share)
	}
}

// TestNoDataWithPods: a cohort without series is NoData (never an error,
// never a pass) although the other cohort's series carry pods, and
// must_have_data still breaches.
func TestNoDataWithPods(t *testing.T) {
	base := podSeries("b", [][]float64{{100, 101}, {99, 100}, {101, 102}})
	m := latencyMetric
	m.MustHaveData = true
	r := judgeOne(t, m, base, nil)
	if r.Classification != judges.NoData || !r.MustHaveDataBreach {
		t.Fatalf("classification %s, breach %v (%s), want nodata with a breach", r.Classification, r.MustHaveDataBreach, r.Reason)
	}
}
