package collector

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/augurhq/augur/collector/store/storetest"
)

// BenchmarkSpanMetricsConsume derives RED series (classic and native
// histograms, exemplars, span buffer) from batches of 1000 spans of 4
// services × 2 versions × 25 operations into the real store, on one core:
//
//	go test ./collector -run '^$' -bench SpanMetricsConsume -cpu 1 -benchtime 200x
//
// Each batch covers the next second, so series advance as in live traffic.
func BenchmarkSpanMetricsConsume(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	st := storetest.Open(b)
	sm, err := NewSpanMetrics(discardLogger(), st, DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	const perBatch = 1000
	td := ptrace.NewTraces()
	for svc := 0; svc < 4; svc++ {
		for ver := 0; ver < 2; ver++ {
			rs := td.ResourceSpans().AppendEmpty()
			rs.Resource().Attributes().PutStr("service.name", fmt.Sprintf("svc-%d", svc))
			rs.Resource().Attributes().PutStr("service.version", fmt.Sprintf("v%d", ver))
			rs.Resource().Attributes().PutStr("k8s.pod.name", fmt.Sprintf("svc-%d-%d", svc, ver))
			ss := rs.ScopeSpans().AppendEmpty()
			for i := 0; i < perBatch/8; i++ {
				sp := ss.Spans().AppendEmpty()
				sp.SetName(fmt.Sprintf("GET /op/%d", i%25))
				sp.SetKind(ptrace.SpanKindServer)
				sp.SetTraceID(pcommon.TraceID{byte(svc), byte(ver), byte(i)})
				sp.SetSpanID(pcommon.SpanID{byte(i), 1})
				sp.Attributes().PutInt("http.response.status_code", int64(200+300*(i%50/49)))
			}
		}
	}
	start := time.Now().Add(-time.Hour)
	setTimes := func(n int) {
		rss := td.ResourceSpans()
		k := 0
		for i := 0; i < rss.Len(); i++ {
			spans := rss.At(i).ScopeSpans().At(0).Spans()
			for j := 0; j < spans.Len(); j++ {
				end := start.Add(time.Duration(n)*time.Second + time.Duration(j)*time.Millisecond)
				dur := time.Duration(1+(k*7919)%500) * time.Millisecond
				spans.At(j).SetStartTimestamp(pcommon.NewTimestampFromTime(end.Add(-dur)))
				spans.At(j).SetEndTimestamp(pcommon.NewTimestampFromTime(end))
				k++
			}
		}
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		setTimes(n)
		res, err := sm.Consume(ctx, td)
		if err != nil || res.Rejected != 0 {
			b.Fatalf("consume: %v %+v", err, res)
		}
	}
	b.ReportMetric(float64(b.N*perBatch)/b.Elapsed().Seconds(), "spans/s")
}
