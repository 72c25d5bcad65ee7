package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state/pgtest"
)

// call sends body (none if "") and returns the status and body.
func call(t *testing.T, method, target, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// experimentIDs lists GET /api/v1/experiments?query as IDs.
func experimentIDs(t *testing.T, base, query string) []string {
	t.Helper()
	var list struct{ Experiments []analysis.Experiment }
	getJSON(t, http.MethodGet, base+"/api/v1/experiments?"+query, "", http.StatusOK, &list)
	ids := []string{}
	for _, x := range list.Experiments {
		ids = append(ids, x.ID)
	}
	return ids
}

const filterSpec = `apiVersion: augur/v1
name: %s
labels: {team: %s}
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {interval: 1m, lifetime: 10m}
metrics:
  - {name: latency, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
`

// TestListExperimentsFilters: ?name= (once ignored: every experiment was
// listed), ?label=, ?status= select in the database.
func TestListExperimentsFilters(t *testing.T) {
	srv, _ := runServer(t, deliveryConfig(t))
	base := srv.URL()
	var a, b, c analysis.Experiment
	getJSON(t, http.MethodPost, base+"/api/v1/experiments?start=false", fmt.Sprintf(filterSpec, "checkout", "pay"), http.StatusCreated, &a)
	getJSON(t, http.MethodPost, base+"/api/v1/experiments", fmt.Sprintf(filterSpec, "checkout", "search"), http.StatusCreated, &b)
	getJSON(t, http.MethodPost, base+"/api/v1/experiments?start=false", fmt.Sprintf(filterSpec, "search", "pay"), http.StatusCreated, &c)
	tests := []struct {
		query string
		want  []string
	}{
		{"name=checkout", []string{b.ID, a.ID}},
		{"name=nope", []string{}},
		{"label=team%3Dpay", []string{c.ID, a.ID}},
		{"label=team=pay&name=checkout", []string{a.ID}},
		{"status=running", []string{b.ID}},
		{"status=created&label=team=pay", []string{c.ID, a.ID}},
		{"", []string{c.ID, b.ID, a.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			mustEqualIDs(t, experimentIDs(t, base, tt.query), tt.want)
		})
	}
	for _, bad := range []string{"status=done", "label=team"} {
		if code, body := call(t, http.MethodGet, base+"/api/v1/experiments?"+bad, ""); code != http.StatusBadRequest || !strings.Contains(string(body), strings.Split(bad, "=")[0]) {
			t.Errorf("?%s: %d %s, want 400 naming the parameter", bad, code, body)
		}
	}
}

func mustEqualIDs(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("experiments %v, want %v", got, want)
	}
}

