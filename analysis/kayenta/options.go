package kayenta

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/augurhq/augur/analysis"
)

// DefaultScopeName is the scope a metric without scopeName reads.
const DefaultScopeName = "default"

// The usual Kayenta score thresholds, used when neither the options nor
// the config give any (Kayenta itself requires them in the request).
const (
	DefaultPass     = 95
	DefaultMarginal = 75
)

// Options carries what a canary config leaves to Kayenta's execution
// request. Either Baseline and Canary, or Scopes, must say which series
// belong to which cohort; both may be given (the selectors win, the scopes
// still give values and timing).
type Options struct {
	// Name of the spec; default the config's name.
	Name string
	// Baseline and Canary are explicit cohort selectors.
	Baseline, Canary *analysis.Cohort
	// Scopes are the execution request's scopes by scope name (a metric
	// reads the pair named by its scopeName, default "default").
	Scopes map[string]ScopePair
	// Thresholds of the score; nil: see the package documentation.
	Thresholds *analysis.ScoreThreshold
	// Multi-interval analysis: lifetime (overridden by the scopes' end),
	// interval (default and at most lifetime), begin after, lookback (a
	// sliding window; zero: a growing one) and the baseline's offset.
	Lifetime, Interval, BeginAfter, Lookback, BaselineOffset time.Duration
	// Source names the augur source every metric reads (default embedded).
	Source string
	// Unbound, when not empty, is substituted for every variable other
	// than ${scope} that no scope gives a value, instead of refusing the
	// config (${scope} stays the cohort's, given explicit selectors). Check uses it:
	// a stored config is validated before any execution request binds
	// its variables.
	Unbound string
}

// Check validates a canary config on its own, as Kayenta's config store
// does before any execution: everything Convert checks (structure, query
// templates, judgement) except the values of the template variables,
// which only an execution request's scopes give. It returns Convert's
// warnings.
func Check(config []byte) ([]string, error) {
	_, warnings, err := Convert(config, Options{
		Baseline: &analysis.Cohort{Selector: `kayenta_scope="control"`},
		Canary:   &analysis.Cohort{Selector: `kayenta_scope="experiment"`},
		Unbound:  "1",
		Lifetime: time.Hour,
	})
	return warnings, err
}

// ScopePair is one scope of an execution request: where to find the
// control's (baseline's) and the experiment's (canary's) data.
type ScopePair struct {
	Control    Scope `json:"controlScope"`
	Experiment Scope `json:"experimentScope"`
}

// Scope is Kayenta's CanaryScope. Location is also read from "region", the
// name Argo Rollouts and older Kayenta use.
type Scope struct {
	Scope    string `json:"scope"`
	Location string `json:"location,omitempty"`
	// Start and End bound the analysed window (zero: not given).
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Step is the query resolution in seconds (0: not given).
	Step                int64             `json:"step,omitempty"`
	ExtendedScopeParams map[string]string `json:"extendedScopeParams,omitempty"`
}

// UnmarshalJSON reads a scope, accepting region for location and empty
// strings for unset times.
func (s *Scope) UnmarshalJSON(b []byte) error {
	var v struct {
		Scope               string            `json:"scope"`
		Location            string            `json:"location"`
		Region              string            `json:"region"`
		RawStart            json.RawMessage   `json:"start"`
		RawEnd              json.RawMessage   `json:"end"`
		Step                Seconds           `json:"step"`
		ExtendedScopeParams map[string]string `json:"extendedScopeParams"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Location != "" && v.Region != "" && v.Location != v.Region {
		return fmt.Errorf("location %q and region %q disagree", v.Location, v.Region)
	}
	loc := v.Location
	if loc == "" {
		loc = v.Region
	}
	start, err := parseInstant("start", v.RawStart)
	if err != nil {
		return err
	}
	end, err := parseInstant("end", v.RawEnd)
	if err != nil {
		return err
	}
	*s = Scope{Scope: v.Scope, Location: loc, Start: start, End: end, Step: int64(v.Step), ExtendedScopeParams: v.ExtendedScopeParams}
	return nil
}

// Seconds is a whole number of seconds, written as a JSON number or a
// numeric string: real Kayenta configs and Spinnaker stages write a
// scope's step as "60", which Kayenta's own mapper reads as 60.
type Seconds int64

// UnmarshalJSON reads a number or a numeric string of seconds.
func (s *Seconds) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := strconv.ParseInt(strings.Trim(string(b), `"`), 10, 64)
	if err != nil {
		return fmt.Errorf("step must be a whole number of seconds such as 60 or \"60\", got %s", b)
	}
	*s = Seconds(v)
	return nil
}

// parseInstant reads an RFC 3339 time; null, "" and absence are zero.
func parseInstant(field string, raw json.RawMessage) (time.Time, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, fmt.Errorf("%s must be an RFC 3339 time string: %w", field, err)
	}
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time such as 2024-05-01T10:00:00Z", field, s)
	}
	return t.UTC(), nil
}

// bindings are the template variables of one scope as Kayenta binds them:
// the scope's project, resourceType, scope and location, then the query's
// own resourceType, then every extended scope param (which win).
func (s Scope) bindings(queryResourceType string) map[string]string {
	m := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("project", s.ExtendedScopeParams["project"])
	set("resourceType", s.ExtendedScopeParams["resourceType"])
	set("scope", s.Scope)
	set("location", s.Location)
	set("resourceType", queryResourceType)
	for k, v := range s.ExtendedScopeParams {
		m[k] = v
	}
	return m
}
