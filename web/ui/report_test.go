package ui

import (
	"html"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/augurhq/augur/web/ui/chart"
)

func reportRouter(t testing.TB, n int) (http.Handler, *fakeExperiments, *fakeSources) {
	exps, src := fixture(n), &fakeSources{}
	if tt, ok := t.(*testing.T); ok {
		return newTestRouter(tt, Deps{Experiments: exps, Sources: src, Deliveries: fakeDeliveries{}}), exps, src
	}
	b := t.(*testing.B)
	r := newBenchRouter(b, Deps{Experiments: exps, Sources: src})
	return r, exps, src
}

func TestReportPage(t *testing.T) {
	r, exps, _ := reportRouter(t, 6)
	for _, path := range []string{"/experiments/exp1", "/experiments/exp1/runs/run1"} {
		t.Run(path, func(t *testing.T) {
			w := get(r, path, "text/html")
			body := w.Body.String()
			if w.Code != http.StatusOK {
				t.Fatalf("%d: %s", w.Code, body)
			}
			want := []string{
				`data-verdict="pass"`, html.EscapeString("all metrics pass " + evil), "97.5",
				`href="/api/v1/experiments/exp1/verdict"`, `href="/api/v1/runs/run1"`,
				// health: coverage from the reason, pods, the no-data metric and its query
				"baseline data cover 60% of the window", "imbalanced",
				html.EscapeString(`canary: no data from up{version="v2",job="` + evil + `"}`),
				// the log pattern and its example with its trace
				html.EscapeString("payment failed " + evil), "trace abc123",
				// the forest plot, the delivery, the other run
				`<svg class="forest"`, html.EscapeString(evil), `/experiments/exp1/runs/run0`,
				"<td>hook</td><td>verdict</td><td>dead</td><td>3</td>", html.EscapeString("hook: 400 Bad Request: " + evil),
			}
			for _, m := range exps.runs[0].Verdict.Metrics {
				want = append(want, `data-reason>`+html.EscapeString(m.Reason))
			}
			for _, s := range want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			if strings.Contains(body, evil) || strings.Contains(body, "<script>alert") {
				t.Error("a hostile string reached the page unescaped")
			}
			if got := strings.Count(body, `<img class="chart"`); got != 6*2+1 {
				t.Errorf("%d chart images, want a series and a distribution per metric and a sequence for the sequential one", got)
			}
		})
	}
}

func TestReportQueryLinks(t *testing.T) {
	r, _, _ := reportRouter(t, 2)
	body := get(r, "/experiments/exp1", "text/html").Body.String()
	for _, s := range []string{
		// points: the exact query over the window at the step
		`/api/v1/query_range?end=1772360400.000&amp;query=rate%28x%7Bversion%3D%22v1%22`,
		`&amp;start=1772359200.000&amp;step=60`,
		// histogram: an instant query at the window's end
		`/api/v1/query?query=sum%28increase%28h%7Bversion%3D%22v2%22%7D%5B20m%5D%29%29&amp;time=1772360400.000`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks link %q", s)
		}
	}
}

func TestReportNotFound(t *testing.T) {
	r, exps, _ := reportRouter(t, 1)
	exps.runs = append(exps.runs, exps.runs[0])
	exps.runs[2].ID, exps.runs[2].ExperimentID = "foreign", "exp2"
	for _, path := range []string{"/experiments/nope", "/experiments/exp1/runs/nope", "/experiments/exp1/runs/foreign", "/experiments/" + "%3Cscript%3E"} {
		t.Run(path, func(t *testing.T) {
			w := get(r, path, "text/html")
			if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `<a href="/">Back to the experiments</a>`) || strings.Contains(w.Body.String(), "<script>") {
				t.Errorf("%d %s", w.Code, w.Body.String())
			}
		})
	}
	w := get(r, "/experiments/nope/runs/run1/charts/m/series.svg", "")
	if w.Code != http.StatusNotFound || !strings.HasPrefix(w.Header().Get("Content-Type"), "image/svg+xml") {
		t.Errorf("chart of an unknown experiment: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
}

func TestReportNeverRan(t *testing.T) {
	r, exps, _ := reportRouter(t, 1)
	exps.x.Run, exps.runs = "", nil
	w := get(r, "/experiments/exp1", "text/html")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "has not run yet") {
		t.Errorf("%d %s", w.Code, w.Body.String())
	}
}

func chartURL(metric, kind string) string {
	return "/experiments/exp1/runs/run1/charts/" + strings.NewReplacer("<", "%3C", ">", "%3E", `"`, "%22", "'", "%27", "/", "%2F", "&", "%26").Replace(metric) + "/" + kind
}

