package route

import (
	"testing"
	"time"
)

func TestIntervalContains(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		in   TimeInterval
		at   time.Time
		want bool
	}{
		{"weekend saturday", TimeInterval{Weekdays: []string{"saturday", "sunday"}}, at("2026-12-05T10:00:00Z"), true},
		{"weekend friday", TimeInterval{Weekdays: []string{"saturday", "sunday"}}, at("2026-12-04T23:59:00Z"), false},
		{"weekday range", TimeInterval{Weekdays: []string{"monday:friday"}}, at("2026-12-02T12:00:00Z"), true},
		// Saturday 02:00 UTC is still Friday in New York.
		{"weekend read in its location", TimeInterval{Weekdays: []string{"saturday", "sunday"}, Location: "America/New_York"}, at("2026-12-05T02:00:00Z"), false},
		{"weekend read in UTC by default", TimeInterval{Weekdays: []string{"saturday", "sunday"}}, at("2026-12-05T02:00:00Z"), true},
		{"times start inclusive", TimeInterval{Times: []TimeRange{{"09:00", "17:00"}}}, at("2026-12-02T09:00:00Z"), true},
		{"times end exclusive", TimeInterval{Times: []TimeRange{{"09:00", "17:00"}}}, at("2026-12-02T17:00:00Z"), false},
		{"times to 24:00", TimeInterval{Times: []TimeRange{{"22:00", "24:00"}}}, at("2026-12-02T23:59:00Z"), true},
		{"times in location", TimeInterval{Times: []TimeRange{{"09:00", "17:00"}}, Location: "America/New_York"}, at("2026-12-02T15:00:00Z"), true},
		{"times in location, outside", TimeInterval{Times: []TimeRange{{"09:00", "17:00"}}, Location: "America/New_York"}, at("2026-12-02T23:00:00Z"), false},
		{"last day of a leap february", TimeInterval{DaysOfMonth: []string{"-1"}}, at("2028-02-29T12:00:00Z"), true},
		{"not the last day", TimeInterval{DaysOfMonth: []string{"-1"}}, at("2028-02-28T12:00:00Z"), false},
		{"last week of a 30-day month", TimeInterval{DaysOfMonth: []string{"-7:-1"}}, at("2026-11-24T00:00:00Z"), true},
		{"before the last week", TimeInterval{DaysOfMonth: []string{"-7:-1"}}, at("2026-11-23T23:59:00Z"), false},
		{"first to last", TimeInterval{DaysOfMonth: []string{"1:-1"}}, at("2026-02-28T00:00:00Z"), true},
		{"day 31 range clamped in a 30-day month", TimeInterval{DaysOfMonth: []string{"25:31"}}, at("2026-04-30T00:00:00Z"), true},
		{"month range by name", TimeInterval{Months: []string{"june:august"}}, at("2026-07-01T00:00:00Z"), true},
		{"month by number", TimeInterval{Months: []string{"12"}}, at("2026-11-30T23:00:00Z"), false},
		{"years", TimeInterval{Years: []string{"2025:2026"}}, at("2026-12-31T23:59:00Z"), true},
		{"years, later", TimeInterval{Years: []string{"2025:2026"}}, at("2027-01-01T00:00:00Z"), false},
		{"every field must hold", TimeInterval{Weekdays: []string{"saturday"}, Times: []TimeRange{{"00:00", "06:00"}}}, at("2026-12-05T07:00:00Z"), false},
		// 2026-03-08 is the US spring-forward day: 03:30 local exists, in EDT.
		{"across DST", TimeInterval{Times: []TimeRange{{"03:00", "04:00"}}, Location: "America/New_York"}, time.Date(2026, 3, 8, 3, 30, 0, 0, ny), true},
		// Alertmanager's timeinterval/timeinterval_test.go regression case
		// for -1 across a spring-forward month (prometheus/alertmanager#5447):
		// March has 31 days in New York too.
		{"last day of a spring-forward month", TimeInterval{DaysOfMonth: []string{"-1"}, Location: "America/New_York"}, time.Date(2026, 3, 31, 12, 0, 0, 0, ny), true},
		{"not the day before it", TimeInterval{DaysOfMonth: []string{"-1"}, Location: "America/New_York"}, time.Date(2026, 3, 30, 12, 0, 0, 0, ny), false},
		{"last day in local time", TimeInterval{DaysOfMonth: []string{"-1"}, Location: "America/New_York"}, at("2026-12-01T03:00:00Z"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := compileInterval(tt.in, "x")
			if err != nil {
				t.Fatal(err)
			}
			if got := in.contains(tt.at); got != tt.want {
				t.Errorf("contains(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestMuted(t *testing.T) {
	tree := mustBuild(t, `
route:
  receiver: slack
  routes:
  - matchers: [a="mute"]
    mute_time_intervals: [weekends]
  - matchers: [a="active"]
    active_time_intervals: [office, weekends]
  - matchers: [a="both"]
    mute_time_intervals: [weekends]
    active_time_intervals: [weekends]
time_intervals:
- name: weekends
  time_intervals: [{weekdays: [saturday, sunday], location: Europe/Berlin}]
- name: office
  time_intervals:
  - {weekdays: ["monday:friday"], times: [{start_time: "09:00", end_time: "17:00"}], location: Europe/Berlin}
`, "slack")
	saturday := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	fridayEvening := time.Date(2026, 12, 4, 17, 30, 0, 0, time.UTC) // 18:30 in Berlin
	fridayLateUTC := time.Date(2026, 12, 4, 23, 30, 0, 0, time.UTC) // Saturday 00:30 in Berlin
	wednesday := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		route int
		at    time.Time
		want  bool
	}{
		{0, saturday, true}, {0, wednesday, false}, {0, fridayLateUTC, true}, {0, fridayEvening, false},
		{1, wednesday, false}, {1, saturday, false}, {1, fridayEvening, true},
		{2, saturday, true}, {2, wednesday, true},
	}
	for _, tt := range tests {
		r := tree.Root.Routes[tt.route]
		t.Run(r.Matchers.String()+" "+tt.at.Format(time.RFC3339), func(t *testing.T) {
			if got := tree.Muted(r, tt.at); got != tt.want {
				t.Errorf("Muted = %v, want %v", got, tt.want)
			}
		})
	}
	if tree.Muted(tree.Root, saturday) {
		t.Error("the root is never muted")
	}
}
