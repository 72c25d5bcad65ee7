package promapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/util/annotations"

	"github.com/augurhq/augur/web/promapi"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// fakeQuerier answers with its function fields; a nil field fails the
// test that reaches it.
type fakeQuerier struct {
	t         *testing.T
	instantFn func(ctx context.Context, expr string, ts time.Time) (parser.Value, annotations.Annotations, error)
	rangeFn   func(ctx context.Context, expr string, start, end time.Time, step time.Duration) (promql.Matrix, annotations.Annotations, error)
}

func (f *fakeQuerier) Instant(ctx context.Context, expr string, ts time.Time) (parser.Value, annotations.Annotations, error) {
	if f.instantFn == nil {
		f.t.Errorf("unexpected Instant(%q, %s)", expr, ts)
		return nil, nil, errors.New("unexpected call")
	}
	return f.instantFn(ctx, expr, ts)
}

func (f *fakeQuerier) Range(ctx context.Context, expr string, start, end time.Time, step time.Duration) (promql.Matrix, annotations.Annotations, error) {
	if f.rangeFn == nil {
		f.t.Errorf("unexpected Range(%q, %s, %s, %s)", expr, start, end, step)
		return nil, nil, errors.New("unexpected call")
	}
	return f.rangeFn(ctx, expr, start, end, step)
}

func newServer(t *testing.T, q promapi.Querier) *httptest.Server {
	t.Helper()
	r := gin.New()
	promapi.Register(r, q)
	return newServerFor(t, r)
}

func newServerFor(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

type apiResponse struct {
	Status string `json:"status"`
	Data   *struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
	ErrorType string   `json:"errorType"`
	Error     string   `json:"error"`
	Warnings  []string `json:"warnings"`
	Infos     []string `json:"infos"`
}

// call sends params as a GET query string or a POST form.
func call(t *testing.T, srv *httptest.Server, method, path string, params url.Values) (int, apiResponse) {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = http.PostForm(srv.URL+path, params)
	} else {
		resp, err = http.Get(srv.URL + path + "?" + params.Encode())
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want JSON", ct)
	}
	var out apiResponse
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return resp.StatusCode, out
}

// jsonEq compares a JSON document with an expected one, ignoring layout.
func jsonEq(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("decode %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation %s: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("result\n got %s\nwant %s", gb, wb)
	}
}

func TestQuery(t *testing.T) {
	vector := promql.Vector{
		{Metric: labels.FromStrings("__name__", "up", "job", "api"), T: 1700000000500, F: 1},
		{Metric: labels.FromStrings("__name__", "up", "job", "db"), T: 1700000000500, F: 0.25},
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method+" vector", func(t *testing.T) {
			var gotExpr string
			var gotTS time.Time
			srv := newServer(t, &fakeQuerier{t: t, instantFn: func(_ context.Context, expr string, ts time.Time) (parser.Value, annotations.Annotations, error) {
				gotExpr, gotTS = expr, ts
				var annots annotations.Annotations
				annots.Add(fmt.Errorf("%w: something odd", annotations.PromQLWarning))
				annots.Add(fmt.Errorf("%w: for your information", annotations.PromQLInfo))
				return vector, annots, nil
			}})
			code, resp := call(t, srv, method, "/api/v1/query", url.Values{"query": {`up{job=~"api|db"}`}, "time": {"1700000000.5"}})
			if code != http.StatusOK || resp.Status != "success" || resp.Data == nil || resp.Data.ResultType != "vector" {
				t.Fatalf("got %d %+v, want 200 success vector", code, resp)
			}
			jsonEq(t, resp.Data.Result, `[
				{"metric":{"__name__":"up","job":"api"},"value":[1700000000.5,"1"]},
				{"metric":{"__name__":"up","job":"db"},"value":[1700000000.5,"0.25"]}]`)
			if gotExpr != `up{job=~"api|db"}` || !gotTS.Equal(time.UnixMilli(1700000000500)) {
				t.Errorf("querier got (%q, %s)", gotExpr, gotTS)
			}
			if len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "something odd") {
				t.Errorf("warnings = %q", resp.Warnings)
			}
			if len(resp.Infos) != 1 || !strings.Contains(resp.Infos[0], "for your information") {
				t.Errorf("infos = %q", resp.Infos)
			}
		})
	}
	t.Run("scalar", func(t *testing.T) {
		srv := newServer(t, &fakeQuerier{t: t, instantFn: func(context.Context, string, time.Time) (parser.Value, annotations.Annotations, error) {
			return promql.Scalar{T: 1700000000000, V: 2.5}, nil, nil
		}})
		code, resp := call(t, srv, http.MethodGet, "/api/v1/query", url.Values{"query": {"2.5"}, "time": {"1700000000"}})
		if code != http.StatusOK || resp.Data == nil || resp.Data.ResultType != "scalar" {
			t.Fatalf("got %d %+v, want 200 scalar", code, resp)
		}
		jsonEq(t, resp.Data.Result, `[1700000000,"2.5"]`)
		if resp.Warnings != nil || resp.Infos != nil {
			t.Errorf("warnings %q infos %q, want none", resp.Warnings, resp.Infos)
		}
	})
	t.Run("time defaults to now", func(t *testing.T) {
		var gotTS time.Time
		srv := newServer(t, &fakeQuerier{t: t, instantFn: func(_ context.Context, _ string, ts time.Time) (parser.Value, annotations.Annotations, error) {
			gotTS = ts
			return promql.Vector{}, nil, nil
		}})
		before := time.Now()
		code, resp := call(t, srv, http.MethodGet, "/api/v1/query", url.Values{"query": {"up"}})
		after := time.Now()
		if code != http.StatusOK {
			t.Fatalf("got %d %+v", code, resp)
		}
		if gotTS.Before(before) || gotTS.After(after) {
			t.Errorf("time = %s, want between %s and %s", gotTS, before, after)
		}
		jsonEq(t, resp.Data.Result, `[]`)
	})
}

