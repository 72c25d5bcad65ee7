package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// fakeExperiments has function fields; unset ones fail the test.
type fakeExperiments struct {
	create func(analysis.Spec) (analysis.Experiment, error)
	get    func(string) (analysis.Experiment, error)
	wait   func(context.Context, string) (analysis.Experiment, error)
}

func (f fakeExperiments) Create(s analysis.Spec) (analysis.Experiment, error) { return f.create(s) }
func (f fakeExperiments) Get(id string) (analysis.Experiment, error)          { return f.get(id) }
func (f fakeExperiments) List() []analysis.Experiment                         { return nil }
func (f fakeExperiments) Wait(ctx context.Context, id string) (analysis.Experiment, error) {
	return f.wait(ctx, id)
}

func serve(t *testing.T, f fakeExperiments, method, path, body string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	Register(r, f)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w, m
}

const spec = `{"name":"x","baseline":"v=\"1\"","canary":"v=\"2\"","window":{"duration":"1h"},
  "metrics":[{"name":"m","query":"rate(x{${cohort}}[1m])","judge":{"type":"mannwhitney"}}]}`

func TestCreate(t *testing.T) {
	var got analysis.Spec
	f := fakeExperiments{create: func(s analysis.Spec) (analysis.Experiment, error) {
		got = s
		return analysis.Experiment{ID: "abc", Spec: s, Status: analysis.StatusWaiting}, nil
	}}
	w, body := serve(t, f, http.MethodPost, "/api/v1/experiments", spec)
	if w.Code != http.StatusCreated || w.Header().Get("Location") != "/api/v1/experiments/abc" || body["id"] != "abc" {
		t.Errorf("create: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if got.Name != "x" || got.Metrics[0].Judge.Confidence != 0.98 {
		t.Errorf("spec handed over: %+v", got)
	}

	w, body = serve(t, f, http.MethodPost, "/api/v1/experiments", strings.Replace(spec, `"name":"x",`, "", 1)+"\n")
	fields, _ := body["fields"].([]any)
	if w.Code != http.StatusBadRequest || len(fields) != 1 || fields[0] != "name: must not be empty" {
		t.Errorf("invalid spec: %d %s", w.Code, w.Body)
	}
}

func TestVerdict(t *testing.T) {
	done := func(o judges.Outcome) analysis.Experiment {
		return analysis.Experiment{ID: "abc", Status: analysis.StatusCompleted,
			Verdict: &analysis.Verdict{ExperimentID: "abc", Verdict: o, Score: 42, Reason: "why"}}
	}
	waiting := analysis.Experiment{ID: "abc", Status: analysis.StatusWaiting}
	tests := []struct {
		name     string
		query    string
		exp      analysis.Experiment
		waited   *analysis.Experiment
		code     int
		verdict  string
		waitUsed bool
	}{
		{"pass", "", done(judges.OutcomePass), nil, 200, "pass", false},
		{"fail", "", done(judges.OutcomeFail), nil, 200, "fail", false},
		{"inconclusive", "", done(judges.OutcomeInconclusive), nil, 200, "inconclusive", false},
		{"error is not 2xx", "", done(judges.OutcomeError), nil, 503, "error", false},
		{"pending", "", waiting, nil, 200, "pending", false},
		{"wait until done", "?wait=5s", waiting, ptr(done(judges.OutcomeFail)), 200, "fail", true},
		{"wait times out", "?wait=1ms", waiting, nil, 200, "pending", true},
		{"bad wait", "?wait=soon", waiting, nil, 400, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			waitUsed := false
			f := fakeExperiments{
				get: func(id string) (analysis.Experiment, error) {
					if id != "abc" {
						return analysis.Experiment{}, analysis.ErrNotFound
					}
					return tt.exp, nil
				},
				wait: func(ctx context.Context, id string) (analysis.Experiment, error) {
					waitUsed = true
					if tt.waited != nil {
						return *tt.waited, nil
					}
					<-ctx.Done()
					return analysis.Experiment{}, ctx.Err()
				},
			}
			w, body := serve(t, f, http.MethodGet, "/api/v1/experiments/abc/verdict"+tt.query, "")
			if w.Code != tt.code || (tt.verdict != "" && body["verdict"] != tt.verdict) || waitUsed != tt.waitUsed {
				t.Errorf("got %d %s (wait used %v)", w.Code, w.Body, waitUsed)
			}
			if tt.verdict != "" && tt.verdict != "pending" && (body["score"] != 42.0 || body["status"] != "completed") {
				t.Errorf("body lacks score/status: %s", w.Body)
			}
			w, _ = serve(t, f, http.MethodGet, "/api/v1/experiments/zzz/verdict", "")
			if w.Code != http.StatusNotFound {
				t.Errorf("unknown id: %d", w.Code)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
