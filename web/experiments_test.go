package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/augurhq/augur/analysis"
)

const specYAML = `apiVersion: augur/v1
kind: canary
name: checkout
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {lifetime: 30m, interval: 10m}
metrics:
  - name: latency
    query: 'latency{${cohort}}'
    judge: {type: mannwhitney}
`

const specJSON = `{
	"apiVersion": "augur/v1",
	"name": "checkout",
	"cohorts": {"baseline": "version=\"v1\"", "canary": {"selector": "version=\"v2\""}},
	"timing": {"lifetime": "30m", "interval": "10m"},
	"metrics": [{"name": "latency", "query": "latency{${cohort}}", "judge": {"type": "mannwhitney"}}]
}`

var errBoom = errors.New("database is locked")

func TestCreate(t *testing.T) {
	tests := []struct {
		name      string
		target    string
		body      string
		err       error // from Manager.Create
		code      int
		wantStart bool
		fields    []string // "field: message" prefixes, in order
		errText   string   // substring of "error"
	}{
		{name: "yaml", body: specYAML, code: 201, wantStart: true},
		{name: "json with tabs", body: specJSON, code: 201, wantStart: true},
		{name: "start=false", target: "?start=false", body: specYAML, code: 201},
		{name: "start=true", target: "?start=true", body: specYAML, code: 201, wantStart: true},
		{name: "bad start", target: "?start=later", body: specYAML, code: 400, errText: `invalid parameter start "later"`},
		{name: "empty body", body: " \n", code: 400, errText: "empty body"},
		{name: "syntax error", body: "apiVersion: augur/v1\nname: [x\n", code: 400, errText: "malformed spec: yaml: line"},
		{name: "unknown top-level field", body: specYAML + "owner: me\n", code: 400,
			fields: []string{`owner: unknown field "owner" (line 10)`}},
		{name: "unknown nested field", body: strings.Replace(specYAML, "{type: mannwhitney}", "{type: mannwhitney, confidance: 0.9}", 1), code: 400,
			fields: []string{`metrics[0].judge.confidance: unknown field "confidance" (line 9)`}},
		{name: "unknown field in json", body: strings.Replace(specJSON, `"selector"`, `"selectr"`, 1), code: 400,
			fields: []string{`cohorts.canary.selectr: unknown field "selectr"`}},
		{name: "wrong type", body: strings.Replace(specYAML, "    judge:", "    weight: heavy\n    judge:", 1), code: 400,
			fields: []string{"metrics[0].weight: cannot unmarshal !!str `heavy` into float64 (line 9)"}},
		{name: "bad duration", body: strings.Replace(specYAML, "interval: 10m", "interval: 10 minutes", 1), code: 400,
			fields: []string{`timing.interval: invalid duration "10 minutes"`}},
		{name: "invalid fields", code: 422, body: strings.NewReplacer("name: checkout\n", "", "{type: mannwhitney}", "{type: magic}").Replace(specYAML),
			fields: []string{"name: must not be empty", `metrics[0].judge.type: unknown judge "magic"`}},
		{name: "joined judge errors split", code: 422, body: strings.Replace(specYAML, "{type: mannwhitney}", "{type: threshold, aggregate: p200}", 1),
			fields: []string{"metrics[0].judge: invalid Aggregate", "metrics[0].judge: missing Lower and Upper"}},
		{name: "missing apiVersion", code: 422, body: strings.Replace(specYAML, "apiVersion: augur/v1\n", "", 1),
			fields: []string{"apiVersion: must be augur/v1"}},
		{name: "too large", body: specYAML + "# " + strings.Repeat("x", MaxSpecBytes) + "\n", code: 413},
		{name: "manager fails", body: specYAML, err: errBoom, code: 500, wantStart: true, errText: "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			f := &fake{create: func(_ context.Context, s analysis.Spec, start bool) (analysis.Experiment, error) {
				called = true
				if start != tt.wantStart {
					t.Errorf("start = %v, want %v", start, tt.wantStart)
				}
				if s.Name != "checkout" || s.Metrics[0].Judge.Direction != "increase" || s.Cohorts.Canary.Selector != `version="v2"` {
					t.Errorf("spec handed over without defaults or fields: %+v", s)
				}
				if tt.err != nil {
					return analysis.Experiment{}, tt.err
				}
				return analysis.Experiment{ExperimentRecord: analysis.ExperimentRecord{ID: "e1", Spec: s, Version: 1}, Status: "running"}, nil
			}}
			a := serve(t, f, request{method: http.MethodPost, target: "/api/v1/experiments" + tt.target, body: tt.body})
			if a.Code != tt.code {
				t.Fatalf("code %d, want %d: %s", a.Code, tt.code, a.Body)
			}
			if called != (tt.code == 201 || tt.err != nil) {
				t.Errorf("Create called = %v", called)
			}
			if tt.code == 201 {
				if a.Header().Get("Location") != "/api/v1/experiments/e1" || a.Header().Get("ETag") != `"1"` || a.json["id"] != "e1" {
					t.Errorf("created: %v %s", a.Header(), a.Body)
				}
				return
			}
			checkError(t, a, tt.errText, tt.fields)
		})
	}
}

