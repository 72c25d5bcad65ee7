package ui

import (
	"bytes"
	"context"
	"html/template"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
)

// reportLike is a page's data that shows run controls, as the report does.
type reportLike struct {
	Controls
	Name string
}

func TestControlsBlock(t *testing.T) {
	u := &UI{forms: newForms()}
	partial, err := templateFiles.ReadFile("templates/_controls.html")
	if err != nil {
		t.Fatal(err)
	}
	// A page that leaves the hook, with the partial parsed after it (and
	// before it: the order must not matter).
	for _, order := range [][]string{{`{{block "controls" .}}{{end}}`, string(partial)}, {string(partial), `{{block "controls" .}}{{end}}`}} {
		tmpl := template.Must(template.Must(template.New("p").Funcs(funcs).Parse(order[0])).Parse(order[1]))
		tests := []struct {
			name string
			data any
			want []string
			none bool
		}{
			{"running", page{Data: reportLike{Controls: u.controlsFor(analysis.Experiment{ExperimentRecord: analysis.ExperimentRecord{ID: "e<1>"}, Status: "running"})}},
				[]string{`action="/experiments/e%3c1%3e/control"`, `value="pause"`, `value="abort" class="danger"`, `name="csrf" value="` + u.forms.token("control:e<1>") + `"`}, false},
			{"paused", reportLike{Controls: u.controlsFor(analysis.Experiment{ExperimentRecord: analysis.ExperimentRecord{ID: "e2"}, Status: "paused"})},
				[]string{`value="resume"`, `value="abort"`}, false},
			{"created", &reportLike{Controls: u.controlsFor(analysis.Experiment{ExperimentRecord: analysis.ExperimentRecord{ID: "e3"}, Status: "created"})},
				[]string{`value="start"`}, false},
			{"a page without controls", page{Data: struct{ Name string }{"x"}}, nil, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := tmpl.ExecuteTemplate(&buf, "p", tt.data); err != nil {
					t.Fatal(err)
				}
				got := buf.String()
				if tt.none != (strings.TrimSpace(got) == "") {
					t.Fatalf("rendered %q", got)
				}
				for _, s := range tt.want {
					if !strings.Contains(got, s) {
						t.Errorf("lacks %q: %s", s, got)
					}
				}
			})
		}
	}
}

func TestControlsPost(t *testing.T) {
	deps, m, _ := realDeps(t)
	ctx := context.Background()
	x, err := m.Create(ctx, testSpec(t, "controlled", nil), false)
	if err != nil {
		t.Fatal(err)
	}
	other, err := m.Create(ctx, testSpec(t, "other", nil), false)
	if err != nil {
		t.Fatal(err)
	}
	// The UI itself, to draw its controls as a report does.
	rend, err := newRenderer(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	u := &UI{deps: deps, r: rend, logger: slog.New(slog.DiscardHandler), forms: newForms()}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	for _, rt := range u.postRoutes() {
		r.POST(rt.path, rt.handler)
	}
	tok := func(id string) string {
		x, _ := m.Get(ctx, id)
		x.ID = id
		return u.controlsFor(x).Token
	}
	path := "/experiments/" + x.ID + "/control"
	steps := []struct {
		name, action, token string
		header              []string
		code                int
		status              string
	}{
		{"no token", "start", "", nil, 403, analysis.StatusCreated},
		{"another experiment's token", "start", tok(other.ID), nil, 403, analysis.StatusCreated},
		{"cross-site", "start", tok(x.ID), []string{"Sec-Fetch-Site", "cross-site"}, 403, analysis.StatusCreated},
		{"start", "start", tok(x.ID), nil, 303, string(analysis.RunRunning)},
		{"start a running run", "start", tok(x.ID), nil, 409, string(analysis.RunRunning)},
		{"pause", "pause", tok(x.ID), nil, 303, string(analysis.RunPaused)},
		{"resume", "resume", tok(x.ID), nil, 303, string(analysis.RunRunning)},
		{"an unknown action", "explode", tok(x.ID), nil, 400, string(analysis.RunRunning)},
		{"abort", "abort", tok(x.ID), nil, 303, string(analysis.RunAborted)},
	}
	for _, s := range steps {
		w := post(r, path, url.Values{"action": {s.action}, "csrf": {s.token}}, s.header...)
		got, _ := m.Get(ctx, x.ID)
		if w.Code != s.code || got.Status != s.status {
			t.Errorf("%s: %d, status %s; want %d, %s\n%s", s.name, w.Code, got.Status, s.code, s.status, w.Body.String())
		}
		if w.Code == 303 && w.Header().Get("Location") != "/experiments/"+x.ID {
			t.Errorf("%s: Location %q", s.name, w.Header().Get("Location"))
		}
	}
	if w := post(r, "/experiments/nope/control", url.Values{"action": {"start"}, "csrf": {tok("nope")}}); w.Code != 404 {
		t.Errorf("unknown experiment: %d", w.Code)
	}
}
