package judges

import (
	"fmt"
	"math"
	"slices"
)

// AdjustMethod names a multiple-testing adjustment of p-values.
type AdjustMethod string

// Adjustment methods, as R's p.adjust.
const (
	// AdjustBonferroni is min(1, n·p): family-wise error rate.
	AdjustBonferroni AdjustMethod = "bonferroni"
	// AdjustHolm is Holm's step-down: family-wise error rate, uniformly
	// more powerful than Bonferroni.
	AdjustHolm AdjustMethod = "holm"
	// AdjustHochberg is Hochberg's step-up: family-wise error rate under
	// independence or positive dependence.
	AdjustHochberg AdjustMethod = "hochberg"
	// AdjustBH is Benjamini–Hochberg: false discovery rate under
	// independence or positive dependence.
	AdjustBH AdjustMethod = "bh"
	// AdjustBY is Benjamini–Yekutieli: false discovery rate under any
	// dependence.
	AdjustBY AdjustMethod = "by"
)

// Adjust returns the adjusted p-values of p for method, in input order. It
// equals R's p.adjust(p, method) (methods "bonferroni", "holm", "hochberg",
// "BH", "BY"); scipy.stats.false_discovery_control covers only BH and BY
// and rejects NaN, so R is the reference.
//
// NaN entries are handled as R does: they stay NaN and are excluded from
// the number of tests n (R's default n = length(p) is evaluated after NA
// are removed). With n ≤ 1 the p-values are returned unchanged, as R. Entries
// outside [0, 1] (including ±Inf) are an error. The input is not modified.
func Adjust(method AdjustMethod, p []float64) ([]float64, error) {
	switch method {
	case AdjustBonferroni, AdjustHolm, AdjustHochberg, AdjustBH, AdjustBY:
	default:
		return nil, fmt.Errorf("judges: unknown adjustment method %q", method)
	}
	idx := make([]int, 0, len(p)) // positions of non-NaN entries
	for i, v := range p {
		if math.IsNaN(v) {
			continue
		}
		if !(v >= 0 && v <= 1) {
			return nil, fmt.Errorf("judges: p-value %v at index %d is outside [0, 1]", v, i)
		}
		idx = append(idx, i)
	}
	out := slices.Clone(p)
	n := len(idx)
	if n <= 1 {
		return out, nil
	}
	fn := float64(n)
	if method == AdjustBonferroni {
		for _, i := range idx {
			out[i] = min(1, fn*p[i])
		}
		return out, nil
	}
	// Order of the non-NaN entries by p, ascending (stable, as R's order).
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case p[a] < p[b]:
			return -1
		case p[a] > p[b]:
			return 1
		}
		return 0
	})
	switch method {
	case AdjustHolm:
		// cummax((n − i + 1)·p_(i)) over ascending i.
		run := 0.0
		for k, i := range idx {
			run = max(run, float64(n-k)*p[i])
			out[i] = min(1, run)
		}
	default:
		// Step-up: cummin over descending i of c_i·p_(i).
		q := 1.0
		if method == AdjustBY {
			q = 0
			for j := 1; j <= n; j++ {
				q += 1 / float64(j)
			}
		}
		run := math.Inf(1)
		for k := n - 1; k >= 0; k-- {
			i, rank := idx[k], float64(k+1)
			var v float64
			switch method {
			case AdjustHochberg:
				v = (fn + 1 - rank) * p[i]
			case AdjustBH:
				v = fn / rank * p[i]
			case AdjustBY:
				v = q * fn / rank * p[i]
			}
			run = min(run, v)
			out[i] = min(1, run)
		}
	}
	return out, nil
}
