package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
)

// harness talks to the server under attack.
type harness struct {
	base   string
	pid    int
	client *http.Client
	probes atomic.Int64 // the well-behaved counter's value
}

// result is what one attack found.
type result struct {
	answer   string // what the server answered the attack
	answerOK bool   // the answer is the one a hardened server gives
	sender   string // how the well-behaved sender fared
	senderOK bool
}

// do sends one request and returns the status and up to 4 KiB of the body.
func (h *harness) do(ctx context.Context, method, path, contentType string, body []byte, hdr ...string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, string(bytes.TrimSpace(b)), nil
}

// doFull GETs path and returns the whole body.
func (h *harness) doFull(ctx context.Context, path string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, string(b), err
}

// writeSample remote-writes one sample of name{sender="good",extra...} at
// now; it reports the status.
func (h *harness) writeSample(ctx context.Context, name string, v float64, extra ...string) (int, string, error) {
	ls := []prompb.Label{{Name: "__name__", Value: name}, {Name: "sender", Value: "good"}}
	for i := 0; i+1 < len(extra); i += 2 {
		ls = append(ls, prompb.Label{Name: extra[i], Value: extra[i+1]})
	}
	req := prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels:  ls,
		Samples: []prompb.Sample{{Value: v, Timestamp: time.Now().UnixMilli()}},
	}}}
	raw, err := req.Marshal()
	if err != nil {
		return 0, "", err
	}
	return h.do(ctx, http.MethodPost, "/api/v1/write", "application/x-protobuf", snappy.Encode(nil, raw),
		"Content-Encoding", "snappy", "X-Prometheus-Remote-Write-Version", "0.1.0")
}

// probe is the well-behaved sender: it remote-writes the next value of
// its counter at now and reads it back through PromQL.
func (h *harness) probe(ctx context.Context) error {
	v := float64(h.probes.Add(1))
	code, body, err := h.writeSample(ctx, "abuse_probe_total", v)
	if err != nil {
		return fmt.Errorf("remote write: %w", err)
	}
	if code/100 != 2 {
		return fmt.Errorf("remote write answered %d: %s", code, body)
	}
	got, err := h.instant(ctx, `abuse_probe_total{sender="good"}`)
	if err != nil {
		return err
	}
	if got != v {
		return fmt.Errorf("wrote %g, read back %g", v, got)
	}
	return nil
}

// instant evaluates a PromQL expression at now and returns its only value.
func (h *harness) instant(ctx context.Context, expr string) (float64, error) {
	q := url.Values{"query": {expr}, "time": {strconv.FormatFloat(float64(time.Now().UnixMilli())/1000, 'f', 3, 64)}}
	code, body, err := h.do(ctx, http.MethodGet, "/api/v1/query?"+q.Encode(), "", nil)
	if err != nil {
		return 0, fmt.Errorf("query: %w", err)
	}
	if code != http.StatusOK {
		return 0, fmt.Errorf("query answered %d: %s", code, body)
	}
	var resp struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		return 0, fmt.Errorf("query: %w", err)
	}
	if len(resp.Data.Result) != 1 {
		return 0, fmt.Errorf("query %s: %d series, want 1", expr, len(resp.Data.Result))
	}
	s, _ := resp.Data.Result[0].Value[1].(string)
	return strconv.ParseFloat(s, 64)
}

// probeResult runs the well-behaved sender once after an attack.
func (h *harness) probeResult(ctx context.Context) (string, bool) {
	if err := h.probe(ctx); err != nil {
		return "FAILS: " + err.Error(), false
	}
	return "writes and reads back", true
}

// background runs the well-behaved sender every period until stop is
// called, and reports how it fared.
type background struct {
	ok, failed atomic.Int64
	lastErr    atomic.Value
	stop       func()
}

func (h *harness) inBackground(ctx context.Context, period time.Duration) *background {
	ctx, cancel := context.WithCancel(ctx)
	b := &background{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
			err := h.probe(pctx)
			pcancel()
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				b.failed.Add(1)
				b.lastErr.Store(err.Error())
			} else {
				b.ok.Add(1)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	b.stop = func() { cancel(); wg.Wait() }
	return b
}

// summary stops the sender and says how it fared.
func (b *background) summary() (string, bool) {
	b.stop()
	ok, failed := b.ok.Load(), b.failed.Load()
	if failed == 0 && ok > 0 {
		return fmt.Sprintf("%d of %d writes ok", ok, ok), true
	}
	last, _ := b.lastErr.Load().(string)
	return fmt.Sprintf("FAILS %d of %d: %s", failed, ok+failed, last), false
}

// answer formats a status and body.
func answer(code int, body string, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("%d %s", code, body)
}
