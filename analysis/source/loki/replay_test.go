package loki

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/sourcetest"
)

// The replayed answers follow the Loki HTTP API reference
// (docs/sources/reference/loki-http-api.md in grafana/loki, sections on
// querying at a single point in time and within a range of time): GET
// requests whose times are Unix nanoseconds and whose step is a duration or
// seconds; success envelopes with resultType vector, matrix or streams,
// samples as [<seconds>, "<value>"] and a stats object; and errors written
// as plain text with the HTTP status, as Loki's server error writer does.

// logQL are the conformance suite's queries in LogQL: the dataset's
// values stand for a latency unwrapped from logfmt lines.
func logQL() sourcetest.Queries {
	return sourcetest.Queries{
		Cohort: func(metric, version string) string {
			return fmt.Sprintf(`sum by (version, pod) (quantile_over_time(0.99, {app="checkout", version=%q} | logfmt | unwrap %s [30s]))`, version, metric)
		},
		Nothing:       `sum by (version, pod) (count_over_time({app="checkout", version="v9"} |= "error" [1m]))`,
		Malformed:     `sum by (version, pod) (count_over_time({app="checkout"} |= "error" [1m])`,
		MalformedSays: "parse error at line 1, col 73",
	}
}

// lokiStats is a trimmed stats object of the documented shape; sources
// must ignore it.
const lokiStats = `{"summary":{"bytesProcessedPerSecond":0,"linesProcessedPerSecond":0,"totalBytesProcessed":0,"totalLinesProcessed":0,"execTime":0.0012,"queueTime":0.0001},` +
	`"querier":{"store":{"totalChunksRef":0,"totalChunksDownloaded":0}},"ingester":{"totalReached":1,"totalChunksMatched":0}}`

// replay is a Loki that answers the suite's queries over the dataset it
// was loaded with, and fails the test on any request a Loki source must
// not send.
type replay struct {
	t       *testing.T
	queries sourcetest.Queries
	mu      sync.Mutex
	data    *sourcetest.Dataset
}

func (rp *replay) load(_ *testing.T, d sourcetest.Dataset) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.data = &d
}

func (rp *replay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(format string, a ...any) {
		rp.t.Errorf("replay: "+format, a...)
		http.Error(w, fmt.Sprintf(format, a...), http.StatusBadRequest)
	}
	if r.Method != http.MethodGet {
		fail("%s %s; Loki's query API is documented for GET", r.Method, r.URL.Path)
		return
	}
	q := r.URL.Query()
	var start, end time.Time
	var step time.Duration
	var err error
	switch r.URL.Path {
	case "/loki/api/v1/query_range":
		start, err = unixNanos(q.Get("start"))
		if err == nil {
			end, err = unixNanos(q.Get("end"))
		}
		if err == nil {
			var s float64
			s, err = strconv.ParseFloat(q.Get("step"), 64)
			step = time.Duration(s * float64(time.Second))
		}
	case "/loki/api/v1/query":
		end, err = unixNanos(q.Get("time"))
	default:
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	if err != nil {
		fail("%s: %v", r.URL, err)
		return
	}
	if step > 0 && end.Sub(start)/step > 11000 {
		// Loki, like Prometheus, refuses this many points per series.
		http.Error(w, "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)", http.StatusBadRequest)
		return
	}
	rp.mu.Lock()
	d := rp.data
	rp.mu.Unlock()
	expr := q.Get("query")
	switch {
	case expr == rp.queries.Malformed:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, "parse error at line 1, col 73: syntax error: unexpected $end, expecting ) or ,")
	case expr == rp.queries.Nothing:
		writeResult(w, step, nil)
	case d != nil && expr == rp.queries.Cohort(d.Metric, "v1"):
		writeResult(w, step, d.Eval("v1", start, end, step))
	case d != nil && expr == rp.queries.Cohort(d.Metric, "v2"):
		writeResult(w, step, d.Eval("v2", start, end, step))
	default:
		fail("unexpected query %q", expr)
	}
}

// unixNanos reads a time as the source must send it: integer nanoseconds.
func unixNanos(s string) (time.Time, error) {
	ns, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not Unix nanoseconds: %w", s, err)
	}
	return time.Unix(0, ns), nil
}

// writeResult answers a matrix (step > 0) or a vector (step 0).
func writeResult(w http.ResponseWriter, step time.Duration, series []analysis.Series) {
	type element struct {
		Metric map[string]string `json:"metric"`
		Values [][2]any          `json:"values,omitempty"`
		Value  *[2]any           `json:"value,omitempty"`
	}
	result := []element{}
	for _, s := range series {
		e := element{Metric: s.Labels}
		for _, p := range s.Points {
			v := [2]any{json.Number(strconv.FormatFloat(float64(p.T)/1e3, 'f', -1, 64)), lokiValue(p.V)}
			if step == 0 {
				e.Value = &v
			} else {
				e.Values = append(e.Values, v)
			}
		}
		result = append(result, e)
	}
	resultType := "matrix"
	if step == 0 {
		resultType = "vector"
	}
	body, err := json.Marshal(result)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	fmt.Fprintf(w, `{"status":"success","data":{"resultType":%q,"result":%s,"stats":%s}}`, resultType, body, lokiStats)
}

// lokiValue writes a sample value as Loki does, NaN and infinities
// included.
func lokiValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func newSource(t *testing.T, spec analysis.SourceSpec) *Source {
	t.Helper()
	src, err := New(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestConformance runs the source conformance suite: the data cases
// against the replaying Loki, the error cases for real.
func TestConformance(t *testing.T) {
	rp := &replay{t: t, queries: logQL()}
	srv := httptest.NewServer(rp)
	defer srv.Close()
	sourcetest.Run(t, sourcetest.Backend{
		Data: &sourcetest.Data{
			Source:  newSource(t, analysis.SourceSpec{URL: srv.URL}),
			Load:    rp.load,
			Queries: rp.queries,
		},
		Endpoint: func(t *testing.T, addr string, timeout time.Duration) analysis.Source {
			return newSource(t, analysis.SourceSpec{URL: "http://" + addr, Timeout: analysis.Duration(timeout)})
		},
		Probe:  analysis.Query{Expr: `sum(count_over_time({app="checkout"} |= "error" [1m]))`, Start: time.Now().Add(-time.Hour), End: time.Now(), Step: time.Minute},
		Refuse: sourcetest.HTTPRefuse,
	})
}

func TestHTTP(t *testing.T) {
	sourcetest.RunHTTP(t, sourcetest.HTTP{
		New:   func(spec analysis.SourceSpec) (analysis.Source, error) { return New(spec, nil) },
		Probe: analysis.Query{Expr: `sum(rate({app="checkout"}[1m]))`, Start: time.Now().Add(-time.Hour), End: time.Now(), Step: time.Minute},
		Answer: func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/loki/api/v1/query_range" {
				http.NotFound(w, r)
				return
			}
			writeResult(w, time.Minute, nil)
		},
	})
}
