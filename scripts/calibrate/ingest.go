package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
)

// Span series as the collector writes them (collector/spanmetrics.go).
const (
	metricRequests = "augur_span_requests_total"
	metricErrors   = "augur_span_errors_total"
	metricDuration = "augur_span_duration_seconds"
	serviceName    = "checkout"
	spanName       = "POST /checkout"
)

// series turns a replicate into cumulative counter series per pod, one
// sample a minute from start (the pod's process start, every counter 0)
// to the end of its last minute with data.
func series(r replicate, bounds []float64, start time.Time) []prompb.TimeSeries {
	var out []prompb.TimeSeries
	rep := strconv.Itoa(r.rep)
	for _, p := range r.pods {
		version := "v1"
		if p.canary {
			version = "v2"
		}
		base := []prompb.Label{
			{Name: "pod", Value: p.name},
			{Name: "rep", Value: rep},
			{Name: "service_instance_id", Value: p.name},
			{Name: "service_name", Value: serviceName},
			{Name: "service_version", Value: version},
			{Name: "span_kind", Value: "server"},
			{Name: "span_name", Value: spanName},
		}
		ts := func(t int) int64 { return start.Add(time.Duration(t) * time.Minute).UnixMilli() }
		cumulative := func(name string, extra []prompb.Label, value func(t int) float64) prompb.TimeSeries {
			ls := append([]prompb.Label{{Name: "__name__", Value: name}}, base...)
			ls = append(ls, extra...)
			sort.Slice(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
			samples := make([]prompb.Sample, 0, p.minutes+1)
			acc := 0.0
			samples = append(samples, prompb.Sample{Timestamp: ts(0)})
			for t := 0; t < p.minutes; t++ {
				acc += value(t)
				samples = append(samples, prompb.Sample{Value: acc, Timestamp: ts(t + 1)})
			}
			return prompb.TimeSeries{Labels: ls, Samples: samples}
		}
		out = append(out,
			cumulative(metricRequests, nil, func(t int) float64 { return float64(p.requests[t]) }),
			cumulative(metricErrors, nil, func(t int) float64 { return float64(p.errors[t]) }),
			cumulative(metricDuration+"_count", nil, func(t int) float64 { return float64(p.requests[t]) }),
			cumulative(metricDuration+"_sum", nil, func(t int) float64 { return p.sum[t] }),
		)
		// Each minute's counts, cumulative over le.
		byLE := make([][]int32, p.minutes)
		for t := range byLE {
			byLE[t] = make([]int32, len(p.buckets[t]))
			acc := int32(0)
			for i, c := range p.buckets[t] {
				acc += c
				byLE[t][i] = acc
			}
		}
		for i := 0; i <= len(bounds); i++ {
			le := "+Inf"
			if i < len(bounds) {
				le = strconv.FormatFloat(bounds[i], 'g', -1, 64)
			}
			i := i
			out = append(out, cumulative(metricDuration+"_bucket", []prompb.Label{{Name: "le", Value: le}}, func(t int) float64 {
				return float64(byLE[t][i])
			}))
		}
	}
	return out
}

// writer remote-writes series (Prometheus remote write 1.0) to the
// server, retrying what the server asks to retry.
type writer struct {
	base   string
	client *http.Client
}

// maxAttempts bounds the retries of one request.
const maxAttempts = 20

// write sends one request, retrying 429 and 5xx answers (after their
// Retry-After, capped at 5 s) and connection errors.
func (w writer) write(ctx context.Context, ts []prompb.TimeSeries) error {
	req := prompb.WriteRequest{Timeseries: ts}
	raw, err := req.Marshal()
	if err != nil {
		return fmt.Errorf("marshal write request: %w", err)
	}
	body := snappy.Encode(nil, raw)
	var last error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		wait, err := w.post(ctx, body)
		if err == nil {
			return nil
		}
		last = err
		if wait < 0 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	return fmt.Errorf("remote write: %d attempts: %w", maxAttempts, last)
}

// post sends the body once; on failure it returns how long to wait before
// retrying, or a negative wait when the failure is final.
func (w writer) post(ctx context.Context, body []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.base+"/api/v1/write", bytes.NewReader(body))
	if err != nil {
		return -1, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	resp, err := w.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return -1, ctx.Err()
		}
		return 500 * time.Millisecond, fmt.Errorf("remote write: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode/100 == 2 {
		return 0, nil
	}
	err = fmt.Errorf("remote write answered %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode/100 != 5 {
		return -1, err
	}
	wait := time.Second
	if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s >= 0 {
		wait = time.Duration(s) * time.Second
	}
	return min(max(wait, 100*time.Millisecond), 5*time.Second), err
}
