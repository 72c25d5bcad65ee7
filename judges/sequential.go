package judges

import (
	"fmt"
	"math"
)

// Summary is a cohort's observations over one interval: count, mean and
// sample variance (denominator N−1; ignored when N < 2).
type Summary struct {
	N        int64
	Mean     float64
	Variance float64
}

// SequentialConfig configures a Sequential test.
type SequentialConfig struct {
	// Theta0 is the null difference of means (canary − baseline), usually 0.
	Theta0 float64
	// Tau2 is the variance τ² of the normal mixture over the alternative
	// differences, in squared metric units. 0 selects the default
	// τ² = (DefaultTauScale·σ̄)², σ̄² = (σ_c² + σ_b²)/2, fixed at the first
	// update where both variances are known or estimable. A τ close to the
	// smallest difference worth detecting gives the fastest decisions.
	Tau2 float64
	// VarCanary and VarBaseline are known per-observation variances;
	// 0 means "estimate from all data seen so far" (the plug-in of Johari
	// et al., valid for large samples).
	VarCanary, VarBaseline float64
}

// DefaultTauScale is the default mixture standard deviation τ as a fraction
// of the per-observation standard deviation σ̄: canary regressions worth
// catching are typically a tenth of a standard deviation or more.
const DefaultTauScale = 0.1

// Sequential is the mixture sequential probability ratio test (mSPRT) of
// Johari, Koomen, Pekelis and Walsh, "Always Valid Inference" (2017/2022)
// for the difference of means θ = μ_c − μ_b, with a normal mixture
// N(Theta0, τ²). After each update with cumulative counts n_c, n_b,
//
//	V_n = σ_c²/n_c + σ_b²/n_b,  θ̂_n = x̄_c − x̄_b,
//	Λ_n = sqrt(V_n/(V_n+τ²))·exp(τ²(θ̂_n−θ0)²/(2V_n(V_n+τ²))),
//	p_n = min(p_{n−1}, 1/Λ_n),
//
// and the always-valid confidence interval is the running intersection of
// θ̂_k ± sqrt(V_k(V_k+τ²)/τ²·(log((V_k+τ²)/V_k) − 2 log α)). p_n and the
// interval stay valid however often they are inspected, so Stop(α) can be
// checked after every update. Neither scipy nor R implements the mSPRT; the
// reference is an independent numpy transcription of the same recursion.
//
// Updates before both cohorts have a variance (known, or at least two
// observations to estimate it) change the sums but not p or the interval.
// The zero value is not usable; call NewSequential. A Sequential is a plain
// value with no shared state: copying it forks the test.
type Sequential struct {
	cfg  SequentialConfig
	tau2 float64
	c, b seqRunning
	p    float64
	hist []seqPoint // (θ̂_k, V_k) of every update that defined Λ_k
}

type seqPoint struct{ est, v float64 }

// seqRunning accumulates count, mean and sum of squared deviations (Chan et
// al.'s pairwise update).
type seqRunning struct {
	n       float64
	mean, s float64
}

func (r *seqRunning) merge(s Summary) {
	if s.N == 0 {
		return
	}
	nb := float64(s.N)
	m2 := 0.0
	if s.N >= 2 {
		m2 = s.Variance * (nb - 1)
	}
	n := r.n + nb
	d := s.Mean - r.mean
	r.mean += d * nb / n
	r.s += m2 + d*d*r.n*nb/n
	r.n = n
}

func (r seqRunning) variance() float64 {
	if r.n < 2 {
		return math.NaN()
	}
	return r.s / (r.n - 1)
}

// NewSequential returns a test with no observations and p = 1.
func NewSequential(cfg SequentialConfig) (*Sequential, error) {
	for _, f := range []struct {
		name string
		v    float64
	}{{"Tau2", cfg.Tau2}, {"VarCanary", cfg.VarCanary}, {"VarBaseline", cfg.VarBaseline}} {
		if !(f.v >= 0) || math.IsInf(f.v, 0) {
			return nil, fmt.Errorf("judges: sequential %s %v must be a finite number ≥ 0", f.name, f.v)
		}
	}
	if math.IsNaN(cfg.Theta0) || math.IsInf(cfg.Theta0, 0) {
		return nil, fmt.Errorf("judges: sequential Theta0 %v must be finite", cfg.Theta0)
	}
	return &Sequential{cfg: cfg, tau2: cfg.Tau2, p: 1}, nil
}

