package collector

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ErrOverloaded is the error of a request refused because the ingest
// requests in flight are at collector.limits.max_concurrent_requests.
var ErrOverloaded = errors.New("overloaded")

// Limiter bounds the ingest requests served at once, across every ingest
// endpoint it is shared by: HTTP receivers through Wrap, gRPC receivers
// through an interceptor calling TryAcquire (otlpgrpc.Limit). One Limiter
// is built per server and handed to all of them, so one kind of traffic
// cannot take more than the whole budget, and a full budget refuses every
// kind alike.
//
// A request takes its slot once its body is read: reading costs a
// goroutine and a buffer, never a slot, so senders trickling their bodies
// cannot starve the others (the server's read timeout cuts them off).
// Decompression, decoding and storing happen inside the slot.
type Limiter struct {
	cur       atomic.Pointer[limits]
	throttled prometheus.Counter
	// bodies is the bytes of request bodies held now, bounded by the
	// limits' maxBodies (0: no bound).
	bodies atomic.Int64
}

// limits are a Limiter's bounds; Update replaces them whole. A request
// keeps the limits it started with (its slot goes back to the semaphore it
// came from).
type limits struct {
	sem        chan struct{} // nil: no limit
	retryAfter time.Duration
	maxBodies  int64
}

func newLimits(l LimitsConfig) *limits {
	lim := &limits{maxBodies: l.MaxBodyBytesInFlight, retryAfter: max(time.Second, l.RetryAfter)}
	if l.MaxConcurrentRequests > 0 {
		lim.sem = make(chan struct{}, l.MaxConcurrentRequests)
	}
	return lim
}

// Update replaces the limits (a configuration reload): requests already
// holding a slot keep it; new ones are counted against the new limits.
func (l *Limiter) Update(c LimitsConfig) { l.cur.Store(newLimits(c)) }

// NewLimiter returns the limiter of l.MaxConcurrentRequests and
// l.MaxBodyBytesInFlight (0: none) and registers its metrics on reg:
// augur_ingest_requests_in_flight, augur_ingest_body_bytes_in_flight and
// augur_ingest_throttled_requests_total.
func NewLimiter(l LimitsConfig, reg prometheus.Registerer) *Limiter {
	lim := &Limiter{
		throttled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "augur_ingest_throttled_requests_total",
			Help: "Ingest requests (HTTP and gRPC) refused because collector.limits.max_concurrent_requests were in flight.",
		}),
	}
	lim.Update(l)
	reg.MustRegister(lim.throttled, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "augur_ingest_requests_in_flight",
		Help: "Ingest requests (HTTP and gRPC) holding a slot of collector.limits.max_concurrent_requests.",
	}, func() float64 { return float64(len(lim.cur.Load().sem)) }), prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "augur_ingest_body_bytes_in_flight",
		Help: "Bytes of HTTP ingest request bodies held in memory, read or being read (collector.limits.max_body_bytes_in_flight).",
	}, func() float64 { return float64(lim.bodies.Load()) }))
	return lim
}

// errBodyBudget is a body refused because the bodies held in memory would
// pass collector.limits.max_body_bytes_in_flight.
var errBodyBudget = errors.New("request bodies in memory at their limit")

// budgetReader counts the bytes it reads into the limiter's body budget,
// failing once the budget is spent; held is what it added.
type budgetReader struct {
	r    io.Reader
	l    *Limiter
	max  int64
	held int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.held += int64(n)
		if b.l.bodies.Add(int64(n)) > b.max {
			return n, errBodyBudget
		}
	}
	return n, err
}

// overBudget reports the refusal of a body that would pass the budget.
func (l *Limiter) overBudget(lim *limits) error {
	l.throttled.Inc()
	return fmt.Errorf("%w: %d bytes of request bodies in memory, the limit (collector.limits.max_body_bytes_in_flight); retry later",
		ErrOverloaded, lim.maxBodies)
}

// TryAcquire takes a slot without waiting and returns its release, or an
// ErrOverloaded naming the limit when none is free.
func (l *Limiter) TryAcquire() (release func(), err error) {
	lim := l.cur.Load()
	if lim.sem == nil {
		return func() {}, nil
	}
	select {
	case lim.sem <- struct{}{}:
		return func() { <-lim.sem }, nil
	default:
		return nil, l.overloaded(lim)
	}
}

func (l *Limiter) overloaded(lim *limits) error {
	l.throttled.Inc()
	return fmt.Errorf("%w: %d ingest requests in flight, the limit (collector.limits.max_concurrent_requests); retry later",
		ErrOverloaded, cap(lim.sem))
}

// full says whether every slot is taken right now.
func (lim *limits) full() bool { return lim.sem != nil && len(lim.sem) == cap(lim.sem) }

// RetryAfter is how long a refused sender should wait before retrying.
func (l *Limiter) RetryAfter() time.Duration { return l.cur.Load().retryAfter }

// Wrap returns h behind the limiter. The request body is read first, up to
// maxBody bytes (413 beyond), and only then is a slot taken (429 with
// Retry-After when none is free); h gets the body from memory. A request
// arriving while every slot is taken is refused at once, before its body
// is read. A body that has not arrived by the server's read timeout is
// answered 408. The bodies held in memory, read or being read, count
// against collector.limits.max_body_bytes_in_flight until h returns; past
// it a request is refused for overload too. signal prefixes error
// messages ("remote write").
func (l *Limiter) Wrap(signal string, maxBody int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lim := l.cur.Load()
		if lim.full() {
			l.refuse(w, signal, l.overloaded(lim))
			return
		}
		var rd io.Reader = http.MaxBytesReader(w, r.Body, maxBody)
		if lim.maxBodies > 0 {
			if r.ContentLength > 0 && l.bodies.Load()+min(r.ContentLength, maxBody) > lim.maxBodies {
				l.refuse(w, signal, l.overBudget(lim))
				return
			}
			br := &budgetReader{r: rd, l: l, max: lim.maxBodies}
			defer func() { l.bodies.Add(-br.held) }()
			rd = br
		}
		body, err := io.ReadAll(rd)
		if err != nil {
			var tooBig *http.MaxBytesError
			switch {
			case errors.Is(err, errBodyBudget):
				l.refuse(w, signal, l.overBudget(lim))
			case errors.As(err, &tooBig):
				http.Error(w, fmt.Sprintf("%s: body larger than %d bytes", signal, tooBig.Limit), http.StatusRequestEntityTooLarge)
			case errors.Is(err, os.ErrDeadlineExceeded):
				http.Error(w, fmt.Sprintf("%s: the body did not arrive within the server's read timeout (http.read_timeout)", signal), http.StatusRequestTimeout)
			default:
				http.Error(w, fmt.Sprintf("%s: read body: %v", signal, err), http.StatusBadRequest)
			}
			return
		}
		release, err := l.TryAcquire()
		if err != nil {
			l.refuse(w, signal, err)
			return
		}
		defer release()
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		h.ServeHTTP(w, r)
	})
}

func (l *Limiter) refuse(w http.ResponseWriter, signal string, err error) {
	w.Header().Set("Retry-After", strconv.Itoa(int(l.RetryAfter().Round(time.Second)/time.Second)))
	http.Error(w, signal+": "+err.Error(), http.StatusTooManyRequests)
}
