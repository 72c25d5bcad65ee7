package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"go.yaml.in/yaml/v3"

	"github.com/augurhq/augur/analysis"
)

// The browser tests drive Debian's chromium, headless, through the
// DevTools protocol. One browser serves the whole test binary; each test
// opens its own tab. They save a screenshot of each page they visit when
// AUGUR_SCREENSHOTS names a directory (make screenshots).

var browser struct {
	once   sync.Once
	ctx    context.Context // the browser's; a tab is a context made from it
	cancel func()
	err    error
}

// chromiumPath finds the browser; "" when none is installed.
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func startBrowser() {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath()), chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // chromium refuses its sandbox to root
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	browser.ctx, browser.cancel = bctx, func() { bcancel(); acancel() }
	browser.err = chromedp.Do(bctx) // starts it
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

// tab is a browser tab that records the page's console errors and uncaught
// exceptions.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	mu   sync.Mutex
	errs []string
}

func newTab(t *testing.T, base string) *tab {
	t.Helper()
	if chromiumPath() == "" {
		t.Skip("chromium is not installed: scripts/deps.sh (run by make test) installs Debian's chromium")
	}
	browser.once.Do(startBrowser)
	if browser.err != nil {
		t.Fatalf("starting chromium: %v", browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx)
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	tb := &tab{t: t, ctx: ctx, base: base}
	if err := chromedp.Listen(ctx, tb.record); err != nil {
		t.Fatal(err)
	}
	tb.do(chromedp.EmulateViewport(1280, 900))
	return tb
}

func (tb *tab) record(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var args []string
		for _, a := range ev.Args {
			args = append(args, a.Value.String())
		}
		msg = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
	case *runtime.EventExceptionThrown:
		msg = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			msg += " " + ev.ExceptionDetails.Exception.Description
		}
	default:
		return
	}
	tb.mu.Lock()
	tb.errs = append(tb.errs, msg)
	tb.mu.Unlock()
}

func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.t.Fatal(err)
	}
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (tb *tab) eval(js string) string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		tb.t.Fatalf("%s: %v", js, err)
	}
	return s
}

// evalAsync evaluates js, which yields a promise of a string.
func (tb *tab) evalAsync(js string) string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("%s: %v", js, err)
	}
	return s
}

// open loads a page and waits for sel to show.
func (tb *tab) open(path, sel string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.base+path), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// shot saves the page as dir/name.png when AUGUR_SCREENSHOTS is set.
func (tb *tab) shot(name string) {
	tb.t.Helper()
	dir := os.Getenv("AUGUR_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// noErrors fails the test with every console error and exception seen.
func (tb *tab) noErrors() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, e := range tb.errs {
		tb.t.Errorf("browser console: %s", e)
	}
}

// put sends body to the server and wants want back.
func put(t *testing.T, method, url, contentType, body string, want int) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d", method, url, resp.StatusCode, want)
	}
}

const browserTemplate = `name: checkout-canary
description: The checkout service's canary, by version
args:
  - {name: version, required: true, description: the canary's version}
  - {name: baseline, default: v1}
spec:
  apiVersion: augur/v1
  name: checkout-${args.version}
  cohorts:
    baseline: 'service_version="${args.baseline}"'
    canary: 'service_version="${args.version}"'
  timing: {interval: 5m, lifetime: 20m}
  metrics:
    - name: latency_p99
      query: 'histogram_quantile(0.99, sum by (le, service_instance_id) (rate(augur_span_duration_seconds_bucket{service_name="checkout",${cohort}}[2m])))'
      judge: {type: mannwhitney, direction: increase}
`

