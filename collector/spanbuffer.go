package collector

import (
	"container/heap"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Bounds of the span buffer beyond the per-key span count.
const (
	// maxBufferKeys bounds the (service, version) pairs buffered; spans of
	// further pairs are not kept.
	maxBufferKeys = 1000
	// maxBufferedAttributes bounds the attributes kept per span, and
	// maxBufferedValueLen the length of each value.
	maxBufferedAttributes = 32
	maxBufferedValueLen   = 256
)

// BufferedSpan is a span kept for drill-down.
type BufferedSpan struct {
	TraceID         string            `json:"trace_id"`
	SpanID          string            `json:"span_id"`
	Name            string            `json:"name"`
	Kind            string            `json:"kind"`
	Start           time.Time         `json:"start"`
	End             time.Time         `json:"end"`
	DurationSeconds float64           `json:"duration_seconds"`
	Error           bool              `json:"error"`
	Status          string            `json:"status"` // unset, ok or error
	StatusMessage   string            `json:"status_message,omitempty"`
	Attributes      map[string]string `json:"attributes,omitempty"`
	// AttributesDropped counts the attributes over the bound.
	AttributesDropped int `json:"attributes_dropped,omitempty"`
}

type bufferKey struct{ service, version string }

// spanBuffer keeps, per (service, version), the n slowest spans seen and
// the n latest failed ones.
type spanBuffer struct {
	n    int
	mu   sync.Mutex
	keys map[bufferKey]*serviceSpans
}

type serviceSpans struct {
	slow   slowHeap       // min-heap by duration: the root is evicted first
	failed []BufferedSpan // ring
	next   int            // next ring slot once full
}

func newSpanBuffer(n int) *spanBuffer {
	if n <= 0 {
		return nil
	}
	return &spanBuffer{n: n, keys: map[bufferKey]*serviceSpans{}}
}

// resourceIdentity is the service and version of a resource.
func resourceIdentity(res pcommon.Map) (service, version string) {
	if v, ok := res.Get("service.name"); ok {
		service = v.AsString()
	}
	if v, ok := res.Get("service.version"); ok {
		version = v.AsString()
	}
	return service, version
}

// offer keeps sp when it is among the slowest or failed. The span is only
// copied out of the batch when it is kept.
func (b *spanBuffer) offer(service, version string, sp ptrace.Span, o observation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := bufferKey{service, version}
	ss := b.keys[k]
	if ss == nil {
		if len(b.keys) >= maxBufferKeys {
			return
		}
		ss = &serviceSpans{}
		b.keys[k] = ss
	}
	if len(ss.slow) < b.n || o.dur > ss.slow[0].DurationSeconds {
		bs := bufferedSpan(sp, o)
		if len(ss.slow) < b.n {
			heap.Push(&ss.slow, bs)
		} else {
			ss.slow[0] = bs
			heap.Fix(&ss.slow, 0)
		}
	}
	if o.err {
		bs := bufferedSpan(sp, o)
		if len(ss.failed) < b.n {
			ss.failed = append(ss.failed, bs)
		} else {
			ss.failed[ss.next] = bs
			ss.next = (ss.next + 1) % b.n
		}
	}
}

func bufferedSpan(sp ptrace.Span, o observation) BufferedSpan {
	bs := BufferedSpan{
		TraceID:         sp.TraceID().String(),
		SpanID:          sp.SpanID().String(),
		Name:            sp.Name(),
		Kind:            spanKind(sp.Kind()),
		Start:           sp.StartTimestamp().AsTime().UTC(),
		End:             sp.EndTimestamp().AsTime().UTC(),
		DurationSeconds: o.dur,
		Error:           o.err,
		StatusMessage:   truncate(sp.Status().Message(), maxBufferedValueLen),
	}
	switch sp.Status().Code() {
	case ptrace.StatusCodeOk:
		bs.Status = "ok"
	case ptrace.StatusCodeError:
		bs.Status = "error"
	default:
		bs.Status = "unset"
	}
	if n := sp.Attributes().Len(); n > 0 {
		bs.Attributes = make(map[string]string, min(n, maxBufferedAttributes))
		sp.Attributes().Range(func(k string, v pcommon.Value) bool {
			if len(bs.Attributes) >= maxBufferedAttributes {
				bs.AttributesDropped++
				return true
			}
			bs.Attributes[truncate(k, maxBufferedValueLen)] = truncate(v.AsString(), maxBufferedValueLen)
			return true
		})
	}
	return bs
}

func (b *spanBuffer) slowest(service, version string) []BufferedSpan {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	ss := b.keys[bufferKey{service, version}]
	if ss == nil {
		return nil
	}
	out := append([]BufferedSpan(nil), ss.slow...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].DurationSeconds > out[j].DurationSeconds })
	return out
}

func (b *spanBuffer) failures(service, version string) []BufferedSpan {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	ss := b.keys[bufferKey{service, version}]
	if ss == nil {
		return nil
	}
	// Newest first: walk the ring backwards from the last written slot.
	out := make([]BufferedSpan, 0, len(ss.failed))
	n := len(ss.failed)
	last := n - 1
	if n == b.n {
		last = (ss.next - 1 + n) % n
	}
	for i := 0; i < n; i++ {
		out = append(out, ss.failed[(last-i+n)%n])
	}
	return out
}

type slowHeap []BufferedSpan

func (h slowHeap) Len() int           { return len(h) }
func (h slowHeap) Less(i, j int) bool { return h[i].DurationSeconds < h[j].DurationSeconds }
func (h slowHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *slowHeap) Push(x any)        { *h = append(*h, x.(BufferedSpan)) }
func (h *slowHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// SlowSpans returns the slowest spans kept for a service and version,
// slowest first (at most span_metrics.buffer_spans).
func (s *SpanMetrics) SlowSpans(service, version string) []BufferedSpan {
	return s.buffer.slowest(service, version)
}

// FailedSpans returns the latest failed spans kept for a service and
// version, newest first (at most span_metrics.buffer_spans).
func (s *SpanMetrics) FailedSpans(service, version string) []BufferedSpan {
	return s.buffer.failures(service, version)
}

// SpansResponse is the answer of the spans handler.
type SpansResponse struct {
	Service string         `json:"service"`
	Version string         `json:"version"`
	Kind    string         `json:"kind"`
	Spans   []BufferedSpan `json:"spans"`
}

// NewSpansHandler answers GET ?service=S&version=V&kind=slow|failed with
// the buffered spans of that service and version as JSON (kind defaults to
// slow; an absent version selects spans without one).
func NewSpansHandler(sm *SpanMetrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed: use GET", http.StatusMethodNotAllowed)
			return
		}
		q := r.URL.Query()
		resp := SpansResponse{Service: q.Get("service"), Version: q.Get("version"), Kind: q.Get("kind")}
		if resp.Service == "" {
			http.Error(w, "spans: the service parameter is required", http.StatusBadRequest)
			return
		}
		switch resp.Kind {
		case "", "slow":
			resp.Kind = "slow"
			resp.Spans = sm.SlowSpans(resp.Service, resp.Version)
		case "failed":
			resp.Spans = sm.FailedSpans(resp.Service, resp.Version)
		default:
			http.Error(w, "spans: kind must be slow or failed, got "+resp.Kind, http.StatusBadRequest)
			return
		}
		if resp.Spans == nil {
			resp.Spans = []BufferedSpan{}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	})
}
