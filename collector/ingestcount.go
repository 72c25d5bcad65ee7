package collector

import (
	"context"
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// Ingest protocols, the protocol label of the ingest counters.
const (
	ProtocolRemoteWrite = "remote_write"
	ProtocolOTLPHTTP    = "otlp_http"
	ProtocolOTLPGRPC    = "otlp_grpc"
	ProtocolJaeger      = "jaeger"
	ProtocolLoki        = "loki"
	protocolOther       = "other"
)

type protocolKey struct{}

// WithProtocol returns ctx naming the ingest protocol its request came in
// by, for the ingest counters.
func WithProtocol(ctx context.Context, protocol string) context.Context {
	return context.WithValue(ctx, protocolKey{}, protocol)
}

// ProtocolHandler serves h with requests naming protocol.
func ProtocolHandler(protocol string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(WithProtocol(r.Context(), protocol)))
	})
}

func protocolOf(ctx context.Context) string {
	if p, ok := ctx.Value(protocolKey{}).(string); ok {
		return p
	}
	return protocolOther
}

// IngestCounters counts, per protocol, the samples, spans and log records
// that ingest accepted (stored) and rejected. Its methods are safe on a
// nil *IngestCounters (nothing is counted).
type IngestCounters struct {
	samples, spans, logRecords [2]*prometheus.CounterVec // accepted, rejected
}

// NewIngestCounters registers augur_ingest_{samples,spans,log_records}_
// {accepted,rejected}_total{protocol} with reg.
func NewIngestCounters(reg prometheus.Registerer) *IngestCounters {
	c := &IngestCounters{}
	for _, f := range []struct {
		dst       *[2]*prometheus.CounterVec
		what      string
		help      string
		protocols []string
	}{
		{&c.samples, "samples", "metric samples (remote write, OTLP metrics)", []string{ProtocolRemoteWrite, ProtocolOTLPHTTP, ProtocolOTLPGRPC}},
		{&c.spans, "spans", "spans (OTLP traces, Jaeger)", []string{ProtocolOTLPHTTP, ProtocolOTLPGRPC, ProtocolJaeger}},
		{&c.logRecords, "log_records", "log records (OTLP logs, Loki push)", []string{ProtocolOTLPHTTP, ProtocolOTLPGRPC, ProtocolLoki}},
	} {
		for i, outcome := range []string{"accepted", "rejected"} {
			v := prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "augur_ingest_" + f.what + "_" + outcome + "_total",
				Help: "Ingested " + f.help + " " + outcome + ", by protocol.",
			}, []string{"protocol"})
			for _, p := range f.protocols {
				v.WithLabelValues(p)
			}
			reg.MustRegister(v)
			f.dst[i] = v
		}
	}
	return c
}

func count(v [2]*prometheus.CounterVec, ctx context.Context, accepted, rejected int) {
	p := protocolOf(ctx)
	if accepted > 0 {
		v[0].WithLabelValues(p).Add(float64(accepted))
	}
	if rejected > 0 {
		v[1].WithLabelValues(p).Add(float64(rejected))
	}
}

// Spans counts spans of ctx's protocol.
func (c *IngestCounters) Spans(ctx context.Context, accepted, rejected int) {
	if c != nil {
		count(c.spans, ctx, accepted, rejected)
	}
}

// LogRecords counts log records of ctx's protocol.
func (c *IngestCounters) LogRecords(ctx context.Context, accepted, rejected int) {
	if c != nil {
		count(c.logRecords, ctx, accepted, rejected)
	}
}

// SampleStore is what the sample counter wraps: the store's appenders and
// its time check.
type SampleStore interface {
	storage.Appendable
	storage.AppendableV2
	TimeChecker
}

// Samples wraps st so that its appenders count the samples they append
// under the protocol of their context: accepted once committed, rejected
// when an append fails or the batch is not committed.
func (c *IngestCounters) Samples(st SampleStore) SampleStore { return countingStore{st, c} }

type countingStore struct {
	SampleStore
	c *IngestCounters
}

func (s countingStore) Appender(ctx context.Context) storage.Appender {
	return &countingAppender{Appender: s.SampleStore.Appender(ctx), tally: tally{c: s.c, ctx: ctx}}
}

func (s countingStore) AppenderV2(ctx context.Context) storage.AppenderV2 {
	return &countingAppenderV2{AppenderV2: s.SampleStore.AppenderV2(ctx), tally: tally{c: s.c, ctx: ctx}}
}

// tally holds an appender's pending and rejected samples.
type tally struct {
	c                 *IngestCounters
	ctx               context.Context
	pending, rejected int
}

func (t *tally) add(err error) {
	var partial *storage.AppendPartialError
	if err == nil || errors.As(err, &partial) { // a refused exemplar keeps its sample
		t.pending++
		return
	}
	t.rejected++
}

func (t *tally) end(committed bool) {
	if t.c == nil {
		return
	}
	if committed {
		count(t.c.samples, t.ctx, t.pending, t.rejected)
	} else {
		count(t.c.samples, t.ctx, 0, t.pending+t.rejected)
	}
	t.pending, t.rejected = 0, 0
}

type countingAppender struct {
	storage.Appender
	tally
}

func (a *countingAppender) Append(ref storage.SeriesRef, l labels.Labels, t int64, v float64) (storage.SeriesRef, error) {
	ref, err := a.Appender.Append(ref, l, t, v)
	a.add(err)
	return ref, err
}

func (a *countingAppender) AppendHistogram(ref storage.SeriesRef, l labels.Labels, t int64, h *histogram.Histogram, fh *histogram.FloatHistogram) (storage.SeriesRef, error) {
	ref, err := a.Appender.AppendHistogram(ref, l, t, h, fh)
	a.add(err)
	return ref, err
}

func (a *countingAppender) Commit() error {
	err := a.Appender.Commit()
	a.end(err == nil)
	return err
}

func (a *countingAppender) Rollback() error {
	a.end(false)
	return a.Appender.Rollback()
}

type countingAppenderV2 struct {
	storage.AppenderV2
	tally
}

func (a *countingAppenderV2) Append(ref storage.SeriesRef, ls labels.Labels, st, t int64, v float64, h *histogram.Histogram, fh *histogram.FloatHistogram, opts storage.AOptions) (storage.SeriesRef, error) {
	ref, err := a.AppenderV2.Append(ref, ls, st, t, v, h, fh, opts)
	a.add(err)
	return ref, err
}

func (a *countingAppenderV2) Commit() error {
	err := a.AppenderV2.Commit()
	a.end(err == nil)
	return err
}

func (a *countingAppenderV2) Rollback() error {
	a.end(false)
	return a.AppenderV2.Rollback()
}
