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

// Notification is what one group sends to its receiver at one time. The
// delivery loop turns each of its Messages into one delivery.
type Notification struct {
	Receiver string
	RouteID  string
	// GroupKey identifies the group: the route's matchers from the root
	// and the group's labels.
	GroupKey    string
	GroupLabels map[string]string
	// Messages are exactly the messages to send now, in the group's
	// order (by experiment, then event): every one-shot message of the
	// group that is not inhibited (each is sent once, then leaves the
	// group), and the persistent messages (see Persistent) that are not
	// inhibited and that the group's last notification did not report
	// firing. When repeat_interval has passed since the last
	// notification, every persistent message that is not inhibited is
	// listed, not only the new ones.
	Messages []notify.Message
	// Reason is why it is sent: first (the group's first notification,
	// or a persistent message fires where none was reported firing),
	// changed (a persistent message the last notification did not report
	// firing, or a one-shot event), resolved (only resolutions: a pass or
	// a resolved message) or repeat (nothing new; repeat_interval passed).
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
	// Messages hold one verdict per experiment, the latest, and each other
	// event on its own
	// (a later verdict replaces the earlier one), sorted by that slot.
	Messages []notify.Message `json:"messages"`
	// Next is when the group is next looked at.
	Next time.Time `json:"next"`
	// Sent is what the last notification held; nil before the first.
	Sent *Sent `json:"sent,omitempty"`
}

// Sent records the last notification of a group: when, the IDs of the
// persistent messages reported firing by then (listed in it or in an
// earlier one, and still in the group), and the IDs of the one-shot
// messages it listed. An ID that is not a message's (a state saved when
// these were experiment/event slots) counts as not reported.
type Sent struct {
	At       time.Time `json:"at"`
	Firing   []string  `json:"firing"`
	Resolved []string  `json:"resolved"`
}

// Persistent reports whether m is a standing condition that a group
// repeats until a later message supersedes it: a firing verdict other than
// a pass (fail, marginal, inconclusive, error). Every other message (a
// pass, anything resolved, a run start or abort, a failing interval) is
// one-shot: reported in its group's next notification, then dropped.
func Persistent(m notify.Message) bool {
	return m.Event == notify.EventVerdict && !m.Resolved && m.Verdict != "pass"
}

// resolution reports whether m ends something: a pass or a resolved message.
func resolution(m notify.Message) bool {
	return m.Resolved || (m.Event == notify.EventVerdict && m.Verdict == "pass")
}

// Dispatcher groups routed messages and decides, on an injected clock,
// when each group notifies its receiver, as Alertmanager's aggregation
// groups do: first after group_wait, then at each group_interval when the
// group holds something new, again after repeat_interval while it holds
// persistent messages. One-shot messages are reported once, then leave the
// group; an empty group ends. It does no I/O and is safe for concurrent
// use.
type Dispatcher struct {
	tree   *Tree
	mu     sync.Mutex
	groups map[string]*Group
	// holders indexes the groups by the slots of their messages, so that
	// a verdict finds the groups holding its experiment's earlier verdict
	// without a scan.
	holders map[string]map[string]*Group
}

// NewDispatcher returns a dispatcher over tree that resumes from state
// (the zero State to start afresh). Groups whose route ID is not in tree
// are dropped: their messages were routed by another configuration.
func NewDispatcher(tree *Tree, state State) *Dispatcher {
	d := &Dispatcher{tree: tree, groups: map[string]*Group{}, holders: map[string]map[string]*Group{}}
	for _, g := range state.Groups {
		if _, err := tree.route(g.RouteID); err != nil {
			continue
		}
		g := g
		g.Messages = slices.Clone(g.Messages)
		// Lookups search by slot: restore the order whatever was saved.
		slices.SortStableFunc(g.Messages, func(a, b notify.Message) int { return strings.Compare(slot(a), slot(b)) })
		id := groupID(g.RouteID, g.Key)
		d.groups[id] = &g
		for _, m := range g.Messages {
			d.hold(slot(m), id, &g)
		}
	}
	return d
}

func (d *Dispatcher) hold(s, id string, g *Group) {
	h := d.holders[s]
	if h == nil {
		h = map[string]*Group{}
		d.holders[s] = h
	}
	h[id] = g
}

func (d *Dispatcher) release(s, id string) {
	delete(d.holders[s], id)
	if len(d.holders[s]) == 0 {
		delete(d.holders, s)
	}
}

func groupID(routeID, key string) string { return routeID + "\x00" + key }

func lessGroup(a, b *Group) bool {
	if a.RouteID != b.RouteID {
		return a.RouteID < b.RouteID
	}
	return a.Key < b.Key
}

// slot is a message's place in a group: a later verdict of the same
// experiment replaces the earlier one. Every other event (a run's start,
// each failed interval, an abort) is a slot of its own, so that two of
// them arriving within one group_wait are both sent.
func slot(m notify.Message) string {
	id := m.ExperimentID
	if id == "" {
		id = m.ID
	}
	if m.Event != notify.EventVerdict && m.Event != "" {
		return id + "/" + string(m.Event) + "/" + m.ID
	}
	return id + "/" + string(m.Event)
}