// checkError checks an error answer: an "error" text containing errText,
// and field entries starting with the given prefixes, in order. A 500 must
// not carry the internal error (errBoom), only an ID the log has it under.
func checkError(t *testing.T, a answer, errText string, fields []string) {
	t.Helper()
	msg, _ := a.json["error"].(string)
	if msg == "" || !strings.Contains(msg, errText) {
		t.Errorf("error %q, want it to contain %q", msg, errText)
	}
	if a.Code == http.StatusInternalServerError {
		checkInternal(t, a, errBoom.Error())
	}
	got := a.fields()
	if len(got) != len(fields) {
		t.Fatalf("fields %q, want %q", got, fields)
	}
	for i := range fields {
		if !strings.HasPrefix(got[i], fields[i]) {
			t.Errorf("field %d: %q, want prefix %q", i, got[i], fields[i])
		}
		if !strings.Contains(msg, got[i]) {
			t.Errorf("error %q omits field entry %q", msg, got[i])
		}
	}
}

func TestListAndGet(t *testing.T) {
	x := analysis.Experiment{ExperimentRecord: analysis.ExperimentRecord{ID: "e1", Version: 7}, Status: "completed"}
	get := func(_ context.Context, id string) (analysis.Experiment, error) {
		switch id {
		case "e1":
			return x, nil
		case "broken":
			return analysis.Experiment{}, fmt.Errorf("get %s: %w", id, errBoom)
		}
		return analysis.Experiment{}, fmt.Errorf("experiment %s: %w", id, analysis.ErrNotFound)
	}
	tests := []struct {
		name    string
		f       *fake
		target  string
		code    int
		want    string // substring of the body
		etag    string
		errText string
	}{
		{name: "list", target: "/api/v1/experiments", code: 200, want: `{"experiments":[{"id":"e1"`,
			f: &fake{list: func(context.Context) ([]analysis.Experiment, error) { return []analysis.Experiment{x}, nil }}},
		{name: "empty list is an array", target: "/api/v1/experiments", code: 200, want: `{"experiments":[]}`,
			f: &fake{list: func(context.Context) ([]analysis.Experiment, error) { return nil, nil }}},
		{name: "list fails", target: "/api/v1/experiments", code: 500, errText: "internal error",
			f: &fake{list: func(context.Context) ([]analysis.Experiment, error) { return nil, errBoom }}},
		{name: "get", target: "/api/v1/experiments/e1", code: 200, want: `"version":7`, etag: `"7"`, f: &fake{get: get}},
		{name: "get unknown", target: "/api/v1/experiments/nope", code: 404, errText: "experiment nope not found", f: &fake{get: get}},
		{name: "get fails", target: "/api/v1/experiments/broken", code: 500, errText: "internal error", f: &fake{get: get}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := serve(t, tt.f, request{method: http.MethodGet, target: tt.target})
			if a.Code != tt.code || !strings.Contains(a.Body.String(), tt.want) || a.Header().Get("ETag") != tt.etag {
				t.Fatalf("got %d %v %s", a.Code, a.Header(), a.Body)
			}
			if tt.code >= 400 {
				checkError(t, a, tt.errText, nil)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	tests := []struct {
		name    string
		target  string
		header  []string
		body    string
		version int64 // handed to Update; 0: not called
		err     error
		code    int
		errText string
		fields  []string
	}{
		{name: "if-match", header: []string{"If-Match", `"3"`}, body: specYAML, version: 3, code: 200},
		{name: "query", target: "?version=3", body: specJSON, version: 3, code: 200},
		{name: "both agree", target: "?version=3", header: []string{"If-Match", `"3"`}, body: specYAML, version: 3, code: 200},
		{name: "both disagree", target: "?version=2", header: []string{"If-Match", `"3"`}, body: specYAML, code: 400, errText: "disagree"},
		{name: "no version", body: specYAML, code: 428, errText: "If-Match"},
		{name: "bad version", header: []string{"If-Match", "*"}, body: specYAML, code: 400, errText: `invalid If-Match "*"`},
		{name: "zero version", target: "?version=0", body: specYAML, code: 400, errText: `invalid version "0"`},
		{name: "stale", header: []string{"If-Match", `"2"`}, body: specYAML, version: 2, code: 409,
			err: fmt.Errorf("experiment e1 is at version 3: %w", analysis.ErrConflict), errText: "changed since version 2"},
		{name: "unknown", target: "?version=1", body: specYAML, version: 1, code: 404,
			err: analysis.ErrNotFound, errText: "experiment e1 not found"},
		{name: "invalid spec", target: "?version=1", body: strings.Replace(specYAML, "interval: 10m", "interval: 1h", 1), code: 422,
			fields: []string{"timing.lifetime: must be at least timing.interval"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got int64
			f := &fake{update: func(_ context.Context, id string, s analysis.Spec, v int64) (analysis.Experiment, error) {
				got = v
				if id != "e1" || s.Name != "checkout" {
					t.Errorf("Update(%q, %q)", id, s.Name)
				}
				if tt.err != nil {
					return analysis.Experiment{}, tt.err
				}
				return analysis.Experiment{ExperimentRecord: analysis.ExperimentRecord{ID: id, Spec: s, Version: v + 1}}, nil
			}}
			a := serve(t, f, request{method: http.MethodPut, target: "/api/v1/experiments/e1" + tt.target, body: tt.body, header: tt.header})
			if a.Code != tt.code || got != tt.version {
				t.Fatalf("got %d (version %d handed over), want %d (version %d): %s", a.Code, got, tt.code, tt.version, a.Body)
			}
			if tt.code == 200 {
				if want := fmt.Sprintf(`"%d"`, tt.version+1); a.Header().Get("ETag") != want || a.json["version"] != float64(tt.version+1) {
					t.Errorf("updated: %v %s", a.Header(), a.Body)
				}
				return
			}
			checkError(t, a, tt.errText, tt.fields)
		})
	}
}

func TestDelete(t *testing.T) {
	var deleted []string
	f := &fake{delete: func(_ context.Context, id string) error {
		if id != "e1" {
			return analysis.ErrNotFound
		}
		deleted = append(deleted, id)
		return nil
	}}
	a := serve(t, f, request{method: http.MethodDelete, target: "/api/v1/experiments/e1"})
	if a.Code != http.StatusNoContent || a.Body.Len() != 0 || !slices.Equal(deleted, []string{"e1"}) {
		t.Errorf("delete: %d %q %v", a.Code, a.Body, deleted)
	}
	a = serve(t, f, request{method: http.MethodDelete, target: "/api/v1/experiments/e2"})
	if a.Code != http.StatusNotFound {
		t.Errorf("delete unknown: %d %s", a.Code, a.Body)
	}
	checkError(t, a, "experiment e2 not found", nil)
}
