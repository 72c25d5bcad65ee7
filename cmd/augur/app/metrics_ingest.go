package app

import (
	"context"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/augurhq/augur/collector"
	"github.com/augurhq/augur/collector/logs"
)

// countIngest registers the ingest counters, has spans and log records
// counted by the receivers' consumers, and returns the store wrapped to
// count the samples the metric receivers append.
func countIngest(reg prometheus.Registerer, spans *collector.SpanMetrics, records *logs.Logs, st collector.SampleStore) collector.SampleStore {
	c := collector.NewIngestCounters(reg)
	spans.CountIngest(c)
	records.CountIngest(c)
	return c.Samples(st)
}

// httpIngestProtocol is the protocol label of an HTTP ingest endpoint,
// named by its limiter signal.
func httpIngestProtocol(signal string) string {
	switch {
	case strings.HasPrefix(signal, "otlp"):
		return collector.ProtocolOTLPHTTP
	case strings.HasPrefix(signal, "loki"):
		return collector.ProtocolLoki
	case strings.HasPrefix(signal, "remote write"):
		return collector.ProtocolRemoteWrite
	}
	return signal
}

// grpcIngestProtocol names a gRPC ingest call's protocol in its context:
// Jaeger's collector service, or OTLP.
func grpcIngestProtocol(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	p := collector.ProtocolOTLPGRPC
	if strings.HasPrefix(info.FullMethod, "/jaeger.") {
		p = collector.ProtocolJaeger
	}
	return handler(collector.WithProtocol(ctx, p), req)
}
