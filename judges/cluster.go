package judges

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// The unit of analysis. Cohorts are assigned by pod (deployment), not by
// request: requests of one pod share its offset and points of one pod share
// its drift, so a cohort's evidence grows with its number of pods, not with
// its number of requests. The functions here compare cohorts with the
// cluster (pod, instance) as the unit. See doc.go, "Clusters".

// Cluster is one cluster's (pod's) summary of a metric in one cohort.
type Cluster struct {
	// ID names the cluster (a pod, an instance).
	ID string
	// Value is the cluster's summary: the mean of its points, a quantile
	// of its requests, its rate.
	Value float64
	// Weight is the cluster's amount of data (points, requests); it is
	// reported, and 0 marks a cluster without data (left out).
	Weight float64
	// SE is the standard error of Value from the cluster's own data (its
	// points' spread over their effective number, a quantile's rank
	// interval), in Value's units; 0 when unknown. The spread between
	// clusters is never taken as smaller than this sampling noise: see
	// ClusterCompare.
	SE float64
}

// ClusterScale is the scale cluster values are compared on.
type ClusterScale string

// Cluster scales.
const (
	// ScaleLog compares log values: the effect is a ratio canary/baseline
	// (of geometric means of the cluster values). Values must be > 0.
	ScaleLog ClusterScale = "log"
	// ScaleLinear compares values: the effect is a difference.
	ScaleLinear ClusterScale = "linear"
)

// ClusterMethod names the inference a cluster comparison used.
type ClusterMethod string

// Cluster methods.
const (
	// ClusterWelch: at least two clusters in each cohort; Welch's t on the
	// cluster values with Satterthwaite degrees of freedom.
	ClusterWelch ClusterMethod = "welch"
	// ClusterPooled: one cohort has a single cluster; the between-cluster
	// variance is estimated from the other cohort alone (pooled t with its
	// degrees of freedom), which assumes the single cluster varies as the
	// others do.
	ClusterPooled ClusterMethod = "pooled"
	// ClusterNone: one cluster in each cohort; the variation between
	// clusters cannot be estimated and no cluster test is possible.
	ClusterNone ClusterMethod = "none"
)

// ClusterConfig configures ClusterCompare. A zero Scale is ScaleLinear and
// a zero Confidence is DefaultConfidence.
type ClusterConfig struct {
	Scale ClusterScale
	// Confidence is the two-sided level of the interval (0 < c < 1).
	Confidence float64
}

// withDefaults fills the zero fields and validates the rest.
func (c ClusterConfig) withDefaults() (ClusterConfig, error) {
	if c.Scale == "" {
		c.Scale = ScaleLinear
	}
	if c.Confidence == 0 {
		c.Confidence = DefaultConfidence
	}
	if c.Scale != ScaleLog && c.Scale != ScaleLinear {
		return c, fmt.Errorf("judges: unknown cluster scale %q (want %q or %q)", c.Scale, ScaleLog, ScaleLinear)
	}
	if !(c.Confidence > 0 && c.Confidence < 1) {
		return c, fmt.Errorf("judges: confidence %v is outside (0, 1)", c.Confidence)
	}
	return c, nil
}

// ClusterResult is a comparison of two cohorts with clusters as the unit.
//
// Statistics that do not exist are NaN (T, DF, the p-values and the
// interval with Method none, or when the between-cluster variance is 0 in
// both cohorts) and Note says why; a NaN p-value is never evidence of a
// pass.
type ClusterResult struct {
	Method             ClusterMethod
	Canary, Baseline   int // clusters used
	Estimate           float64
	CILow, CIHigh      float64 // two-sided at Confidence, on Estimate's scale
	Confidence         float64
	T, DF              float64
	PGreater, PLess, P float64 // one-sided (canary larger / smaller) and two-sided
	// Note says what was unusual (a fallback, dropped clusters).
	Note string
}

// newClusterResult is a result with every statistic NaN.
func newClusterResult(confidence float64) ClusterResult {
	nan := math.NaN()
	return ClusterResult{
		Confidence: confidence, Estimate: nan, CILow: nan, CIHigh: nan,
		T: nan, DF: nan, PGreater: nan, PLess: nan, P: nan,
	}
}

