package judges

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// KSResult is the outcome of the two-sample Kolmogorov–Smirnov test of the
// canary against the baseline.
type KSResult struct {
	NCanary, NBaseline int // observations used, after dropping NaN
	// DroppedNaNCanary and DroppedNaNBaseline count the NaN values removed.
	DroppedNaNCanary, DroppedNaNBaseline int

	// D is the statistic for Alternative, with F_x the canary's and F_y the
	// baseline's empirical CDF evaluated at every pooled value:
	// TwoSided max|F_x − F_y|, Greater max(F_y − F_x) (the canary's CDF
	// lies below: canary larger), Less max(F_x − F_y).
	D           float64
	PValue      float64
	Alternative Alternative
	// Method is the method actually used: MethodExact or MethodAsymptotic.
	Method Method
	// Ties reports whether the pooled sample has tied values.
	Ties bool
	Note string
}

// ksMaxExactCells bounds n·m for an explicitly requested exact p-value
// (about 0.2 s of dynamic programming).
const ksMaxExactCells = 1e8

// KolmogorovSmirnov runs the two-sample Kolmogorov–Smirnov test of canary x
// against baseline y. It follows R's ks.test(x, y, alternative, exact),
// with the alternative translated to R's CDF terms (see below), except for
// two numerical defects of R documented here; scipy's ks_2samp differs in
// more places, listed too.
//
// Direction. Alternative is in the canary's terms, as everywhere in this
// package: Greater means the canary is stochastically larger, so its CDF
// lies below the baseline's and D = max(F_y − F_x). scipy and R name the
// alternative by the CDF instead ("greater" = the CDF of x lies above), so
// our Greater is ks.test(x, y, alternative = "less") and
// ks_2samp(x, y, alternative = "less"), and our Less is their "greater".
//
// Statistic. ECDFs are right-continuous and compared after each group of
// tied pooled values, so ties never create a spurious gap; D is computed
// exactly from integer lattice coordinates (u·m − v·n)/(n·m).
//
// Exact p (MethodExact) is P(D' ≥ D) under the permutation null
// conditional on the pooled tie pattern, by a dynamic programme over
// lattice paths (u canary and v baseline values among the first k pooled)
// that checks the boundary only where the pooled value changes. This is
// R ≥ 4.2's psmirnov with ties, computed in probabilities rather than
// path counts, so it does not overflow. R checks the one-sided "less"
// statistic against the tie pattern in forward order, which is the
// distribution of D⁺, not D⁻; with asymmetric ties R's p for our Greater
// is therefore slightly off and we compute the correct one (the tests show
// both against brute-force enumeration). scipy's exact path ignores ties
// (it assumes a continuous distribution), so with ties its p is larger.
//
// Asymptotic p (MethodAsymptotic), λ = sqrt(nm/(n+m))·D: two-sided, the
// Kolmogorov limit Q(λ) = 2Σ(−1)^{k−1}e^{−2k²λ²} (with the Jacobi-theta
// form for λ < 1), to full double precision: this equals scipy's
// kstwobign.sf(λ), whereas R evaluates the series to a tolerance of 1e-6
// only. One-sided, exp(−2λ²) as R; scipy adds a finite-sample correction
// to the exponent, so its one-sided asymptotic p differs.
//
// MethodAuto uses the exact p when n·m < 10000, R's rule (with or without
// ties, since the exact p handles ties), and the asymptotic one otherwise.
// scipy's auto rule is exact when max(n, m) ≤ 10000, which costs up to
// 1e8 lattice cells per test; we do not follow it. An explicitly requested
// exact p is refused (error) when n·m > 1e8.
//
// NaN values are dropped and counted; ±Inf values are kept and compare as
// usual. An empty side after dropping NaN is an error wrapping ErrNoData.
func KolmogorovSmirnov(canary, baseline []float64, alt Alternative, method Method) (KSResult, error) {
	x, nanX := nanFreeCopy(canary)
	y, nanY := nanFreeCopy(baseline)
	r := KSResult{
		NCanary: len(x), NBaseline: len(y),
		DroppedNaNCanary: nanX, DroppedNaNBaseline: nanY,
		Alternative: alt, D: math.NaN(), PValue: math.NaN(),
	}
	if !alt.Valid() {
		return r, fmt.Errorf("judges: unknown alternative %q", alt)
	}
	switch method {
	case MethodAuto, MethodExact, MethodAsymptotic:
	default:
		return r, fmt.Errorf("judges: unknown method %q", method)
	}
	switch {
	case len(x) == 0 && len(y) == 0:
		return r, fmt.Errorf("judges: canary and baseline: %w", ErrNoData)
	case len(x) == 0:
		return r, fmt.Errorf("judges: canary: %w", ErrNoData)
	case len(y) == 0:
		return r, fmt.Errorf("judges: baseline: %w", ErrNoData)
	}
	n, m := int64(len(x)), int64(len(y))
	cells := float64(n) * float64(m)
	if cells > 1<<62 {
		return r, fmt.Errorf("judges: samples of %d and %d values are too large for exact lattice arithmetic", n, m)
	}
	slices.Sort(x)
	slices.Sort(y)
	pooled := ksPooled(x, y)
	r.Ties = slices.Contains(pooled.boundary[:len(pooled.boundary)-1], false)

	dInt := ksStatistic(pooled, n, m, alt)
	r.D = float64(dInt) / cells

	switch method {
	case MethodAuto:
		method = MethodAsymptotic
		if cells < 10000 {
			method = MethodExact
		}
	case MethodExact:
		if cells > ksMaxExactCells {
			return r, fmt.Errorf("judges: exact Kolmogorov–Smirnov p for n·m = %.3g exceeds the limit of 1e8 lattice cells; use the asymptotic method", cells)
		}
	}
	r.Method = method
	var notes []string
	if method == MethodExact {
		r.PValue = ksExactP(pooled, n, m, dInt, alt)
	} else {
		lambda := math.Sqrt(cells/float64(n+m)) * r.D
		if alt == TwoSided {
			r.PValue = kolmogorovQ(lambda)
		} else {
			r.PValue = math.Exp(-2 * lambda * lambda)
		}
		if r.Ties {
			notes = append(notes, "asymptotic p with ties is conservative")
		}
	}
	r.Note = strings.Join(notes, "; ")
	return r, nil
}

