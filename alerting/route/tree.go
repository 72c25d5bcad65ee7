package route

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// Tree is a compiled, validated routing configuration. It is immutable and
// safe for concurrent use.
type Tree struct {
	Root      *Route
	inhibit   []inhibitRule
	intervals map[string][]interval
	byID      map[string]*Route
}

// Route is one compiled node of the tree.
type Route struct {
	// ID is the node's path of child indexes from the root ("" for the
	// root, "0", "0/2"): stable while the tree's shape is.
	ID       string
	Opts     Options
	Matchers Matchers
	Continue bool
	Routes   []*Route
	// asksEvents: a matcher names the event label, so the node hears of
	// the events it matches, not only of verdicts.
	asksEvents bool
}

// Build validates c against the receiver names and compiles it. A nil
// Route gives a tree that routes nothing.
func Build(c Config, receivers []string) (*Tree, error) {
	if err := c.Validate(receivers); err != nil {
		return nil, err
	}
	t := &Tree{intervals: map[string][]interval{}, byID: map[string]*Route{}}
	for _, ti := range c.TimeIntervals {
		for _, x := range ti.TimeIntervals {
			in, _ := compileInterval(x, "") // validated above
			t.intervals[ti.Name] = append(t.intervals[ti.Name], in)
		}
	}
	for _, r := range c.InhibitRules {
		src, _ := parseMatcherList(r.SourceMatchers)
		tgt, _ := parseMatcherList(r.TargetMatchers)
		t.inhibit = append(t.inhibit, inhibitRule{source: src, target: tgt, equal: r.Equal})
	}
	if c.Route != nil {
		t.Root = t.build(c.Route, Defaults(), "")
	}
	return t, nil
}

func (t *Tree) build(c *RouteConfig, opts Options, id string) *Route {
	if c.Receiver != "" {
		opts.Receiver = c.Receiver
	}
	if c.GroupBy != nil {
		opts.GroupBy, opts.GroupByAll = nil, false
		for _, l := range c.GroupBy {
			if l == "..." {
				opts.GroupByAll = true
				continue
			}
			opts.GroupBy = append(opts.GroupBy, l)
		}
		slices.Sort(opts.GroupBy)
	}
	set := func(dst *time.Duration, s string) {
		if s != "" {
			*dst, _ = parseDuration(s, true) // validated
		}
	}
	set(&opts.GroupWait, c.GroupWait)
	set(&opts.GroupInterval, c.GroupInterval)
	set(&opts.RepeatInterval, c.RepeatInterval)
	// As in Alertmanager, time intervals belong to the node that names
	// them: children are not muted by their parent's intervals.
	opts.MuteTimeIntervals = c.MuteTimeIntervals
	opts.ActiveTimeIntervals = c.ActiveTimeIntervals
	ms, _ := parseMatcherList(c.Matchers) // validated
	r := &Route{ID: id, Opts: opts, Matchers: ms, Continue: c.Continue}
	for _, m := range ms {
		r.asksEvents = r.asksEvents || m.Name == "event"
	}
	t.byID[id] = r
	for i, cc := range c.Routes {
		cid := strconv.Itoa(i)
		if id != "" {
			cid = id + "/" + cid
		}
		r.Routes = append(r.Routes, t.build(cc, opts, cid))
	}
	return r
}

// Labels are what routes and inhibition rules match for a message: its
// labels plus verdict, severity, event and experiment_id, which override a
// label of the same name.
func Labels(m notify.Message) map[string]string {
	l := make(map[string]string, len(m.Labels)+4)
	for k, v := range m.Labels {
		l[k] = v
	}
	set := func(k, v string) {
		if v != "" {
			l[k] = v
		}
	}
	set("verdict", m.Verdict)
	set("severity", m.Severity)
	set("event", string(m.Event))
	set("experiment_id", m.ExperimentID)
	return l
}

// Match returns the routes a message with these labels goes to, in order:
// a depth-first, left-to-right walk in which a matching node that has
// matching children hands the message to them, a node whose children all
// fail to match takes it itself, and the walk stops at the first matching
// child unless that child has continue set (Alertmanager's semantics).
//
// Events other than verdicts (run_started, run_aborted, interval_failed)
// are sent only where a route asks for them: such a message can only be
// taken by a node that, or one of whose ancestors, has a matcher on the
// event label; a matching node that neither takes it nor has a child that
// does counts as not matching, so the walk goes on to its siblings.
func (t *Tree) Match(lset map[string]string) []*Route {
	if t.Root == nil {
		return nil
	}
	ev := lset["event"]
	optIn := ev != "" && ev != string(notify.EventVerdict)
	return t.Root.match(lset, optIn, false)
}

func (r *Route) match(lset map[string]string, optIn, asked bool) []*Route {
	if !r.Matchers.Matches(lset) {
		return nil
	}
	asked = asked || r.asksEvents
	var all []*Route
	for _, c := range r.Routes {
		m := c.match(lset, optIn, asked)
		all = append(all, m...)
		if m != nil && !c.Continue {
			break
		}
	}
	if len(all) == 0 {
		if optIn && !asked {
			return nil
		}
		all = append(all, r)
	}
	return all
}

// Key renders the matchers from the root to r ({}/{team="a"}), as
// Alertmanager's route keys do. It does not identify a route; ID does.
func (t *Tree) Key(r *Route) string {
	if r.ID == "" {
		return r.Matchers.String()
	}
	parent := ""
	if i := lastSlash(r.ID); i >= 0 {
		parent = r.ID[:i]
	}
	return t.Key(t.byID[parent]) + "/" + r.Matchers.String()
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

// Walk visits every route depth-first, parents before children.
func (t *Tree) Walk(visit func(*Route)) {
	var walk func(*Route)
	walk = func(r *Route) {
		visit(r)
		for _, c := range r.Routes {
			walk(c)
		}
	}
	if t.Root != nil {
		walk(t.Root)
	}
}

// Muted reports whether route r sends nothing at now: now is in one of
// its mute intervals, or it has active intervals and now is in none.
func (t *Tree) Muted(r *Route, now time.Time) bool {
	for _, n := range r.Opts.MuteTimeIntervals {
		if t.in(n, now) {
			return true
		}
	}
	if len(r.Opts.ActiveTimeIntervals) == 0 {
		return false
	}
	for _, n := range r.Opts.ActiveTimeIntervals {
		if t.in(n, now) {
			return false
		}
	}
	return true
}

func (t *Tree) in(name string, now time.Time) bool {
	for _, in := range t.intervals[name] {
		if in.contains(now) {
			return true
		}
	}
	return false
}

// route returns the route with this ID, or an error when the tree has none
// (a state saved under another configuration).
func (t *Tree) route(id string) (*Route, error) {
	r, ok := t.byID[id]
	if !ok {
		return nil, fmt.Errorf("route: no route %q in this tree", id)
	}
	return r, nil
}
