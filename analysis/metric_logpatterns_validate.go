package analysis

import (
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/augurhq/augur/judges"
)

// validateLogPatterns checks a metric of the patterns judge: a total_query
// (the exposure), a query whose result keeps pattern_id, increases only,
// and a relative margin.
func (s Spec) validateLogPatterns(add func(sub, format string, a ...any), m MetricSpec, srcType string) {
	j := m.Judge
	if m.TotalQuery == "" {
		add("total_query", "the patterns judge needs total_query: each cohort's exposure (its log records or requests), e.g. sum(increase(augur_log_records_total{${cohort}}[${window}]))")
	}
	if j.Direction != "" && j.Direction != judges.Increase {
		add("judge.direction", "the patterns judge tests for patterns more frequent in the canary: increase only, got %q", j.Direction)
	}
	if j.Confidence != 0 && !(j.Confidence > 0 && j.Confidence < 1) {
		add("judge.confidence", "must be within (0, 1), got %g", j.Confidence)
	}
	if j.Margin != nil && j.Margin.Absolute {
		add("judge.margin", "the patterns judge takes a relative margin on each pattern's rate ratio (e.g. 50%%), got %s", j.Margin)
	}
	if j.Aggregate != "" || j.Lower != nil || j.Upper != nil || j.Relative || j.Test != "" || j.Alpha != 0 || j.Tau2 != 0 ||
		j.AllowedIncrease != 0 || j.AllowedDecrease != 0 || j.CriticalIncrease != 0 || j.CriticalDecrease != 0 ||
		j.EffectMeasure != "" || j.NaNStrategy != "" || j.Outliers != "" || j.OutlierFactor != 0 || len(j.Quantiles) > 0 {
		add("judge", "the patterns judge takes direction, confidence and margin only")
	}
	if srcType != SourceEmbedded && srcType != SourcePrometheus || !strings.Contains(m.Query, CohortPlaceholder) {
		return
	}
	expr := strings.ReplaceAll(renderWindow(RenderQuery(m.Query, `__cohort__="x"`), 0), "[0s]", "[1m]")
	e, err := promQL.ParseExpr(expr)
	if err != nil {
		return // reported as invalid PromQL
	}
	if ok, why := keepsLabel(e, LabelPatternID); !ok {
		add("query", "a logpatterns query must return one series per %s, but %s; e.g. sum by (%s) (increase(augur_log_pattern_records_total{severity=~\"error|warn\",${cohort}}[${window}]))", LabelPatternID, why, LabelPatternID)
	}
}

// keepsLabel reports whether the series e returns can carry label name, and
// if not, why. A series selector is taken to carry it (the data are checked
// when judged); aggregations, vector matching and functions that drop it
// are not.
func keepsLabel(e parser.Expr, name string) (bool, string) {
	switch e := e.(type) {
	case *parser.NumberLiteral, *parser.StringLiteral:
		return false, "it returns a bare value"
	case *parser.ParenExpr:
		return keepsLabel(e.Expr, name)
	case *parser.UnaryExpr:
		return keepsLabel(e.Expr, name)
	case *parser.StepInvariantExpr:
		return keepsLabel(e.Expr, name)
	case *parser.SubqueryExpr:
		return keepsLabel(e.Expr, name)
	case *parser.MatrixSelector:
		return keepsLabel(e.VectorSelector, name)
	case *parser.AggregateExpr:
		switch e.Op {
		case parser.TOPK, parser.BOTTOMK, parser.LIMITK, parser.LIMIT_RATIO:
			return keepsLabel(e.Expr, name)
		case parser.COUNT_VALUES:
			if s, ok := e.Param.(*parser.StringLiteral); ok && s.Val == name {
				return true, ""
			}
		}
		grouping := strings.Join(e.Grouping, ", ")
		switch {
		case e.Without && slices.Contains(e.Grouping, name):
			return false, fmt.Sprintf("%s without (%s) drops it", e.Op, grouping)
		case e.Without:
			return keepsLabel(e.Expr, name)
		case !slices.Contains(e.Grouping, name):
			if grouping == "" {
				return false, fmt.Sprintf("%s sums every pattern into one series", e.Op)
			}
			return false, fmt.Sprintf("%s by (%s) drops it", e.Op, grouping)
		}
		return keepsLabel(e.Expr, name)
	case *parser.BinaryExpr:
		lt, rt := e.LHS.Type(), e.RHS.Type()
		switch {
		case lt == parser.ValueTypeScalar && rt == parser.ValueTypeScalar:
			return false, "it returns a bare value"
		case lt == parser.ValueTypeScalar:
			return keepsLabel(e.RHS, name)
		case rt == parser.ValueTypeScalar:
			return keepsLabel(e.LHS, name)
		}
		vm := e.VectorMatching
		if vm == nil {
			return keepsLabel(e.LHS, name)
		}
		switch {
		case vm.Card == parser.CardOneToMany:
			return keepsLabel(e.RHS, name)
		case vm.Card != parser.CardOneToOne || e.Op.IsSetOperator():
		case vm.On && !slices.Contains(vm.MatchingLabels, name):
			return false, fmt.Sprintf("on (%s) drops it", strings.Join(vm.MatchingLabels, ", "))
		case !vm.On && slices.Contains(vm.MatchingLabels, name):
			return false, fmt.Sprintf("ignoring (%s) drops it", strings.Join(vm.MatchingLabels, ", "))
		}
		return keepsLabel(e.LHS, name)
	case *parser.Call:
		switch e.Func.Name {
		case "label_replace", "label_join":
			if len(e.Args) > 1 {
				if s, ok := e.Args[1].(*parser.StringLiteral); ok && s.Val == name {
					return true, ""
				}
			}
		case "vector", "time", "scalar", "pi":
			return false, e.Func.Name + "() returns no labels"
		}
		for _, a := range e.Args {
			if t := a.Type(); t == parser.ValueTypeVector || t == parser.ValueTypeMatrix {
				return keepsLabel(a, name)
			}
		}
		return false, e.Func.Name + "() returns no labels"
	}
	return true, ""
}