// ClusterCompare compares the cluster values of two cohorts. On ScaleLog
// Estimate is the ratio of geometric means canary/baseline and the interval
// is a ratio interval; on ScaleLinear it is the difference of means.
//
// With at least two clusters in each cohort it is Welch's t on the cluster
// values (log values on ScaleLog) with Satterthwaite degrees of freedom:
// R's t.test(log(x), log(y), var.equal = FALSE), the interval
// exponentiated on ScaleLog. With one cluster in one cohort it is the pooled
// t (R's t.test(var.equal = TRUE)): the variance is the other cohort's
// between-cluster variance s², the standard error s·√(1/n + 1/m), the
// degrees of freedom that cohort's clusters − 1; the single cluster is
// assumed to vary as the others do (Note says so). With one cluster in each
// cohort Method is none: the estimate is given, every test statistic is
// NaN and Note says pod-to-pod variation cannot be estimated. When the
// between-cluster variance is 0 (every cluster of a cohort has the same
// value) t is undefined: NaN statistics and a Note, never a pass by a
// division by zero.
//
// A cohort's spread is never taken below its clusters' own sampling noise
// (their SE; see samplingVar and doc.go, "Clusters"), which only widens the
// interval.
//
// Clusters with Weight 0 or a NaN Value are left out and counted in Note.
// An infinite Value, a negative or non-finite Weight and, on ScaleLog, a
// Value ≤ 0 are errors naming the cluster; a cohort without a cluster left
// is an error wrapping ErrNoData.
func ClusterCompare(canary, baseline []Cluster, cfg ClusterConfig) (ClusterResult, error) {
	cfg, err := cfg.withDefaults()
	r := newClusterResult(cfg.Confidence)
	if err != nil {
		return r, err
	}
	kx, x, dropX, errX := clusterValues("canary", canary, cfg.Scale)
	ky, y, dropY, errY := clusterValues("baseline", baseline, cfg.Scale)
	if err := firstErr(errX, errY); err != nil {
		return r, err
	}
	r.Canary, r.Baseline = len(x), len(y)
	var notes []string
	if note := droppedNote(dropX, dropY, "clusters without data or with a NaN value"); note != "" {
		notes = append(notes, note)
	}
	back := func(v float64) float64 { return v }
	if cfg.Scale == ScaleLog {
		back = math.Exp
	}
	mx, vx := meanVar(x)
	my, vy := meanVar(y)
	wx, wy := samplingVar(kx, cfg.Scale), samplingVar(ky, cfg.Scale)
	diff := mx - my
	r.Estimate = back(diff)

	var se, df float64
	switch {
	case len(x) == 1 && len(y) == 1:
		r.Method = ClusterNone
		notes = append(notes, "one cluster in each cohort: the variation between clusters cannot be estimated, no cluster test")
		r.Note = strings.Join(notes, "; ")
		return r, nil
	case len(x) >= 2 && len(y) >= 2:
		r.Method = ClusterWelch
		df0 := satterthwaite(vx, vy, len(x), len(y))
		var floored []string
		if vx < wx {
			vx = wx
			floored = append(floored, "canary")
		}
		if vy < wy {
			vy = wy
			floored = append(floored, "baseline")
		}
		if len(floored) > 0 {
			notes = append(notes, floorNote(strings.Join(floored, " and ")))
		}
		se = math.Sqrt(vx/float64(len(x)) + vy/float64(len(y)))
		df = satterthwaite(vx, vy, len(x), len(y))
		if len(floored) > 0 && df0 < df {
			// A raised spread must never narrow the interval through
			// more degrees of freedom.
			df = df0
		}
	default:
		r.Method = ClusterPooled
		single, other, k, s2, w := "canary", "baseline", len(y), vy, wy
		if len(y) == 1 {
			single, other, k, s2, w = "baseline", "canary", len(x), vx, wx
		}
		df = float64(k - 1)
		notes = append(notes, fmt.Sprintf("1 %s cluster: pooled t with the between-cluster variance of the %d %s clusters (df %d), assuming the single cluster varies as they do",
			single, k, other, k-1))
		if s2 < w {
			s2 = w
			notes = append(notes, floorNote(other))
		}
		se = math.Sqrt(s2 * (1/float64(len(x)) + 1/float64(len(y))))
	}
	if !(se > 0) || math.IsInf(se, 0) || math.IsInf(diff, 0) || math.IsNaN(df) {
		if se == 0 {
			notes = append(notes, "the between-cluster variance is 0 (every cluster of a cohort has the same value): t is undefined, no evidence either way")
		} else {
			notes = append(notes, "a mean or variance of the cluster values overflows float64: t is undefined")
		}
		r.Note = strings.Join(notes, "; ")
		return r, nil
	}
	r.T, r.DF = diff/se, df
	r.PGreater = studentTPValue(r.T, df, Greater)
	r.PLess = studentTPValue(r.T, df, Less)
	r.P = studentTPValue(r.T, df, TwoSided)
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(1 - (1-cfg.Confidence)/2)
	r.CILow, r.CIHigh = back(diff-q*se), back(diff+q*se)
	r.Note = strings.Join(notes, "; ")
	return r, nil
}

