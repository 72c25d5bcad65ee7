package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// MaxWait bounds the verdict endpoint's long poll (?wait=); longer waits
// are cut to it.
const MaxWait = 5 * time.Minute

// Pending is the verdict of a run that has not ended (or an experiment
// never started). It is no outcome a rollout controller's condition
// accepts, so Argo Rollouts counts the measurement inconclusive.
const Pending = "pending"

// finalVerdict is a run's final verdict with the run's status:
// {"status":"completed","verdict":"pass","score":97,"reason":..,...}.
type finalVerdict struct {
	Status string `json:"status"`
	*analysis.Verdict
}

// pendingVerdict answers the verdict endpoint while no final verdict
// exists: the run's progress and its latest interval's verdict.
type pendingVerdict struct {
	ExperimentID string              `json:"experiment_id"`
	Experiment   string              `json:"experiment"`
	RunID        string              `json:"run_id,omitempty"`
	Status       string              `json:"status"`
	Verdict      string              `json:"verdict"`
	Reason       string              `json:"reason"`
	Judged       int                 `json:"judged"`
	Intervals    int                 `json:"intervals"`
	Window       *analysis.TimeRange `json:"window,omitempty"`
	NextDue      *time.Time          `json:"next_due,omitempty"`
	// Latest is the latest judged interval's verdict.
	Latest *analysis.Verdict `json:"latest,omitempty"`
}

// verdict is what rollout controllers poll (Argo Rollouts' web provider:
// successCondition: result.verdict == "pass"). When the latest run has
// ended: 200 with its final verdict (pass, marginal, fail, inconclusive),
// or 503 with the same body when it is error, because the analysis could
// not run and the controller must count an Error measurement, not a
// failure. Before that: 200 with verdict "pending". ?wait=30s blocks until
// the run ends (at most MaxWait).
func (a api) verdict(c *gin.Context) {
	ctx, id := c.Request.Context(), c.Param("id")
	var wait time.Duration
	if w, ok := c.GetQuery("wait"); ok {
		d, err := time.ParseDuration(w)
		if err != nil || d < 0 {
			writeError(c, http.StatusBadRequest, fmt.Sprintf("invalid parameter wait %q: want a duration such as 30s", w))
			return
		}
		wait = min(d, MaxWait)
	}
	x, err := a.exps.Get(ctx, id)
	if err == nil && x.Verdict == nil && wait > 0 {
		x, err = a.wait(ctx, id, wait)
	}
	if err != nil {
		a.fail(c, err, "experiment", id)
		return
	}
	if x.Verdict != nil {
		code := http.StatusOK
		if x.Verdict.Verdict == judges.OutcomeError {
			code = http.StatusServiceUnavailable
		}
		c.JSON(code, finalVerdict{Status: x.Status, Verdict: x.Verdict})
		return
	}
	p := pendingVerdict{
		ExperimentID: x.ID, Experiment: x.Spec.Name, RunID: x.Run, Status: x.Status, Verdict: Pending,
		Judged: x.Judged, Intervals: x.Intervals, Window: x.Window, NextDue: x.NextDue,
	}
	switch {
	case x.Run == "":
		p.Reason = "the experiment has not been started"
	case x.Status == string(analysis.RunPaused):
		p.Reason = fmt.Sprintf("paused after %d of %d intervals", x.Judged, x.Intervals)
	case x.NextDue != nil:
		p.Reason = fmt.Sprintf("%d of %d intervals judged; the next is due at %s",
			x.Judged, x.Intervals, x.NextDue.UTC().Format(time.RFC3339))
	default:
		p.Reason = fmt.Sprintf("%d of %d intervals judged", x.Judged, x.Intervals)
	}
	if x.Run != "" && x.Judged > 0 {
		latest, ok, err := a.exps.LatestInterval(ctx, x.Run)
		if err != nil {
			a.fail(c, err, "run", x.Run)
			return
		}
		if ok {
			p.Latest = &latest.Verdict
		}
	}
	c.JSON(http.StatusOK, p)
}

// wait long-polls for the final verdict; when d passes first it answers
// the experiment as it is then.
func (a api) wait(ctx context.Context, id string, d time.Duration) (analysis.Experiment, error) {
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	x, err := a.exps.Wait(wctx, id)
	if err != nil && wctx.Err() != nil && ctx.Err() == nil {
		return a.exps.Get(ctx, id)
	}
	return x, err
}
