package collector

import (
	"log/slog"
	"net/http"
	"time"

	remoteapi "github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/storage/remote"
)

// NewOTLPMetricsHandler returns the OTLP/HTTP metrics receiver
// (POST /v1/metrics; protobuf or JSON, optionally gzip). It reuses
// Prometheus' OTLP translation, so metric names get the unit and type
// suffixes and label names the escaping the OpenTelemetry specification
// describes; the configured resource attributes are promoted to labels so
// cohorts can be selected by version. Delta temporality is converted to
// cumulative.
func NewOTLPMetricsHandler(logger *slog.Logger, reg prometheus.Registerer, app storage.AppendableV2, cfg Config) http.Handler {
	promCfg := config.DefaultConfig
	promCfg.OTLPConfig = config.DefaultOTLPConfig
	promCfg.OTLPConfig.PromoteResourceAttributes = cfg.ResourceAttributes
	h := remote.NewOTLPWriteHandler(logger.With("receiver", "otlp_metrics"), reg, app,
		func() config.Config { return promCfg },
		remote.OTLPOptions{ConvertDelta: true, LookbackDelta: 5 * time.Minute})
	return limitBody(h, cfg.MaxBodyBytes)
}

// NewRemoteWriteHandler returns the Prometheus remote-write receiver
// (POST /api/v1/write), accepting remote-write 1.0 and 2.0 messages.
func NewRemoteWriteHandler(logger *slog.Logger, reg prometheus.Registerer, app storage.Appendable, cfg Config) http.Handler {
	h := remote.NewWriteHandler(logger.With("receiver", "remote_write"), reg, app,
		remoteapi.MessageTypes{remoteapi.WriteV1MessageType, remoteapi.WriteV2MessageType},
		false, false, false)
	return limitBody(h, cfg.MaxBodyBytes)
}

// limitBody bounds the raw request body; decoders bound what it inflates to.
func limitBody(h http.Handler, n int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, n)
		h.ServeHTTP(w, r)
	})
}