// satterthwaite is Welch's degrees of freedom for variances vx, vy of nx,
// ny values (each ≥ 2).
func satterthwaite(vx, vy float64, nx, ny int) float64 {
	a, b := vx/float64(nx), vy/float64(ny)
	df := (a + b) * (a + b) / (a*a/float64(nx-1) + b*b/float64(ny-1))
	if math.IsNaN(df) || math.IsInf(df, 0) {
		s := max(a, b) // (a+b)² overflowed or a², b² underflowed: rescale
		as, bs := a/s, b/s
		df = (as + bs) * (as + bs) / (as*as/float64(nx-1) + bs*bs/float64(ny-1))
	}
	return df
}

// samplingVar is the mean squared standard error of the clusters' values
// on the comparison scale (SE/Value on ScaleLog, the delta method): the
// variance their values would have from sampling alone, with no
// difference between the clusters. 0 when no cluster has an SE.
//
// The spread between clusters estimates that sampling variance plus the
// variance of the clusters' true values, so it cannot be below it but by
// chance; with few clusters (2 or 3 values, a t with 1 or 2 degrees of
// freedom) and values that come in steps (quantiles interpolated in
// buckets holding a dozen requests), such a chance is far likelier than
// the t distribution allows, and a test at a small level fails healthy
// canaries. ClusterCompare and WorstCluster therefore take the larger of
// the two (the positive-part estimator of a random-effects model), which
// only ever widens the interval.
func samplingVar(cs []Cluster, scale ClusterScale) float64 {
	var s float64
	var n int
	for _, c := range cs {
		se := c.SE
		if scale == ScaleLog {
			se /= c.Value
		}
		if se > 0 && !math.IsInf(se, 0) {
			s += se * se
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

// floorNote says that a cohort's spread was raised to its sampling noise.
func floorNote(who string) string {
	return "the " + who + " clusters varied less than their own sampling noise: that noise was used as their spread"
}

// clusterValues checks one cohort's clusters and returns those with data
// and their values on the comparison scale (log values on ScaleLog), with
// the number left out (Weight 0 or NaN Value). name is the cohort.
func clusterValues(name string, cs []Cluster, scale ClusterScale) (kept []Cluster, vals []float64, dropped int, err error) {
	for _, c := range cs {
		switch {
		case !(c.Weight >= 0) || math.IsInf(c.Weight, 1):
			return nil, nil, 0, fmt.Errorf("judges: %s cluster %q has weight %v: must be ≥ 0 and finite", name, c.ID, c.Weight)
		case c.Weight == 0 || math.IsNaN(c.Value):
			dropped++
			continue
		case math.IsInf(c.Value, 0):
			return nil, nil, 0, fmt.Errorf("judges: %s cluster %q has value %v: not finite", name, c.ID, c.Value)
		case scale == ScaleLog && !(c.Value > 0):
			return nil, nil, 0, fmt.Errorf("judges: %s cluster %q has value %v: the log scale needs values > 0", name, c.ID, c.Value)
		}
		v := c.Value
		if scale == ScaleLog {
			v = math.Log(v)
		}
		kept = append(kept, c)
		vals = append(vals, v)
	}
	if len(vals) == 0 {
		return nil, nil, dropped, fmt.Errorf("judges: %s: no cluster with data (%d of %d left out): %w", name, dropped, len(cs), ErrNoData)
	}
	return kept, vals, dropped, nil
}

// droppedNote is "left out <what>: canary 1, baseline 2", or "".
func droppedNote(c, b int, what string) string {
	switch {
	case c > 0 && b > 0:
		return fmt.Sprintf("left out %s: canary %d, baseline %d", what, c, b)
	case c > 0:
		return fmt.Sprintf("left out %s: canary %d", what, c)
	case b > 0:
		return fmt.Sprintf("left out %s: baseline %d", what, b)
	}
	return ""
}

// firstErr is the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
