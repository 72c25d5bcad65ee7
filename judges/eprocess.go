package judges

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// The count e-process (doc.go, "Sequential judges"): each cohort's events
// are a Poisson process whose rate is its traffic times its per-trial event
// rate; given a chunk's total events, each falls in the canary with
// probability π_j(θ) = ρ_jθ/(ρ_jθ + 1 − ρ_j), where ρ_j is the canary's
// share of the chunk's trials and θ the ratio of per-trial rates
// canary/baseline. The e-values mix the likelihood ratio against θ0 over a
// fixed grid of θ.

// The grid of rate ratios: log θ uniform on [−countGridSpan, countGridSpan]
// with countGridPoints points (step 0.025, θ from 0.05 to 20), and the
// prior scale: a normal prior of standard deviation countPriorScale on
// log θ − log θ0, truncated to each side of θ0.
const (
	countGridPoints = 241
	countGridSpan   = 3.0
	countPriorScale = 0.5
)

// countGrid is a grid of log rate ratios with one-sided prior weights.
type countGrid struct {
	logTheta, theta []float64
	// logWUp and logWDown are the log prior weights of the grid points
	// above and below θ0 (−Inf on the other side), each side summing to 1;
	// the points are ascending, so the points below θ0 are [0, below) and
	// those above [above, len).
	logWUp, logWDown []float64
	below, above     int
}

// defaultCountGrid is the grid with the default normal prior around θ0.
func defaultCountGrid(theta0 float64) countGrid {
	lt := make([]float64, countGridPoints)
	step := 2 * countGridSpan / float64(countGridPoints-1)
	for i := range lt {
		lt[i] = -countGridSpan + float64(i)*step
	}
	l0 := math.Log(theta0)
	return newCountGrid(lt, l0, func(x float64) float64 {
		d := (x - l0) / countPriorScale
		return -d * d / 2
	})
}

// newCountGrid weights the points of logTheta (ascending) by
// exp(logDensity), split at log θ0 and normalised on each side.
func newCountGrid(logTheta []float64, logTheta0 float64, logDensity func(float64) float64) countGrid {
	g := countGrid{logTheta: logTheta, theta: make([]float64, len(logTheta)),
		logWUp: make([]float64, len(logTheta)), logWDown: make([]float64, len(logTheta))}
	inf := math.Inf(-1)
	for i, x := range logTheta {
		g.theta[i] = math.Exp(x)
		g.logWUp[i], g.logWDown[i] = inf, inf
		switch {
		case x > logTheta0:
			g.logWUp[i] = logDensity(x)
		case x < logTheta0:
			g.logWDown[i] = logDensity(x)
		}
	}
	g.below, _ = slices.BinarySearch(logTheta, logTheta0)
	g.above = g.below
	if g.above < len(logTheta) && logTheta[g.above] == logTheta0 {
		g.above++
	}
	for _, w := range [][]float64{g.logWUp, g.logWDown} {
		z := logSumExp(w, nil)
		for i := range w {
			w[i] -= z
		}
	}
	return g
}

