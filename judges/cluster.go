package judges

import "errors"

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

// ClusterConfig configures ClusterCompare.
type ClusterConfig struct {
	Scale ClusterScale
	// Confidence is the two-sided level of the interval (0 < c < 1).
	Confidence float64
}

// ClusterResult is a comparison of two cohorts with clusters as the unit.
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

// ClusterCompare compares the cluster values of two cohorts. On ScaleLog
// Estimate is the ratio of geometric means canary/baseline and the interval
// is a ratio interval; on ScaleLinear it is the difference of means.
func ClusterCompare(canary, baseline []Cluster, cfg ClusterConfig) (ClusterResult, error) {
	return ClusterResult{}, errors.New("cluster comparison: not implemented")
}

// OutlierResult is the worst canary cluster against the baseline clusters.
type OutlierResult struct {
	// Worst is the canary cluster furthest in the harmful direction.
	Worst Cluster
	// Ratio (ScaleLog) or Difference (ScaleLinear) of Worst to the
	// baseline clusters' centre.
	Effect float64
	// T and DF of the prediction test; P is its one-sided p-value,
	// Bonferroni-adjusted over the canary clusters.
	T, DF, P float64
	// Limit is the baseline prediction bound at level 1 − alpha (after
	// the adjustment), on the value scale.
	Limit float64
	Note  string
}

// WorstCluster tests whether the worst canary cluster (in direction dir)
// lies outside what the baseline clusters predict for one more cluster:
// a prediction t-test (x − ȳ)/(s·√(1 + 1/m)) with m − 1 degrees of
// freedom, Bonferroni-adjusted over the canary clusters. It needs at least
// two baseline clusters.
func WorstCluster(canary, baseline []Cluster, dir Direction, scale ClusterScale) (OutlierResult, error) {
	return OutlierResult{}, errors.New("worst cluster: not implemented")
}

// ClusterCount is one cluster's events (failures) and trials (requests).
type ClusterCount struct {
	ID             string
	Events, Trials float64
}

// ClusterRates compares the event rates ΣEvents/ΣTrials of two cohorts with
// the cluster as the randomisation unit (the delta method for a ratio of
// sums: Deng, Knoblich & Lu, KDD 2018). Estimate is the difference of rates
// canary − baseline.
func ClusterRates(canary, baseline []ClusterCount, confidence float64) (ClusterResult, error) {
	return ClusterResult{}, errors.New("cluster rates: not implemented")
}

// HistogramQuantile is the q-quantile (0 ≤ q ≤ 1) of a histogram by linear
// interpolation within the bucket that holds it, as Prometheus'
// histogram_quantile does (the first bucket's lower bound is 0 when its
// upper bound is positive; a quantile in the +Inf bucket is the last finite
// bound). NaN for an empty histogram.
func HistogramQuantile(h Histogram, q float64) float64 {
	return 0
}

// EffectiveSampleSize is n/(1 + 2·Σ_k w_k·ρ_k) for a series of
// autocorrelated points, with the autocorrelations ρ_k summed with Bartlett
// weights up to a lag that grows with n; it is at most n and at least 1.
func EffectiveSampleSize(xs []float64) float64 {
	return float64(len(xs))
}
