package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source"
	"github.com/augurhq/augur/collector/logs"
)

// patternSources is the experiments' sources that also answer
// analysis.PatternCatalog from the log receivers' pattern miner, so a
// failing logpatterns metric shows each pattern's text and the cohort's own
// example lines and trace IDs.
type patternSources struct {
	*source.Registry
	drain *logs.Drain
}

var selectorParser = parser.NewParser(parser.Options{})

// Pattern looks id up in the miner. The miner keeps examples per service
// and version, so they are drawn from the services and versions that the
// selector's service_name and service_version matchers accept; other
// matchers (pod, cluster) cannot narrow them, and the note says so. A
// selector without a service_version matcher gets the template alone: the
// miner could not tell the cohorts' lines apart.
func (p patternSources) Pattern(_ context.Context, id, selector string) (analysis.PatternInfo, bool, error) {
	ms, err := selectorParser.ParseMetricSelector("{" + selector + "}")
	if err != nil {
		return analysis.PatternInfo{}, false, fmt.Errorf("selector %s: %w", selector, err)
	}
	var svc, ver []*labels.Matcher
	var other []string
	for _, m := range ms {
		switch m.Name {
		case logs.LabelServiceName:
			svc = append(svc, m)
		case logs.LabelServiceVersion:
			ver = append(ver, m)
		case logs.LabelSeverity, logs.LabelPatternID, model.MetricNameLabel:
		default:
			other = append(other, m.Name)
		}
	}
	keep := func(service, version string) bool {
		for _, m := range svc {
			if !m.Matches(service) {
				return false
			}
		}
		for _, m := range ver {
			if !m.Matches(version) {
				return false
			}
		}
		return len(ver) > 0
	}
	pat, found := p.drain.Lookup(id, keep)
	if !found {
		return analysis.PatternInfo{}, false, nil
	}
	info := analysis.PatternInfo{Template: pat.Template}
	for _, e := range pat.Examples {
		info.Examples = append(info.Examples, analysis.PatternExample{Time: e.Time, Line: e.Line, TraceID: e.TraceID})
	}
	switch {
	case len(ver) == 0:
		info.Note = "no examples: the cohort's selector has no service_version matcher, and the pattern miner keeps examples per service version"
	case len(info.Examples) == 0:
		info.Note = "no example lines of this pattern are held for the cohort's service versions"
	case len(other) > 0:
		info.Note = fmt.Sprintf("examples are from the cohort's service versions; the matchers on %s do not narrow them", strings.Join(other, ", "))
	}
	return info, true, nil
}

// PrintPatterns writes the failing log patterns of a verdict's logpatterns
// metrics: counts, adjusted p-value, the template and an example line with
// its trace ID.
func PrintPatterns(out io.Writer, v analysis.Verdict) {
	for _, m := range v.Metrics {
		if len(m.Patterns) == 0 {
			continue
		}
		fmt.Fprintf(out, "\nlog patterns more frequent in %s (%s):\n", m.Variant, m.Name)
		for _, p := range m.Patterns {
			change := "new"
			if p.RateRatio != nil {
				change = fmt.Sprintf("rate ×%.3g", *p.RateRatio)
			}
			adj := "-"
			if p.AdjustedPValue != nil {
				adj = fmt.Sprintf("%.3g", *p.AdjustedPValue)
			}
			fmt.Fprintf(out, "  pattern %s: %s, %s %d vs baseline %d, adjusted p %s\n", p.ID, change, m.Variant, p.CanaryCount, p.BaselineCount, adj)
			if p.Template != "" {
				fmt.Fprintf(out, "    template: %s\n", p.Template)
			}
			if n := len(p.Examples); n > 0 {
				e := p.Examples[n-1]
				fmt.Fprintf(out, "    example:  %s trace %s: %s\n", e.Time.UTC().Format("15:04:05"), orDash(e.TraceID), oneLine(e.Line))
			}
			if p.Note != "" {
				fmt.Fprintf(out, "    note:     %s\n", p.Note)
			}
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
