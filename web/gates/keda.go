package gates

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// KEDA's numbers for one instance. KEDA's metrics-api scaler reads one of
// them with a GJSON path (JSON) or a metric selector (Prometheus text).
type kedaMetrics struct {
	// Healthy is 1 unless the verdict is fail, inconclusive or error.
	Healthy int `json:"healthy"`
	// Final is 1 once the run ended.
	Final int `json:"final"`
	// Score is the latest judged score, 0–100 (null before one).
	Score *float64 `json:"score"`
	// SLOHeadroom is the smallest relative room the canary leaves to an
	// absolute threshold bound (negative once breached; null without one).
	SLOHeadroom  *float64  `json:"slo_headroom"`
	Verdict      string    `json:"verdict"`
	Intervals    Intervals `json:"intervals"`
	Key          string    `json:"key,omitempty"`
	Template     string    `json:"template,omitempty"`
	ExperimentID string    `json:"experiment_id"`
	RunID        string    `json:"run_id"`
}

// kedaTemplate answers the numbers of the template's instance under
// ?key= (it never creates one).
func (g *gates) kedaTemplate(c *gin.Context) {
	ctx, name, key := c.Request.Context(), c.Param("template"), c.Query("key")
	if key == "" {
		c.JSON(http.StatusUnprocessableEntity, apiError{Error: "missing query parameter key: the idempotency key of the instance"})
		return
	}
	t, err := g.m.GetTemplate(ctx, name)
	if err != nil {
		code, msg := g.classify(c, err, "template "+name)
		c.JSON(code, apiError{Error: msg})
		return
	}
	inst, err := g.m.Instance(ctx, key)
	if err == nil && inst.Template != "" && inst.Template != name {
		err = fmt.Errorf("%w: key %s belongs to template %s", analysis.ErrNotFound, key, inst.Template)
	}
	if err != nil {
		code, msg := g.classify(c, err, "instance "+key+" of template "+name)
		c.JSON(code, apiError{Error: msg})
		return
	}
	g.kedaAnswer(c, inst.RunID, t.OnError, name, key)
}

// kedaExperiment answers the numbers of the experiment's latest run.
func (g *gates) kedaExperiment(c *gin.Context) {
	ctx, id := c.Request.Context(), c.Param("id")
	x, err := g.m.Get(ctx, id)
	if err != nil {
		code, msg := g.classify(c, err, "experiment "+id)
		c.JSON(code, apiError{Error: msg})
		return
	}
	if x.Run == "" {
		c.JSON(http.StatusNotFound, apiError{Error: "experiment " + id + " has no run"})
		return
	}
	onError := ""
	if x.Template != "" {
		if t, err := g.m.GetTemplate(ctx, x.Template); err == nil {
			onError = t.OnError
		}
	}
	g.kedaAnswer(c, x.Run, onError, x.Template, x.Key)
}

func (g *gates) kedaAnswer(c *gin.Context, runID, onError, template, key string) {
	run, err := g.m.Run(c.Request.Context(), runID)
	if err != nil {
		code, msg := g.classify(c, err, "run "+runID)
		c.JSON(code, apiError{Error: msg})
		return
	}
	st, err := g.status(c.Request.Context(), runID, onError)
	if err != nil {
		code, msg := g.classify(c, err, "run "+runID)
		c.JSON(code, apiError{Error: msg})
		return
	}
	m := kedaMetrics{Verdict: st.Verdict, Intervals: st.Intervals, Score: st.Score, Key: key, Template: template,
		ExperimentID: st.ExperimentID, RunID: st.RunID}
	if st.Verdict == VerdictPass || st.Verdict == VerdictRunning {
		m.Healthy = 1
	}
	if st.Final {
		m.Final = 1
	}
	m.SLOHeadroom = sloHeadroom(run.Spec, st.latest)
	if wantsPrometheus(c) {
		c.Data(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", []byte(m.prometheus()))
		return
	}
	c.JSON(http.StatusOK, m)
}

// wantsPrometheus: ?format=prometheus, or an Accept of text/plain (and
// not JSON).
func wantsPrometheus(c *gin.Context) bool {
	if f := c.Query("format"); f != "" {
		return f == "prometheus"
	}
	a := c.GetHeader("Accept")
	return strings.Contains(a, "text/plain") && !strings.Contains(a, "json")
}

// prometheus writes the numbers in the Prometheus text format, one gauge
// each; a number that does not exist is left out.
func (m kedaMetrics) prometheus() string {
	labels := fmt.Sprintf(`{template=%s,key=%s,experiment=%s}`, strconv.Quote(m.Template), strconv.Quote(m.Key), strconv.Quote(m.ExperimentID))
	var b strings.Builder
	gauge := func(name, help string, v *float64) {
		if v == nil {
			return
		}
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s%s %s\n", name, help, name, name, labels, strconv.FormatFloat(*v, 'g', -1, 64))
	}
	healthy, final := float64(m.Healthy), float64(m.Final)
	gauge("augur_gate_healthy", "1 unless the canary's verdict is fail, inconclusive or error.", &healthy)
	gauge("augur_gate_final", "1 once the canary's run ended.", &final)
	gauge("augur_gate_score", "The canary's latest judged score (0-100).", m.Score)
	gauge("augur_gate_slo_headroom", "The smallest relative room left to an absolute threshold bound; negative once breached.", m.SLOHeadroom)
	return b.String()
}

// sloHeadroom is the smallest relative room the canary's aggregates leave
// to the spec's absolute threshold bounds in verdict v (nil without one).
func sloHeadroom(spec analysis.Spec, v *analysis.Verdict) *float64 {
	if v == nil {
		return nil
	}
	bounds := map[string]analysis.JudgeSpec{}
	for _, m := range spec.Metrics {
		if m.Judge.Type == analysis.JudgeThreshold && !m.Judge.Relative {
			bounds[m.Name] = m.Judge
		}
	}
	var out *float64
	take := func(h float64) {
		if !math.IsNaN(h) && !math.IsInf(h, 0) && (out == nil || h < *out) {
			out = &h
		}
	}
	for _, r := range v.Metrics {
		j, ok := bounds[r.Name]
		if !ok || r.Aggregate == nil || r.Classification == judges.NoData {
			continue
		}
		a := *r.Aggregate
		if j.Upper != nil && *j.Upper != 0 {
			take((*j.Upper - a) / math.Abs(*j.Upper))
		}
		if j.Lower != nil && *j.Lower != 0 {
			take((a - *j.Lower) / math.Abs(*j.Lower))
		}
	}
	return out
}
