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
		{action: "abort", err: errBoom, code: 500, errText: "internal error"},
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
		return &analysis.Verdict{ExperimentID: "e1", Verdict: o, Score: new(80.0), Reason: "why", CompletedAt: t0}
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
		intervals: func(_ context.Context, id string, _, _ int) ([]analysis.IntervalResult, error) {
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

// TestIntervalPages: intervals come a page at a time (?after, ?limit), the
// answer naming the next page's after while more follow; the store is
// asked for one more than the page, never for everything.
func TestIntervalPages(t *testing.T) {
	const n = 250
	var asked [][2]int
	f := &fake{intervals: func(_ context.Context, id string, after, limit int) ([]analysis.IntervalResult, error) {
		if id != "r1" {
			return nil, fmt.Errorf("run %s: %w", id, analysis.ErrNotFound)
		}
		asked = append(asked, [2]int{after, limit})
		var out []analysis.IntervalResult
		for i := after + 1; i < n && len(out) < limit; i++ {
			out = append(out, analysis.IntervalResult{RunID: "r1", Index: i})
		}
		return out, nil
	}}
	tests := []struct {
		query       string
		code        int
		first, last int // indexes of the page
		next        any // next_after, nil when absent
		asked       [2]int
		errText     string
	}{
		{query: "", code: 200, first: 0, last: 99, next: 99.0, asked: [2]int{-1, 101}},
		{query: "?after=99", code: 200, first: 100, last: 199, next: 199.0, asked: [2]int{99, 101}},
		{query: "?after=199", code: 200, first: 200, last: 249, asked: [2]int{199, 101}},
		{query: "?after=149&limit=100", code: 200, first: 150, last: 249, asked: [2]int{149, 101}},
		{query: "?after=148&limit=100", code: 200, first: 149, last: 248, next: 248.0, asked: [2]int{148, 101}},
		{query: "?limit=1", code: 200, first: 0, last: 0, next: 0.0, asked: [2]int{-1, 2}},
		{query: "?after=-1&limit=1000", code: 200, first: 0, last: 249, asked: [2]int{-1, 1001}},
		{query: "?after=249", code: 200, first: -1, asked: [2]int{249, 101}},
		{query: "?limit=0", code: 400, errText: `invalid parameter limit "0": want a number of intervals from 1 to 1000`},
		{query: "?limit=1001", code: 400, errText: `invalid parameter limit "1001"`},
		{query: "?limit=ten", code: 400, errText: `invalid parameter limit "ten"`},
		{query: "?after=-2", code: 400, errText: `invalid parameter after "-2"`},
		{query: "?after=x", code: 400, errText: `invalid parameter after "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			asked = nil
			a := serve(t, f, request{method: http.MethodGet, target: "/api/v1/runs/r1/intervals" + tt.query})
			if a.Code != tt.code {
				t.Fatalf("code %d, want %d: %s", a.Code, tt.code, a.Body)
			}
			if tt.code != 200 {
				checkError(t, a, tt.errText, nil)
				if len(asked) != 0 {
					t.Errorf("the store was asked %v for an invalid request", asked)
				}
				return
			}
			if len(asked) != 1 || asked[0] != tt.asked {
				t.Errorf("store asked for (after, limit) %v, want %v", asked, tt.asked)
			}
			is, _ := a.json["intervals"].([]any)
			if tt.first < 0 {
				if is == nil || len(is) != 0 {
					t.Errorf("want an empty page: %s", a.Body)
				}
			} else if len(is) != tt.last-tt.first+1 || is[0].(map[string]any)["index"] != float64(tt.first) ||
				is[len(is)-1].(map[string]any)["index"] != float64(tt.last) {
				t.Errorf("page of %d from %v, want %d..%d", len(is), is[0], tt.first, tt.last)
			}
			if next, ok := a.json["next_after"]; next != tt.next || ok != (tt.next != nil) {
				t.Errorf("next_after = %v (present %v), want %v", next, ok, tt.next)
			}
		})
	}
	// Following next_after from the first page reads every interval once.
	seen, target := 0, "/api/v1/runs/r1/intervals?limit=64"
	for pages := 0; pages < 10; pages++ {
		a := serve(t, f, request{method: http.MethodGet, target: target})
		for _, iv := range a.json["intervals"].([]any) {
			if iv.(map[string]any)["index"] != float64(seen) {
				t.Fatalf("interval %v where %d was next", iv, seen)
			}
			seen++
		}
		next, ok := a.json["next_after"].(float64)
		if !ok {
			break
		}
		target = fmt.Sprintf("/api/v1/runs/r1/intervals?limit=64&after=%d", int(next))
	}
	if seen != n {
		t.Errorf("read %d intervals following next_after, want %d", seen, n)
	}
}