func readChart(t *testing.T, r http.Handler, url string) chart.Drawn {
	t.Helper()
	w := get(r, url, "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/svg+xml; charset=utf-8" {
		t.Fatalf("%s: %d %s: %s", url, w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
	if strings.Contains(w.Body.String(), "<script>") {
		t.Fatalf("%s: hostile text unescaped", url)
	}
	d, err := chart.Read(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// levels checks that every series of a group lies at one of the values.
func levels(t *testing.T, d chart.Drawn, group string, wantPaths int, vals ...float64) {
	t.Helper()
	paths := d.Series[group]
	if len(paths) != wantPaths {
		t.Fatalf("%s: %d paths, want %d (%v)", group, len(paths), wantPaths, d.Messages)
	}
	for _, p := range paths {
		if len(p) == 0 {
			t.Errorf("%s: an empty path", group)
		}
		for _, pt := range p {
			ok := false
			for _, v := range vals {
				ok = ok || math.Abs(pt.Y-v) < 0.01
			}
			if !ok {
				t.Errorf("%s: a point at %v, want one of %v", group, pt, vals)
			}
		}
	}
}

func TestReportCharts(t *testing.T) {
	r, exps, src := reportRouter(t, 6)
	names := make([]string, 6)
	for i, m := range exps.runs[0].Spec.Metrics {
		names[i] = m.Name
	}
	t.Run("series of both cohorts over the window", func(t *testing.T) {
		d := readChart(t, r, chartURL(names[0], "series.svg"))
		levels(t, d, "baseline", 2, 1, 1.1)
		levels(t, d, "canary", 2, 2, 2.1)
		if n := len(d.Series["canary"][0]); n != 21 {
			t.Errorf("%d points, want 21 (20 minutes at 1m)", n)
		}
	})
	t.Run("histogram series rendered at the step", func(t *testing.T) {
		src.asked = nil
		d := readChart(t, r, chartURL(names[1], "series.svg"))
		if len(d.Series["baseline"]) == 0 || len(d.Series["canary"]) == 0 {
			t.Fatalf("series %v", d)
		}
		if len(src.asked) != 2 || src.asked[0].Expr != `sum(increase(h{version="v1"}[1m]))` || src.asked[0].Step == 0 {
			t.Errorf("asked %+v", src.asked)
		}
	})
	t.Run("request-level distribution from histogram buckets", func(t *testing.T) {
		d := readChart(t, r, chartURL(names[1], "distribution.svg"))
		want := map[string][]chart.Point{"baseline": {{X: 1, Y: 0.6}, {X: 2, Y: 1}}, "canary": {{X: 2, Y: 0.6}, {X: 4, Y: 1}}}
		for g, w := range want {
			got := d.Series[g]
			if len(got) != 1 || len(got[0]) != 2 {
				t.Fatalf("%s: %v", g, got)
			}
			for i := range w {
				if math.Abs(got[0][i].X-w[i].X) > 0.05 || math.Abs(got[0][i].Y-w[i].Y) > 0.01 {
					t.Errorf("%s corner %d at %v, want %v", g, i, got[0][i], w[i])
				}
			}
		}
	})
	t.Run("confidence sequence with the margin", func(t *testing.T) {
		w := get(r, chartURL(names[2], "sequence.svg"), "")
		if !strings.Contains(w.Body.String(), `class="band"`) || !strings.Contains(w.Body.String(), `class="margin"`) {
			t.Errorf("no band or margin: %s", w.Body.String())
		}
		d, _ := chart.Read(w.Body.Bytes())
		if est := d.Series["estimate"]; len(est) != 1 || len(est[0]) != 4 {
			t.Errorf("estimate %v, want one per look", est)
		}
	})
	t.Run("no data says which cohort and query", func(t *testing.T) {
		d := readChart(t, r, chartURL(names[3], "series.svg"))
		if len(d.Series["baseline"]) != 2 || !strings.Contains(strings.Join(d.Messages, " "), `canary: no data from up{version="v2",job="`+evil) {
			t.Errorf("drawn %v, messages %q", d.Series, d.Messages)
		}
	})
	t.Run("not a sequential metric", func(t *testing.T) {
		d := readChart(t, r, chartURL(names[0], "sequence.svg"))
		if len(d.Messages) == 0 || !strings.Contains(d.Messages[0], "Only sequential") {
			t.Errorf("messages %q", d.Messages)
		}
	})
	t.Run("source error", func(t *testing.T) {
		exps.runs[0].Verdict.Metrics[0].Canary.Query = "broken"
		defer func() { exps.runs[0].Verdict.Metrics[0].Canary.Query = `rate(x{version="v2"}[1m])` }()
		d := readChart(t, r, chartURL(names[0], "series.svg"))
		if !strings.Contains(strings.Join(d.Messages, " "), "connection refused "+evil) {
			t.Errorf("messages %q", d.Messages)
		}
	})
	t.Run("unknown metric and chart", func(t *testing.T) {
		for _, u := range []string{chartURL("nope", "series.svg"), chartURL(names[0], "pie.svg")} {
			if w := get(r, u, ""); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `class="msg"`) {
				t.Errorf("%s: %d", u, w.Code)
			}
		}
	})
}

func TestReportChartsWithoutSources(t *testing.T) {
	r := newTestRouter(t, Deps{Experiments: fixture(1)})
	d := readChart(t, r, chartURL(fixture(1).runs[0].Spec.Metrics[0].Name, "series.svg"))
	if len(d.Messages) == 0 || !strings.Contains(d.Messages[0], "No source") {
		t.Errorf("messages %q", d.Messages)
	}
}

// TestReportHasRunControls: the report shows the controls its run's
// status allows, with the form's token.
func TestReportHasRunControls(t *testing.T) {
	r, _, _ := reportRouter(t, 1)
	body := get(r, "/experiments/exp1", "text/html").Body.String()
	for _, s := range []string{`action="/experiments/exp1/control"`, `name="csrf" value="`, `value="start"`} {
		if !strings.Contains(body, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	if strings.Contains(body, `value="abort"`) {
		t.Error("a completed run offers abort")
	}
}
