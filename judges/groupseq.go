package judges

import (
	"fmt"
	"math"
)

// SpendingFunc is a cumulative alpha-spending function: the share of α a
// group-sequential test may have spent by information fraction t ∈ (0, 1],
// non-decreasing, with f(1, α) = α.
type SpendingFunc func(t, alpha float64) float64

// PowerSpending is the Kim–DeMets power family α·t^ρ.
func PowerSpending(rho float64) SpendingFunc {
	return func(t, alpha float64) float64 { return alpha * math.Pow(math.Min(1, math.Max(0, t)), rho) }
}

// OBrienFlemingSpending is Lan & DeMets' O'Brien–Fleming-type spending
// function for a one-sided test, 2 − 2Φ(z_{1−α/2}/√t).
func OBrienFlemingSpending(t, alpha float64) float64 {
	if t <= 0 {
		return 0
	}
	z := normalQuantile(1 - alpha/2)
	return math.Erfc(z / math.Sqrt(t) / math.Sqrt2)
}

// GroupSequentialBounds returns the one-sided critical values z_1..z_K of a
// group-sequential test with looks at the information fractions fractions
// (strictly increasing, the last 1) that spends alpha by spend (Lan &
// DeMets 1983): under the null, the probability that Z_k ≥ z_k at some look
// k ≤ j is spend(t_j, α) exactly, for Z_k the standardised statistic of all
// data up to look k, which is a Brownian motion in information time (Z_j and
// Z_k correlated √(t_j/t_k)). The crossing probabilities come from the
// recursive numerical integration of Armitage, McPherson & Rowe (1969), as
// in Jennison & Turnbull, "Group Sequential Methods", ch. 19.
//
// When the looks' statistics are more correlated than that (the later
// windows hold the earlier ones and pods' offsets persist), Slepian's
// inequality makes the bounds conservative; for looks at windows that do
// not grow (sliding windows) use a union bound instead.
func GroupSequentialBounds(alpha float64, fractions []float64, spend SpendingFunc) ([]float64, error) {
	if !(alpha > 0 && alpha < 1) {
		return nil, fmt.Errorf("judges: alpha %v is outside (0, 1)", alpha)
	}
	k := len(fractions)
	if k == 0 {
		return nil, fmt.Errorf("judges: no looks")
	}
	for i, t := range fractions {
		if !(t > 0 && t <= 1) || (i > 0 && !(t > fractions[i-1])) {
			return nil, fmt.Errorf("judges: information fractions must increase within (0, 1], got %v at look %d", t, i+1)
		}
	}
	bounds := make([]float64, k)
	// The density of S_k = Z_k·√t_k on the continuation region, on a grid.
	var grid, dens []float64
	var h float64
	spent := 0.0
	for j, t := range fractions {
		target := spend(t, alpha) - spent
		prev := 0.0
		if j > 0 {
			prev = fractions[j-1]
		}
		sd := math.Sqrt(t - prev)
		// crossing is P(S_j ≥ c, no earlier crossing) for c = z·√t.
		crossing := func(z float64) float64 {
			c := z * math.Sqrt(t)
			if j == 0 {
				return 0.5 * math.Erfc(c/sd/math.Sqrt2)
			}
			p := 0.0
			for i, u := range grid {
				p += dens[i] * 0.5 * math.Erfc((c-u)/sd/math.Sqrt2)
			}
			return p * h
		}
		switch {
		case !(target > 0):
			bounds[j] = math.Inf(1)
		default:
			lo, hi := -10.0, 40.0
			for range 200 {
				mid := (lo + hi) / 2
				if crossing(mid) > target {
					lo = mid
				} else {
					hi = mid
				}
				if hi-lo < 1e-10 {
					break
				}
			}
			bounds[j] = (lo + hi) / 2
			spent += crossing(bounds[j])
		}
		if j == k-1 {
			break
		}
		// The density below the boundary, carried to the next look.
		next := math.Sqrt(fractions[j+1] - t)
		step := math.Min(0.02, next/10)
		top := bounds[j] * math.Sqrt(t)
		bottom := -8 * math.Sqrt(t)
		if math.IsInf(top, 1) || top > 8*math.Sqrt(t) {
			top = 8 * math.Sqrt(t)
		}
		n := int(math.Ceil((top-bottom)/step)) + 1
		ng := make([]float64, n)
		nd := make([]float64, n)
		nh := (top - bottom) / float64(n-1)
		for i := range ng {
			s := bottom + float64(i)*nh
			ng[i] = s
			if j == 0 {
				nd[i] = math.Exp(-s*s/(2*t)) / math.Sqrt(2*math.Pi*t)
				continue
			}
			v := 0.0
			for q, u := range grid {
				d := (s - u) / sd
				if d > -9 && d < 9 {
					v += dens[q] * math.Exp(-d*d/2)
				}
			}
			nd[i] = v * h / (sd * math.Sqrt(2*math.Pi))
		}
		// trapezoid weights: halve the ends
		nd[0] /= 2
		nd[n-1] /= 2
		grid, dens, h = ng, nd, nh
	}
	return bounds, nil
}

// normalQuantile is Φ⁻¹(p).
func normalQuantile(p float64) float64 {
	return -math.Sqrt2 * math.Erfcinv(2*p)
}
