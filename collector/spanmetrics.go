package collector

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/otlptranslator"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Names of the RED series derived from spans. Every series carries the
// promoted resource attributes (service_name, service_version, ...) plus
// span_name and span_kind.
const (
	MetricSpanRequests = "augur_span_requests_total"
	MetricSpanErrors   = "augur_span_errors_total"
	MetricSpanDuration = "augur_span_duration_seconds"
)

// SpanMetrics turns spans into RED series: a request counter, an error
// counter and a duration histogram per resource identity, span name and
// kind. The duration is written as an integer native histogram
// (augur_span_duration_seconds) and, when classic_buckets is on, as a
// classic histogram (_bucket, _sum, _count); exemplars carry the trace and
// span ID of the slowest span of each written step. Timestamps come from
// the spans, so backfilled traffic lands where it happened. Counters are
// cumulative per series and written at most once per resolution step per
// batch; a span that ends before the last written sample of its series is
// counted in the next sample.
//
// Span names are bounded before they become series (see spanname.go and
// spanlimits.go): identifiers in names become {id}, a service and kind
// have at most max_span_names_per_service names and a request opens at
// most max_new_groups_per_request groups, spans past either being counted
// under span_name="_overflow"; a group's state is dropped after
// idle_timeout without spans.
type SpanMetrics struct {
	app      storage.Appendable
	cfg      SpanMetricsConfig
	limits   LimitsConfig
	attrs    []attrLabel
	prefixes []string
	namer    otlptranslator.LabelNamer
	names    sync.Map // resource attribute name → label name, for prefixes
	logger   *slog.Logger
	buffer   *spanBuffer
	now      func() time.Time
	mu       sync.Mutex
	series   map[groupKey]*redState
	card     spanLimits // span name bounds and idle state
	ingest   *IngestCounters
}

// CountIngest makes c count the spans Consume accepts and rejects (call it
// before serving).
func (s *SpanMetrics) CountIngest(c *IngestCounters) { s.ingest = c }

type attrLabel struct{ attr, label string }

// groupKey identifies one RED series group: the resource labels (as a
// string), span name and kind.
type groupKey struct {
	res  string
	name string
	kind ptrace.SpanKind
}

func (k groupKey) less(o groupKey) bool {
	if k.res != o.res {
		return k.res < o.res
	}
	if k.name != o.name {
		return k.name < o.name
	}
	return k.kind < o.kind
}

type redState struct {
	ser      *redSeries
	requests float64
	errors   float64
	sum      float64
	buckets  []float64 // classic, per bound, not cumulative; last is +Inf
	native   nativeCounts
	written  int         // samples written, for the native counter reset hint
	lastT    int64       // last sample
	lastExT  int64       // last exemplar
	seen     time.Time   // last batch with spans of the group
	svc      serviceKind // what max_span_names_per_service counts the name under
}

func (st *redState) clone() redState {
	c := *st
	c.buckets = append([]float64(nil), st.buckets...)
	c.native = st.native.clone()
	return c
}

// redSeries holds one group's output label sets and their storage
// references, computed once.
type redSeries struct {
	base   labels.Labels
	labels []labels.Labels
	refs   []storage.SeriesRef
}

// Slots of redSeries.labels; classic buckets follow slotBuckets.
const (
	slotRequests = iota
	slotErrors
	slotNative
	slotSum
	slotCount
	slotBuckets
)

// ConsumeResult says how many spans were stored and why others were not.
// Folded spans are stored under span_name="_overflow" (and counted in
// Accepted); Reason says so too.
type ConsumeResult struct {
	Accepted, Rejected, Folded int
	Reason                     string
}

