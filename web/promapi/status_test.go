package promapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/augurhq/augur/collector/store/storetest"
	"github.com/augurhq/augur/web/promapi"
)

type fakeMetadata map[string][]promapi.MetricMetadata

func (f fakeMetadata) MetricMetadata(context.Context) (map[string][]promapi.MetricMetadata, error) {
	return f, nil
}

// rawCall sends params as a GET query string or a POST form and returns
// the status and body.
func rawCall(t *testing.T, base, method, path string, params url.Values) (int, string) {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = http.PostForm(base+path, params)
	} else {
		resp, err = http.Get(base + path + "?" + params.Encode())
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestStatusRoutes(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	st := storetest.Open(t)
	app := st.Appender(context.Background())
	ls := labels.FromStrings("__name__", "http_requests_total", "job", "api")
	ref, err := app.Append(0, ls, now.UnixMilli(), 10)
	if err != nil {
		t.Fatal(err)
	}
	ex := exemplar.Exemplar{Labels: labels.FromStrings("trace_id", "0af7651916cd43dd8448eb211c80319c"), Value: 0.25, Ts: now.UnixMilli() - 1500, HasTs: true}
	if _, err := app.AppendExemplar(ref, ls, ex); err != nil {
		t.Fatal(err)
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	promapi.RegisterStatus(r, promapi.Status{
		Build:     promapi.BuildInfo{Version: "1.2.3", Revision: "abc", Branch: "HEAD", GoVersion: "go1.26"},
		Exemplars: st,
		Metadata: fakeMetadata{
			"http_requests_total": {{Type: "counter", Help: "Requests.", Unit: ""}},
			"queue_seconds":       {{Type: "histogram", Help: "Wait.", Unit: "seconds"}, {Type: "histogram", Help: "Old help.", Unit: "seconds"}},
		},
	})
	srv := newServerFor(t, r)
	sec := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	exTS := formatSec(time.UnixMilli(ex.Ts))

	tests := []struct {
		name, method, path string
		params             url.Values
		code               int
		body               string // exact JSON when it starts with {, else a substring
	}{
		{"buildinfo", http.MethodGet, "/api/v1/status/buildinfo", nil, 200,
			`{"status":"success","data":{"version":"1.2.3","revision":"abc","branch":"HEAD","buildUser":"","buildDate":"","goVersion":"go1.26"}}`},
		{"rules", http.MethodGet, "/api/v1/rules", url.Values{"type": {"alert"}}, 200, `{"status":"success","data":{"groups":[]}}`},
		{"alerts", http.MethodGet, "/api/v1/alerts", nil, 200, `{"status":"success","data":{"alerts":[]}}`},
		{"format_query GET", http.MethodGet, "/api/v1/format_query", url.Values{"query": {"foo/bar"}}, 200, `{"status":"success","data":"foo / bar"}`},
		{"format_query POST", http.MethodPost, "/api/v1/format_query", url.Values{"query": {"sum(x)by(a)"}}, 200, `{"status":"success","data":"sum by (a) (x)"}`},
		{"format_query invalid", http.MethodPost, "/api/v1/format_query", url.Values{"query": {"sum(x"}}, 400, `"errorType":"bad_data","error":"invalid parameter \"query\": `},
		{"format_query missing", http.MethodGet, "/api/v1/format_query", nil, 400, `invalid parameter \"query\"`},
		{"metadata", http.MethodGet, "/api/v1/metadata", nil, 200,
			`{"status":"success","data":{"http_requests_total":[{"type":"counter","help":"Requests.","unit":""}],"queue_seconds":[{"type":"histogram","help":"Wait.","unit":"seconds"},{"type":"histogram","help":"Old help.","unit":"seconds"}]}}`},
		{"metadata of one", http.MethodGet, "/api/v1/metadata", url.Values{"metric": {"queue_seconds"}, "limit_per_metric": {"1"}}, 200,
			`{"status":"success","data":{"queue_seconds":[{"type":"histogram","help":"Wait.","unit":"seconds"}]}}`},
		{"metadata limit", http.MethodGet, "/api/v1/metadata", url.Values{"limit": {"1"}}, 200,
			`{"status":"success","data":{"http_requests_total":[{"type":"counter","help":"Requests.","unit":""}]}}`},
		{"metadata unknown", http.MethodGet, "/api/v1/metadata", url.Values{"metric": {"nope"}}, 200, `{"status":"success","data":{}}`},
		{"metadata bad limit", http.MethodGet, "/api/v1/metadata", url.Values{"limit": {"ten"}}, 400, `limit must be a number, got \"ten\"`},
		{"exemplars", http.MethodPost, "/api/v1/query_exemplars", url.Values{"query": {`rate(http_requests_total{job="api"}[5m])`},
			"start": {sec(now.Add(-time.Minute))}, "end": {sec(now)}}, 200,
			`{"status":"success","data":[{"seriesLabels":{"__name__":"http_requests_total","job":"api"},"exemplars":[{"labels":{"trace_id":"0af7651916cd43dd8448eb211c80319c"},"value":"0.25","timestamp":` + exTS + `}]}]}`},
		{"exemplars outside the range", http.MethodGet, "/api/v1/query_exemplars", url.Values{"query": {`http_requests_total`},
			"start": {sec(now.Add(-time.Hour))}, "end": {sec(now.Add(-time.Minute))}}, 200, `{"status":"success","data":[]}`},
		{"exemplars of no selector", http.MethodGet, "/api/v1/query_exemplars", url.Values{"query": {"1+1"}}, 200, `{"status":"success","data":[]}`},
		{"exemplars bad query", http.MethodGet, "/api/v1/query_exemplars", url.Values{"query": {"rate("}}, 400, `invalid parameter \"query\"`},
		{"exemplars end before start", http.MethodGet, "/api/v1/query_exemplars", url.Values{"query": {"x"}, "start": {"20"}, "end": {"10"}}, 400,
			`invalid parameter \"end\": end timestamp must not be before start timestamp`},
		{"exemplars bad start", http.MethodGet, "/api/v1/query_exemplars", url.Values{"query": {"x"}, "start": {"yesterday"}}, 400,
			`invalid parameter \"start\"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := rawCall(t, srv.URL, tt.method, tt.path, tt.params)
			ok := strings.Contains(body, tt.body)
			if strings.HasPrefix(tt.body, "{") {
				ok = jsonSame(t, body, tt.body)
			}
			if code != tt.code || !ok {
				t.Errorf("%s %s: %d %s\nwant %d %s", tt.method, tt.path, code, body, tt.code, tt.body)
			}
		})
	}
}

func formatSec(t time.Time) string {
	b, _ := json.Marshal(float64(t.UnixMilli()) / 1000)
	return string(b)
}

func jsonSame(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if json.Unmarshal([]byte(got), &g) != nil {
		return false
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation %s: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return string(gb) == string(wb)
}
