package analysis

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/augurhq/augur/judges"
)

// DefaultQuantiles are the request-latency quantiles a histogram metric
// judges per pod unless judge.quantiles says otherwise.
var DefaultQuantiles = []float64{0.5, 0.9, 0.99}

// MaxQuantiles bounds judge.quantiles: each quantile takes a share of the
// metric's level.
const MaxQuantiles = 5

// bucket is one histogram bucket (lo, hi] with its count.
type bucket struct{ lo, hi, n float64 }

// histogram judges request-level histograms (classic le buckets or native
// histograms) per cluster: each pod's quantiles by HistogramQuantile,
// compared across pods on the log scale (ClusterCompare) with the metric's
// level split over the quantiles and the worst pod on the highest quantile.
// The binned Mann–Whitney over the pooled requests is reported for
// information, and decides only when pods cannot be told apart.
func (iv *interval) histogram(r *MetricResult, m MetricSpec, ref, treat []Series) judges.MetricResult {
	alpha := iv.alpha(m)
	if !(alpha > 0) {
		return noBudget()
	}
	ch := clusterChoice{note: "kayenta: pooled requests"}
	if !m.Judge.Kayenta {
		ch = resolveCluster(m, ref, treat)
	}
	if ch.missing {
		r.Cluster = &ClusterInfo{Label: ch.label, Method: "none"}
		return judges.MetricResult{Classification: judges.Inconclusive,
			Reason: fmt.Sprintf("cluster_by %s: some series lack the label %q, so the pods cannot be told apart; not judged (never a pass)", ch.label, ch.label)}
	}
	kc, gc, errC := clusterBuckets(treat, ch.label)
	kb, gb, errB := clusterBuckets(ref, ch.label)
	switch {
	case errC != nil:
		return judges.MetricResult{Classification: judges.Inconclusive, Reason: r.Variant + " buckets: " + errC.Error() + "; not judged (never a pass)"}
	case errB != nil:
		return judges.MetricResult{Classification: judges.Inconclusive, Reason: "baseline buckets: " + errB.Error() + "; not judged (never a pass)"}
	}
	all := append(append([][]bucket{}, listsOf(kc, gc)...), listsOf(kb, gb)...)
	hs, err := commonHistograms(all)
	if err != nil {
		return judges.MetricResult{Classification: judges.Error, Reason: err.Error()}
	}
	hc, hb := sumHistograms(hs[:len(kc)]), sumHistograms(hs[len(kc):])
	nc, nb := histTotal(hc), histTotal(hb)
	r.Canary.N, r.Baseline.N = int(math.Round(nc)), int(math.Round(nb))
	if nc == 0 || nb == 0 {
		res := judges.MetricResult{Classification: judges.NoData, Reason: fmt.Sprintf("no observations in the buckets (%s %g, baseline %g)", r.Variant, nc, nb)}
		if m.MustHaveData {
			res.MustHaveDataBreach = true
			res.Reason += "; the metric must have data: fails the run"
		}
		return res
	}
	pooled := iv.pooledBinned(m, hc, hb, alpha)
	cc, cb := quantileClusters(kc, hs[:len(kc)]), quantileClusters(kb, hs[len(kc):])
	if ch.label == "" || len(cc) <= 1 && len(cb) <= 1 {
		note := ch.note
		if ch.label != "" {
			note = fmt.Sprintf("one %s per cohort: pod-to-pod variation cannot be estimated, so the requests were pooled", ch.label)
		}
		r.Cluster = &ClusterInfo{Label: ch.label, Canary: len(cc), Baseline: len(cb), Method: MethodPooledRequests}
		if mw := pooled.MannWhitney; mw != nil && !m.Judge.Kayenta {
			r.PValue = num(mwOneSided(mw.Z, m.Judge.Direction))
		}
		if m.Judge.Margin != nil && pooled.Classification == judges.Pass {
			pooled.Classification = judges.Inconclusive
			pooled.Reason += "; the pooled binned test has no interval to check the margin " + m.Judge.Margin.String() + " against"
		}
		if m.Judge.Kayenta {
			return pooled
		}
		pooled.Reason = note + "; pooled binned Mann–Whitney: " + pooled.Reason
		return pooled
	}
	r.Cluster = &ClusterInfo{Label: ch.label, Canary: len(cc), Baseline: len(cb)}
	return iv.quantileJudge(r, m, cc, cb, alpha, nc, pooled)
}

