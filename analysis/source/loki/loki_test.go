package loki

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/sourcetest"
)

// Answers in the shapes of the Loki HTTP API reference's examples (see
// replay_test.go): a vector for sum(rate({job="varlogs"}[10m])) by (level),
// a matrix for the same query over a range, and the streams of a log query.
const (
	docVector = `{"status":"success","data":{"resultType":"vector","result":[` +
		`{"metric":{},"value":[1588889221,"1267.1266666666666"]},` +
		`{"metric":{"level":"warn"},"value":[1588889221,"37.77166666666667"]},` +
		`{"metric":{"level":"info"},"value":[1588889221,"37.69"]}],"stats":` + lokiStats + `}}`
	docMatrix = `{"status":"success","data":{"resultType":"matrix","result":[` +
		`{"metric":{"level":"info"},"values":[[1588889221,"137.95"],[1588889521,"467.115"],[1588889821,"658.8516666666667"]]},` +
		`{"metric":{"level":"warn"},"values":[[1588889221,"137.27833333333334"],[1588889521,"467.69"],[1588889821,"660.6933333333334"]]}],"stats":` + lokiStats + `}}`
	docStreams = `{"status":"success","data":{"resultType":"streams","result":[` +
		`{"stream":{"filename":"/var/log/myproject.log","job":"varlogs","level":"info"},` +
		`"values":[["1569266497240578000","foo"],["1569266492548155000","bar"]]}],"stats":` + lokiStats + `}}`
)

func TestFetch(t *testing.T) {
	start := time.Unix(1588889221, 0)
	end := start.Add(10*time.Minute + 123456789*time.Nanosecond)
	rangeQ := analysis.Query{Expr: `sum(rate({job="varlogs"}[10m])) by (level)`, Start: start, End: end, Step: 5 * time.Minute}
	instantQ := analysis.Query{Expr: rangeQ.Expr, End: start}
	cases := []struct {
		name      string
		q         analysis.Query
		status    int
		body      string
		path      string
		params    url.Values
		want      []analysis.Series
		permanent bool
		says      []string // the error must contain these; nil: no error
	}{{
		name: "documented vector", q: instantQ, status: 200, body: docVector,
		path:   "/loki/api/v1/query",
		params: url.Values{"query": {instantQ.Expr}, "time": {"1588889221000000000"}},
		want: []analysis.Series{
			{Labels: map[string]string{}, Points: []analysis.Point{{T: 1588889221000, V: 1267.1266666666666}}},
			{Labels: map[string]string{"level": "warn"}, Points: []analysis.Point{{T: 1588889221000, V: 37.77166666666667}}},
			{Labels: map[string]string{"level": "info"}, Points: []analysis.Point{{T: 1588889221000, V: 37.69}}},
		},
	}, {
		name: "documented matrix", q: rangeQ, status: 200, body: docMatrix,
		path:   "/loki/api/v1/query_range",
		params: url.Values{"query": {rangeQ.Expr}, "start": {"1588889221000000000"}, "end": {"1588889821123456789"}, "step": {"300"}},
		want: []analysis.Series{
			{Labels: map[string]string{"level": "info"}, Points: []analysis.Point{{T: 1588889221000, V: 137.95}, {T: 1588889521000, V: 467.115}, {T: 1588889821000, V: 658.8516666666667}}},
			{Labels: map[string]string{"level": "warn"}, Points: []analysis.Point{{T: 1588889221000, V: 137.27833333333334}, {T: 1588889521000, V: 467.69}, {T: 1588889821000, V: 660.6933333333334}}},
		},
	}, {
		name: "log query over a range answers streams", q: analysis.Query{Expr: `{job="varlogs"}`, Start: start, End: end, Step: 5 * time.Minute},
		status: 200, body: docStreams, path: "/loki/api/v1/query_range",
		permanent: true, says: []string{`"streams"`, "log query", `sum(count_over_time({app="x"} |= "error" [1m]))`},
	}, {
		name: "log query as an instant query", q: analysis.Query{Expr: `{job="varlogs"}`, End: start},
		status: 400, body: "log queries are not supported as an instant query type, please change your query to a range query type",
		path: "/loki/api/v1/query", permanent: true, says: []string{"400 Bad Request", "log queries are not supported as an instant query type"},
	}, {
		name: "parse error", q: analysis.Query{Expr: `sum(rate({job="varlogs"}[10m])`, Start: start, End: end, Step: time.Minute},
		status: 400, body: "parse error at line 1, col 31: syntax error: unexpected $end, expecting ) or ,",
		path: "/loki/api/v1/query_range", permanent: true, says: []string{"loki: GET", "/loki/api/v1/query_range", "parse error at line 1, col 31"},
	}, {
		name: "tenant missing", q: rangeQ, status: 401, body: "no org id", path: "/loki/api/v1/query_range",
		permanent: true, says: []string{"401 Unauthorized", "no org id"},
	}, {
		name: "query limit", q: rangeQ, status: 400, body: "maximum of series (500) reached for a single query",
		path: "/loki/api/v1/query_range", permanent: true, says: []string{"maximum of series (500)"},
	}, {
		name: "too many outstanding requests", q: rangeQ, status: 429, body: "too many outstanding requests",
		path: "/loki/api/v1/query_range", says: []string{"429", "too many outstanding requests"},
	}, {
		name: "query timed out in Loki", q: rangeQ, status: 504,
		body: "request timed out, decrease the duration of the request or add more label matchers (prefer exact match over regex match) to reduce the amount of data processed",
		path: "/loki/api/v1/query_range", says: []string{"504 Gateway Timeout", "request timed out"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != "/gateway"+c.path {
					t.Errorf("request %s %s, want GET /gateway%s", r.Method, r.URL.Path, c.path)
				}
				if got := r.Header.Get("X-Scope-OrgID"); got != "tenant-a" {
					t.Errorf("X-Scope-OrgID = %q", got)
				}
				for k, want := range c.params {
					if got := r.URL.Query()[k]; strings.Join(got, ",") != strings.Join(want, ",") {
						t.Errorf("parameter %s = %q, want %q", k, got, want)
					}
				}
				if c.status == 200 {
					w.Header().Set("Content-Type", "application/json; charset=UTF-8")
				} else {
					w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				}
				w.WriteHeader(c.status)
				w.Write([]byte(c.body))
			}))
			defer srv.Close()
			src := newSource(t, analysis.SourceSpec{URL: srv.URL + "/gateway/", OrgID: "tenant-a"})
			got, err := src.Fetch(context.Background(), c.q)
			if c.says == nil {
				if err != nil {
					t.Fatal(err)
				}
				if d := sourcetest.Diff(got, c.want); d != "" {
					t.Error(d)
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

func TestNewRefusesOtherTypes(t *testing.T) {
	if _, err := New(analysis.SourceSpec{Type: analysis.SourcePrometheus, URL: "http://127.0.0.1:3100"}, nil); err == nil {
		t.Error("New accepted a prometheus spec")
	}
}
