package route

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// t0 is a Wednesday.
var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

const dispatchTree = `
route:
  receiver: slack
  group_by: [team]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 5m
  routes:
  - matchers: [verdict="fail"]
    receiver: pager
    group_by: [experiment_id]
    continue: true
  - matchers: [team="search"]
    group_by: ['...']
  - matchers: [team="weekend-quiet"]
    mute_time_intervals: [weekends]
  - matchers: [team="office"]
    active_time_intervals: [office]
  - matchers: [event="interval_failed"]
  - matchers: [event="run_started"]
  # Everything else, including what the pager route passed on.
  - receiver: slack
inhibit_rules:
- source_matchers: [verdict="fail"]
  target_matchers: [verdict="marginal"]
  equal: [experiment_id]
# A fail of a service silences the marginals of the service's other
# experiments (only messages that carry a service label).
- source_matchers: [verdict="fail", service=~".+"]
  target_matchers: [verdict="marginal"]
  equal: [service]
time_intervals:
- name: weekends
  time_intervals: [{weekdays: [saturday, sunday], location: Europe/Berlin}]
- name: office
  time_intervals: [{times: [{start_time: "09:00", end_time: "17:00"}], location: Europe/Berlin}]
`

// msg builds a message: "e1 fail" is a fail verdict of experiment e1 (a
// pass is a plain verdict, not marked resolved), "e1 marginal/interval_failed"
// an event, "e1 /run_started" an event without a verdict. The spec is the
// message's ID.
func msg(team, spec string, at time.Time) notify.Message {
	exp, verdict, _ := strings.Cut(spec, " ")
	verdict, event, ok := strings.Cut(verdict, "/")
	if !ok {
		event = string(notify.EventVerdict)
	}
	sev := map[string]string{"fail": notify.SeverityCritical, "pass": notify.SeverityInfo, "": notify.SeverityInfo}[verdict]
	if sev == "" {
		sev = notify.SeverityWarning
	}
	return notify.Message{ID: spec, ExperimentID: exp, Event: notify.Event(event), Verdict: verdict, Severity: sev,
		Labels: map[string]string{"team": team}, At: at}
}

// rerun is m as a later run of the same experiment sends it: same
// experiment, event and verdict, another message ID.
func rerun(m notify.Message, run string) notify.Message {
	m.ID += " " + run
	return m
}

// withService adds a service label to m.
func withService(m notify.Message, service string) notify.Message {
	m.Labels["service"] = service
	return m
}

// summary renders a notification as "receiver reason [messages]", a
// message as "experiment:verdict", its event when not a verdict, and
// "(resolved)" when marked resolved.
func summary(n Notification) string {
	var ms []string
	for _, m := range n.Messages {
		s := m.ExperimentID + ":" + m.Verdict
		if m.Event != notify.EventVerdict {
			s += "/" + string(m.Event)
		}
		if m.Resolved {
			s += "(resolved)"
		}
		ms = append(ms, s)
	}
	return fmt.Sprintf("%s %s %s", n.Receiver, n.Reason, strings.Join(ms, ","))
}

type step struct {
	at   time.Duration
	add  []notify.Message // added at t0+at
	want []string         // else: Due(t0+at) summaries, sorted
}

func add(ms ...notify.Message) []notify.Message { return ms }

func runSteps(t *testing.T, d *Dispatcher, steps []step) {
	t.Helper()
	for i, s := range steps {
		now := t0.Add(s.at)
		if s.add != nil {
			for _, m := range s.add {
				d.Add(m, now)
			}
			continue
		}
		var got []string
		for _, n := range d.Due(now) {
			got = append(got, summary(n))
		}
		sort.Strings(got)
		if !reflect.DeepEqual(got, s.want) {
			t.Fatalf("step %d, Due(t0+%s):\n got %q\nwant %q", i, s.at, got, s.want)
		}
	}
}

