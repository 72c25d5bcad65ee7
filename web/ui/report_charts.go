package ui

import (
	"context"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/web/ui/chart"
)

// Chart bounds: a chart's source queries get chartTimeout, and a range
// query at most maxChartPoints points per series (the step is coarsened).
const (
	chartTimeout   = 10 * time.Second
	maxChartPoints = 720
)

// chartTarget is the metric a chart request names, in its run.
type chartTarget struct {
	run    *analysis.Run
	result analysis.MetricResult
	spec   analysis.MetricSpec
	cmp    analysis.Comparison
	// window and refWindow are the treatment's and the reference's.
	window, refWindow analysis.TimeRange
	intervals         []analysis.IntervalResult
}

// reportChart serves /experiments/:id/runs/:run/charts/<metric>/<chart>,
// chart one of series.svg, distribution.svg or sequence.svg. The metric is
// everything before the last slash, so that names holding a slash (sent
// as %2F) reach it whole. It always answers an SVG: the chart, or a
// message saying why there is none.
func (u *UI) reportChart(c *gin.Context) {
	rest := strings.TrimPrefix(c.Param("chart"), "/")
	metric, kind := "", rest
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		metric, kind = rest[:i], rest[i+1:]
	}
	title := metric + ": " + strings.TrimSuffix(kind, ".svg")
	switch kind {
	case "series.svg", "distribution.svg", "sequence.svg":
	default:
		u.svg(c, http.StatusNotFound, false, chart.Message(chart.DefaultSize, "Not found", "No chart "+kind+": series.svg, distribution.svg or sequence.svg."))
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), chartTimeout)
	defer cancel()
	t, status, msg := u.chartTarget(ctx, c.Param("id"), c.Param("run"), metric, c.Query("variant"), kind == "sequence.svg")
	if status != http.StatusOK {
		u.svg(c, status, false, chart.Message(chart.DefaultSize, title, msg))
		return
	}
	final := t.run.Verdict != nil
	var svg template.HTML
	switch kind {
	case "sequence.svg":
		svg = sequenceChart(title, t)
	case "series.svg":
		svg = u.seriesChart(ctx, title, t)
	default:
		svg = u.distributionChart(ctx, title, t)
	}
	u.svg(c, http.StatusOK, final, svg)
}

