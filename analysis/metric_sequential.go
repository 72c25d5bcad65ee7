package analysis

import (
	"fmt"
	"time"

	"github.com/augurhq/augur/judges"
)

// RunState is what a run carries from one interval to the next; it is
// stored with every interval so a restarted or taken-over run resumes
// exactly.
type RunState struct {
	Failures          int `json:"failures"`
	Inconclusives     int `json:"inconclusives"`
	ConsecutiveErrors int `json:"consecutive_errors"`
	// Tracks holds the sequential judges' state, by variant then metric.
	Tracks map[string]map[string]*SequentialTrack `json:"tracks,omitempty"`
	// Sequential is the primary metric's track per variant, as states
	// stored before Tracks have it: read once, then moved into Tracks.
	Sequential map[string]*SequentialTrack `json:"sequential,omitempty"`
}

// Track decisions (SequentialTrack.Decided).
const (
	DecidedWorse  = "worse"  // a regression is established: the run fails
	DecidedBetter = "better" // the mean is significantly better (mSPRT)
	DecidedPass   = "pass"   // no worse than the margin, established early
)

// SequentialTrack is one metric's sequential test for one variant.
type SequentialTrack struct {
	// State is the mSPRT's (points and samples).
	State judges.SequentialState `json:"state"`
	// Count is the count e-process's (counts with total_query).
	Count *judges.CountEProcessState `json:"count,omitempty"`
	// Canary and Baseline are the cumulative bucket counts by le seen so
	// far (histograms): the windows' new parts, added up.
	Canary   map[string]float64 `json:"canary,omitempty"`
	Baseline map[string]float64 `json:"baseline,omitempty"`
	// FedUntil is the end (Unix ms) of the data already observed: each
	// interval feeds only what is new.
	FedUntil int64 `json:"fed_until"`
	// Decided is worse, better or pass once the test stopped.
	Decided string `json:"decided,omitempty"`
}

// track returns the variant's track of metric m, nil when there is none
// yet; a primary metric's track stored before Tracks is moved into it.
func (st *RunState) track(variant string, m MetricSpec) *SequentialTrack {
	if t := st.Tracks[variant][m.Name]; t != nil {
		return t
	}
	if t := st.Sequential[variant]; t != nil && m.Primary {
		st.setTrack(variant, m.Name, t)
		delete(st.Sequential, variant)
		if len(st.Sequential) == 0 {
			st.Sequential = nil
		}
		return t
	}
	return nil
}

func (st *RunState) setTrack(variant, metric string, t *SequentialTrack) {
	if st.Tracks == nil {
		st.Tracks = map[string]map[string]*SequentialTrack{}
	}
	if st.Tracks[variant] == nil {
		st.Tracks[variant] = map[string]*SequentialTrack{}
	}
	st.Tracks[variant][metric] = t
}

// sequentialWindows returns the windows a sequential judge reads. Counts
// and histograms are read whole, from the run's start to this look's end
// (cumulative counts; each look feeds the difference from what the track
// has seen), so that no increment is lost between looks however short the
// interval; the mSPRT on points reads only the part of the windows it has
// not yet observed.
func (iv *interval) sequentialWindows(variant string, m MetricSpec) (tw, rw TimeRange) {
	tw, rw = iv.treatment, iv.reference
	if m.Kind == KindCounts || m.Kind == KindHistogram {
		if !iv.begin.IsZero() && iv.begin.Before(tw.Start) {
			offset := tw.End.Sub(rw.End)
			tw.Start, rw.Start = iv.begin, iv.begin.Add(-offset)
		}
		return tw, rw
	}
	if t := iv.state.track(variant, m); t != nil && t.FedUntil > 0 {
		from := time.UnixMilli(t.FedUntil + 1).UTC()
		if from.After(tw.Start) {
			shift := from.Sub(tw.Start)
			tw.Start, rw.Start = from, rw.Start.Add(shift)
		}
	}
	return tw, rw
}

