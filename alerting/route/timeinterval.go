package route

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// interval is a compiled TimeInterval.
type interval struct {
	times       [][2]int // minutes of the day, [start, end)
	weekdays    [][2]int // 0 = sunday
	daysOfMonth [][2]int // may be negative: -1 is the last day
	months      [][2]int
	years       [][2]int
	loc         *time.Location
}

var (
	weekdayNames = map[string]int{"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6}
	monthNames   = map[string]int{"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12}
	clockRE      = regexp.MustCompile(`^(\d{2}):(\d{2})$`)
)

// compileInterval reads a TimeInterval; errors name their field under path.
func compileInterval(t TimeInterval, path string) (interval, error) {
	var in interval
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("route: "+format, args...))
	}
	for i, tr := range t.Times {
		p := fmt.Sprintf("%s.times[%d]", path, i)
		start, err1 := parseClock(tr.StartTime)
		if err1 != nil {
			bad("%s.start_time: %v", p, err1)
		}
		end, err2 := parseClock(tr.EndTime)
		if err2 != nil {
			bad("%s.end_time: %v", p, err2)
		}
		if err1 == nil && err2 == nil {
			if start >= end {
				bad("%s: start_time %q must be before end_time %q", p, tr.StartTime, tr.EndTime)
			}
			in.times = append(in.times, [2]int{start, end})
		}
	}
	ranges := []struct {
		field    string
		list     []string
		names    map[string]int
		min, max int
		out      *[][2]int
	}{
		{"weekdays", t.Weekdays, weekdayNames, 0, 6, &in.weekdays},
		{"days_of_month", t.DaysOfMonth, nil, -31, 31, &in.daysOfMonth},
		{"months", t.Months, monthNames, 1, 12, &in.months},
		{"years", t.Years, nil, 1, 9999, &in.years},
	}
	for _, r := range ranges {
		for i, s := range r.list {
			b, e, err := parseRange(s, r.names, r.min, r.max)
			if err == nil && r.field == "days_of_month" {
				err = checkDays(b, e)
			}
			if err != nil {
				bad("%s.%s[%d]: %q: %v", path, r.field, i, s, err)
				continue
			}
			*r.out = append(*r.out, [2]int{b, e})
		}
	}
	in.loc = time.UTC
	if t.Location != "" {
		loc, err := time.LoadLocation(t.Location)
		if err != nil {
			bad("%s.location: %q is not a known time zone", path, t.Location)
		} else {
			in.loc = loc
		}
	}
	return in, errors.Join(errs...)
}

func parseClock(s string) (int, error) {
	m := clockRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM)", s)
	}
	h, _ := strconv.Atoi(m[1])
	mm, _ := strconv.Atoi(m[2])
	if h > 24 || mm > 59 || h == 24 && mm != 0 {
		return 0, fmt.Errorf("%q is not a time of day (00:00 to 24:00)", s)
	}
	return h*60 + mm, nil
}

// parseRange reads "a" or "a:b", each a number or one of names.
func parseRange(s string, names map[string]int, lo, hi int) (int, int, error) {
	a, b, isRange := strings.Cut(s, ":")
	begin, err := rangeMember(a, names, lo, hi)
	if err != nil {
		return 0, 0, err
	}
	end := begin
	if isRange {
		if end, err = rangeMember(b, names, lo, hi); err != nil {
			return 0, 0, err
		}
	}
	if begin > end && !(begin > 0 && end < 0) { // days_of_month checks mixed signs itself
		return 0, 0, errors.New("start is after end")
	}
	return begin, end, nil
}

func rangeMember(s string, names map[string]int, lo, hi int) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if n, ok := names[s]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a valid value", s)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is out of range %d to %d", n, lo, hi)
	}
	return n, nil
}

// checkDays refuses day-of-month ranges that can never hold: day 0, a
// negative start with a positive end, an end before the start in every
// month (taking the shortest month, 28 days).
func checkDays(b, e int) error {
	if b == 0 || e == 0 {
		return errors.New("0 is not a day of the month")
	}
	if b < 0 && e > 0 {
		return errors.New("the end must be negative when the start is")
	}
	cb, ce := b, e
	if cb < 0 {
		cb += 29
	}
	if ce < 0 {
		ce += 29
	}
	if cb > ce {
		return fmt.Errorf("end day %d is always before start day %d", e, b)
	}
	return nil
}

// contains reports whether t is in the interval, reading t in the
// interval's location.
func (in interval) contains(t time.Time) bool {
	t = t.In(in.loc)
	if in.times != nil {
		m := t.Hour()*60 + t.Minute()
		if !anyRange(in.times, func(r [2]int) bool { return m >= r[0] && m < r[1] }) {
			return false
		}
	}
	if in.daysOfMonth != nil {
		days := time.Date(t.Year(), t.Month()+1, 0, 12, 0, 0, 0, in.loc).Day()
		d := t.Day()
		if !anyRange(in.daysOfMonth, func(r [2]int) bool {
			b, e := r[0], r[1]
			if b < 0 {
				b += days + 1
			}
			if e < 0 {
				e += days + 1
			}
			return d >= b && d <= min(e, days)
		}) {
			return false
		}
	}
	if in.months != nil && !anyRange(in.months, between(int(t.Month()))) {
		return false
	}
	if in.weekdays != nil && !anyRange(in.weekdays, between(int(t.Weekday()))) {
		return false
	}
	if in.years != nil && !anyRange(in.years, between(t.Year())) {
		return false
	}
	return true
}

func between(v int) func([2]int) bool {
	return func(r [2]int) bool { return v >= r[0] && v <= r[1] }
}

func anyRange(rs [][2]int, f func([2]int) bool) bool {
	for _, r := range rs {
		if f(r) {
			return true
		}
	}
	return false
}
