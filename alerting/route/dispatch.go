package route

import (
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// Notification is what one group sends to its receiver at one time: every
// message of the group that is not inhibited, firing and resolved.
type Notification struct {
	Receiver string
	RouteID  string
	// GroupKey identifies the group: the route's matchers from the root
	// and the group's labels.
	GroupKey    string
	GroupLabels map[string]string
	Messages    []notify.Message
	// Reason is why it is sent: first, changed, resolved or repeat.
	Reason string
}

// Notification reasons.
const (
	ReasonFirst    = "first"
	ReasonChanged  = "changed"
	ReasonResolved = "resolved"
	ReasonRepeat   = "repeat"
)

// State is everything a Dispatcher remembers, in a form that marshals to
// JSON, so that the delivery loop can persist it and restore it after a
// restart.
type State struct {
	Groups []Group `json:"groups"`
}

// Group is one aggregation group: the messages one route holds for one
// value of its group_by labels.
type Group struct {
	RouteID string            `json:"route_id"`
	Key     string            `json:"key"`
	Labels  map[string]string `json:"labels"`
	// Messages hold one message per experiment and event, the latest
	// (a later verdict replaces the earlier one), sorted by that slot.
	Messages []notify.Message `json:"messages"`
	// Next is when the group is next looked at.
	Next time.Time `json:"next"`
	// Sent is what the last notification held; nil before the first.
	Sent *Sent `json:"sent,omitempty"`
}

// Sent records the last notification of a group: when, and the slots of
// the messages it reported firing and resolved.
type Sent struct {
	At       time.Time `json:"at"`
	Firing   []string  `json:"firing"`
	Resolved []string  `json:"resolved"`
}

// Dispatcher groups routed messages and decides, on an injected clock,
// when each group notifies its receiver, as Alertmanager's aggregation
// groups do: first after group_wait, then at each group_interval when the
// group changed, again after repeat_interval when it did not and still
// fires. A resolved message is reported once, then leaves the group; an
// empty group ends. It does no I/O and is safe for concurrent use.
type Dispatcher struct {
	tree   *Tree
	mu     sync.Mutex
	groups map[string]*Group
}

// NewDispatcher returns a dispatcher over tree that resumes from state
// (the zero State to start afresh). Groups whose route ID is not in tree
// are dropped: their messages were routed by another configuration.
func NewDispatcher(tree *Tree, state State) *Dispatcher {
	d := &Dispatcher{tree: tree, groups: map[string]*Group{}}
	for _, g := range state.Groups {
		if _, err := tree.route(g.RouteID); err != nil {
			continue
		}
		g := g
		g.Messages = slices.Clone(g.Messages)
		d.groups[groupID(g.RouteID, g.Key)] = &g
	}
	return d
}

func groupID(routeID, key string) string { return routeID + "\x00" + key }

func lessGroup(a, b *Group) bool {
	if a.RouteID != b.RouteID {
		return a.RouteID < b.RouteID
	}
	return a.Key < b.Key
}

// slot is a message's place in a group: a later message about the same
// experiment and event replaces it.
func slot(m notify.Message) string {
	id := m.ExperimentID
	if id == "" {
		id = m.ID
	}
	return id + "/" + string(m.Event)
}

// Add routes m at now and puts it in the group of every route it matches;
// it returns those routes (none when the tree routes nothing). A resolved
// message also replaces the firing message of its experiment and event in
// every group that holds one, wherever it was routed. A new group
// is looked at after its group_wait, or at once when m happened longer
// than group_wait ago.
func (d *Dispatcher) Add(m notify.Message, now time.Time) []*Route {
	lset := Labels(m)
	routes := d.tree.Match(lset)
	d.mu.Lock()
	defer d.mu.Unlock()
	s := slot(m)
	for _, r := range routes {
		gl := groupLabels(lset, r.Opts)
		key := d.tree.Key(r) + ":" + renderLabels(gl)
		id := groupID(r.ID, key)
		g, ok := d.groups[id]
		if !ok {
			g = &Group{RouteID: r.ID, Key: key, Labels: gl, Next: now.Add(r.Opts.GroupWait)}
			if !m.At.IsZero() && m.At.Add(r.Opts.GroupWait).Before(now) {
				g.Next = now
			}
			d.groups[id] = g
		}
		g.put(s, m)
	}
	if m.Resolved {
		// A resolved message's labels differ from the firing one's (a pass
		// is not a fail), so routes matching the verdict would never see
		// it: it also resolves its slot in every group holding it.
		for _, g := range d.groups {
			if i, ok := g.find(s); ok && !g.Messages[i].Resolved {
				g.Messages[i] = m
			}
		}
	}
	return routes
}

func (g *Group) find(s string) (int, bool) {
	i := sort.Search(len(g.Messages), func(i int) bool { return slot(g.Messages[i]) >= s })
	return i, i < len(g.Messages) && slot(g.Messages[i]) == s
}

func (g *Group) put(s string, m notify.Message) {
	if i, ok := g.find(s); ok {
		g.Messages[i] = m
	} else {
		g.Messages = slices.Insert(g.Messages, i, m)
	}
}

// Due returns the notifications to send at now, ordered by when they were
// due, and advances every group looked at to its next group_interval. The
// caller owns what it returns: a notification returned counts as sent.
// A muted route sends nothing while muted and keeps its group unchanged,
// so what changed meanwhile is sent when the mute ends.
func (d *Dispatcher) Due(now time.Time) []Notification {
	d.mu.Lock()
	defer d.mu.Unlock()
	var due []*Group
	var firing []map[string]string
	for _, g := range d.groups {
		if !g.Next.After(now) {
			due = append(due, g)
		}
		for _, m := range g.Messages {
			if !m.Resolved {
				firing = append(firing, Labels(m))
			}
		}
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].Next.Equal(due[j].Next) {
			return due[i].Next.Before(due[j].Next)
		}
		return lessGroup(due[i], due[j])
	})
	inhibit := d.tree.inhibitor(firing)
	var out []Notification
	for _, g := range due {
		r, err := d.tree.route(g.RouteID)
		if err != nil {
			delete(d.groups, groupID(g.RouteID, g.Key))
			continue
		}
		g.Next = now.Add(r.Opts.GroupInterval)
		if d.tree.Muted(r, now) {
			continue
		}
		var visible []notify.Message
		var firingSlots, resolvedSlots []string
		for _, m := range g.Messages {
			switch {
			case m.Resolved:
				resolvedSlots = append(resolvedSlots, slot(m))
			case inhibit.inhibited(Labels(m)):
				continue
			default:
				firingSlots = append(firingSlots, slot(m))
			}
			visible = append(visible, m)
		}
		if reason := needsUpdate(g.Sent, firingSlots, resolvedSlots, r.Opts.RepeatInterval, now); reason != "" {
			out = append(out, Notification{
				Receiver:    r.Opts.Receiver,
				RouteID:     r.ID,
				GroupKey:    g.Key,
				GroupLabels: maps.Clone(g.Labels),
				Messages:    visible,
				Reason:      reason,
			})
			g.Sent = &Sent{At: now, Firing: firingSlots, Resolved: resolvedSlots}
		}
		// Resolved messages have been reported (or there was nothing
		// firing to resolve): they leave the group, and an empty group
		// ends its repeats.
		g.Messages = slices.DeleteFunc(g.Messages, func(m notify.Message) bool { return m.Resolved })
		if len(g.Messages) == 0 {
			delete(d.groups, groupID(g.RouteID, g.Key))
		}
	}
	return out
}

