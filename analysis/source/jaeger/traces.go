package jaeger

import (
	"cmp"
	"slices"

	model "github.com/jaegertracing/jaeger-idl/model/v1"

	"github.com/augurhq/augur/analysis"
)

// spanKey identifies a span across the chunks of a FindTraces answer.
type spanKey struct {
	trace model.TraceID
	span  model.SpanID
}

// spanInfo is what the entry-span selection needs of one span, kept small
// because a search may return many thousands of spans.
type spanInfo struct {
	parent  model.SpanID
	process uint64 // hash of the span's process (service and tags)
	kind    model.SpanKind
	// candidate: the span is of the selected service and operation and
	// carries the selected tags.
	candidate bool
	start     int64   // Unix ms
	seconds   float64 // duration
}

// collector accumulates the spans of a FindTraces answer. Jaeger sends
// each trace as one or more chunks; a trace may be split across chunks and
// a span may be sent more than once, so spans are keyed by (trace, span).
type collector struct {
	s          search
	spans      map[spanKey]spanInfo
	traces     map[model.TraceID]struct{}
	duplicates int
}

func newCollector(s search) *collector {
	return &collector{s: s, spans: map[spanKey]spanInfo{}, traces: map[model.TraceID]struct{}{}}
}

// add records the spans of one chunk.
func (c *collector) add(spans []model.Span) {
	for i := range spans {
		sp := &spans[i]
		key := spanKey{sp.TraceID, sp.SpanID}
		if _, dup := c.spans[key]; dup {
			c.duplicates++
			continue
		}
		c.traces[sp.TraceID] = struct{}{}
		info := spanInfo{parent: sp.ParentSpanID()}
		if sp.Process != nil {
			// Hashing into FNV cannot fail.
			info.process, _ = model.HashCode(sp.Process)
		}
		info.kind, _ = sp.GetSpanKind()
		if c.matches(sp) {
			info.candidate = true
			info.start = sp.StartTime.UnixMilli()
			info.seconds = sp.Duration.Seconds()
		}
		c.spans[key] = info
	}
}

// matches reports whether sp is of the selected service and operation and
// carries every selected tag. Like Jaeger's own storage, a tag matches a
// span tag, a process tag or a log field, compared as strings.
func (c *collector) matches(sp *model.Span) bool {
	if sp.Process == nil || sp.Process.ServiceName != c.s.service {
		return false
	}
	if c.s.operation != "" && sp.OperationName != c.s.operation {
		return false
	}
	for k, v := range c.s.tags {
		if !hasTag(sp, k, v) {
			return false
		}
	}
	return true
}

func hasTag(sp *model.Span, key, value string) bool {
	match := func(kvs []model.KeyValue) bool {
		for i := range kvs {
			if kvs[i].Key == key && kvs[i].AsString() == value {
				return true
			}
		}
		return false
	}
	if match(sp.Tags) || match(sp.Process.Tags) {
		return true
	}
	for _, l := range sp.Logs {
		if match(l.Fields) {
			return true
		}
	}
	return false
}

// series returns the durations of the entry spans, sorted by start time,
// as one series (nil when there are none).
//
// An entry span is a candidate whose parent is not in the trace (a root,
// or a span whose caller was not sampled or not stored), belongs to
// another process (another service, or another instance of this one), or
// is a client or producer span calling this server or consumer span within
// the same process.
// Spans nested under an entry span of the same process are the request's
// internals and are not counted.
func (c *collector) series() []analysis.Series {
	var pts []analysis.Point
	for key, sp := range c.spans {
		if !sp.candidate {
			continue
		}
		parent, ok := c.spans[spanKey{key.trace, sp.parent}]
		if sp.parent == 0 || !ok || parent.process != sp.process || calls(parent.kind, sp.kind) {
			pts = append(pts, analysis.Point{T: sp.start, V: sp.seconds})
		}
	}
	if len(pts) == 0 {
		return nil
	}
	slices.SortFunc(pts, func(a, b analysis.Point) int {
		return cmp.Or(cmp.Compare(a.T, b.T), cmp.Compare(a.V, b.V))
	})
	ls := map[string]string{labelService: c.s.service}
	if c.s.operation != "" {
		ls[labelOperation] = c.s.operation
	}
	return []analysis.Series{{Labels: ls, Points: pts}}
}

// calls reports whether a parent of kind parent hands a request over to a
// child of kind child (an RPC or a message), rather than nesting it.
func calls(parent, child model.SpanKind) bool {
	return (parent == model.SpanKindClient && child == model.SpanKindServer) ||
		(parent == model.SpanKindProducer && child == model.SpanKindConsumer)
}
