package app

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
)

// TestIngestCountersPerProtocol: what each receiver stores and refuses is
// counted under its protocol: remote-write samples (one of them older than
// the store accepts), OTLP/HTTP metric samples and spans, OTLP/gRPC spans,
// and Loki log records (one without a time).
func TestIngestCountersPerProtocol(t *testing.T) {
	srv := startServer(t, nil)
	now := time.Now()
	counter := func(what, outcome, protocol string) float64 {
		return metricValue(t, srv, fmt.Sprintf(`augur_ingest_%s_%s_total{protocol=%q}`, what, outcome, protocol))
	}

	if code, body := post(t, srv.URL()+"/api/v1/write", "application/x-protobuf", "snappy", remoteWriteV1(t, "a", now, 1)); code != http.StatusNoContent {
		t.Fatalf("remote write: %d %s", code, body)
	}
	if code, _ := post(t, srv.URL()+"/api/v1/write", "application/x-protobuf", "snappy", remoteWriteV1(t, "b", now.Add(-72*time.Hour), 1)); code != http.StatusBadRequest {
		t.Fatalf("remote write of an ancient sample: %d, want 400", code)
	}
	b, err := pmetricotlp.NewExportRequestFromMetrics(gauge("queue_depth", "v1", now, 3)).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	if code, body := post(t, srv.URL()+"/v1/metrics", "application/x-protobuf", "", b); code != http.StatusOK {
		t.Fatalf("otlp metrics: %d %s", code, body)
	}
	postSpans(t, srv, serverSpans("v1", now.Add(-time.Minute), 4))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := exportSpans(ctx, srv.GRPCAddr("otlp_grpc")); err != nil {
		t.Fatal(err)
	}
	ns := strconv.FormatInt(now.Add(-time.Minute).UnixNano(), 10)
	loki := `{"streams":[{"stream":{"app":"shop","level":"error"},"values":[["` + ns + `","timeout"],["` + ns + `","reset"],["0","no time"]]}]}`
	if code, body := post(t, srv.URL()+"/loki/api/v1/push", "application/json", "", []byte(loki)); code >= 300 && code != http.StatusBadRequest {
		t.Fatalf("loki push: %d %s", code, body)
	}

	tests := []struct {
		what, outcome, protocol string
		want                    float64
	}{
		{"samples", "accepted", "remote_write", 1},
		{"samples", "rejected", "remote_write", 1},
		{"samples", "accepted", "otlp_http", 2}, // the data point and its resource's target_info
		{"samples", "rejected", "otlp_http", 0},
		{"spans", "accepted", "otlp_http", 4},
		{"spans", "accepted", "otlp_grpc", 1},
		{"spans", "rejected", "otlp_grpc", 0},
		{"log_records", "accepted", "loki", 2},
		{"log_records", "rejected", "loki", 1},
	}
	for _, tt := range tests {
		t.Run(tt.what+" "+tt.outcome+" "+tt.protocol, func(t *testing.T) {
			if got := counter(tt.what, tt.outcome, tt.protocol); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
