package jaeger

import (
	"testing"

	model "github.com/jaegertracing/jaeger-idl/model/v1"
)

func BenchmarkToTraces(b *testing.B) {
	batch := &model.Batch{Process: shop(str("service.version", "v2"), str("hostname", "web-1"))}
	for i := range 1000 {
		batch.Spans = append(batch.Spans, span(uint64(i+1), str("span.kind", "server"), model.Int64("http.status_code", 200), str("http.route", "/cart")))
	}
	b.ReportAllocs()
	for b.Loop() {
		ToTraces(batch)
	}
}
