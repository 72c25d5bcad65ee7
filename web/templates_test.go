package web

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state"
)

// templateFake is the API over a real manager and SQLite store: serve
// checks every answer's status against the OpenAPI document.
func templateFake(t *testing.T) *fake {
	t.Helper()
	db, err := state.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := analysis.NewManager(analysis.DefaultManagerConfig(), db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fake{Templates: m, find: m.Find, create: m.Create, get: m.Get}
}

const webTemplate = `name: canary
args:
  - {name: app, required: true}
  - {name: hash, required: true}
  - {name: ns, default: prod}
spec:
  apiVersion: augur/v1
  name: ${args.app}
  cohorts:
    baseline: 'ns="${args.ns}",hash!="${args.hash}"'
    canary: 'ns="${args.ns}",hash="${args.hash}"'
  timing: {interval: 1m, lifetime: 10m}
  metrics:
    - {name: latency, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
`

func TestTemplateRoutes(t *testing.T) {
	f := templateFake(t)
	steps := []struct {
		name string
		req  request
		code int
		want []string
	}{
		{"create", request{method: "PUT", target: "/api/v1/templates/canary", body: webTemplate}, 201, []string{`"version":1`, `"on_error":"inconclusive"`, `"flagger":"rollout"`}},
		{"replace", request{method: "PUT", target: "/api/v1/templates/canary", body: webTemplate, header: []string{"If-Match", `"1"`}}, 200, []string{`"version":2`}},
		{"stale If-Match", request{method: "PUT", target: "/api/v1/templates/canary", body: webTemplate, header: []string{"If-Match", `"1"`}}, 409, []string{"changed since version 1"}},
		{"If-Match of none", request{method: "PUT", target: "/api/v1/templates/none", body: strings.Replace(webTemplate, "name: canary", "name: none", 1), header: []string{"If-Match", `"1"`}}, 404, []string{"template none not found"}},
		{"bad If-Match", request{method: "PUT", target: "/api/v1/templates/canary", body: webTemplate, header: []string{"If-Match", "x"}}, 400, []string{"If-Match"}},
		{"unknown field", request{method: "PUT", target: "/api/v1/templates/canary", body: "colour: red\n"}, 400, []string{"colour"}},
		{"empty body", request{method: "PUT", target: "/api/v1/templates/canary"}, 400, []string{"empty body"}},
		{"invalid", request{method: "PUT", target: "/api/v1/templates/x", body: "flagger: promote\nspec: 'a: ${args.y}'\n"}, 422, []string{`"field":"flagger"`, "${args.y} is not declared"}},
		{"get", request{method: "GET", target: "/api/v1/templates/canary"}, 200, []string{`"name":"canary"`}},
		{"get unknown", request{method: "GET", target: "/api/v1/templates/nope"}, 404, []string{"template nope not found"}},
		{"list", request{method: "GET", target: "/api/v1/templates"}, 200, []string{`"templates":[{"name":"canary"`}},
		{"instantiate", request{method: "POST", target: "/api/v1/templates/canary/instances", body: `{"key": "prod/a/1", "args": {"app": "a", "hash": "1"}}`}, 201, []string{`"created":true`, `"key":"prod/a/1"`}},
		{"instantiate again", request{method: "POST", target: "/api/v1/templates/canary/instances", body: `{"key": "prod/a/1", "args": {"app": "a", "hash": "1", "ns": "prod"}}`}, 200, []string{`"created":false`}},
		{"other args", request{method: "POST", target: "/api/v1/templates/canary/instances", body: `{"key": "prod/a/1", "args": {"app": "a", "hash": "2"}}`}, 409, []string{`args.hash: stored \"1\", requested \"2\"`}},
		{"missing arg", request{method: "POST", target: "/api/v1/templates/canary/instances", body: `{"key": "k", "args": {"app": "a"}}`}, 422, []string{`"field":"args.hash"`}},
		{"unknown template", request{method: "POST", target: "/api/v1/templates/nope/instances", body: `{"key": "k"}`}, 404, []string{"template nope not found"}},
		{"number arg", request{method: "POST", target: "/api/v1/templates/canary/instances", body: `{"key": "k", "args": {"app": 1}}`}, 400, []string{"string values"}},
		{"instance", request{method: "GET", target: "/api/v1/instances/prod%2Fa%2F1"}, 200, []string{`"key":"prod/a/1"`}},
		{"instance unescaped", request{method: "GET", target: "/api/v1/instances/prod/a/1"}, 200, []string{`"key":"prod/a/1"`}},
		{"unknown instance", request{method: "GET", target: "/api/v1/instances/nope"}, 404, []string{`instance \"nope\" not found`}},
		{"filter by key", request{method: "GET", target: "/api/v1/experiments?key=prod%2Fa%2F1&template=canary&label=template%3Dcanary"}, 200, []string{`"key":"prod/a/1"`}},
		{"bad filter", request{method: "GET", target: "/api/v1/experiments?label=x"}, 400, []string{"label"}},
		{"event of unknown", request{method: "POST", target: "/api/v1/experiments/nope/events", body: `{"message": "m"}`}, 404, []string{"experiment nope not found"}},
		{"events of unknown", request{method: "GET", target: "/api/v1/experiments/nope/events"}, 404, []string{"experiment nope not found"}},
		{"delete", request{method: "DELETE", target: "/api/v1/templates/canary"}, 204, nil},
		{"delete again", request{method: "DELETE", target: "/api/v1/templates/canary"}, 404, []string{"template canary not found"}},
	}
	for _, s := range steps {
		a := serve(t, f, s.req)
		if a.Code != s.code {
			t.Fatalf("%s: %d %s, want %d", s.name, a.Code, a.Body, s.code)
		}
		for _, w := range s.want {
			if !strings.Contains(a.Body.String(), w) {
				t.Errorf("%s: answer %s does not contain %s", s.name, a.Body, w)
			}
		}
	}

	in := serve(t, f, request{method: "GET", target: "/api/v1/instances/prod%2Fa%2F1"})
	id := in.json["experiment"].(map[string]any)["id"].(string)
	for _, s := range []struct {
		body string
		code int
		want string
	}{
		{`{"type": "Normal", "message": "canary weight 20", "data": {"weight": 20}}`, 201, `"source":"api"`},
		{`{"message": "` + strings.Repeat("m", 4097) + `"}`, 422, `"field":"message"`},
		{`{"data": {`, 400, "invalid event"},
	} {
		if a := serve(t, f, request{method: "POST", target: "/api/v1/experiments/" + id + "/events", body: s.body}); a.Code != s.code || !strings.Contains(a.Body.String(), s.want) {
			t.Errorf("POST event %.40s: %d %s, want %d with %s", s.body, a.Code, a.Body, s.code, s.want)
		}
	}
	a := serve(t, f, request{method: "GET", target: "/api/v1/experiments/" + id + "/events"})
	if a.Code != http.StatusOK || !strings.Contains(a.Body.String(), `"message":"canary weight 20","data":{"weight":20}`) {
		t.Fatalf("events: %d %s", a.Code, a.Body)
	}
}