func (u *UI) svg(c *gin.Context, status int, cache bool, svg template.HTML) {
	if cache {
		c.Header("Cache-Control", "private, max-age=300")
	} else {
		c.Header("Cache-Control", "no-store")
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	c.Data(status, "image/svg+xml; charset=utf-8", []byte(svg))
}

// chartTarget finds the metric's result in the run's final verdict (its
// latest interval's while it runs); withIntervals reads every interval.
func (u *UI) chartTarget(ctx context.Context, id, runID, metric, variant string, withIntervals bool) (chartTarget, int, string) {
	_, run, err := u.loadRun(ctx, id, runID)
	switch {
	case analysis.IsNotFound(err) || (err == nil && run == nil):
		return chartTarget{}, http.StatusNotFound, fmt.Sprintf("No run %s of experiment %s.", runID, id)
	case err != nil:
		u.logger.Error("ui: loading a chart's run", "experiment", id, "run", runID, "err", err)
		return chartTarget{}, http.StatusInternalServerError, "The run could not be read."
	}
	t := chartTarget{run: run}
	v := run.Verdict
	if withIntervals {
		t.intervals, err = u.intervals(ctx, run.ID)
		if err == nil && v == nil && len(t.intervals) > 0 {
			v = &t.intervals[len(t.intervals)-1].Verdict
		}
	} else if v == nil {
		var last analysis.IntervalResult
		var ok bool
		if last, ok, err = u.deps.Experiments.LatestInterval(ctx, run.ID); ok {
			v = &last.Verdict
		}
	}
	if err != nil {
		u.logger.Error("ui: loading a chart's intervals", "run", runID, "err", err)
		return t, http.StatusInternalServerError, "The run's intervals could not be read."
	}
	if v == nil {
		return t, http.StatusOK, ""
	}
	found := false
	for _, m := range v.Metrics {
		if m.Name == metric && (variant == "" || m.Variant == variant) {
			t.result, found = m, true
			break
		}
	}
	spec := specMetric(run.Spec, metric)
	if !found || spec == nil {
		return t, http.StatusNotFound, fmt.Sprintf("Run %s judged no metric %s.", run.ID, metric)
	}
	t.spec = *spec
	for _, c := range run.Spec.Comparisons() {
		if c.Variant == t.result.Variant || t.result.Variant == "" {
			t.cmp = c
			break
		}
	}
	t.window, t.refWindow = v.Window, v.Window
	if v.BaselineWindow != nil {
		t.refWindow = *v.BaselineWindow
	}
	return t, http.StatusOK, ""
}

// cohortQuery is one cohort's query for a chart.
type cohortQuery struct {
	name string
	q    analysis.Query
}

// instantKind: the metric's query is an instant query over the window.
func instantKind(kind string) bool {
	return kind == analysis.KindHistogram || kind == analysis.KindCounts || kind == analysis.KindLogPatterns
}

// chartStep is the metric's step, coarsened to keep a window's points
// within maxChartPoints.
func chartStep(t chartTarget) time.Duration {
	step := t.spec.Step.Std()
	if step <= 0 {
		step = t.run.Spec.Step.Std()
	}
	if step <= 0 {
		step = time.Minute
	}
	if w := t.window.End.Sub(t.window.Start); w/step > maxChartPoints {
		step = (w/maxChartPoints + time.Second).Truncate(time.Second)
	}
	return step
}

// exactQueries are the cohorts' exact judged queries, as judged: a range
// query at the metric's step, or an instant query at the window's end.
func exactQueries(t chartTarget) []cohortQuery {
	var out []cohortQuery
	add := func(name, expr string, w analysis.TimeRange) {
		if expr == "" {
			return
		}
		q := analysis.Query{Expr: expr, Start: w.Start, End: w.End}
		if !instantKind(t.result.Kind) {
			q.Step = chartStep(t)
		}
		out = append(out, cohortQuery{name, q})
	}
	add(referenceName(t), t.result.Baseline.Query, t.refWindow)
	add(treatmentName(t), t.result.Canary.Query, t.window)
	return out
}

func referenceName(t chartTarget) string {
	if t.cmp.ReferenceName != "" {
		return t.cmp.ReferenceName
	}
	return "baseline"
}

func treatmentName(t chartTarget) string {
	if t.result.Variant != "" {
		return t.result.Variant
	}
	return "canary"
}

// seriesQueries are the queries of the cohorts' time series: the exact
// queries for range kinds; for instant kinds, the metric's query rendered
// with ${window} set to the step, as a range query.
func seriesQueries(t chartTarget) ([]cohortQuery, string) {
	if !instantKind(t.result.Kind) {
		return exactQueries(t), ""
	}
	step := chartStep(t)
	var out []cohortQuery
	add := func(name string, c *analysis.Cohort, w analysis.TimeRange) {
		if c == nil {
			return
		}
		expr := analysis.RenderQuery(t.spec.Query, c.For(t.spec.Source))
		expr = strings.ReplaceAll(expr, analysis.WindowPlaceholder, analysis.Duration(step).String())
		out = append(out, cohortQuery{name, analysis.Query{Expr: expr, Start: w.Start, End: w.End, Step: step}})
	}
	add(referenceName(t), t.cmp.Reference, t.refWindow)
	add(treatmentName(t), &t.cmp.Treatment, t.window)
	for _, q := range out {
		if strings.Contains(q.q.Expr, "${") {
			return nil, "The metric's query has placeholders besides ${cohort} and ${window}: its series is not drawn; the distribution is."
		}
	}
	return out, ""
}

// fetch runs each cohort's query through the metric's source.
func (u *UI) fetch(ctx context.Context, t chartTarget, qs []cohortQuery) (map[string][]analysis.Series, string) {
	if u.deps.Sources == nil {
		return nil, "No source is available to draw this chart from."
	}
	if len(qs) == 0 {
		return nil, "No query to draw: " + t.result.Reason
	}
	var def *analysis.SourceSpec
	if d, ok := t.run.Spec.Sources[t.spec.Source]; ok {
		def = &d
	}
	src, err := u.deps.Sources.Source(t.spec.Source, def)
	if err != nil {
		return nil, fmt.Sprintf("Source %q could not be opened: %v", t.spec.Source, err)
	}
	out := map[string][]analysis.Series{}
	for _, q := range qs {
		s, err := src.Fetch(ctx, q.q)
		if err != nil {
			return nil, fmt.Sprintf("The %s query failed: %v. Query: %s", q.name, err, q.q.Expr)
		}
		out[q.name] = s
	}
	return out, ""
}

// noData names the cohorts whose queries returned nothing.
func noData(qs []cohortQuery, got map[string][]analysis.Series) string {
	var empty []string
	for _, q := range qs {
		if len(got[q.name]) == 0 {
			empty = append(empty, fmt.Sprintf("%s: no data from %s", q.name, q.q.Expr))
		}
	}
	return strings.Join(empty, ". ")
}

func (u *UI) seriesChart(ctx context.Context, title string, t chartTarget) template.HTML {
	qs, why := seriesQueries(t)
	if why != "" {
		return chart.Message(chart.DefaultSize, title, why)
	}
	got, why := u.fetch(ctx, t, qs)
	if why != "" {
		return chart.Message(chart.DefaultSize, title, why)
	}
	var lines []chart.Series
	yLabel := ""
	for _, q := range qs {
		for _, s := range got[q.name] {
			pts := make([]chart.Point, 0, len(s.Points)+len(s.Histograms))
			for _, p := range s.Points {
				pts = append(pts, chart.Point{X: float64(p.T), Y: p.V})
			}
			for _, h := range s.Histograms {
				// A native histogram per step: its requests' mean.
				if h.Count > 0 {
					pts = append(pts, chart.Point{X: float64(h.T), Y: h.Sum / h.Count})
					yLabel = "mean per step"
				}
			}
			lines = append(lines, chart.Series{Group: q.name, Label: labelText(s.Labels), Points: pts})
		}
	}
	if len(lines) == 0 {
		return chart.Message(chart.DefaultSize, title, noData(qs, got))
	}
	// One cohort drew, the other has nothing: the chart says so.
	return chart.Lines(chart.Options{Title: title, Time: true, XLabel: "time (UTC)", YLabel: yLabel, Note: noData(qs, got)}, lines)
}

func (u *UI) distributionChart(ctx context.Context, title string, t chartTarget) template.HTML {
	qs := exactQueries(t)
	got, why := u.fetch(ctx, t, qs)
	if why != "" {
		return chart.Message(chart.DefaultSize, title, why)
	}
	var dists []chart.Dist
	xLabel := "value"
	for _, q := range qs {
		d := chart.Dist{Group: q.name}
		for _, s := range got[q.name] {
			for _, h := range s.Histograms {
				xLabel = "request value (bucket upper bound)"
				for _, b := range h.Buckets {
					x := b.Upper
					if math.IsInf(x, 1) {
						x = b.Lower
					}
					d.Values = append(d.Values, x)
					d.Weights = append(d.Weights, b.Count)
				}
			}
			for _, p := range s.Points {
				d.Values = append(d.Values, p.V)
				if d.Weights != nil {
					d.Weights = append(d.Weights, 1)
				}
			}
		}
		dists = append(dists, d)
	}
	note := noData(qs, got)
	if note != "" && len(dists) > 0 && strings.Count(note, "no data from") == len(dists) {
		return chart.Message(chart.DefaultSize, title, note)
	}
	return chart.ECDF(chart.Options{Title: title, XLabel: xLabel, Note: note}, dists)
}

// sequenceChart draws the metric's interval at each look, from the stored
// interval results.
func sequenceChart(title string, t chartTarget) template.HTML {
	if t.spec.Judge.Type != analysis.JudgeSequential {
		return chart.Message(chart.DefaultSize, title, "Only sequential metrics have a confidence sequence; this one is judged by "+t.spec.Judge.Type+".")
	}
	var b chart.Band
	var last analysis.MetricResult
	for _, iv := range t.intervals {
		for _, m := range iv.Verdict.Metrics {
			if m.Name != t.result.Name || m.Variant != t.result.Variant {
				continue
			}
			b.X = append(b.X, float64(iv.Verdict.Window.End.UnixMilli()))
			b.Low, b.High, b.Estimate = append(b.Low, val(m.CILow)), append(b.High, val(m.CIHigh)), append(b.Estimate, val(m.Shift))
			last = m
		}
	}
	e := effectOf(last, &t.spec)
	ref := e.Ref
	b.Ref, b.Margin = &ref, e.Limit
	return chart.Sequence(chart.Options{Title: title, Time: true, XLabel: "look (window end, UTC)", YLabel: e.Label}, b)
}

func val(f *float64) float64 {
	if f == nil {
		return math.NaN()
	}
	return *f
}

// labelText writes a series' labels as {k="v", ...}, sorted.
func labelText(ls map[string]string) string {
	keys := make([]string, 0, len(ls))
	for k := range ls {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, ls[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
