package promapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/augurhq/augur/collector/store/storetest"
	"github.com/augurhq/augur/web/promapi"
)

// TestMetadataAgainstStore checks labels, label values and series over the
// real store, as Grafana's query editor calls them.
func TestMetadataAgainstStore(t *testing.T) {
	const early, late = int64(1700000000000), int64(1700003600000)
	// The fixtures are at fixed past times.
	st := storetest.OpenBackfill(t, time.UnixMilli(early))
	app := st.Appender(context.Background())
	for _, s := range []struct {
		ls labels.Labels
		t  int64
	}{
		{labels.FromStrings("__name__", "requests_total", "service_version", "v1", "pod", "a"), early},
		{labels.FromStrings("__name__", "requests_total", "service_version", "v2", "pod", "b"), early},
		{labels.FromStrings("__name__", "memory_bytes", "service_version", "v1", "zone", "eu"), early},
		{labels.FromStrings("__name__", "late_metric", "region", "x"), late},
	} {
		if _, err := app.Append(0, s.ls, s.t, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	promapi.RegisterMetadata(r, st)
	srv := httptest.NewServer(r)
	defer srv.Close()

	type envelope struct {
		Status    string          `json:"status"`
		ErrorType string          `json:"errorType"`
		Data      json.RawMessage `json:"data"`
	}
	get := func(t *testing.T, method, path string, form url.Values) (int, envelope) {
		t.Helper()
		var resp *http.Response
		var err error
		if method == http.MethodPost {
			resp, err = http.PostForm(srv.URL+path, form)
		} else {
			resp, err = http.Get(srv.URL + path + "?" + form.Encode())
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e envelope
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, e
	}
	tests := []struct {
		name, method, path string
		form               url.Values
		want               any // decoded data, or nil for an error answer
	}{
		{"all label names", "GET", "/api/v1/labels", nil,
			[]string{"__name__", "pod", "region", "service_version", "zone"}},
		{"label names of matched series", "GET", "/api/v1/labels", url.Values{"match[]": {`requests_total`}},
			[]string{"__name__", "pod", "service_version"}},
		{"union over two matchers", "POST", "/api/v1/labels", url.Values{"match[]": {`requests_total`, `memory_bytes`}},
			[]string{"__name__", "pod", "service_version", "zone"}},
		{"metric names", "GET", "/api/v1/label/__name__/values", nil,
			[]string{"late_metric", "memory_bytes", "requests_total"}},
		// Like Prometheus, the time range selects blocks, not samples: a
		// range before any data finds nothing.
		{"values outside the stored time range", "GET", "/api/v1/label/__name__/values",
			url.Values{"start": {"1600000000"}, "end": {"1600000060"}}, []string{}},
		{"values with limit", "GET", "/api/v1/label/service_version/values", url.Values{"limit": {"1"}}, []string{"v1"}},
		{"values of a matched metric", "GET", "/api/v1/label/pod/values", url.Values{"match[]": {`requests_total{service_version="v2"}`}}, []string{"b"}},
		{"unknown label has no values", "GET", "/api/v1/label/nope/values", nil, []string{}},
		{"series", "GET", "/api/v1/series", url.Values{"match[]": {`{service_version="v1"}`}}, []map[string]string{
			{"__name__": "memory_bytes", "service_version": "v1", "zone": "eu"},
			{"__name__": "requests_total", "pod": "a", "service_version": "v1"},
		}},
		{"series needs match[]", "GET", "/api/v1/series", nil, nil},
		{"bad matcher", "GET", "/api/v1/series", url.Values{"match[]": {`{service_version=}`}}, nil},
		{"bad start", "GET", "/api/v1/labels", url.Values{"start": {"yesterday"}}, nil},
		{"bad limit", "GET", "/api/v1/labels", url.Values{"limit": {"-3"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, e := get(t, tt.method, tt.path, tt.form)
			if tt.want == nil {
				if code != http.StatusBadRequest || e.Status != "error" || e.ErrorType != "bad_data" {
					t.Errorf("got %d %+v, want 400 bad_data", code, e)
				}
				return
			}
			if code != http.StatusOK || e.Status != "success" {
				t.Fatalf("got %d %+v", code, e)
			}
			got := reflect.New(reflect.TypeOf(tt.want))
			if err := json.Unmarshal(e.Data, got.Interface()); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Elem().Interface(), tt.want) {
				t.Errorf("got %s, want %v", strings.TrimSpace(string(e.Data)), tt.want)
			}
		})
	}
}
