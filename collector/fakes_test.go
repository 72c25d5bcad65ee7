package collector

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// base is a fixed instant aligned to whole seconds (and so to the 5 s
// resolution steps used in the tests): 2026-01-01T00:00:00Z.
var base = time.Unix(1767225600, 0).UTC()

// storeBase is an instant aligned as base is, but recent, as a real sender's
// spans are: the store accepts samples only within its time window.
func storeBase() time.Time { return time.Now().Add(-time.Hour).Truncate(time.Minute) }

func ms(t time.Time) int64 { return t.UnixMilli() }

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type sample struct {
	T int64
	V float64
}

// fakeAppendable records what SpanMetrics appends. Samples become visible
// in committed only when their appender commits.
type fakeAppendable struct {
	// appendFn, when set, may refuse a sample.
	appendFn func(l labels.Labels, t int64, v float64) error
	// commitFn, when set, may fail a commit.
	commitFn func() error

	mu         sync.Mutex
	committed  map[string][]sample // by labels.String()
	histograms map[string][]histSample
	exemplars  map[string][]exemplar.Exemplar
	commits    int
}

type histSample struct {
	T int64
	H *histogram.Histogram
}

// histSamples returns the committed native histogram samples of a series.
func (f *fakeAppendable) histSamples(l labels.Labels) []histSample {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]histSample(nil), f.histograms[l.String()]...)
}

// exemplarsOf returns the committed exemplars of a series.
func (f *fakeAppendable) exemplarsOf(l labels.Labels) []exemplar.Exemplar {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]exemplar.Exemplar(nil), f.exemplars[l.String()]...)
}

func (f *fakeAppendable) Appender(context.Context) storage.Appender {
	return &fakeAppender{f: f}
}

// samples returns the committed samples of one series.
func (f *fakeAppendable) samples(l labels.Labels) []sample {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sample(nil), f.committed[l.String()]...)
}

// seriesKeys returns the label sets of every committed series, sorted.
func (f *fakeAppendable) seriesKeys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	keys := make([]string, 0, len(f.committed))
	for k := range f.committed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

type pending struct {
	key string
	s   sample
	h   *histogram.Histogram
	e   *exemplar.Exemplar
}

type fakeAppender struct {
	storage.Appender // nil: any method SpanMetrics should not use panics
	f                *fakeAppendable
	pending          []pending
}

func (a *fakeAppender) Append(_ storage.SeriesRef, l labels.Labels, t int64, v float64) (storage.SeriesRef, error) {
	if a.f.appendFn != nil {
		if err := a.f.appendFn(l, t, v); err != nil {
			return 0, err
		}
	}
	a.pending = append(a.pending, pending{key: l.String(), s: sample{T: t, V: v}})
	return 0, nil
}

func (a *fakeAppender) AppendHistogram(_ storage.SeriesRef, l labels.Labels, t int64, h *histogram.Histogram, _ *histogram.FloatHistogram) (storage.SeriesRef, error) {
	if err := h.Validate(); err != nil {
		return 0, err
	}
	a.pending = append(a.pending, pending{key: l.String(), s: sample{T: t}, h: h.Copy()})
	return 0, nil
}

func (a *fakeAppender) AppendExemplar(_ storage.SeriesRef, l labels.Labels, e exemplar.Exemplar) (storage.SeriesRef, error) {
	a.pending = append(a.pending, pending{key: l.String(), e: &e})
	return 0, nil
}

func (a *fakeAppender) Commit() error {
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	if a.f.commitFn != nil {
		if err := a.f.commitFn(); err != nil {
			return err // a failed commit rolls back, per storage.Appender
		}
	}
	if a.f.committed == nil {
		a.f.committed = map[string][]sample{}
	}
	if a.f.histograms == nil {
		a.f.histograms = map[string][]histSample{}
		a.f.exemplars = map[string][]exemplar.Exemplar{}
	}
	for _, p := range a.pending {
		switch {
		case p.h != nil:
			a.f.histograms[p.key] = append(a.f.histograms[p.key], histSample{T: p.s.T, H: p.h})
		case p.e != nil:
			a.f.exemplars[p.key] = append(a.f.exemplars[p.key], *p.e)
		default:
			a.f.committed[p.key] = append(a.f.committed[p.key], p.s)
		}
	}
	a.f.commits++
	return nil
}

func (a *fakeAppender) Rollback() error {
	a.pending = nil
	return nil
}

// spanSpec describes one generated span. start defaults to end-dur.
type spanSpec struct {
	name   string
	kind   ptrace.SpanKind
	end    time.Time
	dur    time.Duration
	start  time.Time // overrides end-dur when set
	noEnd  bool      // leave the end timestamp unset
	status ptrace.StatusCode
	attrs  map[string]any
}

// resourceSpans is one resource with its spans.
type resourceSpans struct {
	attrs map[string]string
	spans []spanSpec
}

func buildTraces(rss ...resourceSpans) ptrace.Traces {
	td := ptrace.NewTraces()
	for ri, r := range rss {
		rs := td.ResourceSpans().AppendEmpty()
		for k, v := range r.attrs {
			rs.Resource().Attributes().PutStr(k, v)
		}
		ss := rs.ScopeSpans().AppendEmpty()
		for si, s := range r.spans {
			sp := ss.Spans().AppendEmpty()
			sp.SetName(s.name)
			sp.SetKind(s.kind)
			sp.SetTraceID(pcommon.TraceID([16]byte{byte(ri + 1), byte(si >> 8), byte(si), 1}))
			sp.SetSpanID(pcommon.SpanID([8]byte{byte(ri + 1), byte(si >> 8), byte(si), 1}))
			start := s.start
			if start.IsZero() {
				start = s.end.Add(-s.dur)
			}
			sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
			if !s.noEnd {
				sp.SetEndTimestamp(pcommon.NewTimestampFromTime(s.end))
			}
			sp.Status().SetCode(s.status)
			for k, v := range s.attrs {
				switch v := v.(type) {
				case string:
					sp.Attributes().PutStr(k, v)
				case int:
					sp.Attributes().PutInt(k, int64(v))
				case float64:
					sp.Attributes().PutDouble(k, v)
				default:
					panic("unsupported attribute type")
				}
			}
		}
	}
	return td
}

// testConfig is DefaultConfig with small buckets and a 5 s resolution.
func testConfig(buckets ...float64) Config {
	cfg := DefaultConfig()
	cfg.ResourceAttributes = []string{"service.name", "service.version"}
	cfg.SpanMetrics.Resolution = 5 * time.Second
	if len(buckets) > 0 {
		cfg.SpanMetrics.Buckets = buckets
	}
	return cfg
}

func newSpanMetrics(t *testing.T, app storage.Appendable, cfg Config) *SpanMetrics {
	t.Helper()
	sm, err := NewSpanMetrics(discardLogger(), app, cfg)
	if err != nil {
		t.Fatalf("NewSpanMetrics: %v", err)
	}
	return sm
}

// redLabels is the label set of one RED series of service checkout.
func redLabels(metric, version, spanName, kind string, extra ...string) labels.Labels {
	kv := []string{model.MetricNameLabel, metric, "service_name", "checkout", "service_version", version, "span_name", spanName, "span_kind", kind}
	return labels.FromStrings(append(kv, extra...)...)
}

func checkout(version string) map[string]string {
	return map[string]string{"service.name": "checkout", "service.version": version}
}

// last returns the value of the last sample, failing when there is none.
func last(t *testing.T, ss []sample, what string) float64 {
	t.Helper()
	if len(ss) == 0 {
		t.Fatalf("%s: no samples", what)
	}
	return ss[len(ss)-1].V
}
