package ui

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
)

func newBenchRouter(b *testing.B, deps Deps) *gin.Engine {
	b.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	if err := Register(r, deps, nil); err != nil {
		b.Fatal(err)
	}
	return r
}

// pageWeight is the report page and the assets it loads, without its
// charts (separate requests).
func pageWeight(r http.Handler, path string) int {
	n := get(r, path, "text/html").Body.Len()
	for _, a := range []string{"/ui/static/augur.css", "/ui/static/augur.js"} {
		n += get(r, a, "").Body.Len()
	}
	return n
}

// TestReportPageWeight: a 50-metric run's page with its assets stays
// under 1 MB.
func TestReportPageWeight(t *testing.T) {
	r, _, _ := reportRouter(t, 50)
	if n := pageWeight(r, "/experiments/exp1"); n >= 1<<20 {
		t.Errorf("page and assets weigh %d bytes, want under 1 MB", n)
	}
}

// BenchmarkReportPage renders the report of a 50-metric run from stored
// results (4 intervals).
func BenchmarkReportPage(b *testing.B) {
	r, _, _ := reportRouter(b, 50)
	for b.Loop() {
		if w := get(r, "/experiments/exp1", "text/html"); w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
	b.ReportMetric(float64(pageWeight(r, "/experiments/exp1")), "page+assets-bytes")
}

// BenchmarkReportSeriesChart draws one metric's series chart (two cohorts
// of two pods, 21 points each) through a source answering at once.
func BenchmarkReportSeriesChart(b *testing.B) {
	r, exps, _ := reportRouter(b, 50)
	u := chartURL(exps.runs[0].Spec.Metrics[0].Name, "series.svg")
	for b.Loop() {
		if w := get(r, u, ""); w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
