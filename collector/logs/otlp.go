package logs

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// attrLabel is a resource attribute and the label it becomes.
type attrLabel struct{ attr, label string }

// resourceLabels names the labels of the configured resource attributes the
// way Prometheus' OTLP translation does (service.version → service_version),
// so log series and OTLP metrics of one resource carry identical labels.
func resourceLabels(attrs []string) ([]attrLabel, error) {
	//lint:ignore SA1019 kept until Prometheus' OTLP default drops it too.
	namer := otlptranslator.LabelNamer{UnderscoreLabelSanitization: true, PreserveMultipleUnderscores: true}
	var out []attrLabel
	for _, a := range attrs {
		l, err := namer.Build(a)
		if err != nil {
			return nil, fmt.Errorf("logs.resource_attributes: %q: %w", a, err)
		}
		out = append(out, attrLabel{attr: a, label: l})
	}
	return out, nil
}

// decodeOTLPLogs decodes an OTLP export logs request body (protobuf, or JSON
// when json is set) into records.
func decodeOTLPLogs(body []byte, json bool, attrs []attrLabel, now time.Time) ([]Record, error) {
	req := plogotlp.NewExportRequest()
	var err error
	if json {
		err = req.UnmarshalJSON(body)
	} else {
		err = req.UnmarshalProto(body)
	}
	if err != nil {
		return nil, err
	}
	return otlpRecords(req.Logs(), attrs, now), nil
}

func otlpRecords(ld plog.Logs, attrs []attrLabel, now time.Time) []Record {
	var out []Record
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		res := map[string]string{}
		for _, a := range attrs {
			if v, ok := rl.Resource().Attributes().Get(a.attr); ok && v.AsString() != "" {
				res[a.label] = v.AsString()
			}
		}
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				ts := lr.Timestamp()
				if ts == 0 {
					ts = lr.ObservedTimestamp()
				}
				t := now
				if ts != 0 {
					t = ts.AsTime()
				}
				body := bodyString(lr.Body())
				sev := otlpSeverity(lr.SeverityNumber(), lr.SeverityText())
				if sev == "" {
					if v, ok := lr.Attributes().Get("level"); ok {
						sev = NormalizeSeverity(v.AsString())
					}
				}
				var traceID string
				if id := lr.TraceID(); !id.IsEmpty() {
					traceID = id.String()
				}
				out = append(out, Record{Time: t, Labels: res, Severity: sev, Body: body, TraceID: traceID})
			}
		}
	}
	return out
}

func bodyString(v pcommon.Value) string {
	if v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return v.AsString()
}

// NewOTLPLogsHandler returns the OTLP/HTTP logs receiver (POST /v1/logs;
// protobuf or JSON, optionally gzip). Records feed l. When some records are
// rejected (a line over MaxLineBytes, say) the answer is 200 with an OTLP
// partial success naming how many and why; the rest are stored.
//
// cfg bounds the body (MaxBodyBytes); which resource attributes become
// labels is l's configuration.
func NewOTLPLogsHandler(logger *slog.Logger, l *Logs, cfg Config) http.Handler {
	logger = logger.With("receiver", "otlp_logs")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, mediaType, herr := readBody(r, cfg.MaxBodyBytes, "")
		if herr != nil {
			writeError(w, "otlp logs", herr)
			return
		}
		recs, err := decodeOTLPLogs(body, mediaType == contentTypeJSON, l.attrs, time.Now())
		if err != nil {
			http.Error(w, fmt.Sprintf("otlp logs: malformed %s body: %v", mediaType, err), http.StatusBadRequest)
			return
		}
		res, err := l.Consume(r.Context(), recs)
		if err != nil {
			logger.Error("storing log metrics failed", "err", err)
			http.Error(w, "otlp logs: store: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		resp := plogotlp.NewExportResponse()
		if res.Rejected > 0 {
			logger.Warn("log records rejected", "rejected", res.Rejected, "reason", res.Reason)
			resp.PartialSuccess().SetRejectedLogRecords(int64(res.Rejected))
			resp.PartialSuccess().SetErrorMessage(res.Reason)
		}
		var b []byte
		if mediaType == contentTypeJSON {
			b, err = resp.MarshalJSON()
		} else {
			b, err = resp.MarshalProto()
		}
		if err != nil {
			http.Error(w, "otlp logs: encode response: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", mediaType)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
	})
}

// ConsumeLogs takes OTLP logs from any transport (the OTLP/gRPC receiver
// uses it): it reports how many records were rejected and why, and an error
// only when the store could not take the batch.
func (l *Logs) ConsumeLogs(ctx context.Context, ld plog.Logs) (rejected int, msg string, err error) {
	res, err := l.Consume(ctx, otlpRecords(ld, l.attrs, time.Now()))
	if err != nil {
		return 0, "", err
	}
	return res.Rejected, res.Reason, nil
}
