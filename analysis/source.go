package analysis

import (
	"context"
	"errors"
	"time"
)

// Query asks a Source for one query, already rendered for one cohort, over
// a time range.
type Query struct {
	// Expr is in the source's own language: PromQL, LogQL, or a Jaeger
	// trace selector.
	Expr string
	// Start and End bound the range. Step is the resolution of a range
	// query; Step 0 asks for an instant query evaluated at End (counts and
	// histograms use it with the window's length substituted for
	// ${window}).
	Start, End time.Time
	Step       time.Duration
}

// Instant reports whether q is an instant query (evaluated at End).
func (q Query) Instant() bool { return q.Step == 0 }

// Point is one value at one time (Unix milliseconds).
type Point struct {
	T int64   `json:"t"`
	V float64 `json:"v"`
}

// Series is one labelled series a query returned. Raw samples (trace
// durations) are a series whose points are the individual samples; a
// native-histogram series has Histograms instead of Points.
type Series struct {
	Labels     map[string]string `json:"labels"`
	Points     []Point           `json:"points"`
	Histograms []HistogramPoint  `json:"histograms,omitempty"`
}

// HistogramPoint is one native histogram at one time: its populated
// buckets with their bounds, as the Prometheus HTTP API writes them
// (schema-independent, so sources of any kind can fill it).
type HistogramPoint struct {
	T     int64   `json:"t"`
	Count float64 `json:"count"`
	Sum   float64 `json:"sum"`
	// Buckets are ascending and do not overlap; the zero bucket is
	// [−threshold, threshold].
	Buckets []HistogramBucket `json:"buckets"`
}

// HistogramBucket is one bucket (Lower, Upper] and its count.
type HistogramBucket struct {
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
	Count float64 `json:"count"`
}

// Source answers queries against one data store. It returns every series
// the query yields; no series and no error means no data. It returns an
// error only when it could not answer: the engine retries it, and then turns
// it into an Error result, never a Fail. An error wrapping ErrPermanent
// (a malformed query, a refused credential) is not retried.
type Source interface {
	Fetch(ctx context.Context, q Query) ([]Series, error)
}

// ErrPermanent marks source errors that retrying cannot fix.
var ErrPermanent = errors.New("permanent source error")

// Permanent wraps err so that errors.Is(err, ErrPermanent) holds.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

type permanentError struct{ err error }

func (p permanentError) Error() string   { return p.err.Error() }
func (p permanentError) Unwrap() []error { return []error{p.err, ErrPermanent} }

// SourceFunc adapts a function to Source (test fakes, wrappers).
type SourceFunc func(ctx context.Context, q Query) ([]Series, error)

// Fetch calls f.
func (f SourceFunc) Fetch(ctx context.Context, q Query) ([]Series, error) { return f(ctx, q) }

// Values returns every point value of every series, in series then time
// order.
func Values(series []Series) []float64 {
	n := 0
	for _, s := range series {
		n += len(s.Points)
	}
	out := make([]float64, 0, n)
	for _, s := range series {
		for _, p := range s.Points {
			out = append(out, p.V)
		}
	}
	return out
}
