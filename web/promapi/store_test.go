package promapi_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/augurhq/augur/collector/store/storetest"
	"github.com/augurhq/augur/web/promapi"
)

// TestAgainstStore serves the API over augur's real embedded store.
func TestAgainstStore(t *testing.T) {
	const base = int64(1700000000000) // ms
	// The fixtures are at fixed past times.
	st := storetest.OpenBackfill(t, time.UnixMilli(base))
	app := st.Appender(context.Background())
	for i := int64(0); i <= 4; i++ {
		ts := base + i*15000
		for _, s := range []struct {
			version string
			v       float64
		}{{"v1", float64(10 * i)}, {"v2", float64(5 * i)}} {
			if _, err := app.Append(0, labels.FromStrings("__name__", "requests_total", "version", s.version), ts, s.v); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A lone sample 1 ms past a whole second.
	if _, err := app.Append(0, labels.FromStrings("__name__", "edge"), base+100001, 99); err != nil {
		t.Fatal(err)
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}

	r := gin.New()
	promapi.Register(r, st)
	srv := newServerFor(t, r)

	t.Run("query_range", func(t *testing.T) {
		code, resp := call(t, srv, http.MethodGet, "/api/v1/query_range", url.Values{
			"query": {"sum by (version) (requests_total) * 2"},
			"start": {"1700000000"}, "end": {"2023-11-14T22:14:20Z"}, "step": {"15s"},
		})
		if code != http.StatusOK || resp.Data == nil || resp.Data.ResultType != "matrix" {
			t.Fatalf("got %d %+v, want 200 matrix", code, resp)
		}
		jsonEq(t, resp.Data.Result, `[
			{"metric":{"version":"v1"},"values":[[1700000000,"0"],[1700000015,"20"],[1700000030,"40"],[1700000045,"60"],[1700000060,"80"]]},
			{"metric":{"version":"v2"},"values":[[1700000000,"0"],[1700000015,"10"],[1700000030,"20"],[1700000045,"30"],[1700000060,"40"]]}]`)
	})
	t.Run("query", func(t *testing.T) {
		code, resp := call(t, srv, http.MethodPost, "/api/v1/query", url.Values{
			"query": {`requests_total{version="v2"}`}, "time": {"1700000037.5"},
		})
		if code != http.StatusOK || resp.Data == nil || resp.Data.ResultType != "vector" {
			t.Fatalf("got %d %+v, want 200 vector", code, resp)
		}
		// The newest sample at or before 37.5 s is the one at 30 s.
		jsonEq(t, resp.Data.Result, `[{"metric":{"__name__":"requests_total","version":"v2"},"value":[1700000037.5,"10"]}]`)
	})
	t.Run("query at a millisecond", func(t *testing.T) {
		code, resp := call(t, srv, http.MethodGet, "/api/v1/query", url.Values{"query": {"edge"}, "time": {"1700000100.001"}})
		if code != http.StatusOK || resp.Data == nil {
			t.Fatalf("got %d %+v, want 200", code, resp)
		}
		jsonEq(t, resp.Data.Result, `[{"metric":{"__name__":"edge"},"value":[1700000100.001,"99"]}]`)
	})
	t.Run("parse error from the engine", func(t *testing.T) {
		code, resp := call(t, srv, http.MethodGet, "/api/v1/query", url.Values{"query": {"sum(rate(x[5m])"}})
		if code != http.StatusBadRequest || resp.ErrorType != "bad_data" {
			t.Errorf("got %d %+v, want 400 bad_data", code, resp)
		}
	})
}
