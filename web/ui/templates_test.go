package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state"
)

const uiTemplate = `name: canary
description: 'Canary of one app <b>bold</b>'
args:
  - {name: app, required: true, description: the app's name}
  - {name: ns, default: prod}
spec:
  apiVersion: augur/v1
  name: ${args.app}
  cohorts:
    baseline: 'ns="${args.ns}",app="${args.app}",track="stable"'
    canary: 'ns="${args.ns}",app="${args.app}",track="canary"'
  timing: {interval: 1m, lifetime: 10m}
  metrics:
    - {name: latency, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
`

func TestTemplatePages(t *testing.T) {
	deps, m, _ := realDeps(t)
	ctx := context.Background()
	tmpl, err := analysis.ParseTemplate(strings.NewReader(uiTemplate))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.PutTemplate(ctx, tmpl); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Instantiate(ctx, analysis.InstanceRequest{Template: "canary", Key: "deploy/42", Args: map[string]string{"app": "cart<script>alert(1)</script>"}}); err != nil {
		t.Fatal(err)
	}
	r := newTestRouter(t, deps)
	tests := []struct {
		name, path string
		code       int
		want       []string
	}{
		{"list", "/templates", 200, []string{`<a href="/templates/canary">canary</a>`, "Canary of one app &lt;b&gt;bold&lt;/b&gt;", "<code>app</code>, <code>ns</code>"}},
		{"view", "/templates/canary", 200, []string{
			"<td><code>ns</code></td><td><code>prod</code></td><td>no</td>",
			"<td><code>app</code></td><td><span class=\"muted\">none</span></td><td>yes</td><td>the app&#39;s name</td>",
			"name: ${args.app}", `deploy/42`, "cart&lt;script&gt;", `href="/?template=canary"`}},
		{"unknown", "/templates/nope", 404, []string{"Back to the experiments"}},
		{"the list filtered by template", "/?template=canary", 200, []string{"cart&lt;script&gt;", `<a href="/templates/canary">canary</a> <span class="muted">deploy/42</span>`}},
		{"none for another template", "/?template=other", 200, []string{"No experiment matches this filter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(r, tt.path, "text/html")
			body := w.Body.String()
			if w.Code != tt.code {
				t.Fatalf("%d: %s", w.Code, body)
			}
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("lacks %q:\n%s", s, body)
				}
			}
			if strings.Contains(body, "<script>alert(1)") || strings.Contains(body, "<b>bold") {
				t.Error("unescaped text")
			}
		})
	}
}

func TestTemplatesAndKayentaEmpty(t *testing.T) {
	for _, deps := range []Deps{{Experiments: listFake{}}, func() Deps { d, _, _ := realDeps(t); return d }()} {
		r := newTestRouter(t, deps)
		for path, want := range map[string]string{"/templates": "No templates yet", "/kayenta": "No Kayenta configs stored"} {
			if w := get(r, path, "text/html"); w.Code != 200 || !strings.Contains(w.Body.String(), want) {
				t.Errorf("%s: %d %s", path, w.Code, w.Body.String())
			}
		}
	}
}

func TestKayentaPage(t *testing.T) {
	deps, _, db := realDeps(t)
	body, _ := json.Marshal(map[string]any{"name": "latency" + hostile, "applications": []string{"checkout"},
		"metrics": []map[string]any{{"name": "p99"}, {"name": "errors"}}})
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if err := db.CreateKayentaConfig(context.Background(), state.KayentaConfig{ID: "cfg-1", Name: "latency" + hostile,
		Applications: []string{"checkout", "cart"}, Body: body, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	w := get(newTestRouter(t, deps), "/kayenta", "text/html")
	page := w.Body.String()
	for _, s := range []string{"<td>latency&lt;script&gt;", "<code>cfg-1</code>", "<td>checkout, cart</td>", "<td>2</td>", "2026-05-01 12:00 UTC", `&#34;name&#34;: &#34;p99&#34;`} {
		if !strings.Contains(page, s) {
			t.Errorf("lacks %q", s)
		}
	}
	if w.Code != http.StatusOK || strings.Contains(page, hostile) {
		t.Errorf("%d, or unescaped:\n%s", w.Code, page)
	}
}
