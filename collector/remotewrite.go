package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/golang/snappy"
	remoteapi "github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/storage/remote"
)

// NewRemoteWriteHandler returns the Prometheus remote-write receiver
// (POST /api/v1/write), accepting remote-write 1.0 and 2.0 messages.
//
// Remote-write 1.0 is decoded and stored here, series by series: a series
// over a limit or with invalid labels, and a sample the store refuses (out
// of order, too old, duplicate, too far in the future), are skipped, the
// rest of the batch is committed, and the answer is 400 naming what was
// skipped (the 1.0 spec: 400 is not retried, so the sender drops the batch
// it no longer needs to resend). A clean batch gets 204. A storage failure
// stores nothing and answers 500, which senders retry.
//
// Remote-write 2.0 goes to Prometheus' own handler, which reports partial
// writes itself; series over a limit are removed from the request first
// and named in a 400.
func NewRemoteWriteHandler(logger *slog.Logger, reg prometheus.Registerer, app storage.Appendable, cfg Config) http.Handler {
	logger = logger.With("receiver", "remote_write")
	prom := remote.NewWriteHandler(logger, reg, app,
		remoteapi.MessageTypes{remoteapi.WriteV1MessageType, remoteapi.WriteV2MessageType},
		false, false, false)
	h := &remoteWrite{prom: prom, app: app, limits: cfg.Limits, maxBody: cfg.MaxBodyBytes, logger: logger}
	return limitBody(h, cfg.MaxBodyBytes)
}

type remoteWrite struct {
	prom    http.Handler
	app     storage.Appendable
	limits  LimitsConfig
	maxBody int64
	logger  *slog.Logger
}

func (h *remoteWrite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed: use POST", http.StatusMethodNotAllowed)
		return
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/x-protobuf"
	}
	msgType, err := remoteapi.ParseProtoMsg(ct)
	if err != nil {
		http.Error(w, "remote write: "+err.Error(), http.StatusUnsupportedMediaType)
		return
	}
	if enc := r.Header.Get("Content-Encoding"); enc != "" && enc != "snappy" {
		http.Error(w, fmt.Sprintf("remote write: unsupported Content-Encoding %q: want snappy", enc), http.StatusUnsupportedMediaType)
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, fmt.Sprintf("remote write: body larger than %d bytes", tooBig.Limit), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "remote write: read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	body, status, err := decodeSnappy(raw, h.maxBody)
	if err != nil {
		http.Error(w, "remote write: "+err.Error(), status)
		return
	}
	switch msgType {
	case remoteapi.WriteV1MessageType:
		h.serveV1(w, r.Context(), body)
	case remoteapi.WriteV2MessageType:
		h.serveV2(w, r, raw, body)
	default:
		http.Error(w, fmt.Sprintf("remote write: message type %s is not accepted: want %s or %s", msgType,
			remoteapi.WriteV1MessageType, remoteapi.WriteV2MessageType), http.StatusUnsupportedMediaType)
	}
}

// decodeSnappy undoes the snappy block compression of a remote-write body,
// refusing to inflate past limit bytes.
func decodeSnappy(raw []byte, limit int64) ([]byte, int, error) {
	n, err := snappy.DecodedLen(raw)
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("malformed snappy body: %w", err)
	}
	if int64(n) > limit {
		// 400 as in Prometheus' receiver: the sender must not retry it.
		return nil, http.StatusBadRequest, fmt.Errorf("snappy body decompresses to %d bytes, more than the limit of %d", n, limit)
	}
	body, err := snappy.Decode(nil, raw)
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("malformed snappy body: %w", err)
	}
	return body, http.StatusOK, nil
}

// rejects collects what a batch could not store, for one 400 message.
type rejects struct {
	series, samples int
	reasons         []string
}

func (rj *rejects) add(series, samples int, why string) {
	rj.series += series
	rj.samples += samples
	if len(rj.reasons) < 5 {
		rj.reasons = append(rj.reasons, why)
	}
}

func (rj *rejects) any() bool { return rj.series > 0 || rj.samples > 0 }

