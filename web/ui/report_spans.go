package ui

import (
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/collector"
)

// maxSpansShown bounds the slowest and the failed spans shown per cohort.
const maxSpansShown = 5

// promParser parses the rendered queries the report reads selectors from.
var promParser = parser.NewParser(parser.Options{})

// spanGroup is one cohort's slowest and failed spans.
type spanGroup struct {
	Cohort, Service, Version string
	Slow, Failed             []collector.BufferedSpan
}

// spanKey is a service and version the span series of a cohort select.
type spanKey struct{ cohort, service, version string }

// spansOf finds the cohorts' span buffers from the metrics that read
// augur's span series (augur_span_*: service_name and service_version
// selected by equality) and returns what they hold. Metrics reading
// anything else have no spans here; without a span store, nothing.
func (u *UI) spansOf(run *analysis.Run, v *analysis.Verdict) []spanGroup {
	if u.deps.Spans == nil {
		return nil
	}
	var keys []spanKey
	seen := map[spanKey]bool{}
	add := func(cohort, q string) {
		for _, k := range spanSelectors(q) {
			k.cohort = cohort
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	for _, m := range v.Metrics {
		if spec := specMetric(run.Spec, m.Name); spec == nil || (spec.Source != "" && spec.Source != analysis.DefaultSource) {
			continue
		}
		treat := m.Variant
		if treat == "" {
			treat = "canary"
		}
		add("baseline", m.Baseline.Query)
		add(treat, m.Canary.Query)
	}
	out := make([]spanGroup, 0, len(keys))
	for _, k := range keys {
		g := spanGroup{Cohort: k.cohort, Service: k.service, Version: k.version,
			Slow: first(u.deps.Spans.SlowSpans(k.service, k.version), maxSpansShown), Failed: first(u.deps.Spans.FailedSpans(k.service, k.version), maxSpansShown)}
		out = append(out, g)
	}
	return out
}

func first[T any](xs []T, n int) []T {
	if len(xs) > n {
		return xs[:n]
	}
	return xs
}

// spanSelectors returns the service and version of each span series
// selector in a PromQL query ("" queries and other languages: none).
func spanSelectors(q string) []spanKey {
	if q == "" {
		return nil
	}
	expr, err := promParser.ParseExpr(q)
	if err != nil {
		return nil
	}
	var out []spanKey
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok || !strings.HasPrefix(vs.Name, "augur_span_") {
			return nil
		}
		var k spanKey
		for _, m := range vs.LabelMatchers {
			if m.Type != labels.MatchEqual {
				continue
			}
			switch m.Name {
			case "service_name":
				k.service = m.Value
			case "service_version":
				k.version = m.Value
			}
		}
		if k.service != "" {
			out = append(out, k)
		}
		return nil
	})
	return out
}
