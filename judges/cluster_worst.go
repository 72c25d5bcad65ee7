package judges

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// DefaultWorstClusterAlpha is the level of OutlierResult.Limit: the
// whole run's default false-fail rate (confidence 0.99). Callers with
// their own share of it use OutlierResult.LimitAt.
const DefaultWorstClusterAlpha = 0.01

// OutlierResult is the worst canary cluster against the baseline clusters.
type OutlierResult struct {
	// Worst is the canary cluster furthest in the harmful direction.
	Worst Cluster
	// Ratio (ScaleLog) or Difference (ScaleLinear) of Worst to the
	// baseline clusters' centre.
	Effect float64
	// Center is the baseline clusters' centre on the value scale: their
	// geometric mean on ScaleLog, their mean on ScaleLinear.
	Center float64
	// T and DF of the prediction test; P is its one-sided p-value,
	// Bonferroni-adjusted over the canary clusters.
	T, DF, P float64
	// Limit is the baseline prediction bound at level 1 − alpha (after
	// the adjustment), on the value scale, for alpha =
	// DefaultWorstClusterAlpha; LimitAt gives it for another alpha.
	Limit float64
	Note  string

	// What LimitAt needs: the prediction standard error on the
	// comparison scale, the number of canary clusters, the side (+1 upper
	// bound, −1 lower bound), two-sidedness and the scale.
	se       float64
	canaries int
	side     float64
	twoSided bool
	log      bool
}

// LimitAt is the baseline prediction bound for one more cluster at level
// 1 − alpha/n (1 − alpha/(2n) for direction Either), n canary clusters, on
// the value scale and on the side of the worst cluster: the value a canary
// cluster must pass for the test to reject at alpha. NaN when the test is
// undefined.
func (r OutlierResult) LimitAt(alpha float64) float64 {
	if !(alpha > 0 && alpha < 1) || !(r.se > 0) || r.canaries == 0 {
		return math.NaN()
	}
	tail := alpha / float64(r.canaries)
	if r.twoSided {
		tail /= 2
	}
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: r.DF}.Quantile(1 - tail)
	if r.log {
		return math.Exp(math.Log(r.Center) + r.side*q*r.se)
	}
	return r.Center + r.side*q*r.se
}

// WorstCluster tests whether the worst canary cluster (in direction dir)
// lies outside what the baseline clusters predict for one more cluster:
// a prediction t-test (x − ȳ)/(s·√(1 + 1/m)) with m − 1 degrees of
// freedom, Bonferroni-adjusted over the canary clusters. It needs at least
// two baseline clusters.
//
// ȳ and s are the mean and standard deviation of the m baseline cluster
// values (log values on ScaleLog). The worst cluster is the largest canary
// value for Increase, the smallest for Decrease, and the one furthest from
// ȳ for Either, whose test is then two-sided. P = min(1, n·p) with n the
// number of canary clusters. Clusters are checked and left out as in
// ClusterCompare. With fewer than two baseline clusters the error names
// the count; when the baseline clusters all have the same value the
// prediction is undefined: NaN T, P and Limit with a Note (never a pass).
func WorstCluster(canary, baseline []Cluster, dir Direction, scale ClusterScale) (OutlierResult, error) {
	nan := math.NaN()
	r := OutlierResult{Effect: nan, Center: nan, T: nan, DF: nan, P: nan, Limit: nan}
	if scale == "" {
		scale = ScaleLinear
	}
	if scale != ScaleLog && scale != ScaleLinear {
		return r, fmt.Errorf("judges: unknown cluster scale %q (want %q or %q)", scale, ScaleLog, ScaleLinear)
	}
	switch dir {
	case Increase, Decrease, Either:
	default:
		return r, fmt.Errorf("judges: unknown direction %q (want increase, decrease or either)", dir)
	}
	kept, x, dropX, errX := clusterValues("canary", canary, scale)
	ky, y, dropY, errY := clusterValues("baseline", baseline, scale)
	if errY == nil && len(y) < 2 {
		errY = fmt.Errorf("judges: the worst-cluster test needs at least 2 baseline clusters with data, have %d", len(y))
	}
	if err := firstErr(errX, errY); err != nil {
		return r, err
	}
	var notes []string
	if note := droppedNote(dropX, dropY, "clusters without data or with a NaN value"); note != "" {
		notes = append(notes, note)
	}
	back := func(v float64) float64 { return v }
	if scale == ScaleLog {
		back = math.Exp
	}
	m := float64(len(y))
	my, vy := meanVar(y)
	worst := 0
	for i, v := range x {
		switch dir {
		case Increase:
			if v > x[worst] {
				worst = i
			}
		case Decrease:
			if v < x[worst] {
				worst = i
			}
		default:
			if math.Abs(v-my) > math.Abs(x[worst]-my) {
				worst = i
			}
		}
	}
	d := x[worst] - my
	r.Worst, r.Center, r.DF = kept[worst], back(my), m-1
	r.canaries, r.twoSided, r.log = len(x), dir == Either, scale == ScaleLog
	r.side = 1
	if dir == Decrease || (dir == Either && d < 0) {
		r.side = -1
	}
	if scale == ScaleLog {
		r.Effect = math.Exp(d)
	} else {
		r.Effect = d
	}
	// The baseline's spread is never below its clusters' sampling noise
	// (see samplingVar). The worst canary cluster's own noise is not used:
	// a spike within it is the effect sought, not noise.
	if w := samplingVar(ky, scale); vy < w {
		vy = w
		notes = append(notes, floorNote("baseline"))
	}
	r.se = math.Sqrt(vy) * math.Sqrt(1+1/m)
	if !(r.se > 0) || math.IsInf(r.se, 0) || math.IsInf(d, 0) {
		notes = append(notes, "the baseline clusters do not vary (or their spread overflows): the prediction test is undefined")
		r.Note = strings.Join(notes, "; ")
		return r, nil
	}
	r.T = d / r.se
	alt := map[Direction]Alternative{Increase: Greater, Decrease: Less, Either: TwoSided}[dir]
	r.P = min(1, float64(len(x))*studentTPValue(r.T, r.DF, alt))
	r.Limit = r.LimitAt(DefaultWorstClusterAlpha)
	if len(x) > 1 {
		notes = append(notes, fmt.Sprintf("worst of %d canary clusters: p × %d (Bonferroni)", len(x), len(x)))
	}
	r.Note = strings.Join(notes, "; ")
	return r, nil
}
