package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// Experiments is what the API needs from the experiment manager.
type Experiments interface {
	Create(spec analysis.Spec) (analysis.Experiment, error)
	Get(id string) (analysis.Experiment, error)
	List() []analysis.Experiment
	Wait(ctx context.Context, id string) (analysis.Experiment, error)
}

// MaxSpecBytes bounds a submitted spec.
const MaxSpecBytes = 1 << 20

// maxWait bounds the verdict long-poll.
const maxWait = 5 * time.Minute

// Register mounts the experiment API on r.
func Register(r gin.IRoutes, exps Experiments) {
	a := api{exps: exps}
	r.POST("/api/v1/experiments", a.create)
	r.GET("/api/v1/experiments", a.list)
	r.GET("/api/v1/experiments/:id", a.get)
	r.GET("/api/v1/experiments/:id/verdict", a.verdict)
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok\n") })
}

type api struct{ exps Experiments }

// apiError is every error answer: a message, and for an invalid spec one
// entry per invalid field.
type apiError struct {
	Error  string   `json:"error"`
	Fields []string `json:"fields,omitempty"`
}

func (a api) create(c *gin.Context) {
	spec, err := analysis.ParseSpec(http.MaxBytesReader(c.Writer, c.Request.Body, MaxSpecBytes))
	if err != nil {
		fields := strings.Split(err.Error(), "\n")
		c.JSON(http.StatusBadRequest, apiError{Error: "invalid experiment spec: " + strings.Join(fields, "; "), Fields: fields})
		return
	}
	e, err := a.exps.Create(spec)
	if err != nil {
		c.JSON(http.StatusBadRequest, apiError{Error: "invalid experiment spec: " + err.Error()})
		return
	}
	c.Header("Location", "/api/v1/experiments/"+e.ID)
	c.JSON(http.StatusCreated, e)
}

func (a api) list(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"experiments": a.exps.List()})
}

func (a api) get(c *gin.Context) {
	e, err := a.exps.Get(c.Param("id"))
	if err != nil {
		notFound(c, err)
		return
	}
	c.JSON(http.StatusOK, e)
}

// verdictBody is the verdict endpoint's answer: 200 with the verdict when the
// analysis ran (pass, marginal, fail or inconclusive), 503 with the same body
// when it could not analyse (error). While the run has not ended the answer
// is 200 with verdict "pending", which is not a final outcome; ?wait=30s
// blocks until the run ends.
type verdictBody struct {
	Status analysis.Status `json:"status"`
	*analysis.Verdict
}

type pendingVerdict struct {
	ExperimentID string             `json:"experiment_id"`
	Experiment   string             `json:"experiment"`
	Status       analysis.Status    `json:"status"`
	Verdict      string             `json:"verdict"`
	Reason       string             `json:"reason"`
	Window       analysis.TimeRange `json:"window"`
}

func (a api) verdict(c *gin.Context) {
	id := c.Param("id")
	e, err := a.exps.Get(id)
	if err != nil {
		notFound(c, err)
		return
	}
	if w := c.Query("wait"); w != "" && e.Verdict == nil {
		d, err := time.ParseDuration(w)
		if err != nil || d < 0 {
			c.JSON(http.StatusBadRequest, apiError{Error: `invalid parameter "wait": want a duration such as 30s`})
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), min(d, maxWait))
		defer cancel()
		if waited, err := a.exps.Wait(ctx, id); err == nil {
			e = waited
		} else if e, err = a.exps.Get(id); err != nil {
			notFound(c, err)
			return
		}
	}
	if e.Verdict == nil {
		c.JSON(http.StatusOK, pendingVerdict{
			ExperimentID: e.ID, Experiment: e.Spec.Name, Status: e.Status, Verdict: "pending",
			Reason: "no verdict yet: the window ends at " + e.Window.End.Format(time.RFC3339),
			Window: e.Window,
		})
		return
	}
	code := http.StatusOK
	if e.Verdict.Verdict == judges.OutcomeError {
		// The run could not analyse (a source failed): rollout controllers
		// must count an error measurement, not a failure, so answer non-2xx.
		code = http.StatusServiceUnavailable
	}
	c.JSON(code, verdictBody{Status: e.Status, Verdict: e.Verdict})
}

func notFound(c *gin.Context, err error) {
	if errors.Is(err, analysis.ErrNotFound) {
		c.JSON(http.StatusNotFound, apiError{Error: "experiment " + c.Param("id") + " not found"})
		return
	}
	c.JSON(http.StatusInternalServerError, apiError{Error: err.Error()})
}
