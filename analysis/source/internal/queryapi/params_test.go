package queryapi

import (
	"testing"
	"time"
)

func TestSeconds(t *testing.T) {
	cases := []struct {
		t    time.Time
		want string
	}{
		{time.Unix(1700000000, 0), "1700000000"},
		{time.Unix(1700000000, 250*int64(time.Millisecond)), "1700000000.25"},
		{time.Unix(1700000000, 7*int64(time.Millisecond)), "1700000000.007"},
		{time.Unix(1700000000, 999999999), "1700000000.999"}, // to the millisecond
		{time.Unix(0, 0), "0"},
		{time.Unix(-2, 500*int64(time.Millisecond)), "-1.5"},
	}
	for _, c := range cases {
		if got := Seconds(c.t); got != c.want {
			t.Errorf("Seconds(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}

func TestDurationSeconds(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want string
	}{
		{time.Minute, "60"}, {500 * time.Millisecond, "0.5"}, {90*time.Second + time.Millisecond, "90.001"},
		{time.Nanosecond, "0.000000001"}, {0, "0"}, {-time.Second, "-1"},
	}
	for _, c := range cases {
		if got := DurationSeconds(c.d); got != c.want {
			t.Errorf("DurationSeconds(%s) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestUnixMillis(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1435781451.781", 1435781451781, true},
		{"1435781451", 1435781451000, true},
		{"1435781451.5", 1435781451500, true},
		{"1435781451.0005", 1435781451001, true}, // rounded to the millisecond
		{"1.435781451781e9", 1435781451781, true},
		{"-1.5", -1500, true},
		{`"1435781451"`, 0, false},
		{"NaN", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		got, err := unixMillis([]byte(c.in))
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("unixMillis(%s) = %d, %v; want %d, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}
