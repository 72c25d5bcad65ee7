package route

import (
	"strings"
	"testing"
)

func TestParseIsStrict(t *testing.T) {
	_, err := Parse([]byte("route:\n  receiver: a\n  group_wiat: 1m\n"))
	if err == nil || !strings.Contains(err.Error(), "group_wiat") {
		t.Fatalf("err = %v, want the unknown key named", err)
	}
}

func TestValidate(t *testing.T) {
	const intervals = `
time_intervals:
- name: weekends
  time_intervals: [{weekdays: [saturday, sunday]}]
`
	tests := []struct {
		name string
		yml  string
		want []string // every one must appear; nil: valid
	}{
		{name: "valid", yml: `
route:
  receiver: slack
  group_by: [experiment_id]
  routes:
  - matchers: [verdict="fail"]
    receiver: pager
    mute_time_intervals: [weekends]
    group_wait: 0s
inhibit_rules:
- source_matchers: [verdict="fail"]
  target_matchers: [verdict="marginal"]
  equal: [experiment_id]
` + intervals},
		{name: "no route is valid", yml: `inhibit_rules: []`},
		{name: "root with matchers, continue and intervals", yml: `
route:
  receiver: slack
  matchers: [team="a"]
  continue: true
  mute_time_intervals: [weekends]
  active_time_intervals: [weekends]
` + intervals, want: []string{"route.matchers:", "route.continue:", "route.mute_time_intervals:", "route.active_time_intervals:"}},
		{name: "root without receiver", yml: "route:\n  group_wait: 1m\n", want: []string{"route.receiver: must be set"}},
		{name: "every bad field named", yml: `
route:
  receiver: slack
  routes:
  - receiver: nosuch
    matchers: ['team=~"("', 'ok="1"', 'bad~"x"']
    group_wait: soon
    group_interval: 0s
    repeat_interval: -1h
    group_by: [team, team, "bad-name"]
    mute_time_intervals: [holidays]
    routes:
    - active_time_intervals: [nights]
      group_by: ['...', team]
`, want: []string{
			`route.routes[0].receiver: unknown receiver "nosuch"`,
			`route.routes[0].matchers[0]: "team=~\"(\"": bad regex`,
			`route.routes[0].matchers[2]:`,
			`route.routes[0].group_wait: "soon" is not a duration`,
			`route.routes[0].group_interval: "0s" must be greater than zero`,
			`route.routes[0].repeat_interval: "-1h" is not a duration`,
			`route.routes[0].group_by[1]: "team" is listed twice`,
			`route.routes[0].group_by[2]: "bad-name" is not a label name`,
			`route.routes[0].mute_time_intervals[0]: unknown time interval "holidays"`,
			`route.routes[0].routes[0].active_time_intervals[0]: unknown time interval "nights"`,
			`route.routes[0].routes[0].group_by[0]: "..." groups by every label and must be alone`,
		}},
		{name: "bad inhibit rules", yml: `
inhibit_rules:
- source_matchers: ['verdict="fail'] 
  equal: [experiment-id]
`, want: []string{
			"inhibit_rules[0].source_matchers[0]:",
			"inhibit_rules[0].target_matchers: must be set",
			`inhibit_rules[0].equal[0]: "experiment-id" is not a label name`,
		}},
		{name: "bad time intervals", yml: `
time_intervals:
- name: a
  time_intervals:
  - times: [{start_time: "17:00", end_time: "09:00"}, {start_time: "9", end_time: "24:01"}]
    weekdays: [funday, "friday:monday"]
    days_of_month: ["0", "-1:5", "40", "-3:-1", "1:-1", "20:-20"]
    months: [smarch, "13"]
    years: ["2026:2025", "abc"]
    location: Mars/Olympus
- name: a
  time_intervals: []
- time_intervals: []
`, want: []string{
			`time_intervals[0].time_intervals[0].times[0]: start_time "17:00" must be before end_time "09:00"`,
			`time_intervals[0].time_intervals[0].times[1].start_time: "9" is not a time of day`,
			`time_intervals[0].time_intervals[0].times[1].end_time: "24:01" is not a time of day`,
			`time_intervals[0].time_intervals[0].weekdays[0]: "funday"`,
			`time_intervals[0].time_intervals[0].weekdays[1]: "friday:monday": start is after end`,
			`time_intervals[0].time_intervals[0].days_of_month[0]: "0"`,
			`time_intervals[0].time_intervals[0].days_of_month[1]: "-1:5": the end must be negative`,
			`time_intervals[0].time_intervals[0].days_of_month[2]: "40": 40 is out of range`,
			`time_intervals[0].time_intervals[0].days_of_month[5]: "20:-20": end day -20 is always before start day 20`,
			`time_intervals[0].time_intervals[0].months[0]: "smarch"`,
			`time_intervals[0].time_intervals[0].months[1]: "13": 13 is out of range`,
			`time_intervals[0].time_intervals[0].years[0]: "2026:2025": start is after end`,
			`time_intervals[0].time_intervals[0].years[1]: "abc"`,
			`time_intervals[0].time_intervals[0].location: "Mars/Olympus" is not a known time zone`,
			`time_intervals[1].name: "a" is defined twice`,
			`time_intervals[2].name: must be set`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yml))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate([]string{"slack", "pager"})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if _, err := Build(c, []string{"slack", "pager"}); err != nil {
					t.Fatalf("Build: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			if n, w := strings.Count(err.Error(), "\n")+1, len(tt.want); n != w {
				t.Errorf("%d errors, want %d:\n%v", n, w, err)
			}
			if _, err := Build(c, []string{"slack", "pager"}); err == nil {
				t.Error("Build accepted an invalid config")
			}
		})
	}
}