func (rj *rejects) String() string {
	return fmt.Sprintf("%d series and %d samples rejected: %s", rj.series, rj.samples, strings.Join(rj.reasons, "; "))
}

// seriesName renders a series for an error message, bounded.
func seriesName(ls labels.Labels) string { return truncate(ls.String(), 200) }

// decodeWriteV1 decodes a decompressed remote-write 1.0 body.
func decodeWriteV1(body []byte) (*prompb.WriteRequest, error) {
	var req prompb.WriteRequest
	if err := req.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("malformed prometheus.WriteRequest protobuf: %w", err)
	}
	return &req, nil
}

func (h *remoteWrite) serveV1(w http.ResponseWriter, ctx context.Context, body []byte) {
	req, err := decodeWriteV1(body)
	if err != nil {
		http.Error(w, "remote write: "+err.Error(), http.StatusBadRequest)
		return
	}
	if n := len(req.Timeseries); h.limits.MaxSeriesPerRequest > 0 && n > h.limits.MaxSeriesPerRequest {
		http.Error(w, fmt.Sprintf("remote write: %d series in one request, more than the limit of %d; send smaller batches",
			n, h.limits.MaxSeriesPerRequest), http.StatusBadRequest)
		return
	}
	stored, rj, err := h.writeV1(ctx, req)
	if err != nil {
		h.logger.Error("remote write: store failed", "err", err)
		http.Error(w, "remote write: store: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if rj.any() {
		h.logger.Warn("remote write: partly rejected", "stored", stored, "rejected", rj.String())
		http.Error(w, fmt.Sprintf("remote write: stored %d samples; %s", stored, rj.String()), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// isSoftAppendError says whether the store refused one sample for what it
// is (the rest of the batch can still be stored).
func isSoftAppendError(err error) bool {
	var he histogram.Error
	return errors.Is(err, storage.ErrOutOfOrderSample) || errors.Is(err, storage.ErrOutOfBounds) ||
		errors.Is(err, storage.ErrDuplicateSampleForTimestamp) || errors.Is(err, storage.ErrTooOldSample) ||
		errors.As(err, &he)
}

// writeV1 appends a remote-write 1.0 request series by series, skipping
// what is invalid or refused, and commits the rest. err is a storage failure
// (nothing stored).
func (h *remoteWrite) writeV1(ctx context.Context, req *prompb.WriteRequest) (stored int, rj rejects, err error) {
	app := h.app.Appender(ctx)
	b := labels.NewScratchBuilder(0)
	for _, ts := range req.Timeseries {
		ls := ts.ToLabels(&b, nil)
		n := len(ts.Samples) + len(ts.Histograms)
		if !ls.Has(model.MetricNameLabel) {
			rj.add(1, n, fmt.Sprintf("%s: invalid metric name: no __name__ label", seriesName(ls)))
			continue
		}
		if err := ValidateLabels(ls); err != nil {
			rj.add(1, n, fmt.Sprintf("%s: %v", seriesName(ls), err))
			continue
		}
		if dup, ok := ls.HasDuplicateLabelNames(); ok {
			rj.add(1, n, fmt.Sprintf("%s: duplicate label %q", seriesName(ls), dup))
			continue
		}
		if err := h.limits.checkSeries(ls); err != nil {
			rj.add(1, n, fmt.Sprintf("%s: %v", seriesName(ls), err))
			continue
		}
		var ref storage.SeriesRef
		refuse := func(t int64, err error) {
			rj.add(0, 1, fmt.Sprintf("%s at %d: %v", seriesName(ls), t, err))
		}
		done := 0 // samples and histograms tried
		// put appends one sample or histogram; a refused one (out of the
		// store's time window too) is recorded and skipped, a storage
		// failure aborts the whole request. A series the store will not
		// create refuses the series as a whole.
		put := func(t int64, add func() (storage.SeriesRef, error)) error {
			done++
			r, err := add()
			if err != nil {
				if isSeriesLimit(err) {
					return errSeriesRefused{err}
				}
				if isSoftAppendError(err) {
					refuse(t, err)
					return nil
				}
				return err
			}
			ref = r
			stored++
			return nil
		}
		err := func() error {
			for _, s := range ts.Samples {
				if err := put(s.Timestamp, func() (storage.SeriesRef, error) { return app.Append(ref, ls, s.Timestamp, s.Value) }); err != nil {
					return err
				}
			}
			for _, hp := range ts.Histograms {
				err := put(hp.Timestamp, func() (storage.SeriesRef, error) {
					if hp.IsFloatHistogram() {
						return app.AppendHistogram(ref, ls, hp.Timestamp, nil, hp.ToFloatHistogram())
					}
					return app.AppendHistogram(ref, ls, hp.Timestamp, hp.ToIntHistogram(), nil)
				})
				if err != nil {
					return err
				}
			}
			return nil
		}()
		var refused errSeriesRefused
		switch {
		case errors.As(err, &refused):
			rj.add(1, n-done+1, fmt.Sprintf("%s: %v", seriesName(ls), refused.err))
			continue
		case err != nil:
			_ = app.Rollback()
			return 0, rejects{}, err
		}
		if ref == 0 {
			continue
		}
		for _, ep := range ts.Exemplars {
			// Exemplars are best effort, as in Prometheus: a refused one
			// does not fail the series.
			if _, err := app.AppendExemplar(ref, ls, ep.ToExemplar(&b, nil)); err != nil {
				h.logger.Debug("remote write: exemplar refused", "series", seriesName(ls), "err", err)
			}
		}
	}
	if err := app.Commit(); err != nil {
		return 0, rejects{}, fmt.Errorf("commit: %w", err)
	}
	return stored, rj, nil
}

// errSeriesRefused carries the store's refusal to create a series.
type errSeriesRefused struct{ err error }

func (e errSeriesRefused) Error() string { return e.err.Error() }

// decodeWriteV2 decodes a decompressed remote-write 2.0 body.
func decodeWriteV2(body []byte) (*writev2.Request, error) {
	var req writev2.Request
	if err := req.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("malformed io.prometheus.write.v2.Request protobuf: %w", err)
	}
	return &req, nil
}

func (h *remoteWrite) serveV2(w http.ResponseWriter, r *http.Request, raw, body []byte) {
	req, err := decodeWriteV2(body)
	if err != nil {
		http.Error(w, "remote write: "+err.Error(), http.StatusBadRequest)
		return
	}
	if n := len(req.Timeseries); h.limits.MaxSeriesPerRequest > 0 && n > h.limits.MaxSeriesPerRequest {
		http.Error(w, fmt.Sprintf("remote write: %d series in one request, more than the limit of %d; send smaller batches",
			n, h.limits.MaxSeriesPerRequest), http.StatusBadRequest)
		return
	}
	var rj rejects
	b := labels.NewScratchBuilder(0)
	kept := req.Timeseries[:0]
	for _, ts := range req.Timeseries {
		ls, err := ts.ToLabels(&b, req.Symbols)
		if err == nil {
			err = ValidateLabels(ls)
		}
		if err == nil {
			err = h.limits.checkSeries(ls)
		}
		if err != nil {
			rj.add(1, len(ts.Samples)+len(ts.Histograms), fmt.Sprintf("%s: %v", seriesName(ls), err))
			continue
		}
		kept = append(kept, ts)
	}
	if rj.any() {
		req.Timeseries = kept
		if body, err = req.Marshal(); err != nil {
			http.Error(w, "remote write: re-encode: "+err.Error(), http.StatusInternalServerError)
			return
		}
		raw = snappy.Encode(nil, body)
	}
	inner := r.Clone(r.Context())
	inner.Body = io.NopCloser(bytes.NewReader(raw))
	inner.Header.Set("Content-Encoding", "snappy")
	rec := &bufferedResponse{header: http.Header{}, code: http.StatusOK}
	h.prom.ServeHTTP(rec, inner)
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	if rj.any() && rec.code/100 == 2 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "remote write: %s\n", rj.String())
		return
	}
	w.WriteHeader(rec.code)
	_, _ = w.Write(rec.body.Bytes())
}
