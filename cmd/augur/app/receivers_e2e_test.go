package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

// TestReceiversWired sends through each receiver the server mounts beyond
// OTLP/HTTP metrics and traces (the receivers' own packages test them in
// depth) and reads the result back through the query API.
func TestReceiversWired(t *testing.T) {
	srv := startServer(t, nil)
	ctx := context.Background()
	base := time.Now().Add(-2 * time.Minute).Truncate(time.Second)

	t.Run("otlp grpc traces from the OpenTelemetry SDK", func(t *testing.T) {
		exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(srv.GRPCAddr("otlp_grpc")), otlptracegrpc.WithInsecure())
		if err != nil {
			t.Fatal(err)
		}
		res := resource.NewSchemaless(semconv.ServiceName("cart"), semconv.ServiceVersion("v7"))
		tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(exp))
		for i := range 12 {
			start := base.Add(time.Duration(i) * time.Second)
			_, sp := tp.Tracer("t").Start(ctx, "GET /cart", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start))
			sp.End(trace.WithTimestamp(start.Add(10 * time.Millisecond)))
		}
		if err := tp.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		got, ok := queryScalar(t, srv, `sum(augur_span_requests_total{service_name="cart",service_version="v7"})`, base.Add(time.Minute))
		if !ok || got != 12 {
			t.Errorf("requests %v (found %v), want 12", got, ok)
		}
	})

	t.Run("otlp http logs and patterns", func(t *testing.T) {
		var recs []string
		for i := range 6 {
			recs = append(recs, fmt.Sprintf(`{"timeUnixNano":"%d","severityText":"ERROR","body":{"stringValue":"payment %d declined by gateway 10.0.0.%d"}}`,
				base.Add(time.Duration(i)*time.Second).UnixNano(), 1000+i, i))
		}
		body := `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}},{"key":"service.version","value":{"stringValue":"v7"}}]},` +
			`"scopeLogs":[{"logRecords":[` + strings.Join(recs, ",") + `]}]}]}`
		if code, msg := post(t, srv.URL()+"/v1/logs", "application/json", "", []byte(body)); code != http.StatusOK {
			t.Fatalf("logs: %d %s", code, msg)
		}
		got, ok := queryScalar(t, srv, `sum(augur_log_records_total{service_name="cart",service_version="v7",severity="error"})`, base.Add(time.Minute))
		if !ok || got != 6 {
			t.Errorf("error records %v (found %v), want 6", got, ok)
		}
		resp, err := http.Get(srv.URL() + "/api/v1/logs/patterns?service=cart&version=v7")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var pats struct {
			Patterns []struct {
				Template string `json:"template"`
			} `json:"patterns"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&pats); err != nil {
			t.Fatal(err)
		}
		if len(pats.Patterns) != 1 || !strings.Contains(pats.Patterns[0].Template, "declined by gateway") {
			t.Errorf("patterns: %+v", pats)
		}
	})

	t.Run("loki push json", func(t *testing.T) {
		body := fmt.Sprintf(`{"streams":[{"stream":{"app":"cart","version":"v8"},"values":[["%d","level=warn slow query"],["%d","level=warn slow query"]]}]}`,
			base.UnixNano(), base.Add(time.Second).UnixNano())
		if code, msg := post(t, srv.URL()+"/loki/api/v1/push", "application/json", "", []byte(body)); code != http.StatusNoContent {
			t.Fatalf("loki: %d %s", code, msg)
		}
		got, ok := queryScalar(t, srv, `sum(augur_log_records_total{service_name="cart",service_version="v8",severity="warn"})`, base.Add(time.Minute))
		if !ok || got != 2 {
			t.Errorf("warn records %v (found %v), want 2", got, ok)
		}
	})

	if srv.GRPCAddr("jaeger") == "" {
		t.Error("the standalone Jaeger receiver is not listening")
	}
}
