package kayentaapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state"
)

// fakeExperiments stands in for the manager: experiments are recorded in
// the real state store (executions reference them) and their status,
// verdict and intervals are what a test sets.
type fakeExperiments struct {
	store *state.Store
	mu    sync.Mutex
	exps  map[string]*analysis.Experiment
	ivs   map[string][]analysis.IntervalResult
	n     int
}

func (f *fakeExperiments) Create(ctx context.Context, spec analysis.Spec, start bool) (analysis.Experiment, error) {
	if err := spec.Validate(); err != nil {
		return analysis.Experiment{}, &analysis.ValidationError{Err: err}
	}
	f.mu.Lock()
	f.n++
	id := fmt.Sprintf("x%d", f.n)
	f.mu.Unlock()
	rec := analysis.ExperimentRecord{ID: id, Spec: spec, CreatedAt: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	if err := f.store.CreateExperiment(ctx, rec); err != nil {
		return analysis.Experiment{}, err
	}
	x := analysis.Experiment{ExperimentRecord: rec, Status: analysis.StatusCreated}
	if start {
		x.Status, x.Run = string(analysis.RunRunning), "run-"+id
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exps[id] = &x
	return x, nil
}

func (f *fakeExperiments) Get(_ context.Context, id string) (analysis.Experiment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, ok := f.exps[id]
	if !ok {
		return analysis.Experiment{}, fmt.Errorf("experiment %s: %w", id, analysis.ErrNotFound)
	}
	return *x, nil
}

func (f *fakeExperiments) Delete(ctx context.Context, id string) error {
	f.mu.Lock()
	delete(f.exps, id)
	f.mu.Unlock()
	return f.store.DeleteExperiment(ctx, id)
}

func (f *fakeExperiments) Intervals(_ context.Context, runID string, after, limit int) ([]analysis.IntervalResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []analysis.IntervalResult
	for _, iv := range f.ivs[runID] {
		if iv.Index > after && len(out) < limit {
			out = append(out, iv)
		}
	}
	return out, nil
}

// finish ends id's run with verdict v (and its intervals).
func (f *fakeExperiments) finish(id string, status analysis.RunStatus, v *analysis.Verdict, ivs ...analysis.Verdict) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x := f.exps[id]
	x.Status, x.Verdict = string(status), v
	for i, iv := range ivs {
		f.ivs[x.Run] = append(f.ivs[x.Run], analysis.IntervalResult{RunID: x.Run, Index: i, Verdict: iv})
	}
}

func (f *fakeExperiments) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.exps)
}

// server is the API over a real SQLite state store and fake experiments.
type server struct {
	*httptest.Server
	exps  *fakeExperiments
	store *state.Store
}

func newServer(t *testing.T) *server {
	t.Helper()
	st, err := state.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	exps := &fakeExperiments{store: st, exps: map[string]*analysis.Experiment{}, ivs: map[string][]analysis.IntervalResult{}}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	Register(r, exps, st, nil)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &server{Server: srv, exps: exps, store: st}
}

// call sends a request and returns the status and the decoded body.
func (s *server) call(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	code, raw := s.raw(t, method, path, body)
	var out map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return code, out
}

func (s *server) raw(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

func checkoutConfig(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/checkout.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// storeConfig stores the checkout config and returns its ID.
func (s *server) storeConfig(t *testing.T) string {
	t.Helper()
	code, out := s.call(t, http.MethodPost, "/kayenta/canaryConfig?configurationAccountName=cfg", checkoutConfig(t))
	if code != http.StatusOK {
		t.Fatalf("POST /canaryConfig: %d %v", code, out)
	}
	return out["canaryConfigId"].(string)
}

// path reads a value at a dotted path of a decoded JSON document
// (numbers index arrays).
func path(doc any, keys ...any) any {
	for _, k := range keys {
		switch v := doc.(type) {
		case map[string]any:
			doc = v[k.(string)]
		case []any:
			i := k.(int)
			if i >= len(v) {
				return nil
			}
			doc = v[i]
		default:
			return nil
		}
	}
	return doc
}
