package logs

import (
	"context"
	"testing"
	"time"

	"github.com/augurhq/augur/collector/store/storetest"
)

// TestLogsIdleEviction: a series without records for idle_timeout loses
// its state; a later record starts its counter from zero, which PromQL
// takes as a reset, so increase() still counts every record.
func TestLogsIdleEviction(t *testing.T) {
	st := storetest.Open(t)
	cfg := DefaultConfig()
	cfg.IdleTimeout = 15 * time.Minute
	l := newLogs(t, st, cfg)
	clock := time.Now().Add(-time.Hour).Truncate(time.Minute)
	l.now = func() time.Time { return clock }
	consume := func(version string, n int) {
		t.Helper()
		recs := make([]Record, n)
		for i := range recs {
			recs[i] = Record{Time: clock.Add(time.Second + time.Duration(i)*time.Millisecond), Severity: SeverityError, Body: "payment declined",
				Labels: map[string]string{LabelServiceName: "checkout", LabelServiceVersion: version}}
		}
		if res, err := l.Consume(context.Background(), recs); err != nil || res.Rejected != 0 {
			t.Fatalf("Consume = %+v, %v", res, err)
		}
	}
	held := func() int {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.series)
	}

	consume("v1", 3)
	clock = clock.Add(10 * time.Minute)
	consume("v2", 1)
	if n := held(); n != 4 { // records and pattern series of v1 and v2
		t.Fatalf("series held = %d, want 4", n)
	}
	clock = clock.Add(10 * time.Minute) // v1 idle 20 min, v2 10 min
	consume("v2", 1)
	if n := held(); n != 2 {
		t.Fatalf("series held after v1 went idle = %d, want v2's 2", n)
	}
	clock = clock.Add(10 * time.Minute)
	consume("v1", 2)

	at := clock.Add(time.Second + time.Millisecond)
	for _, metric := range []string{MetricLogRecords, MetricLogPatternRecords} {
		for expr, want := range map[string]float64{
			`increase(` + metric + `{service_version="v1"}[1h])`: 5,
			`resets(` + metric + `{service_version="v1"}[1h])`:   1,
		} {
			got := query(t, st, expr, at, LabelServiceVersion)
			if len(got) != 1 || got["v1"] != want {
				t.Errorf("%s = %v, want %v", expr, got, want)
			}
		}
	}
}
