package kayentaapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state"
)

// Prefix is the path every route starts with: Kayenta's base URL.
const Prefix = "/kayenta"

// MaxBodyBytes bounds a request body (a config with many metrics is a few
// hundred kilobytes at most).
const MaxBodyBytes = 4 << 20

// Experiments is what the API needs from the experiment manager
// (*analysis.Manager implements it).
type Experiments interface {
	Create(ctx context.Context, spec analysis.Spec, start bool) (analysis.Experiment, error)
	Get(ctx context.Context, id string) (analysis.Experiment, error)
	Delete(ctx context.Context, id string) error
	Intervals(ctx context.Context, runID string, after, limit int) ([]analysis.IntervalResult, error)
}

// Store keeps configs and executions (*state.Store implements it).
// Unknown IDs are errors wrapping analysis.ErrNotFound, an existing ID on
// create one wrapping analysis.ErrConflict.
type Store interface {
	CreateKayentaConfig(ctx context.Context, c state.KayentaConfig) error
	UpdateKayentaConfig(ctx context.Context, c state.KayentaConfig) error
	GetKayentaConfig(ctx context.Context, id string) (state.KayentaConfig, error)
	ListKayentaConfigs(ctx context.Context, applications []string) ([]state.KayentaConfig, error)
	DeleteKayentaConfig(ctx context.Context, id string) error
	CreateKayentaExecution(ctx context.Context, x state.KayentaExecution) error
	GetKayentaExecution(ctx context.Context, id string) (state.KayentaExecution, error)
}

// Register mounts the Kayenta-compatible API under Prefix. logger (nil:
// discard) gets the internal errors clients are answered only an ID for.
func Register(r gin.IRoutes, exps Experiments, store Store, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &api{exps: exps, store: store, logger: logger, now: time.Now}
	r.GET(Prefix+"/canaryConfig", a.listConfigs)
	r.POST(Prefix+"/canaryConfig", a.createConfig)
	r.GET(Prefix+"/canaryConfig/:id", a.getConfig)
	r.PUT(Prefix+"/canaryConfig/:id", a.updateConfig)
	r.DELETE(Prefix+"/canaryConfig/:id", a.deleteConfig)

	r.POST(Prefix+"/canary/:id", a.startCanary)
	r.POST(Prefix+"/canary", a.startCanary)
	r.GET(Prefix+"/canary/:id", a.canaryStatus)

	r.POST(Prefix+"/standalone_canary_analysis/:id", a.startStandalone)
	r.POST(Prefix+"/standalone_canary_analysis", a.startStandalone)
	r.GET(Prefix+"/standalone_canary_analysis/:id", a.standaloneStatus)
}

type api struct {
	exps   Experiments
	store  Store
	logger *slog.Logger
	now    func() time.Time
}

// apiError is every error answer, in the shape of augur's own API.
type apiError struct {
	Error  string       `json:"error"`
	Fields []fieldError `json:"fields,omitempty"`
}

type fieldError struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// requestError is a refusal with its status and the fields at fault.
type requestError struct {
	code   int
	msg    string
	fields []fieldError
}

func (e *requestError) Error() string { return e.msg }

func badRequest(field, format string, a ...any) *requestError {
	msg := fmt.Sprintf(format, a...)
	var fields []fieldError
	if field != "" {
		fields = []fieldError{{Field: field, Message: msg}}
	}
	return &requestError{code: http.StatusBadRequest, msg: msg, fields: fields}
}

// unprocessable wraps a conversion error of what ("the canary config").
func unprocessable(what string, err error) *requestError {
	msg := strings.TrimPrefix(err.Error(), "kayenta import: ")
	field, _, _ := strings.Cut(strings.TrimPrefix(msg, "the converted spec is invalid: "), ":")
	if strings.ContainsAny(field, " ") && !strings.Contains(field, "[") {
		field = ""
	}
	if i := strings.Index(field, " "); i > 0 {
		field = field[:i]
	}
	e := &requestError{code: http.StatusUnprocessableEntity, msg: "cannot use " + what + ": " + msg}
	e.fields = []fieldError{{Field: field, Message: msg}}
	return e
}

// fail answers err: a requestError as it says, ErrNotFound as 404 naming
// noun and id, ErrConflict as 409, anything else as 500 with an error ID
// (the error itself is logged, never sent).
func (a *api) fail(c *gin.Context, err error, noun, id string) {
	var re *requestError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &re):
		c.JSON(re.code, apiError{Error: re.msg, Fields: re.fields})
	case errors.As(err, &tooBig):
		c.JSON(http.StatusRequestEntityTooLarge, apiError{Error: fmt.Sprintf("body larger than %d bytes", MaxBodyBytes)})
	case errors.Is(err, analysis.ErrNotFound):
		c.JSON(http.StatusNotFound, apiError{Error: fmt.Sprintf("%s %q not found", noun, id)})
	case errors.Is(err, analysis.ErrConflict):
		c.JSON(http.StatusConflict, apiError{Error: fmt.Sprintf("%s %q already exists", noun, id)})
	default:
		errID := newID()[:12]
		a.logger.Error("kayenta request failed", "error_id", errID, "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
		c.JSON(http.StatusInternalServerError, apiError{Error: fmt.Sprintf("internal error %s: the request failed; the server log has the details under this ID", errID)})
	}
}

// newID returns a random UUID (version 4), the form of Kayenta's IDs.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// applications reads ?application=, repeated or comma-separated as
// Spring binds a list parameter.
func applications(c *gin.Context) []string {
	var out []string
	for _, v := range c.QueryArray("application") {
		for _, a := range strings.Split(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				out = append(out, a)
			}
		}
	}
	return out
}

// millis and iso are Kayenta's two renderings of an instant.
func millis(t time.Time) int64 { return t.UnixMilli() }

func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
