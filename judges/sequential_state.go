package judges

import (
	"fmt"
	"math"
)

// SequentialState is everything a Sequential test carries between looks,
// so a long-running experiment can store it and resume after a restart.
type SequentialState struct {
	Tau2 float64 `json:"tau2"`
	// Canary and Baseline are the pooled counts, means and sums of squared
	// deviations so far.
	Canary   SequentialMoments `json:"canary"`
	Baseline SequentialMoments `json:"baseline"`
	// P is the always-valid p-value so far.
	P float64 `json:"p"`
	// Looks holds (estimate, variance) of every look that defined Λ, for
	// the always-valid interval.
	Looks [][2]float64 `json:"looks,omitempty"`
}

// SequentialMoments are a cohort's running moments.
type SequentialMoments struct {
	N    float64 `json:"n"`
	Mean float64 `json:"mean"`
	M2   float64 `json:"m2"`
}

// State returns the test's state.
func (s *Sequential) State() SequentialState {
	st := SequentialState{
		Tau2:     s.tau2,
		Canary:   SequentialMoments{N: s.c.n, Mean: s.c.mean, M2: s.c.s},
		Baseline: SequentialMoments{N: s.b.n, Mean: s.b.mean, M2: s.b.s},
		P:        s.p,
	}
	for _, h := range s.hist {
		st.Looks = append(st.Looks, [2]float64{h.est, h.v})
	}
	return st
}

// RestoreSequential returns a test configured by cfg that continues from st.
func RestoreSequential(cfg SequentialConfig, st SequentialState) (*Sequential, error) {
	s, err := NewSequential(cfg)
	if err != nil {
		return nil, err
	}
	if !(st.P > 0 && st.P <= 1) || st.Canary.N < 0 || st.Baseline.N < 0 || !(st.Tau2 >= 0) || math.IsInf(st.Tau2, 0) {
		return nil, fmt.Errorf("judges: invalid sequential state (p %v, n %v/%v, tau2 %v)", st.P, st.Canary.N, st.Baseline.N, st.Tau2)
	}
	s.tau2 = st.Tau2
	s.c = seqRunning{n: st.Canary.N, mean: st.Canary.Mean, s: st.Canary.M2}
	s.b = seqRunning{n: st.Baseline.N, mean: st.Baseline.Mean, s: st.Baseline.M2}
	s.p = st.P
	for _, l := range st.Looks {
		s.hist = append(s.hist, seqPoint{est: l[0], v: l[1]})
	}
	return s, nil
}
