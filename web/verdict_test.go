package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

func TestVerdict(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	due := t0.Add(20 * time.Minute)
	base := analysis.Experiment{ExperimentRecord: analysis.ExperimentRecord{ID: "e1", Spec: analysis.Spec{Name: "checkout"}}}
	created := base
	created.Status = analysis.StatusCreated
	running := base
	running.Status, running.Run, running.Judged, running.Intervals, running.NextDue = "running", "r1", 1, 3, &due
	running.Window = &analysis.TimeRange{Start: t0, End: t0.Add(30 * time.Minute)}
	fresh := running
	fresh.Judged = 0
	paused := running
	paused.Status = "paused"
	ended := func(o judges.Outcome) analysis.Experiment {
		x := running
		x.Status, x.Judged, x.NextDue = "completed", 3, nil
		x.Verdict = &analysis.Verdict{ExperimentID: "e1", RunID: "r1", Experiment: "checkout", Verdict: o, Score: new(42.0), Reason: "why", Interval: 3, Intervals: 3}
		return x
	}
	latest := analysis.Verdict{Verdict: judges.OutcomeMarginal, Score: new(80.0), Interval: 1, Intervals: 3}

	tests := []struct {
		name    string
		query   string
		now     analysis.Experiment // what Get answers first
		later   *analysis.Experiment
		waitErr error // Wait's answer when later is nil (after ctx ends unless it is ErrNotFound)
		code    int
		want    map[string]any
		waits   bool
		minWait time.Duration // the deadline Wait got is within [minWait, MaxWait]
		errText string
	}{
		{name: "pass", now: ended(judges.OutcomePass), code: 200,
			want: map[string]any{"status": "completed", "verdict": "pass", "score": 42.0, "reason": "why", "run_id": "r1", "experiment_id": "e1"}},
		{name: "marginal", now: ended(judges.OutcomeMarginal), code: 200, want: map[string]any{"verdict": "marginal"}},
		{name: "fail", now: ended(judges.OutcomeFail), code: 200, want: map[string]any{"verdict": "fail", "score": 42.0}},
		{name: "inconclusive", now: ended(judges.OutcomeInconclusive), code: 200, want: map[string]any{"verdict": "inconclusive"}},
		{name: "error is 503 with the same body", now: ended(judges.OutcomeError), code: 503,
			want: map[string]any{"status": "completed", "verdict": "error", "score": 42.0, "reason": "why"}},
		{name: "final verdict does not wait", query: "?wait=30s", now: ended(judges.OutcomeFail), code: 200, want: map[string]any{"verdict": "fail"}},
		{name: "running", now: running, code: 200, want: map[string]any{
			"status": "running", "verdict": "pending", "run_id": "r1", "judged": 1.0, "intervals": 3.0,
			"next_due": "2026-01-01T00:20:00Z", "reason": "1 of 3 intervals judged; the next is due at 2026-01-01T00:20:00Z"}},
		{name: "running before the first interval", now: fresh, code: 200, want: map[string]any{"verdict": "pending", "judged": 0.0}},
		{name: "paused", now: paused, code: 200, want: map[string]any{"status": "paused", "verdict": "pending", "reason": "paused after 1 of 3 intervals"}},
		{name: "never started", now: created, code: 200, want: map[string]any{
			"status": "created", "verdict": "pending", "reason": "the experiment has not been started"}},
		{name: "wait until the end", query: "?wait=30s", now: running, later: ptr(ended(judges.OutcomeFail)), code: 200,
			want: map[string]any{"verdict": "fail", "status": "completed"}, waits: true, minWait: 29 * time.Second},
		{name: "wait is bounded", query: "?wait=1h", now: running, later: ptr(ended(judges.OutcomePass)), code: 200,
			want: map[string]any{"verdict": "pass"}, waits: true, minWait: MaxWait - time.Minute},
		{name: "wait times out", query: "?wait=20ms", now: running, code: 200,
			want: map[string]any{"verdict": "pending", "judged": 2.0}, waits: true},
		{name: "deleted while waiting", query: "?wait=1s", now: running, waitErr: analysis.ErrNotFound, code: 404,
			waits: true, errText: "experiment e1 not found"},
		{name: "zero wait", query: "?wait=0s", now: running, code: 200, want: map[string]any{"verdict": "pending"}},
		{name: "bad wait", query: "?wait=soon", now: running, code: 400, errText: `invalid parameter wait "soon"`},
		{name: "negative wait", query: "?wait=-1s", now: running, code: 400, errText: "invalid parameter wait"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gets, waited := 0, false
			f := &fake{
				get: func(_ context.Context, id string) (analysis.Experiment, error) {
					if id != "e1" {
						return analysis.Experiment{}, analysis.ErrNotFound
					}
					gets++
					if gets > 1 { // progress while waiting
						x := tt.now
						x.Judged++
						return x, nil
					}
					return tt.now, nil
				},
				wait: func(ctx context.Context, id string) (analysis.Experiment, error) {
					waited = true
					if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > MaxWait || time.Until(dl) < tt.minWait {
						t.Errorf("wait deadline in %v, want within [%v, %v]", time.Until(dl), tt.minWait, MaxWait)
					}
					if tt.later != nil {
						return *tt.later, nil
					}
					if tt.waitErr != nil {
						return analysis.Experiment{}, tt.waitErr
					}
					<-ctx.Done()
					return tt.now, ctx.Err()
				},
				latest: func(_ context.Context, runID string) (analysis.IntervalResult, bool, error) {
					if runID != "r1" {
						t.Errorf("latest interval of %q", runID)
					}
					return analysis.IntervalResult{RunID: "r1", Index: 0, Verdict: latest}, true, nil
				},
			}
			a := serve(t, f, request{method: http.MethodGet, target: "/api/v1/experiments/e1/verdict" + tt.query})
			if a.Code != tt.code || waited != tt.waits {
				t.Fatalf("got %d (waited %v), want %d (waited %v): %s", a.Code, waited, tt.code, tt.waits, a.Body)
			}
			if tt.code >= 400 && tt.want == nil {
				checkError(t, a, tt.errText, nil)
				return
			}
			for k, v := range tt.want {
				if a.json[k] != v {
					t.Errorf("%s = %v, want %v in %s", k, a.json[k], v, a.Body)
				}
			}
			// A pending answer carries the latest judged interval's verdict.
			l, _ := a.json["latest"].(map[string]any)
			if hasLatest := a.json["verdict"] == Pending && a.json["judged"] != 0.0; hasLatest != (l != nil) {
				t.Errorf("latest = %v: %s", l, a.Body)
			} else if l != nil && (l["verdict"] != "marginal" || l["score"] != 80.0 || l["interval"] != 1.0) {
				t.Errorf("latest interval: %v", l)
			}
		})
	}

	a := serve(t, &fake{get: func(context.Context, string) (analysis.Experiment, error) {
		return analysis.Experiment{}, fmt.Errorf("experiment e9: %w", analysis.ErrNotFound)
	}}, request{method: http.MethodGet, target: "/api/v1/experiments/e9/verdict"})
	if a.Code != http.StatusNotFound || !strings.Contains(a.json["error"].(string), "e9") {
		t.Errorf("unknown experiment: %d %s", a.Code, a.Body)
	}
}

func ptr[T any](v T) *T { return &v }
