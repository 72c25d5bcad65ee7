package analysis

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"
)

// validateBudget checks the run's confidence and min_coverage.
func (s Spec) validateBudget(v *validator) {
	if c := s.Confidence; c != 0 && !(c > 0 && c < 1) {
		v.add("confidence", "must be within (0, 1) (the probability that a healthy canary is not failed; default %g), got %g", DefaultRunConfidence, c)
	}
	if c := s.MinCoverage; c != 0 && !(c > 0 && c <= 1) {
		v.add("min_coverage", "must be within (0, 1], got %g", c)
	}
	// Metrics with their own judge.confidence take their level from the
	// run's budget; the others share what is left, which must not be
	// nothing.
	var own float64
	var shared []string
	for _, m := range s.Metrics {
		switch {
		case !decisive(m):
		case m.Judge.Confidence > 0 && m.Judge.Confidence < 1:
			own += 1 - m.Judge.Confidence
		default:
			shared = append(shared, m.Name)
		}
	}
	if run := s.runAlpha(); len(shared) > 0 && own >= run-1e-12 && s.Confidence >= 0 && s.Confidence < 1 {
		v.add("confidence", "the metrics' own judge.confidence levels (false-fail rates %g in all) use up the run's %g, leaving none for %s: lower confidence (a larger run budget) or drop their judge.confidence",
			own, run, strings.Join(shared, ", "))
	}
}

// validateUnit checks what the cluster-level judging reads: cluster_by,
// margin, quantiles, and that a histogram query can return buckets.
func (s Spec) validateUnit(add func(sub, format string, a ...any), m MetricSpec) {
	j := m.Judge
	if !validClusterBy(m.ClusterBy) {
		add("cluster_by", "must be auto, none or a label name, got %q", m.ClusterBy)
	}
	if j.Kayenta && j.Type != JudgeMannWhitney {
		add("judge.kayenta", "belongs to the mannwhitney judge")
	}
	if mg := j.Margin; mg != nil {
		switch {
		case j.Type != JudgeMannWhitney && j.Type != JudgeProportion && j.Type != JudgeSequential && j.Type != JudgePatterns:
			add("judge.margin", "the %s judge has no margin (mannwhitney, proportion, sequential and patterns have)", j.Type)
		case j.Kayenta:
			add("judge.margin", "an imported Kayenta judge keeps Kayenta's rule and takes no margin")
		case mg.Absolute && j.Type != JudgeProportion:
			add("judge.margin", "an absolute margin (%s) belongs to proportions; use a relative one like 5%%", mg)
		case !(mg.Value > 0) || math.IsInf(mg.Value, 0):
			add("judge.margin", "must be positive, got %s", mg)
		}
	}
	if len(j.Quantiles) > 0 {
		if m.Kind != KindHistogram {
			add("judge.quantiles", "quantiles are judged for kind histogram, got %q", m.Kind)
		}
		if len(j.Quantiles) > MaxQuantiles {
			add("judge.quantiles", "at most %d quantiles (each takes a share of the metric's level), got %d", MaxQuantiles, len(j.Quantiles))
		}
		for i, q := range j.Quantiles {
			switch {
			case !(q > 0 && q < 1):
				add(fmt.Sprintf("judge.quantiles[%d]", i), "must be within (0, 1), got %g", q)
			case slices.Contains(j.Quantiles[:i], q):
				add(fmt.Sprintf("judge.quantiles[%d]", i), "duplicate quantile %g", q)
			}
		}
	}
	srcType := s.sourceType(m.Source)
	if m.Kind == KindHistogram && m.Query != "" && (srcType == SourceEmbedded || srcType == SourcePrometheus) {
		expr := renderWindow(RenderQuery(m.Query, `__cohort__="x"`), 0)
		expr = strings.ReplaceAll(expr, "[0s]", "[1m]")
		if e, err := promQL.ParseExpr(expr); err == nil {
			if why := noBuckets(e); why != "" {
				add("query", "a histogram query must return buckets (series with an le label, or native histograms): %s; keep le and the pod, e.g. sum by (le, pod) (increase(x_bucket{${cohort}}[${window}]))", why)
			}
		}
	}
}

// numberFuncs reduce histograms to numbers.
var numberFuncs = map[string]bool{"histogram_quantile": true, "histogram_avg": true, "histogram_count": true, "histogram_sum": true,
	"histogram_fraction": true, "histogram_stddev": true, "histogram_stdvar": true}

// noBuckets says why e cannot return histogram buckets, or "". An
// expression whose aggregation drops le is fine when it may read native
// histograms (no selector of a classic _bucket series).
func noBuckets(e parser.Expr) string {
	for {
		p, ok := e.(*parser.ParenExpr)
		if !ok {
			break
		}
		e = p.Expr
	}
	if c, ok := e.(*parser.Call); ok && numberFuncs[c.Func.Name] {
		return c.Func.Name + " returns numbers, not buckets"
	}
	if keepsLE(e) {
		return ""
	}
	classic := false
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok && strings.HasSuffix(vs.Name, "_bucket") {
			classic = true
		}
		return nil
	})
	if classic {
		return "its aggregation drops the le label of the classic _bucket series"
	}
	return ""
}

// keepsLE reports whether e may return series with an le label.
func keepsLE(e parser.Expr) bool {
	switch n := e.(type) {
	case *parser.ParenExpr:
		return keepsLE(n.Expr)
	case *parser.AggregateExpr:
		if n.Without {
			return !slices.Contains(n.Grouping, "le") && keepsLE(n.Expr)
		}
		return slices.Contains(n.Grouping, "le") && keepsLE(n.Expr)
	case *parser.Call:
		if numberFuncs[n.Func.Name] {
			return false
		}
		for _, a := range n.Args {
			if keepsLE(a) {
				return true
			}
		}
		return false
	case *parser.BinaryExpr:
		return keepsLE(n.LHS) || keepsLE(n.RHS)
	case *parser.MatrixSelector, *parser.VectorSelector, *parser.SubqueryExpr:
		return true
	case *parser.UnaryExpr:
		return keepsLE(n.Expr)
	case *parser.StepInvariantExpr:
		return keepsLE(n.Expr)
	}
	return false
}