// NewSpanMetrics returns a span → RED derivation appending into app.
func NewSpanMetrics(logger *slog.Logger, app storage.Appendable, cfg Config) (*SpanMetrics, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// The same label naming as Prometheus' default OTLP translation, so span
	// series and OTLP metrics of one resource carry identical labels.
	//lint:ignore SA1019 kept until Prometheus' OTLP default drops it too.
	namer := otlptranslator.LabelNamer{UnderscoreLabelSanitization: true, PreserveMultipleUnderscores: true}
	sm := &SpanMetrics{app: app, cfg: cfg.SpanMetrics, limits: cfg.Limits, namer: namer, logger: logger,
		series: map[groupKey]*redState{}, buffer: newSpanBuffer(cfg.SpanMetrics.BufferSpans), now: time.Now}
	sm.card = newSpanLimits(sm)
	for _, a := range cfg.ResourceAttributes {
		if p, ok := strings.CutSuffix(a, "*"); ok {
			sm.prefixes = append(sm.prefixes, p)
			continue
		}
		l, err := namer.Build(a)
		if err != nil {
			return nil, fmt.Errorf("collector.resource_attributes: %q: %w", a, err)
		}
		sm.attrs = append(sm.attrs, attrLabel{attr: a, label: l})
	}
	return sm, nil
}

// labelName is the label of a resource attribute matched by a prefix.
func (s *SpanMetrics) labelName(attr string) (string, bool) {
	if l, ok := s.names.Load(attr); ok {
		return l.(string), l.(string) != ""
	}
	l, err := s.namer.Build(attr)
	if err != nil {
		l = ""
	}
	s.names.Store(attr, l)
	return l, l != ""
}

// resourceLabels returns the labels a resource gives its span series.
func (s *SpanMetrics) resourceLabels(res pcommon.Map, b *labels.Builder) labels.Labels {
	b.Reset(labels.EmptyLabels())
	for _, a := range s.attrs {
		if v, ok := res.Get(a.attr); ok {
			if str := v.AsString(); str != "" {
				b.Set(a.label, str)
			}
		}
	}
	if len(s.prefixes) > 0 {
		res.Range(func(k string, v pcommon.Value) bool {
			for _, p := range s.prefixes {
				if strings.HasPrefix(k, p) {
					if l, ok := s.labelName(k); ok && b.Get(l) == "" {
						if str := v.AsString(); str != "" {
							b.Set(l, str)
						}
					}
					break
				}
			}
			return true
		})
	}
	return b.Labels()
}

type observation struct {
	t       int64 // end time, ms
	dur     float64
	err     bool
	traceID pcommon.TraceID
	spanID  pcommon.SpanID
}

type group struct {
	res labels.Labels
	obs []observation
}

// Consume derives and appends the RED samples of one batch of spans.
// Invalid spans are rejected one by one; the rest are stored.
func (s *SpanMetrics) Consume(ctx context.Context, td ptrace.Traces) (ConsumeResult, error) {
	res, err := s.consume(ctx, td)
	s.ingest.Spans(ctx, res.Accepted, res.Rejected)
	return res, err
}

