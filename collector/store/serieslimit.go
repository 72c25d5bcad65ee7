package store

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunks"
)

// SeriesLimitError is the error of an append that would create a series
// while the head holds the most active series allowed. Samples of existing
// series are still stored.
//
// It is storage.ErrOutOfBounds under errors.Is, so Prometheus' own
// remote-write 2.0 and OTLP handlers answer 400 for it (a bad sample the
// sender must not retry) rather than 500.
type SeriesLimitError struct {
	// Limit is the active series limit in force.
	Limit uint64
}

func (e *SeriesLimitError) Error() string {
	return fmt.Sprintf("new series refused: the store holds its limit of %d active series (collector.limits.max_active_series); samples of existing series are still stored", e.Limit)
}

// Is makes a SeriesLimitError match storage.ErrOutOfBounds.
func (e *SeriesLimitError) Is(target error) bool { return target == storage.ErrOutOfBounds }

// pendingTTL is how long an approved series creation counts as in flight
// without its PostCreation. A creation takes microseconds; one that never
// completes lost a race to a concurrent creation of the same series.
const pendingTTL = 10 * time.Second

// seriesLimiter is the head's tsdb.SeriesLifecycleCallback: it refuses to
// create a series when the head's series plus the creations approved but
// not yet counted by the head reach the limit.
//
// The head calls PreCreation only for a series it does not hold (in
// getOrCreate, under Append), and PostCreation once the series is in the
// head and counted by NumSeries. Checking and reserving under one lock, a
// creation counted in neither place is one whose approval expired
// (pendingTTL) before the head counted it, so concurrent appenders overshoot
// the limit only by creations stalled that long between the two calls:
// none in practice. Until a limit is set (after the write-ahead log is
// replayed) nothing is refused, so a restart never drops series.
type seriesLimiter struct {
	head  func() uint64 // the head's NumSeries; set once the head is open
	limit atomic.Uint64 // 0: no limit
	now   func() time.Time

	mu       sync.Mutex
	pending  map[uint64]pendingCreation // by label hash
	inflight uint64                     // sum of pending's n
}

type pendingCreation struct {
	n     uint64
	since time.Time
}

func newSeriesLimiter(now func() time.Time) *seriesLimiter {
	return &seriesLimiter{now: now, pending: map[uint64]pendingCreation{}}
}

// PreCreation approves the creation of a series, or refuses it at the
// limit.
func (l *seriesLimiter) PreCreation(ls labels.Labels) error {
	limit := l.limit.Load()
	if limit == 0 {
		return nil
	}
	h := ls.Hash()
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for k, p := range l.pending {
		if now.Sub(p.since) > pendingTTL {
			l.inflight -= p.n
			delete(l.pending, k)
		}
	}
	if l.head()+l.inflight >= limit {
		return &SeriesLimitError{Limit: limit}
	}
	p := l.pending[h]
	if p.n == 0 {
		p.since = now
	}
	p.n++
	l.pending[h] = p
	l.inflight++
	return nil
}

// PostCreation ends the creations in flight of ls: the head counts the
// series now, and any concurrent creation of it loses its race.
func (l *seriesLimiter) PostCreation(ls labels.Labels) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) == 0 {
		return
	}
	h := ls.Hash()
	if p, ok := l.pending[h]; ok {
		l.inflight -= p.n
		delete(l.pending, h)
	}
}

// PostDeletion needs nothing: the head's count drops by itself.
func (l *seriesLimiter) PostDeletion(map[chunks.HeadSeriesRef]labels.Labels) {}
