package queryapi

import (
	"strconv"
	"strings"
	"time"
)

// Seconds writes t as Unix seconds to the millisecond, Prometheus'
// resolution, with as many decimals as it needs ("1700000000",
// "1700000000.25"): the time format of Prometheus' query API.
func Seconds(t time.Time) string {
	ms := t.UnixMilli()
	if ms < 0 {
		return strconv.FormatFloat(float64(ms)/1e3, 'f', -1, 64)
	}
	return decimal(ms/1e3, ms%1e3*1e6)
}

// DurationSeconds writes d as seconds with exactly as many decimals as it
// needs ("60", "0.5"), a step both Prometheus and Loki accept.
func DurationSeconds(d time.Duration) string {
	if d < 0 {
		return "-" + DurationSeconds(-d)
	}
	return decimal(int64(d/time.Second), int64(d%time.Second))
}

func decimal(sec, nsec int64) string {
	s := strconv.FormatInt(sec, 10)
	if nsec == 0 {
		return s
	}
	frac := strconv.FormatInt(nsec+1e9, 10)[1:] // nine digits, leading zeros kept
	return s + "." + strings.TrimRight(frac, "0")
}
