package kayenta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/augurhq/augur/analysis"
)

// isoDuration is the ISO 8601 duration Spinnaker's canary stage writes for
// lifetimeDuration (PT1H30M, P1DT2H).
var isoDuration = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// ImportRequest is the body of POST /api/v1/import/kayenta: a canary config
// and what Kayenta's execution request would carry. Timing fields take
// Kayenta's standalone names and Spinnaker canary stage's aliases.
type ImportRequest struct {
	CanaryConfig json.RawMessage `json:"canaryConfig"`
	// Name of the spec (default the config's name).
	Name     string           `json:"name,omitempty"`
	Baseline *analysis.Cohort `json:"baseline,omitempty"`
	Canary   *analysis.Cohort `json:"canary,omitempty"`
	// Scopes as in Kayenta's and Argo Rollouts' execution request, an
	// object by scope name, or as in Kayenta's standalone analysis, a list.
	Scopes     Scopes                   `json:"scopes,omitempty"`
	Thresholds *analysis.ScoreThreshold `json:"thresholds,omitempty"`
	Source     string                   `json:"source,omitempty"`

	LifetimeDuration             string   `json:"lifetimeDuration,omitempty"`
	LifetimeDurationMins         *Minutes `json:"lifetimeDurationMins,omitempty"`
	AnalysisIntervalMins         *Minutes `json:"analysisIntervalMins,omitempty"`
	CanaryAnalysisIntervalMins   *Minutes `json:"canaryAnalysisIntervalMins,omitempty"`
	BeginAfterMins               *Minutes `json:"beginAfterMins,omitempty"`
	BeginCanaryAnalysisAfterMins *Minutes `json:"beginCanaryAnalysisAfterMins,omitempty"`
	LookbackMins                 *Minutes `json:"lookbackMins,omitempty"`
	BaselineAnalysisOffsetInMins *Minutes `json:"baselineAnalysisOffsetInMins,omitempty"`
}

// DecodeImportRequest reads a request body strictly (unknown fields are
// errors; the canary config itself is checked by Convert).
func DecodeImportRequest(r io.Reader) (ImportRequest, error) {
	var req ImportRequest
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("import request: %w", err)
	}
	if dec.More() {
		return req, errors.New("import request: more than one JSON value")
	}
	return req, nil
}

// Spec converts the request's canary config with the request's options.
func (r ImportRequest) Spec() (analysis.Spec, []string, error) {
	if len(bytes.TrimSpace(r.CanaryConfig)) == 0 || string(r.CanaryConfig) == "null" {
		return analysis.Spec{}, nil, errors.New("import request: canaryConfig is required")
	}
	opts, err := r.Options()
	if err != nil {
		return analysis.Spec{}, nil, err
	}
	return Convert(r.CanaryConfig, opts)
}

// Options are the conversion options the request carries.
func (r ImportRequest) Options() (Options, error) {
	o := Options{Name: r.Name, Baseline: r.Baseline, Canary: r.Canary, Scopes: r.Scopes,
		Thresholds: r.Thresholds, Source: r.Source}
	var err error
	if r.LifetimeDuration != "" {
		if o.Lifetime, err = parseISODuration(r.LifetimeDuration); err != nil {
			return o, fmt.Errorf("import request: lifetimeDuration: %w", err)
		}
	}
	fields := []struct {
		dst          *time.Duration
		names        string
		first, alias *Minutes
	}{
		{&o.Lifetime, "lifetimeDuration and lifetimeDurationMins", r.LifetimeDurationMins, nil},
		{&o.Interval, "analysisIntervalMins and canaryAnalysisIntervalMins", r.AnalysisIntervalMins, r.CanaryAnalysisIntervalMins},
		{&o.BeginAfter, "beginAfterMins and beginCanaryAnalysisAfterMins", r.BeginAfterMins, r.BeginCanaryAnalysisAfterMins},
		{&o.Lookback, "lookbackMins", r.LookbackMins, nil},
		{&o.BaselineOffset, "baselineAnalysisOffsetInMins", r.BaselineAnalysisOffsetInMins, nil},
	}
	for _, f := range fields {
		for _, m := range []*Minutes{f.first, f.alias} {
			if m == nil {
				continue
			}
			if *f.dst != 0 && *f.dst != m.Duration() {
				return o, fmt.Errorf("import request: %s disagree", f.names)
			}
			*f.dst = m.Duration()
		}
	}
	return o, nil
}