// exampleTemplate is the shipped example template.
func exampleTemplate(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "deploy", "examples", "checkout-template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTemplateLifecycle drives the shipped example template through the
// API: stored, instantiated once per key, found by the experiment filters,
// refused with the field named, and events kept with its experiment.
func TestTemplateLifecycle(t *testing.T) {
	srv, _ := runServer(t, deliveryConfig(t))
	base := srv.URL()
	tpl := exampleTemplate(t)

	var rec analysis.TemplateRecord
	getJSON(t, http.MethodPut, base+"/api/v1/templates/checkout-canary", tpl, http.StatusCreated, &rec)
	if rec.Version != 1 || len(rec.Args) != 4 || rec.OnError != "inconclusive" || !strings.Contains(rec.Spec, "${args.canary-hash}") {
		t.Fatalf("stored template: %+v", rec)
	}
	getJSON(t, http.MethodPut, base+"/api/v1/templates/checkout-canary", tpl, http.StatusOK, &rec)
	if rec.Version != 2 {
		t.Fatalf("replaced template version %d, want 2", rec.Version)
	}
	var list struct{ Templates []analysis.TemplateRecord }
	getJSON(t, http.MethodGet, base+"/api/v1/templates", "", http.StatusOK, &list)
	if len(list.Templates) != 1 || list.Templates[0].Name != "checkout-canary" {
		t.Fatalf("templates: %+v", list)
	}

	key := "shop/checkout/6d4f9c7b8"
	req := `{"key": "` + key + `", "args": {"rollout": "checkout", "canary-hash": "6d4f9c7b8", "stable-hash": "5b7d8c9f4"}}`
	var in analysis.Instance
	getJSON(t, http.MethodPost, base+"/api/v1/templates/checkout-canary/instances", req, http.StatusCreated, &in)
	x := in.Experiment
	if !in.Created || x.Status != "running" || x.Run != in.RunID || x.Key != key || x.Template != "checkout-canary" ||
		x.Spec.Name != "checkout-6d4f9c7b8" || x.Spec.Cohorts.Canary.Selector != `namespace="shop",rollouts_pod_template_hash="6d4f9c7b8"` ||
		x.Spec.Labels["template"] != "checkout-canary" || in.Args["namespace"] != "shop" {
		t.Fatalf("instance: %+v", in)
	}
	var again analysis.Instance
	getJSON(t, http.MethodPost, base+"/api/v1/templates/checkout-canary/instances", req, http.StatusOK, &again)
	if again.Created || again.RunID != in.RunID || again.Experiment.ID != x.ID {
		t.Fatalf("second call: %+v", again)
	}
	getJSON(t, http.MethodGet, base+"/api/v1/instances/"+url.PathEscape(key), "", http.StatusOK, &again)
	if again.RunID != in.RunID {
		t.Fatalf("GET instance: %+v", again)
	}
	for _, q := range []string{"template=checkout-canary", "key=" + url.QueryEscape(key), "label=template=checkout-canary&label=rollout=checkout"} {
		mustEqualIDs(t, experimentIDs(t, base, q), []string{x.ID})
	}

	refusals := []struct {
		name, target, body string
		code               int
		want               []string
	}{
		{"unknown template", "/api/v1/templates/nope/instances", `{"key": "k", "args": {}}`, 404, []string{"template nope not found"}},
		{"missing arg", "/api/v1/templates/checkout-canary/instances", `{"key": "k2", "args": {"rollout": "checkout", "canary-hash": "a"}}`, 422, []string{"args.stable-hash", "required"}},
		{"unknown arg", "/api/v1/templates/checkout-canary/instances", `{"key": "k2", "args": {"rollout": "c", "canary-hash": "a", "stable-hash": "b", "colour": "red"}}`, 422, []string{"args.colour", "declares no such argument"}},
		{"other args", "/api/v1/templates/checkout-canary/instances", strings.Replace(req, "5b7d8c9f4", "0000", 1), 409, []string{`args.stable-hash: stored \"5b7d8c9f4\", requested \"0000\"`}},
		{"control character", "/api/v1/templates/checkout-canary/instances", `{"key": "k3", "args": {"rollout": "c\nx: y", "canary-hash": "a", "stable-hash": "b"}}`, 422, []string{"args.rollout", "control characters"}},
		{"bad template", "/api/v1/templates/broken", "name: broken\nspec: 'name: ${args.x}'\n", 422, []string{"${args.x} is not declared"}},
		{"template name mismatch", "/api/v1/templates/other", tpl, 422, []string{`\"checkout-canary\" differs from the path's \"other\"`}},
		{"unknown instance", "/api/v1/instances/" + url.PathEscape("no/such"), "", 404, []string{`instance \"no/such\" not found`}},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			method := http.MethodPost
			switch {
			case strings.HasPrefix(r.target, "/api/v1/instances/"):
				method = http.MethodGet
			case !strings.HasSuffix(r.target, "/instances"):
				method = http.MethodPut
			}
			code, body := call(t, method, base+r.target, r.body)
			if code != r.code {
				t.Fatalf("%d %s, want %d", code, body, r.code)
			}
			for _, w := range r.want {
				if !bytes.Contains(body, []byte(w)) {
					t.Errorf("answer %s does not contain %s", body, w)
				}
			}
		})
	}
	mustEqualIDs(t, experimentIDs(t, base, ""), []string{x.ID})

	// Events: recorded through the API, oldest first.
	for _, msg := range []string{"promoted to 20%", "promoted to 50%"} {
		getJSON(t, http.MethodPost, base+"/api/v1/experiments/"+x.ID+"/events", `{"type": "step", "message": "`+msg+`"}`, http.StatusCreated, nil)
	}
	var evs struct{ Events []analysis.Event }
	getJSON(t, http.MethodGet, base+"/api/v1/experiments/"+x.ID+"/events", "", http.StatusOK, &evs)
	if len(evs.Events) != 2 || evs.Events[0].Message != "promoted to 20%" || evs.Events[1].Source != "api" {
		t.Fatalf("events: %+v", evs)
	}
	if code, body := call(t, http.MethodPost, base+"/api/v1/experiments/"+x.ID+"/events", `{"message": "`+strings.Repeat("m", 5000)+`"}`); code != 422 || !strings.Contains(string(body), "message") {
		t.Fatalf("long event message: %d %s", code, body)
	}

	// Deleting the template keeps its instance; deleting the experiment
	// removes the instance and its events, and frees the key.
	getJSON(t, http.MethodDelete, base+"/api/v1/templates/checkout-canary", "", http.StatusNoContent, nil)
	getJSON(t, http.MethodGet, base+"/api/v1/instances/"+url.PathEscape(key), "", http.StatusOK, nil)
	getJSON(t, http.MethodDelete, base+"/api/v1/experiments/"+x.ID, "", http.StatusNoContent, nil)
	getJSON(t, http.MethodGet, base+"/api/v1/instances/"+url.PathEscape(key), "", http.StatusNotFound, nil)
	getJSON(t, http.MethodGet, base+"/api/v1/experiments/"+x.ID+"/events", "", http.StatusNotFound, nil)
}

