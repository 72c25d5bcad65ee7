package route

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

func mustBuild(t *testing.T, yml string, receivers ...string) *Tree {
	t.Helper()
	c, err := Parse([]byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := Build(c, receivers)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// amTree is the tree of TestRouteMatchers in Alertmanager's
// dispatch/route_test.go (prometheus/alertmanager), in the matchers syntax.
const amTree = `
route:
  receiver: 'notify-def'
  routes:
  - matchers: ['{owner="team-A"}', '{level!="critical"}']
    receiver: 'notify-A'
    routes:
    - matchers: ['{env="testing"}', '{baz!~".*quux"}']
      receiver: 'notify-testing'
      group_by: [...]
    - matchers: ['{env="production"}']
      receiver: 'notify-productionA'
      group_wait: 1m
      continue: true
    - matchers: [ env=~"produ.*", job=~".*"]
      receiver: 'notify-productionB'
      group_wait: 30s
      group_interval: 5m
      repeat_interval: 1h
      group_by: ['job']
  - matchers: [owner=~"team-(B|C)"]
    group_by: ['foo', 'bar']
    group_wait: 2m
    receiver: 'notify-BC'
  - matchers: [group_by="role"]
    group_by: ['role']
    routes:
    - matchers: ['{env="testing"}']
      receiver: 'notify-testing'
      routes:
      - matchers: [wait="long"]
        group_wait: 2m
`

var amReceivers = []string{"notify-def", "notify-A", "notify-testing", "notify-productionA", "notify-productionB", "notify-BC"}

// TestMatchAlertmanagerCases replays the cases of TestRouteMatchers in
// Alertmanager's dispatch/route_test.go: inputs, matched routes' effective
// options, and route keys.
func TestMatchAlertmanagerCases(t *testing.T) {
	tree := mustBuild(t, amTree, amReceivers...)
	def := Defaults()
	opts := func(recv string, groupBy []string, all bool, wait, interval, repeat time.Duration) Options {
		return Options{Receiver: recv, GroupBy: groupBy, GroupByAll: all, GroupWait: wait, GroupInterval: interval, RepeatInterval: repeat}
	}
	tests := []struct {
		name  string
		input map[string]string
		want  []Options
		keys  []string
	}{
		{"owner team-A", map[string]string{"owner": "team-A"},
			[]Options{opts("notify-A", nil, false, def.GroupWait, def.GroupInterval, def.RepeatInterval)},
			[]string{`{}/{level!="critical",owner="team-A"}`}},
		{"no child matches env unset", map[string]string{"owner": "team-A", "env": "unset"},
			[]Options{opts("notify-A", nil, false, def.GroupWait, def.GroupInterval, def.RepeatInterval)},
			[]string{`{}/{level!="critical",owner="team-A"}`}},
		{"regex owner", map[string]string{"owner": "team-C"},
			[]Options{opts("notify-BC", []string{"bar", "foo"}, false, 2*time.Minute, def.GroupInterval, def.RepeatInterval)},
			[]string{`{}/{owner=~"team-(B|C)"}`}},
		{"group by all", map[string]string{"owner": "team-A", "env": "testing"},
			[]Options{opts("notify-testing", nil, true, def.GroupWait, def.GroupInterval, def.RepeatInterval)},
			[]string{`{}/{level!="critical",owner="team-A"}/{baz!~".*quux",env="testing"}`}},
		{"continue reaches the next sibling", map[string]string{"owner": "team-A", "env": "production"},
			[]Options{
				opts("notify-productionA", nil, false, time.Minute, def.GroupInterval, def.RepeatInterval),
				opts("notify-productionB", []string{"job"}, false, 30*time.Second, 5*time.Minute, time.Hour),
			},
			[]string{`{}/{level!="critical",owner="team-A"}/{env="production"}`, `{}/{level!="critical",owner="team-A"}/{env=~"produ.*",job=~".*"}`}},
		{"receiver inherited from root", map[string]string{"group_by": "role"},
			[]Options{opts("notify-def", []string{"role"}, false, def.GroupWait, def.GroupInterval, def.RepeatInterval)},
			[]string{`{}/{group_by="role"}`}},
		{"group_by inherited", map[string]string{"env": "testing", "group_by": "role"},
			[]Options{opts("notify-testing", []string{"role"}, false, def.GroupWait, def.GroupInterval, def.RepeatInterval)},
			[]string{`{}/{group_by="role"}/{env="testing"}`}},
		{"three levels deep", map[string]string{"env": "testing", "group_by": "role", "wait": "long"},
			[]Options{opts("notify-testing", []string{"role"}, false, 2*time.Minute, def.GroupInterval, def.RepeatInterval)},
			[]string{`{}/{group_by="role"}/{env="testing"}/{wait="long"}`}},
		// Not in Alertmanager's table: the root takes what no child matches,
		// and level="critical" fails team-A's level!="critical".
		{"root fallback", map[string]string{"owner": "team-A", "level": "critical"},
			[]Options{opts("notify-def", nil, false, def.GroupWait, def.GroupInterval, def.RepeatInterval)},
			[]string{`{}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Options
			var keys []string
			for _, r := range tree.Match(tt.input) {
				got = append(got, r.Opts)
				keys = append(keys, tree.Key(r))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("options:\n got %+v\nwant %+v", got, tt.want)
			}
			if !reflect.DeepEqual(keys, tt.keys) {
				t.Errorf("keys:\n got %q\nwant %q", keys, tt.keys)
			}
		})
	}
}

// TestWalkAlertmanagerOrder replays TestRouteWalk of Alertmanager's
// dispatch/route_test.go: depth-first, parents first, receivers inherited.
func TestWalkAlertmanagerOrder(t *testing.T) {
	tree := mustBuild(t, amTree, amReceivers...)
	var got []string
	tree.Walk(func(r *Route) { got = append(got, r.Opts.Receiver) })
	want := []string{"notify-def", "notify-A", "notify-testing", "notify-productionA", "notify-productionB", "notify-BC", "notify-def", "notify-testing", "notify-testing"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestInheritance covers what children take from their parent: the cases
// of TestInheritParentGroupByAll in Alertmanager's dispatch/route_test.go
// (group_by [...] inherited, overridden by a list), an explicit empty
// group_by resetting to one group, timers, and time intervals, which are
// not inherited.
func TestInheritance(t *testing.T) {
	tree := mustBuild(t, `
route:
  receiver: slack
  group_by: [team]
  repeat_interval: 1h
  routes:
  - matchers: [env="parent"]
    group_by: ['...']
    group_interval: 1m
    mute_time_intervals: [weekends]
    routes:
    - matchers: [env="child1"]
    - matchers: [env="child2"]
      group_by: ['foo']
    - matchers: [env="child3"]
      group_by: []
      receiver: pager
time_intervals:
- name: weekends
  time_intervals: [{weekdays: [saturday, sunday]}]
`, "slack", "pager")
	parent := tree.Root.Routes[0]
	tests := []struct {
		name string
		r    *Route
		want Options
	}{
		{"root", tree.Root, Options{Receiver: "slack", GroupBy: []string{"team"}, GroupWait: 30 * time.Second, GroupInterval: 5 * time.Minute, RepeatInterval: time.Hour}},
		{"parent", parent, Options{Receiver: "slack", GroupByAll: true, GroupWait: 30 * time.Second, GroupInterval: time.Minute, RepeatInterval: time.Hour, MuteTimeIntervals: []string{"weekends"}}},
		{"child1 inherits group_by all", parent.Routes[0], Options{Receiver: "slack", GroupByAll: true, GroupWait: 30 * time.Second, GroupInterval: time.Minute, RepeatInterval: time.Hour}},
		{"child2 overrides", parent.Routes[1], Options{Receiver: "slack", GroupBy: []string{"foo"}, GroupWait: 30 * time.Second, GroupInterval: time.Minute, RepeatInterval: time.Hour}},
		{"child3 empty group_by", parent.Routes[2], Options{Receiver: "pager", GroupWait: 30 * time.Second, GroupInterval: time.Minute, RepeatInterval: time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.r.Opts, tt.want) {
				t.Errorf("got %+v, want %+v", tt.r.Opts, tt.want)
			}
		})
	}
}

func TestContinue(t *testing.T) {
	tree := mustBuild(t, `
route:
  receiver: slack
  routes:
  - matchers: [verdict="fail"]
    receiver: pager
    continue: true
  - matchers: [team="payments"]
    receiver: payments
    routes:
    - matchers: [severity="critical"]
      receiver: payments-pager
  - matchers: [team=~".+"]
    receiver: teams
`, "slack", "pager", "payments", "payments-pager", "teams")
	tests := []struct {
		name   string
		labels map[string]string
		want   []string
	}{
		{"nothing matches: root", map[string]string{"team": ""}, []string{"slack"}},
		{"continue then first match stops", map[string]string{"verdict": "fail", "team": "payments"}, []string{"pager", "payments"}},
		{"nested match", map[string]string{"team": "payments", "severity": "critical"}, []string{"payments-pager"}},
		{"a continuing match alone is the only route", map[string]string{"verdict": "fail"}, []string{"pager"}},
		{"regex sibling", map[string]string{"team": "search"}, []string{"teams"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range tree.Match(tt.labels) {
				got = append(got, r.Opts.Receiver)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEventsOptIn: events other than verdicts go only where a route names
// the event label; verdicts follow Alertmanager's walk unchanged.
func TestEventsOptIn(t *testing.T) {
	tree := mustBuild(t, `
route:
  receiver: slack
  routes:
  - matchers: [team="payments"]
    receiver: payments
    routes:
    - matchers: [event="interval_failed"]
      receiver: payments-mail
  - matchers: ['event=~"run_.*"']
    receiver: releases
    routes:
    - matchers: [team="search"]
      receiver: search
`, "slack", "payments", "payments-mail", "releases", "search")
	tests := []struct {
		name   string
		labels map[string]string
		want   []string
	}{
		{"verdict as before", map[string]string{"team": "payments", "event": "verdict"}, []string{"payments"}},
		{"no event label is a verdict", map[string]string{"team": "other"}, []string{"slack"}},
		{"asked for by a child", map[string]string{"team": "payments", "event": "interval_failed"}, []string{"payments-mail"}},
		{"a matching team that does not ask passes it on", map[string]string{"team": "payments", "event": "run_started"}, []string{"releases"}},
		{"asking is inherited", map[string]string{"team": "search", "event": "run_aborted"}, []string{"search"}},
		{"nobody asks: not routed, not even to the root", map[string]string{"team": "other", "event": "interval_failed"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range tree.Match(tt.labels) {
				got = append(got, r.Opts.Receiver)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseMatchers(t *testing.T) {
	tests := []struct {
		in      string
		want    string // rendered, "" for an error
		matches map[string]string
		errPart string
	}{
		{in: `a="b"`, want: `{a="b"}`, matches: map[string]string{"a": "b"}},
		{in: `{a="b", c!="d"}`, want: `{a="b",c!="d"}`, matches: map[string]string{"a": "b"}},
		{in: `team=payments`, want: `{team="payments"}`, matches: map[string]string{"team": "payments"}},
		{in: `a=~"fo+"`, want: `{a=~"fo+"}`, matches: map[string]string{"a": "foo"}},
		{in: `a!~"fo+"`, want: `{a!~"fo+"}`, matches: map[string]string{"a": "xfoo"}}, // anchored
		{in: `a=""`, want: `{a=""}`, matches: map[string]string{}},                    // absent is empty
		{in: `a="x\"y"`, want: `{a="x\"y"}`, matches: map[string]string{"a": `x"y`}},
		{in: `a=~"("`, errPart: "bad regex"},
		{in: `a~"b"`, errPart: "expected one of"},
		{in: `="b"`, errPart: "label name"},
		{in: `a="b`, errPart: "unterminated"},
		{in: `{a="b"`, errPart: "closing"},
		{in: `a="b",`, errPart: "trailing"},
		{in: ``, errPart: "no matcher"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ms, err := ParseMatchers(tt.in)
			if tt.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errPart) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ms.String() != tt.want {
				t.Errorf("got %s, want %s", ms, tt.want)
			}
			if !ms.Matches(tt.matches) {
				t.Errorf("%s does not match %v", ms, tt.matches)
			}
		})
	}
}

func TestLabels(t *testing.T) {
	m := notify.Message{ExperimentID: "e1", Event: notify.EventVerdict, Verdict: "fail", Severity: notify.SeverityCritical,
		Labels: map[string]string{"team": "payments", "verdict": "spoofed"}}
	got := Labels(m)
	want := map[string]string{"team": "payments", "verdict": "fail", "severity": "critical", "event": "verdict", "experiment_id": "e1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if m.Labels["verdict"] != "spoofed" {
		t.Error("Labels changed the message's map")
	}
}
