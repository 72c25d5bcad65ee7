package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// grafanaCall makes a Prometheus API call the way Grafana's data source
// does (grafana/grafana pkg/promlib/client/client.go): a POST form when
// the data source's method is POST (the default), falling back to GET on
// 400 or 405 for resource calls; a GET with the query string otherwise.
// It returns the status and the envelope's data.
func grafanaCall(t *testing.T, srv *Server, method, path string, params url.Values) (int, json.RawMessage) {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = http.Post(srv.URL()+path, "application/x-www-form-urlencoded", strings.NewReader(params.Encode()))
	} else {
		resp, err = http.Get(srv.URL() + path + "?" + params.Encode())
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var env struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, b)
	}
	if resp.StatusCode == http.StatusOK && env.Status != "success" {
		t.Errorf("%s %s: status %q: %s", method, path, env.Status, env.Error)
	}
	return resp.StatusCode, env.Data
}

func decodeInto(t *testing.T, raw json.RawMessage, out any) {
	t.Helper()
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

// TestGrafanaDataSourceCalls replays what Grafana's Prometheus data source
// sends against a live server and checks the fields it reads: save & test
// (pkg/promlib/healthcheck.go: an instant 1+1 over the range 1..4 s, so
// time=4; then pkg/promlib/heuristics.go: buildinfo, whose empty
// "features" makes it a Prometheus), the query editor's lookups
// (packages/grafana-prometheus/src/language_provider.ts: label names,
// __name__ values, series with match[] and limit, metadata), exemplars
// (client.go QueryExemplars: query, start, end), rules and format_query.
func TestGrafanaDataSourceCalls(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.SelfScrape.Interval = time.Second })
	now := time.Now()
	// Spans carry trace IDs: the span duration histogram keeps them as
	// exemplars.
	postSpans(t, srv, serverSpans("v1", now.Add(-time.Minute), 20))
	start, end := strconv.FormatInt(now.Add(-time.Hour).Unix(), 10), strconv.FormatInt(now.Add(time.Minute).Unix(), 10)
	rng := url.Values{"start": {start}, "end": {end}}

	t.Run("save and test", func(t *testing.T) {
		code, data := grafanaCall(t, srv, http.MethodPost, "/api/v1/query", url.Values{"query": {"1+1"}, "time": {"4"}})
		var q struct {
			ResultType string `json:"resultType"`
			Result     []any  `json:"result"`
		}
		decodeInto(t, data, &q)
		if code != http.StatusOK || q.ResultType != "scalar" || len(q.Result) != 2 || q.Result[0] != 4.0 || q.Result[1] != "2" {
			t.Errorf("1+1 at 4: %d %s", code, data)
		}
		code, data = grafanaCall(t, srv, http.MethodGet, "/api/v1/status/buildinfo", nil)
		var bi struct {
			Version, Revision, Branch, BuildUser, BuildDate, GoVersion string
			Features                                                   map[string]string `json:"features"`
		}
		decodeInto(t, data, &bi)
		if code != http.StatusOK || bi.Version != Version || !strings.HasPrefix(bi.GoVersion, "go") || len(bi.Features) != 0 {
			t.Errorf("buildinfo: %d %s", code, data)
		}
	})

	// Wait for the self-scrape's first commit (its series are in the index
	// from the first append, their samples once committed) and the span
	// series.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, data := grafanaCall(t, srv, http.MethodGet, "/api/v1/label/__name__/values", rng)
		var names []string
		decodeInto(t, data, &names)
		n, scraped := queryScalar(t, srv, `count(augur_interval_judgements_total{job="augur"})`, time.Now())
		if scraped && n == 5 && slices.Contains(names, "augur_span_duration_seconds_bucket") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metric names: %v", names)
		}
		time.Sleep(50 * time.Millisecond)
	}

	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run("labels "+method, func(t *testing.T) {
			code, data := grafanaCall(t, srv, method, "/api/v1/labels", rng)
			var names []string
			decodeInto(t, data, &names)
			if code != http.StatusOK || !slices.Contains(names, "job") || !slices.Contains(names, "instance") || !slices.Contains(names, "__name__") {
				t.Errorf("labels: %d %v", code, names)
			}
		})
		t.Run("series "+method, func(t *testing.T) {
			p := url.Values{"match[]": {`augur_interval_judgements_total{job="augur"}`}, "start": rng["start"], "end": rng["end"], "limit": {"40000"}}
			code, data := grafanaCall(t, srv, method, "/api/v1/series", p)
			var series []map[string]string
			decodeInto(t, data, &series)
			if code != http.StatusOK || len(series) != 5 || series[0]["instance"] != strings.TrimPrefix(srv.URL(), "http://") {
				t.Errorf("series: %d %v", code, series)
			}
		})
	}

	t.Run("metadata", func(t *testing.T) {
		code, data := grafanaCall(t, srv, http.MethodGet, "/api/v1/metadata", nil)
		var md map[string][]struct{ Type, Help, Unit string }
		decodeInto(t, data, &md)
		for name, typ := range map[string]string{
			"augur_experiment_verdict": "gauge", "augur_interval_judgements_total": "counter",
			"augur_scheduling_lag_seconds": "histogram", "go_gc_duration_seconds": "summary",
		} {
			if m := md[name]; code != http.StatusOK || len(m) != 1 || m[0].Type != typ || m[0].Help == "" {
				t.Errorf("metadata %s: %d %+v, want one %s with help", name, code, m, typ)
			}
		}
		_, data = grafanaCall(t, srv, http.MethodGet, "/api/v1/metadata", url.Values{"metric": {"augur_scheduling_lag_seconds"}})
		var one map[string]any
		decodeInto(t, data, &one)
		if len(one) != 1 || one["augur_scheduling_lag_seconds"] == nil {
			t.Errorf("metadata of one metric: %s", data)
		}
		_, data = grafanaCall(t, srv, http.MethodGet, "/api/v1/metadata", url.Values{"metric": {"never_seen"}})
		if string(data) != "{}" {
			t.Errorf("metadata of an unknown metric: %s, want {}", data)
		}
	})

	t.Run("exemplars", func(t *testing.T) {
		// The span duration histogram carries exemplars on its native form
		// and on its classic _count.
		p := url.Values{"query": {`sum(rate(augur_span_duration_seconds_count{service_name="shop"}[5m]))`},
			"start": rng["start"], "end": rng["end"]}
		var res []struct {
			SeriesLabels map[string]string `json:"seriesLabels"`
			Exemplars    []struct {
				Labels    map[string]string `json:"labels"`
				Value     string            `json:"value"`
				Timestamp float64           `json:"timestamp"`
			} `json:"exemplars"`
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			code, data := grafanaCall(t, srv, http.MethodPost, "/api/v1/query_exemplars", p)
			if code != http.StatusOK {
				t.Fatalf("exemplars: %d %s", code, data)
			}
			decodeInto(t, data, &res)
			if len(res) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(res) == 0 || len(res[0].Exemplars) == 0 {
			t.Fatalf("no exemplars: %+v", res)
		}
		e := res[0].Exemplars[0]
		v, err := strconv.ParseFloat(e.Value, 64)
		if res[0].SeriesLabels["__name__"] != "augur_span_duration_seconds_count" || len(e.Labels["trace_id"]) != 32 || err != nil || v <= 0 ||
			e.Timestamp < float64(now.Add(-2*time.Minute).Unix()) || e.Timestamp > float64(now.Unix()) {
			t.Errorf("exemplar %+v of %v", e, res[0].SeriesLabels)
		}
	})

	t.Run("rules and alerts", func(t *testing.T) {
		code, data := grafanaCall(t, srv, http.MethodGet, "/api/v1/rules", nil)
		if code != http.StatusOK || string(data) != `{"groups":[]}` {
			t.Errorf("rules: %d %s", code, data)
		}
		code, data = grafanaCall(t, srv, http.MethodGet, "/api/v1/alerts", nil)
		if code != http.StatusOK || string(data) != `{"alerts":[]}` {
			t.Errorf("alerts: %d %s", code, data)
		}
	})

	t.Run("format_query", func(t *testing.T) {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			code, data := grafanaCall(t, srv, method, "/api/v1/format_query", url.Values{"query": {"sum(rate(x{a='b'}[5m]))by(job)"}})
			var s string
			decodeInto(t, data, &s)
			if code != http.StatusOK || s != `sum by (job) (rate(x{a="b"}[5m]))` {
				t.Errorf("%s format_query: %d %q", method, code, s)
			}
		}
	})
}