// ksPooledSample is the merged order of the two samples: fromX[k] tells
// whether the k-th pooled value is a canary value and boundary[k] whether
// the pooled value changes after position k (always true for the last).
type ksPooledSample struct {
	fromX, boundary []bool
}

func ksPooled(x, y []float64) ksPooledSample {
	N := len(x) + len(y)
	p := ksPooledSample{fromX: make([]bool, 0, N), boundary: make([]bool, 0, N)}
	vals := make([]float64, 0, N)
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		if j == len(y) || (i < len(x) && x[i] <= y[j]) {
			p.fromX = append(p.fromX, true)
			vals = append(vals, x[i])
			i++
		} else {
			p.fromX = append(p.fromX, false)
			vals = append(vals, y[j])
			j++
		}
	}
	for k := range N {
		// −0 == +0, so the two zeros tie, as they should.
		p.boundary = append(p.boundary, k == N-1 || vals[k] != vals[k+1])
	}
	return p
}

// ksStatistic returns n·m·D as an exact integer.
func ksStatistic(p ksPooledSample, n, m int64, alt Alternative) int64 {
	var u, v, pos, neg int64 // pos = max(u·m − v·n), neg = max(v·n − u·m)
	for k, isX := range p.fromX {
		if isX {
			u++
		} else {
			v++
		}
		if p.boundary[k] {
			d := u*m - v*n
			pos = max(pos, d)
			neg = max(neg, -d)
		}
	}
	switch alt {
	case Greater:
		return neg
	case Less:
		return pos
	}
	return max(pos, neg)
}

// ksExactP is P(statistic ≥ dInt) over the C(N, n) equally likely
// assignments of the pooled values to the canary, tie pattern fixed.
func ksExactP(p ksPooledSample, n, m, dInt int64, alt Alternative) float64 {
	if dInt <= 0 {
		return 1
	}
	crosses := func(u, v int64) bool {
		d := u*m - v*n
		switch alt {
		case Greater:
			return -d >= dInt
		case Less:
			return d >= dInt
		}
		return d >= dInt || -d >= dInt
	}
	N := n + m
	// prob[u] = P(path at (u, k−u) and inside so far) after k steps.
	prob := make([]float64, n+1)
	next := make([]float64, n+1)
	prob[0] = 1
	for k := int64(0); k < N; k++ {
		loU, hiU := max(0, k-m), min(k, n)
		clear(next[max(0, k+1-m) : min(k+1, n)+1])
		rest := float64(N - k)
		for u := loU; u <= hiU; u++ {
			w := prob[u]
			if w == 0 {
				continue
			}
			if u < n { // next pooled value is a canary value
				next[u+1] += w * float64(n-u) / rest
			}
			if k-u < m {
				next[u] += w * float64(m-(k-u)) / rest
			}
		}
		prob, next = next, prob
		if p.boundary[k] {
			for u := max(0, k+1-m); u <= min(k+1, n); u++ {
				if crosses(u, k+1-u) {
					prob[u] = 0
				}
			}
		}
	}
	return min(1, max(0, 1-prob[n]))
}

// kolmogorovQ is the Kolmogorov limiting survival function
// Q(λ) = 2Σ_{k≥1}(−1)^{k−1}e^{−2k²λ²}, for λ < 1 through
// 1 − Q = (√(2π)/λ)·Σ_{j odd} e^{−j²π²/(8λ²)}.
func kolmogorovQ(lambda float64) float64 {
	switch {
	case math.IsNaN(lambda):
		return math.NaN()
	case lambda <= 0:
		return 1
	case lambda < 1:
		z := -math.Pi * math.Pi / (8 * lambda * lambda)
		var s float64
		for j := 1.0; ; j += 2 {
			t := math.Exp(j * j * z)
			s += t
			if t < 1e-17*s || t == 0 {
				break
			}
		}
		return max(0, 1-math.Sqrt(2*math.Pi)/lambda*s)
	}
	var s float64
	sign := 1.0
	for k := 1.0; ; k++ {
		t := math.Exp(-2 * k * k * lambda * lambda)
		s += sign * t
		sign = -sign
		if t < 1e-17*s || t == 0 {
			break
		}
	}
	return min(1, 2*s)
}
