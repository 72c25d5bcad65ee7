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
  # Everything else, including what the pager route passed on.
  - receiver: slack
inhibit_rules:
- source_matchers: [verdict="fail"]
  target_matchers: [verdict="marginal"]
  equal: [experiment_id]
time_intervals:
- name: weekends
  time_intervals: [{weekdays: [saturday, sunday], location: Europe/Berlin}]
- name: office
  time_intervals: [{times: [{start_time: "09:00", end_time: "17:00"}], location: Europe/Berlin}]
`

// msg builds a message: "e1 fail" is a fail verdict of experiment e1,
// "e1 pass" a resolved one, "e1 marginal/interval_failed" an event.
func msg(team, spec string, at time.Time) notify.Message {
	exp, verdict, _ := strings.Cut(spec, " ")
	verdict, event, ok := strings.Cut(verdict, "/")
	if !ok {
		event = string(notify.EventVerdict)
	}
	sev := map[string]string{"fail": notify.SeverityCritical, "pass": notify.SeverityInfo}[verdict]
	if sev == "" {
		sev = notify.SeverityWarning
	}
	return notify.Message{ID: spec, ExperimentID: exp, Event: notify.Event(event), Verdict: verdict, Severity: sev,
		Labels: map[string]string{"team": team}, Resolved: verdict == "pass", At: at}
}

// summary renders a notification as "receiver reason [verdicts]".
func summary(n Notification) string {
	var ms []string
	for _, m := range n.Messages {
		ms = append(ms, m.ExperimentID+":"+m.Verdict)
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
	}{
		{"first notification after group_wait, batching the group", []step{
			{at: 0, add: add(msg("payments", "e1 marginal", t0))},
			{at: 5 * time.Second, add: add(msg("payments", "e2 inconclusive", t0))},
			{at: 9 * time.Second, want: nil},
			{at: 10 * time.Second, want: []string{"slack first e1:marginal,e2:inconclusive"}},
			{at: 70 * time.Second, want: nil},
		}},
		{"group_by splits groups", []step{
			{at: 0, add: add(msg("payments", "e1 marginal", t0), msg("checkout", "e2 marginal", t0))},
			{at: 10 * time.Second, want: []string{"slack first e1:marginal", "slack first e2:marginal"}},
		}},
		{"group_by ... groups by every label", []step{
			{at: 0, add: add(msg("search", "e1 marginal", t0), msg("search", "e2 marginal", t0), msg("search", "e3 marginal", t0))},
			{at: 10 * time.Second, want: []string{"slack first e1:marginal", "slack first e2:marginal", "slack first e3:marginal"}},
		}},
		{"continue: fail pages and goes on to slack", []step{
			{at: 0, add: add(msg("payments", "e1 fail", t0))},
			{at: 10 * time.Second, want: []string{"pager first e1:fail", "slack first e1:fail"}},
		}},
		{"changes wait for group_interval", []step{
			{at: 0, add: add(msg("payments", "e1 marginal", t0))},
			{at: 10 * time.Second, want: []string{"slack first e1:marginal"}},
			{at: 20 * time.Second, add: add(msg("payments", "e2 marginal", t0.Add(20*time.Second)))},
			{at: 69 * time.Second, want: nil},
			{at: 70 * time.Second, want: []string{"slack changed e1:marginal,e2:marginal"}},
		}},
		{"repeat while unchanged and firing", []step{
			{at: 0, add: add(msg("payments", "e1 marginal", t0))},
			{at: 10 * time.Second, want: []string{"slack first e1:marginal"}},
			{at: 70 * time.Second, want: nil},
			{at: 250 * time.Second, want: nil},
			{at: 310 * time.Second, want: []string{"slack repeat e1:marginal"}},
			{at: 370 * time.Second, want: nil},
			{at: 610 * time.Second, want: []string{"slack repeat e1:marginal"}},
		}},
		{"a newer verdict of the same experiment replaces the older", []step{
			{at: 0, add: add(msg("payments", "e1 marginal", t0))},
			{at: 10 * time.Second, want: []string{"slack first e1:marginal"}},
			{at: 30 * time.Second, add: add(msg("payments", "e1 inconclusive", t0))},
			// Same experiment, same event: not a new alert, so no
			// notification before the repeat (Alertmanager's identity is
			// the alert, not its annotations).
			{at: 70 * time.Second, want: nil},
			{at: 310 * time.Second, want: []string{"slack repeat e1:inconclusive"}},
		}},
		{"resolved is sent once and ends the group", []step{
			{at: 0, add: add(msg("payments", "e1 fail", t0))},
			{at: 10 * time.Second, want: []string{"pager first e1:fail", "slack first e1:fail"}},
			{at: 30 * time.Second, add: add(msg("payments", "e1 pass", t0.Add(30*time.Second)))},
			{at: 70 * time.Second, want: []string{"pager resolved e1:pass", "slack resolved e1:pass"}},
			{at: 130 * time.Second, want: nil},
			{at: 10 * time.Hour, want: nil},
		}},
		{"resolved of one of two firing", []step{
			{at: 0, add: add(msg("payments", "e1 marginal", t0), msg("payments", "e2 marginal", t0))},
			{at: 10 * time.Second, want: []string{"slack first e1:marginal,e2:marginal"}},
			{at: 30 * time.Second, add: add(msg("payments", "e1 pass", t0))},
			{at: 70 * time.Second, want: []string{"slack resolved e1:pass,e2:marginal"}},
			{at: 130 * time.Second, want: nil},
			{at: 370 * time.Second, want: []string{"slack repeat e2:marginal"}},
		}},
		{"nothing to resolve: a pass alone sends nothing", []step{
			{at: 0, add: add(msg("payments", "e1 pass", t0))},
			{at: 10 * time.Second, want: nil},
			{at: 10 * time.Hour, want: nil},
		}},
		{"fired and resolved within group_wait sends nothing", []step{
			{at: 0, add: add(msg("payments", "e1 marginal", t0))},
			{at: 5 * time.Second, add: add(msg("payments", "e1 pass", t0))},
			{at: 10 * time.Second, want: nil},
		}},
		{"a message older than group_wait flushes at once", []step{
			{at: time.Hour, add: add(msg("payments", "e1 marginal", t0))},
			{at: time.Hour, want: []string{"slack first e1:marginal"}},
		}},
		{"fail inhibits the marginal of the same experiment only", []step{
			{at: 0, add: add(msg("payments", "e1 marginal/interval_failed", t0), msg("checkout", "e2 marginal", t0), msg("payments", "e1 fail", t0))},
			{at: 10 * time.Second, want: []string{"pager first e1:fail", "slack first e1:fail", "slack first e2:marginal"}},
			// The fail resolves: the marginal event is no longer
			// inhibited, and its group sends it for the first time.
			{at: 20 * time.Second, add: add(msg("payments", "e1 pass", t0))},
			{at: 70 * time.Second, want: []string{"pager resolved e1:pass", "slack first e1:marginal", "slack resolved e1:pass"}},
		}},
		{"mute: nothing while muted, the backlog when it ends", []step{
			{at: sat, add: add(msg("weekend-quiet", "e1 marginal", t0.Add(sat)))},
			{at: sat + 10*time.Second, want: nil},
			{at: sat + time.Hour, want: nil},
			{at: sat + 2*time.Hour, add: add(msg("weekend-quiet", "e2 marginal", t0.Add(sat)))},
			// Monday 00:00 in Berlin is Sunday 23:00 UTC.
			{at: 4*24*time.Hour + 12*time.Hour + 59*time.Minute, want: nil},
			{at: 4*24*time.Hour + 13*time.Hour, want: []string{"slack first e1:marginal,e2:marginal"}},
		}},
		{"mute keeps a resolve for when it ends", []step{
			{at: sat - 24*time.Hour, add: add(msg("weekend-quiet", "e1 fail", t0))},
			{at: sat - 24*time.Hour + 10*time.Second, want: []string{"pager first e1:fail", "slack first e1:fail"}},
			{at: sat, add: add(msg("weekend-quiet", "e1 pass", t0.Add(sat)))},
			{at: sat + time.Minute, want: []string{"pager resolved e1:pass"}},
			{at: 4*24*time.Hour + 13*time.Hour, want: []string{"slack resolved e1:pass"}},
		}},
		{"active interval: office hours in Berlin", []step{
			{at: 8 * time.Hour, add: add(msg("office", "e1 marginal", t0))}, // 19:00 Berlin
			{at: 8*time.Hour + time.Minute, want: nil},
			{at: 21*time.Hour + 59*time.Minute, want: nil}, // 08:59 Berlin
			{at: 22 * time.Hour, want: []string{"slack first e1:marginal"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runSteps(t, NewDispatcher(tree, State{}), tt.steps)
		})
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
		{at: 70 * time.Second, want: []string{"slack changed e2:marginal,e3:marginal"}},
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
