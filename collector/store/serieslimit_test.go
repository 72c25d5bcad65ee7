package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
)

func series(name string, kv ...string) labels.Labels {
	return labels.FromStrings(append([]string{"__name__", name}, kv...)...)
}

// TestActiveSeriesLimitRefusesOnlyNewSeries: at the limit, a sample of an
// existing series is stored on both appender interfaces; a new series is
// refused with an error Prometheus' handlers take for a bad sample
// (storage.ErrOutOfBounds) that names the limit.
func TestActiveSeriesLimitRefusesOnlyNewSeries(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	s.LimitActiveSeries(3)
	ctx := context.Background()
	ts := time.Now().Add(-time.Minute).UnixMilli()

	app := s.Appender(ctx)
	for _, v := range []string{"a", "b", "c"} {
		if _, err := app.Append(0, series("m", "v", v), ts, 1); err != nil {
			t.Fatalf("series %s under the limit: %v", v, err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		ls     labels.Labels
		v1     bool // Appender, else AppenderV2
		refuse bool
	}{
		{"existing series, appender", series("m", "v", "a"), true, false},
		{"existing series, appender v2", series("m", "v", "b"), false, false},
		{"new series, appender", series("m", "v", "d"), true, true},
		{"new series, appender v2", series("other"), false, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at := ts + int64(i+1)*1000
			var err error
			if tc.v1 {
				a := s.Appender(ctx)
				if _, err = a.Append(0, tc.ls, at, 2); err == nil {
					err = a.Commit()
				} else {
					_ = a.Rollback()
				}
			} else {
				a := s.AppenderV2(ctx)
				if _, err = a.Append(0, tc.ls, 0, at, 2, nil, nil, storage.AOptions{}); err == nil {
					err = a.Commit()
				} else {
					_ = a.Rollback()
				}
			}
			if !tc.refuse {
				if err != nil {
					t.Fatalf("append: %v", err)
				}
				return
			}
			var lim *SeriesLimitError
			if !errors.Is(err, storage.ErrOutOfBounds) || !errors.As(err, &lim) || lim.Limit != 3 {
				t.Fatalf("err = %v, want a SeriesLimitError of 3 that is storage.ErrOutOfBounds", err)
			}
			if !strings.Contains(err.Error(), "max_active_series") || !strings.Contains(err.Error(), "3") {
				t.Errorf("message %q does not name the limit", err)
			}
		})
	}
	if n := s.ActiveSeries(); n != 3 {
		t.Errorf("ActiveSeries = %d, want 3", n)
	}
	v, _, err := s.Instant(ctx, `m{v="a"}`, time.UnixMilli(ts+1000))
	if vec, ok := v.(promql.Vector); err != nil || !ok || len(vec) != 1 || vec[0].F != 2 {
		t.Errorf(`m{v="a"} = %v (%v), want the second sample, 2`, v, err)
	}

	// Lifting the limit lets new series in again.
	s.LimitActiveSeries(0)
	a := s.Appender(ctx)
	if _, err := a.Append(0, series("m", "v", "d"), ts, 1); err != nil {
		t.Errorf("no limit: %v", err)
	}
	_ = a.Commit()
}

// TestActiveSeriesLimitConcurrentAppenders: appenders creating series at
// once cannot push the head past the limit: creations in flight count.
func TestActiveSeriesLimitConcurrentAppenders(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	const limit, workers, each = 50, 8, 40
	s.LimitActiveSeries(limit)
	ts := time.Now().Add(-time.Minute).UnixMilli()
	var wg sync.WaitGroup
	refused := make([]int, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			app := s.Appender(context.Background())
			for i := range each {
				_, err := app.Append(0, series("c", "w", fmt.Sprint(w), "i", fmt.Sprint(i)), ts, 1)
				if errors.Is(err, storage.ErrOutOfBounds) {
					refused[w]++
				} else if err != nil {
					t.Error(err)
				}
			}
			if err := app.Commit(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range refused {
		total += n
	}
	if n := s.ActiveSeries(); n != limit || total != workers*each-limit {
		t.Errorf("ActiveSeries = %d with %d refused, want %d and %d", n, total, limit, workers*each-limit)
	}
}

// TestActiveSeriesLimitSparesReplay: series replayed from the write-ahead
// log at start-up are never refused, even past a limit set afterwards.
func TestActiveSeriesLimitSparesReplay(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	ts := time.Now().Add(-time.Minute).UnixMilli()
	app := s.Appender(context.Background())
	for i := range 5 {
		if _, err := app.Append(0, series("r", "i", fmt.Sprint(i)), ts, float64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	s.LimitActiveSeries(3)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir)
	defer s.Close()
	s.LimitActiveSeries(3)
	if n := s.ActiveSeries(); n != 5 {
		t.Fatalf("replayed %d series, want 5", n)
	}
	app = s.Appender(context.Background())
	if _, err := app.Append(0, series("r", "i", "4"), ts+1000, 9); err != nil {
		t.Errorf("existing series over the limit: %v", err)
	}
	if _, err := app.Append(0, series("r", "i", "5"), ts+1000, 9); !errors.Is(err, storage.ErrOutOfBounds) {
		t.Errorf("new series over the limit: %v, want refused", err)
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestSeriesLimiterForgetsLostRaces: an approved creation that never
// completes (it lost a race to a concurrent creation of the same series)
// stops counting after a while, so the limit does not shrink over time.
func TestSeriesLimiterForgetsLostRaces(t *testing.T) {
	now := time.Unix(1000, 0)
	head := uint64(0)
	l := newSeriesLimiter(func() time.Time { return now })
	l.head = func() uint64 { return head }
	l.limit.Store(2)
	a, b := series("a"), series("b")
	for _, ls := range []labels.Labels{a, b} {
		if err := l.PreCreation(ls); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.PreCreation(series("c")); err == nil {
		t.Fatal("two creations in flight at a limit of 2: a third was approved")
	}
	head++ // a is created; b lost its race and is never created
	l.PostCreation(a)
	if err := l.PreCreation(series("c")); err == nil {
		t.Fatal("b is still pending: c was approved")
	}
	now = now.Add(pendingTTL + time.Second)
	if err := l.PreCreation(series("c")); err != nil {
		t.Fatalf("after b's approval expired: %v", err)
	}
}
