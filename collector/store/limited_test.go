package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
)

// TestLimited: a limited view refuses an evaluation loading more samples
// than its bound, which the store's own engine answers, and otherwise
// evaluates exactly as the store does (lookback, @ and negative offsets,
// subqueries without a step).
func TestLimited(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	end := time.Now().Truncate(time.Minute)
	start := end.Add(-30 * time.Minute)
	app := s.Appender(context.Background())
	for i := range 10 {
		ls := labels.FromStrings("__name__", "requests_total", "pod", fmt.Sprint(i))
		for m := 0; m <= 30; m++ {
			if _, err := app.Append(0, ls, start.Add(time.Duration(m)*time.Minute).UnixMilli(), float64(m*60*(i+1))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	l := s.Limited(100, nil)
	ctx := context.Background()

	// 10 series × 11 points = 110 samples in the result.
	const expr = "requests_total"
	if _, _, err := s.Range(ctx, expr, start, start.Add(10*time.Minute), time.Minute); err != nil {
		t.Fatalf("store: %v", err)
	}
	_, _, err := l.Range(ctx, expr, start, start.Add(10*time.Minute), time.Minute)
	var tooMany promql.ErrTooManySamples
	if !errors.As(err, &tooMany) {
		t.Fatalf("limited over its bound: got %v, want too many samples", err)
	}
	if _, _, err := l.Range(ctx, expr, start, start.Add(8*time.Minute), time.Minute); err != nil {
		t.Errorf("limited under its bound (90 samples): %v", err)
	}

	for _, q := range []string{
		`sum(rate(requests_total[5m]))`,
		`requests_total{pod="3"} @ end()`,
		`requests_total{pod="3"} offset -5m`,
		`max_over_time(rate(requests_total{pod="1"}[5m])[10m:])`,
		`requests_total{pod="2"}`, // 4 minutes after the last sample: within the lookback
	} {
		want, _, err := s.Range(ctx, q, start.Add(10*time.Minute), end.Add(4*time.Minute), time.Minute)
		if err != nil {
			t.Fatalf("%s: store: %v", q, err)
		}
		got, _, err := s.Limited(1_000_000, nil).Range(ctx, q, start.Add(10*time.Minute), end.Add(4*time.Minute), time.Minute)
		if err != nil || !reflect.DeepEqual(got, want) || len(want) == 0 {
			t.Errorf("%s: limited %v, %v; store %v", q, got, err, want)
		}
		wantV, _, _ := s.Instant(ctx, q, end)
		gotV, _, err := l.Instant(ctx, q, end)
		if err != nil || !reflect.DeepEqual(gotV, wantV) {
			t.Errorf("%s at %s: limited %v, %v; store %v", q, end, gotV, err, wantV)
		}
	}
}
