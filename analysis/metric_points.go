package analysis

import (
	"fmt"
	"math"
	"strings"

	"github.com/augurhq/augur/judges"
)

// alpha is the level of m's fixed-sample tests at this interval: its share
// of the run's budget spent over the run's intervals (see alpha.go). A
// dry-run metric is judged at the level it would have if it decided. An
// imported Kayenta metric keeps its own two-sided confidence instead.
func (iv *interval) alpha(m MetricSpec) float64 {
	if m.Judge.Kayenta {
		return 1 - m.Judge.Confidence
	}
	if m.DryRun {
		m.DryRun = false
	}
	return iv.spec.LookAlpha(m, iv.look, iv.looks)
}

// testLevel is the level of one of tests tests sharing the metric's
// budget (alpha, the whole metric's level at this look): each test gets its
// own share of the budget and its own levels over the looks.
func (iv *interval) testLevel(m MetricSpec, alpha, tests float64) float64 {
	if m.Judge.Kayenta || tests <= 1 {
		return alpha / max(tests, 1)
	}
	if m.DryRun {
		m.DryRun = false
	}
	return iv.spec.LookLevel(m, iv.look, iv.looks, int(tests))
}

// noBudget is the result of a metric without a share of the run's
// false-fail budget (validation refuses such specs; this is the guard).
func noBudget() judges.MetricResult {
	return judges.MetricResult{Classification: judges.Inconclusive,
		Reason: "no share of the run's false-fail budget is left for this metric (the others' judge.confidence use it up): not judged (never a pass)"}
}

// windowSeconds is the length of the treatment's window.
func (iv *interval) windowSeconds() float64 {
	return iv.treatment.End.Sub(iv.treatment.Start).Seconds()
}

// points judges points or samples with the mannwhitney judge: one mean
// per cluster (pod) compared by judges.ClusterCompare and the worst canary
// pod by judges.WorstCluster; without clusters, the pooled Mann–Whitney
// with autocorrelation taken into account.
func (iv *interval) points(r *MetricResult, m MetricSpec, ref, treat []Series) judges.MetricResult {
	canary, baseline := Values(treat), Values(ref)
	r.Baseline, r.Canary = summarize(r.Baseline.Query, baseline), summarize(r.Canary.Query, canary)
	if m.Judge.Kayenta {
		return judges.ClassifyMannWhitney(canary, baseline, m.mannWhitneyConfig())
	}
	alpha := iv.alpha(m)
	if !(alpha > 0) {
		return noBudget()
	}
	if side := nonFinite(canary, baseline, r.Variant); side != "" {
		return judges.MetricResult{Classification: judges.Inconclusive, Reason: side + ": not judged (never a pass)"}
	}
	ch := resolveCluster(m, ref, treat)
	if ch.missing {
		r.Cluster = &ClusterInfo{Label: ch.label, Method: "none"}
		return judges.MetricResult{Classification: judges.Inconclusive,
			Reason: fmt.Sprintf("cluster_by %s: some series lack the label %q, so the pods cannot be told apart; not judged (never a pass)", ch.label, ch.label)}
	}
	if ch.label == "" {
		r.Cluster = &ClusterInfo{Method: MethodPooledPoints}
		return iv.pooledPoints(r, m, treat, ref, alpha, ch.note)
	}
	cc, cb := pointClusters(treat, ch.label, m.Judge.NaNStrategy), pointClusters(ref, ch.label, m.Judge.NaNStrategy)
	info := &ClusterInfo{Label: ch.label, Canary: len(cc), Baseline: len(cb)}
	r.Cluster = info
	if len(cc) == 0 || len(cb) == 0 {
		// No data on one side: the pooled judge says NoData (and applies
		// must_have_data).
		info.Method = MethodPooledPoints
		return judges.ClassifyMannWhitney(canary, baseline, m.mannWhitneyConfig())
	}
	if len(cc) <= 1 && len(cb) <= 1 {
		info.Method = MethodPooledPoints
		note := fmt.Sprintf("one %s per cohort: pod-to-pod variation cannot be estimated, so the points were pooled", ch.label)
		return iv.pooledPoints(r, m, treat, ref, alpha, note)
	}
	return iv.clusterJudge(r, m, "mean", cc, cb, alpha, float64(r.Canary.N), "points")
}