// needsUpdate decides whether a group notifies, as Alertmanager's
// deduplication does against its notification log: the first time only
// when something fires; then when a message fires that the last
// notification did not report firing, when everything reported firing has
// resolved, when a message resolved that was not reported resolved, or
// when repeat has passed since the last notification and something fires.
func needsUpdate(last *Sent, firing, resolved []string, repeat time.Duration, now time.Time) string {
	if last == nil {
		if len(firing) > 0 {
			return ReasonFirst
		}
		return ""
	}
	if !subset(firing, last.Firing) {
		if len(last.Firing) == 0 {
			return ReasonFirst
		}
		return ReasonChanged
	}
	if len(firing) == 0 {
		if len(last.Firing) > 0 {
			return ReasonResolved
		}
		return ""
	}
	if !subset(resolved, last.Resolved) {
		return ReasonResolved
	}
	if !now.Before(last.At.Add(repeat)) {
		return ReasonRepeat
	}
	return ""
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// NextDue is the earliest time Due has something to look at, and false when
// there are no groups.
func (d *Dispatcher) NextDue() (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var next time.Time
	for _, g := range d.groups {
		if next.IsZero() || g.Next.Before(next) {
			next = g.Next
		}
	}
	return next, !next.IsZero()
}

// State returns a copy of what the dispatcher remembers, groups sorted by
// route and key.
func (d *Dispatcher) State() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := State{Groups: make([]Group, 0, len(d.groups))}
	for _, g := range d.groups {
		c := *g
		c.Labels = maps.Clone(g.Labels)
		c.Messages = slices.Clone(g.Messages)
		if g.Sent != nil {
			sent := *g.Sent
			c.Sent = &sent
		}
		s.Groups = append(s.Groups, c)
	}
	sort.Slice(s.Groups, func(i, j int) bool { return lessGroup(&s.Groups[i], &s.Groups[j]) })
	return s
}

// groupLabels are the labels of lset a route groups by.
func groupLabels(lset map[string]string, o Options) map[string]string {
	gl := map[string]string{}
	for k, v := range lset {
		if o.GroupByAll || slices.Contains(o.GroupBy, k) {
			gl[k] = v
		}
	}
	return gl
}

func renderLabels(l map[string]string) string {
	keys := slices.Sorted(maps.Keys(l))
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + "=" + strconv.Quote(l[k]))
	}
	b.WriteByte('}')
	return b.String()
}
