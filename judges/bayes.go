package judges

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// BetaPrior is a Beta(Alpha, Beta) prior on an error rate. The zero value
// means the uniform prior Beta(1, 1).
type BetaPrior struct {
	Alpha, Beta float64
}

// UniformPrior returns Beta(1, 1), the default prior.
func UniformPrior() BetaPrior { return BetaPrior{Alpha: 1, Beta: 1} }

// ProbCanaryWorse returns the posterior probability that the canary's error
// rate exceeds the baseline's, P(p_c > p_b), with independent posteriors
// Beta(α0 + errors, β0 + total − errors) for each cohort from prior
// Beta(α0, β0) (BetaPrior{} is the uniform prior Beta(1, 1)).
//
// When α_c = α0 + canary errors is an integer the probability is the exact
// finite sum (Evan Miller's formula)
//
//	Σ_{i<α_c} B(α_b+i, β_b+β_c) / ((β_c+i)·B(1+i, β_c)·B(α_b, β_b)).
//
// Its terms are a unimodal probability distribution in i (they sum to 1
// over all i ≥ 0). The sum starts from one term computed with the
// Stirling-corrected lbeta — the last term when α_c − 1 is below the mode,
// else the mode — and continues by the ratio
// t_{i+1}/t_i = (α_b+i)(β_c+i)/((α_b+β_b+β_c+i)(1+i)) until terms fall below
// 1e-17 of the sum. Only for α_c > 2^24 beyond the mode is it 1 minus the
// upper tail (whose decay can be a slow power law when β_b is small; then
// quadrature is used). Counts near 1e7 cost a few thousand steps.
//
// When α_c is not an integer, the same sum is used on whichever other
// parameter is an integer, by the symmetries P(X > Y) = 1 − P(Y > X) and
// X ~ Beta(α, β) ⇔ 1 − X ~ Beta(β, α). When none of the four posterior
// parameters is an integer (a non-integer prior with both α0 and β0
// fractional, such as Jeffreys' Beta(½, ½)), the probability is integrated
// numerically on the probability scale, ∫₀¹ F_b(Q_c(u)) du, by adaptive
// Gauss–Kronrod quadrature. That path is accurate to about 1e-9 for counts
// up to about 1e4 but is limited by gonum's regularized incomplete beta,
// whose relative error grows to about 1e-8 at parameters near 1e7, giving
// errors near 1e-6 there; it costs a few thousand beta quantiles.
//
// scipy has no such function; the reference is R: the same closed-form sum
// evaluated in R with its lbeta, checked against integrate() of
// dbeta·pbeta over the canary posterior's bulk with rel.tol = 1e-12.
func ProbCanaryWorse(canaryErrors, canaryTotal, baselineErrors, baselineTotal int64, prior BetaPrior) (float64, error) {
	if prior == (BetaPrior{}) {
		prior = UniformPrior()
	}
	if !(prior.Alpha > 0 && prior.Beta > 0) || math.IsInf(prior.Alpha, 0) || math.IsInf(prior.Beta, 0) {
		return math.NaN(), fmt.Errorf("judges: beta prior (%v, %v) must have positive finite parameters", prior.Alpha, prior.Beta)
	}
	for _, c := range []struct {
		name          string
		errors, total int64
	}{{"canary", canaryErrors, canaryTotal}, {"baseline", baselineErrors, baselineTotal}} {
		switch {
		case c.total < 0 || c.total > maxProportionTotal:
			return math.NaN(), fmt.Errorf("judges: %s total %d is outside [0, 2^50]", c.name, c.total)
		case c.errors < 0 || c.errors > c.total:
			return math.NaN(), fmt.Errorf("judges: %s errors %d are outside [0, total=%d]", c.name, c.errors, c.total)
		}
	}
	ac := prior.Alpha + float64(canaryErrors)
	bc := prior.Beta + float64(canaryTotal-canaryErrors)
	ab := prior.Alpha + float64(baselineErrors)
	bb := prior.Beta + float64(baselineTotal-baselineErrors)
	return betaGreater(ac, bc, ab, bb), nil
}

// betaGreater returns P(X > Y) for independent X ~ Beta(a1, b1) and
// Y ~ Beta(a2, b2).
func betaGreater(a1, b1, a2, b2 float64) float64 {
	isInt := func(v float64) bool { return v == math.Trunc(v) && v < 1<<53 }
	switch {
	case isInt(a1):
		return betaGreaterSum(int64(a1), b1, a2, b2)
	case isInt(a2):
		return 1 - betaGreaterSum(int64(a2), b2, a1, b1)
	case isInt(b2): // X > Y ⇔ 1−Y > 1−X
		return betaGreaterSum(int64(b2), a2, b1, a1)
	case isInt(b1):
		return 1 - betaGreaterSum(int64(b1), a1, b2, a2)
	}
	return betaGreaterQuad(a1, b1, a2, b2)
}

