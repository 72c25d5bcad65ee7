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
	// Sequential holds the primary metric's always-valid test per variant.
	Sequential map[string]*SequentialTrack `json:"sequential,omitempty"`
}

// SequentialTrack is one variant's sequential test.
type SequentialTrack struct {
	State judges.SequentialState `json:"state"`
	// FedUntil is the end (Unix ms) of the data already observed: each
	// interval feeds only what is new.
	FedUntil int64 `json:"fed_until"`
	// Decided is "worse" or "better" once the test stopped.
	Decided string `json:"decided,omitempty"`
}

// sequentialWindows returns the part of the windows not yet observed by
// the variant's sequential test.
func (iv *interval) sequentialWindows(variant string) (tw, rw TimeRange) {
	tw, rw = iv.treatment, iv.reference
	if t := iv.state.Sequential[variant]; t != nil && t.FedUntil > 0 {
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
	if iv.state.Sequential == nil {
		iv.state.Sequential = map[string]*SequentialTrack{}
	}
	track := iv.state.Sequential[variant]
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
	iv.state.Sequential[variant] = track

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
	head := fmt.Sprintf("mean difference %.4g, always-valid %.0f%% CI [%.4g, %.4g], p = %.3g", est, 100*(1-j.Alpha), lo, hi, p)
	switch {
	case seq.Stop(j.Alpha) && harmful:
		track.Decided = "worse"
		r.Classification = judges.High
		if est < 0 {
			r.Classification = judges.Low
		}
		r.Reason = head + ": significantly worse, stop"
	case seq.Stop(j.Alpha):
		track.Decided = "better"
		r.Classification = judges.Pass
		r.Reason = head + ": significantly better, stop"
	default:
		r.Classification = judges.Pass
		r.Reason = head + ": no significant difference yet"
	}
	return r
}