func (s *SpanMetrics) consume(ctx context.Context, td ptrace.Traces) (ConsumeResult, error) {
	groups := map[groupKey]*group{}
	var res ConsumeResult
	var reasons []string
	reject := func(n int, why string) {
		res.Rejected += n
		if len(reasons) < 3 {
			reasons = append(reasons, why)
		}
	}
	checkTime := TimeCheck(s.app)
	b := labels.NewBuilder(labels.EmptyLabels())
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		resLabels := s.resourceLabels(rs.Resource().Attributes(), b)
		resKey := resLabels.String()
		// +3: __name__, span_name and span_kind (le on the buckets is not
		// counted).
		resErr := ValidateLabels(resLabels)
		if resErr == nil {
			resErr = s.limits.checkSeries(resLabels)
		}
		if n := resLabels.Len() + 3; resErr == nil && s.limits.MaxLabelsPerSeries > 0 && n > s.limits.MaxLabelsPerSeries {
			resErr = fmt.Errorf("%d labels, more than the limit of %d", n, s.limits.MaxLabelsPerSeries)
		}
		var service, version string
		if s.buffer != nil {
			service, version = resourceIdentity(rs.Resource().Attributes())
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				start, end := sp.StartTimestamp(), sp.EndTimestamp()
				if end == 0 || end < start {
					reject(1, fmt.Sprintf("span %q (trace %s): end time %d before start %d or missing", truncate(sp.Name(), 64), sp.TraceID(), end, start))
					continue
				}
				if err := checkTime(nanosToMillis(uint64(end))); err != nil {
					reject(1, fmt.Sprintf("span %q (trace %s): end time: %v", truncate(sp.Name(), 64), sp.TraceID(), err))
					continue
				}
				name := sp.Name()
				if s.cfg.NormalizeSpanNames {
					name = normalizeSpanName(name)
				}
				err := resErr
				if err == nil {
					err = ValidateLabel("span_name", name)
				}
				if err == nil {
					err = s.limits.checkLabel("span_name", name)
				}
				if err != nil {
					reject(1, fmt.Sprintf("span %q (trace %s): %v", truncate(sp.Name(), 64), sp.TraceID(), err))
					continue
				}
				key := groupKey{res: resKey, name: name, kind: sp.Kind()}
				g := groups[key]
				if g == nil {
					g = &group{res: resLabels}
					groups[key] = g
				}
				o := observation{
					t:       int64(end) / 1e6,
					dur:     float64(end-start) / 1e9,
					err:     isError(sp),
					traceID: sp.TraceID(),
					spanID:  sp.SpanID(),
				}
				g.obs = append(g.obs, o)
				if s.buffer != nil {
					s.buffer.offer(service, version, sp, o)
				}
			}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.evictIdle(now)
	keys, folded := s.admit(groups)
	app := s.app.Appender(ctx)
	var undo []func() // restores the series state if the commit fails
	for _, key := range keys {
		g := groups[key]
		st := s.series[key]
		fresh := st == nil
		if fresh {
			st = &redState{ser: s.newSeries(g.res, key), buckets: make([]float64, len(s.cfg.Buckets)+1), lastT: math.MinInt64, lastExT: math.MinInt64,
				svc: serviceKindOf(g.res, key.kind)}
		} else {
			prev := st.clone()
			undo = append(undo, func() { *st = prev })
		}
		st.seen = now
		n, err := s.appendGroup(app, st, g.obs, fresh)
		if n > 0 && fresh {
			s.series[key] = st
			s.card.addName(st.svc, key.name)
			undo = append(undo, func() { delete(s.series, key); s.card.dropName(st.svc, key.name) })
		}
		res.Accepted += n
		if err != nil {
			reject(len(g.obs)-n, fmt.Sprintf("%s: %v", st.ser.base, err))
		}
	}
	if err := app.Commit(); err != nil {
		for _, f := range undo {
			f()
		}
		return ConsumeResult{Rejected: res.Accepted + res.Rejected}, fmt.Errorf("commit span metrics: %w", err)
	}
	s.folded(folded, now)
	res.Folded = folded.total()
	var msgs []string
	if len(reasons) > 0 {
		msgs = append(msgs, fmt.Sprintf("%d spans rejected: %s", res.Rejected, joinReasons(reasons)))
	}
	if res.Folded > 0 {
		msgs = append(msgs, folded.String())
	}
	res.Reason = strings.Join(msgs, "; ")
	return res, nil
}

// isError follows the OpenTelemetry semantic conventions: an explicit error
// status, an HTTP 5xx on a server span (4xx too on a client span), or a
// non-OK gRPC status.
func isError(sp ptrace.Span) bool {
	if sp.Status().Code() == ptrace.StatusCodeError {
		return true
	}
	attrs := sp.Attributes()
	for _, k := range []string{"http.response.status_code", "http.status_code"} {
		if v, ok := attrs.Get(k); ok {
			code := intValue(v)
			if code >= 500 || (sp.Kind() == ptrace.SpanKindClient && code >= 400) {
				return true
			}
		}
	}
	if v, ok := attrs.Get("rpc.grpc.status_code"); ok && intValue(v) != 0 {
		return true
	}
	return false
}

func intValue(v pcommon.Value) int64 {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return v.Int()
	case pcommon.ValueTypeDouble:
		return int64(v.Double())
	case pcommon.ValueTypeStr:
		n, _ := strconv.ParseInt(v.Str(), 10, 64)
		return n
	}
	return 0
}

func spanKind(k ptrace.SpanKind) string {
	switch k {
	case ptrace.SpanKindServer:
		return "server"
	case ptrace.SpanKindClient:
		return "client"
	case ptrace.SpanKindProducer:
		return "producer"
	case ptrace.SpanKindConsumer:
		return "consumer"
	case ptrace.SpanKindInternal:
		return "internal"
	}
	return "unspecified"
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func pow2(x float64) float64 { return math.Exp2(x) }

func joinReasons(rs []string) string { return strings.Join(rs, "; ") }