// betaGreaterSum is P(X > Y), X ~ Beta(a, b) with integer a ≥ 1,
// Y ~ Beta(c, d): the sum of the first a terms of the distribution t_i.
func betaGreaterSum(a int64, b, c, d float64) float64 {
	logT := func(i int64) float64 {
		fi := float64(i)
		return lbeta(c+fi, d+b) - math.Log(b+fi) - lbeta(1+fi, b) - lbeta(c, d)
	}
	ratio := func(i int64) float64 { // t_{i+1}/t_i
		fi := float64(i)
		return (c + fi) * (b + fi) / ((c + d + b + fi) * (1 + fi))
	}
	// Mode: t_{i+1} ≥ t_i exactly when i ≤ (cb − (b+c+d))/(d+1).
	i0 := (c*b - (b + c + d)) / (d + 1)
	var mode int64
	if i0 >= 0 {
		mode = int64(math.Min(math.Floor(i0)+1, 1<<62))
	}
	for mode > 0 && ratio(mode-1) < 1 {
		mode--
	}
	last := a - 1
	if last <= mode {
		// Terms decrease from last down to 0.
		s, t := 1.0, 1.0
		for i := last; i > 0; i-- {
			t /= ratio(i - 1)
			s += t
			if t < 1e-17*s {
				break
			}
		}
		return min(1, s*math.Exp(logT(last)))
	}
	if a <= 1<<24 {
		// Σ_{i<a} directly, anchored at the mode: the upper tail beyond a
		// can decay as slowly as a power of i (when d is small), so it is
		// not summed; the a terms below are at most 2^24 steps and the
		// walks stop early once terms are negligible.
		s, t := 1.0, 1.0
		for i := mode; i > 0; i-- {
			t /= ratio(i - 1)
			s += t
			if t < 1e-17*s {
				break
			}
		}
		t = 1
		for i := mode; i < last; i++ {
			t *= ratio(i)
			s += t
			if t < 1e-17*s {
				break
			}
		}
		return min(1, s*math.Exp(logT(mode)))
	}
	// 1 − Σ_{i ≥ a} t_i; terms decrease from a upwards. A power-law tail
	// would need too many steps: fall back to quadrature then.
	s, t := 1.0, 1.0
	for i := a; ; i++ {
		t *= ratio(i)
		s += t
		if t < 1e-17*s {
			break
		}
		if i-a > 1e8 {
			return betaGreaterQuad(float64(a), b, c, d)
		}
	}
	return max(0, 1-s*math.Exp(logT(a)))
}

// betaGreaterQuad is P(X > Y) = ∫₀¹ F_Y(Q_X(u)) du by adaptive
// Gauss–Kronrod (7–15) quadrature over 32 initial panels.
func betaGreaterQuad(a1, b1, a2, b2 float64) float64 {
	qx := distuv.Beta{Alpha: a1, Beta: b1}
	f := func(u float64) float64 {
		p := qx.Quantile(u)
		return mathext.RegIncBeta(a2, b2, p)
	}
	// Quantiles of large-parameter betas carry ~1e-10 of noise in u, so
	// the tolerance is not tighter than that; the depth bound caps the work
	// at 32·2^12 panels in the worst case.
	const panels = 32
	var s float64
	for i := range panels {
		s += adaptiveGK(f, float64(i)/panels, float64(i+1)/panels, 1e-10/panels, 12)
	}
	return min(1, max(0, s))
}

// adaptiveGK integrates f over [lo, hi] to absolute tolerance tol by
// recursive bisection of Gauss–Kronrod 7–15 panels.
func adaptiveGK(f func(float64) float64, lo, hi, tol float64, depth int) float64 {
	k, g := gk15(f, lo, hi)
	if depth == 0 || math.Abs(k-g) <= tol {
		return k
	}
	mid := 0.5 * (lo + hi)
	return adaptiveGK(f, lo, mid, tol/2, depth-1) + adaptiveGK(f, mid, hi, tol/2, depth-1)
}

// gk15 returns the 15-point Kronrod and embedded 7-point Gauss estimates.
func gk15(f func(float64) float64, lo, hi float64) (kronrod, gauss float64) {
	xk := [8]float64{
		0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
		0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
		0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
		0.207784955007898467600689403773245, 0,
	}
	wk := [8]float64{
		0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
		0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
		0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
		0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
	}
	wg := [4]float64{ // weights of the Gauss nodes xk[1], xk[3], xk[5], xk[7]
		0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
		0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
	}
	c, h := 0.5*(lo+hi), 0.5*(hi-lo)
	for j := 0; j < 7; j++ {
		f1, f2 := f(c-h*xk[j]), f(c+h*xk[j])
		kronrod += wk[j] * (f1 + f2)
		if j%2 == 1 {
			gauss += wg[j/2] * (f1 + f2)
		}
	}
	fc := f(c)
	kronrod += wk[7] * fc
	gauss += wg[3] * fc
	return kronrod * h, gauss * h
}
