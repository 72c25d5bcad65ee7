package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// demoSignature is the error only a regressed demo canary logs.
const demoSignature = "payment gateway timeout after 3000ms: upstream pgw-%d reset the connection"

// demoLogOptions configures the demo's log traffic.
type demoLogOptions struct {
	Service    string
	Start, End time.Time
	Seed       int64
	// Versions are the baseline's and the canary's service versions.
	Versions [2]string
	// NewSignature makes the canary log demoSignature, about 1.5 lines a
	// minute, besides what both cohorts log.
	NewSignature bool
}

// demoLogStats counts what sendDemoLogs sent.
type demoLogStats struct {
	Records, Signature, Requests int
}

// demoLine is one kind of line both cohorts log, at rate lines a minute
// per cohort.
type demoLine struct {
	severity string
	rate     float64
	line     func(r *rand.Rand) string
}

var demoLines = []demoLine{
	{"INFO", 30, func(r *rand.Rand) string {
		return fmt.Sprintf("GET /api/checkout 200 in %dms order=%d", 10+r.IntN(80), 40000+r.IntN(20000))
	}},
	{"INFO", 10, func(r *rand.Rand) string {
		return fmt.Sprintf("payment authorized for order %d amount=%d.%02d EUR", 40000+r.IntN(20000), 5+r.IntN(200), r.IntN(100))
	}},
	{"WARN", 2, func(r *rand.Rand) string {
		return fmt.Sprintf("slow query on orders took %dms rows=%d", 250+r.IntN(900), 1+r.IntN(40))
	}},
	{"ERROR", 0.5, func(r *rand.Rand) string {
		return fmt.Sprintf("inventory reservation failed for sku=%d: out of stock", 1000+r.IntN(9000))
	}},
}

// sendDemoLogs posts the log records of both cohorts, minute by minute
// from Start to End, to the OTLP/HTTP logs receiver at base, ten minutes
// of records a request. Every record carries a trace ID.
func sendDemoLogs(ctx context.Context, base string, o demoLogOptions) (demoLogStats, error) {
	r := rand.New(rand.NewPCG(uint64(o.Seed), 0x6c6f6773))
	var st demoLogStats
	for chunk := o.Start; chunk.Before(o.End); chunk = chunk.Add(10 * time.Minute) {
		ld := plog.NewLogs()
		for c, version := range o.Versions {
			rl := ld.ResourceLogs().AppendEmpty()
			attrs := rl.Resource().Attributes()
			attrs.PutStr("service.name", o.Service)
			attrs.PutStr("service.version", version)
			attrs.PutStr("service.instance.id", fmt.Sprintf("%s-%s-0", o.Service, version))
			recs := rl.ScopeLogs().AppendEmpty().LogRecords()
			add := func(at time.Time, severity, line string) {
				lr := recs.AppendEmpty()
				lr.SetTimestamp(pcommon.NewTimestampFromTime(at))
				lr.SetSeverityText(severity)
				lr.Body().SetStr(line)
				var tid pcommon.TraceID
				var sid pcommon.SpanID
				for i := range tid {
					tid[i] = byte(r.UintN(256))
				}
				for i := range sid {
					sid[i] = byte(r.UintN(256))
				}
				lr.SetTraceID(tid)
				lr.SetSpanID(sid)
				st.Records++
			}
			for m := chunk; m.Before(chunk.Add(10*time.Minute)) && m.Before(o.End); m = m.Add(time.Minute) {
				at := func() time.Time { return m.Add(time.Duration(r.Int64N(int64(time.Minute)))) }
				for _, l := range demoLines {
					for range poisson(r, l.rate) {
						add(at(), l.severity, l.line(r))
					}
				}
				if c == 1 && o.NewSignature {
					for range poisson(r, 1.5) {
						add(at(), "ERROR", fmt.Sprintf(demoSignature, 1+r.IntN(3)))
						st.Signature++
					}
				}
			}
		}
		if err := postLogs(ctx, base, ld); err != nil {
			return st, err
		}
		st.Requests++
	}
	return st, nil
}

// postLogs sends one OTLP/HTTP protobuf export and requires every record
// to be accepted.
func postLogs(ctx context.Context, base string, ld plog.Logs) error {
	body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/logs", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("send logs: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("send logs: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("send logs: HTTP %d: %s", resp.StatusCode, b)
	}
	er := plogotlp.NewExportResponse()
	if err := er.UnmarshalProto(b); err != nil {
		return fmt.Errorf("send logs: response: %w", err)
	}
	if ps := er.PartialSuccess(); ps.RejectedLogRecords() > 0 {
		return fmt.Errorf("send logs: %d records rejected: %s", ps.RejectedLogRecords(), ps.ErrorMessage())
	}
	return nil
}

// poisson draws a Poisson count with mean lambda (Knuth's method: the
// demo's rates are small).
func poisson(r *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
