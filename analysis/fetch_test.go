package analysis

import (
	"context"
	"errors"
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