// logSumExp is log Σ exp(a_i + b_i) (b may be nil); −Inf for an empty sum.
func logSumExp(a, b []float64) float64 {
	m := math.Inf(-1)
	for i, x := range a {
		if b != nil {
			x += b[i]
		}
		m = max(m, x)
	}
	if math.IsInf(m, -1) {
		return m
	}
	s := 0.0
	for i, x := range a {
		if b != nil {
			x += b[i]
		}
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}

// CountEProcessConfig configures a count e-process.
type CountEProcessConfig struct {
	// Margin is the tolerated relative increase of the canary's event rate
	// per trial: the null hypothesis is rate_canary ≤ (1+Margin)·rate_baseline
	// (with Direction Decrease: rate_canary ≥ (1−Margin)·rate_baseline).
	// 0 tests for any worsening. 0 ≤ Margin < 1 for Decrease.
	Margin float64
	// Direction is the harmful change: Increase (default) or Decrease.
	Direction Direction
}

// theta0 is the rate ratio at the margin.
func (c CountEProcessConfig) theta0() float64 {
	if c.Direction == Decrease {
		return 1 - c.Margin
	}
	return 1 + c.Margin
}

func (c CountEProcessConfig) validate() error {
	var errs []error
	switch c.Direction {
	case Increase, Decrease:
	case Either:
		errs = append(errs, errors.New("judges: count e-process direction either is not supported: use increase or decrease"))
	default:
		errs = append(errs, fmt.Errorf("judges: count e-process direction %q is not increase or decrease", c.Direction))
	}
	maxMargin := math.Exp(countGridSpan) - 2 // θ0 well inside the grid
	if c.Direction == Decrease {
		maxMargin = 1 - 2*math.Exp(-countGridSpan)
	}
	if !(c.Margin >= 0 && c.Margin <= maxMargin) {
		errs = append(errs, fmt.Errorf("judges: count e-process margin %v must be in [0, %.3g] for direction %s", c.Margin, maxMargin, c.Direction))
	}
	return errors.Join(errs...)
}

// CountEProcessState is the whole state of a count e-process: a fixed
// number of numbers, whatever the run's length (JSON-encodable, stored in
// the run's state).
type CountEProcessState struct {
	// LogLik is the cumulative conditional log-likelihood at each point of
	// the fixed grid of rate ratios.
	LogLik []float64 `json:"ll"`
	// LogLik0 is the cumulative conditional log-likelihood at Theta0, the
	// rate ratio at the margin, which need not be a grid point.
	LogLik0 float64 `json:"ll0"`
	Theta0  float64 `json:"theta0"`
	// Events and Trials per cohort so far (canary, baseline).
	CanaryEvents   float64 `json:"ce"`
	CanaryTrials   float64 `json:"ct"`
	BaselineEvents float64 `json:"be"`
	BaselineTrials float64 `json:"bt"`
}

// CountEProcess is an anytime-valid test that the canary's event rate per
// trial (errors per request) is no worse than the baseline's, conditioned
// on each cohort's traffic: under the null each new event falls in the
// canary with the canary's share of the trials of its chunk.
//
// The zero value is not usable; call NewCountEProcess. A CountEProcess is
// not safe for concurrent use.
type CountEProcess struct {
	cfg   CountEProcessConfig
	grid  countGrid
	state CountEProcessState
}

// NewCountEProcess starts an e-process.
func NewCountEProcess(cfg CountEProcessConfig) (*CountEProcess, error) {
	if cfg.Direction == "" {
		cfg.Direction = Increase
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t0 := cfg.theta0()
	return newCountEProcessGrid(cfg, defaultCountGrid(t0)), nil
}

func newCountEProcessGrid(cfg CountEProcessConfig, g countGrid) *CountEProcess {
	if cfg.Direction == "" {
		cfg.Direction = Increase
	}
	return &CountEProcess{cfg: cfg, grid: g, state: CountEProcessState{
		LogLik: make([]float64, len(g.logTheta)),
		Theta0: cfg.theta0(),
	}}
}

// RestoreCountEProcess continues an e-process from its state. The state
// must come from an e-process with the same margin and direction.
func RestoreCountEProcess(cfg CountEProcessConfig, st CountEProcessState) (*CountEProcess, error) {
	e, err := NewCountEProcess(cfg)
	if err != nil {
		return nil, err
	}
	if len(st.LogLik) != len(e.state.LogLik) {
		return nil, fmt.Errorf("judges: count e-process state has %d grid points, want %d", len(st.LogLik), len(e.state.LogLik))
	}
	if math.Abs(st.Theta0-e.state.Theta0) > 1e-12*e.state.Theta0 {
		return nil, fmt.Errorf("judges: count e-process state was built for rate ratio %v at the margin, the configuration gives %v", st.Theta0, e.state.Theta0)
	}
	for i, l := range append([]float64{st.LogLik0}, st.LogLik...) {
		if !(l <= 1e-9) || math.IsInf(l, -1) {
			return nil, fmt.Errorf("judges: count e-process state log-likelihood %v at index %d is not a finite number ≤ 0", l, i-1)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"ce", st.CanaryEvents}, {"ct", st.CanaryTrials}, {"be", st.BaselineEvents}, {"bt", st.BaselineTrials}} {
		if !(f.v >= 0) || math.IsInf(f.v, 1) {
			return nil, fmt.Errorf("judges: count e-process state %s %v is not a finite number ≥ 0", f.name, f.v)
		}
	}
	st.LogLik = append([]float64(nil), st.LogLik...)
	e.state = st
	return e, nil
}

// Observe adds one chunk of new data: the events and trials of each cohort
// since the last chunk. A chunk with no events changes nothing but the
// totals; trials must be > 0 in both cohorts when there are events.
//
// Counts may be fractional (increase() extrapolates). The likelihood uses
// whole events: the chunk's events of a cohort are the increase of its
// rounded cumulative count, so fractions carry over to later chunks and
// nothing is lost or counted twice. Invalid input is an error and changes
// nothing.
func (e *CountEProcess) Observe(canaryEvents, canaryTrials, baselineEvents, baselineTrials float64) error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"canary events", canaryEvents}, {"canary trials", canaryTrials}, {"baseline events", baselineEvents}, {"baseline trials", baselineTrials}} {
		if !(f.v >= 0) || math.IsInf(f.v, 1) {
			return fmt.Errorf("judges: count e-process %s %v is not a finite number ≥ 0", f.name, f.v)
		}
	}
	if (canaryEvents > 0 || baselineEvents > 0) && (canaryTrials == 0 || baselineTrials == 0) {
		return fmt.Errorf("judges: count e-process chunk has events (canary %v, baseline %v) but no trials in a cohort (canary %v, baseline %v)", canaryEvents, baselineEvents, canaryTrials, baselineTrials)
	}
	st := &e.state
	ce, be := st.CanaryEvents+canaryEvents, st.BaselineEvents+baselineEvents
	c := math.Round(ce) - math.Round(st.CanaryEvents)
	b := math.Round(be) - math.Round(st.BaselineEvents)
	if c > 0 || b > 0 {
		// c·log π + b·log(1−π) with π = ρθ/(ρθ + 1 − ρ):
		// c·log ρ + b·log(1−ρ) + c·log θ − (c+b)·log(ρθ + 1 − ρ).
		rho := canaryTrials / (canaryTrials + baselineTrials)
		k := c*math.Log(rho) + b*math.Log1p(-rho)
		for i, th := range e.grid.theta {
			st.LogLik[i] += k + c*e.grid.logTheta[i] - (c+b)*math.Log(rho*th+(1-rho))
		}
		st.LogLik0 += k + c*math.Log(st.Theta0) - (c+b)*math.Log(rho*st.Theta0+(1-rho))
	}
	st.CanaryEvents, st.BaselineEvents = ce, be
	st.CanaryTrials += canaryTrials
	st.BaselineTrials += baselineTrials
	return nil
}

