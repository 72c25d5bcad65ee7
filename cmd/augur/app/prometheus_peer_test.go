package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/augurhq/augur/analysis/source/prometheus/promtest"
)

// promSample is one instant-vector element of a query API answer.
type promSample struct {
	Labels string
	Value  string
}

// queryAPI asks a Prometheus-compatible /api/v1/query for expr (at the
// server's now) and returns the samples sorted by labels.
func queryAPI(ctx context.Context, baseURL, expr string) ([]promSample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/api/v1/query?query="+url.QueryEscape(expr), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("%s: decode: %w", baseURL, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("%s: query %s: %s", baseURL, expr, body.Error)
	}
	var out []promSample
	for _, r := range body.Data.Result {
		var keys []string
		for k, v := range r.Metric {
			keys = append(keys, k+"="+v)
		}
		sort.Strings(keys)
		v, _ := r.Value[1].(string)
		out = append(out, promSample{Labels: strings.Join(keys, ","), Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Labels < out[j].Labels })
	return out, nil
}

// TestPrometheusRemoteWritePeer: a real Prometheus scrapes a target every
// second and remote-writes into augur; augur's query API must answer what
// Prometheus' own does, series for series and value for value.
func TestPrometheusRemoteWritePeer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Prometheus process")
	}
	if _, err := os.Stat(promtest.Bin); err != nil {
		t.Skipf("%s not found (scripts/deps.sh installs Debian's prometheus package): %v", promtest.Bin, err)
	}
	srv := startServer(t, nil)

	reg := prometheus.NewRegistry()
	jobs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "peer_jobs_total", Help: "Jobs done."}, []string{"queue"})
	lat := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "peer_latency_seconds", Help: "Latency.", Buckets: []float64{0.01, 0.1, 0.5, 1}})
	reg.MustRegister(jobs, lat)
	jobs.WithLabelValues("fast").Add(42)
	jobs.WithLabelValues("slow").Add(7)
	for _, v := range []float64{0.005, 0.05, 0.05, 0.3, 0.7, 2} {
		lat.Observe(v)
	}
	target := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer target.Close()

	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: peer
    static_configs:
      - targets: [%q]
remote_write:
  - url: %s/api/v1/write
    queue_config:
      batch_send_deadline: 1s
      max_samples_per_send: 500
      min_backoff: 100ms
      max_backoff: 1s
`, strings.TrimPrefix(target.URL, "http://"), srv.URL())
	promURL, logs := promtest.Start(t, cfg)

	queries := []string{
		`peer_jobs_total`,
		`peer_latency_seconds_bucket`,
		`peer_latency_seconds_count`,
		`peer_latency_seconds_sum`,
		`up{job="peer"}`,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var last string
	for {
		same := true
		var diff strings.Builder
		for _, q := range queries {
			want, err := queryAPI(ctx, promURL, q)
			if err == nil && len(want) == 0 {
				err = fmt.Errorf("prometheus has no %s yet", q)
			}
			var got []promSample
			if err == nil {
				got, err = queryAPI(ctx, srv.URL(), q)
			}
			if err != nil {
				same = false
				fmt.Fprintf(&diff, "%s: %v\n", q, err)
				continue
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				same = false
				fmt.Fprintf(&diff, "%s:\n  augur      %v\n  prometheus %v\n", q, got, want)
			}
		}
		if same {
			break
		}
		last = diff.String()
		select {
		case <-ctx.Done():
			t.Fatalf("augur never answered as Prometheus does:\n%s\nprometheus log:\n%s", last, logs.String())
		case <-time.After(500 * time.Millisecond):
		}
	}
	// Spot-check the values themselves.
	got, err := queryAPI(ctx, srv.URL(), `peer_jobs_total{queue="fast"}`)
	if err != nil || len(got) != 1 || got[0].Value != "42" {
		t.Errorf("peer_jobs_total{queue=fast} = %v (%v), want 42", got, err)
	}
	got, err = queryAPI(ctx, srv.URL(), `peer_latency_seconds_bucket{le="0.5"}`)
	if err != nil || len(got) != 1 || got[0].Value != "4" {
		t.Errorf("bucket le=0.5 = %v (%v), want 4", got, err)
	}
}
