package collector

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/otlptranslator"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/storage/remote"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
)

// NewOTLPMetricsHandler returns the OTLP/HTTP metrics receiver
// (POST /v1/metrics; protobuf or JSON, optionally gzip). It reuses
// Prometheus' OTLP translation, so metric names get the unit and type
// suffixes and label names the escaping the OpenTelemetry specification
// describes; the configured resource attributes are promoted to labels so
// cohorts can be selected by version. Delta temporality is converted to
// cumulative.
//
// Limits: a request with more data points than
// limits.max_series_per_request is refused with 400; a data point whose
// labels would break a per-series limit is dropped and counted in the OTLP
// partial success, the rest are stored. The label count is estimated before
// translation as __name__, the data point's attributes, the promoted
// resource attributes present, job and instance, and le or quantile. A data
// point whose series the store will not create at its active series limit
// is counted in the partial success too; the rest of the request is stored.
func NewOTLPMetricsHandler(logger *slog.Logger, reg prometheus.Registerer, app storage.AppendableV2, cfg Config) http.Handler {
	promCfg := config.DefaultConfig
	promCfg.OTLPConfig = config.DefaultOTLPConfig
	promoted := promotedResourceAttributes(cfg.ResourceAttributes)
	promCfg.OTLPConfig.PromoteResourceAttributes = promoted
	prom := remote.NewOTLPWriteHandler(logger.With("receiver", "otlp_metrics"), reg, refusingAppendable{app},
		func() config.Config { return promCfg },
		remote.OTLPOptions{ConvertDelta: true, LookbackDelta: 5 * time.Minute})
	h := &otlpMetrics{prom: prom, maxBody: cfg.MaxBodyBytes, limits: cfg.Limits, promoted: promoted, checkTime: TimeCheck(app)}
	return limitBody(h, cfg.MaxBodyBytes)
}

// otlpMetrics decodes the body itself, so that a malformed request gets a
// 400 that names the problem and a valid one an OTLP response message, and
// hands the decompressed body on to Prometheus' translation.
type otlpMetrics struct {
	prom     http.Handler
	maxBody  int64
	limits   LimitsConfig
	promoted []string
	// checkTime is the store's sample time window (see TimeCheck).
	checkTime func(t int64) error
}

func (h *otlpMetrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := pmetricotlp.NewExportRequest()
	body, mediaType, ok := decodeOTLP(w, r, h.maxBody, "otlp metrics", req)
	if !ok {
		return
	}
	md := req.Metrics()
	if n := md.DataPointCount(); h.limits.MaxSeriesPerRequest > 0 && n > h.limits.MaxSeriesPerRequest {
		http.Error(w, fmt.Sprintf("otlp metrics: %d data points in one request, more than the limit of %d; send smaller batches",
			n, h.limits.MaxSeriesPerRequest), http.StatusBadRequest)
		return
	}
	innerType := mediaType
	rj := h.filter(md)
	if rj.any() {
		b, err := req.MarshalProto()
		if err != nil {
			http.Error(w, "otlp metrics: re-encode: "+err.Error(), http.StatusInternalServerError)
			return
		}
		body, innerType = b, contentTypeProtobuf
	}
	refused := &seriesRefusals{}
	inner := r.Clone(withSeriesRefusals(r.Context(), refused))
	inner.Body = io.NopCloser(bytes.NewReader(body))
	inner.ContentLength = int64(len(body))
	inner.Header.Del("Content-Encoding")
	inner.Header.Set("Content-Type", innerType)
	rec := &bufferedResponse{header: http.Header{}, code: http.StatusOK}
	h.prom.ServeHTTP(rec, inner)
	if rec.code != http.StatusOK {
		http.Error(w, "otlp metrics: "+strings.TrimSpace(rec.body.String()), rec.code)
		return
	}
	if refused.n > 0 {
		rj.add(0, refused.n, refused.first)
	}
	resp := pmetricotlp.NewExportResponse()
	if rj.any() {
		resp.PartialSuccess().SetRejectedDataPoints(int64(rj.samples))
		resp.PartialSuccess().SetErrorMessage(fmt.Sprintf("%d data points rejected: %s", rj.samples, strings.Join(rj.reasons, "; ")))
	}
	writeOTLPResponse(w, mediaType, func(json bool) ([]byte, error) {
		if json {
			return resp.MarshalJSON()
		}
		return resp.MarshalProto()
	})
}

