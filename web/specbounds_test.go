package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state"
)

// realAPI serves the API over a real manager on a SQLite state store, with
// the OpenAPI check of newEngine.
func realAPI(t *testing.T) (*gin.Engine, *analysis.Manager) {
	t.Helper()
	db, err := state.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "augur.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	none := sourcesFunc(func(string, *analysis.SourceSpec) (analysis.Source, error) {
		t.Error("a refused spec was fetched")
		return nil, analysis.ErrPermanent
	})
	mgr, err := analysis.NewManager(analysis.DefaultManagerConfig(), db, none, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mgr.Close)
	gin.SetMode(gin.TestMode)
	doc := loadOpenAPI(t)
	r := gin.New()
	r.Use(func(c *gin.Context) {
		c.Next()
		if route := c.FullPath(); route != "" && !documented(doc, route, c.Request.Method, c.Writer.Status()) {
			t.Errorf("%s %s answered %d, which the OpenAPI document does not list", c.Request.Method, route, c.Writer.Status())
		}
	})
	Register(r, mgr)
	return r, mgr
}

type sourcesFunc func(name string, def *analysis.SourceSpec) (analysis.Source, error)

func (f sourcesFunc) Source(name string, def *analysis.SourceSpec) (analysis.Source, error) {
	return f(name, def)
}

// TestCreateRefusesUnboundedSpecs: specs that would exhaust memory, create
// millions of intervals, overflow time arithmetic or cannot be stored are
// answered 422 naming the field, and nothing is stored.
func TestCreateRefusesUnboundedSpecs(t *testing.T) {
	const base = `apiVersion: augur/v1
name: bounds
cohorts: {baseline: 'v="1"', canary: 'v="2"'}
timing: {lifetime: 30m, interval: 10m}
metrics:
  - {name: m, query: 'x{${cohort}}', judge: {type: mannwhitney}}
`
	hooks := "webhooks:\n" + strings.Repeat("  - http://127.0.0.1:9/hook\n", 15000)
	tests := []struct {
		name string
		body string
		want []string // "field: " and a part of its message
	}{
		{"infinite weight", strings.Replace(base, "judge: {type: mannwhitney}", "weight: .inf, judge: {type: mannwhitney}", 1),
			[]string{"metrics[0].weight: must be a finite number, got +Inf"}},
		{"NaN threshold bound", strings.Replace(base, "judge: {type: mannwhitney}", "judge: {type: threshold, upper: .nan}", 1),
			[]string{"metrics[0].judge.upper: must be a finite number, got NaN"}},
		{"infinite effect size of the proportion judge",
			strings.Replace(base, "judge: {type: mannwhitney}", "total_query: 'y{${cohort}}', judge: {type: proportion, allowed_increase: .inf}", 1),
			[]string{"metrics[0].judge.allowed_increase: must be a finite number, got +Inf"}},
		{"a day at 1ms", strings.Replace(base, "{lifetime: 30m, interval: 10m}", "{lifetime: 24h}\nstep: 1ms", 1),
			[]string{"step: 1ms gives 86,400,001 points per series over the 1d window (timing.lifetime); at most 11,000: use a step of at least 7s855ms"}},
		{"ten years of one-second intervals", strings.Replace(base, "{lifetime: 30m, interval: 10m}", "{lifetime: 87600h, interval: 1s, start: -87600h}", 1),
			[]string{"timing.lifetime: must be at most 1y", "timing.interval: timing.lifetime 10y / timing.interval 1s gives 315,360,000 intervals; at most 10,000 per run",
				"timing.start: a relative start reaches at most 1y back"}},
		{"count over the bound", base + "limits: {count: 100000}\n",
			[]string{"limits.count: must be within 0..10,000 intervals per run, got 100,000"}},
		{"start in year 9999", strings.Replace(base, "interval: 10m}", "interval: 10m, start: '9999-01-01T00:00:00Z'}", 1),
			[]string{"timing.start: 9999-01-01T00:00:00Z is outside 2000-01-01..2100-01-01"}},
		{"fifteen thousand webhooks", base + hooks, []string{"webhooks: at most 10 webhook URLs, got 15,000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, mgr := realAPI(t)
			a := serveOn(r, request{method: http.MethodPost, target: "/api/v1/experiments", body: tt.body})
			if a.Code != http.StatusUnprocessableEntity {
				t.Fatalf("code %d, want 422: %.300s", a.Code, a.Body)
			}
			got := a.fields()
			if len(got) != len(tt.want) {
				t.Errorf("fields %q, want %d", got, len(tt.want))
			}
			for _, w := range tt.want {
				field, msg, _ := strings.Cut(w, ": ")
				if !slices.ContainsFunc(got, func(f string) bool { return strings.HasPrefix(f, field+": ") && strings.Contains(f, msg) }) {
					t.Errorf("fields %q, want %q", got, w)
				}
			}
			if xs, err := mgr.List(context.Background()); err != nil || len(xs) != 0 {
				t.Errorf("a refused spec left %d experiments (%v)", len(xs), err)
			}
		})
	}
}

// serveOn records one request served by r.
func serveOn(r http.Handler, req request) answer {
	var body io.Reader = http.NoBody
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	hr := httptest.NewRequest(req.method, req.target, body)
	for i := 0; i+1 < len(req.header); i += 2 {
		hr.Header.Set(req.header[i], req.header[i+1])
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, hr)
	a := answer{ResponseRecorder: w}
	_ = json.Unmarshal(w.Body.Bytes(), &a.json)
	return a
}
