package kayenta

import (
	"errors"
	"fmt"
	"time"

	"github.com/augurhq/augur/analysis"
)

// timing derives the spec's timing and step from the options and the
// scope pairs the imported metrics read.
//
// The experiment scope's start becomes timing.start and its end − start the
// lifetime (the scopes' end takes precedence over a lifetime, as in
// Kayenta's standalone analysis); a control start before the experiment's
// is the baseline offset; the scopes' step (seconds) is the spec's step.
// The interval defaults to the lifetime and is cut to it when longer, as
// Kayenta does.
func (d *decoder) timing(opts Options, pairs []ScopePair) (analysis.Timing, analysis.Duration, error) {
	t := analysis.Timing{
		Lifetime:       analysis.Duration(opts.Lifetime),
		Interval:       analysis.Duration(opts.Interval),
		BeginAfter:     analysis.Duration(opts.BeginAfter),
		Lookback:       analysis.Duration(opts.Lookback),
		BaselineOffset: analysis.Duration(opts.BaselineOffset),
	}
	var step analysis.Duration
	if len(pairs) > 0 {
		p := pairs[0]
		for _, q := range pairs[1:] {
			if !sameWindow(p, q) {
				return t, 0, errors.New("scopes: the metrics read scopes with different start, end or step; augur judges one window for all")
			}
		}
		var err error
		if step, err = d.step(p); err != nil {
			return t, 0, err
		}
		if err := d.window(opts, p, &t); err != nil {
			return t, 0, err
		}
	}
	if t.Lifetime > 0 && t.Interval > t.Lifetime {
		d.warn("interval %s: longer than the lifetime %s; cut to it, as Kayenta does", t.Interval, t.Lifetime)
		t.Interval = t.Lifetime
	}
	return t, step, nil
}

// step is the pair's query resolution.
func (d *decoder) step(p ScopePair) (analysis.Duration, error) {
	s := p.Experiment.Step
	if s == 0 {
		s = p.Control.Step
	}
	if s < 0 || s > int64(analysis.MaxTimingSpan/time.Second) {
		return 0, fmt.Errorf("scopes: step %d: must be a positive number of seconds, at most %d (a year)", s, int64(analysis.MaxTimingSpan/time.Second))
	}
	if p.Control.Step != 0 && p.Experiment.Step != 0 && p.Control.Step != p.Experiment.Step {
		d.warn("scopes: controlScope.step %d differs from experimentScope.step %d; using the experiment's", p.Control.Step, p.Experiment.Step)
	}
	return analysis.Duration(time.Duration(s) * time.Second), nil
}

// window sets the start, lifetime and baseline offset from the pair.
func (d *decoder) window(opts Options, p ScopePair, t *analysis.Timing) error {
	exp, ctl := p.Experiment, p.Control
	if exp.Start.IsZero() {
		if !exp.End.IsZero() || !ctl.Start.IsZero() {
			return errors.New("scopes: experimentScope.start is required with an end or a control start")
		}
		return nil
	}
	start := exp.Start
	t.Start = &analysis.StartTime{At: &start}
	if !exp.End.IsZero() {
		if !exp.End.After(exp.Start) {
			return fmt.Errorf("scopes: experimentScope.end %s is not after its start %s", stamp(exp.End), stamp(exp.Start))
		}
		life := exp.End.Sub(exp.Start).Round(time.Millisecond)
		if opts.Lifetime != 0 && opts.Lifetime != life {
			d.warn("lifetime %s: the scopes' start and end give %s, which takes precedence", analysis.Duration(opts.Lifetime), analysis.Duration(life))
		}
		t.Lifetime = analysis.Duration(life)
	}
	if ctl.Start.IsZero() || ctl.Start.Equal(exp.Start) {
		return nil
	}
	off := exp.Start.Sub(ctl.Start).Round(time.Millisecond)
	if off < 0 {
		return fmt.Errorf("scopes: controlScope.start %s is after experimentScope.start %s; augur can only shift the baseline back", stamp(ctl.Start), stamp(exp.Start))
	}
	if opts.BaselineOffset != 0 && opts.BaselineOffset != off {
		return fmt.Errorf("scopes: the control starts %s before the experiment, but the baseline offset is %s", analysis.Duration(off), analysis.Duration(opts.BaselineOffset))
	}
	if !ctl.End.IsZero() && !exp.End.IsZero() && ctl.End.Sub(ctl.Start) != exp.End.Sub(exp.Start) {
		return errors.New("scopes: the control and experiment windows differ in length")
	}
	t.BaselineOffset = analysis.Duration(off)
	return nil
}

func sameWindow(a, b ScopePair) bool {
	same := func(x, y Scope) bool { return x.Start.Equal(y.Start) && x.End.Equal(y.End) && x.Step == y.Step }
	return same(a.Control, b.Control) && same(a.Experiment, b.Experiment)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
