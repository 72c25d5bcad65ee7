package ui

import (
	"fmt"
	"regexp"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// health is the report's first section: what could make the verdict
// untrustworthy, before any metric's result.
type health struct {
	// Coverage: the cohorts whose data did not cover the window, as the
	// metrics' reasons record it.
	Coverage []finding
	SRM      *analysis.SRMResult
	// Pods: the clusters (pods) with data per cohort of each metric
	// judged by cluster, Imbalanced where one cohort has far fewer.
	Pods []podCount
	// NoData: metrics with a cohort that returned nothing.
	NoData []finding
	// Errors: metrics whose sources failed.
	Errors []finding
}

// OK reports whether no check found anything.
func (h health) OK() bool {
	return len(h.Coverage) == 0 && len(h.NoData) == 0 && len(h.Errors) == 0 && (h.SRM == nil || !h.SRM.Mismatch) && !h.imbalanced()
}

func (h health) imbalanced() bool {
	for _, p := range h.Pods {
		if p.Imbalanced {
			return true
		}
	}
	return false
}

type finding struct {
	Metric, Anchor, Cohort, Text string
}

type podCount struct {
	Metric, Anchor, Label, Method string
	Baseline, Canary              int
	Imbalanced                    bool
}

// coverageText finds the coverage gaps coverage.go writes into a reason:
// "<cohort> data cover 60% of the window, under min_coverage 80%: no data
// 10:00–10:05 (5 min)" and "<cohort> data stop at ...".
var coverageText = regexp.MustCompile(`(\S+) data (?:cover \d+% of the window[^;]*|stop at [^;]*)`)

func healthOf(v *analysis.Verdict) health {
	h := health{SRM: v.SRM}
	for i, m := range v.Metrics {
		anchor := fmt.Sprintf("m%d", i)
		for _, g := range coverageText.FindAllStringSubmatch(m.Reason, -1) {
			h.Coverage = append(h.Coverage, finding{Metric: m.Name, Anchor: anchor, Cohort: g[1], Text: g[0]})
		}
		for _, l := range lacks(m) {
			h.NoData = append(h.NoData, finding{Metric: m.Name, Anchor: anchor, Text: l})
		}
		if m.Error != "" || m.Classification == judges.Error {
			msg := m.Error
			if msg == "" {
				msg = m.Reason
			}
			h.Errors = append(h.Errors, finding{Metric: m.Name, Anchor: anchor, Text: msg})
		}
		if c := m.Cluster; c != nil && c.Label != "" {
			h.Pods = append(h.Pods, podCount{Metric: m.Name, Anchor: anchor, Label: c.Label, Method: c.Method,
				Baseline: c.Baseline, Canary: c.Canary, Imbalanced: imbalanced(c.Baseline, c.Canary)})
		}
	}
	return h
}

// imbalanced: one cohort has data from a single pod, or from fewer than a
// quarter as many pods as the other.
func imbalanced(a, b int) bool {
	lo, hi := min(a, b), max(a, b)
	return hi > 1 && (lo <= 1 || 4*lo < hi)
}

// lacks says what a metric without data lacks: which cohort, which query.
func lacks(m analysis.MetricResult) []string {
	if m.Classification != judges.NoData && m.Baseline.N > 0 && m.Canary.N > 0 {
		return nil
	}
	var out []string
	treat := m.Variant
	if treat == "" {
		treat = "canary"
	}
	for _, c := range []struct {
		name string
		s    analysis.CohortSummary
	}{{"baseline", m.Baseline}, {treat, m.Canary}} {
		switch {
		case c.s.Query == "" && c.name == "baseline":
			// slo and target comparisons have no reference
		case c.s.N == 0 && c.s.Query != "":
			out = append(out, fmt.Sprintf("%s: no data from %s", c.name, c.s.Query))
		case c.s.N == 0:
			out = append(out, c.name+": not queried ("+m.Reason+")")
		}
	}
	if len(out) == 0 && m.Classification == judges.NoData {
		out = append(out, m.Reason)
	}
	return out
}

// patternView is one log pattern more frequent or new in a treatment.
type patternView struct {
	Metric, Variant string
	analysis.PatternResult
}

func patternViews(v *analysis.Verdict) []patternView {
	var out []patternView
	for _, m := range v.Metrics {
		for _, p := range m.Patterns {
			out = append(out, patternView{Metric: m.Name, Variant: m.Variant, PatternResult: p})
		}
	}
	return out
}
