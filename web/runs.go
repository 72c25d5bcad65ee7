package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

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
			a.fail(c, err, "experiment", id)
			return
		}
		c.JSON(http.StatusOK, r)
	}
}

func (a api) runs(c *gin.Context) {
	id := c.Param("id")
	rs, err := a.exps.Runs(c.Request.Context(), id)
	if err != nil {
		a.fail(c, err, "experiment", id)
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
		a.fail(c, err, "run", id)
		return
	}
	c.JSON(http.StatusOK, r)
}

// Interval pages: ?limit= results at most (DefaultIntervalLimit when
// absent, at most MaxIntervalLimit), after the index ?after=.
const (
	DefaultIntervalLimit = 100
	MaxIntervalLimit     = 1000
)

// intervalPage is one page of a run's interval results; NextAfter, present
// when more follow, is the ?after= of the next page.
type intervalPage struct {
	Intervals []analysis.IntervalResult `json:"intervals"`
	NextAfter *int                      `json:"next_after,omitempty"`
}

// intervals serves a run's interval results in index order, a page at a
// time: ?after=<index> (default -1: from the first) and ?limit=<n>.
func (a api) intervals(c *gin.Context) {
	id := c.Param("run")
	after, limit := -1, DefaultIntervalLimit
	if v, ok := c.GetQuery("after"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < -1 {
			writeError(c, http.StatusBadRequest, fmt.Sprintf("invalid parameter after %q: want an interval index (0 or more; -1 for the first page)", v))
			return
		}
		after = n
	}
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxIntervalLimit {
			writeError(c, http.StatusBadRequest, fmt.Sprintf("invalid parameter limit %q: want a number of intervals from 1 to %d", v, MaxIntervalLimit))
			return
		}
		limit = n
	}
	// One more than the page tells whether another page follows.
	is, err := a.exps.Intervals(c.Request.Context(), id, after, limit+1)
	if err != nil {
		a.fail(c, err, "run", id)
		return
	}
	page := intervalPage{Intervals: is}
	if len(is) > limit {
		page.Intervals = is[:limit]
		next := is[limit-1].Index
		page.NextAfter = &next
	}
	if page.Intervals == nil {
		page.Intervals = []analysis.IntervalResult{}
	}
	c.JSON(http.StatusOK, page)
}

// verdicts lists the final verdicts of the experiment's ended runs, newest
// first, each with its run's status.
func (a api) verdicts(c *gin.Context) {
	id := c.Param("id")
	rs, err := a.exps.Runs(c.Request.Context(), id)
	if err != nil {
		a.fail(c, err, "experiment", id)
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
