package judges

import "math"

// lbeta returns log B(a, b) for a, b > 0 with the Stirling-series
// correction of R's nmath lbeta: for large arguments the leading terms are
// combined analytically and only the small remainders lgammacor(·) are
// summed, so the result keeps full relative precision where
// lgamma(a)+lgamma(b)−lgamma(a+b) cancels catastrophically (about 1e-8
// absolute error at arguments near 1e7).
func lbeta(a, b float64) float64 {
	p, q := min(a, b), max(a, b)
	switch {
	case math.IsNaN(a) || math.IsNaN(b) || p < 0:
		return math.NaN()
	case p == 0:
		return math.Inf(1)
	case math.IsInf(q, 1):
		return math.Inf(-1)
	}
	const lnSqrt2Pi = 0.918938533204672741780329736406
	if p >= 10 {
		corr := lgammacor(p) + lgammacor(q) - lgammacor(p+q)
		return -0.5*math.Log(q) + lnSqrt2Pi + corr +
			(p-0.5)*math.Log(p/(p+q)) + q*math.Log1p(-p/(p+q))
	}
	if q >= 10 {
		corr := lgammacor(q) - lgammacor(p+q)
		lg, _ := math.Lgamma(p)
		return lg + corr + p - p*math.Log(p+q) + (q-0.5)*math.Log1p(-p/(p+q))
	}
	if q < 1e-306 {
		lp, _ := math.Lgamma(p)
		lq, _ := math.Lgamma(q)
		lpq, _ := math.Lgamma(p + q)
		return lp + (lq - lpq)
	}
	return math.Log(math.Gamma(p) * (math.Gamma(q) / math.Gamma(p+q)))
}

// lchoose returns log C(n, k) for integers 0 ≤ k ≤ n, as R's lchoose.
func lchoose(n, k int64) float64 {
	k = min(k, n-k)
	switch {
	case k < 0:
		return math.Inf(-1)
	case k == 0:
		return 0
	case k == 1:
		return math.Log(float64(n))
	}
	return -math.Log(float64(n)+1) - lbeta(float64(n-k)+1, float64(k)+1)
}

// lgammacor is the remainder lgamma(x) − ((x−½)log x − x + log√(2π)) for
// x ≥ 10 (R nmath lgammacor, SLATEC d9lgmc).
func lgammacor(x float64) float64 {
	const (
		xbig = 94906265.62425156
		xmax = 3.745194030963158e306
	)
	switch {
	case x < 10:
		return math.NaN()
	case x >= xmax:
		return 0
	case x < xbig:
		t := 10 / x
		// R's algmcs Chebyshev coefficients; the first five suffice in
		// double precision.
		coef := [...]float64{
			+.1666389480451863247205729650822e+0,
			-.1384948176067563840732986059135e-4,
			+.9810825646924729426157171547487e-8,
			-.1809129475572494194263306266719e-10,
			+.6221098041892605227126015543416e-13,
		}
		return chebyshevEval(t*t*2-1, coef[:]) / x
	}
	return 1 / (x * 12)
}

func chebyshevEval(x float64, a []float64) float64 {
	var b0, b1, b2 float64
	twox := 2 * x
	for i := len(a) - 1; i >= 0; i-- {
		b2 = b1
		b1 = b0
		b0 = twox*b1 - b2 + a[i]
	}
	return (b0 - b2) * 0.5
}
