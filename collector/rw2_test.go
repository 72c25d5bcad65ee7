package collector

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/labels"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"

	"github.com/augurhq/augur/collector/store/storetest"
)

// TestRemoteWriteV2NativeHistogramAndExemplar: a remote-write 2.0 native
// histogram is stored as one, and a float sample's exemplar keeps its trace.
func TestRemoteWriteV2NativeHistogramAndExemplar(t *testing.T) {
	st := storetest.Open(t)
	srv := httptest.NewServer(NewRemoteWriteHandler(discardLogger(), prometheus.NewRegistry(), st, DefaultConfig()))
	defer srv.Close()
	now := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	// Symbols: 0 "", 1 __name__, 2 latency_seconds, 3 job, 4 api, 5 hits_total, 6 trace_id, 7 abc123
	req := &writev2.Request{
		Symbols: []string{"", "__name__", "latency_seconds", "job", "api", "hits_total", "trace_id", "abc123"},
		Timeseries: []writev2.TimeSeries{
			{
				LabelsRefs: []uint32{1, 2, 3, 4},
				Histograms: []writev2.Histogram{{
					Count: &writev2.Histogram_CountInt{CountInt: 6}, Sum: 0.9, Schema: 0, ZeroThreshold: 1e-9,
					ZeroCount:      &writev2.Histogram_ZeroCountInt{ZeroCountInt: 1},
					PositiveSpans:  []writev2.BucketSpan{{Offset: -3, Length: 2}},
					PositiveDeltas: []int64{2, 1}, // buckets 2 and 3 → 5 observations, plus 1 zero
					Timestamp:      now.UnixMilli(),
				}},
				Metadata: writev2.Metadata{Type: writev2.Metadata_METRIC_TYPE_HISTOGRAM},
			},
			{
				LabelsRefs: []uint32{1, 5, 3, 4},
				Samples:    []writev2.Sample{{Value: 42, Timestamp: now.UnixMilli()}},
				Exemplars:  []writev2.Exemplar{{LabelsRefs: []uint32{6, 7}, Value: 0.25, Timestamp: now.UnixMilli()}},
				Metadata:   writev2.Metadata{Type: writev2.Metadata_METRIC_TYPE_COUNTER},
			},
		},
	}
	b, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	resp, msg := postRW(t, srv.URL, snappy.Encode(nil, b), "application/x-protobuf;proto=io.prometheus.write.v2.Request")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d %q", resp.StatusCode, msg)
	}
	vec := selectSeries(t, st, `latency_seconds{job="api"}`, now)
	if len(vec) != 1 || vec[0].H == nil || vec[0].H.Count != 6 || vec[0].H.ZeroCount != 1 || vec[0].H.Sum != 0.9 {
		t.Fatalf("native histogram: %v", vec)
	}
	eq, err := st.ExemplarQuerier(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := eq.Select(now.UnixMilli()-1000, now.UnixMilli()+1000, []*labels.Matcher{labels.MustNewMatcher(labels.MatchEqual, "__name__", "hits_total")})
	if err != nil {
		t.Fatal(err)
	}
	if !hasExemplar(res, "abc123", 0.25) {
		t.Errorf("exemplar not stored: %+v", res)
	}
}

func hasExemplar(res []exemplar.QueryResult, trace string, v float64) bool {
	for _, r := range res {
		for _, e := range r.Exemplars {
			if e.Labels.Get("trace_id") == trace && e.Value == v {
				return true
			}
		}
	}
	return false
}
