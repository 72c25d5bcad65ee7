package route

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Config is the routing configuration: the tree every message enters at
// its root, the inhibition rules and the named time intervals routes mute
// or activate on. Its YAML keys and meanings are Alertmanager's.
type Config struct {
	// Route is the root of the tree. Nil routes nothing.
	Route *RouteConfig `yaml:"route,omitempty"`
	// InhibitRules suppress messages while others fire.
	InhibitRules []InhibitRule `yaml:"inhibit_rules,omitempty"`
	// TimeIntervals are named sets of times, referenced by routes.
	TimeIntervals []NamedTimeInterval `yaml:"time_intervals,omitempty"`
}

// RouteConfig is one node of the tree. Unset fields are inherited from the
// parent (the root inherits Defaults()), except matchers, continue, routes
// and the time intervals, which belong to the node alone.
type RouteConfig struct {
	// Receiver is the name of the receiver matching messages go to.
	Receiver string `yaml:"receiver,omitempty"`
	// Matchers a message's labels must all satisfy: a="b", a!="b",
	// a=~"re", a!~"re" (regexes are anchored). The root has none.
	Matchers []string `yaml:"matchers,omitempty"`
	// GroupBy are the labels messages are grouped by; ["..."] groups by
	// every label; [] (set, empty) puts all messages in one group.
	GroupBy []string `yaml:"group_by,omitempty"`
	// GroupWait is how long a new group waits for more messages before
	// its first notification (default 30s).
	GroupWait string `yaml:"group_wait,omitempty"`
	// GroupInterval is how long a group waits before notifying about
	// changes (default 5m).
	GroupInterval string `yaml:"group_interval,omitempty"`
	// RepeatInterval is how long a group that did not change and still
	// fires waits before notifying again (default 4h).
	RepeatInterval string `yaml:"repeat_interval,omitempty"`
	// Continue lets a message that matched this node go on matching its
	// next siblings.
	Continue bool `yaml:"continue,omitempty"`
	// MuteTimeIntervals name the time intervals this node sends nothing in.
	MuteTimeIntervals []string `yaml:"mute_time_intervals,omitempty"`
	// ActiveTimeIntervals name the only time intervals this node sends in
	// (empty: always).
	ActiveTimeIntervals []string `yaml:"active_time_intervals,omitempty"`
	// Routes are the children, tried in order.
	Routes []*RouteConfig `yaml:"routes,omitempty"`
}

// InhibitRule suppresses a message matching TargetMatchers while a firing
// message matching SourceMatchers has the same values for the Equal labels
// (a label both lack counts as equal).
type InhibitRule struct {
	SourceMatchers []string `yaml:"source_matchers,omitempty"`
	TargetMatchers []string `yaml:"target_matchers,omitempty"`
	Equal          []string `yaml:"equal,omitempty"`
}

// NamedTimeInterval is a named list of time intervals; a time is in it when
// it is in any of them.
type NamedTimeInterval struct {
	Name          string         `yaml:"name"`
	TimeIntervals []TimeInterval `yaml:"time_intervals"`
}

// TimeInterval is a set of times: a time is in it when it satisfies every
// field that is set. Ranges are inclusive, "start:end", except times,
// which are [start_time, end_time) in minutes of the day.
type TimeInterval struct {
	Times []TimeRange `yaml:"times,omitempty"`
	// Weekdays: "monday", "monday:friday".
	Weekdays []string `yaml:"weekdays,omitempty"`
	// DaysOfMonth: "1", "1:5", "-1" (the last day), "-7:-1".
	DaysOfMonth []string `yaml:"days_of_month,omitempty"`
	// Months: "january", "1:3", "june:august".
	Months []string `yaml:"months,omitempty"`
	// Years: "2026", "2026:2028".
	Years []string `yaml:"years,omitempty"`
	// Location is the IANA time zone the fields are read in (default UTC;
	// "Local" is the server's zone).
	Location string `yaml:"location,omitempty"`
}

// TimeRange is a range of minutes of a day, "HH:MM" to "HH:MM" (end
// exclusive, "24:00" allowed).
type TimeRange struct {
	StartTime string `yaml:"start_time"`
	EndTime   string `yaml:"end_time"`
}

// Options are a route's effective settings after inheritance.
type Options struct {
	Receiver string
	// GroupBy is sorted; nil with GroupByAll false groups everything
	// together.
	GroupBy             []string
	GroupByAll          bool
	GroupWait           time.Duration
	GroupInterval       time.Duration
	RepeatInterval      time.Duration
	MuteTimeIntervals   []string
	ActiveTimeIntervals []string
}

// Defaults are the settings the root route inherits: group_wait 30s,
// group_interval 5m, repeat_interval 4h, no grouping labels.
func Defaults() Options {
	return Options{
		GroupWait:      30 * time.Second,
		GroupInterval:  5 * time.Minute,
		RepeatInterval: 4 * time.Hour,
	}
}

// DefaultConfig is the routing configuration when none is given: no
// route, so nothing is routed.
func DefaultConfig() Config { return Config{} }