// logMixture is the log mixture e-value over the grid points above θ0
// (up) or below it, against θ0.
func (e *CountEProcess) logMixture(up bool) float64 {
	g, ll := e.grid, e.state.LogLik
	if up {
		return logSumExp(ll[g.above:], g.logWUp[g.above:]) - e.state.LogLik0
	}
	return logSumExp(ll[:g.below], g.logWDown[:g.below]) - e.state.LogLik0
}

// LogEValue is log EValue().
func (e *CountEProcess) LogEValue() float64 { return e.logMixture(e.cfg.Direction != Decrease) }

// LogNonInferiorEValue is log NonInferiorEValue().
func (e *CountEProcess) LogNonInferiorEValue() float64 {
	return e.logMixture(e.cfg.Direction == Decrease)
}

// EValue is the e-value against the null (no worsening beyond the margin);
// reject at level α when EValue ≥ 1/α, at any time.
func (e *CountEProcess) EValue() float64 { return math.Exp(e.LogEValue()) }

// NonInferiorEValue is the e-value against "worse by at least the margin";
// at least 1/α establishes, at any time, that the canary is no worse than
// the margin (an early pass).
func (e *CountEProcess) NonInferiorEValue() float64 { return math.Exp(e.LogNonInferiorEValue()) }

// RatioCS is the always-valid (1−α) confidence sequence on the rate ratio
// canary/baseline, from the grid.
//
// Each grid point θ_c is tested twice at level α/2 with the prior of the
// e-values centred on it: against θ ≤ θ_c (mixing over the grid points
// above it) and against θ ≥ θ_c (over those below). lo is the grid point
// below the smallest θ_c the first test does not reject (0 if that is the
// first point), hi the grid point above the largest θ_c the second does not
// reject (+Inf if the last). Whatever the true θ, the nearest grid point on
// its far side is a true null of its test, so the bounds hold at all times
// with probability at least 1−α, also beyond the grid. Before any event the
// sequence is (0, +Inf). alpha outside (0, 1) gives NaN.
func (e *CountEProcess) RatioCS(alpha float64) (lo, hi float64) {
	if !(alpha > 0 && alpha < 1) {
		return math.NaN(), math.NaN()
	}
	lt, ll := e.grid.logTheta, e.state.LogLik
	n := len(lt)
	logThreshold := math.Log(2 / alpha)
	// In the linear domain, scaled by the largest log-likelihood: the
	// kernel of the prior by distance in grid steps, and exp(ll − max).
	kern, lik := make([]float64, n), make([]float64, n)
	top := slices.Max(ll)
	for i := range n {
		x := (lt[i] - lt[0]) / countPriorScale
		kern[i] = math.Exp(-x * x / 2)
		lik[i] = math.Exp(ll[i] - top)
	}
	// logE is the log e-value against θ = θ_c mixing over the points
	// c+dir, c+2·dir, ... An underflowing sum means every point on that
	// side is far less likely than the best one, which then lies on the
	// other side: the log-likelihood is concave in log θ, so every ratio
	// is below 1 and the test does not reject.
	logE := func(c, dir int) float64 {
		num, den := 0.0, 0.0
		for d := 1; c+dir*d >= 0 && c+dir*d < n; d++ {
			num += kern[d] * lik[c+dir*d]
			den += kern[d]
		}
		if num == 0 || den == 0 {
			return math.Inf(-1)
		}
		return math.Log(num/den) - (ll[c] - top)
	}
	lo, hi = 0, math.Inf(1)
	for c := 0; c < n; c++ {
		if logE(c, 1) < logThreshold {
			if c > 0 {
				lo = math.Exp(lt[c-1])
			}
			break
		}
	}
	for c := n - 1; c >= 0; c-- {
		if logE(c, -1) < logThreshold {
			if c < n-1 {
				hi = math.Exp(lt[c+1])
			}
			break
		}
	}
	return lo, hi
}

// State returns the state to store (a copy).
func (e *CountEProcess) State() CountEProcessState {
	st := e.state
	st.LogLik = append([]float64(nil), st.LogLik...)
	return st
}
