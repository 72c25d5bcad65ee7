package prometheus

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/prometheus/promtest"
	"github.com/augurhq/augur/analysis/source/sourcetest"
)

// startPrometheus runs Debian's Prometheus with the remote-write receiver.
func startPrometheus(t *testing.T) (string, *promtest.Logs) {
	t.Helper()
	return promtest.Start(t, "global:\n  scrape_interval: 1m\n", "--web.enable-remote-write-receiver")
}

// remoteWrite sends the dataset to Prometheus' remote-write receiver, each
// series' samples in time order.
func remoteWrite(t *testing.T, base string, d sourcetest.Dataset) {
	t.Helper()
	var req prompb.WriteRequest
	for _, s := range d.Series {
		ls := []prompb.Label{{Name: "__name__", Value: d.Metric}}
		for k, v := range s.Labels {
			ls = append(ls, prompb.Label{Name: k, Value: v})
		}
		sort.Slice(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
		ts := prompb.TimeSeries{Labels: ls}
		for _, p := range s.Points {
			ts.Samples = append(ts.Samples, prompb.Sample{Timestamp: p.T, Value: p.V})
		}
		req.Timeseries = append(req.Timeseries, ts)
	}
	raw, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	hreq, err := http.NewRequest(http.MethodPost, base+"/api/v1/write", bytes.NewReader(snappy.Encode(nil, raw)))
	if err != nil {
		t.Fatal(err)
	}
	hreq.Header.Set("Content-Type", "application/x-protobuf")
	hreq.Header.Set("Content-Encoding", "snappy")
	hreq.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("remote write: %s: %s", resp.Status, body)
	}
}

func newSource(t *testing.T, spec analysis.SourceSpec) *Source {
	t.Helper()
	src, err := New(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestConformance runs the source conformance suite against a real
// Prometheus, loaded by remote write.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Prometheus process")
	}
	base, logs := startPrometheus(t)
	defer func() {
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs)
		}
	}()
	sourcetest.Run(t, sourcetest.Backend{
		Data: &sourcetest.Data{
			Source:  newSource(t, analysis.SourceSpec{URL: base}),
			Load:    func(t *testing.T, d sourcetest.Dataset) { remoteWrite(t, base, d) },
			Queries: sourcetest.PromQL(),
		},
		Endpoint: func(t *testing.T, addr string, timeout time.Duration) analysis.Source {
			return newSource(t, analysis.SourceSpec{URL: "http://" + addr, Timeout: analysis.Duration(timeout)})
		},
		Probe:  analysis.Query{Expr: "up", Start: time.Now().Add(-time.Hour), End: time.Now(), Step: time.Minute},
		Refuse: sourcetest.HTTPRefuse,
	})
}

// TestAgainstPrometheusErrors checks errors Prometheus itself raises.
func TestAgainstPrometheusErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Prometheus process")
	}
	base, _ := startPrometheus(t)
	src := newSource(t, analysis.SourceSpec{URL: base})
	now := time.Now()
	cases := []struct {
		name      string
		q         analysis.Query
		permanent bool
		says      string
	}{
		{"execution error", analysis.Query{Expr: `label_replace(vector(1), "a", "$1", "b", "(")`, End: now}, true, "422"},
		{"step too small for the range", analysis.Query{Expr: "vector(1)", Start: now.Add(-365 * 24 * time.Hour), End: now, Step: time.Second}, true, "exceeded maximum resolution"},
		{"string result", analysis.Query{Expr: `"text"`, End: now}, true, `result type "string"`},
		{"scalar result", analysis.Query{Expr: `scalar(vector(2.5))`, End: now}, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := src.Fetch(context.Background(), c.q)
			if c.says == "" {
				if err != nil || len(got) != 1 || len(got[0].Points) != 1 || got[0].Points[0].V != 2.5 || got[0].Points[0].T != now.UnixMilli() {
					t.Fatalf("Fetch = %v, %v; want one point 2.5 at %d", got, err, now.UnixMilli())
				}
				return
			}
			if err == nil {
				t.Fatalf("Fetch = %v; want an error", got)
			}
			sourcetest.CheckError(t, err, c.permanent, c.says)
		})
	}
}
