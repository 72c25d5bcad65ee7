package simulate

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// Stats counts what Run sent and the receiver accepted (HTTP 2xx).
type Stats struct {
	Spans        int // all spans: SERVER spans plus CLIENT child spans
	ServerSpans  int // one per simulated request
	Errors       int // spans with status ERROR (failed requests)
	MetricPoints int // data points: one per sum/gauge point, one per histogram point
	Requests     int // HTTP export requests answered with 2xx
	// Items the receiver reported as rejected in an OTLP partial-success
	// response; they are included in the counts above.
	RejectedSpans, RejectedPoints int
	PerCohort                     map[string]CohortStats // by Cohort.Version
}

// CohortStats is the share of one cohort in Stats.
type CohortStats struct {
	Spans, ServerSpans, Errors, MetricPoints int
}

// Retry policy for 429 and 503 answers.
var (
	maxAttempts    = 4
	retryBaseDelay = 100 * time.Millisecond
	retryMaxDelay  = 2 * time.Second
)

// Run simulates cfg.Cohorts over [cfg.Start, cfg.End] and sends the traffic
// to cfg.Endpoint, batch window after batch window. It stops at the first
// failed export (non-2xx answer after retries, transport error, or ctx
// cancellation) and returns what was sent up to then with the error.
func Run(ctx context.Context, cfg Config) (Stats, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return Stats{}, err
	}
	base := strings.TrimRight(cfg.Endpoint, "/")
	gens := make([]*cohortGen, len(cfg.Cohorts))
	workers := make([]*worker, len(cfg.Cohorts))
	for i, c := range cfg.Cohorts {
		gens[i] = newCohortGen(&cfg, c)
		workers[i] = &worker{
			gen:        gens[i],
			client:     cfg.Client,
			tracesURL:  base + "/v1/traces",
			metricsURL: base + "/v1/metrics",
		}
	}
	collect := func() Stats {
		s := Stats{PerCohort: make(map[string]CohortStats, len(workers))}
		for _, w := range workers {
			s.Spans += w.stats.Spans
			s.ServerSpans += w.stats.ServerSpans
			s.Errors += w.stats.Errors
			s.MetricPoints += w.stats.MetricPoints
			s.Requests += w.requests
			s.RejectedSpans += w.rejectedSpans
			s.RejectedPoints += w.rejectedPoints
			s.PerCohort[w.gen.cohort.Version] = w.stats
		}
		return s
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, cfg.Concurrency)
	var (
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
		mu.Unlock()
	}

	startNs, endNs, batch := cfg.Start.UnixNano(), cfg.End.UnixNano(), int64(cfg.Batch)
	for w0 := startNs; w0 < endNs; w0 += batch {
		w1 := min(w0+batch, endNs)
		last := w1 == endNs
		if err := ctx.Err(); err != nil {
			return collect(), fmt.Errorf("simulate: %w", err)
		}
		// One window at a time: the cohorts of a window go out in
		// parallel (at most Concurrency at once), the next window only
		// after all of them, so traffic arrives in time order.
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Go(func() {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					fail(fmt.Errorf("simulate: %w", ctx.Err()))
					return
				}
				defer func() { <-sem }()
				if err := w.window(ctx, w1, last); err != nil {
					fail(err)
				}
			})
		}
		wg.Wait()
		if firstErr != nil {
			return collect(), firstErr
		}
	}
	return collect(), nil
}

// worker generates and sends one cohort's traffic.
type worker struct {
	gen            *cohortGen
	client         *http.Client
	tracesURL      string
	metricsURL     string
	buf            bytes.Buffer
	gz             *gzip.Writer
	stats          CohortStats
	requests       int
	rejectedSpans  int
	rejectedPoints int
}

// window simulates and sends the window ending at w1: traces first, then the
// metric exports that fall into it.
func (w *worker) window(ctx context.Context, w1 int64, last bool) error {
	g := w.gen
	g.collect(w1, last)
	var t windowTotals
	if len(g.ready) > 0 {
		td := g.buildTraces(&t)
		raw, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
		if err != nil {
			return fmt.Errorf("simulate: marshal traces: %w", err)
		}
		resp, err := w.post(ctx, w.tracesURL, raw)
		if err != nil {
			return err
		}
		w.requests++
		w.stats.Spans += t.spans
		w.stats.ServerSpans += t.serverSpans
		w.stats.Errors += t.errors
		if len(resp) > 0 {
			r := ptraceotlp.NewExportResponse()
			if r.UnmarshalProto(resp) == nil {
				w.rejectedSpans += int(r.PartialSuccess().RejectedSpans())
			}
		}
	}
	md, ok := g.buildMetrics(w1, &t)
	if !ok {
		return nil
	}
	raw, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
	if err != nil {
		return fmt.Errorf("simulate: marshal metrics: %w", err)
	}
	resp, err := w.post(ctx, w.metricsURL, raw)
	if err != nil {
		return err
	}
	w.requests++
	w.stats.MetricPoints += t.points
	if len(resp) > 0 {
		r := pmetricotlp.NewExportResponse()
		if r.UnmarshalProto(resp) == nil {
			w.rejectedPoints += int(r.PartialSuccess().RejectedDataPoints())
		}
	}
	return nil
}

// post gzips raw and POSTs it as OTLP protobuf, retrying 429 and 503. It
// returns the body of a 2xx protobuf answer.
func (w *worker) post(ctx context.Context, url string, raw []byte) ([]byte, error) {
	w.buf.Reset()
	if w.gz == nil {
		w.gz, _ = gzip.NewWriterLevel(&w.buf, gzip.BestSpeed)
	} else {
		w.gz.Reset(&w.buf)
	}
	if _, err := w.gz.Write(raw); err != nil {
		return nil, fmt.Errorf("simulate: gzip: %w", err)
	}
	if err := w.gz.Close(); err != nil {
		return nil, fmt.Errorf("simulate: gzip: %w", err)
	}
	body := w.buf.Bytes()

	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("simulate: %w", err)
		}
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("User-Agent", "augur-simulate")
		resp, err := w.client.Do(req)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, fmt.Errorf("simulate: POST %s: %w", url, ctxErr)
			}
			return nil, fmt.Errorf("simulate: POST %s: %w", url, err)
		}
		if resp.StatusCode/100 == 2 {
			var answer []byte
			if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-protobuf") {
				answer, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			}
			drainClose(resp.Body)
			return answer, nil
		}
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		drainClose(resp.Body)
		retryable := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable
		if !retryable || attempt >= maxAttempts {
			return nil, &StatusError{URL: url, StatusCode: resp.StatusCode, Body: string(head), Attempts: attempt}
		}
		delay := retryBaseDelay << (attempt - 1)
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			delay = time.Duration(s) * time.Second
		}
		delay = min(delay, retryMaxDelay)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("simulate: POST %s: %w", url, ctx.Err())
		case <-timer.C:
		}
	}
}

// drainClose reads a little of what is left so the connection can be
// reused, then closes the body.
func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}

// StatusError is returned by Run when the receiver answers an export with a
// non-2xx status (after retries, for 429 and 503).
type StatusError struct {
	URL        string
	StatusCode int
	Body       string // at most the first 200 bytes of the answer
	Attempts   int
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("simulate: POST %s: HTTP %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	if b := strings.TrimSpace(e.Body); b != "" {
		msg += ": " + strconv.Quote(b)
	}
	return msg
}