// clusterJudge compares cluster values (one test, plus the worst pod when
// both cohorts have two clusters or more) at alpha split between them.
func (iv *interval) clusterJudge(r *MetricResult, m MetricSpec, name string, cc, cb []judges.Cluster, alpha, n float64, unit string) judges.MetricResult {
	info := r.Cluster
	scale := clusterScale(cc, cb)
	info.Scale = string(scale)
	tests := 1.0
	worst := len(cc) >= 2 && len(cb) >= 2
	if worst {
		tests++
	}
	a := iv.testLevel(m, alpha, tests)
	res, verdict, err := iv.clusterTest(m, name, cc, cb, scale, a, n, unit)
	if err != nil {
		return judges.MetricResult{Classification: judges.Error, Reason: err.Error()}
	}
	info.Method = string(res.Method)
	info.Tests = append(info.Tests, testOf(name, res, m.Judge.Direction, a))
	r.PValue, r.Confidence = num(pValue(res, m.Judge.Direction)), num(res.Confidence)
	head := fmt.Sprintf("%d vs %d %s (%s), %s on per-%s %ss: ", len(cc), len(cb), plural(info.Label), m.Judge.Direction, res.Method, info.Label, name)
	out := judges.MetricResult{Classification: verdict.class, Reason: head + verdict.reason}
	if worst {
		w := iv.worstPod(m, cc, cb, scale, a)
		info.Worst = w.pod
		out = combineWorst(out, w)
	}
	return out
}

// clusterTest runs ClusterCompare and the margin rule on its interval.
func (iv *interval) clusterTest(m MetricSpec, name string, cc, cb []judges.Cluster, scale judges.ClusterScale, a, n float64, unit string) (judges.ClusterResult, decision, error) {
	dir := m.Judge.Direction
	res, err := judges.ClusterCompare(cc, cb, judges.ClusterConfig{Scale: scale, Confidence: intervalConfidence(a, dir)})
	if err != nil {
		return res, decision{}, fmt.Errorf("cluster comparison: %w", err)
	}
	b := bounded{est: res.Estimate, lo: res.CILow, hi: res.CIHigh, ratio: scale == judges.ScaleLog}
	b.limit, b.margin = marginLimit(m, b.ratio, clusterCentre(cb))
	if math.IsNaN(b.lo) && math.IsNaN(b.hi) && !math.IsNaN(b.est) && !math.IsInf(b.est, 0) && res.Method != judges.ClusterNone {
		// Every pod has the same value in each cohort: nothing varies, so
		// the estimate is exact.
		b.lo, b.hi = b.est, b.est
	}
	d := judgeBounded(b, dir)
	stat := fmt.Sprintf("canary/baseline %s %s at %s (p = %s, α %s)", effectWord(b.ratio), effect(b.est, b.ratio),
		confText(res.Confidence, b.lo, b.hi, b.ratio), sig3(pValue(res, dir)), sig3(a))
	switch d.class {
	case judges.High, judges.Low:
		d.reason = stat + ": worse" + beyond(m)
	case judges.Pass:
		d.reason = stat + ": no significant worsening"
		if b.margin {
			d.reason = stat + ": within the margin " + m.Judge.Margin.String()
		}
	default:
		if d.reason == "" {
			d.reason = stat + ": the interval straddles the margin " + m.Judge.Margin.String() + "; " + needMore(d, n, unit, iv.windowSeconds())
		} else {
			d.reason = stat + ": " + d.reason
		}
	}
	if res.Note != "" {
		d.reason += " (" + res.Note + ")"
	}
	return res, d, nil
}

// worstResult is the worst-pod test's outcome.
type worstResult struct {
	pod    *WorstPod
	class  judges.Classification
	reason string
}

// worstPod checks the worst canary cluster against the baseline clusters.
func (iv *interval) worstPod(m MetricSpec, cc, cb []judges.Cluster, scale judges.ClusterScale, a float64) worstResult {
	dir := m.Judge.Direction
	w, err := judges.WorstCluster(cc, cb, dir, scale)
	if err != nil {
		return worstResult{class: judges.Pass, reason: "worst pod not tested: " + err.Error()}
	}
	ratio := scale == judges.ScaleLog
	pod := &WorstPod{ID: w.Worst.ID, Value: num(w.Worst.Value), Effect: num(w.Effect), PValue: num(w.P), Alpha: a}
	limit, _ := marginLimit(m, ratio, clusterCentre(cb))
	beyondLimit := w.Effect > limit
	if dir == judges.Decrease || (dir == judges.Either && (ratio && w.Effect < 1 || !ratio && w.Effect < 0)) {
		low := -limit
		if ratio {
			low = 1 / limit
		}
		beyondLimit = w.Effect < low
	}
	text := fmt.Sprintf("worst pod %s %s (p = %s, α %s)", w.Worst.ID, effect(w.Effect, ratio), sig3(w.P), sig3(a))
	if w.P <= a && beyondLimit {
		class := judges.High
		if (ratio && w.Effect < 1) || (!ratio && w.Effect < 0) {
			class = judges.Low
		}
		return worstResult{pod: pod, class: class, reason: text + ": outside what the baseline pods predict"}
	}
	return worstResult{pod: pod, class: judges.Pass, reason: text}
}