// quantileJudge compares every judged quantile across pods.
func (iv *interval) quantileJudge(r *MetricResult, m MetricSpec, cc, cb []quantileCluster, alpha, n float64, pooled judges.MetricResult) judges.MetricResult {
	qs := m.Judge.Quantiles
	if len(qs) == 0 {
		qs = DefaultQuantiles
	}
	info := r.Cluster
	worst := len(cc) >= 2 && len(cb) >= 2
	tests := float64(len(qs))
	if worst {
		tests++
	}
	a := iv.testLevel(m, alpha, tests)
	out := judges.MetricResult{Classification: judges.Pass}
	var parts []string
	minP := 1.0
	for i, q := range qs {
		name := quantileName(q)
		xc, xb := atQuantile(cc, q), atQuantile(cb, q)
		scale := clusterScale(xc, xb)
		res, d, err := iv.clusterTest(m, name, xc, xb, scale, a, n, "requests")
		if err != nil {
			return judges.MetricResult{Classification: judges.Error, Reason: err.Error()}
		}
		info.Method, info.Scale = string(res.Method), string(scale)
		info.Tests = append(info.Tests, testOf(name, res, m.Judge.Direction, a))
		if p := pValue(res, m.Judge.Direction); p < minP {
			minP = p
		}
		parts = append(parts, name+" "+d.reason)
		out.Classification = worse(out.Classification, d.class)
		if i == len(qs)-1 && worst {
			w := iv.worstPod(m, xc, xb, scale, a)
			info.Worst = w.pod
			out = combineWorst(out, w)
			parts = append(parts, name+" "+w.reason)
		}
	}
	r.PValue = num(minP)
	head := fmt.Sprintf("%d vs %d %s, %s on per-%s quantiles: ", len(cc), len(cb), plural(info.Label), info.Method, info.Label)
	out.Reason = head + strings.Join(parts, "; ")
	if mw := pooled.MannWhitney; mw != nil {
		out.Reason += fmt.Sprintf("; pooled requests (information only): binned Mann–Whitney p = %s", sig3(mw.PValue))
	}
	return out
}

