package web

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

func TestControl(t *testing.T) {
	tests := []struct {
		action  string
		err     error
		code    int
		errText string
	}{
		{action: "start", code: 200},
		{action: "start", err: fmt.Errorf("experiment e1 has an active run: %w", analysis.ErrConflict), code: 409, errText: "has an active run"},
		{action: "pause", code: 200},
		{action: "pause", err: fmt.Errorf("%w: experiment e1 has no active run", analysis.ErrConflict), code: 409, errText: "no active run"},
		{action: "resume", code: 200},
		{action: "resume", err: fmt.Errorf("%w: run r1 is running, not paused", analysis.ErrConflict), code: 409, errText: "not paused"},
		{action: "abort", code: 200},
		{action: "abort", err: fmt.Errorf("experiment e1: %w", analysis.ErrNotFound), code: 404, errText: "experiment e1 not found"},
		{action: "abort", err: errBoom, code: 500, errText: "database is locked"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %d", tt.action, tt.code), func(t *testing.T) {
			var called []string
			op := func(name string) func(context.Context, string) (analysis.Run, error) {
				return func(_ context.Context, id string) (analysis.Run, error) {
					called = append(called, name+" "+id)
					if tt.err != nil {
						return analysis.Run{}, tt.err
					}
					return analysis.Run{ID: "r1", ExperimentID: id, Status: analysis.RunPaused}, nil
				}
			}
			f := &fake{startRun: op("start"), pause: op("pause"), resume: op("resume"), abort: op("abort")}
			a := serve(t, f, request{method: http.MethodPost, target: "/api/v1/experiments/e1/" + tt.action})
			if a.Code != tt.code || len(called) != 1 || called[0] != tt.action+" e1" {
				t.Fatalf("got %d, calls %v: %s", a.Code, called, a.Body)
			}
			if tt.code == 200 {
				if a.json["id"] != "r1" || a.json["status"] != "paused" || a.json["experiment_id"] != "e1" {
					t.Errorf("run: %s", a.Body)
				}
				return
			}
			checkError(t, a, tt.errText, nil)
		})
	}
}

func TestRuns(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	final := func(o judges.Outcome) *analysis.Verdict {
		return &analysis.Verdict{ExperimentID: "e1", Verdict: o, Score: 80, Reason: "why", CompletedAt: t0}
	}
	rs := []analysis.Run{
		{ID: "r3", ExperimentID: "e1", Status: analysis.RunRunning},
		{ID: "r2", ExperimentID: "e1", Status: analysis.RunAborted, Verdict: final(judges.OutcomeInconclusive)},
		{ID: "r1", ExperimentID: "e1", Status: analysis.RunCompleted, Verdict: final(judges.OutcomePass)},
	}
	rs[1].Verdict.RunID, rs[2].Verdict.RunID = "r2", "r1"
	f := &fake{
		runs: func(_ context.Context, id string) ([]analysis.Run, error) {
			switch id {
			case "e1":
				return rs, nil
			case "e2":
				return nil, nil
			}
			return nil, analysis.ErrNotFound
		},
		run: func(_ context.Context, id string) (analysis.Run, error) {
			if id != "r1" {
				return analysis.Run{}, analysis.ErrNotFound
			}
			return rs[2], nil
		},
		intervals: func(_ context.Context, id string) ([]analysis.IntervalResult, error) {
			switch id {
			case "r1":
				return []analysis.IntervalResult{
					{RunID: "r1", Index: 0, Verdict: analysis.Verdict{Verdict: judges.OutcomePass, Interval: 1}},
					{RunID: "r1", Index: 1, Verdict: analysis.Verdict{Verdict: judges.OutcomeFail, Interval: 2}},
				}, nil
			case "r0":
				return nil, nil
			}
			return nil, fmt.Errorf("run %s: %w", id, analysis.ErrNotFound)
		},
	}
	tests := []struct {
		target string
		code   int
		want   string // the body, or the error text for codes ≥ 400
	}{
		{"/api/v1/experiments/e1/runs", 200, `{"runs":[{"id":"r3"`},
		{"/api/v1/experiments/e2/runs", 200, `{"runs":[]}`},
		{"/api/v1/experiments/e9/runs", 404, "experiment e9 not found"},
		{"/api/v1/runs/r1", 200, `{"id":"r1","experiment_id":"e1"`},
		{"/api/v1/runs/r9", 404, "run r9 not found"},
		{"/api/v1/runs/r1/intervals", 200, `{"intervals":[{"run_id":"r1","index":0,"verdict":{`},
		{"/api/v1/runs/r0/intervals", 200, `{"intervals":[]}`},
		{"/api/v1/runs/r9/intervals", 404, "run r9 not found"},
		{"/api/v1/experiments/e2/verdicts", 200, `{"verdicts":[]}`},
		{"/api/v1/experiments/e9/verdicts", 404, "experiment e9 not found"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			a := serve(t, f, request{method: http.MethodGet, target: tt.target})
			if a.Code != tt.code {
				t.Fatalf("code %d, want %d: %s", a.Code, tt.code, a.Body)
			}
			if tt.code >= 400 {
				checkError(t, a, tt.want, nil)
			} else if got := a.Body.String(); len(got) < len(tt.want) || got[:len(tt.want)] != tt.want {
				t.Errorf("body %s, want it to start with %s", got, tt.want)
			}
		})
	}

	// The verdict history holds the ended runs' final verdicts, newest
	// first, each with its run and status; the running run has none.
	a := serve(t, f, request{method: http.MethodGet, target: "/api/v1/experiments/e1/verdicts"})
	vs, _ := a.json["verdicts"].([]any)
	if a.Code != 200 || len(vs) != 2 {
		t.Fatalf("verdicts: %d %s", a.Code, a.Body)
	}
	for i, want := range []struct{ run, status, verdict string }{{"r2", "aborted", "inconclusive"}, {"r1", "completed", "pass"}} {
		v := vs[i].(map[string]any)
		if v["run_id"] != want.run || v["status"] != want.status || v["verdict"] != want.verdict || v["score"] != 80.0 || v["reason"] != "why" {
			t.Errorf("verdict %d: %v, want %+v", i, v, want)
		}
	}
}