// Minutes is a number of minutes, written as a JSON number or a numeric
// string (Spinnaker's stage stores strings).
type Minutes float64

// UnmarshalJSON reads a number or a numeric string of minutes.
func (m *Minutes) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v >= 0) || v > float64(maxMinutes) {
		return fmt.Errorf("minutes must be a non-negative number, at most %d (a year), got %s", maxMinutes, b)
	}
	*m = Minutes(v)
	return nil
}

// maxMinutes is analysis.MaxTimingSpan in minutes: no timing of a spec may
// be longer.
const maxMinutes = int64(analysis.MaxTimingSpan / time.Minute)

// Duration is m as a time.Duration, to the millisecond (a spec's
// resolution).
func (m Minutes) Duration() time.Duration { return toMillis(float64(m) * float64(time.Minute)) }

// toMillis rounds a number of nanoseconds to whole milliseconds.
func toMillis(ns float64) time.Duration {
	return time.Duration(math.Round(ns/float64(time.Millisecond))) * time.Millisecond
}

// parseISODuration reads days, hours, minutes and seconds of an ISO 8601
// duration.
func parseISODuration(s string) (time.Duration, error) {
	p := isoDuration.FindStringSubmatch(s)
	if p == nil || s == "P" || strings.HasSuffix(s, "T") {
		return 0, fmt.Errorf("%q is not an ISO 8601 duration such as PT1H30M", s)
	}
	var ns float64
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if p[i+1] == "" {
			continue
		}
		v, _ := strconv.ParseFloat(p[i+1], 64)
		ns += v * float64(unit)
	}
	if ns > float64(analysis.MaxTimingSpan) {
		return 0, fmt.Errorf("%q is longer than a year, the longest timing a spec may have", s)
	}
	return toMillis(ns), nil
}

// Scopes are execution request scopes by scope name.
type Scopes map[string]ScopePair

// UnmarshalJSON reads {"name": {"controlScope": .., "experimentScope": ..}}
// or the standalone analysis' list of scopes.
func (s *Scopes) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '[' {
		var m map[string]ScopePair
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		*s = m
		return nil
	}
	var list []standaloneScope
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	out := Scopes{}
	for i, l := range list {
		name := l.ScopeName
		if name == "" {
			name = DefaultScopeName
		}
		if _, dup := out[name]; dup {
			return fmt.Errorf("scopes[%d]: scope %q given twice", i, name)
		}
		p, err := l.pair()
		if err != nil {
			return fmt.Errorf("scopes[%d]: %w", i, err)
		}
		out[name] = p
	}
	*s = out
	return nil
}

// standaloneScope is CanaryAnalysisExecutionRequestScope.
type standaloneScope struct {
	ScopeName              string            `json:"scopeName"`
	ControlScope           string            `json:"controlScope"`
	ControlLocation        string            `json:"controlLocation"`
	ControlOffsetInMinutes Minutes           `json:"controlOffsetInMinutes"`
	ExperimentScope        string            `json:"experimentScope"`
	ExperimentLocation     string            `json:"experimentLocation"`
	StartTimeIso           string            `json:"startTimeIso"`
	EndTimeIso             string            `json:"endTimeIso"`
	Step                   Seconds           `json:"step"`
	ExtendedScopeParams    map[string]string `json:"extendedScopeParams"`
}

// pair converts the scope: the control's window is the experiment's moved
// back by controlOffsetInMinutes.
func (l standaloneScope) pair() (ScopePair, error) {
	start, err := parseInstant("startTimeIso", json.RawMessage(strconv.Quote(l.StartTimeIso)))
	if err != nil {
		return ScopePair{}, err
	}
	end, err := parseInstant("endTimeIso", json.RawMessage(strconv.Quote(l.EndTimeIso)))
	if err != nil {
		return ScopePair{}, err
	}
	exp := Scope{Scope: l.ExperimentScope, Location: l.ExperimentLocation, Start: start, End: end, Step: int64(l.Step), ExtendedScopeParams: l.ExtendedScopeParams}
	ctl := exp
	ctl.Scope, ctl.Location = l.ControlScope, l.ControlLocation
	if off := l.ControlOffsetInMinutes.Duration(); off > 0 {
		if start.IsZero() {
			return ScopePair{}, errors.New("controlOffsetInMinutes needs startTimeIso")
		}
		ctl.Start = start.Add(-off)
		if !end.IsZero() {
			ctl.End = end.Add(-off)
		}
	}
	return ScopePair{Control: ctl, Experiment: exp}, nil
}
