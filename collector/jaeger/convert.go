package jaeger

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	model "github.com/jaegertracing/jaeger-idl/model/v1"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Tags with a meaning in the OpenTelemetry model; they become span or
// resource fields rather than attributes.
const (
	tagSpanKind       = "span.kind"
	tagError          = "error"
	tagStatusCode     = "otel.status_code"
	tagStatusMessage  = "otel.status_description"
	tagHTTPStatusCode = "http.status_code"
	tagTraceState     = "w3c.tracestate"
	tagScopeName      = "otel.scope.name"
	tagScopeVersion   = "otel.scope.version"
	tagLibraryName    = "otel.library.name"
	tagLibraryVersion = "otel.library.version"
	tagHostname       = "hostname"
	tagVersion        = "version"
	tagEvent          = "event"

	attrServiceName    = "service.name"
	attrServiceVersion = "service.version"
	attrHostName       = "host.name"
	attrRefType        = "opentracing.ref_type"

	// unknownService is OpenTelemetry's service.name for a process
	// without one.
	unknownService = "unknown_service"
)

// maxTime is the latest instant a Unix nanosecond timestamp can hold.
var maxTime = time.Unix(0, math.MaxInt64)

// Rejected says how many spans of a batch could not be converted, with the
// reasons of the first few.
type Rejected struct {
	Count   int
	Reasons []string
}

func (r *Rejected) add(why string) {
	r.Count++
	if len(r.Reasons) < 3 {
		r.Reasons = append(r.Reasons, why)
	}
}

// String summarises the rejection ("" when nothing was rejected).
func (r Rejected) String() string {
	if r.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d spans rejected: %s", r.Count, strings.Join(r.Reasons, "; "))
}

// ToTraces converts a Jaeger batch to OpenTelemetry traces. Spans that
// cannot be represented (zero trace or span ID, no or out-of-range start
// time, negative or overflowing duration) are left out and counted in
// Rejected; the rest are converted.
//
// The mapping follows OpenTelemetry's Jaeger compatibility notes:
//
//   - Resource: one per process (a span's own Process, else the batch's).
//     Process.ServiceName is service.name ("unknown_service" if empty);
//     process tags are resource attributes, typed as sent. The service
//     version is a tag named service.version, or failing that a tag named
//     version, which is then also copied to service.version. A hostname tag
//     becomes host.name unless that is set.
//   - Scope: otel.scope.name/otel.scope.version tags (or the older
//     otel.library.*) name the instrumentation scope and are removed.
//   - IDs: the 128-bit trace ID is High then Low, big-endian (a 64-bit ID
//     has High zero); span IDs are 64-bit big-endian. The parent is the
//     first CHILD_OF reference in the same trace, else the first
//     FOLLOWS_FROM; other references become links with an
//     opentracing.ref_type attribute.
//   - Times: StartTime, and StartTime+Duration as end.
//   - Kind: the span.kind tag (client, server, producer, consumer,
//     internal), removed; any other value is kept as an attribute.
//   - Status: otel.status_code=ERROR|OK (with otel.status_description as
//     message) wins; else error=true is an error; else an
//     http.status_code of 5xx, or 4xx on a client span, is an error, as
//     OpenTelemetry's HTTP conventions say. otel.status_* and error tags
//     are removed; http.status_code stays an attribute.
//   - w3c.tracestate becomes the trace state; span logs become events
//     named by their "event" field; other tags are span attributes.
func ToTraces(batch *model.Batch) (ptrace.Traces, Rejected) {
	td := ptrace.NewTraces()
	var rej Rejected
	if batch == nil {
		return td, rej
	}
	type scopeKey struct {
		proc          *model.Process
		name, version string
	}
	resources := map[*model.Process]ptrace.ResourceSpans{}
	scopes := map[scopeKey]ptrace.SpanSlice{}
	for i, sp := range batch.Spans {
		if sp == nil {
			rej.add(fmt.Sprintf("span #%d is empty", i))
			continue
		}
		if why := invalid(sp); why != "" {
			rej.add(fmt.Sprintf("span %q (trace %s, span %s): %s", sp.OperationName, sp.TraceID, sp.SpanID, why))
			continue
		}
		proc := sp.Process
		if proc == nil {
			proc = batch.Process
		}
		rs, ok := resources[proc]
		if !ok {
			rs = td.ResourceSpans().AppendEmpty()
			fillResource(rs.Resource(), proc)
			resources[proc] = rs
		}
		name, version := scopeOf(sp.Tags)
		key := scopeKey{proc, name, version}
		spans, ok := scopes[key]
		if !ok {
			ss := rs.ScopeSpans().AppendEmpty()
			ss.Scope().SetName(name)
			ss.Scope().SetVersion(version)
			spans = ss.Spans()
			scopes[key] = spans
		}
		fillSpan(spans.AppendEmpty(), sp)
	}
	return td, rej
}

