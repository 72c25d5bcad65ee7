package analysis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Sources opens the sources that metrics name.
type Sources interface {
	// Source returns the named source. def is the spec's own definition
	// of it, nil when the spec does not define it (the embedded store, or
	// a source the server defines). The source it returns retries.
	Source(name string, def *SourceSpec) (Source, error)
}

// WithRetry wraps src so that each call makes up to 1+retries attempts,
// backoff apart (doubling, ±20% jitter), stopping early on ErrPermanent or
// when ctx ends.
func WithRetry(src Source, retries int, backoff time.Duration) Source {
	return SourceFunc(func(ctx context.Context, q Query) ([]Series, error) {
		wait := backoff
		var err error
		for attempt := 0; ; attempt++ {
			var out []Series
			out, err = src.Fetch(ctx, q)
			if err == nil {
				return out, nil
			}
			if errors.Is(err, ErrPermanent) || attempt >= retries || ctx.Err() != nil {
				break
			}
			j := time.Duration(float64(wait) * (0.8 + 0.4*rand.Float64()))
			t := time.NewTimer(j)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("%w (gave up waiting to retry: %w)", err, ctx.Err())
			case <-t.C:
			}
			wait *= 2
		}
		if retries > 0 && !errors.Is(err, ErrPermanent) {
			return nil, fmt.Errorf("after %d attempts: %w", retries+1, err)
		}
		return nil, err
	})
}

// MaxQueryPoints bounds the points (every value of every series) one query
// may return, and with them the memory one metric's judgement takes: about
// 60 bytes per point of each cohort, from the query engine to the judge.
// The embedded store stops an experiment query that would load more
// samples (store.Limited); other sources' answers over it are refused
// before they are kept or judged. Two million is 180 series at the full
// MaxPointsPerSeries, or 2,000 pods at 1,000 points, each cohort.
const MaxQueryPoints = 2_000_000

// fetcher answers an interval's queries, each distinct query once (a
// control cohort shared by variants is fetched once) while the results it
// keeps hold at most MaxQueryPoints points; past that, it forgets what it
// kept and a query asked again is fetched again.
type fetcher struct {
	spec    Spec
	sources Sources
	mu      sync.Mutex
	cache   map[fetchKey]fetchResult
	held    int // points in cache
}

type fetchKey struct {
	source, expr string
	start, end   int64
	step         time.Duration
}

type fetchResult struct {
	series []Series
	err    error
}

func newFetcher(spec Spec, sources Sources) *fetcher {
	return &fetcher{spec: spec, sources: sources, cache: map[fetchKey]fetchResult{}}
}

func (f *fetcher) fetch(ctx context.Context, source string, q Query) ([]Series, error) {
	k := fetchKey{source, q.Expr, q.Start.UnixMilli(), q.End.UnixMilli(), q.Step}
	f.mu.Lock()
	r, ok := f.cache[k]
	f.mu.Unlock()
	if ok {
		return r.series, r.err
	}
	var def *SourceSpec
	if d, ok := f.spec.Sources[source]; ok {
		def = &d
	}
	if err := checkRange(q, def); err != nil {
		r = fetchResult{err: err}
	} else if src, err := f.sources.Source(source, def); err != nil {
		r = fetchResult{err: fmt.Errorf("source %q: %w", source, err)}
	} else {
		s, err := src.Fetch(ctx, q)
		r = fetchResult{series: s, err: err}
		if n := countPoints(s); n > MaxQueryPoints {
			r = fetchResult{err: Permanent(fmt.Errorf("query %q returned %s points in %s series; at most %s per query: aggregate the series or raise the step",
				q.Expr, thousands(int64(n)), thousands(int64(len(s))), thousands(MaxQueryPoints)))}
		}
	}
	n := countPoints(r.series)
	f.mu.Lock()
	if f.held+n > MaxQueryPoints {
		clear(f.cache)
		f.held = 0
	}
	f.cache[k] = r
	f.held += n
	f.mu.Unlock()
	return r.series, r.err
}

func countPoints(series []Series) int {
	n := 0
	for _, s := range series {
		n += len(s.Points)
	}
	return n
}

// checkRange refuses, before any source is asked, a reversed range and a
// range query with more than MaxPointsPerSeries points per series (a
// jaeger source the spec defines ignores the step). Specs are bounded when
// validated, but a run judges the copy of its spec made when it started,
// which may predate the bound.
func checkRange(q Query, def *SourceSpec) error {
	switch {
	case q.Instant():
		return nil
	case q.Step < 0 || q.End.Before(q.Start):
		return Permanent(fmt.Errorf("query %q: the range %s..%s every %s is reversed", q.Expr,
			q.Start.Format(time.RFC3339), q.End.Format(time.RFC3339), q.Step))
	case def != nil && def.Type == SourceJaeger:
		return nil
	}
	w := q.End.Sub(q.Start)
	if n := pointsPerSeries(w, q.Step); n > MaxPointsPerSeries {
		return Permanent(fmt.Errorf("query %q: a range of %s every %s gives %s points per series; at most %s: use a step of at least %s",
			q.Expr, Duration(w), Duration(q.Step), thousands(n), thousands(MaxPointsPerSeries), Duration(minDivisor(w, MaxPointsPerSeries-1))))
	}
	return nil
}

// render writes a metric query for one cohort and window: the cohort's
// matchers, the window's length, start and end.
func (iv *interval) render(tmpl string, m MetricSpec, c Cohort, w TimeRange) string {
	return renderTimes(renderWindow(RenderQuery(tmpl, c.For(m.Source)), w.End.Sub(w.Start)), w)
}