func TestQueryRange(t *testing.T) {
	matrix := promql.Matrix{
		{Metric: labels.FromStrings("version", "v1"), Floats: []promql.FPoint{{T: 1700000000000, F: 1}, {T: 1700000060000, F: 1.5}}},
		{Metric: labels.FromStrings("version", "v2"), Floats: []promql.FPoint{{T: 1700000060000, F: 3}}},
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			type rangeCall struct {
				expr       string
				start, end time.Time
				step       time.Duration
			}
			var got rangeCall
			srv := newServer(t, &fakeQuerier{t: t, rangeFn: func(_ context.Context, expr string, start, end time.Time, step time.Duration) (promql.Matrix, annotations.Annotations, error) {
				got = rangeCall{expr, start, end, step}
				return matrix, nil, nil
			}})
			code, resp := call(t, srv, method, "/api/v1/query_range", url.Values{
				"query": {"sum by (version) (rate(x[1m]))"}, "start": {"2023-11-14T22:13:20Z"}, "end": {"1700000060"}, "step": {"1m"},
			})
			if code != http.StatusOK || resp.Status != "success" || resp.Data == nil || resp.Data.ResultType != "matrix" {
				t.Fatalf("got %d %+v, want 200 success matrix", code, resp)
			}
			jsonEq(t, resp.Data.Result, `[
				{"metric":{"version":"v1"},"values":[[1700000000,"1"],[1700000060,"1.5"]]},
				{"metric":{"version":"v2"},"values":[[1700000060,"3"]]}]`)
			want := rangeCall{"sum by (version) (rate(x[1m]))", time.Unix(1700000000, 0), time.Unix(1700000060, 0), time.Minute}
			if got.expr != want.expr || !got.start.Equal(want.start) || !got.end.Equal(want.end) || got.step != want.step {
				t.Errorf("querier got %+v, want %+v", got, want)
			}
		})
	}
}

