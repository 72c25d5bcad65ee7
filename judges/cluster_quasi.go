package judges

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// ClusterQuasi is the method of ClusterRatesQuasi: a quasi-binomial model
// whose dispersion is estimated from the clusters of both cohorts.
const ClusterQuasi ClusterMethod = "quasi-binomial"

// ClusterRatesQuasi compares the event rates ΣEvents/ΣTrials of two cohorts
// with the variation between clusters measured, like ClusterRates, but with
// one dispersion shared by both cohorts: the quasi-binomial model of a
// logistic regression on the cohort with Pearson's dispersion (McCullagh &
// Nelder, Generalized Linear Models, 2nd ed., §4.5; R's
// glm(family = quasibinomial), statsmodels' GLM(..., scale='X2')). With
// few pods this is far more powerful than a variance per cohort (3 vs 3
// pods give the delta method Satterthwaite degrees of freedom near 2, this
// test 4) and it is valid under the null, where both cohorts' pods vary
// alike.
//
// Per cohort g, r_g = ΣE/ΣT. The dispersion is
//
//	φ = max(1, X²/(K − 2)),  X² = Σ_i (E_i − r_g·T_i)² / (T_i·r_g·(1 − r_g)),
//
// over the K clusters of both cohorts with trials (a cohort whose rate is 0
// or 1 adds nothing to X² but keeps its clusters in K). φ is floored at 1:
// pods never make requests less variable than independent ones. Estimate is
// r_c − r_b with the Wald interval ±t·√(φ·(r_c(1−r_c)/T_c + r_b(1−r_b)/T_b));
// the test statistic uses the pooled rate under the null,
// t = (r_c − r_b)/√(φ·r̄(1−r̄)·(1/T_c + 1/T_b)), with K − 2 degrees of freedom.
// It needs K ≥ 3 clusters (one cohort may have a single one); otherwise, or
// with no events at all, Method is none with NaN statistics and a Note.
func ClusterRatesQuasi(canary, baseline []ClusterCount, confidence float64) (ClusterResult, error) {
	r, c, b, notes, err := rateInputs(canary, baseline, confidence)
	if err != nil {
		return r, err
	}
	done := func() (ClusterResult, error) {
		r.Note = strings.Join(notes, "; ")
		return r, nil
	}
	k := c.k + b.k
	switch {
	case c.events == 0 && b.events == 0:
		r.Method = ClusterNone
		notes = append(notes, "no events in either cohort: no test")
		return done()
	case k < 3:
		r.Method = ClusterNone
		notes = append(notes, "one cluster in each cohort: the variation between clusters cannot be estimated, no cluster test")
		return done()
	}
	r.Method = ClusterQuasi
	x2 := pearsonX2(canary, c.rate) + pearsonX2(baseline, b.rate)
	df := float64(k - 2)
	phi := max(1, x2/df)
	notes = append(notes, fmt.Sprintf("dispersion %.3g over %d clusters (df %d)", x2/df, k, k-2))
	pooled := (c.events + b.events) / (c.trials + b.trials)
	se0 := math.Sqrt(phi * pooled * (1 - pooled) * (1/c.trials + 1/b.trials))
	se := math.Sqrt(phi * (c.rate*(1-c.rate)/c.trials + b.rate*(1-b.rate)/b.trials))
	if !(se0 > 0) {
		notes = append(notes, "every trial of both cohorts is an event: no test")
		return done()
	}
	r.T, r.DF = r.Estimate/se0, df
	r.PGreater = studentTPValue(r.T, df, Greater)
	r.PLess = studentTPValue(r.T, df, Less)
	r.P = studentTPValue(r.T, df, TwoSided)
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(1 - (1-confidence)/2)
	r.CILow, r.CIHigh = r.Estimate-q*se, r.Estimate+q*se
	return done()
}

// pearsonX2 is Σ (E_i − r·T_i)²/(T_i·r·(1−r)) over clusters with trials;
// 0 when r is 0 or 1.
func pearsonX2(cs []ClusterCount, rate float64) float64 {
	v := rate * (1 - rate)
	if !(v > 0) {
		return 0
	}
	x2 := 0.0
	for _, c := range cs {
		if c.Trials > 0 {
			d := c.Events - rate*c.Trials
			x2 += d * d / (c.Trials * v)
		}
	}
	return x2
}
