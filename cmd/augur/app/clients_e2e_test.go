package app

import (
	"context"
	"testing"
	"time"

	"github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelmetric "go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestOTLPHTTPFromTheSDK sends traces and metrics through the OpenTelemetry
// SDK's OTLP/HTTP exporters (protobuf, gzip) and reads them back.
func TestOTLPHTTPFromTheSDK(t *testing.T) {
	srv := startServer(t, nil)
	ctx := context.Background()
	host := srv.listener.Addr().String()
	res := resource.NewSchemaless(semconv.ServiceName("billing"), semconv.ServiceVersion("v3"))
	base := time.Now().Add(-2 * time.Minute).Truncate(time.Second)

	texp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(host), otlptracehttp.WithInsecure(),
		otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(texp))
	for i := range 9 {
		start := base.Add(time.Duration(i) * time.Second)
		_, sp := tp.Tracer("t").Start(ctx, "POST /pay", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start),
			trace.WithAttributes(attribute.Int("http.response.status_code", 200+300*(i%3/2))))
		sp.End(trace.WithTimestamp(start.Add(30 * time.Millisecond)))
	}
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	mexp, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpoint(host), otlpmetrichttp.WithInsecure(),
		otlpmetrichttp.WithCompression(otlpmetrichttp.GzipCompression))
	if err != nil {
		t.Fatal(err)
	}
	reader := sdkmetric.NewPeriodicReader(mexp, sdkmetric.WithInterval(time.Hour))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(reader))
	counter, err := mp.Meter("m").Int64Counter("payments", metricUnit("{payment}"))
	if err != nil {
		t.Fatal(err)
	}
	counter.Add(ctx, 5, metricAttrs(attribute.String("method", "card")))
	if err := mp.Shutdown(ctx); err != nil { // flushes
		t.Fatal(err)
	}

	now := time.Now()
	for _, c := range []struct {
		q    string
		at   time.Time
		want float64
	}{
		{`sum(augur_span_requests_total{service_name="billing",service_version="v3",span_kind="server"})`, base.Add(time.Minute), 9},
		{`sum(augur_span_errors_total{service_name="billing",service_version="v3"})`, base.Add(time.Minute), 3}, // status 500 on i%3 == 2
		{`sum(payments_total{service_version="v3",method="card"})`, now, 5},
	} {
		got, ok := queryScalar(t, srv, c.q, c.at)
		if !ok || got != c.want {
			t.Errorf("%s = %v (found %v), want %v", c.q, got, ok, c.want)
		}
	}
}

// TestJaegerCollectorClient posts spans with jaeger-idl's generated
// CollectorService client to the standalone Jaeger endpoint.
func TestJaegerCollectorClient(t *testing.T) {
	srv := startServer(t, nil)
	conn, err := grpc.NewClient(srv.GRPCAddr("jaeger"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	base := time.Now().Add(-2 * time.Minute).Truncate(time.Second)
	var spans []*model.Span
	for i := range 7 {
		tags := []model.KeyValue{model.String("span.kind", "server")}
		if i < 2 {
			tags = append(tags, model.Bool("error", true))
		}
		spans = append(spans, &model.Span{
			TraceID: model.NewTraceID(1, uint64(i+1)), SpanID: model.NewSpanID(uint64(i + 1)),
			OperationName: "GET /orders", StartTime: base.Add(time.Duration(i) * time.Second), Duration: 40 * time.Millisecond, Tags: tags,
		})
	}
	batch := model.Batch{Process: &model.Process{ServiceName: "orders", Tags: []model.KeyValue{model.String("version", "v4")}}, Spans: spans}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := api_v2.NewCollectorServiceClient(conn).PostSpans(ctx, &api_v2.PostSpansRequest{Batch: batch}); err != nil {
		t.Fatalf("PostSpans: %v", err)
	}
	for q, want := range map[string]float64{
		`sum(augur_span_requests_total{service_name="orders",service_version="v4"})`: 7,
		`sum(augur_span_errors_total{service_name="orders",service_version="v4"})`:   2,
	} {
		if got, ok := queryScalar(t, srv, q, base.Add(time.Minute)); !ok || got != want {
			t.Errorf("%s = %v (found %v), want %v", q, got, ok, want)
		}
	}
}

func metricUnit(u string) otelmetric.Int64CounterOption { return otelmetric.WithUnit(u) }

func metricAttrs(kv ...attribute.KeyValue) otelmetric.AddOption {
	return otelmetric.WithAttributes(kv...)
}
