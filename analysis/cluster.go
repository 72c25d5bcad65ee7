package analysis

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/augurhq/augur/judges"
)

// The unit of analysis. Cohorts are assigned by pod, so a metric's series
// keep their identity: the cluster label (cluster_by, or the first of
// ClusterCandidates every series carries) groups them, and the judges
// compare one summary per cluster. See judges/cluster.go.

// ClusterCandidates are the labels cluster_by: auto looks for, in order.
var ClusterCandidates = []string{"pod", "k8s_pod_name", "service_instance_id", "instance", "pod_name", "host", "hostname"}

// Cluster methods recorded in ClusterInfo.Method besides judges'
// welch, pooled and none.
const (
	// MethodPooledRequests: no cluster test; the request-level (or
	// point-level) test decided.
	MethodPooledRequests = "none → pooled requests"
	// MethodPooledPoints is MethodPooledRequests for points.
	MethodPooledPoints = "none → pooled points"
)

// ClusterInfo says how a metric's clusters were found and judged.
type ClusterInfo struct {
	// Label is the cluster label; "" when the data were pooled.
	Label string `json:"label"`
	// Canary and Baseline count the clusters with data.
	Canary   int `json:"canary"`
	Baseline int `json:"baseline"`
	// Method is welch, pooled (one cohort has a single cluster) or
	// "none → pooled requests" / "none → pooled points".
	Method string `json:"method"`
	// Scale is log (effects are ratios) or linear (differences).
	Scale string `json:"scale,omitempty"`
	// Tests are the cluster-level comparisons (one per quantile for
	// histograms), each at its share of the metric's level.
	Tests []ClusterTest `json:"tests,omitempty"`
	// Worst is the worst canary cluster against the baseline clusters.
	Worst *WorstPod `json:"worst,omitempty"`
}

// ClusterTest is one cluster-level comparison.
type ClusterTest struct {
	// Name is what was compared: "mean", "p99", "rate".
	Name     string   `json:"name"`
	Estimate *float64 `json:"estimate"`
	CILow    *float64 `json:"ci_low"`
	CIHigh   *float64 `json:"ci_high"`
	// Confidence is the two-sided level of the interval.
	Confidence *float64 `json:"confidence"`
	// PValue is one-sided in the harmful direction (two-sided for either).
	PValue *float64 `json:"p_value"`
	// Alpha is the level the test was judged at.
	Alpha float64 `json:"alpha"`
}

