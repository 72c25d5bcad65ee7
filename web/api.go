package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
)

// Experiments is what the API needs from the experiment manager
// (*analysis.Manager implements it). Lookups of unknown IDs return errors
// wrapping analysis.ErrNotFound; changes the stored state forbids return
// errors wrapping analysis.ErrConflict.
type Experiments interface {
	Create(ctx context.Context, spec analysis.Spec, start bool) (analysis.Experiment, error)
	Get(ctx context.Context, id string) (analysis.Experiment, error)
	List(ctx context.Context) ([]analysis.Experiment, error)
	// Find returns the experiments the filter selects, newest first.
	Find(ctx context.Context, f analysis.ExperimentFilter) ([]analysis.Experiment, error)
	Update(ctx context.Context, id string, spec analysis.Spec, version int64) (analysis.Experiment, error)
	Delete(ctx context.Context, id string) error

	StartRun(ctx context.Context, id string) (analysis.Run, error)
	Pause(ctx context.Context, id string) (analysis.Run, error)
	Resume(ctx context.Context, id string) (analysis.Run, error)
	Abort(ctx context.Context, id string) (analysis.Run, error)

	Runs(ctx context.Context, id string) ([]analysis.Run, error)
	Run(ctx context.Context, runID string) (analysis.Run, error)
	// Intervals returns up to limit of a run's interval results with an
	// index above after, in index order.
	Intervals(ctx context.Context, runID string, after, limit int) ([]analysis.IntervalResult, error)
	// LatestInterval returns a run's latest judged interval; ok is false
	// when none was judged yet.
	LatestInterval(ctx context.Context, runID string) (res analysis.IntervalResult, ok bool, err error)
	// Wait blocks until the experiment's latest run has ended, or ctx
	// ends.
	Wait(ctx context.Context, id string) (analysis.Experiment, error)
}

// Prefix is the path every API route starts with.
const Prefix = "/api/v1"

// Register mounts the experiment API, its OpenAPI document and /healthz
// on r, the template, instance and event API when exps also implements
// Templates, and the Alertmanager webhook when it implements AlertAborter
// (as *analysis.Manager does both). logger (nil: discard) gets the
// internal errors that clients are answered only an error ID for.
func Register(r gin.IRoutes, exps Experiments, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := api{exps: exps, logger: logger}
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok\n") })
	r.GET(Prefix+"/openapi.json", serveOpenAPI)

	r.POST(Prefix+"/experiments", a.create)
	r.GET(Prefix+"/experiments", a.list)
	r.GET(Prefix+"/experiments/:id", a.get)
	r.PUT(Prefix+"/experiments/:id", a.update)
	r.DELETE(Prefix+"/experiments/:id", a.delete)

	r.POST(Prefix+"/experiments/:id/start", a.control(exps.StartRun))
	r.POST(Prefix+"/experiments/:id/pause", a.control(exps.Pause))
	r.POST(Prefix+"/experiments/:id/resume", a.control(exps.Resume))
	r.POST(Prefix+"/experiments/:id/abort", a.control(exps.Abort))

	r.GET(Prefix+"/experiments/:id/runs", a.runs)
	r.GET(Prefix+"/experiments/:id/verdict", a.verdict)
	r.GET(Prefix+"/experiments/:id/verdicts", a.verdicts)
	r.GET(Prefix+"/runs/:run", a.run)
	r.GET(Prefix+"/runs/:run/intervals", a.intervals)

	r.POST(Prefix+"/import/kayenta", a.importKayenta)
	if t, ok := exps.(Templates); ok {
		registerTemplates(r, a, t)
	}
	if ab, ok := exps.(AlertAborter); ok {
		registerAlerts(r, a, ab)
	}
}

type api struct {
	exps   Experiments
	logger *slog.Logger
}

// apiError is every error answer: a message, and for a spec that could
// not be decoded or failed validation one entry per invalid field.
type apiError struct {
	Error  string       `json:"error"`
	Fields []fieldError `json:"fields,omitempty"`
}

// fieldError is one invalid field: its path in the spec as the validator
// names it (metrics[0].judge.type), and what is wrong with it. Field is
// empty when the problem cannot be tied to one field.
type fieldError struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func writeError(c *gin.Context, code int, msg string, fields ...fieldError) {
	c.JSON(code, apiError{Error: msg, Fields: fields})
}

// fail answers err from the manager: 422 naming the invalid fields of a
// spec, 404 naming the missing object for analysis.ErrNotFound, 409 with
// the manager's explanation for analysis.ErrConflict, and 500 otherwise.
// A 500 says only that the request failed and gives an error ID: the error
// itself (SQL, file paths, a driver's text) is logged under that ID, never
// sent to the client.
func (a api) fail(c *gin.Context, err error, noun, id string) {
	var invalid *analysis.ValidationError
	switch {
	case errors.As(err, &invalid):
		var fields []fieldError
		for _, leaf := range leaves(invalid.Err) {
			fields = append(fields, splitField(leaf.Error())...)
		}
		c.JSON(http.StatusUnprocessableEntity, apiError{Error: "invalid spec: " + summary(fields), Fields: fields})
	case errors.Is(err, analysis.ErrNotFound):
		writeError(c, http.StatusNotFound, strings.TrimSpace(noun+" "+id)+" not found")
	case errors.Is(err, analysis.ErrConflict):
		writeError(c, http.StatusConflict, err.Error())
	default:
		_ = c.Error(err)
		errID := newErrorID()
		a.logger.Error("request failed", "error_id", errID, "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
		writeError(c, http.StatusInternalServerError, fmt.Sprintf("internal error %s: the request failed; the server log has the details under this ID", errID))
	}
}

// newErrorID returns a random ID for an internal error, for the client to
// quote and the operator to find in the log.
func newErrorID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
