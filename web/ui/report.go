package ui

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/collector"
	"github.com/augurhq/augur/judges"
	"github.com/augurhq/augur/web"
	"github.com/augurhq/augur/web/ui/chart"
)

// EventLister lists an experiment's controller events (*analysis.Manager).
type EventLister interface {
	Events(ctx context.Context, experimentID string) ([]analysis.Event, error)
}

// DeliveryLister lists an experiment's notifications, newest first, with
// their attempts (the state store).
type DeliveryLister interface {
	ListDeliveries(ctx context.Context, experimentID string) ([]analysis.OutboxDelivery, error)
}

// SpanLister holds the slowest and latest failed spans of each service
// and version (*collector.SpanMetrics).
type SpanLister interface {
	SlowSpans(service, version string) []collector.BufferedSpan
	FailedSpans(service, version string) []collector.BufferedSpan
}

// maxReportIntervals bounds the interval results one report reads.
const maxReportIntervals = 2000

// reportView is what templates/report.html draws.
type reportView struct {
	// Controls are the run controls (templates/_controls.html).
	Controls
	X       analysis.Experiment
	Run     *analysis.Run
	Runs    []runLink
	Verdict *analysis.Verdict
	// Final: Verdict is the run's final verdict, not its latest interval's.
	Final bool
	// Base is the run's report path; API links the same data as JSON.
	Base      string
	API       []link
	Health    health
	Metrics   []metricView
	Intervals []analysis.IntervalResult
	Patterns  []patternView
	Spans     []spanGroup
	Outbox    []analysis.OutboxDelivery
	Events    []analysis.Event
	// Notes say which parts could not be read.
	Notes []string
	// Score, Start and End are the header's texts.
	Score, Start, End string
	// HasPatternMetric: the run judges log patterns.
	HasPatternMetric bool
}

type link struct{ Text, Href string }

type runLink struct {
	ID, Href string
	Status   analysis.RunStatus
	Started  time.Time
	Current  bool
}

// reportLatest serves the latest run's report of an experiment.
func (u *UI) reportLatest(c *gin.Context) { u.report(c, c.Param("id"), "") }

// reportRun serves one run's report.
func (u *UI) reportRun(c *gin.Context) { u.report(c, c.Param("id"), c.Param("run")) }