// filter drops the data points that break a per-series limit or the label
// rule (ValidateLabel), or lie outside the store's time window.
func (h *otlpMetrics) filter(md pmetric.Metrics) (rj rejects) {
	lim := h.limits
	checkLabel := func(name, value string) error {
		if err := ValidateLabel(name, value); err != nil {
			return err
		}
		return lim.checkLabel(name, value)
	}
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		base := 1 // __name__
		res := rm.Resource().Attributes()
		var resErr error
		for _, a := range h.promoted {
			if v, ok := res.Get(a); ok {
				base++
				if resErr == nil {
					resErr = checkLabel(a, v.AsString())
				}
			}
		}
		for _, a := range []string{"service.name", "service.instance.id"} {
			if v, ok := res.Get(a); ok {
				base++ // job, instance
				if resErr == nil {
					resErr = checkLabel(a, v.AsString())
				}
			}
		}
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			// A metric without a data type carries nothing to store and
			// would fail the whole batch in the translation: drop it alone.
			ms.RemoveIf(func(m pmetric.Metric) bool {
				if why := malformedMetric(m); why != "" {
					rj.add(1, 0, fmt.Sprintf("metric %q: %s", truncate(m.Name(), 200), why))
					return true
				}
				return false
			})
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				err := resErr
				if err == nil {
					err = lim.checkLabel(model.MetricNameLabel, m.Name())
				}
				bad := func(attrs pcommon.Map, extra int, ts pcommon.Timestamp) bool {
					e := err
					if e == nil {
						if te := h.checkTime(nanosToMillis(uint64(ts))); te != nil {
							e = fmt.Errorf("data point time: %w", te)
						}
					}
					if e == nil {
						if n := base + extra + attrs.Len(); lim.MaxLabelsPerSeries > 0 && n > lim.MaxLabelsPerSeries {
							e = fmt.Errorf("%d labels, more than the limit of %d", n, lim.MaxLabelsPerSeries)
						}
					}
					if e == nil {
						attrs.Range(func(k string, v pcommon.Value) bool {
							e = checkLabel(k, v.AsString())
							return e == nil
						})
					}
					if e != nil {
						rj.add(0, 1, fmt.Sprintf("metric %q: %v", truncate(m.Name(), 200), e))
					}
					return e != nil
				}
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					m.Gauge().DataPoints().RemoveIf(func(dp pmetric.NumberDataPoint) bool { return bad(dp.Attributes(), 0, dp.Timestamp()) })
				case pmetric.MetricTypeSum:
					m.Sum().DataPoints().RemoveIf(func(dp pmetric.NumberDataPoint) bool { return bad(dp.Attributes(), 0, dp.Timestamp()) })
				case pmetric.MetricTypeHistogram:
					m.Histogram().DataPoints().RemoveIf(func(dp pmetric.HistogramDataPoint) bool { return bad(dp.Attributes(), 1, dp.Timestamp()) })
				case pmetric.MetricTypeExponentialHistogram:
					m.ExponentialHistogram().DataPoints().RemoveIf(func(dp pmetric.ExponentialHistogramDataPoint) bool { return bad(dp.Attributes(), 0, dp.Timestamp()) })
				case pmetric.MetricTypeSummary:
					m.Summary().DataPoints().RemoveIf(func(dp pmetric.SummaryDataPoint) bool { return bad(dp.Attributes(), 1, dp.Timestamp()) })
				}
			}
		}
	}
	return rj
}

// malformedMetric says why a metric cannot be translated at all, or "".
func malformedMetric(m pmetric.Metric) string {
	var t pmetric.AggregationTemporality
	switch m.Type() {
	case pmetric.MetricTypeEmpty:
		return "no data (gauge, sum, histogram, exponential histogram or summary)"
	case pmetric.MetricTypeSum:
		t = m.Sum().AggregationTemporality()
	case pmetric.MetricTypeHistogram:
		t = m.Histogram().AggregationTemporality()
	case pmetric.MetricTypeExponentialHistogram:
		t = m.ExponentialHistogram().AggregationTemporality()
	}
	namer := otlptranslator.NewMetricNamer("", otlptranslator.UnderscoreEscapingWithSuffixes)
	if _, err := namer.Build(otlptranslator.Metric{Name: m.Name(), Unit: m.Unit(), Type: otlptranslator.MetricTypeGauge}); err != nil {
		return fmt.Sprintf("name cannot become a Prometheus metric name: %v", err)
	}
	if m.Type() == pmetric.MetricTypeGauge || m.Type() == pmetric.MetricTypeSummary {
		return ""
	}
	if t != pmetric.AggregationTemporalityCumulative && t != pmetric.AggregationTemporalityDelta {
		return fmt.Sprintf("%s with aggregation temporality %s: want cumulative or delta", m.Type(), t)
	}
	return ""
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

// limitBody bounds the raw request body; decoders bound what it inflates to.
func limitBody(h http.Handler, n int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, n)
		h.ServeHTTP(w, r)
	})
}

// k8sResourceAttributes are the resource attributes a "k8s.*" entry
// promotes on OTLP metrics: Prometheus' translation promotes explicit names
// only, so a prefix cannot be expanded per request there.
var k8sResourceAttributes = []string{
	"k8s.cluster.name", "k8s.namespace.name", "k8s.node.name",
	"k8s.pod.name", "k8s.pod.uid", "k8s.container.name",
	"k8s.deployment.name", "k8s.replicaset.name", "k8s.statefulset.name",
	"k8s.daemonset.name", "k8s.job.name", "k8s.cronjob.name",
}

// promotedResourceAttributes turns the configured resource attributes into
// the explicit list Prometheus' OTLP translation takes: "k8s.*" becomes
// k8sResourceAttributes, any other prefix wildcard is dropped (it still
// applies to span series).
func promotedResourceAttributes(attrs []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, a := range attrs {
		switch {
		case a == "k8s.*":
			for _, k := range k8sResourceAttributes {
				add(k)
			}
		case strings.HasSuffix(a, "*"):
		default:
			add(a)
		}
	}
	return out
}
