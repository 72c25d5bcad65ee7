package analysis

import (
	"testing"
	"time"
)

// TestScheduleWindows checks Kayenta's interval semantics: growing windows
// from start+begin_after, lookback windows, the baseline offset and the
// count from lifetime / interval or limits.count.
func TestScheduleWindows(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	d := func(m int) Duration { return Duration(time.Duration(m) * time.Minute) }
	tests := []struct {
		name      string
		timing    Timing
		count     int
		wantCount int
		i         int
		treat     TimeRange
		ref       TimeRange
		due       time.Time
	}{
		{"growing window", Timing{Lifetime: d(60), Interval: d(15)}, 0, 4, 2, TimeRange{at(0), at(45)}, TimeRange{at(0), at(45)}, at(45)},
		{"begin after", Timing{Lifetime: d(60), Interval: d(15), BeginAfter: d(10)}, 0, 4, 0, TimeRange{at(10), at(25)}, TimeRange{at(10), at(25)}, at(25)},
		{"lookback slides", Timing{Lifetime: d(60), Interval: d(15), Lookback: d(20)}, 0, 4, 3, TimeRange{at(40), at(60)}, TimeRange{at(40), at(60)}, at(60)},
		{"lookback longer than elapsed", Timing{Lifetime: d(60), Interval: d(15), Lookback: d(20)}, 0, 4, 0, TimeRange{at(0), at(15)}, TimeRange{at(0), at(15)}, at(15)},
		{"baseline offset", Timing{Lifetime: d(30), Interval: d(30), BaselineOffset: d(60)}, 0, 1, 0, TimeRange{at(0), at(30)}, TimeRange{at(-60), at(-30)}, at(30)},
		{"delay", Timing{Lifetime: d(30), Interval: d(10), Delay: Duration(30 * time.Second)}, 0, 3, 1, TimeRange{at(0), at(20)}, TimeRange{at(0), at(20)}, at(20).Add(30 * time.Second)},
		{"count instead of lifetime", Timing{Interval: d(5)}, 7, 7, 6, TimeRange{at(0), at(35)}, TimeRange{at(0), at(35)}, at(35)},
		{"lifetime not a multiple", Timing{Lifetime: d(50), Interval: d(15)}, 0, 3, 2, TimeRange{at(0), at(45)}, TimeRange{at(0), at(45)}, at(45)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Spec{Timing: tt.timing, Limits: Limits{Count: tt.count}}
			sch := s.Schedule(t0)
			if sch.Count != tt.wantCount {
				t.Errorf("count %d, want %d", sch.Count, tt.wantCount)
			}
			tw, rw, due := sch.Window(tt.i)
			if tw != tt.treat || rw != tt.ref || !due.Equal(tt.due) {
				t.Errorf("interval %d: treatment %v reference %v due %v; want %v %v %v", tt.i, tw, rw, due, tt.treat, tt.ref, tt.due)
			}
		})
	}
}

func TestScheduleStart(t *testing.T) {
	run := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	abs := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		start *StartTime
		want  time.Time
	}{
		{nil, run},
		{&StartTime{At: &abs}, abs},
		{&StartTime{Relative: -time.Hour}, run.Add(-time.Hour)},
	} {
		s := Spec{Timing: Timing{Start: tt.start, Lifetime: Duration(time.Hour), Interval: Duration(time.Hour)}}
		if got := s.Schedule(run).Begin; !got.Equal(tt.want) {
			t.Errorf("start %v: begin %v, want %v", tt.start, got, tt.want)
		}
	}
}