// WorstPod is the worst canary cluster.
type WorstPod struct {
	ID     string   `json:"id"`
	Value  *float64 `json:"value"`
	Effect *float64 `json:"effect"`
	PValue *float64 `json:"p_value"`
	Alpha  float64  `json:"alpha"`
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// validClusterBy reports whether v is auto, none or a label name.
func validClusterBy(v string) bool {
	return v == "" || v == ClusterAuto || v == ClusterNone || labelName.MatchString(v)
}

// clusterChoice is the outcome of resolving a metric's cluster label.
type clusterChoice struct {
	label string
	// missing: a named cluster_by label is absent from some series.
	missing bool
	// note says why the data are pooled ("" when they are not).
	note string
}

// resolveCluster picks the cluster label of m for the two cohorts' series.
func resolveCluster(m MetricSpec, cohorts ...[]Series) clusterChoice {
	every := func(label string) bool {
		n := 0
		for _, ss := range cohorts {
			for _, s := range ss {
				if _, ok := s.Labels[label]; !ok {
					return false
				}
				n++
			}
		}
		return n > 0
	}
	switch by := m.ClusterBy; by {
	case ClusterNone:
		return clusterChoice{note: "cluster_by none: the requests (points) are the unit"}
	case "", ClusterAuto:
		for _, c := range ClusterCandidates {
			if every(c) {
				return clusterChoice{label: c}
			}
		}
		return clusterChoice{note: fmt.Sprintf("the series carry no pod label (%s): the query aggregated the pods away, so pods cannot be told apart; keep the label, e.g. %s",
			strings.Join(ClusterCandidates[:4], ", "), keepExample(m))}
	default:
		if !every(by) {
			return clusterChoice{label: by, missing: true}
		}
		return clusterChoice{label: by}
	}
}

func keepExample(m MetricSpec) string {
	if m.Kind == KindHistogram {
		return "sum by (le, pod) (...)"
	}
	return "sum by (pod) (...)"
}

// groupSeries groups series by the value of label ("" puts every series
// in one group); keys are sorted.
func groupSeries(series []Series, label string) (keys []string, groups map[string][]Series) {
	groups = map[string][]Series{}
	for _, s := range series {
		k := ""
		if label != "" {
			k = s.Labels[label]
		}
		groups[k] = append(groups[k], s)
	}
	return slices.Sorted(maps.Keys(groups)), groups
}

// intervalConfidence is the two-sided level of an interval whose harmful
// bound is a one-sided test at alpha (1 − 2α), or 1 − α for either.
func intervalConfidence(alpha float64, d judges.Direction) float64 {
	if d == judges.Either {
		return 1 - alpha
	}
	return 1 - 2*alpha
}

// pValue picks the p-value of r in the harmful direction.
func pValue(r judges.ClusterResult, d judges.Direction) float64 {
	switch d {
	case judges.Decrease:
		return r.PLess
	case judges.Either:
		return r.P
	}
	return r.PGreater
}

// bounded is an effect with its interval, on a ratio scale (no change = 1)
// or a difference scale (no change = 0), and the margin turned into the
// effect's units.
type bounded struct {
	est, lo, hi float64
	ratio       bool
	// limit is the worst tolerated effect: 1 + margin (ratio) or the
	// margin as a difference; no change without a margin.
	limit float64
	// margin is set when the metric has one.
	margin bool
}

// decision is a classification with its reason.
type decision struct {
	class  judges.Classification
	reason string
	// width and need are, when inconclusive, the current and the needed
	// half-width on the side that missed (for "needs more" estimates).
	width, need float64
}

// judgeBounded applies the margin rule to an interval: High (Low) when
// the harmful bound lies beyond the limit; with a margin, Pass when the
// other bound lies within it, else Inconclusive; without one, Pass.
func judgeBounded(b bounded, d judges.Direction) decision {
	if math.IsNaN(b.lo) || math.IsNaN(b.hi) {
		return decision{class: judges.Inconclusive, reason: "the interval is undefined (no variation between the values)"}
	}
	// The tolerated range [low, high] of the effect.
	high, low := b.limit, -b.limit
	if b.ratio {
		low = 1 / b.limit
	}
	up := d != judges.Decrease
	down := d == judges.Decrease || d == judges.Either
	switch {
	case up && b.lo > high:
		return decision{class: judges.High}
	case down && b.hi < low:
		return decision{class: judges.Low}
	case !b.margin:
		return decision{class: judges.Pass}
	case (!up || b.hi < high) && (!down || b.lo > low):
		return decision{class: judges.Pass}
	}
	// Inconclusive: the half-width on the side that missed, and the one
	// that would have passed.
	dd := decision{class: judges.Inconclusive}
	f := func(v float64) float64 { return v }
	if b.ratio {
		f = math.Log
	}
	if up && !(b.hi < high) {
		dd.width, dd.need = f(b.hi)-f(b.est), f(high)-f(b.est)
	} else {
		dd.width, dd.need = f(b.est)-f(b.lo), f(b.est)-f(low)
	}
	return dd
}

// needMore says how much more data would settle an inconclusive interval:
// the sample scales by (width/need)²; n is the current canary sample in
// unit (requests, points), over the window's length.
func needMore(dd decision, n float64, unit string, window float64) string {
	if !(dd.need > 0) || !(dd.width > 0) || !(n > 0) {
		return "the estimate lies beyond the margin: more data can only confirm a worsening"
	}
	f := (dd.width / dd.need) * (dd.width / dd.need)
	more := n * (f - 1)
	if more < 1 {
		more = 1
	}
	s := fmt.Sprintf("needs ≈ %s more canary %s", count3(more), unit)
	if window > 0 {
		s += fmt.Sprintf(", ≈ %s at the current rate", minutes(more/n*window))
	}
	return s
}

// sig3 writes v with 3 significant digits.
func sig3(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%.3g", v)
}

// pct writes a fraction as a percentage with at most one decimal.
func pct(v float64) string {
	p := math.Round(1000*v) / 10
	return strings.TrimSuffix(fmt.Sprintf("%.1f", p), ".0") + "%"
}

// ratioPct writes a ratio as a signed percentage change: 1.052 → +5.2%.
func ratioPct(r float64) string {
	s := pct(r - 1)
	if r >= 1 {
		s = "+" + s
	}
	return s
}

// count3 writes a count with 3 significant digits and k/M suffixes.
func count3(v float64) string {
	switch {
	case v >= 1e6:
		return sig3(v/1e6) + "M"
	case v >= 1e4:
		return sig3(v/1e3) + "k"
	}
	return fmt.Sprintf("%.0f", v)
}

// minutes writes seconds as a rounded duration.
func minutes(sec float64) string {
	switch {
	case sec < 90:
		return fmt.Sprintf("%.0f s", math.Max(1, sec))
	case sec < 90*60:
		return fmt.Sprintf("%.0f min", sec/60)
	}
	return fmt.Sprintf("%s h", sig3(sec/3600))
}

// effect writes an effect: a ratio as a percentage change, a difference
// as a signed number.
func effect(v float64, ratio bool) string {
	if ratio {
		return ratioPct(v)
	}
	if v >= 0 {
		return "+" + sig3(v)
	}
	return sig3(v)
}

// fmtInterval writes [lo, hi] of an effect.
func fmtInterval(lo, hi float64, ratio bool) string {
	return "[" + effect(lo, ratio) + ", " + effect(hi, ratio) + "]"
}