// Add routes m at now and puts it in the group of every route it matches;
// it returns those routes (none when the tree routes nothing). A new group
// is looked at after its group_wait, or at once when m happened longer
// than group_wait ago; an existing one at its next group_interval.
//
// A verdict supersedes the earlier verdict of its experiment everywhere:
// every group m is not routed to that holds a persistent verdict of the
// same experiment with another ID gets a resolved copy of m in its place
// (a route matching verdict="fail" would never see the pass that follows),
// so a receiver that raised an incident hears it resolved.
func (d *Dispatcher) Add(m notify.Message, now time.Time) []*Route {
	lset := Labels(m)
	routes := d.tree.Match(lset)
	d.mu.Lock()
	defer d.mu.Unlock()
	s := slot(m)
	routed := make(map[string]bool, len(routes))
	for _, r := range routes {
		gl := groupLabels(lset, r.Opts)
		key := d.tree.Key(r) + ":" + renderLabels(gl)
		id := groupID(r.ID, key)
		routed[id] = true
		g, ok := d.groups[id]
		if !ok {
			g = &Group{RouteID: r.ID, Key: key, Labels: gl, Next: now.Add(r.Opts.GroupWait)}
			if !m.At.IsZero() && m.At.Add(r.Opts.GroupWait).Before(now) {
				g.Next = now
			}
			d.groups[id] = g
		}
		g.put(s, m)
		d.hold(s, id, g)
	}
	if m.Event != notify.EventVerdict {
		return routes
	}
	resolved := m
	resolved.Resolved = true
	for id, g := range d.holders[s] {
		if routed[id] {
			continue
		}
		if i, ok := g.find(s); ok && Persistent(g.Messages[i]) && g.Messages[i].ID != m.ID {
			g.Messages[i] = resolved
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
//
// A group notifies when it holds a one-shot message that is not
// inhibited, a persistent message that is not inhibited and whose ID the
// last notification did not report firing, or, once repeat_interval has
// passed since the last notification, any persistent message that is not
// inhibited. The sources of inhibition are the persistent messages of
// every group; resolved messages are never inhibited. After a look, every
// one-shot message leaves the group, sent or, when inhibited, unsent; a
// group left empty ends. A muted route sends nothing while muted and keeps
// its group unchanged, so what it holds is sent when the mute ends.
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
			if Persistent(m) {
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
		id := groupID(g.RouteID, g.Key)
		r, err := d.tree.route(g.RouteID)
		if err != nil {
			d.drop(id, g)
			continue
		}
		g.Next = now.Add(r.Opts.GroupInterval)
		if d.tree.Muted(r, now) {
			continue
		}
		if n, ok := g.look(inhibit, r.Opts.RepeatInterval, now); ok {
			n.Receiver, n.RouteID = r.Opts.Receiver, r.ID
			out = append(out, n)
		}
		g.Messages = slices.DeleteFunc(g.Messages, func(m notify.Message) bool {
			if Persistent(m) {
				return false
			}
			d.release(slot(m), id)
			return true
		})
		if len(g.Messages) == 0 {
			d.drop(id, g)
		}
	}
	return out
}

// drop ends a group.
func (d *Dispatcher) drop(id string, g *Group) {
	for _, m := range g.Messages {
		d.release(slot(m), id)
	}
	delete(d.groups, id)
}

// look decides whether the group notifies at now and with what, and
// records it in g.Sent when it does. It leaves the one-shot messages in
// the group; Due drops them.
func (g *Group) look(inhibit inhibitor, repeat time.Duration, now time.Time) (Notification, bool) {
	last := g.Sent
	var oneShot, fresh, persistent int
	repeatDue := last != nil && !now.Before(last.At.Add(repeat))
	var msgs []notify.Message
	var firingIDs, oneShotIDs []string
	onlyResolutions := true
	for _, m := range g.Messages {
		inhibited := !m.Resolved && inhibit.inhibited(Labels(m))
		switch {
		case inhibited:
			continue
		case !Persistent(m):
			oneShot++
			oneShotIDs = append(oneShotIDs, m.ID)
			onlyResolutions = onlyResolutions && resolution(m)
			msgs = append(msgs, m)
		default:
			persistent++
			firingIDs = append(firingIDs, m.ID)
			isNew := last == nil || !slices.Contains(last.Firing, m.ID)
			if isNew {
				fresh++
			}
			if isNew || repeatDue {
				msgs = append(msgs, m)
			}
		}
	}
	var reason string
	switch {
	case fresh > 0 && (last == nil || len(last.Firing) == 0):
		reason = ReasonFirst
	case fresh > 0:
		reason = ReasonChanged
	case oneShot > 0 && last == nil:
		reason = ReasonFirst
	case oneShot > 0 && onlyResolutions:
		reason = ReasonResolved
	case oneShot > 0:
		reason = ReasonChanged
	case repeatDue && persistent > 0:
		reason = ReasonRepeat
	default:
		return Notification{}, false
	}
	g.Sent = &Sent{At: now, Firing: firingIDs, Resolved: oneShotIDs}
	return Notification{GroupKey: g.Key, GroupLabels: maps.Clone(g.Labels), Messages: msgs, Reason: reason}, true
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