// Parse reads a routing configuration strictly: an unknown key is an
// error. It does not validate; call Validate.
func Parse(data []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("route: parse: %w", err)
	}
	return c, nil
}

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Validate checks the configuration against the names of the configured
// receivers and returns every problem found, each naming its field by path
// (route.routes[1].matchers[0]) and the bad value.
func (c Config) Validate(receivers []string) error {
	v := &validator{receivers: map[string]bool{}, intervals: map[string]bool{}}
	for _, r := range receivers {
		v.receivers[r] = true
	}
	for i, ti := range c.TimeIntervals {
		p := fmt.Sprintf("time_intervals[%d]", i)
		switch {
		case ti.Name == "":
			v.addf("%s.name: must be set", p)
		case v.intervals[ti.Name]:
			v.addf("%s.name: %q is defined twice", p, ti.Name)
		}
		v.intervals[ti.Name] = true
		for j, t := range ti.TimeIntervals {
			if _, err := compileInterval(t, fmt.Sprintf("%s.time_intervals[%d]", p, j)); err != nil {
				v.errs = append(v.errs, err)
			}
		}
	}
	if c.Route != nil {
		v.root(c.Route)
	}
	for i, r := range c.InhibitRules {
		p := fmt.Sprintf("inhibit_rules[%d]", i)
		for j, m := range r.SourceMatchers {
			v.matcher(fmt.Sprintf("%s.source_matchers[%d]", p, j), m)
		}
		for j, m := range r.TargetMatchers {
			v.matcher(fmt.Sprintf("%s.target_matchers[%d]", p, j), m)
		}
		if len(r.TargetMatchers) == 0 {
			v.addf("%s.target_matchers: must be set (an empty list would inhibit every message)", p)
		}
		for j, l := range r.Equal {
			if !labelNameRE.MatchString(l) {
				v.addf("%s.equal[%d]: %q is not a label name", p, j, l)
			}
		}
	}
	return errors.Join(v.errs...)
}

type validator struct {
	receivers map[string]bool
	intervals map[string]bool
	errs      []error
}

func (v *validator) addf(format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("route: "+format, args...))
}

func (v *validator) matcher(path, s string) {
	if _, err := ParseMatchers(s); err != nil {
		v.addf("%s: %q: %v", path, s, err)
	}
}

func (v *validator) root(r *RouteConfig) {
	const p = "route"
	if r.Receiver == "" {
		v.addf("%s.receiver: must be set on the root route", p)
	}
	if len(r.Matchers) > 0 {
		v.addf("%s.matchers: the root route matches every message and takes no matchers", p)
	}
	if r.Continue {
		v.addf("%s.continue: the root route has no siblings", p)
	}
	if len(r.MuteTimeIntervals) > 0 {
		v.addf("%s.mute_time_intervals: the root route cannot be muted", p)
	}
	if len(r.ActiveTimeIntervals) > 0 {
		v.addf("%s.active_time_intervals: the root route is always active", p)
	}
	v.node(p, r)
}

func (v *validator) node(p string, r *RouteConfig) {
	if r.Receiver != "" && !v.receivers[r.Receiver] {
		v.addf("%s.receiver: unknown receiver %q", p, r.Receiver)
	}
	for i, m := range r.Matchers {
		v.matcher(fmt.Sprintf("%s.matchers[%d]", p, i), m)
	}
	seen := map[string]bool{}
	for i, l := range r.GroupBy {
		switch {
		case l == "...":
			if len(r.GroupBy) > 1 {
				v.addf("%s.group_by[%d]: \"...\" groups by every label and must be alone", p, i)
			}
		case !labelNameRE.MatchString(l):
			v.addf("%s.group_by[%d]: %q is not a label name", p, i, l)
		case seen[l]:
			v.addf("%s.group_by[%d]: %q is listed twice", p, i, l)
		}
		seen[l] = true
	}
	v.duration(p+".group_wait", r.GroupWait, true)
	v.duration(p+".group_interval", r.GroupInterval, false)
	v.duration(p+".repeat_interval", r.RepeatInterval, false)
	for i, n := range r.MuteTimeIntervals {
		if !v.intervals[n] {
			v.addf("%s.mute_time_intervals[%d]: unknown time interval %q", p, i, n)
		}
	}
	for i, n := range r.ActiveTimeIntervals {
		if !v.intervals[n] {
			v.addf("%s.active_time_intervals[%d]: unknown time interval %q", p, i, n)
		}
	}
	for i, c := range r.Routes {
		if c == nil {
			v.addf("%s.routes[%d]: empty route", p, i)
			continue
		}
		v.node(fmt.Sprintf("%s.routes[%d]", p, i), c)
	}
}

func (v *validator) duration(path, s string, zeroOK bool) {
	if s == "" {
		return
	}
	if _, err := parseDuration(s, zeroOK); err != nil {
		v.addf("%s: %v", path, err)
	}
}

// parseDuration reads a Prometheus duration ("30s", "1h30m", "1d").
func parseDuration(s string, zeroOK bool) (time.Duration, error) {
	d, err := model.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (like 30s, 5m, 4h, 1d)", s)
	}
	if d == 0 && !zeroOK {
		return 0, fmt.Errorf("%q must be greater than zero", s)
	}
	return time.Duration(d), nil
}
