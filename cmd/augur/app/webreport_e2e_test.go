package app

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/web/ui/chart"
)

func getPage(t *testing.T, u, accept string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// TestWebReportOfTheDemo: after the demo's data, the report served by
// augur serve shows the verdict and every metric's reason, and each
// metric's series chart draws both cohorts' points, read from the store.
func TestWebReportOfTheDemo(t *testing.T) {
	srv := startServer(t, nil)
	end := time.Now().Truncate(time.Minute)
	start := end.Add(-20 * time.Minute)
	sendTraffic(t, srv, start, end)
	sendLogs(t, srv, start, end, false)
	e := createExperiment(t, srv, DemoSpec(start, end))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	v, err := waitVerdict(ctx, srv.URL(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	code, ctype, body := getPage(t, srv.URL()+"/experiments/"+e.ID, "text/html")
	if code != http.StatusOK || !strings.HasPrefix(ctype, "text/html") {
		t.Fatalf("%d %s: %s", code, ctype, body)
	}
	page := html.UnescapeString(string(body))
	if !strings.Contains(page, `data-verdict="`+string(v.Verdict)+`"`) || !strings.Contains(page, v.Reason) {
		t.Errorf("the page lacks the verdict %s (%s)", v.Verdict, v.Reason)
	}
	// The spans section shows each cohort's buffered spans (the demo's
	// metrics read augur_span_* series of service checkout).
	if _, spans, ok := strings.Cut(page, `id="spans"`); !ok || !strings.Contains(spans, "checkout v1") || !strings.Contains(spans, "checkout v2") || !strings.Contains(spans, "slow") {
		t.Error("the page lacks the cohorts' spans")
	}
	for _, m := range v.Metrics {
		if !strings.Contains(page, "data-reason>"+m.Reason) {
			t.Errorf("the page lacks %s's reason %q", m.Name, m.Reason)
		}
		u := srv.URL() + "/experiments/" + e.ID + "/runs/" + v.RunID + "/charts/" + url.PathEscape(m.Name) + "/series.svg"
		code, ctype, svg := getPage(t, u, "image/svg+xml")
		if code != http.StatusOK || !strings.HasPrefix(ctype, "image/svg+xml") {
			t.Fatalf("%s: %d %s", m.Name, code, ctype)
		}
		d, err := chart.Read(svg)
		if err != nil {
			t.Fatal(err)
		}
		for _, cohort := range []string{"baseline", "canary"} {
			n := 0
			for _, p := range d.Series[cohort] {
				n += len(p)
			}
			if n < 2 {
				t.Errorf("%s: %d %s points drawn (messages %q)", m.Name, n, cohort, d.Messages)
			}
		}
	}
	// The request-level distribution of the histogram metric: both
	// cohorts' ECDFs reach 1.
	u := srv.URL() + "/experiments/" + e.ID + "/runs/" + v.RunID + "/charts/latency_requests/distribution.svg"
	_, _, svg := getPage(t, u, "image/svg+xml")
	d, err := chart.Read(svg)
	if err != nil {
		t.Fatal(err)
	}
	for _, cohort := range []string{"baseline", "canary"} {
		c := d.Series[cohort]
		if len(c) != 1 || len(c[0]) < 3 || c[0][len(c[0])-1].Y < 0.999 {
			t.Errorf("latency_requests distribution of %s: %v (messages %q)", cohort, c, d.Messages)
		}
	}
	code, _, body = getPage(t, srv.URL()+"/experiments/no-such-experiment", "text/html")
	if code != http.StatusNotFound || !strings.Contains(string(body), `href="/"`) {
		t.Errorf("unknown experiment: %d %s", code, body)
	}
}
