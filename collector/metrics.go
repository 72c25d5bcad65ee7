package collector

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	remoteapi "github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/storage/remote"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
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
	prom := remote.NewOTLPWriteHandler(logger.With("receiver", "otlp_metrics"), reg, app,
		func() config.Config { return promCfg },
		remote.OTLPOptions{ConvertDelta: true, LookbackDelta: 5 * time.Minute})
	return limitBody(&otlpMetrics{prom: prom, maxBody: cfg.MaxBodyBytes}, cfg.MaxBodyBytes)
}

// otlpMetrics decodes the body itself, so that a malformed request gets a
// 400 that names the problem and a valid one an OTLP response message, and
// hands the decompressed body on to Prometheus' translation.
type otlpMetrics struct {
	prom    http.Handler
	maxBody int64
}

func (h *otlpMetrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := pmetricotlp.NewExportRequest()
	body, mediaType, ok := decodeOTLP(w, r, h.maxBody, "otlp metrics", req)
	if !ok {
		return
	}
	inner := r.Clone(r.Context())
	inner.Body = io.NopCloser(bytes.NewReader(body))
	inner.ContentLength = int64(len(body))
	inner.Header.Del("Content-Encoding")
	inner.Header.Set("Content-Type", mediaType)
	rec := &bufferedResponse{header: http.Header{}, code: http.StatusOK}
	h.prom.ServeHTTP(rec, inner)
	if rec.code != http.StatusOK {
		http.Error(w, "otlp metrics: "+strings.TrimSpace(rec.body.String()), rec.code)
		return
	}
	resp := pmetricotlp.NewExportResponse()
	writeOTLPResponse(w, mediaType, func(json bool) ([]byte, error) {
		if json {
			return resp.MarshalJSON()
		}
		return resp.MarshalProto()
	})
}

// bufferedResponse keeps an inner handler's answer for rewriting.
type bufferedResponse struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) WriteHeader(code int)        { b.code = code }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }

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
