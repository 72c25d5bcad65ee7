package otlpgrpc

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/promql"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/augurhq/augur/collector"
	"github.com/augurhq/augur/collector/store"
	"github.com/augurhq/augur/collector/store/storetest"
)

// query evaluates expr at ts and returns the single sample's value and
// labels; it fails the test unless there is exactly one.
func query(t *testing.T, st *store.Store, expr string, ts time.Time) promql.Sample {
	t.Helper()
	v, _, err := st.Instant(context.Background(), expr, ts)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	vec, ok := v.(promql.Vector)
	if !ok || len(vec) != 1 {
		t.Fatalf("%s = %v, want one sample", expr, v)
	}
	return vec[0]
}

func shopResource(version string) *resource.Resource {
	return resource.NewSchemaless(
		attribute.String("service.name", "shop"),
		attribute.String("service.version", version),
	)
}

// TestTracesSDKToStore exports spans with the OpenTelemetry SDK over
// gzip-compressed OTLP/gRPC and reads the RED series back with PromQL.
func TestTracesSDKToStore(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	sm, err := collector.NewSpanMetrics(discard(), st, collector.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	_, addr := start(t, DefaultConfig(), SpanMetrics{SM: sm}, nil, nil)

	base := time.Now().Add(-time.Minute).Truncate(time.Second)
	for _, v := range []struct {
		version       string
		spans, errors int
	}{{"v1", 30, 3}, {"v2", 20, 5}} {
		exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(addr), otlptracegrpc.WithInsecure(),
			otlptracegrpc.WithCompressor("gzip"), otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
		if err != nil {
			t.Fatal(err)
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithResource(shopResource(v.version)),
			sdktrace.WithBatcher(exp, sdktrace.WithMaxExportBatchSize(8)))
		tr := tp.Tracer("checkout")
		for i := range v.spans {
			start := base.Add(time.Duration(i) * time.Second)
			_, sp := tr.Start(ctx, "GET /cart", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start))
			if i < v.errors {
				sp.SetStatus(otelcodes.Error, "boom")
			}
			sp.End(trace.WithTimestamp(start.Add(20 * time.Millisecond)))
		}
		if err := tp.Shutdown(ctx); err != nil {
			t.Fatalf("%s: flush spans: %v", v.version, err)
		}
	}

	at := base.Add(2 * time.Minute)
	for _, tc := range []struct {
		expr string
		want float64
	}{
		{`sum(augur_span_requests_total{service_name="shop",service_version="v2"})`, 20},
		{`sum(augur_span_requests_total{service_name="shop",service_version="v1"})`, 30},
		{`sum(augur_span_errors_total{service_name="shop",service_version="v2",span_kind="server",span_name="GET /cart"})`, 5},
		{`sum(augur_span_errors_total{service_name="shop",service_version="v1"})`, 3},
	} {
		if got := query(t, st, tc.expr, at).F; got != tc.want {
			t.Errorf("%s = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

// TestMetricsSDKToStore exports a counter and a gauge with the SDK over
// OTLP/gRPC; they go through the real OTLP/HTTP metrics handler and are
// read back from the store under their Prometheus names.
func TestMetricsSDKToStore(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	h := collector.NewOTLPMetricsHandler(discard(), prometheus.NewRegistry(), st, collector.DefaultConfig())
	_, addr := start(t, DefaultConfig(), nil, HTTPMetrics{Handler: h}, nil)

	exp, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(addr), otlpmetricgrpc.WithInsecure(),
		otlpmetricgrpc.WithCompressor("gzip"), otlpmetricgrpc.WithRetry(otlpmetricgrpc.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(shopResource("v2")),
		sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(time.Hour))))
	meter := mp.Meter("checkout")
	orders, err := meter.Int64Counter("shop.orders")
	if err != nil {
		t.Fatal(err)
	}
	orders.Add(ctx, 5, metric.WithAttributes(attribute.String("payment", "card")))
	orders.Add(ctx, 2, metric.WithAttributes(attribute.String("payment", "card")))
	depth, err := meter.Float64Gauge("queue.depth", metric.WithUnit("{item}"))
	if err != nil {
		t.Fatal(err)
	}
	depth.Record(ctx, 11)
	if err := mp.ForceFlush(ctx); err != nil {
		t.Fatalf("flush metrics: %v", err)
	}
	if err := mp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	now := time.Now()
	s := query(t, st, `shop_orders_total{service_version="v2",payment="card"}`, now)
	if s.F != 7 || s.Metric.Get("job") != "shop" {
		t.Errorf("shop_orders_total = %v %s, want 7 with job=shop", s.F, s.Metric)
	}
	if s := query(t, st, `queue_depth{job="shop",service_version="v2"}`, now); s.F != 11 {
		t.Errorf("queue_depth = %v, want 11", s.F)
	}
}

// TestLogsSDK exports log records with the SDK over OTLP/gRPC to a fake
// consumer.
func TestLogsSDK(t *testing.T) {
	ctx := context.Background()
	c := &fake{}
	_, addr := start(t, DefaultConfig(), nil, nil, c)
	exp, err := otlploggrpc.New(ctx, otlploggrpc.WithEndpoint(addr), otlploggrpc.WithInsecure(),
		otlploggrpc.WithCompressor("gzip"), otlploggrpc.WithRetry(otlploggrpc.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithResource(shopResource("v2")), sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	for _, body := range []string{"order placed", "payment declined"} {
		var r otellog.Record
		r.SetBody(attribute.StringValue(body))
		r.SetSeverity(otellog.SeverityWarn)
		r.AddAttributes(attribute.String("order.id", "42"))
		lp.Logger("checkout").Emit(ctx, r)
	}
	if err := lp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	var bodies []string
	for _, ld := range c.logs {
		rls := ld.ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			if v, _ := rls.At(i).Resource().Attributes().Get("service.version"); v.Str() != "v2" {
				t.Errorf("resource service.version = %q, want v2", v.Str())
			}
			sls := rls.At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					bodies = append(bodies, lrs.At(k).Body().Str())
					if v, _ := lrs.At(k).Attributes().Get("order.id"); v.Str() != "42" {
						t.Errorf("order.id = %q", v.Str())
					}
				}
			}
		}
	}
	if len(bodies) != 2 || bodies[0] != "order placed" || bodies[1] != "payment declined" {
		t.Errorf("bodies = %q", bodies)
	}
}