// worse orders classifications for combining tests: High/Low over
// Inconclusive over Pass.
func worse(a, b judges.Classification) judges.Classification {
	rank := func(c judges.Classification) int {
		switch c {
		case judges.High, judges.Low:
			return 2
		case judges.Inconclusive:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// pooledBinned is the binned Mann–Whitney over every request of a cohort,
// at the metric's level (one-sided in the harmful direction).
func (iv *interval) pooledBinned(m MetricSpec, hc, hb judges.Histogram, alpha float64) judges.MetricResult {
	cfg := m.mannWhitneyConfig()
	cfg.Confidence = intervalConfidence(alpha, m.Judge.Direction)
	if m.Judge.Kayenta {
		cfg.Confidence = m.Judge.Confidence
	}
	mw, err := judges.MannWhitneyBinned(hc, hb, judges.MannWhitneyOptions{Confidence: cfg.Confidence})
	if err != nil {
		return judges.MetricResult{Classification: judges.Error, Reason: err.Error()}
	}
	return judges.ClassifyMannWhitneyBinned(mw, cfg)
}

func quantileName(q float64) string {
	return "p" + strings.TrimPrefix(strconv.FormatFloat(100*q, 'f', -1, 64), "0.")
}

// quantileCluster is one cluster's quantiles and request count.
type quantileCluster struct {
	id string
	n  float64
	h  judges.Histogram
}

func quantileClusters(keys []string, hs []judges.Histogram) []quantileCluster {
	var out []quantileCluster
	for i, k := range keys {
		if n := histTotal(hs[i]); n > 0 {
			out = append(out, quantileCluster{id: k, n: n, h: hs[i]})
		}
	}
	return out
}

// atQuantile is each cluster's q-quantile as a judges.Cluster.
func atQuantile(cs []quantileCluster, q float64) []judges.Cluster {
	out := make([]judges.Cluster, 0, len(cs))
	for _, c := range cs {
		out = append(out, judges.Cluster{ID: c.id, Value: judges.HistogramQuantile(c.h, q), Weight: c.n, SE: judges.QuantileSE(c.h, q)})
	}
	return out
}

func histTotal(h judges.Histogram) float64 {
	s := 0.0
	for _, c := range h.Counts {
		s += c
	}
	return s
}

// sumHistograms adds histograms of one layout (nil for none).
func sumHistograms(hs []judges.Histogram) judges.Histogram {
	if len(hs) == 0 {
		return judges.Histogram{}
	}
	out := judges.Histogram{Bounds: hs[0].Bounds, Counts: make([]float64, len(hs[0].Counts))}
	for _, h := range hs {
		for i, c := range h.Counts {
			out.Counts[i] += c
		}
	}
	return out
}

func listsOf(keys []string, groups map[string][]bucket) [][]bucket {
	out := make([][]bucket, len(keys))
	for i, k := range keys {
		out[i] = groups[k]
	}
	return out
}

// clusterBuckets reads each cluster's buckets: classic series (an le
// label, summed by le across the cluster's series) or native histograms
// (their buckets with bounds, summed over the cluster's series and points).
func clusterBuckets(series []Series, label string) ([]string, map[string][]bucket, error) {
	keys, groups := groupSeries(series, label)
	out := map[string][]bucket{}
	for _, k := range keys {
		byLE := map[float64]float64{}
		var native []bucket
		for _, s := range groups[k] {
			if len(s.Histograms) > 0 {
				for _, hp := range s.Histograms {
					for _, b := range hp.Buckets {
						if math.IsNaN(b.Count) || math.IsInf(b.Count, 0) || b.Count < 0 {
							return nil, nil, fmt.Errorf("series %v has a bucket count %v", s.Labels, b.Count)
						}
						native = append(native, bucket{lo: b.Lower, hi: b.Upper, n: b.Count})
					}
				}
				continue
			}
			le, ok := s.Labels["le"]
			if !ok {
				if len(s.Points) == 0 {
					continue
				}
				return nil, nil, fmt.Errorf("series %v has no le label and is not a native histogram: a histogram query must keep le, e.g. sum by (le, pod) (increase(x_bucket{...}[${window}]))", s.Labels)
			}
			b, err := strconv.ParseFloat(le, 64)
			if err != nil || math.IsNaN(b) {
				return nil, nil, fmt.Errorf("le %q is not a number", le)
			}
			for _, p := range s.Points {
				if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
					return nil, nil, fmt.Errorf("series %v has a count %v", s.Labels, p.V)
				}
				byLE[b] += p.V
			}
		}
		bs, err := classicBuckets(byLE)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", clusterName(label, k), err)
		}
		out[k] = append(bs, native...)
	}
	return keys, out, nil
}

func clusterName(label, v string) string {
	if label == "" {
		return "buckets"
	}
	return label + " " + v
}

// classicBuckets turns cumulative counts by le into buckets.
func classicBuckets(byLE map[float64]float64) ([]bucket, error) {
	if len(byLE) == 0 {
		return nil, nil
	}
	bounds := make([]float64, 0, len(byLE))
	for b := range byLE {
		bounds = append(bounds, b)
	}
	slices.Sort(bounds)
	if !math.IsInf(bounds[len(bounds)-1], 1) {
		return nil, fmt.Errorf("no +Inf bucket among %d buckets", len(bounds))
	}
	cum := make([]float64, len(bounds))
	for i, b := range bounds {
		cum[i] = byLE[b]
	}
	h, err := judges.HistogramFromCumulative(bounds, cum)
	if err != nil {
		return nil, err
	}
	out := make([]bucket, len(h.Counts))
	lo := math.Inf(-1)
	for i, c := range h.Counts {
		hi := math.Inf(1)
		if i < len(h.Bounds) {
			hi = h.Bounds[i]
		}
		out[i] = bucket{lo: lo, hi: hi, n: c}
		lo = hi
	}
	return out, nil
}

// commonHistograms maps bucket lists onto their common partition: the
// bucket edges no bucket of any list straddles. Classic buckets of one le
// layout and native buckets of one schema keep every edge; mixed schemas
// fall back to the coarser one's edges.
func commonHistograms(lists [][]bucket) ([]judges.Histogram, error) {
	edgeSet := map[float64]bool{}
	for _, l := range lists {
		for _, b := range l {
			if !(b.lo <= b.hi) {
				return nil, fmt.Errorf("bucket (%v, %v] is not ascending", b.lo, b.hi)
			}
			edgeSet[b.hi] = true
			if !math.IsInf(b.lo, -1) {
				edgeSet[b.lo] = true
			}
		}
	}
	var edges []float64
	for e := range edgeSet {
		if math.IsInf(e, 1) {
			continue
		}
		straddled := false
		for _, l := range lists {
			for _, b := range l {
				if b.lo < e && e < b.hi {
					straddled = true
					break
				}
			}
			if straddled {
				break
			}
		}
		if !straddled {
			edges = append(edges, e)
		}
	}
	slices.Sort(edges)
	if len(edges) == 0 {
		return nil, errors.New("histogram buckets have no finite bound")
	}
	out := make([]judges.Histogram, len(lists))
	for i, l := range lists {
		h := judges.Histogram{Bounds: edges, Counts: make([]float64, len(edges)+1)}
		for _, b := range l {
			j, _ := slices.BinarySearch(edges, b.hi) // first edge ≥ hi
			h.Counts[j] += b.n
		}
		out[i] = h
	}
	return out, nil
}
