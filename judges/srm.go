package judges

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// DefaultSRMThreshold is the p-value below which SampleRatioMismatch flags
// a mismatch: a sample-ratio check runs on every experiment, so it uses a
// strict level to keep false alarms rare.
const DefaultSRMThreshold = 0.001

// SRMResult is a sample-ratio-mismatch check: Pearson's χ² goodness of fit
// of the observed cohort sizes against the configured traffic split.
type SRMResult struct {
	Observed []int64
	// Expected is total·w_i/Σw.
	Expected  []float64
	ChiSquare float64
	DF        int
	PValue    float64
	Threshold float64
	// Mismatch is PValue < Threshold; false when PValue is NaN.
	Mismatch bool
	Note     string
}

// SampleRatioMismatch tests observed cohort counts against the split given
// by weights (any positive scale, e.g. 50/50 or 0.1/0.9), flagging a
// mismatch when p < DefaultSRMThreshold. See SampleRatioMismatchAt.
func SampleRatioMismatch(observed []int64, weights []float64) (SRMResult, error) {
	return SampleRatioMismatchAt(observed, weights, DefaultSRMThreshold)
}

// SampleRatioMismatchAt is SampleRatioMismatch with the p-value threshold
// in (0, 1) given explicitly.
//
// χ² = Σ(O_i − E_i)²/E_i with E_i = N·w_i/Σw, k − 1 degrees of freedom,
// p = Q((k−1)/2, χ²/2). This equals scipy.stats.chisquare(observed,
// f_exp=E) and R chisq.test(observed, p = weights, rescale.p = TRUE)
// (they agree). When every count is zero the test is not computable: p is
// NaN, Mismatch false and Note says so.
func SampleRatioMismatchAt(observed []int64, weights []float64, threshold float64) (SRMResult, error) {
	r := SRMResult{Observed: append([]int64(nil), observed...), Threshold: threshold,
		ChiSquare: math.NaN(), PValue: math.NaN()}
	if !(threshold > 0 && threshold < 1) {
		return r, fmt.Errorf("judges: SRM threshold %v is outside (0, 1)", threshold)
	}
	if len(observed) < 2 {
		return r, fmt.Errorf("judges: SRM needs at least 2 cohorts, got %d", len(observed))
	}
	if len(weights) != len(observed) {
		return r, fmt.Errorf("judges: SRM has %d counts but %d weights", len(observed), len(weights))
	}
	var total, wsum float64
	for i, o := range observed {
		if o < 0 {
			return r, fmt.Errorf("judges: SRM count %d at index %d is negative", o, i)
		}
		total += float64(o)
	}
	for i, w := range weights {
		if !(w > 0) || math.IsInf(w, 0) {
			return r, fmt.Errorf("judges: SRM weight %v at index %d is not a positive finite number", w, i)
		}
		wsum += w
	}
	r.DF = len(observed) - 1
	if total == 0 {
		r.Note = "not computable: every cohort is empty"
		return r, nil
	}
	r.Expected = make([]float64, len(observed))
	var chi float64
	for i, o := range observed {
		e := total * (weights[i] / wsum)
		r.Expected[i] = e
		d := float64(o) - e
		chi += d * d / e
	}
	r.ChiSquare = chi
	r.PValue = mathext.GammaIncRegComp(float64(r.DF)/2, chi/2)
	r.Mismatch = r.PValue < threshold
	return r, nil
}
