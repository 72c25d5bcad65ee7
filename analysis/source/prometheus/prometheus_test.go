package prometheus

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/sourcetest"
)

// TestRequest checks what the source sends: form POSTs under the URL's
// path prefix (Mimir's /prometheus), times in seconds to the millisecond.
func TestRequest(t *testing.T) {
	start := time.UnixMilli(1700000000123)
	cases := []struct {
		name   string
		q      analysis.Query
		path   string
		params url.Values
	}{
		{"range", analysis.Query{Expr: `rate(x[5m])`, Start: start, End: start.Add(90 * time.Second), Step: 30 * time.Second},
			"/prometheus/api/v1/query_range", url.Values{"query": {`rate(x[5m])`}, "start": {"1700000000.123"}, "end": {"1700000090.123"}, "step": {"30"}}},
		{"range with a sub-second step", analysis.Query{Expr: "up", Start: start.Add(-123 * time.Millisecond), End: start.Add(877 * time.Millisecond), Step: 250 * time.Millisecond},
			"/prometheus/api/v1/query_range", url.Values{"query": {"up"}, "start": {"1700000000"}, "end": {"1700000001"}, "step": {"0.25"}}},
		{"instant", analysis.Query{Expr: `sum by (le) (h)`, End: start.Add(7 * time.Millisecond)},
			"/prometheus/api/v1/query", url.Values{"query": {`sum by (le) (h)`}, "time": {"1700000000.13"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != c.path {
					t.Errorf("request %s %s, want POST %s", r.Method, r.URL.Path, c.path)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
					t.Errorf("Content-Type = %q", ct)
				}
				if err := r.ParseForm(); err != nil {
					t.Fatal(err)
				}
				if got := r.PostForm.Encode(); got != c.params.Encode() {
					t.Errorf("form %s, want %s", got, c.params.Encode())
				}
				if got := r.URL.Query().Get("dedup"); got != "false" {
					t.Errorf("the base URL's own parameter dedup = %q, want it kept", got)
				}
				w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[]}}`))
			}))
			defer srv.Close()
			src := newSource(t, analysis.SourceSpec{URL: srv.URL + "/prometheus?dedup=false"})
			if got, err := src.Fetch(context.Background(), c.q); err != nil || len(got) != 0 {
				t.Errorf("Fetch = %v, %v; want no series and no error", got, err)
			}
		})
	}
}

// TestAnswers decodes the envelopes Prometheus-compatible servers send.
func TestAnswers(t *testing.T) {
	q := analysis.Query{Expr: "q", Start: time.Unix(1435781430, 0), End: time.Unix(1435781460, 0), Step: 15 * time.Second}
	cases := []struct {
		name        string
		status      int
		contentType string
		body        string
		want        []analysis.Series
		permanent   bool
		says        []string // the error must contain these; nil: no error
	}{{
		name: "matrix with special values", status: 200,
		body: `{"status":"success","data":{"resultType":"matrix","result":[` +
			`{"metric":{"__name__":"up","job":"node"},"values":[[1435781430.781,"1"],[1435781445.781,"NaN"],[1435781460.781,"+Inf"]]},` +
			`{"metric":{"job":"api"},"values":[[1435781430,"-Inf"],[1435781445.5,"-0.25"],[1435781460.05,"1e-9"]]}]}}`,
		want: []analysis.Series{
			{Labels: map[string]string{"__name__": "up", "job": "node"}, Points: []analysis.Point{{T: 1435781430781, V: 1}, {T: 1435781445781, V: math.NaN()}, {T: 1435781460781, V: math.Inf(1)}}},
			{Labels: map[string]string{"job": "api"}, Points: []analysis.Point{{T: 1435781430000, V: math.Inf(-1)}, {T: 1435781445500, V: -0.25}, {T: 1435781460050, V: 1e-9}}},
		},
	}, {
		name: "vector", status: 200,
		body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"a"},"value":[1435781451.781,"3.5"]},{"metric":{},"value":[1435781451.781,"7"]}]}}`,
		want: []analysis.Series{
			{Labels: map[string]string{"pod": "a"}, Points: []analysis.Point{{T: 1435781451781, V: 3.5}}},
			{Labels: map[string]string{}, Points: []analysis.Point{{T: 1435781451781, V: 7}}},
		},
	}, {
		name: "scalar", status: 200,
		body: `{"status":"success","data":{"resultType":"scalar","result":[1435781451.781,"2"]}}`,
		want: []analysis.Series{{Labels: map[string]string{}, Points: []analysis.Point{{T: 1435781451781, V: 2}}}},
	}, {
		name: "warnings and extra fields", status: 200,
		body: `{"status":"success","isPartial":true,"warnings":["store gateway down"],"infos":["info"],"data":{"resultType":"matrix","result":[],"stats":{"seriesFetched":"0"}}}`,
	}, {
		name: "string result", status: 200, permanent: true,
		body: `{"status":"success","data":{"resultType":"string","result":[1435781451.781,"text"]}}`,
		says: []string{`result type "string"`},
	}, {
		name: "native histograms in a matrix", status: 200,
		body: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"rpc_seconds"},"histograms":[[1435781451,{"count":"5","sum":"0.7","buckets":[[3,"-0.001","0.001","1"],[0,"0.1","0.2","2"],[0,"0.2","0.4","2"]]}]]}]}}`,
		want: []analysis.Series{{Labels: map[string]string{"__name__": "rpc_seconds"}, Points: []analysis.Point{}, Histograms: []analysis.HistogramPoint{{
			T: 1435781451000, Count: 5, Sum: 0.7,
			Buckets: []analysis.HistogramBucket{{Lower: -0.001, Upper: 0.001, Count: 1}, {Lower: 0.1, Upper: 0.2, Count: 2}, {Lower: 0.2, Upper: 0.4, Count: 2}},
		}}}},
	}, {
		name: "native histogram in a vector", status: 200,
		body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"a"},"histogram":[1435781451.5,{"count":"2","sum":"0.3","buckets":[[0,"0.1","0.2","2"]]}]}]}}`,
		want: []analysis.Series{{Labels: map[string]string{"pod": "a"}, Histograms: []analysis.HistogramPoint{{
			T: 1435781451500, Count: 2, Sum: 0.3, Buckets: []analysis.HistogramBucket{{Lower: 0.1, Upper: 0.2, Count: 2}},
		}}}},
	}, {
		name: "native histogram with a malformed bucket", status: 200, permanent: true,
		body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1435781451,{"count":"2","sum":"0.3","buckets":[[0,"0.1","2"]]}]}]}}`,
		says: []string{"[rule, lower, upper, count]"},
	}, {
		name: "bad_data", status: 400, contentType: "application/json", permanent: true,
		body: `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"}`,
		says: []string{"POST", "/api/v1/query_range", `query "q"`, "400 Bad Request", "bad_data", "unclosed left parenthesis"},
	}, {
		name: "execution", status: 422, contentType: "application/json", permanent: true,
		body: `{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"}`,
		says: []string{"422", "execution", "too many samples"},
	}, {
		name: "timeout", status: 503, contentType: "application/json",
		body: `{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}`,
		says: []string{"503 Service Unavailable", "timeout", "query timed out"},
	}, {
		name: "internal", status: 500, contentType: "application/json",
		body: `{"status":"error","errorType":"internal","error":"expanding series: ingester down"}`,
		says: []string{"500", "ingester down"},
	}, {
		name: "wrong path", status: 404, contentType: "text/plain", permanent: true,
		body: "404 page not found\n", says: []string{"404 Not Found", "404 page not found"},
	}, {
		name: "HTML instead of the API", status: 200, contentType: "text/html", permanent: true,
		body: "<!doctype html><html><head><title>Grafana</title></head></html>",
		says: []string{"text/html", "<!doctype html>", "not a query API envelope"},
	}, {
		name: "not a number", status: 200, permanent: true,
		body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1435781451,"many"]}]}}`,
		says: []string{`"many"`},
	}, {
		name: "timestamp not a number", status: 200, permanent: true,
		body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":["soon","1"]}]}}`,
		says: []string{"soon"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if c.contentType == "" {
					c.contentType = "application/json"
				}
				w.Header().Set("Content-Type", c.contentType)
				w.WriteHeader(c.status)
				w.Write([]byte(c.body))
			}))
			defer srv.Close()
			var logs bytes.Buffer
			src, err := New(analysis.SourceSpec{Type: analysis.SourcePrometheus, URL: srv.URL}, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := src.Fetch(context.Background(), q)
			if c.says == nil {
				if err != nil {
					t.Fatal(err)
				}
				if d := sourcetest.Diff(got, c.want); d != "" {
					t.Error(d)
				}
				if strings.Contains(c.body, "warnings") && !strings.Contains(logs.String(), "store gateway down") {
					t.Errorf("warnings not logged: %q", logs.String())
				}
				return
			}
			if err == nil {
				t.Fatalf("Fetch = %v; want an error", got)
			}
			sourcetest.CheckError(t, err, c.permanent, c.says...)
		})
	}
}

func TestHTTP(t *testing.T) {
	sourcetest.RunHTTP(t, sourcetest.HTTP{
		New:   func(spec analysis.SourceSpec) (analysis.Source, error) { return New(spec, nil) },
		Probe: analysis.Query{Expr: "up", Start: time.Now().Add(-time.Hour), End: time.Now(), Step: time.Minute},
		Answer: func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || r.URL.Path != "/api/v1/query_range" {
				http.NotFound(w, r)
				return
			}
			w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[]}}`))
		},
	})
}

func TestNewRefusesOtherTypes(t *testing.T) {
	if _, err := New(analysis.SourceSpec{Type: analysis.SourceLoki, URL: "http://127.0.0.1:9090"}, nil); err == nil {
		t.Error("New accepted a loki spec")
	}
}
