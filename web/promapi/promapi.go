package promapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/util/annotations"
)

// Querier evaluates PromQL.
type Querier interface {
	Instant(ctx context.Context, expr string, ts time.Time) (parser.Value, annotations.Annotations, error)
	Range(ctx context.Context, expr string, start, end time.Time, step time.Duration) (promql.Matrix, annotations.Annotations, error)
}

// maxPoints is Prometheus' limit on points per series in a range query.
const maxPoints = 11000

// Register mounts the query endpoints on r (GET and POST, as Prometheus).
func Register(r gin.IRoutes, q Querier) {
	h := handler{q: q, now: time.Now}
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		r.Handle(m, "/api/v1/query", h.query)
		r.Handle(m, "/api/v1/query_range", h.queryRange)
	}
}

type handler struct {
	q   Querier
	now func() time.Time
}

type response struct {
	Status    string   `json:"status"`
	Data      any      `json:"data,omitempty"`
	ErrorType string   `json:"errorType,omitempty"`
	Error     string   `json:"error,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
	Infos     []string `json:"infos,omitempty"`
}

type queryData struct {
	ResultType parser.ValueType `json:"resultType"`
	Result     parser.Value     `json:"result"`
}

func (h handler) query(c *gin.Context) {
	expr := c.Request.FormValue("query")
	if expr == "" {
		badData(c, errors.New(`missing parameter "query"`))
		return
	}
	ts := h.now()
	if s := c.Request.FormValue("time"); s != "" {
		t, err := ParseTime(s)
		if err != nil {
			badData(c, fmt.Errorf(`invalid parameter "time": %w`, err))
			return
		}
		ts = t
	}
	ctx, cancel, err := withTimeout(c)
	if err != nil {
		badData(c, err)
		return
	}
	defer cancel()
	v, annots, err := h.q.Instant(ctx, expr, ts)
	if err != nil {
		execError(c, err)
		return
	}
	success(c, queryData{ResultType: v.Type(), Result: v}, annots)
}

func (h handler) queryRange(c *gin.Context) {
	expr := c.Request.FormValue("query")
	if expr == "" {
		badData(c, errors.New(`missing parameter "query"`))
		return
	}
	start, err := ParseTime(c.Request.FormValue("start"))
	if err != nil {
		badData(c, fmt.Errorf(`invalid parameter "start": %w`, err))
		return
	}
	end, err := ParseTime(c.Request.FormValue("end"))
	if err != nil {
		badData(c, fmt.Errorf(`invalid parameter "end": %w`, err))
		return
	}
	if end.Before(start) {
		badData(c, errors.New(`invalid parameter "end": end timestamp must not be before start time`))
		return
	}
	step, err := ParseDuration(c.Request.FormValue("step"))
	if err != nil {
		badData(c, fmt.Errorf(`invalid parameter "step": %w`, err))
		return
	}
	if step <= 0 {
		badData(c, errors.New(`invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer`))
		return
	}
	if end.Sub(start)/step > maxPoints {
		badData(c, errors.New("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"))
		return
	}
	ctx, cancel, err := withTimeout(c)
	if err != nil {
		badData(c, err)
		return
	}
	defer cancel()
	m, annots, err := h.q.Range(ctx, expr, start, end, step)
	if err != nil {
		execError(c, err)
		return
	}
	success(c, queryData{ResultType: parser.ValueTypeMatrix, Result: m}, annots)
}

func withTimeout(c *gin.Context) (context.Context, context.CancelFunc, error) {
	s := c.Request.FormValue("timeout")
	if s == "" {
		ctx, cancel := context.WithCancel(c.Request.Context())
		return ctx, cancel, nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return nil, nil, fmt.Errorf(`invalid parameter "timeout": %w`, err)
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), d)
	return ctx, cancel, nil
}

func success(c *gin.Context, data any, annots annotations.Annotations) {
	warns, infos := annots.AsStrings("", 10, 10)
	c.JSON(http.StatusOK, response{Status: "success", Data: data, Warnings: warns, Infos: infos})
}

func badData(c *gin.Context, err error) {
	c.JSON(http.StatusBadRequest, response{Status: "error", ErrorType: "bad_data", Error: err.Error()})
}

// execError maps evaluation errors the way Prometheus does.
func execError(c *gin.Context, err error) {
	var (
		parseErrs parser.ParseErrors
		parseErr  *parser.ParseErr
		timeout   promql.ErrQueryTimeout
		canceled  promql.ErrQueryCanceled
		tooMany   promql.ErrTooManySamples
	)
	switch {
	case errors.As(err, &parseErrs), errors.As(err, &parseErr):
		badData(c, err)
	case errors.As(err, &timeout), errors.Is(err, context.DeadlineExceeded):
		c.JSON(http.StatusServiceUnavailable, response{Status: "error", ErrorType: "timeout", Error: err.Error()})
	case errors.As(err, &canceled), errors.Is(err, context.Canceled):
		c.JSON(http.StatusServiceUnavailable, response{Status: "error", ErrorType: "canceled", Error: err.Error()})
	case errors.As(err, &tooMany):
		c.JSON(http.StatusUnprocessableEntity, response{Status: "error", ErrorType: "execution", Error: err.Error()})
	default:
		c.JSON(http.StatusUnprocessableEntity, response{Status: "error", ErrorType: "execution", Error: err.Error()})
	}
}

// ParseTime accepts Unix seconds (fractions allowed) or RFC 3339, as the
// Prometheus API does.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("missing")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return time.Time{}, fmt.Errorf("cannot parse %q to a valid timestamp", s)
		}
		// Round the fraction to milliseconds, as Prometheus does: float64
		// cannot hold 1700000000.001 exactly, and PromQL truncates to ms.
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("cannot parse %q to a valid timestamp", s)
}

// ParseDuration accepts float seconds or a Prometheus duration ("1m30s").
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("missing")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		d := f * float64(time.Second)
		if d > math.MaxInt64 || d < math.MinInt64 || math.IsNaN(d) {
			return 0, fmt.Errorf("cannot parse %q to a valid duration. It overflows int64", s)
		}
		return time.Duration(d), nil
	}
	d, err := model.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("cannot parse %q to a valid duration", s)
	}
	return time.Duration(d), nil
}