func TestBadRequests(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		params url.Values
		want   string // in the error message
	}{
		{"query: missing query", "/api/v1/query", url.Values{"time": {"1"}}, `missing parameter "query"`},
		{"query: bad time", "/api/v1/query", url.Values{"query": {"up"}, "time": {"yesterday"}}, `invalid parameter "time"`},
		{"query: NaN time", "/api/v1/query", url.Values{"query": {"up"}, "time": {"NaN"}}, `invalid parameter "time"`},
		{"query: bad timeout", "/api/v1/query", url.Values{"query": {"up"}, "timeout": {"soon"}}, `invalid parameter "timeout"`},
		{"range: missing query", "/api/v1/query_range", url.Values{"start": {"0"}, "end": {"60"}, "step": {"15"}}, `missing parameter "query"`},
		{"range: missing start", "/api/v1/query_range", url.Values{"query": {"up"}, "end": {"60"}, "step": {"15"}}, `invalid parameter "start"`},
		{"range: bad start", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {"x"}, "end": {"60"}, "step": {"15"}}, `invalid parameter "start"`},
		{"range: bad end", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {"0"}, "end": {"2023-13-01T00:00:00Z"}, "step": {"15"}}, `invalid parameter "end"`},
		{"range: end before start", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {"60"}, "end": {"59.999"}, "step": {"15"}}, "end timestamp must not be before start time"},
		{"range: missing step", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {"0"}, "end": {"60"}}, `invalid parameter "step"`},
		{"range: bad step", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {"0"}, "end": {"60"}, "step": {"fast"}}, `invalid parameter "step"`},
		{"range: zero step", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {"0"}, "end": {"60"}, "step": {"0"}}, "zero or negative query resolution step"},
		{"range: negative step", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {"0"}, "end": {"60"}, "step": {"-15"}}, "zero or negative query resolution step"},
		{"range: too many points", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {"0"}, "end": {"11001"}, "step": {"1"}}, "exceeded maximum resolution of 11,000 points"},
		{"range: bad timeout", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {"0"}, "end": {"60"}, "step": {"15"}, "timeout": {"NaN"}}, `invalid parameter "timeout"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, &fakeQuerier{t: t}) // any call to the querier fails the test
			code, resp := call(t, srv, http.MethodGet, tc.path, tc.params)
			if code != http.StatusBadRequest || resp.Status != "error" || resp.ErrorType != "bad_data" {
				t.Fatalf("got %d %+v, want 400 bad_data", code, resp)
			}
			if !strings.Contains(resp.Error, tc.want) {
				t.Errorf("error %q does not contain %q", resp.Error, tc.want)
			}
			if resp.Data != nil {
				t.Errorf("error answer carries data")
			}
		})
	}
}

// The point limit is Prometheus': 11,000 points per series are fine.
func TestQueryRangePointLimitBoundary(t *testing.T) {
	calls := 0
	srv := newServer(t, &fakeQuerier{t: t, rangeFn: func(context.Context, string, time.Time, time.Time, time.Duration) (promql.Matrix, annotations.Annotations, error) {
		calls++
		return promql.Matrix{}, nil, nil
	}})
	code, resp := call(t, srv, http.MethodGet, "/api/v1/query_range", url.Values{"query": {"up"}, "start": {"0"}, "end": {"11000"}, "step": {"1"}})
	if code != http.StatusOK || calls != 1 {
		t.Fatalf("got %d %+v after %d calls, want 200 after 1", code, resp, calls)
	}
	jsonEq(t, resp.Data.Result, `[]`)
}

func TestQueryErrors(t *testing.T) {
	_, parseErrs := parser.NewParser(parser.Options{}).ParseExpr("sum(rate(x[5m])")
	if parseErrs == nil {
		t.Fatal("test setup: expression parsed")
	}
	tests := []struct {
		name     string
		err      error
		wantCode int
		wantType string
	}{
		{"parse error", &parser.ParseErr{Err: errors.New("unexpected end of input"), Query: "sum("}, 400, "bad_data"},
		{"parse errors from the parser", parseErrs, 400, "bad_data"},
		{"wrapped parse error", fmt.Errorf("query: %w", &parser.ParseErr{Err: errors.New("bad")}), 400, "bad_data"},
		{"evaluation error", errors.New("vector cannot contain metrics with the same labelset"), 422, "execution"},
		{"too many samples", promql.ErrTooManySamples("query execution"), 422, "execution"},
		{"engine timeout", promql.ErrQueryTimeout("query execution"), 503, "timeout"},
		{"context deadline", fmt.Errorf("fetch: %w", context.DeadlineExceeded), 503, "timeout"},
		{"cancelled", context.Canceled, 503, "canceled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, &fakeQuerier{t: t,
				instantFn: func(context.Context, string, time.Time) (parser.Value, annotations.Annotations, error) {
					return nil, nil, tc.err
				},
				rangeFn: func(context.Context, string, time.Time, time.Time, time.Duration) (promql.Matrix, annotations.Annotations, error) {
					return nil, nil, tc.err
				},
			})
			for _, c := range []struct {
				path   string
				params url.Values
			}{
				{"/api/v1/query", url.Values{"query": {"q"}}},
				{"/api/v1/query_range", url.Values{"query": {"q"}, "start": {"0"}, "end": {"60"}, "step": {"15"}}},
			} {
				code, resp := call(t, srv, http.MethodGet, c.path, c.params)
				if code != tc.wantCode || resp.Status != "error" || resp.ErrorType != tc.wantType || resp.Error != tc.err.Error() {
					t.Errorf("%s: got %d %+v, want %d %s %q", c.path, code, resp, tc.wantCode, tc.wantType, tc.err)
				}
			}
		})
	}
}

// The timeout parameter bounds the evaluation: a querier that runs until
// its context ends makes the request fail with 503 timeout.
func TestQueryTimeoutParameter(t *testing.T) {
	deadlines := make(chan time.Duration, 2)
	wait := func(ctx context.Context) error {
		d, ok := ctx.Deadline()
		if !ok {
			return errors.New("no deadline")
		}
		deadlines <- time.Until(d)
		<-ctx.Done()
		return ctx.Err()
	}
	srv := newServer(t, &fakeQuerier{t: t,
		instantFn: func(ctx context.Context, _ string, _ time.Time) (parser.Value, annotations.Annotations, error) {
			return nil, nil, wait(ctx)
		},
		rangeFn: func(ctx context.Context, _ string, _, _ time.Time, _ time.Duration) (promql.Matrix, annotations.Annotations, error) {
			return nil, nil, wait(ctx)
		},
	})
	for _, c := range []struct {
		path   string
		params url.Values
	}{
		{"/api/v1/query", url.Values{"query": {"q"}, "timeout": {"50ms"}}},
		{"/api/v1/query_range", url.Values{"query": {"q"}, "start": {"0"}, "end": {"60"}, "step": {"15"}, "timeout": {"0.05"}}},
	} {
		code, resp := call(t, srv, http.MethodPost, c.path, c.params)
		if code != http.StatusServiceUnavailable || resp.ErrorType != "timeout" {
			t.Errorf("%s: got %d %+v, want 503 timeout", c.path, code, resp)
		}
		if d := <-deadlines; d <= 0 || d > 50*time.Millisecond {
			t.Errorf("%s: deadline %s away, want within 50ms", c.path, d)
		}
	}
}
