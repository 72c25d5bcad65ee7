package judges

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// WelchResult is the outcome of Welch's unequal-variance t test of the
// canary mean against the baseline mean.
//
// Values that do not exist are NaN (T when both variances are zero, the
// interval ends when DF is undefined, ...) and Note says why.
type WelchResult struct {
	NCanary, NBaseline int // observations used, after dropping NaN
	// DroppedNaNCanary and DroppedNaNBaseline count the NaN values removed.
	DroppedNaNCanary, DroppedNaNBaseline int

	MeanCanary, MeanBaseline float64
	// VarCanary and VarBaseline are sample variances (denominator n−1).
	VarCanary, VarBaseline float64
	// Diff is MeanCanary − MeanBaseline; positive when the canary is larger.
	Diff float64
	// StdErr is sqrt(VarCanary/n + VarBaseline/m).
	StdErr float64

	// T is Diff/StdErr and DF the Welch–Satterthwaite degrees of freedom.
	T, DF float64
	// PValue is for Alternative, in the canary's terms: Greater means the
	// canary mean is larger.
	PValue      float64
	Alternative Alternative

	// CILow and CIHigh bound the mean difference at level Confidence; the
	// interval is one-sided (an infinite end) for Greater and Less, as R.
	CILow, CIHigh, Confidence float64

	Note string
}

// Welch runs Welch's two-sample t test (unequal variances) of canary x
// against baseline y and returns the confidence interval for the mean
// difference x̄ − ȳ at level confidence in (0, 1).
//
// With a = s_x²/n, b = s_y²/m: t = (x̄ − ȳ)/√(a+b),
// ν = (a+b)²/(a²/(n−1) + b²/(m−1)), and the Student t tail is
// ½·I_{ν/(ν+t²)}(ν/2, ½) (regularized incomplete beta). Results equal
// scipy.stats.ttest_ind(x, y, equal_var=False, alternative=alt) for T and
// PValue and R t.test(x, y, var.equal=FALSE, alternative=alt,
// conf.level=confidence) for all fields; scipy and R agree on everything
// both report (scipy 1.10 reports neither DF nor the interval).
//
// Where they differ we choose: when both variances are zero R stops with
// "data are essentially constant" and scipy returns T = ±Inf (p = 0) or NaN;
// we return T, PValue and the interval as NaN with a Note, because a zero
// standard error gives no evidence either way. One zero variance is fine.
//
// NaN values are dropped and counted. Each side needs at least two values
// after that (an error otherwise, as R); ±Inf values are an error because
// moments are undefined.
func Welch(canary, baseline []float64, alt Alternative, confidence float64) (WelchResult, error) {
	x, nanX := nanFreeCopy(canary)
	y, nanY := nanFreeCopy(baseline)
	r := WelchResult{
		NCanary: len(x), NBaseline: len(y),
		DroppedNaNCanary: nanX, DroppedNaNBaseline: nanY,
		Alternative: alt, Confidence: confidence,
		T: math.NaN(), DF: math.NaN(), PValue: math.NaN(),
		CILow: math.NaN(), CIHigh: math.NaN(),
	}
	if !alt.Valid() {
		return r, fmt.Errorf("judges: unknown alternative %q", alt)
	}
	if !(confidence > 0 && confidence < 1) {
		return r, fmt.Errorf("judges: confidence %v is outside (0, 1)", confidence)
	}
	for _, s := range []struct {
		name string
		v    []float64
	}{{"canary", x}, {"baseline", y}} {
		if len(s.v) < 2 {
			return r, fmt.Errorf("judges: %s has %d non-NaN values, Welch's t test needs at least 2", s.name, len(s.v))
		}
		for _, v := range s.v {
			if math.IsInf(v, 0) {
				return r, fmt.Errorf("judges: %s contains ±Inf; its mean and variance are undefined", s.name)
			}
		}
	}
	n, m := float64(len(x)), float64(len(y))
	r.MeanCanary, r.VarCanary = meanVar(x)
	r.MeanBaseline, r.VarBaseline = meanVar(y)
	r.Diff = r.MeanCanary - r.MeanBaseline
	a, b := r.VarCanary/n, r.VarBaseline/m
	r.StdErr = math.Sqrt(a + b)
	var notes []string
	switch {
	case math.IsInf(r.MeanCanary, 0) || math.IsInf(r.MeanBaseline, 0) ||
		math.IsInf(r.VarCanary, 0) || math.IsInf(r.VarBaseline, 0) || math.IsInf(r.Diff, 0):
		notes = append(notes, "a mean or variance overflows float64: t is undefined")
	case a+b == 0:
		notes = append(notes, "both samples are constant (zero variance): t is undefined")
	default:
		r.T = r.Diff / r.StdErr
		r.DF = (a + b) * (a + b) / (a*a/(n-1) + b*b/(m-1))
		if math.IsNaN(r.DF) || math.IsInf(r.DF, 0) {
			// (a+b)² overflowed or a², b² underflowed: rescale.
			s := max(a, b)
			as, bs := a/s, b/s
			r.DF = (as + bs) * (as + bs) / (as*as/(n-1) + bs*bs/(m-1))
		}
		r.PValue = studentTPValue(r.T, r.DF, alt)
		r.CILow, r.CIHigh = welchCI(r.Diff, r.StdErr, r.DF, alt, confidence)
		if math.IsNaN(r.PValue) {
			notes = append(notes, "t is undefined: intermediate values overflow float64")
		}
	}
	r.Note = strings.Join(notes, "; ")
	return r, nil
}