// Update adds one interval's summaries of both cohorts. A summary with
// N = 0 adds nothing. Invalid summaries are an error and change nothing.
func (s *Sequential) Update(canary, baseline Summary) error {
	for _, x := range []struct {
		name string
		s    Summary
	}{{"canary", canary}, {"baseline", baseline}} {
		switch {
		case x.s.N < 0:
			return fmt.Errorf("judges: sequential %s count %d is negative", x.name, x.s.N)
		case x.s.N > 0 && (math.IsNaN(x.s.Mean) || math.IsInf(x.s.Mean, 0)):
			return fmt.Errorf("judges: sequential %s mean %v is not finite", x.name, x.s.Mean)
		case x.s.N >= 2 && (!(x.s.Variance >= 0) || math.IsInf(x.s.Variance, 0)):
			return fmt.Errorf("judges: sequential %s variance %v is not a finite number ≥ 0", x.name, x.s.Variance)
		}
	}
	s.c.merge(canary)
	s.b.merge(baseline)
	if s.c.n == 0 || s.b.n == 0 {
		return nil
	}
	vc, vb := s.cfg.VarCanary, s.cfg.VarBaseline
	if vc == 0 {
		vc = s.c.variance()
	}
	if vb == 0 {
		vb = s.b.variance()
	}
	if math.IsNaN(vc) || math.IsNaN(vb) {
		return nil
	}
	if s.tau2 == 0 {
		s.tau2 = DefaultTauScale * DefaultTauScale * (vc + vb) / 2
		if s.tau2 == 0 {
			return nil // both cohorts constant so far: no scale yet
		}
	}
	v := vc/s.c.n + vb/s.b.n
	if !(v > 0) {
		return nil // zero variance: Λ is undefined
	}
	est := s.c.mean - s.b.mean
	d := est - s.cfg.Theta0
	logLambda := 0.5*math.Log(v/(v+s.tau2)) + s.tau2*d*d/(2*v*(v+s.tau2))
	if math.IsInf(v, 0) || math.IsInf(est, 0) || math.IsNaN(logLambda) {
		return fmt.Errorf("judges: sequential statistics overflow float64 (estimate %v, variance %v); the data were added but p and the interval are unchanged", est, v)
	}
	s.hist = append(s.hist, seqPoint{est: est, v: v})
	s.p = min(s.p, math.Exp(-logLambda))
	return nil
}

// Observe summarises raw observations of both cohorts (NaN values are
// dropped) and adds them as one interval.
func (s *Sequential) Observe(canary, baseline []float64) error {
	return s.Update(seqSummarize(canary), seqSummarize(baseline))
}

func seqSummarize(xs []float64) Summary {
	x, _ := nanFreeCopy(xs)
	if len(x) == 0 {
		return Summary{}
	}
	m, v := meanVar(x)
	return Summary{N: int64(len(x)), Mean: m, Variance: v}
}

// PValue is the always-valid p-value p_n (1 before any informative update).
func (s *Sequential) PValue() float64 { return s.p }

// Estimate is the current difference of means x̄_c − x̄_b (NaN before both
// cohorts have data).
func (s *Sequential) Estimate() float64 {
	if s.c.n == 0 || s.b.n == 0 {
		return math.NaN()
	}
	return s.c.mean - s.b.mean
}

// Tau2 is the mixture variance in use (0 until the default is fixed).
func (s *Sequential) Tau2() float64 { return s.tau2 }

// CI returns the always-valid 1−alpha confidence interval for θ: the
// intersection of the intervals of all updates so far; (−Inf, +Inf)
// before any informative update. If the intersection is empty (probability
// at most alpha under the model) both ends are NaN.
func (s *Sequential) CI(alpha float64) (lo, hi float64) {
	if !(alpha > 0 && alpha < 1) {
		return math.NaN(), math.NaN()
	}
	lo, hi = math.Inf(-1), math.Inf(1)
	for _, h := range s.hist {
		w := math.Sqrt(h.v * (h.v + s.tau2) / s.tau2 * (math.Log((h.v+s.tau2)/h.v) - 2*math.Log(alpha)))
		lo = max(lo, h.est-w)
		hi = min(hi, h.est+w)
	}
	if lo > hi {
		return math.NaN(), math.NaN()
	}
	return lo, hi
}

// Stop reports whether the null θ = Theta0 is rejected at level alpha:
// PValue() ≤ alpha.
func (s *Sequential) Stop(alpha float64) bool { return s.p <= alpha }
