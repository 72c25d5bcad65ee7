package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
)

var _ Experiments = (*analysis.Manager)(nil)

// fake implements Experiments with function fields; calling an unset one
// panics, which fails the test (the engine has no recovery middleware).
type fake struct {
	// Templates is nil unless a test sets it: calling it panics.
	Templates
	// AlertAborter is nil unless a test sets it: calling it panics.
	AlertAborter
	find      func(ctx context.Context, f analysis.ExperimentFilter) ([]analysis.Experiment, error)
	create    func(ctx context.Context, spec analysis.Spec, start bool) (analysis.Experiment, error)
	get       func(ctx context.Context, id string) (analysis.Experiment, error)
	list      func(ctx context.Context) ([]analysis.Experiment, error)
	update    func(ctx context.Context, id string, spec analysis.Spec, version int64) (analysis.Experiment, error)
	delete    func(ctx context.Context, id string) error
	startRun  func(ctx context.Context, id string) (analysis.Run, error)
	pause     func(ctx context.Context, id string) (analysis.Run, error)
	resume    func(ctx context.Context, id string) (analysis.Run, error)
	abort     func(ctx context.Context, id string) (analysis.Run, error)
	runs      func(ctx context.Context, id string) ([]analysis.Run, error)
	run       func(ctx context.Context, runID string) (analysis.Run, error)
	intervals func(ctx context.Context, runID string, after, limit int) ([]analysis.IntervalResult, error)
	latest    func(ctx context.Context, runID string) (analysis.IntervalResult, bool, error)
	wait      func(ctx context.Context, id string) (analysis.Experiment, error)
}

func (f *fake) Create(ctx context.Context, spec analysis.Spec, start bool) (analysis.Experiment, error) {
	return f.create(ctx, spec, start)
}
func (f *fake) Get(ctx context.Context, id string) (analysis.Experiment, error) {
	return f.get(ctx, id)
}
func (f *fake) List(ctx context.Context) ([]analysis.Experiment, error) { return f.list(ctx) }

// Find answers an unfiltered list from list when find is unset.
func (f *fake) Find(ctx context.Context, flt analysis.ExperimentFilter) ([]analysis.Experiment, error) {
	if f.find == nil && reflect.DeepEqual(flt, analysis.ExperimentFilter{}) {
		return f.list(ctx)
	}
	return f.find(ctx, flt)
}
func (f *fake) Update(ctx context.Context, id string, spec analysis.Spec, version int64) (analysis.Experiment, error) {
	return f.update(ctx, id, spec, version)
}
func (f *fake) Delete(ctx context.Context, id string) error { return f.delete(ctx, id) }
func (f *fake) StartRun(ctx context.Context, id string) (analysis.Run, error) {
	return f.startRun(ctx, id)
}
func (f *fake) Pause(ctx context.Context, id string) (analysis.Run, error)  { return f.pause(ctx, id) }
func (f *fake) Resume(ctx context.Context, id string) (analysis.Run, error) { return f.resume(ctx, id) }
func (f *fake) Abort(ctx context.Context, id string) (analysis.Run, error)  { return f.abort(ctx, id) }
func (f *fake) Runs(ctx context.Context, id string) ([]analysis.Run, error) { return f.runs(ctx, id) }
func (f *fake) Run(ctx context.Context, runID string) (analysis.Run, error) { return f.run(ctx, runID) }
func (f *fake) Intervals(ctx context.Context, runID string, after, limit int) ([]analysis.IntervalResult, error) {
	return f.intervals(ctx, runID, after, limit)
}
func (f *fake) LatestInterval(ctx context.Context, runID string) (analysis.IntervalResult, bool, error) {
	return f.latest(ctx, runID)
}
func (f *fake) Wait(ctx context.Context, id string) (analysis.Experiment, error) {
	return f.wait(ctx, id)
}

// newEngine registers the API on a new engine whose middleware fails the
// test for any answer whose status the OpenAPI document does not list; the
// API logs to log (nil: discard).
func newEngine(t *testing.T, f *fake, log io.Writer) *gin.Engine {
	t.Helper()
	if log == nil {
		log = io.Discard
	}
	gin.SetMode(gin.TestMode)
	doc := loadOpenAPI(t)
	r := gin.New()
	r.Use(func(c *gin.Context) {
		c.Next()
		if route := c.FullPath(); route != "" && !documented(doc, route, c.Request.Method, c.Writer.Status()) {
			t.Errorf("%s %s answered %d, which the OpenAPI document does not list", c.Request.Method, route, c.Writer.Status())
		}
	})
	Register(r, f, slog.New(slog.NewTextHandler(log, nil)))
	return r
}

// request is one call to the API; header holds name/value pairs.
type request struct {
	method, target, body string
	header               []string
}

// answer is a recorded response with its body decoded as a JSON object
// (nil when it is not one), and what the API logged meanwhile.
type answer struct {
	*httptest.ResponseRecorder
	json map[string]any
	log  string
}

func serve(t *testing.T, f *fake, req request) answer {
	t.Helper()
	var body io.Reader = http.NoBody
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	r := httptest.NewRequest(req.method, req.target, body)
	for i := 0; i+1 < len(req.header); i += 2 {
		r.Header.Set(req.header[i], req.header[i+1])
	}
	w := httptest.NewRecorder()
	var log bytes.Buffer
	newEngine(t, f, &log).ServeHTTP(w, r)
	a := answer{ResponseRecorder: w, log: log.String()}
	_ = json.Unmarshal(w.Body.Bytes(), &a.json)
	return a
}

// fields returns the error answer's field entries as "field: message".
func (a answer) fields() []string {
	var out []string
	fs, _ := a.json["fields"].([]any)
	for _, f := range fs {
		m := f.(map[string]any)
		field, _ := m["field"].(string)
		out = append(out, field+": "+m["message"].(string))
	}
	return out
}

func TestHealthz(t *testing.T) {
	a := serve(t, &fake{}, request{method: http.MethodGet, target: "/healthz"})
	if a.Code != http.StatusOK || strings.TrimSpace(a.Body.String()) != "ok" {
		t.Errorf("healthz: %d %q", a.Code, a.Body)
	}
}