// TestBrowserPages drives the pages in chromium after the demo's data:
// the list shows the experiment and its verdict, the templates and
// Kayenta pages show what was stored, and the editor shows a field's
// error for an invalid spec and creates and starts a valid one, with no
// console error on any page.
func TestBrowserPages(t *testing.T) {
	srv := startServer(t, nil)
	tb := newTab(t, srv.URL())
	end := time.Now().Truncate(time.Minute)
	start := end.Add(-20 * time.Minute)
	sendTraffic(t, srv, start, end)
	sendLogs(t, srv, start, end, true)
	exp := createExperiment(t, srv, DemoSpec(start, end))
	v, err := waitVerdict(context.Background(), srv.URL(), exp.ID)
	if err != nil {
		t.Fatal(err)
	}
	put(t, "PUT", srv.URL()+"/api/v1/templates/checkout-canary", "application/yaml", browserTemplate, http.StatusCreated)
	put(t, "POST", srv.URL()+"/api/v1/templates/checkout-canary/instances", "application/json", `{"key":"deploy-7","args":{"version":"v2"}}`, http.StatusCreated)
	kayenta, err := os.ReadFile("../../../web/kayentaapi/testdata/checkout.json")
	if err != nil {
		t.Fatal(err)
	}
	put(t, "POST", srv.URL()+"/kayenta/canaryConfig", "application/json", string(kayenta), http.StatusOK)

	t.Run("the list shows the experiment and its verdict", func(t *testing.T) {
		tb.t = t
		row := `tr[data-experiment="` + exp.ID + `"]`
		tb.open("/", row)
		got := strings.ToLower(tb.text(row))
		for _, want := range []string{"checkout-v2-canary", "team=payments", string(v.Verdict), "completed"} {
			if !strings.Contains(got, want) {
				t.Errorf("row %q lacks %q", got, want)
			}
		}
		if href := tb.eval(`document.querySelector('` + row + ` a').getAttribute("href")`); href != "/experiments/"+exp.ID {
			t.Errorf("the row links to %q, want the report", href)
		}
		tb.shot("experiments")
		tb.do(chromedp.Click(chromedp.CSS("[data-theme-toggle]")))
		if theme := tb.eval(`document.documentElement.getAttribute("data-theme") || ""`); theme == "" {
			t.Error("the theme toggle set no theme")
		}
		tb.shot("experiments-theme")
		tb.do(chromedp.Click(chromedp.CSS("[data-theme-toggle]")))
		// On a phone the table scrolls inside its box; the page does not.
		tb.do(chromedp.EmulateViewport(390, 844))
		if w := tb.eval(`String(document.documentElement.scrollWidth)`); atoiOr0(w) > 390 {
			t.Errorf("the list is %s px wide on a 390 px phone", w)
		}
		tb.shot("experiments-phone")
		tb.do(chromedp.EmulateViewport(1280, 900))

		tb.open("/?label=team%3Dpayments&verdict="+string(v.Verdict), row)
		tb.open("/?label=team%3Dnobody", "p.empty")
	})

	t.Run("the report shows the verdict, every reason, both cohorts in every chart and the log patterns", func(t *testing.T) {
		tb.t = t
		tb.open("/experiments/"+exp.ID, "section#charts")
		main := tb.text("main")
		if !strings.Contains(strings.ToLower(main), string(v.Verdict)) {
			t.Errorf("the report does not show the verdict %s", v.Verdict)
		}
		for _, m := range v.Metrics {
			if !strings.Contains(main, m.Reason) {
				t.Errorf("the report lacks %s's reason %q", m.Name, m.Reason)
			}
		}
		// Each series chart, fetched and parsed as the browser draws it:
		// the number of points of each cohort's paths.
		got := tb.evalAsync(`(async () => {
			const out = {};
			for (const fig of document.querySelectorAll("figure.metric-charts")) {
				const img = fig.querySelector('img.chart[src*="/series.svg"]');
				const svg = new DOMParser().parseFromString(await (await fetch(img.src)).text(), "image/svg+xml");
				const n = {};
				for (const p of svg.querySelectorAll("path[data-series]")) {
					const g = p.getAttribute("data-series");
					n[g] = (n[g] || 0) + (p.getAttribute("d").match(/[ML]/g) || []).length;
				}
				out[fig.getAttribute("data-metric")] = n;
			}
			return JSON.stringify(out);
		})()`)
		var points map[string]map[string]int
		if err := json.Unmarshal([]byte(got), &points); err != nil {
			t.Fatalf("%v: %s", err, got)
		}
		if len(points) != len(v.Metrics) {
			t.Errorf("%d metrics charted, want %d: %s", len(points), len(v.Metrics), got)
		}
		for m, n := range points {
			if n["baseline"] < 2 || n["canary"] < 2 {
				t.Errorf("%s: series chart draws %v points, want both cohorts", m, n)
			}
		}
		// Every image loads (none replaced by the failure note); they are
		// lazy, so have them all load now.
		tb.eval(`document.querySelectorAll("img.chart").forEach(i => { i.loading = "eager"; }); ""`)
		if _, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](`Array.from(document.querySelectorAll("img.chart")).every(i => i.complete)`)); err != nil {
			t.Fatal(err)
		}
		if broken := tb.eval(`String(document.querySelectorAll("section#charts p.note").length)`); broken != "0" {
			t.Errorf("%s charts failed to load", broken)
		}
		if rows := tb.eval(`String(document.querySelectorAll("section#logs table.patterns tr").length)`); atoiOr0(rows) < 2 {
			t.Errorf("the log-pattern table has %s rows, want the new error's pattern", rows)
		}
		tb.shot("report")
		tb.do(chromedp.EmulateViewport(390, 844))
		if w := tb.eval(`String(document.documentElement.scrollWidth)`); atoiOr0(w) > 390 {
			t.Errorf("the report is %s px wide on a 390 px phone", w)
		}
		tb.do(chromedp.EmulateViewport(1280, 900))
	})

	t.Run("templates and Kayenta configs", func(t *testing.T) {
		tb.t = t
		tb.open("/templates", `a[href="/templates/checkout-canary"]`)
		tb.shot("templates")
		tb.open("/templates/checkout-canary", "pre.yaml")
		if got := tb.text("main"); !strings.Contains(got, "the canary's version") || !strings.Contains(got, "deploy-7") || !strings.Contains(got, "checkout-v2") {
			t.Errorf("template page: %s", got)
		}
		tb.shot("template")
		tb.open("/kayenta", "table")
		if got := tb.text("main"); !strings.Contains(got, "checkout-latency") || !strings.Contains(got, "checkout") {
			t.Errorf("kayenta page: %s", got)
		}
		tb.shot("kayenta")
	})

	t.Run("the editor shows a field's error and creates a valid spec", func(t *testing.T) {
		tb.t = t
		tb.open("/new", "textarea#spec")
		tb.shot("editor")
		valid := DemoSpec(start, end)
		valid.Name = "from-the-editor"
		b, err := yaml.Marshal(valid)
		if err != nil {
			t.Fatal(err)
		}
		invalid := strings.Replace(string(b), "type: proportion", "type: coinflip", 1)
		tb.do(chromedp.SetValue(chromedp.CSS("textarea#spec"), invalid),
			chromedp.Click(chromedp.CSS(`button[value="validate"]`)),
			chromedp.WaitVisible(chromedp.CSS(`li.field-error[data-field="metrics[3].judge.type"]`)))
		got := tb.text(`li.field-error[data-field="metrics[3].judge.type"]`)
		line := tb.eval(`document.querySelector('li.field-error[data-field="metrics[3].judge.type"]').getAttribute("data-line") || ""`)
		lines := strings.Split(invalid, "\n")
		if n := atoiOr0(line); n < 1 || n > len(lines) || !strings.Contains(lines[n-1], "coinflip") {
			t.Errorf("the error is at line %q, not the line of the judge's type", line)
		}
		if !strings.Contains(got, "unknown judge") && !strings.Contains(got, "coinflip") {
			t.Errorf("field error %q", got)
		}
		tb.shot("editor-error")

		tb.do(chromedp.SetValue(chromedp.CSS("textarea#spec"), string(b)),
			chromedp.Click(chromedp.CSS(`button[value="start"]`)))
		var loc string
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if loc, err = chromedp.Run(tb.ctx, chromedp.Location()); err == nil && strings.Contains(loc, "/experiments/") {
				break
			}
		}
		if !strings.Contains(loc, "/experiments/") {
			t.Fatalf("after Create and start the browser is at %q, not at the report", loc)
		}
		var x analysis.Experiment
		getJSON(t, "GET", srv.URL()+"/api/v1/experiments/"+loc[strings.LastIndex(loc, "/")+1:], "", http.StatusOK, &x)
		if x.Spec.Name != "from-the-editor" || x.Status == analysis.StatusCreated {
			t.Errorf("created %q, status %s: want from-the-editor, started", x.Spec.Name, x.Status)
		}
	})

	tb.t = t
	tb.noErrors()
}

func atoiOr0(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int(r-'0')
	}
	return n
}