// invalid says why a span cannot be converted, or "" if it can.
func invalid(sp *model.Span) string {
	switch {
	case sp.TraceID.High == 0 && sp.TraceID.Low == 0:
		return "zero trace ID"
	case sp.SpanID == 0:
		return "zero span ID"
	case sp.Duration < 0:
		return fmt.Sprintf("negative duration %s", sp.Duration)
	case sp.StartTime.IsZero() || sp.StartTime.Before(time.Unix(0, 1)):
		return "no start time"
	case sp.StartTime.After(maxTime) || maxTime.Sub(sp.StartTime) < sp.Duration:
		return "start time or duration out of range"
	}
	return ""
}

func fillResource(res pcommon.Resource, proc *model.Process) {
	attrs := res.Attributes()
	service := ""
	if proc != nil {
		service = proc.ServiceName
		attrs.EnsureCapacity(len(proc.Tags) + 2)
		for _, kv := range proc.Tags {
			putValue(attrs.PutEmpty(kv.Key), kv)
		}
	}
	if service == "" {
		if v, ok := attrs.Get(attrServiceName); ok && v.AsString() != "" {
			service = v.AsString()
		} else {
			service = unknownService
		}
	}
	attrs.PutStr(attrServiceName, service)
	if _, ok := attrs.Get(attrServiceVersion); !ok {
		if v, ok := attrs.Get(tagVersion); ok {
			attrs.PutStr(attrServiceVersion, v.AsString())
		}
	}
	if _, ok := attrs.Get(attrHostName); !ok {
		if v, ok := attrs.Get(tagHostname); ok {
			attrs.PutStr(attrHostName, v.AsString())
			attrs.Remove(tagHostname)
		}
	}
}

func scopeOf(tags []model.KeyValue) (name, version string) {
	for _, kv := range tags {
		switch kv.Key {
		case tagScopeName:
			name = kv.AsString()
		case tagLibraryName:
			if name == "" {
				name = kv.AsString()
			}
		case tagScopeVersion:
			version = kv.AsString()
		case tagLibraryVersion:
			if version == "" {
				version = kv.AsString()
			}
		}
	}
	return name, version
}