func TestDispatcher(t *testing.T) {
	tree := mustBuild(t, dispatchTree, "slack", "pager")
	sat := 3*24*time.Hour + 2*time.Hour // Saturday 12:00 UTC
	tests := []struct {
		name  string
		steps []step
		// groups is how many groups are left after the last step.
		groups int
	}{
		{name: "first notification after group_wait, batching the group", groups: 1, steps: []step{
			{at: 0, add: add(msg("payments", "e1 marginal", t0))},
			{at: 5 * time.Second, add: add(msg("payments", "e2 inconclusive", t0))},
			{at: 9 * time.Second, want: nil},
			{at: 10 * time.Second, want: []string{"slack first e1:marginal,e2:inconclusive"}},
			{at: 70 * time.Second, want: nil},
		}},
		{name: "group_by splits groups", groups: 2, steps: []step{
			{at: 0, add: add(msg("payments", "e1 marginal", t0), msg("checkout", "e2 marginal", t0))},
			{at: 10 * time.Second, want: []string{"slack first e1:marginal", "slack first e2:marginal"}},
		}},
		{name: "group_by ... groups by every label", groups: 3, steps: []step{
			{at: 0, add: add(msg("search", "e1 marginal", t0), msg("search", "e2 marginal", t0), msg("search", "e3 marginal", t0))},
			{at: 10 * time.Second, want: []string{"slack first e1:marginal", "slack first e2:marginal", "slack first e3:marginal"}},
		}},
		{name: "continue: fail pages and goes on to slack", groups: 2, steps: []step{
			{at: 0, add: add(msg("payments", "e1 fail", t0))},
			{at: 10 * time.Second, want: []string{"pager first e1:fail", "slack first e1:fail"}},
		}},
		{name: "a change waits for group_interval and lists only what is new", groups: 1, steps: []step{
			{at: 0, add: add(msg("payments", "e1 marginal", t0))},
			{at: 10 * time.Second, want: []string{"slack first e1:marginal"}},
			{at: 20 * time.Second, add: add(msg("payments", "e2 marginal", t0.Add(20*time.Second)))},
			{at: 69 * time.Second, want: nil},
			{at: 70 * time.Second, want: []string{"slack changed e2:marginal"}},
		}},
		{name: "repeat while unchanged and firing", groups: 1, steps: []step{
			{at: 0, add: add(msg("payments", "e1 marginal", t0))},
			{at: 10 * time.Second, want: []string{"slack first e1:marginal"}},
			{at: 70 * time.Second, want: nil},
			{at: 250 * time.Second, want: nil},
			{at: 310 * time.Second, want: []string{"slack repeat e1:marginal"}},
			{at: 370 * time.Second, want: nil},
			{at: 610 * time.Second, want: []string{"slack repeat e1:marginal"}},
		}},
		{name: "a change when the repeat is due lists every firing message", groups: 1, steps: []step{
			{at: 0, add: add(msg("payments", "e1 marginal", t0))},
			{at: 10 * time.Second, want: []string{"slack first e1:marginal"}},
			{at: 300 * time.Second, add: add(msg("payments", "e2 marginal", t0.Add(300*time.Second)))},
			{at: 310 * time.Second, want: []string{"slack changed e1:marginal,e2:marginal"}},
			{at: 370 * time.Second, want: nil},
			{at: 610 * time.Second, want: []string{"slack repeat e1:marginal,e2:marginal"}},
		}},
		{name: "a newer verdict of the same experiment is a change", groups: 1, steps: []step{
			{at: 0, add: add(msg("payments", "e1 marginal", t0))},
			{at: 10 * time.Second, want: []string{"slack first e1:marginal"}},
			{at: 30 * time.Second, add: add(msg("payments", "e1 inconclusive", t0))},
			{at: 70 * time.Second, want: []string{"slack changed e1:inconclusive"}},
			{at: 130 * time.Second, want: nil},
			{at: 370 * time.Second, want: []string{"slack repeat e1:inconclusive"}},
		}},
		{name: "the second run's fail notifies at the next group_interval", groups: 2, steps: []step{
			{at: 0, add: add(msg("payments", "e1 fail", t0))},
			{at: 10 * time.Second, want: []string{"pager first e1:fail", "slack first e1:fail"}},
			{at: 30 * time.Second, add: add(rerun(msg("payments", "e1 fail", t0.Add(30*time.Second)), "run2"))},
			{at: 69 * time.Second, want: nil},
			{at: 70 * time.Second, want: []string{"pager changed e1:fail", "slack changed e1:fail"}},
			{at: 130 * time.Second, want: nil},
			{at: 370 * time.Second, want: []string{"pager repeat e1:fail", "slack repeat e1:fail"}},
		}},
		{name: "a pass resolves the fail where it is not routed, and is itself sent where it is", groups: 0, steps: []step{
			{at: 0, add: add(msg("payments", "e1 fail", t0))},
			{at: 10 * time.Second, want: []string{"pager first e1:fail", "slack first e1:fail"}},
			{at: 30 * time.Second, add: add(msg("payments", "e1 pass", t0.Add(30*time.Second)))},
			{at: 70 * time.Second, want: []string{"pager resolved e1:pass(resolved)", "slack resolved e1:pass"}},
			{at: 130 * time.Second, want: nil},
			{at: 10 * time.Hour, want: nil},
		}},
		{name: "a marginal supersedes the fail: resolved on the pager, changed on slack", groups: 1, steps: []step{
			{at: 0, add: add(msg("payments", "e1 fail", t0))},
			{at: 10 * time.Second, want: []string{"pager first e1:fail", "slack first e1:fail"}},
			{at: 30 * time.Second, add: add(rerun(msg("payments", "e1 marginal", t0.Add(30*time.Second)), "run2"))},
			{at: 70 * time.Second, want: []string{"pager resolved e1:marginal(resolved)", "slack changed e1:marginal"}},
			{at: 130 * time.Second, want: nil},
			{at: 370 * time.Second, want: []string{"slack repeat e1:marginal"}},
		}},
		{name: "a resolved pass of one of two firing lists only the pass; the repeat only the firing", groups: 1, steps: []step{
			{at: 0, add: add(msg("payments", "e1 marginal", t0), msg("payments", "e2 marginal", t0))},
			{at: 10 * time.Second, want: []string{"slack first e1:marginal,e2:marginal"}},
			{at: 30 * time.Second, add: add(msg("payments", "e1 pass", t0))},
			{at: 70 * time.Second, want: []string{"slack resolved e1:pass"}},
			{at: 130 * time.Second, want: nil},
			{at: 370 * time.Second, want: []string{"slack repeat e2:marginal"}},
		}},
		{name: "a pass alone is sent once and the group ends", groups: 0, steps: []step{
			{at: 0, add: add(msg("payments", "e1 pass", t0))},
			{at: 9 * time.Second, want: nil},
			{at: 10 * time.Second, want: []string{"slack first e1:pass"}},
			{at: 70 * time.Second, want: nil},
			{at: 10 * time.Hour, want: nil},
		}},
		{name: "fired and passed within group_wait sends the pass", groups: 0, steps: []step{
			{at: 0, add: add(msg("payments", "e1 marginal", t0))},
			{at: 5 * time.Second, add: add(msg("payments", "e1 pass", t0))},
			{at: 10 * time.Second, want: []string{"slack first e1:pass"}},
			{at: 70 * time.Second, want: nil},
		}},
		{name: "a run start is sent once", groups: 0, steps: []step{
			{at: 0, add: add(msg("payments", "e1 /run_started", t0))},
			{at: 10 * time.Second, want: []string{"slack first e1:/run_started"}},
			// The group ended with its message; the next run's start
			// opens a new one.
			{at: 20 * time.Second, add: add(rerun(msg("payments", "e1 /run_started", t0.Add(20*time.Second)), "run2"))},
			{at: 29 * time.Second, want: nil},
			{at: 30 * time.Second, want: []string{"slack first e1:/run_started"}},
			{at: 90 * time.Second, want: nil},
			{at: 10 * time.Hour, want: nil},
		}},
		{name: "two events of one experiment within group_wait are both sent", groups: 0, steps: []step{
			{at: 0, add: add(msg("payments", "e1 /run_started", t0), rerun(msg("payments", "e1 /run_started", t0), "run2"))},
			{at: 10 * time.Second, want: []string{"slack first e1:/run_started,e1:/run_started"}},
			{at: 90 * time.Second, want: nil},
		}},
		{name: "a message older than group_wait flushes at once", groups: 1, steps: []step{
			{at: time.Hour, add: add(msg("payments", "e1 marginal", t0))},
			{at: time.Hour, want: []string{"slack first e1:marginal"}},
		}},
		{name: "fail inhibits the marginal of the same experiment only; an inhibited event is dropped", groups: 1, steps: []step{
			{at: 0, add: add(msg("payments", "e1 marginal/interval_failed", t0), msg("checkout", "e2 marginal", t0), msg("payments", "e1 fail", t0))},
			{at: 10 * time.Second, want: []string{"pager first e1:fail", "slack first e1:fail", "slack first e2:marginal"}},
			// The failing interval was one-shot: inhibited when its group
			// was due, it left the group, and the pass does not bring it
			// back.
			{at: 20 * time.Second, add: add(msg("payments", "e1 pass", t0))},
			{at: 70 * time.Second, want: []string{"pager resolved e1:pass(resolved)", "slack resolved e1:pass"}},
			{at: 10 * time.Hour, want: []string{"slack repeat e2:marginal"}},
		}},
		{name: "an inhibited marginal is not listed while the fail fires, and is once a pass supersedes the fail", groups: 1, steps: []step{
			{at: 0, add: add(withService(msg("payments", "e1 fail", t0), "cart"), withService(msg("payments", "e2 marginal", t0), "cart"))},
			{at: 10 * time.Second, want: []string{"pager first e1:fail", "slack first e1:fail"}},
			{at: 70 * time.Second, want: nil},
			{at: 310 * time.Second, want: []string{"pager repeat e1:fail", "slack repeat e1:fail"}},
			{at: 320 * time.Second, add: add(withService(msg("payments", "e1 pass", t0.Add(320*time.Second)), "cart"))},
			{at: 370 * time.Second, want: []string{"pager resolved e1:pass(resolved)", "slack changed e1:pass,e2:marginal"}},
			{at: 430 * time.Second, want: nil},
			{at: 670 * time.Second, want: []string{"slack repeat e2:marginal"}},
		}},
		{name: "mute: nothing while muted, the backlog when it ends", groups: 1, steps: []step{
			{at: sat, add: add(msg("weekend-quiet", "e1 marginal", t0.Add(sat)))},
			{at: sat + 10*time.Second, want: nil},
			{at: sat + time.Hour, want: nil},
			{at: sat + 2*time.Hour, add: add(msg("weekend-quiet", "e2 marginal", t0.Add(sat)))},
			// Monday 00:00 in Berlin is Sunday 23:00 UTC.
			{at: 4*24*time.Hour + 12*time.Hour + 59*time.Minute, want: nil},
			{at: 4*24*time.Hour + 13*time.Hour, want: []string{"slack first e1:marginal,e2:marginal"}},
		}},
		{name: "mute keeps a resolve for when it ends", groups: 0, steps: []step{
			{at: sat - 24*time.Hour, add: add(msg("weekend-quiet", "e1 fail", t0))},
			{at: sat - 24*time.Hour + 10*time.Second, want: []string{"pager first e1:fail", "slack first e1:fail"}},
			{at: sat, add: add(msg("weekend-quiet", "e1 pass", t0.Add(sat)))},
			{at: sat + time.Minute, want: []string{"pager resolved e1:pass(resolved)"}},
			{at: 4*24*time.Hour + 13*time.Hour, want: []string{"slack resolved e1:pass"}},
		}},
		{name: "active interval: office hours in Berlin", groups: 1, steps: []step{
			{at: 8 * time.Hour, add: add(msg("office", "e1 marginal", t0))}, // 19:00 Berlin
			{at: 8*time.Hour + time.Minute, want: nil},
			{at: 21*time.Hour + 59*time.Minute, want: nil}, // 08:59 Berlin
			{at: 22 * time.Hour, want: []string{"slack first e1:marginal"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDispatcher(tree, State{})
			runSteps(t, d, tt.steps)
			if got := len(d.State().Groups); got != tt.groups {
				t.Errorf("%d groups left, want %d: %+v", got, tt.groups, d.State().Groups)
			}
			checkHolders(t, d)
		})
	}
}

// checkHolders checks the dispatcher's slot index against its groups:
// every message's slot points at its group, and nothing else is indexed.
func checkHolders(t *testing.T, d *Dispatcher) {
	t.Helper()
	n := 0
	for id, g := range d.groups {
		for _, m := range g.Messages {
			n++
			if d.holders[slot(m)][id] != g {
				t.Errorf("slot %s of group %s not indexed", slot(m), id)
			}
		}
	}
	indexed := 0
	for _, h := range d.holders {
		indexed += len(h)
	}
	if indexed != n {
		t.Errorf("%d slots indexed, %d held", indexed, n)
	}
}

// TestDispatcherStateRoundTrip stops a dispatcher mid-flight, carries its
// state through JSON to a new one, and checks the new one goes on exactly
// as the old one would have.
func TestDispatcherStateRoundTrip(t *testing.T) {
	tree := mustBuild(t, dispatchTree, "slack", "pager")
	d := NewDispatcher(tree, State{})
	runSteps(t, d, []step{
		{at: 0, add: add(msg("payments", "e1 fail", t0), msg("checkout", "e2 marginal", t0))},
		{at: 10 * time.Second, want: []string{"pager first e1:fail", "slack first e1:fail", "slack first e2:marginal"}},
		{at: 30 * time.Second, add: add(msg("checkout", "e3 marginal", t0))},
	})
	b, err := json.Marshal(d.State())
	if err != nil {
		t.Fatal(err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Groups) != 3 {
		t.Fatalf("%d groups in %s", len(s.Groups), b)
	}
	resumed := NewDispatcher(tree, s)
	if next, ok := resumed.NextDue(); !ok || !next.Equal(t0.Add(70*time.Second)) {
		t.Fatalf("NextDue = %s %v, want t0+70s", next, ok)
	}
	runSteps(t, resumed, []step{
		{at: 69 * time.Second, want: nil},
		{at: 70 * time.Second, want: []string{"slack changed e3:marginal"}},
		{at: 310 * time.Second, want: []string{"pager repeat e1:fail", "slack repeat e1:fail"}},
	})

	// A state saved under another tree loses the groups whose route is
	// gone, and only those.
	other := mustBuild(t, "route:\n  receiver: slack\n  routes:\n  - matchers: [verdict=\"fail\"]\n    receiver: pager\n", "slack", "pager")
	kept := NewDispatcher(other, s).State()
	if len(kept.Groups) != 1 || kept.Groups[0].RouteID != "0" {
		t.Errorf("groups kept under another tree: %+v", kept.Groups)
	}
}

// TestDispatcherOldState loads a state saved when Sent recorded slots
// (experiment/event) rather than message IDs, and resolved messages waited
// in their group for the next look: the unknown entries count as not
// reported, so the firing messages are reported again once, then repeat.
func TestDispatcherOldState(t *testing.T) {
	tree := mustBuild(t, dispatchTree, "slack", "pager")
	const old = `{"groups":[{
  "route_id": "6",
  "key": "{}/{}:{team=\"payments\"}",
  "labels": {"team": "payments"},
  "messages": [
    {"id": "e1 fail", "event": "verdict", "experiment_id": "e1", "verdict": "fail", "severity": "critical", "labels": {"team": "payments"}, "resolved": false},
    {"id": "e2 marginal", "event": "verdict", "experiment_id": "e2", "verdict": "marginal", "severity": "warning", "labels": {"team": "payments"}, "resolved": false},
    {"id": "e3 pass", "event": "verdict", "experiment_id": "e3", "verdict": "pass", "severity": "info", "labels": {"team": "payments"}, "resolved": true}
  ],
  "next": "2026-12-02T10:01:10Z",
  "sent": {"at": "2026-12-02T10:00:10Z", "firing": ["e1/verdict", "e2/verdict", "e3/verdict"], "resolved": null}
}, {
  "route_id": "6",
  "key": "{}/{}:{team=\"checkout\"}",
  "labels": {"team": "checkout"},
  "messages": [],
  "next": "2026-12-02T10:01:10Z",
  "sent": {"at": "2026-12-02T10:00:10Z"}
}]}`
	var s State
	if err := json.Unmarshal([]byte(old), &s); err != nil {
		t.Fatal(err)
	}
	d := NewDispatcher(tree, s)
	runSteps(t, d, []step{
		{at: 69 * time.Second, want: nil},
		{at: 70 * time.Second, want: []string{"slack changed e1:fail,e2:marginal,e3:pass(resolved)"}},
		// The same group: a message routed now joins it.
		{at: 80 * time.Second, add: add(msg("payments", "e4 marginal", t0))},
		{at: 130 * time.Second, want: []string{"slack changed e4:marginal"}},
		{at: 370 * time.Second, want: nil},
		{at: 430 * time.Second, want: []string{"slack repeat e1:fail,e2:marginal,e4:marginal"}},
	})
	if got := len(d.State().Groups); got != 1 {
		t.Errorf("%d groups left, want 1 (the empty one ends at its first look)", got)
	}
	checkHolders(t, d)
}

func TestDispatcherWithoutRoute(t *testing.T) {
	tree := mustBuild(t, "inhibit_rules: []\n")
	d := NewDispatcher(tree, State{})
	if routes := d.Add(msg("payments", "e1 fail", t0), t0); routes != nil {
		t.Errorf("routed to %v", routes)
	}
	if _, ok := d.NextDue(); ok {
		t.Error("a group exists")
	}
}
