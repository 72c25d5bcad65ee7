package analysis

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/augurhq/augur/judges"
)

type countingSources struct{ calls atomic.Int32 }

func (c *countingSources) Source(string, *SourceSpec) (Source, error) {
	return SourceFunc(func(context.Context, Query) ([]Series, error) {
		c.calls.Add(1)
		return nil, nil
	}), nil
}

// TestFetchBoundsPoints: a range query over more than MaxPointsPerSeries
// points per series, or over a reversed range, is a permanent error before
// any source is asked; the bound itself, instant queries and a jaeger
// source the spec defines go through.
func TestFetchBoundsPoints(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	jaeger := &SourceSpec{Type: SourceJaeger, Address: "127.0.0.1:16685"}
	tests := []struct {
		name  string
		q     Query
		def   *SourceSpec
		error string // "" fetched
	}{
		{"at the bound", Query{Expr: "x", Start: t0, End: t0.Add(10999 * time.Second), Step: time.Second}, nil, ""},
		{"over the bound", Query{Expr: "x", Start: t0, End: t0.Add(11000 * time.Second), Step: time.Second}, nil,
			`query "x": a range of 3h3m20s every 1s gives 11,001 points per series; at most 11,000: use a step of at least 1s1ms`},
		{"a day at 1ms", Query{Expr: "x", Start: t0, End: t0.Add(24 * time.Hour), Step: time.Millisecond}, nil, "gives 86,400,001 points per series"},
		{"ten years at 1s", Query{Expr: "x", Start: t0, End: t0.Add(87600 * time.Hour), Step: time.Second}, nil, "gives 315,360,001 points per series"},
		{"reversed", Query{Expr: "x", Start: t0, End: t0.Add(-time.Hour), Step: time.Second}, nil, "is reversed"},
		{"instant", Query{Expr: "x", Start: t0, End: t0.Add(87600 * time.Hour)}, nil, ""},
		{"jaeger ignores the step", Query{Expr: "x", Start: t0, End: t0.Add(24 * time.Hour), Step: time.Millisecond}, jaeger, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &countingSources{}
			spec := Spec{}
			if tt.def != nil {
				spec.Sources = map[string]SourceSpec{"s": *tt.def}
			}
			_, err := newFetcher(spec, src).fetch(context.Background(), "s", tt.q)
			if tt.error == "" {
				if err != nil || src.calls.Load() != 1 {
					t.Fatalf("err %v, %d calls; want it fetched", err, src.calls.Load())
				}
				return
			}
			if !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), tt.error) {
				t.Errorf("got %v, want a permanent error containing %q", err, tt.error)
			}
			if src.calls.Load() != 0 {
				t.Errorf("the source was asked %d times", src.calls.Load())
			}
		})
	}
}

// TestStoredSpecOverThePointBound: a run's spec copied before the bound
// existed (1ms over a day) judges its interval as an error naming the
// numbers, without asking the source.
func TestStoredSpecOverThePointBound(t *testing.T) {
	spec, err := ParseSpec(strings.NewReader("apiVersion: augur/v1\nname: x\ncohorts: {baseline: 'v=\"1\"', canary: 'v=\"2\"'}\ntiming: {lifetime: 24h}\n" +
		"metrics: [{name: m, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	spec.Step = Duration(time.Millisecond)
	src := &countingSources{}
	var st RunState
	v := EvaluateInterval(context.Background(), spec, spec.Schedule(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), 0, &st, src)
	if src.calls.Load() != 0 {
		t.Errorf("the source was asked %d times", src.calls.Load())
	}
	if v.Verdict != judges.OutcomeError || len(v.Metrics) != 1 || !strings.Contains(v.Metrics[0].Error, "86,400,001 points per series; at most 11,000") {
		t.Errorf("verdict %s, metrics %+v", v.Verdict, v.Metrics)
	}
}

// TestWindowSaturates: a schedule beyond time.Duration (a stored spec that
// predates the bounds) ends at the largest duration instead of wrapping
// into the past.
func TestWindowSaturates(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sch := Schedule{Begin: t0, Count: 100000, Interval: 87600 * time.Hour}
	tw, _, due := sch.Window(99999)
	if !tw.End.After(tw.Start) || due.Before(tw.End) || tw.End.Sub(t0) != time.Duration(1<<63-1) {
		t.Errorf("window %v, due %v", tw, due)
	}
}

// pointsSource answers every query with n points in one series, counting
// the calls per query.
type pointsSource struct {
	n     int
	calls map[string]int
}

func (p *pointsSource) Source(string, *SourceSpec) (Source, error) {
	return SourceFunc(func(_ context.Context, q Query) ([]Series, error) {
		p.calls[q.Expr]++
		return []Series{{Points: make([]Point, p.n)}}, nil
	}), nil
}

// TestFetchBoundsQueryPoints: an answer over MaxQueryPoints points is a
// permanent error naming the numbers; one at the bound is kept.
func TestFetchBoundsQueryPoints(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	q := Query{Expr: "x", Start: t0, End: t0.Add(time.Hour), Step: time.Minute}
	for _, tt := range []struct {
		n     int
		error string
	}{
		{MaxQueryPoints, ""},
		{MaxQueryPoints + 1, `query "x" returned 2,000,001 points in 1 series; at most 2,000,000 per query`},
	} {
		src := &pointsSource{n: tt.n, calls: map[string]int{}}
		s, err := newFetcher(Spec{}, src).fetch(context.Background(), "s", q)
		if tt.error == "" {
			if err != nil || countPoints(s) != tt.n {
				t.Errorf("%d points: %d, %v", tt.n, countPoints(s), err)
			}
			continue
		}
		if !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), tt.error) || s != nil {
			t.Errorf("%d points: got %d, %v; want a permanent error containing %q", tt.n, countPoints(s), err, tt.error)
		}
	}
}

// TestFetcherForgetsPastMaxQueryPoints: the fetcher answers a repeated
// query from what it kept, until what it keeps would pass MaxQueryPoints;
// then it forgets, and fetches again.
func TestFetcherForgetsPastMaxQueryPoints(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	q := func(expr string) Query {
		return Query{Expr: expr, Start: t0, End: t0.Add(time.Hour), Step: time.Minute}
	}
	src := &pointsSource{n: MaxQueryPoints / 2, calls: map[string]int{}}
	f := newFetcher(Spec{}, src)
	for _, expr := range []string{"a", "b", "a", "b", "c", "a", "c", "b"} {
		if _, err := f.fetch(context.Background(), "s", q(expr)); err != nil {
			t.Fatal(err)
		}
	}
	// a and b are kept (at the bound); c forgets both; a is fetched again
	// and kept beside c; b again forgets a and c.
	if want := map[string]int{"a": 2, "b": 2, "c": 1}; !maps.Equal(src.calls, want) {
		t.Errorf("calls %v, want %v", src.calls, want)
	}
	if f.held > MaxQueryPoints {
		t.Errorf("holding %d points", f.held)
	}
}