func fillSpan(dst ptrace.Span, sp *model.Span) {
	dst.SetTraceID(traceID(sp.TraceID))
	dst.SetSpanID(spanID(sp.SpanID))
	dst.SetName(sp.OperationName)
	start := sp.StartTime
	dst.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	dst.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(sp.Duration)))

	parent := sp.ParentSpanID()
	if parent != 0 {
		dst.SetParentSpanID(spanID(parent))
	}
	parentSkipped := false
	for _, ref := range sp.References {
		if parent != 0 && !parentSkipped && ref.TraceID == sp.TraceID && ref.SpanID == parent {
			parentSkipped = true
			continue
		}
		if ref.TraceID.High == 0 && ref.TraceID.Low == 0 || ref.SpanID == 0 {
			continue
		}
		l := dst.Links().AppendEmpty()
		l.SetTraceID(traceID(ref.TraceID))
		l.SetSpanID(spanID(ref.SpanID))
		if ref.RefType == model.FollowsFrom {
			l.Attributes().PutStr(attrRefType, "follows_from")
		} else {
			l.Attributes().PutStr(attrRefType, "child_of")
		}
	}

	var (
		statusCode, statusMessage string
		errTag, haveStatusCode    bool
		httpCode                  int64
	)
	attrs := dst.Attributes()
	attrs.EnsureCapacity(len(sp.Tags))
	for _, kv := range sp.Tags {
		switch kv.Key {
		case tagSpanKind:
			if k, ok := spanKind(kv.AsString()); ok {
				dst.SetKind(k)
				continue
			}
		case tagStatusCode:
			statusCode, haveStatusCode = strings.ToUpper(kv.AsString()), true
			continue
		case tagStatusMessage:
			statusMessage = kv.AsString()
			continue
		case tagError:
			if truthy(kv) {
				errTag = true
			}
			continue
		case tagTraceState:
			dst.TraceState().FromRaw(kv.AsString())
			continue
		case tagScopeName, tagScopeVersion, tagLibraryName, tagLibraryVersion:
			continue
		case tagHTTPStatusCode:
			httpCode = intOf(kv)
		}
		putValue(attrs.PutEmpty(kv.Key), kv)
	}

	st := dst.Status()
	switch {
	case haveStatusCode && statusCode == "ERROR":
		st.SetCode(ptrace.StatusCodeError)
		st.SetMessage(statusMessage)
	case haveStatusCode && statusCode == "OK":
		st.SetCode(ptrace.StatusCodeOk)
	case errTag:
		st.SetCode(ptrace.StatusCodeError)
		st.SetMessage(statusMessage)
	case httpCode >= 500 || (httpCode >= 400 && dst.Kind() == ptrace.SpanKindClient):
		st.SetCode(ptrace.StatusCodeError)
	}

	for _, lg := range sp.Logs {
		ev := dst.Events().AppendEmpty()
		if !lg.Timestamp.Before(time.Unix(0, 0)) && !lg.Timestamp.After(maxTime) {
			ev.SetTimestamp(pcommon.NewTimestampFromTime(lg.Timestamp))
		}
		for _, kv := range lg.Fields {
			if kv.Key == tagEvent && kv.VType == model.ValueType_STRING && ev.Name() == "" {
				ev.SetName(kv.VStr)
				continue
			}
			putValue(ev.Attributes().PutEmpty(kv.Key), kv)
		}
	}
}

func traceID(id model.TraceID) pcommon.TraceID {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], id.High)
	binary.BigEndian.PutUint64(b[8:], id.Low)
	return b
}

func spanID(id model.SpanID) pcommon.SpanID {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(id))
	return b
}

func spanKind(s string) (ptrace.SpanKind, bool) {
	switch strings.ToLower(s) {
	case "client":
		return ptrace.SpanKindClient, true
	case "server":
		return ptrace.SpanKindServer, true
	case "producer":
		return ptrace.SpanKindProducer, true
	case "consumer":
		return ptrace.SpanKindConsumer, true
	case "internal":
		return ptrace.SpanKindInternal, true
	}
	return ptrace.SpanKindUnspecified, false
}

// truthy reads the error tag, which clients send as a bool or a string.
func truthy(kv model.KeyValue) bool {
	switch kv.VType {
	case model.ValueType_BOOL:
		return kv.VBool
	case model.ValueType_STRING:
		b, _ := strconv.ParseBool(kv.VStr)
		return b
	}
	return false
}

func intOf(kv model.KeyValue) int64 {
	switch kv.VType {
	case model.ValueType_INT64:
		return kv.VInt64
	case model.ValueType_FLOAT64:
		if kv.VFloat64 >= math.MinInt64 && kv.VFloat64 <= math.MaxInt64 {
			return int64(kv.VFloat64)
		}
	case model.ValueType_STRING:
		n, _ := strconv.ParseInt(kv.VStr, 10, 64)
		return n
	}
	return 0
}

// putValue stores a tag's value with its type.
func putValue(dst pcommon.Value, kv model.KeyValue) {
	switch kv.VType {
	case model.ValueType_BOOL:
		dst.SetBool(kv.VBool)
	case model.ValueType_INT64:
		dst.SetInt(kv.VInt64)
	case model.ValueType_FLOAT64:
		dst.SetDouble(kv.VFloat64)
	case model.ValueType_BINARY:
		dst.SetEmptyBytes().FromRaw(kv.VBinary)
	default:
		dst.SetStr(kv.VStr)
	}
}