// TestInstantiateOnceOverHTTP: 50 concurrent instance requests with one key
// create exactly one experiment and one run, on SQLite and PostgreSQL.
func TestInstantiateOnceOverHTTP(t *testing.T) {
	backends := []struct {
		name   string
		config func(t *testing.T, c *Config)
	}{
		{"sqlite", func(*testing.T, *Config) {}},
		{"postgres", func(t *testing.T, c *Config) {
			if testing.Short() {
				t.Skip("starts PostgreSQL")
			}
			c.Analysis.State = StateConfig{Driver: "postgres", DSN: pgtest.Start(t).NewDatabase(t)}
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cfg := deliveryConfig(t)
			b.config(t, &cfg)
			srv, _ := runServer(t, cfg)
			base := srv.URL()
			getJSON(t, http.MethodPut, base+"/api/v1/templates/checkout-canary", exampleTemplate(t), http.StatusCreated, nil)
			const callers = 50
			req := `{"key": "shop/checkout/abc", "args": {"rollout": "checkout", "canary-hash": "abc", "stable-hash": "def"}}`
			codes := make([]int, callers)
			runs := make([]string, callers)
			var wg sync.WaitGroup
			for i := range callers {
				wg.Go(func() {
					resp, err := http.Post(base+"/api/v1/templates/checkout-canary/instances", "application/json", strings.NewReader(req))
					if err != nil {
						t.Error(err)
						return
					}
					defer resp.Body.Close()
					var in analysis.Instance
					_ = json.NewDecoder(resp.Body).Decode(&in)
					codes[i], runs[i] = resp.StatusCode, in.RunID
				})
			}
			wg.Wait()
			created := 0
			for i, code := range codes {
				switch {
				case code == http.StatusCreated:
					created++
				case code != http.StatusOK:
					t.Errorf("call %d answered %d", i, code)
				}
				if runs[i] != runs[0] || runs[i] == "" {
					t.Errorf("call %d got run %q, call 0 run %q", i, runs[i], runs[0])
				}
			}
			if created != 1 {
				t.Fatalf("%d calls created the instance, want 1", created)
			}
			ids := experimentIDs(t, base, "")
			if len(ids) != 1 {
				t.Fatalf("%d experiments, want 1", len(ids))
			}
			var rs struct{ Runs []analysis.Run }
			getJSON(t, http.MethodGet, base+"/api/v1/experiments/"+ids[0]+"/runs", "", http.StatusOK, &rs)
			if len(rs.Runs) != 1 || rs.Runs[0].ID != runs[0] {
				t.Fatalf("runs %+v, want the one run %s", rs.Runs, runs[0])
			}
		})
	}
}

// TestTwentyConcurrentStarts: 20 starts racing on one experiment over HTTP
// on SQLite: one starts the run; every other answers 409 naming the active
// run, without the database's text.
func TestTwentyConcurrentStarts(t *testing.T) {
	srv, _ := runServer(t, deliveryConfig(t))
	base := srv.URL()
	var x analysis.Experiment
	getJSON(t, http.MethodPost, base+"/api/v1/experiments?start=false", fmt.Sprintf(filterSpec, "starts", "pay"), http.StatusCreated, &x)
	const starts = 20
	codes := make([]int, starts)
	bodies := make([]string, starts)
	var wg sync.WaitGroup
	for i := range starts {
		wg.Go(func() {
			resp, err := http.Post(base+"/api/v1/experiments/"+x.ID+"/start", "", nil)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			codes[i], bodies[i] = resp.StatusCode, string(b)
		})
	}
	wg.Wait()
	var run analysis.Run
	ok := 0
	for i, code := range codes {
		if code == http.StatusOK {
			ok++
			if err := json.Unmarshal([]byte(bodies[i]), &run); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ok != 1 {
		t.Fatalf("%d starts succeeded, want 1: %v", ok, codes)
	}
	want := "already has an active run " + run.ID
	for i, code := range codes {
		if code == http.StatusOK {
			continue
		}
		if code != http.StatusConflict || !strings.Contains(bodies[i], want) {
			t.Errorf("start %d: %d %s, want 409 naming run %s", i, code, bodies[i], run.ID)
		}
		for _, leak := range []string{"constraint", "UNIQUE", "SQL", "runs_one_active", "state:"} {
			if strings.Contains(bodies[i], leak) {
				t.Errorf("start %d answer %s contains %q", i, bodies[i], leak)
			}
		}
	}
}
