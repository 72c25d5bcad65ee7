package app

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/augurhq/augur/judges"
)

// BenchmarkDemo measures the whole demo: server start, an hour of OTLP
// traffic for two cohorts over HTTP, the experiment, the webhook. The target
// is under 60 s on a 2-core machine.
func BenchmarkDemo(b *testing.B) {
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		res, err := Demo(ctx, io.Discard, DemoOptions{})
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		if res.Verdict.Verdict != judges.OutcomeFail {
			b.Fatalf("verdict %s", res.Verdict.Verdict)
		}
		b.ReportMetric(float64(res.Traffic.Spans)/res.Duration.Seconds(), "spans/s")
	}
}
