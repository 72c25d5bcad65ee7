package jaeger

import (
	"context"
	"testing"
	"time"

	model "github.com/jaegertracing/jaeger-idl/model/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// FuzzToTraces builds batches from fuzzed fields: conversion must not
// panic and must account for every span, kept or rejected.
func FuzzToTraces(f *testing.F) {
	f.Add(uint64(1), uint64(2), uint64(3), int64(1e18), int64(1e6), "server", "error", int32(1), "true", true, uint8(2))
	f.Add(uint64(0), uint64(0), uint64(0), int64(0), int64(-1), "", "", int32(9), "", false, uint8(0))
	f.Add(uint64(1<<63), uint64(1), uint64(1), int64(-5e18), int64(1<<62), "client", "http.status_code", int32(0), "404", false, uint8(5))
	f.Fuzz(func(t *testing.T, hi, lo, id uint64, startNs, durNs int64, kind, key string, vtype int32, val string, b bool, n uint8) {
		tags := []model.KeyValue{
			model.String("span.kind", kind),
			{Key: key, VType: model.ValueType(vtype), VStr: val, VBool: b, VInt64: durNs, VFloat64: float64(startNs), VBinary: []byte(val)},
		}
		var spans []*model.Span
		for i := range int(n % 8) {
			sp := &model.Span{
				TraceID: model.NewTraceID(hi, lo+uint64(i)), SpanID: model.SpanID(id + uint64(i)), OperationName: val,
				StartTime: time.Unix(0, startNs), Duration: time.Duration(durNs), Tags: tags,
				References: []model.SpanRef{{TraceID: model.NewTraceID(hi, lo), SpanID: model.SpanID(id), RefType: model.SpanRefType(vtype)}},
				Logs:       []model.Log{{Timestamp: time.Unix(0, durNs), Fields: tags}},
			}
			if i%3 == 1 {
				sp.Process = &model.Process{ServiceName: val, Tags: tags}
			}
			if i%5 == 4 {
				sp = nil
			}
			spans = append(spans, sp)
		}
		batch := &model.Batch{Spans: spans}
		if b {
			batch.Process = &model.Process{ServiceName: key, Tags: tags}
		}
		td, rej := ToTraces(batch)
		if td.SpanCount()+rej.Count != len(spans) {
			t.Fatalf("%d kept + %d rejected != %d spans", td.SpanCount(), rej.Count, len(spans))
		}
	})
}

// FuzzPostSpans feeds arbitrary bytes to the PostSpans handler's decode
// path: it must not panic, and must succeed or answer InvalidArgument.
func FuzzPostSpans(f *testing.F) {
	good, err := (&model.Batch{Process: shop(str("version", "v1")), Spans: []*model.Span{span(1, str("span.kind", "server"))}}).Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(append([]byte{0x0a, byte(len(good))}, good...))
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x02, 0x0a, 0x05})
	logger := discard()
	c := &fake{}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := postSpans(context.Background(), logger, c, b); err != nil && status.Code(err) != codes.InvalidArgument {
			t.Fatalf("err = %v, want nil or InvalidArgument", err)
		}
		c.mu.Lock()
		c.traces = nil
		c.mu.Unlock()
	})
}
