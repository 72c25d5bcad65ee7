package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/web"
)

// post sends a form from augur's own page unless header says otherwise.
func post(r http.Handler, path string, form url.Values, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// formToken reads the page's hidden token.
func formToken(t *testing.T, r http.Handler, path string) string {
	t.Helper()
	body := get(r, path, "text/html").Body.String()
	_, rest, ok := strings.Cut(body, `name="csrf" value="`)
	if !ok {
		t.Fatalf("%s has no form token:\n%s", path, body)
	}
	tok, _, _ := strings.Cut(rest, `"`)
	return tok
}

// invalidSpec has an unknown judge type on line 17.
var invalidSpec = strings.Replace(exampleSpec, "type: mannwhitney", "type: coinflip", 1)

func TestExampleSpecIsValid(t *testing.T) {
	s, p := web.CheckSpec([]byte(exampleSpec))
	if p != nil || s.Kind != analysis.KindCanary || len(s.Metrics) != 2 {
		t.Fatalf("%+v %+v", s, p)
	}
}

func TestEditorForm(t *testing.T) {
	deps, m, _ := realDeps(t)
	r := newTestRouter(t, deps)
	tok := formToken(t, r, "/new")
	if body := get(r, "/new", "text/html").Body.String(); !strings.Contains(body, "# An experiment compares a canary cohort") {
		t.Fatalf("the editor is not prefilled with the example:\n%s", body)
	}
	form := func(spec, action, token string) url.Values {
		return url.Values{"spec": {spec}, "action": {action}, "csrf": {token}}
	}
	named := func(name string) string {
		return strings.Replace(exampleSpec, "name: checkout-v2-canary", "name: "+name, 1)
	}
	tests := []struct {
		name     string
		form     url.Values
		header   []string
		code     int
		contains []string
		created  string // the experiment's name, and its status after
		status   string
	}{
		{"validate shows the field's error at its line", form(invalidSpec, "validate", tok), nil, 422,
			[]string{`<li class="field-error" data-field="metrics[0].judge.type" data-line="`, `unknown judge`, "coinflip"}, "", ""},
		{"validate of an undecodable spec names the line", form("apiVersion: augur/v1\ncolour: red\n", "validate", tok), nil, 400,
			[]string{`data-field="colour" data-line="2"`, `unknown field &#34;colour&#34; (line 2)`}, "", ""},
		{"a missing field is shown at its mapping", form(strings.Replace(exampleSpec, "  canary: 'service_version=\"v2\"'\n", "", 1), "validate", tok), nil, 422,
			[]string{`data-field="cohorts.canary" data-line="8"`}, "", ""},
		{"validate of a valid spec", form(exampleSpec, "validate", tok), nil, 200, []string{`Valid canary experiment &#34;checkout-v2-canary&#34;: 2 metrics`}, "", ""},
		{"an invalid spec is not created, and is kept in the editor", form(strings.Replace(invalidSpec, "checkout-v2-canary", "kept"+hostile, 1), "start", tok), nil, 422,
			[]string{"name: kept&lt;script&gt;"}, "", ""},
		{"create", form(named("created"), "create", tok), nil, 303, nil, "created", analysis.StatusCreated},
		{"create and start", form(named("started"), "start", tok), nil, 303, nil, "started", string(analysis.RunRunning)},
		{"without a token", form(named("no-token"), "start", ""), nil, 403, []string{"token is missing or stale"}, "", ""},
		{"with a forged token", form(named("forged"), "start", "AAAA"), nil, 403, []string{"token is missing or stale"}, "", ""},
		{"from another site", form(named("cross-site"), "start", tok), []string{"Sec-Fetch-Site", "cross-site"}, 403, []string{"another site"}, "", ""},
		{"from another origin", form(named("other-origin"), "start", tok), []string{"Origin", "http://evil.example"}, 403, []string{"another site"}, "", ""},
		{"from the same origin", form(named("same-origin"), "create", tok), []string{"Origin", "http://example.com", "Sec-Fetch-Site", "same-origin"}, 303, nil, "same-origin", analysis.StatusCreated},
		{"an unknown action", form(named("unknown"), "launch", tok), nil, 400, []string{"Unknown action &#34;launch&#34;"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := m.List(context.Background())
			w := post(r, "/new", tt.form, tt.header...)
			body := w.Body.String()
			if w.Code != tt.code {
				t.Fatalf("%d, want %d: %s", w.Code, tt.code, body)
			}
			for _, s := range tt.contains {
				if !strings.Contains(body, s) {
					t.Errorf("answer lacks %q:\n%s", s, body)
				}
			}
			if strings.Contains(body, hostile) {
				t.Error("unescaped spec text")
			}
			after, _ := m.List(context.Background())
			if tt.created == "" {
				if len(after) != len(before) {
					t.Errorf("a refused form created an experiment")
				}
				return
			}
			x := after[0]
			if len(after) != len(before)+1 || x.Spec.Name != tt.created || x.Status != tt.status {
				t.Fatalf("created %d, the newest %q %s; want %q %s", len(after)-len(before), x.Spec.Name, x.Status, tt.created, tt.status)
			}
			if loc := w.Header().Get("Location"); loc != "/experiments/"+x.ID {
				t.Errorf("Location %q, want the report", loc)
			}
		})
	}
}

func TestEditForm(t *testing.T) {
	deps, m, _ := realDeps(t)
	x, err := m.Create(context.Background(), testSpec(t, "to-edit", nil), false)
	if err != nil {
		t.Fatal(err)
	}
	r := newTestRouter(t, deps)
	path := "/experiments/" + x.ID + "/edit"
	page := get(r, path, "text/html").Body.String()
	if !strings.Contains(page, "name: to-edit") || !strings.Contains(page, `name="version" value="1"`) {
		t.Fatalf("the editor lacks the spec or its version:\n%s", page)
	}
	tok := formToken(t, r, path)
	if tok == formToken(t, r, "/new") {
		t.Error("the edit form shares the new form's token")
	}
	edited := strings.Replace(exampleSpec, "checkout-v2-canary", "edited", 1)
	steps := []struct {
		name    string
		form    url.Values
		code    int
		want    string
		version int64
	}{
		{"the new form's token is refused", url.Values{"spec": {edited}, "action": {"save"}, "version": {"1"}, "csrf": {formToken(t, r, "/new")}}, 403, "to-edit", 1},
		{"save", url.Values{"spec": {edited}, "action": {"save"}, "version": {"1"}, "csrf": {tok}}, 303, "edited", 2},
		{"a stale version", url.Values{"spec": {exampleSpec}, "action": {"save"}, "version": {"1"}, "csrf": {tok}}, 409, "edited", 2},
	}
	for _, s := range steps {
		w := post(r, path, s.form)
		got, _ := m.Get(context.Background(), x.ID)
		if w.Code != s.code || got.Spec.Name != s.want || got.Version != s.version {
			t.Errorf("%s: %d, name %q version %d; want %d, %q, %d\n%s", s.name, w.Code, got.Spec.Name, got.Version, s.code, s.want, s.version, w.Body.String())
		}
	}
	if w := get(r, "/experiments/nope/edit", "text/html"); w.Code != 404 || !strings.Contains(w.Body.String(), "Back to the experiments") {
		t.Errorf("unknown experiment: %d", w.Code)
	}
}

func TestValidateJSON(t *testing.T) {
	deps, _, _ := realDeps(t)
	r := newTestRouter(t, deps)
	tests := []struct {
		name, body string
		header     []string
		code       int
		want       string
	}{
		{"valid", exampleSpec, nil, 200, `{"summary":"Valid canary experiment \"checkout-v2-canary\": 2 metrics, judged every 5m for 1h.","valid":true}`},
		{"invalid, with the line", invalidSpec, nil, 200, `"field":"metrics[0].judge.type","message":"unknown judge`},
		{"empty", " ", nil, 200, `"error":"empty spec`},
		{"cross-site", exampleSpec, []string{"Sec-Fetch-Site", "cross-site"}, 403, "another site"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/ui/validate", strings.NewReader(tt.body))
			for i := 0; i+1 < len(tt.header); i += 2 {
				req.Header.Set(tt.header[i], tt.header[i+1])
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != tt.code || !strings.Contains(w.Body.String(), tt.want) {
				t.Errorf("%d %s, want %d with %q", w.Code, w.Body.String(), tt.code, tt.want)
			}
		})
	}
}
