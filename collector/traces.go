package collector

import (
	"log/slog"
	"net/http"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// NewOTLPTracesHandler returns the OTLP/HTTP traces receiver
// (POST /v1/traces; protobuf or JSON, optionally gzip). Spans feed sm, which
// turns them into RED series. When some spans are rejected the answer is
// 200 with an OTLP partial success naming how many and why; a span whose
// RED series would break a per-series limit is one of those. Spans whose
// names pass a span name limit are stored under span_name="_overflow" and
// named in a partial success with rejected_spans 0 (a warning).
func NewOTLPTracesHandler(logger *slog.Logger, sm *SpanMetrics, cfg Config) http.Handler {
	logger = logger.With("receiver", "otlp_traces")
	return limitBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := ptraceotlp.NewExportRequest()
		_, mediaType, ok := decodeOTLP(w, r, cfg.MaxBodyBytes, "otlp traces", req)
		if !ok {
			return
		}
		res, err := sm.Consume(r.Context(), req.Traces())
		if err != nil {
			logger.Error("storing span metrics failed", "err", err)
			http.Error(w, "otlp traces: store: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		resp := ptraceotlp.NewExportResponse()
		if res.Rejected > 0 {
			logger.Warn("spans rejected", "rejected", res.Rejected, "reason", res.Reason)
		}
		if res.Rejected > 0 || res.Reason != "" {
			// rejected_spans 0 with a message is OTLP's warning: spans
			// counted under _overflow are stored, not lost.
			resp.PartialSuccess().SetRejectedSpans(int64(res.Rejected))
			resp.PartialSuccess().SetErrorMessage(res.Reason)
		}
		writeOTLPResponse(w, mediaType, func(json bool) ([]byte, error) {
			if json {
				return resp.MarshalJSON()
			}
			return resp.MarshalProto()
		})
	}), cfg.MaxBodyBytes)
}
