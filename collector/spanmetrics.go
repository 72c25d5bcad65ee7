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

	"github.com/prometheus/common/model"
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
// kind. Timestamps come from the spans, so backfilled traffic lands where
// it happened. Counters are cumulative per series and written at most once
// per resolution step per batch; a span that ends before the last written
// sample of its series is counted in the next sample.
type SpanMetrics struct {
	app    storage.Appendable
	cfg    SpanMetricsConfig
	limits LimitsConfig
	attrs  []attrLabel
	logger *slog.Logger
	mu     sync.Mutex
	series map[string]*redState
}

type attrLabel struct{ attr, label string }

type redState struct {
	base     labels.Labels
	requests float64
	errors   float64
	sum      float64
	buckets  []float64 // per bound, not cumulative; last is +Inf
	lastT    int64
}

// ConsumeResult says how many spans were stored and why others were not.
type ConsumeResult struct {
	Accepted, Rejected int
	Reason             string
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
	sm := &SpanMetrics{app: app, cfg: cfg.SpanMetrics, limits: cfg.Limits, logger: logger, series: map[string]*redState{}}
	for _, a := range cfg.ResourceAttributes {
		l, err := namer.Build(a)
		if err != nil {
			return nil, fmt.Errorf("collector.resource_attributes: %q: %w", a, err)
		}
		sm.attrs = append(sm.attrs, attrLabel{attr: a, label: l})
	}
	return sm, nil
}

type observation struct {
	t   int64 // end time, ms
	dur float64
	err bool
}

// Consume derives and appends the RED samples of one batch of spans.
// Invalid spans are rejected one by one; the rest are stored.
func (s *SpanMetrics) Consume(ctx context.Context, td ptrace.Traces) (ConsumeResult, error) {
	groups := map[string][]observation{}
	bases := map[string]labels.Labels{}
	var res ConsumeResult
	var reasons []string
	reject := func(n int, why string) {
		res.Rejected += n
		if len(reasons) < 3 {
			reasons = append(reasons, why)
		}
	}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		b := labels.NewBuilder(labels.EmptyLabels())
		for _, a := range s.attrs {
			if v, ok := rs.Resource().Attributes().Get(a.attr); ok && v.AsString() != "" {
				b.Set(a.label, v.AsString())
			}
		}
		resLabels := b.Labels()
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				start, end := sp.StartTimestamp(), sp.EndTimestamp()
				if end == 0 || end < start {
					reject(1, fmt.Sprintf("span %q (trace %s): end time %d before start %d or missing", sp.Name(), sp.TraceID(), end, start))
					continue
				}
				b.Reset(resLabels)
				b.Set("span_name", sp.Name())
				b.Set("span_kind", spanKind(sp.Kind()))
				ls := b.Labels()
				// +1: __name__ (le on the buckets is not counted).
				if s.limits.MaxLabelsPerSeries > 0 && ls.Len()+1 > s.limits.MaxLabelsPerSeries {
					reject(1, fmt.Sprintf("span %q (trace %s): %d labels, more than the limit of %d", truncate(sp.Name(), 64), sp.TraceID(), ls.Len()+1, s.limits.MaxLabelsPerSeries))
					continue
				}
				if err := s.limits.checkSeries(ls); err != nil {
					reject(1, fmt.Sprintf("span %q (trace %s): %v", truncate(sp.Name(), 64), sp.TraceID(), err))
					continue
				}
				key := ls.String()
				if _, ok := bases[key]; !ok {
					bases[key] = ls
				}
				groups[key] = append(groups[key], observation{
					t:   int64(end) / 1e6,
					dur: float64(end-start) / 1e9,
					err: isError(sp),
				})
			}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	app := s.app.Appender(ctx)
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var undo []func() // restores the series state if the commit fails
	for _, key := range keys {
		obs := groups[key]
		st := s.series[key]
		fresh := st == nil
		if fresh {
			st = &redState{base: bases[key], buckets: make([]float64, len(s.cfg.Buckets)+1), lastT: math.MinInt64}
		} else {
			prev := *st
			prev.buckets = append([]float64(nil), st.buckets...)
			undo = append(undo, func() { *st = prev })
		}
		n, err := s.appendGroup(app, st, obs, fresh)
		if n > 0 && fresh {
			s.series[key] = st
			undo = append(undo, func() { delete(s.series, key) })
		}
		res.Accepted += n
		if err != nil {
			reject(len(obs)-n, fmt.Sprintf("%s: %v", key, err))
		}
	}
	if err := app.Commit(); err != nil {
		for _, f := range undo {
			f()
		}
		return ConsumeResult{Rejected: res.Accepted + res.Rejected}, fmt.Errorf("commit span metrics: %w", err)
	}
	if len(reasons) > 0 {
		res.Reason = fmt.Sprintf("%d spans rejected: %s", res.Rejected, joinReasons(reasons))
	}
	return res, nil
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
		if err := s.appendState(app, st, obs[0].t-1); err != nil {
			return 0, err
		}
		st.lastT = obs[0].t - 1
	}
	stored := 0
	for i := 0; i < len(obs); {
		step := floorDiv(obs[i].t, res)
		j := i
		saved := *st
		saved.buckets = append([]float64(nil), st.buckets...)
		for ; j < len(obs) && floorDiv(obs[j].t, res) == step; j++ {
			o := obs[j]
			st.requests++
			if o.err {
				st.errors++
			}
			st.sum += o.dur
			st.buckets[sort.SearchFloat64s(s.cfg.Buckets, o.dur)]++
		}
		t := max(obs[j-1].t, st.lastT+1)
		if err := s.appendState(app, st, t); err != nil {
			*st = saved
			return stored, err
		}
		st.lastT = t
		stored += j - i
		i = j
	}
	return stored, nil
}

func (s *SpanMetrics) appendState(app storage.Appender, st *redState, t int64) error {
	add := func(name string, v float64, extra ...string) error {
		b := labels.NewBuilder(st.base)
		b.Set(model.MetricNameLabel, name)
		for k := 0; k+1 < len(extra); k += 2 {
			b.Set(extra[k], extra[k+1])
		}
		_, err := app.Append(0, b.Labels(), t, v)
		return err
	}
	if err := add(MetricSpanRequests, st.requests); err != nil {
		return err
	}
	if err := add(MetricSpanErrors, st.errors); err != nil {
		return err
	}
	if err := add(MetricSpanDuration+"_sum", st.sum); err != nil {
		return err
	}
	if err := add(MetricSpanDuration+"_count", st.requests); err != nil {
		return err
	}
	cum := 0.0
	for i, ub := range s.cfg.Buckets {
		cum += st.buckets[i]
		if err := add(MetricSpanDuration+"_bucket", cum, labels.BucketLabel, strconv.FormatFloat(ub, 'g', -1, 64)); err != nil {
			return err
		}
	}
	return add(MetricSpanDuration+"_bucket", st.requests, labels.BucketLabel, "+Inf")
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