// studentTPValue is the p-value of statistic t with nu degrees of freedom.
func studentTPValue(t, nu float64, alt Alternative) float64 {
	tail := studentTTail(math.Abs(t), nu) // P(T ≥ |t|)
	switch alt {
	case Greater:
		if t >= 0 {
			return tail
		}
		return 1 - tail
	case Less:
		if t <= 0 {
			return tail
		}
		return 1 - tail
	}
	return min(1, 2*tail)
}

// studentTTail returns P(T_ν ≥ t) for t ≥ 0: ½·I_{ν/(ν+t²)}(ν/2, ½),
// evaluated through the complementary argument when that is small so no
// precision is lost to 1 − x.
func studentTTail(t, nu float64) float64 {
	if math.IsInf(t, 1) {
		return 0
	}
	t2 := t * t
	x := nu / (nu + t2)
	if x <= 0.5 {
		return 0.5 * mathext.RegIncBeta(nu/2, 0.5, x)
	}
	return 0.5 * (1 - mathext.RegIncBeta(0.5, nu/2, t2/(nu+t2)))
}

// welchCI is R's t.test interval for the mean difference.
func welchCI(diff, se, nu float64, alt Alternative, confidence float64) (lo, hi float64) {
	td := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: nu}
	switch alt {
	case Greater:
		return diff - td.Quantile(confidence)*se, math.Inf(1)
	case Less:
		return math.Inf(-1), diff + td.Quantile(confidence)*se
	}
	q := td.Quantile(1 - (1-confidence)/2)
	return diff - q*se, diff + q*se
}

// nanFreeCopy returns a copy of xs without NaN values and the number dropped.
func nanFreeCopy(xs []float64) ([]float64, int) {
	out := make([]float64, 0, len(xs))
	for _, v := range xs {
		if !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out, len(xs) - len(out)
}

// meanVar returns the mean and the sample variance (denominator n−1, NaN
// for n < 2) by two passes with the compensating term of the corrected
// two-pass algorithm.
func meanVar(xs []float64) (mu, v float64) {
	n := float64(len(xs))
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	mu = s / n
	if math.IsInf(mu, 0) || math.IsNaN(mu) {
		// The sum overflowed: average scaled values instead.
		s = 0
		for _, x := range xs {
			s += x / n
		}
		mu = s
	}
	if len(xs) < 2 {
		return mu, math.NaN()
	}
	var ss, c float64
	for _, x := range xs {
		d := x - mu
		ss += d * d
		c += d
	}
	if math.IsInf(ss, 0) {
		return mu, math.Inf(1)
	}
	return mu, (ss - c*c/n) / (n - 1)
}
