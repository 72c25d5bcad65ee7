package collector

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Reasons of augur_span_name_overflow_total, named after their settings.
const (
	overflowService = "max_span_names_per_service"
	overflowRequest = "max_new_groups_per_request"
)

// overflowLogEvery is the least time between two log lines about spans
// folded into _overflow.
const overflowLogEvery = time.Minute

// serviceKind is what collector.span_metrics.max_span_names_per_service
// counts span names per.
type serviceKind struct {
	service string // service_namespace/service_name
	kind    ptrace.SpanKind
}

func serviceKindOf(res labels.Labels, kind ptrace.SpanKind) serviceKind {
	return serviceKind{service: res.Get("service_namespace") + "/" + res.Get("service_name"), kind: kind}
}

func (k serviceKind) String() string {
	return fmt.Sprintf("service %q kind %s", strings.TrimPrefix(k.service, "/"), spanKind(k.kind))
}

// spanLimits is SpanMetrics' cardinality state, guarded by SpanMetrics.mu:
// the span names of the live series groups per service and kind, and when
// idle groups were last looked for.
type spanLimits struct {
	names     map[serviceKind]map[string]int // name → live groups
	lastSweep time.Time
	lastLog   time.Time
	unlogged  int // spans folded since the last log line

	overflow *prometheus.CounterVec
	evicted  prometheus.Counter
	groups   prometheus.GaugeFunc
}

func newSpanLimits(sm *SpanMetrics) spanLimits {
	return spanLimits{
		names: map[serviceKind]map[string]int{},
		overflow: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "augur_span_name_overflow_total",
			Help: `Spans counted under span_name="_overflow" because their name would have passed a span series limit (reason: the setting).`,
		}, []string{"reason"}),
		evicted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "augur_span_metric_groups_evicted_total",
			Help: "Span series groups whose state was dropped after collector.span_metrics.idle_timeout without spans.",
		}),
		groups: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "augur_span_metric_groups",
			Help: "Span series groups (resource, span name and kind) with state in memory.",
		}, func() float64 {
			sm.mu.Lock()
			defer sm.mu.Unlock()
			return float64(len(sm.series))
		}),
	}
}

// Collectors returns span metrics' own metrics, for the server's registry:
// augur_span_name_overflow_total{reason}, augur_span_metric_groups and
// augur_span_metric_groups_evicted_total.
func (s *SpanMetrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.card.overflow, s.card.evicted, s.card.groups}
}

func (l *spanLimits) addName(sk serviceKind, name string) {
	if name == OverflowSpanName {
		return
	}
	m := l.names[sk]
	if m == nil {
		m = map[string]int{}
		l.names[sk] = m
	}
	m[name]++
}

func (l *spanLimits) dropName(sk serviceKind, name string) {
	m := l.names[sk]
	if m == nil {
		return
	}
	if m[name]--; m[name] <= 0 {
		delete(m, name)
	}
	if len(m) == 0 {
		delete(l.names, sk)
	}
}

// folds says what one batch counted under _overflow.
type folds struct {
	spans   map[string]int // by reason
	names   int
	reasons []string
}

func (f *folds) add(reason, why string, spans int) {
	if f.spans == nil {
		f.spans = map[string]int{}
	}
	if f.spans[reason] == 0 {
		f.reasons = append(f.reasons, why)
	}
	f.spans[reason] += spans
	f.names++
}

func (f *folds) total() int {
	n := 0
	for _, v := range f.spans {
		n += v
	}
	return n
}

func (f *folds) String() string {
	return fmt.Sprintf("%d spans of %d span names counted under span_name=%q: %s", f.total(), f.names, OverflowSpanName, strings.Join(f.reasons, "; "))
}

// admit decides which of a batch's new series groups may open series,
// under s.mu. The most frequent are admitted first; the spans of a group
// over max_span_names_per_service (a name its service and kind do not
// have yet) or max_new_groups_per_request move to the overflow group of
// their resource and kind. It returns the keys to append, in order.
func (s *SpanMetrics) admit(groups map[groupKey]*group) ([]groupKey, folds) {
	var f folds
	perService, perRequest := s.cfg.MaxSpanNamesPerService, s.cfg.MaxNewGroupsPerRequest
	var fresh []groupKey
	if perService > 0 || perRequest > 0 {
		for k := range groups {
			if s.series[k] == nil && k.name != OverflowSpanName {
				fresh = append(fresh, k)
			}
		}
	}
	sort.Slice(fresh, func(a, b int) bool {
		na, nb := len(groups[fresh[a]].obs), len(groups[fresh[b]].obs)
		if na != nb {
			return na > nb
		}
		return fresh[a].less(fresh[b])
	})
	opened := 0
	added := map[serviceKind]map[string]bool{} // names this batch brings
	for _, k := range fresh {
		g := groups[k]
		sk := serviceKindOf(g.res, k.kind)
		known := s.card.names[sk][k.name] > 0 || added[sk][k.name]
		var reason, why string
		switch {
		case !known && perService > 0 && len(s.card.names[sk])+len(added[sk]) >= perService:
			reason = overflowService
			why = fmt.Sprintf("%s has %d span names, the limit (collector.span_metrics.%s)", sk, perService, reason)
		case perRequest > 0 && opened >= perRequest:
			reason = overflowRequest
			why = fmt.Sprintf("the request opened %d new span series groups, the limit (collector.span_metrics.%s)", perRequest, reason)
		}
		if reason == "" {
			opened++
			if !known {
				if added[sk] == nil {
					added[sk] = map[string]bool{}
				}
				added[sk][k.name] = true
			}
			continue
		}
		ok := groupKey{res: k.res, name: OverflowSpanName, kind: k.kind}
		og := groups[ok]
		if og == nil {
			og = &group{res: g.res}
			groups[ok] = og
		}
		og.obs = append(og.obs, g.obs...)
		delete(groups, k)
		f.add(reason, why, len(g.obs))
	}
	keys := make([]groupKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool { return keys[a].less(keys[b]) })
	return keys, f
}

// folded counts a committed batch's folds and logs them, at most once per
// overflowLogEvery (spans: how many since the last line), under s.mu.
func (s *SpanMetrics) folded(f folds, now time.Time) {
	if f.names == 0 {
		return
	}
	for reason, n := range f.spans {
		s.card.overflow.WithLabelValues(reason).Add(float64(n))
	}
	s.card.unlogged += f.total()
	if now.Sub(s.card.lastLog) < overflowLogEvery {
		return
	}
	s.logger.Warn("span names over a limit: spans counted under span_name=\"_overflow\"",
		slog.Int("spans", s.card.unlogged), slog.String("latest", f.String()))
	s.card.lastLog, s.card.unlogged = now, 0
}

// evictIdle drops the state of series groups without spans for
// idle_timeout, under s.mu. It looks at most every few minutes.
func (s *SpanMetrics) evictIdle(now time.Time) {
	idle := s.cfg.IdleTimeout
	if idle <= 0 || now.Sub(s.card.lastSweep) < min(idle/4, time.Minute) {
		return
	}
	s.card.lastSweep = now
	for k, st := range s.series {
		if now.Sub(st.seen) > idle {
			delete(s.series, k)
			s.card.dropName(st.svc, k.name)
			s.card.evicted.Inc()
		}
	}
}
