package collector

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/otlptranslator"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
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
}

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

// newSeries computes the label sets of one group's output series.
func (s *SpanMetrics) newSeries(res labels.Labels, key groupKey) *redSeries {
	b := labels.NewBuilder(res)
	b.Set("span_name", key.name)
	b.Set("span_kind", spanKind(key.kind))
	base := b.Labels()
	named := func(name string, extra ...string) labels.Labels {
		b.Reset(base)
		b.Set(model.MetricNameLabel, name)
		for k := 0; k+1 < len(extra); k += 2 {
			b.Set(extra[k], extra[k+1])
		}
		return b.Labels()
	}
	ser := &redSeries{base: base, labels: make([]labels.Labels, slotBuckets, slotBuckets+len(s.cfg.Buckets)+1)}
	ser.labels[slotRequests] = named(MetricSpanRequests)
	ser.labels[slotErrors] = named(MetricSpanErrors)
	ser.labels[slotNative] = named(MetricSpanDuration)
	ser.labels[slotSum] = named(MetricSpanDuration + "_sum")
	ser.labels[slotCount] = named(MetricSpanDuration + "_count")
	if s.cfg.ClassicBuckets {
		for _, ub := range s.cfg.Buckets {
			ser.labels = append(ser.labels, named(MetricSpanDuration+"_bucket", labels.BucketLabel, strconv.FormatFloat(ub, 'g', -1, 64)))
		}
		ser.labels = append(ser.labels, named(MetricSpanDuration+"_bucket", labels.BucketLabel, "+Inf"))
	}
	ser.refs = make([]storage.SeriesRef, len(ser.labels))
	return ser
}

// appendGroup folds one series group's observations, sorted by time, into
// its state and appends a sample per resolution step. It returns how many
// observations were stored; on a storage error the state is left as it was
// before the failing step.
func (s *SpanMetrics) appendGroup(app storage.Appender, st *redState, obs []observation, fresh bool) (int, error) {
	sort.Slice(obs, func(a, b int) bool { return obs[a].t < obs[b].t })
	res := s.cfg.Resolution.Milliseconds()
	if fresh {
		// A zero sample just before the first span, so that rate() and
		// increase() count the first step too.
		if err := s.appendState(app, st, obs[0].t-1, nil); err != nil {
			return 0, err
		}
		st.lastT = obs[0].t - 1
		st.written++
	}
	stored := 0
	for i := 0; i < len(obs); {
		step := floorDiv(obs[i].t, res)
		j := i
		saved := st.clone()
		slowest := &obs[i]
		for ; j < len(obs) && floorDiv(obs[j].t, res) == step; j++ {
			o := &obs[j]
			st.requests++
			if o.err {
				st.errors++
			}
			st.sum += o.dur
			if s.cfg.ClassicBuckets {
				st.buckets[sort.SearchFloat64s(s.cfg.Buckets, o.dur)]++
			}
			if s.cfg.NativeHistogram {
				st.native.observe(o.dur, s.cfg.NativeSchema, s.cfg.NativeZeroThreshold)
			}
			if o.dur > slowest.dur {
				slowest = o
			}
		}
		t := max(obs[j-1].t, st.lastT+1)
		if err := s.appendState(app, st, t, slowest); err != nil {
			*st = saved
			return stored, err
		}
		st.lastT = t
		st.written++
		stored += j - i
		i = j
	}
	return stored, nil
}

// appendState appends the series' current values at t, and ex (when not
// nil) as the exemplar of the duration series.
func (s *SpanMetrics) appendState(app storage.Appender, st *redState, t int64, ex *observation) error {
	ser := st.ser
	add := func(slot int, v float64) error {
		ref, err := app.Append(ser.refs[slot], ser.labels[slot], t, v)
		if err != nil {
			return err
		}
		ser.refs[slot] = ref
		return nil
	}
	if err := add(slotRequests, st.requests); err != nil {
		return err
	}
	if err := add(slotErrors, st.errors); err != nil {
		return err
	}
	if s.cfg.NativeHistogram {
		hint := histogram.NotCounterReset
		if st.written == 0 {
			hint = histogram.UnknownCounterReset
		}
		h := st.native.histogram(s.cfg.NativeSchema, s.cfg.NativeZeroThreshold, uint64(st.requests), st.sum, hint)
		ref, err := app.AppendHistogram(ser.refs[slotNative], ser.labels[slotNative], t, h, nil)
		if err != nil {
			return err
		}
		ser.refs[slotNative] = ref
	}
	if s.cfg.ClassicBuckets {
		if err := add(slotSum, st.sum); err != nil {
			return err
		}
		if err := add(slotCount, st.requests); err != nil {
			return err
		}
		cum := 0.0
		for i := range s.cfg.Buckets {
			cum += st.buckets[i]
			if err := add(slotBuckets+i, cum); err != nil {
				return err
			}
		}
		if err := add(len(ser.labels)-1, st.requests); err != nil {
			return err
		}
	}
	if ex != nil && s.cfg.Exemplars {
		s.appendExemplar(app, st, t, ex)
	}
	return nil
}

// appendExemplar attaches ex to the native histogram and the classic
// _count. Exemplars are best effort: a refused one is only logged.
func (s *SpanMetrics) appendExemplar(app storage.Appender, st *redState, t int64, ex *observation) {
	ts := ex.t
	if ts <= st.lastExT {
		// Exemplars of a series must be in time order; a late span's
		// exemplar is dated with the sample it is folded into.
		ts = t
	}
	e := exemplar.Exemplar{
		Labels: labels.FromStrings("span_id", ex.spanID.String(), "trace_id", ex.traceID.String()),
		Value:  ex.dur,
		Ts:     ts,
		HasTs:  true,
	}
	var slots []int
	if s.cfg.NativeHistogram {
		slots = append(slots, slotNative)
	}
	if s.cfg.ClassicBuckets {
		slots = append(slots, slotCount)
	}
	for _, slot := range slots {
		if _, err := app.AppendExemplar(st.ser.refs[slot], st.ser.labels[slot], e); err != nil {
			s.logger.Debug("exemplar refused", "series", st.ser.labels[slot].String(), "err", err)
		}
	}
	st.lastExT = ts
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