func (u *UI) report(c *gin.Context, id, runID string) {
	ctx := c.Request.Context()
	v, err := u.loadReport(ctx, id, runID)
	switch {
	case analysis.IsNotFound(err):
		u.notFound(c)
		return
	case err != nil:
		u.logger.Error("ui: loading a report", "experiment", id, "run", runID, "err", err)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	u.r.render(c, http.StatusOK, "report", page{Title: v.X.Spec.Name, Nav: "experiments", Data: v})
}

// errNoSuchRun: the run belongs to another experiment.
var errNoSuchRun = fmt.Errorf("the run belongs to another experiment: %w", analysis.ErrNotFound)

// loadRun finds the experiment and its run (the latest when runID is "");
// the run is nil when the experiment never ran.
func (u *UI) loadRun(ctx context.Context, id, runID string) (analysis.Experiment, *analysis.Run, error) {
	if u.deps.Experiments == nil {
		return analysis.Experiment{}, nil, analysis.ErrNotFound
	}
	x, err := u.deps.Experiments.Get(ctx, id)
	if err != nil {
		return x, nil, err
	}
	if runID == "" {
		runID = x.Run
	}
	if runID == "" {
		return x, nil, nil
	}
	run, err := u.deps.Experiments.Run(ctx, runID)
	if err != nil {
		return x, nil, err
	}
	if run.ExperimentID != x.ID {
		return x, nil, errNoSuchRun
	}
	return x, &run, nil
}

func (u *UI) loadReport(ctx context.Context, id, runID string) (*reportView, error) {
	x, run, err := u.loadRun(ctx, id, runID)
	if err != nil {
		return nil, err
	}
	v := &reportView{Controls: u.controlsFor(x), X: x, Run: run, Base: "/experiments/" + url.PathEscape(x.ID)}
	exp := web.Prefix + "/experiments/" + url.PathEscape(x.ID)
	v.API = []link{{"experiment", exp}, {"verdict", exp + "/verdict"}, {"runs", exp + "/runs"}}
	if runs, err := u.deps.Experiments.Runs(ctx, x.ID); err == nil {
		for _, r := range runs {
			v.Runs = append(v.Runs, runLink{ID: r.ID, Href: v.Base + "/runs/" + url.PathEscape(r.ID), Status: r.Status,
				Started: r.StartedAt, Current: run != nil && r.ID == run.ID})
		}
	} else {
		v.Notes = append(v.Notes, "The list of runs could not be read.")
	}
	v.Score, v.Start, v.End = "n/a", "not started", ""
	if run == nil {
		return v, nil
	}
	v.Start = shortTime(run.StartedAt)
	if run.EndedAt != nil {
		v.End = shortTime(*run.EndedAt)
	} else if x.Window != nil && x.Run == run.ID {
		v.End = "due " + shortTime(x.Window.End)
	}
	for _, m := range run.Spec.Metrics {
		v.HasPatternMetric = v.HasPatternMetric || m.Kind == analysis.KindLogPatterns
	}
	v.Base += "/runs/" + url.PathEscape(run.ID)
	rp := web.Prefix + "/runs/" + url.PathEscape(run.ID)
	v.API = append(v.API, link{"run", rp}, link{"intervals", rp + "/intervals?limit=" + strconv.Itoa(web.MaxIntervalLimit)})
	v.Intervals, err = u.intervals(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	switch {
	case run.Verdict != nil:
		v.Verdict, v.Final = run.Verdict, true
	case len(v.Intervals) > 0:
		v.Verdict = &v.Intervals[len(v.Intervals)-1].Verdict
	}
	if v.Verdict != nil {
		v.Score = analysis.ScoreText(v.Verdict.Score)
	}
	if v.Verdict != nil {
		v.Metrics = metricViews(v.Base, run, v.Verdict, v.Intervals)
		v.Health = healthOf(v.Verdict)
		v.Patterns = patternViews(v.Verdict)
		v.Spans = u.spansOf(run, v.Verdict)
	}
	if u.deps.Events != nil {
		if v.Events, err = u.deps.Events.Events(ctx, x.ID); err != nil {
			u.logger.Warn("ui: reading events", "experiment", x.ID, "err", err)
			v.Notes = append(v.Notes, "The events could not be read.")
		}
	}
	if u.deps.Deliveries != nil {
		ds, err := u.deps.Deliveries.ListDeliveries(ctx, x.ID)
		if err != nil {
			u.logger.Warn("ui: reading deliveries", "experiment", x.ID, "err", err)
			v.Notes = append(v.Notes, "The notifications could not be read.")
		}
		for _, d := range ds {
			if d.RunID == run.ID {
				v.Outbox = append(v.Outbox, d)
			}
		}
	}
	return v, nil
}

// intervals reads a run's interval results, a page at a time, up to
// maxReportIntervals.
func (u *UI) intervals(ctx context.Context, runID string) ([]analysis.IntervalResult, error) {
	var out []analysis.IntervalResult
	after := -1
	for len(out) < maxReportIntervals {
		page, err := u.deps.Experiments.Intervals(ctx, runID, after, web.MaxIntervalLimit)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < web.MaxIntervalLimit {
			break
		}
		after = page[len(page)-1].Index
	}
	return out, nil
}

// metricView is one row of the metrics table and its charts.
type metricView struct {
	analysis.MetricResult
	// Anchor is the row's fragment id.
	Anchor string
	Source string
	// Sequential: the metric has a confidence sequence to draw.
	Sequential bool
	Forest     template.HTML
	// P is the p-value shown, PLabel what it is.
	P, PLabel string
	// Links open each cohort's exact query (nil: the source has no link).
	BaselineLink, CanaryLink string
	SeriesURL, DistURL       string
	SeqURL                   string
	// Lacks says, for a metric without data, what exactly is missing.
	Lacks []string
}

func metricViews(base string, run *analysis.Run, v *analysis.Verdict, ivs []analysis.IntervalResult) []metricView {
	out := make([]metricView, 0, len(v.Metrics))
	for i, m := range v.Metrics {
		spec := specMetric(run.Spec, m.Name)
		mv := metricView{MetricResult: m, Anchor: "m" + strconv.Itoa(i)}
		if spec != nil {
			mv.Source = spec.Source
			mv.Sequential = spec.Judge.Type == analysis.JudgeSequential
		}
		mv.Forest = chart.Forest(effectOf(m, spec))
		switch {
		case m.AdjustedPValue != nil:
			mv.P, mv.PLabel = trimFloat(*m.AdjustedPValue), "adjusted p"
		case m.PValue != nil:
			mv.P, mv.PLabel = trimFloat(*m.PValue), "p"
		}
		rw, tw := v.Window, v.Window
		if v.BaselineWindow != nil {
			rw = *v.BaselineWindow
		}
		mv.BaselineLink = queryLink(spec, m.Kind, m.Baseline.Query, rw, run.Spec)
		mv.CanaryLink = queryLink(spec, m.Kind, m.Canary.Query, tw, run.Spec)
		q := url.Values{}
		if m.Variant != "" {
			q.Set("variant", m.Variant)
		}
		cb := base + "/charts/" + url.PathEscape(m.Name) + "/"
		suffix := ""
		if len(q) > 0 {
			suffix = "?" + q.Encode()
		}
		mv.SeriesURL, mv.DistURL, mv.SeqURL = cb+"series.svg"+suffix, cb+"distribution.svg"+suffix, cb+"sequence.svg"+suffix
		mv.Lacks = lacks(m)
		out = append(out, mv)
	}
	return out
}

// specMetric is the run's spec of the named metric.
func specMetric(s analysis.Spec, name string) *analysis.MetricSpec {
	i := slices.IndexFunc(s.Metrics, func(m analysis.MetricSpec) bool { return m.Name == name })
	if i < 0 {
		return nil
	}
	return &s.Metrics[i]
}

// effectOf is the forest row of a metric: the shift (or the threshold
// judge's aggregate) with its interval, against no change and the margin
// (or the threshold's bound).
func effectOf(m analysis.MetricResult, spec *analysis.MetricSpec) chart.Effect {
	e := chart.Effect{Estimate: m.Shift, Low: m.CILow, High: m.CIHigh, Label: "shift (canary − baseline)"}
	ratio := m.Cluster != nil && m.Cluster.Scale == "log"
	if ratio {
		e.Ref, e.Label = 1, "ratio (canary / baseline)"
	}
	if m.Aggregate != nil && m.Shift == nil {
		e.Estimate, e.Label = m.Aggregate, "aggregate"
		if spec != nil {
			e.Ref = *m.Aggregate
			if spec.Judge.Upper != nil {
				e.Limit = spec.Judge.Upper
			} else if spec.Judge.Lower != nil {
				e.Limit = spec.Judge.Lower
			}
		}
		return e
	}
	if spec != nil && spec.Judge.Margin != nil {
		mg := spec.Judge.Margin
		var lim float64
		switch {
		case ratio:
			lim = 1 + mg.Value
		case mg.Absolute:
			lim = mg.Value
		case m.Baseline.Mean != nil:
			lim = mg.Value * abs(*m.Baseline.Mean)
		default:
			return e
		}
		if spec.Judge.Direction == judges.Decrease {
			lim = 2*e.Ref - lim
		}
		e.Limit = &lim
	}
	return e
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// queryLink opens a cohort's exact query: augur's own Prometheus API for
// the embedded store (query_range over the window at the metric's step;
// an instant query at the window's end for the kinds judged that way),
// none for other sources.
func queryLink(spec *analysis.MetricSpec, kind, expr string, w analysis.TimeRange, s analysis.Spec) string {
	if expr == "" || spec == nil || (spec.Source != "" && spec.Source != analysis.DefaultSource) {
		return ""
	}
	if _, own := s.Sources[spec.Source]; own && spec.Source != "" {
		return ""
	}
	q := url.Values{"query": {expr}}
	switch kind {
	case analysis.KindHistogram, analysis.KindCounts, analysis.KindLogPatterns:
		q.Set("time", unixText(w.End))
		return web.Prefix + "/query?" + q.Encode()
	}
	step := spec.Step.Std()
	if step <= 0 {
		step = s.Step.Std()
	}
	q.Set("start", unixText(w.Start))
	q.Set("end", unixText(w.End))
	q.Set("step", strconv.FormatFloat(step.Seconds(), 'f', -1, 64))
	return web.Prefix + "/query_range?" + q.Encode()
}

func unixText(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

func shortTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
