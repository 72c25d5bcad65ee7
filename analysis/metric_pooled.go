package analysis

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/augurhq/augur/judges"
)

// pooledPoints is the pooled Mann–Whitney over every point with the
// variance inflated for autocorrelation: each series' effective sample
// size (judges.EffectiveSampleSize) gives f = n/n_eff per cohort, the
// larger of the two scales the z statistic by 1/√f (and the interval's
// critical value by √f), so that dependent points count as n_eff.
func (iv *interval) pooledPoints(r *MetricResult, m MetricSpec, treat, ref []Series, alpha float64, note string) judges.MetricResult {
	canary, baseline := Values(treat), Values(ref)
	f := max(inflation(treat), inflation(ref))
	dir := m.Judge.Direction
	// Two-sided level of the interval whose harmful bound tests at alpha,
	// then widened by √f.
	a2 := 1 - intervalConfidence(alpha, dir)
	z := distuv.UnitNormal.Quantile(1 - a2/2)
	conf := 1 - 2*distuv.UnitNormal.Survival(z*math.Sqrt(f))
	cfg := m.mannWhitneyConfig()
	cfg.Confidence = conf
	n, k := countFinite(canary), countFinite(baseline)
	if n > 0 && k > 0 && !mwLevelAchievable(n, k, 1-conf) {
		return judges.MetricResult{Classification: judges.Inconclusive,
			Reason: fmt.Sprintf("%s; a %s interval is not achievable with %d vs %d values: not judged (never a pass)", note, confPct(conf), n, k)}
	}
	jr := judges.ClassifyMannWhitney(canary, baseline, cfg)
	if mw := jr.MannWhitney; mw != nil {
		p := mwOneSided(mw.Z/math.Sqrt(f), dir)
		r.PValue = num(p)
		if mg := m.Judge.Margin; mg != nil && jr.Classification != judges.Error {
			b := bounded{est: mw.Estimate, lo: mw.CILow, hi: mw.CIHigh}
			b.limit, b.margin = marginLimit(m, false, mw.BaselineMedian)
			d := judgeBounded(b, dir)
			jr.Classification = d.class
			switch d.class {
			case judges.Pass:
				jr.Reason += "; within the margin " + mg.String()
			case judges.Inconclusive:
				jr.Reason += "; the interval straddles the margin " + mg.String() + ": " + needMore(d, float64(n), "points", iv.windowSeconds())
			}
		}
	}
	jr.Reason = note + "; pooled Mann–Whitney: " + jr.Reason
	if f > 1.05 {
		jr.Reason += fmt.Sprintf("; autocorrelated points count as %s of %d (effective sample size)", sig3(float64(n)/f), n)
	}
	return jr
}

// mwOneSided is the p-value of a normal deviate in the harmful direction.
func mwOneSided(z float64, d judges.Direction) float64 {
	switch d {
	case judges.Decrease:
		return distuv.UnitNormal.CDF(z)
	case judges.Either:
		return 2 * distuv.UnitNormal.Survival(math.Abs(z))
	}
	return distuv.UnitNormal.Survival(z)
}

// inflation is n/n_eff over a cohort's series (1 without autocorrelation).
func inflation(series []Series) float64 {
	n, eff := 0.0, 0.0
	for _, s := range series {
		var xs []float64
		for _, p := range s.Points {
			if !math.IsNaN(p.V) {
				xs = append(xs, p.V)
			}
		}
		if len(xs) == 0 {
			continue
		}
		n += float64(len(xs))
		eff += judges.EffectiveSampleSize(xs)
	}
	if !(eff > 0) {
		return 1
	}
	return max(1, n/eff)
}

func countFinite(xs []float64) int {
	n := 0
	for _, x := range xs {
		if !math.IsNaN(x) {
			n++
		}
	}
	return n
}

// mwLevelAchievable reports whether the Hodges–Lehmann interval of n vs m
// values can reach the two-sided level 1 − a2: exactly (n, m < 50, no
// ties) the widest interval has level 1 − 2/C(n+m, n); asymptotically (ties,
// or larger samples) the order statistic k_L = ⌊nm/2 − z·σ − ½⌋ + 1 must
// not fall below the first difference. Small samples must pass both, as
// ties switch the judge to the asymptotic interval.
func mwLevelAchievable(n, m int, a2 float64) bool {
	nm := float64(n) * float64(m)
	sigma := math.Sqrt(nm * float64(n+m+1) / 12)
	z := distuv.UnitNormal.Quantile(1 - a2/2)
	normal := nm/2-z*sigma-0.5 >= 0
	if n >= 50 || m >= 50 {
		return normal
	}
	lc, _ := math.Lgamma(float64(n + m + 1))
	l1, _ := math.Lgamma(float64(n + 1))
	l2, _ := math.Lgamma(float64(m + 1))
	return normal && math.Log(2)-(lc-l1-l2) <= math.Log(a2)
}
