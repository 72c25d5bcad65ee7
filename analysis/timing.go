package analysis

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Timing says when intervals are judged, with Kayenta's semantics: the
// analysis starts at Start (default: when the run starts) plus BeginAfter;
// interval i (1-based) ends at start + BeginAfter + i·Interval and is
// judged over a window growing from start + BeginAfter, or over the last
// Lookback when Lookback is set. The baseline's window is shifted back by
// BaselineOffset. Lifetime / Interval intervals are judged (or
// limits.count); Delay waits after each interval's end for late data.
type Timing struct {
	Start          *StartTime `yaml:"start,omitempty" json:"start,omitempty"`
	Lifetime       Duration   `yaml:"lifetime,omitempty" json:"lifetime,omitempty"`
	Interval       Duration   `yaml:"interval,omitempty" json:"interval,omitempty"`
	Lookback       Duration   `yaml:"lookback,omitempty" json:"lookback,omitempty"`
	BeginAfter     Duration   `yaml:"begin_after,omitempty" json:"begin_after,omitempty"`
	BaselineOffset Duration   `yaml:"baseline_offset,omitempty" json:"baseline_offset,omitempty"`
	Delay          Duration   `yaml:"delay,omitempty" json:"delay,omitempty"`
}

// Limits are Argo Rollouts' analysis limits over interval outcomes. The run
// fails when more than FailureLimit intervals failed, ends inconclusive when
// more than InconclusiveLimit were inconclusive or marginal, and ends in
// error after more than ConsecutiveErrorLimit errors in a row. A critical
// metric's failure stops the run at once.
type Limits struct {
	// Count is the number of intervals (default lifetime / interval).
	Count        int `yaml:"count,omitempty" json:"count,omitempty"`
	FailureLimit int `yaml:"failure_limit,omitempty" json:"failure_limit,omitempty"`
	// InconclusiveLimit: unset means no limit (only the last interval
	// decides, as in Kayenta).
	InconclusiveLimit *int `yaml:"inconclusive_limit,omitempty" json:"inconclusive_limit,omitempty"`
	// ConsecutiveErrorLimit defaults to 4, as in Argo Rollouts.
	ConsecutiveErrorLimit *int `yaml:"consecutive_error_limit,omitempty" json:"consecutive_error_limit,omitempty"`
}

// DefaultConsecutiveErrorLimit is Argo Rollouts' default.
const DefaultConsecutiveErrorLimit = 4

func (t *Timing) setDefaults() {
	if t.Interval == 0 && t.Lifetime > 0 {
		t.Interval = t.Lifetime
	}
}

func (l *Limits) setDefaults() {
	if l.ConsecutiveErrorLimit == nil {
		n := DefaultConsecutiveErrorLimit
		l.ConsecutiveErrorLimit = &n
	}
}

// StartTime is an absolute RFC 3339 time, or a negative duration relative
// to the run's start ("-1h": judge the last hour at once).
type StartTime struct {
	At       *time.Time
	Relative time.Duration
}

func (s *StartTime) parse(v string) error {
	if strings.HasPrefix(v, "-") {
		var d Duration
		if err := d.parse(strings.TrimPrefix(v, "-")); err != nil {
			return err
		}
		s.At, s.Relative = nil, -time.Duration(d)
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("invalid start %q: want an RFC 3339 time or a negative duration such as -1h", v)
	}
	t = t.UTC()
	s.At, s.Relative = &t, 0
	return nil
}

func (s StartTime) String() string {
	if s.At != nil {
		return s.At.UTC().Format(time.RFC3339Nano)
	}
	return "-" + Duration(-s.Relative).String()
}

// UnmarshalYAML parses the start.
func (s *StartTime) UnmarshalYAML(n *yaml.Node) error {
	var v string
	if err := n.Decode(&v); err != nil {
		return fmt.Errorf("line %d: start must be a string", n.Line)
	}
	if err := s.parse(v); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// UnmarshalJSON parses the start.
func (s *StartTime) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("start must be a string: %w", err)
	}
	return s.parse(v)
}

// MarshalJSON writes the start as given.
func (s StartTime) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML writes the start as given.
func (s StartTime) MarshalYAML() (any, error) { return s.String(), nil }

// Schedule is a spec's timing resolved against a run's start.
type Schedule struct {
	Begin          time.Time // analysis start: start + begin_after
	Count          int
	Interval       time.Duration
	Lookback       time.Duration
	BaselineOffset time.Duration
	Delay          time.Duration
}

// Schedule resolves the timing for a run started at runStart.
func (s Spec) Schedule(runStart time.Time) Schedule {
	t := s.Timing
	start := runStart
	if t.Start != nil {
		if t.Start.At != nil {
			start = *t.Start.At
		} else {
			start = runStart.Add(t.Start.Relative)
		}
	}
	return Schedule{
		Begin:          start.Add(time.Duration(t.BeginAfter)).UTC(),
		Count:          s.IntervalCount(),
		Interval:       time.Duration(t.Interval),
		Lookback:       time.Duration(t.Lookback),
		BaselineOffset: time.Duration(t.BaselineOffset),
		Delay:          time.Duration(t.Delay),
	}
}

// IntervalCount is limits.count, or lifetime / interval (at least 1).
func (s Spec) IntervalCount() int {
	if s.Limits.Count > 0 {
		return s.Limits.Count
	}
	if s.Timing.Interval <= 0 {
		return 1
	}
	return max(1, int(s.Timing.Lifetime/s.Timing.Interval))
}

// Window returns interval i's (0-based) windows for the treatment and the
// reference, and when it comes due. A valid spec's schedule stays years
// within time.Duration; one that does not (stored before its bounds)
// saturates rather than wrapping around.
func (sc Schedule) Window(i int) (treatment, reference TimeRange, due time.Time) {
	end := sc.Begin.Add(mulDuration(i+1, sc.Interval))
	start := sc.Begin
	if sc.Lookback > 0 && end.Add(-sc.Lookback).After(start) {
		start = end.Add(-sc.Lookback)
	}
	treatment = TimeRange{Start: start, End: end}
	reference = TimeRange{Start: start.Add(-sc.BaselineOffset), End: end.Add(-sc.BaselineOffset)}
	return treatment, reference, end.Add(sc.Delay)
}

// mulDuration is n·d, saturated at the largest time.Duration.
func mulDuration(n int, d time.Duration) time.Duration {
	if d > 0 && int64(n) > math.MaxInt64/int64(d) {
		return math.MaxInt64
	}
	return time.Duration(n) * d
}
