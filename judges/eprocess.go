package judges

import "errors"

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

// CountEProcessState is the whole state of a count e-process: a fixed
// number of numbers, whatever the run's length (JSON-encodable, stored in
// the run's state).
type CountEProcessState struct {
	// LogLik is the cumulative conditional log-likelihood at each point of
	// the fixed grid of rate ratios.
	LogLik []float64 `json:"ll"`
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
type CountEProcess struct {
	cfg   CountEProcessConfig
	state CountEProcessState
}

// NewCountEProcess starts an e-process.
func NewCountEProcess(cfg CountEProcessConfig) (*CountEProcess, error) {
	return nil, errors.New("count e-process: not implemented")
}

// RestoreCountEProcess continues an e-process from its state.
func RestoreCountEProcess(cfg CountEProcessConfig, st CountEProcessState) (*CountEProcess, error) {
	return nil, errors.New("count e-process: not implemented")
}

// Observe adds one chunk of new data: the events and trials of each cohort
// since the last chunk. A chunk with no events changes nothing but the
// totals; trials must be > 0 in both cohorts when there are events.
func (e *CountEProcess) Observe(canaryEvents, canaryTrials, baselineEvents, baselineTrials float64) error {
	return errors.New("count e-process: not implemented")
}

// EValue is the e-value against the null (no worsening beyond the margin);
// reject at level α when EValue ≥ 1/α, at any time.
func (e *CountEProcess) EValue() float64 { return 1 }

// NonInferiorEValue is the e-value against "worse by at least the margin";
// at least 1/α establishes, at any time, that the canary is no worse than
// the margin (an early pass).
func (e *CountEProcess) NonInferiorEValue() float64 { return 1 }

// RatioCS is the always-valid (1−α) confidence sequence on the rate ratio
// canary/baseline, from the grid.
func (e *CountEProcess) RatioCS(alpha float64) (lo, hi float64) { return 0, 0 }

// State returns the state to store.
func (e *CountEProcess) State() CountEProcessState { return e.state }