// combineWorst lets a failing worst pod fail the metric.
func combineWorst(out judges.MetricResult, w worstResult) judges.MetricResult {
	if w.class == judges.High || w.class == judges.Low {
		if out.Classification != judges.High && out.Classification != judges.Low {
			out.Classification = w.class
		}
	}
	out.Reason += "; " + w.reason
	return out
}

func testOf(name string, res judges.ClusterResult, d judges.Direction, a float64) ClusterTest {
	return ClusterTest{Name: name, Estimate: num(res.Estimate), CILow: num(res.CILow), CIHigh: num(res.CIHigh),
		Confidence: num(res.Confidence), PValue: num(pValue(res, d)), Alpha: a}
}

// marginLimit is the worst tolerated effect: 1 + margin on a ratio scale,
// margin·|centre| as a difference (centre: the baseline's level).
func marginLimit(m MetricSpec, ratio bool, centre float64) (limit float64, set bool) {
	mg := m.Judge.Margin
	switch {
	case mg == nil && ratio:
		return 1, false
	case mg == nil:
		return 0, false
	case ratio:
		return 1 + mg.Value, true
	case mg.Absolute:
		return mg.Value, true
	}
	return mg.Value * math.Abs(centre), true
}

func beyond(m MetricSpec) string {
	if m.Judge.Margin != nil {
		return " beyond the margin " + m.Judge.Margin.String()
	}
	return ""
}

func effectWord(ratio bool) string {
	if ratio {
		return "ratio"
	}
	return "difference"
}

// confText writes "98% [lo, hi]".
func confText(conf, lo, hi float64, ratio bool) string {
	return confPct(conf) + " " + fmtInterval(lo, hi, ratio)
}

// confPct writes a confidence level with the decimals it needs to differ
// from 100 %: 98%, 99.5%, 99.96%.
func confPct(c float64) string { return judges.FormatConfidence(c) }

func plural(label string) string {
	if strings.HasSuffix(label, "s") {
		return label
	}
	return label + "s"
}

// clusterScale is log when every cluster value is positive.
func clusterScale(cs ...[]judges.Cluster) judges.ClusterScale {
	for _, c := range cs {
		for _, v := range c {
			if !(v.Value > 0) {
				return judges.ScaleLinear
			}
		}
	}
	return judges.ScaleLog
}

// clusterCentre is the mean of the cluster values.
func clusterCentre(cs []judges.Cluster) float64 {
	s := 0.0
	for _, c := range cs {
		s += c.Value
	}
	return s / float64(len(cs))
}

// pointClusters is one cluster per label value: the mean of its points.
func pointClusters(series []Series, label string, nan judges.NaNStrategy) []judges.Cluster {
	keys, groups := groupSeries(series, label)
	var out []judges.Cluster
	for _, k := range keys {
		var xs []float64
		for _, v := range Values(groups[k]) {
			if math.IsNaN(v) {
				if nan != judges.NaNReplace {
					continue
				}
				v = 0
			}
			xs = append(xs, v)
		}
		if len(xs) > 0 {
			out = append(out, judges.Cluster{ID: k, Value: mean(xs), Weight: float64(len(xs)), SE: meanSE(xs)})
		}
	}
	return out
}

// mean is the mean of xs (not empty).
func mean(xs []float64) float64 {
	s := 0.0
	for _, v := range xs {
		s += v
	}
	return s / float64(len(xs))
}

// meanSE is the standard error of the mean of a pod's points, which drift
// together: their standard deviation over the square root of their
// effective sample size. 0 (unknown) for fewer than two points.
func meanSE(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	mu, ss := mean(xs), 0.0
	for _, v := range xs {
		ss += (v - mu) * (v - mu)
	}
	return math.Sqrt(ss/float64(len(xs)-1)) / math.Sqrt(judges.EffectiveSampleSize(xs))
}

// nonFinite names the cohort holding ±Inf values, or "".
func nonFinite(canary, baseline []float64, variant string) string {
	for _, c := range []struct {
		name string
		xs   []float64
	}{{variant, canary}, {"baseline", baseline}} {
		for _, v := range c.xs {
			if math.IsInf(v, 0) {
				return c.name + " has infinite values"
			}
		}
	}
	return ""
}
