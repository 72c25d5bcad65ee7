package web

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
)

// control serves start, pause, resume and abort: 200 with the run, 409
// when the run's state forbids the change (a run is already active, no
// run is active, resuming a run that is not paused).
func (a api) control(do func(ctx context.Context, id string) (analysis.Run, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.Param("id")
		r, err := do(c.Request.Context(), id)
		if err != nil {
			fail(c, err, "experiment", id)
			return
		}
		c.JSON(http.StatusOK, r)
	}
}

func (a api) runs(c *gin.Context) {
	id := c.Param("id")
	rs, err := a.exps.Runs(c.Request.Context(), id)
	if err != nil {
		fail(c, err, "experiment", id)
		return
	}
	if rs == nil {
		rs = []analysis.Run{}
	}
	c.JSON(http.StatusOK, gin.H{"runs": rs})
}

func (a api) run(c *gin.Context) {
	id := c.Param("run")
	r, err := a.exps.Run(c.Request.Context(), id)
	if err != nil {
		fail(c, err, "run", id)
		return
	}
	c.JSON(http.StatusOK, r)
}

func (a api) intervals(c *gin.Context) {
	id := c.Param("run")
	is, err := a.exps.Intervals(c.Request.Context(), id)
	if err != nil {
		fail(c, err, "run", id)
		return
	}
	if is == nil {
		is = []analysis.IntervalResult{}
	}
	c.JSON(http.StatusOK, gin.H{"intervals": is})
}

// verdicts lists the final verdicts of the experiment's ended runs, newest
// first, each with its run's status.
func (a api) verdicts(c *gin.Context) {
	id := c.Param("id")
	rs, err := a.exps.Runs(c.Request.Context(), id)
	if err != nil {
		fail(c, err, "experiment", id)
		return
	}
	out := []finalVerdict{}
	for _, r := range rs {
		if r.Verdict != nil {
			out = append(out, finalVerdict{Status: string(r.Status), Verdict: r.Verdict})
		}
	}
	c.JSON(http.StatusOK, gin.H{"verdicts": out})
}