// sequential feeds the new data to the variant's mSPRT and classifies: High
// or Low once the always-valid p-value is at most α with the mean moving
// the harmful way, Pass otherwise (better, or no difference so far).
func (iv *interval) sequential(r MetricResult, m MetricSpec, variant string, tw TimeRange, canary, baseline []float64) MetricResult {
	j := m.Judge
	if j.Alpha == 0 { // the metric's share of the run's false-fail budget
		j.Alpha = iv.spec.sequentialAlpha(m)
	}
	track := iv.state.track(variant, m)
	cfg := judges.SequentialConfig{Tau2: j.Tau2}
	var seq *judges.Sequential
	var err error
	if track == nil {
		track = &SequentialTrack{}
		seq, err = judges.NewSequential(cfg)
	} else {
		seq, err = judges.RestoreSequential(cfg, track.State)
	}
	if err == nil && track.Decided == "" {
		err = seq.Observe(canary, baseline)
	}
	if err != nil {
		r.Classification, r.Reason = judges.Error, err.Error()
		return r
	}
	if track.Decided == "" {
		track.FedUntil = tw.End.UnixMilli()
	}
	track.State = seq.State()
	iv.state.setTrack(variant, m.Name, track)

	p, est := seq.PValue(), seq.Estimate()
	lo, hi := seq.CI(j.Alpha)
	r.PValue, r.Shift, r.CILow, r.CIHigh = num(p), num(est), num(lo), num(hi)
	r.Confidence = num(1 - j.Alpha)
	st := track.State
	if st.Canary.N < 2 || st.Baseline.N < 2 {
		r.Classification = judges.NoData
		r.Reason = fmt.Sprintf("too little data for the sequential test (%s %g, control %g observations)", variant, st.Canary.N, st.Baseline.N)
		return r
	}
	harmful := (j.Direction == judges.Increase && est > 0) || (j.Direction == judges.Decrease && est < 0) || j.Direction == judges.Either
	head := fmt.Sprintf("mean difference %.4g, always-valid %s CI [%.4g, %.4g], p = %.3g (α %.3g)", est, judges.FormatConfidence(1-j.Alpha), lo, hi, p, j.Alpha)
	switch {
	case seq.Stop(j.Alpha) && harmful:
		track.Decided = DecidedWorse
		r.Classification = judges.High
		if est < 0 {
			r.Classification = judges.Low
		}
		r.Reason = head + ": significantly worse, stop"
	case seq.Stop(j.Alpha):
		track.Decided = DecidedBetter
		r.Classification = judges.Pass
		r.Reason = head + ": significantly better, stop"
	default:
		r.Classification = judges.Pass
		r.Reason = head + ": no significant difference yet"
	}
	return r
}

// validateSequential checks what the sequential judge needs of each kind:
// counts a total_query and a direction of increase or decrease; histograms
// the direction increase; a relative margin (counts, histograms), and none
// on points and samples (the mSPRT tests any difference of means).
func (s Spec) validateSequential(add func(sub, format string, a ...any), m MetricSpec) {
	j := m.Judge
	switch m.Kind {
	case KindCounts:
		if m.TotalQuery == "" {
			add("total_query", "the sequential judge on counts needs total_query (the trials; query counts the events)")
		}
		if j.Direction == judges.Either {
			add("judge.direction", "the sequential judge on counts tests one direction: increase or decrease, got %q", j.Direction)
		}
		if j.Direction == judges.Decrease && j.Margin != nil && j.Margin.Value >= 1 {
			add("judge.margin", "a decrease margin must be under 100%%, got %s", j.Margin)
		}
	case KindHistogram:
		if j.Direction != judges.Increase {
			add("judge.direction", "the sequential judge on histograms judges an increase of the quantiles: direction must be increase, got %q", j.Direction)
		}
		for k, q := range j.Quantiles {
			if !(q > 0 && q < 1) {
				add(fmt.Sprintf("judge.quantiles[%d]", k), "must be within (0, 1), got %g", q)
			}
		}
	default:
		if j.Margin != nil {
			add("judge.margin", "the sequential judge on %s data (the mSPRT) takes no margin", m.Kind)
		}
	}
	if j.Margin != nil && j.Margin.Absolute {
		add("judge.margin", "the sequential judge takes a relative margin such as 5%%, got %s", j.Margin)
	}
}
