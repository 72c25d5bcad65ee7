package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state"
	"github.com/augurhq/augur/web"
)

// realDeps is a manager over a real SQLite state store (not started: runs
// are created but never judged).
func realDeps(t testing.TB) (Deps, *analysis.Manager, *state.Store) {
	t.Helper()
	ctx := context.Background()
	db, err := state.OpenSQLite(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := analysis.NewManager(analysis.DefaultManagerConfig(), db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Deps{Experiments: m, Templates: m, Kayenta: db}, m, db
}

// testSpec is a valid spec named name with labels.
func testSpec(t testing.TB, name string, labels map[string]string) analysis.Spec {
	t.Helper()
	s, p := web.CheckSpec([]byte(exampleSpec))
	if p != nil {
		t.Fatalf("example spec: %+v", p)
	}
	s.Name, s.Labels = name, labels
	return s
}

const hostile = `<script>alert("x")</script>`

func TestExperimentsList(t *testing.T) {
	deps, m, _ := realDeps(t)
	ctx := context.Background()
	for _, e := range []struct {
		name   string
		labels map[string]string
		start  bool
	}{
		{"checkout-canary", map[string]string{"team": "payments"}, true},
		{"search-canary", map[string]string{"team": "search"}, false},
		{"checkout-abn", map[string]string{"team": "payments", "tier": "gold"}, false},
		{"evil" + hostile, map[string]string{"owner": hostile}, false},
	} {
		if _, err := m.Create(ctx, testSpec(t, e.name, e.labels), e.start); err != nil {
			t.Fatal(err)
		}
	}
	r := newTestRouter(t, deps)
	tests := []struct {
		name, query string
		want        []string // experiments listed, in order
		contains    []string
	}{
		{"all, newest first", "", []string{"evil" + hostile, "checkout-abn", "search-canary", "checkout-canary"}, []string{`href="/new"`}},
		{"by label", "label=team%3Dpayments", []string{"checkout-abn", "checkout-canary"}, []string{`value="team=payments"`}},
		{"by two labels in one field", "label=team%3Dpayments+tier%3Dgold", []string{"checkout-abn"}, nil},
		{"by status", "status=running", []string{"checkout-canary"}, []string{"<option selected>running</option>"}},
		{"by text, any case", "text=CHECKOUT", []string{"checkout-abn", "checkout-canary"}, nil},
		{"by verdict: none yet", "verdict=none", []string{"evil" + hostile, "checkout-abn", "search-canary", "checkout-canary"}, nil},
		{"by verdict: pass", "verdict=pass", nil, []string{"No experiment matches this filter", `<a href="/">Show all experiments</a>`}},
		{"invalid filters are named and ignored", "status=bogus&label=oops&limit=0", []string{"evil" + hostile, "checkout-abn", "search-canary", "checkout-canary"},
			[]string{`Ignored: status &#34;bogus&#34; is none of created, running, paused, completed, aborted`, `Ignored: label &#34;oops&#34;: want name=value`, `Ignored: limit &#34;0&#34;: want 1 to 500`}},
		{"hostile query values are escaped", "text=" + url.QueryEscape(hostile), []string{"evil" + hostile}, []string{`value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(r, "/?"+tt.query, "text/html")
			body := w.Body.String()
			if w.Code != http.StatusOK {
				t.Fatalf("%d: %s", w.Code, body)
			}
			if got := listedNames(body); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("listed %q, want %q", got, tt.want)
			}
			for _, s := range tt.contains {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			if strings.Contains(body, hostile) {
				t.Error("a hostile value is not escaped")
			}
		})
	}
}

var nameRE = regexp.MustCompile(`<td><a href="/experiments/[^"]+">([^<]*)</a>`)

// listedNames are the experiment names of a list page's rows, unescaped.
func listedNames(body string) []string {
	var out []string
	for _, m := range nameRE.FindAllStringSubmatch(body, -1) {
		out = append(out, strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`).Replace(m[1]))
	}
	return out
}

func TestExperimentsEmpty(t *testing.T) {
	deps, _, _ := realDeps(t)
	w := get(newTestRouter(t, deps), "/", "text/html")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "No experiments yet") || !strings.Contains(w.Body.String(), `<a class="button" href="/new">Write your first experiment</a>`) {
		t.Errorf("%d %s", w.Code, w.Body.String())
	}
}

func TestExperimentsRowsFragment(t *testing.T) {
	deps, m, _ := realDeps(t)
	x, err := m.Create(context.Background(), testSpec(t, "live", nil), true)
	if err != nil {
		t.Fatal(err)
	}
	r := newTestRouter(t, deps)
	page := get(r, "/?text=li", "text/html").Body.String()
	if !strings.Contains(page, `data-rows="/?fragment=rows&amp;text=li" data-live`) || !strings.Contains(page, "<noscript>") {
		t.Errorf("the page of a running experiment does not update live:\n%s", page)
	}
	w := get(r, "/?fragment=rows&text=li", "text/html")
	body := w.Body.String()
	if !strings.HasPrefix(body, "<tbody") || strings.Contains(body, "<html") || !strings.Contains(body, `data-experiment="`+x.ID+`"`) || !strings.Contains(body, " data-live") {
		t.Errorf("fragment: %s", body)
	}
	if _, err := m.Abort(context.Background(), x.ID); err != nil {
		t.Fatal(err)
	}
	if body := get(r, "/?fragment=rows&text=li", "text/html").Body.String(); strings.Contains(body, "data-live") || !strings.Contains(body, ">aborted<") {
		t.Errorf("an aborted run still updates live: %s", body)
	}
}

// listFake serves a fixed list (a fake is enough for paging).
type listFake struct {
	web.Experiments
	xs []analysis.Experiment
}

func (f listFake) Find(context.Context, analysis.ExperimentFilter) ([]analysis.Experiment, error) {
	return f.xs, nil
}

// thousand are 1,000 experiments, a fifth of them running, half judged.
func thousand() []analysis.Experiment {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	xs := make([]analysis.Experiment, 1000)
	for i := range xs {
		x := analysis.Experiment{ExperimentRecord: analysis.ExperimentRecord{ID: fmt.Sprintf("exp-%04d", i),
			Spec: analysis.Spec{Name: fmt.Sprintf("service-%d-canary", i), Kind: analysis.KindCanary, Labels: map[string]string{"team": fmt.Sprintf("t%d", i%7)}}},
			Status: string(analysis.RunCompleted), Window: &analysis.TimeRange{Start: start, End: start.Add(time.Hour)}, Judged: 12, Intervals: 12}
		if i%5 == 0 {
			x.Status, x.Judged = string(analysis.RunRunning), 5
		}
		if i%2 == 0 && x.Status == string(analysis.RunCompleted) {
			score := 97.5
			x.Verdict = &analysis.Verdict{Verdict: "pass", Score: &score, Reason: "every metric passed"}
		}
		xs[i] = x
	}
	return xs
}

func TestExperimentsPaging(t *testing.T) {
	r := newTestRouter(t, Deps{Experiments: listFake{xs: thousand()}})
	tests := []struct {
		query               string
		first, last         string
		rows                int
		prev, next, summary string
	}{
		{"", "exp-0000", "exp-0049", 50, "", `href="/?offset=50" rel="next"`, "1–50 of 1000"},
		{"offset=50", "exp-0050", "exp-0099", 50, `href="/" rel="prev"`, `href="/?offset=100" rel="next"`, "51–100 of 1000"},
		{"limit=300&offset=900", "exp-0900", "exp-0999", 100, `href="/?limit=300&amp;offset=600" rel="prev"`, "", "901–1000 of 1000"},
		{"verdict=pass&limit=10", "exp-0002", "exp-0024", 10, "", `href="/?limit=10&amp;offset=10&amp;verdict=pass" rel="next"`, "1–10 of 400"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			body := get(r, "/?"+tt.query, "text/html").Body.String()
			ids := regexp.MustCompile(`data-experiment="([^"]+)"`).FindAllStringSubmatch(body, -1)
			if len(ids) != tt.rows || ids[0][1] != tt.first || ids[len(ids)-1][1] != tt.last {
				t.Fatalf("%d rows, want %d from %s to %s", len(ids), tt.rows, tt.first, tt.last)
			}
			for _, s := range []string{tt.prev, tt.next, tt.summary} {
				if s != "" && !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			if tt.prev == "" && strings.Contains(body, `rel="prev"`) || tt.next == "" && strings.Contains(body, `rel="next"`) {
				t.Error("a link past the list's end")
			}
		})
	}
}

// BenchmarkExperimentsPage1000 is the page's own share: filtering,
// paging and rendering 1,000 experiments the manager has already read.
func BenchmarkExperimentsPage1000(b *testing.B) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	if err := Register(r, Deps{Experiments: listFake{xs: thousand()}}, nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?limit=500", nil))
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkExperimentsList1000 renders the list of 1,000 experiments kept
// in a real SQLite state store, through the manager, as augur serve does.
func BenchmarkExperimentsList1000(b *testing.B) {
	deps, m, _ := realDeps(b)
	ctx := context.Background()
	for i := range 1000 {
		if _, err := m.Create(ctx, testSpec(b, fmt.Sprintf("service-%d-canary", i), map[string]string{"team": fmt.Sprintf("t%d", i%7)}), i%5 == 0); err != nil {
			b.Fatal(err)
		}
	}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	if err := Register(r, deps, nil); err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{"", "label=team%3Dt3&limit=500"} {
		b.Run("query="+q, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/?"+q, nil)
				w := httptest.NewRecorder()
				r.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
