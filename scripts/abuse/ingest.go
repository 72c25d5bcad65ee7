package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
)

// attack is one hostile request pattern.
type attack struct {
	name string
	run  func(ctx context.Context, h *harness) result
}

func attacks() []attack {
	return []attack{
		{"future-log-record", futureLog},
		{"future-span-6h", futureSpan(6 * time.Hour)},
		{"future-loki-6h", futureLoki},
		{"ancient-span-1971", ancientSpan},
		{"slow-bodies", slowBodies},
		{"span-name-flood", spanNameFlood},
		{"loki-invalid-utf8", lokiInvalidUTF8},
		{"step-1ms-24h", specAttack("step: 1ms over a 24h window", stepSpec("1ms", "24h"), "step")},
		{"step-1s-10y", specAttack("step: 1s over a 10-year window", stepSpec("1s", "87600h"), "timing.lifetime")},
		{"interval-flood", intervalFlood},
		{"backlog-x8", backlog},
		{"weight-inf", specAttack("weight: .inf", weightInfSpec, "weight")},
		{"15000-webhooks", specAttack("15,000 webhook URLs", manyWebhooksSpec, "webhooks")},
		{"double-start", doubleStart},
		{"spec-webhook-loopback", specWebhookLoopback},
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// spansJSON is an OTLP/HTTP JSON traces body: one resource, the given span
// names, each ending at end and lasting 10 ms.
func spansJSON(service string, names []string, end time.Time) []byte {
	var sb strings.Builder
	fmt.Fprintf(&sb, `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":%q}},{"key":"service.version","value":{"stringValue":"v1"}}]},"scopeSpans":[{"spans":[`, service)
	for i, n := range names {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"traceId":%q,"spanId":%q,"name":%q,"kind":2,"startTimeUnixNano":"%d","endTimeUnixNano":"%d"}`,
			randHex(16), randHex(8), n, end.Add(-10*time.Millisecond).UnixNano(), end.UnixNano())
	}
	sb.WriteString(`]}]}]}`)
	return []byte(sb.String())
}

// afterIngest probes the well-behaved sender and judges the answer.
func afterIngest(ctx context.Context, h *harness, code int, body string, err error, answerOK bool) result {
	s, ok := h.probeResult(ctx)
	return result{answer: answer(code, body, err), answerOK: err == nil && answerOK, sender: s, senderOK: ok}
}

func futureLog(ctx context.Context, h *harness) result {
	body := fmt.Sprintf(`{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"abuse"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"%d","severityText":"INFO","body":{"stringValue":"from the end of time"}}]}]}]}`, int64(math.MaxInt64))
	code, resp, err := h.do(ctx, http.MethodPost, "/v1/logs", "application/json", []byte(body))
	return afterIngest(ctx, h, code, resp, err, code == http.StatusOK && strings.Contains(resp, "rejected"))
}

func futureSpan(ahead time.Duration) func(ctx context.Context, h *harness) result {
	return func(ctx context.Context, h *harness) result {
		code, resp, err := h.do(ctx, http.MethodPost, "/v1/traces", "application/json",
			spansJSON("abuse", []string{"GET /future"}, time.Now().Add(ahead)))
		return afterIngest(ctx, h, code, resp, err, code == http.StatusOK && strings.Contains(resp, "rejected"))
	}
}

func ancientSpan(ctx context.Context, h *harness) result {
	code, resp, err := h.do(ctx, http.MethodPost, "/v1/traces", "application/json",
		spansJSON("abuse", []string{"GET /past"}, time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC)))
	return afterIngest(ctx, h, code, resp, err, code == http.StatusOK && strings.Contains(resp, "rejected"))
}

func futureLoki(ctx context.Context, h *harness) result {
	body := fmt.Sprintf(`{"streams":[{"stream":{"service_name":"abuse","level":"info"},"values":[["%d","six hours ahead"]]}]}`,
		time.Now().Add(6*time.Hour).UnixNano())
	code, resp, err := h.do(ctx, http.MethodPost, "/loki/api/v1/push", "application/json", []byte(body))
	return afterIngest(ctx, h, code, resp, err, code == http.StatusBadRequest)
}

// lokiInvalidUTF8 pushes a stream whose label value is not UTF-8 over
// Loki's protobuf push, and the same value over remote write: both must
// refuse it.
func lokiInvalidUTF8(ctx context.Context, h *harness) result {
	bad := "v\xff\xfe"
	req := push.PushRequest{Streams: []push.Stream{{
		Labels:  `{service_name="abuse", version="` + bad + `"}`,
		Entries: []push.Entry{{Timestamp: time.Now(), Line: "bad label"}},
	}}}
	raw, err := req.Marshal()
	if err != nil {
		return result{answer: err.Error()}
	}
	code, resp, err := h.do(ctx, http.MethodPost, "/loki/api/v1/push", "application/x-protobuf", snappy.Encode(nil, raw))
	rwCode, rwResp, rwErr := h.writeSample(ctx, "abuse_utf8", 1, "version", bad)
	ans := fmt.Sprintf("loki %s; remote write %s", answer(code, resp, err), answer(rwCode, rwResp, rwErr))
	s, ok := h.probeResult(ctx)
	return result{answer: ans, answerOK: err == nil && rwErr == nil && code == http.StatusBadRequest && rwCode == http.StatusBadRequest,
		sender: s, senderOK: ok}
}

// slowBodies opens connections that announce a remote-write body and
// trickle it a byte a second, while the well-behaved sender writes every
// 250 ms; it reports how many slow connections the server cut.
func slowBodies(ctx context.Context, h *harness) result {
	const conns = 128
	const length = 1 << 20
	d := 40 * time.Second
	addr := strings.TrimPrefix(h.base, "http://")
	var wg sync.WaitGroup
	var mu sync.Mutex
	cut, opened := 0, 0
	actx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for i := 0; i < conns; i++ {
		c, err := (&net.Dialer{}).DialContext(actx, "tcp", addr)
		if err != nil {
			continue
		}
		opened++
		fmt.Fprintf(c, "POST /api/v1/write HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\nContent-Length: %d\r\n\r\n", addr, length)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-actx.Done():
					return
				case <-t.C:
				}
				if _, err := c.Write([]byte{0}); err != nil {
					mu.Lock()
					cut++
					mu.Unlock()
					return
				}
			}
		}()
	}
	bg := h.inBackground(ctx, 250*time.Millisecond)
	<-actx.Done()
	s, ok := bg.summary()
	wg.Wait()
	return result{answer: fmt.Sprintf("%d slow connections for %s; %d cut by the server", opened, d, cut),
		answerOK: opened > 0, sender: s, senderOK: ok}
}

// spanNameFlood sends 30,000 distinct URL-like span names in four
// requests: half with ids in the path, half with id-free slugs.
func spanNameFlood(ctx context.Context, h *harness) result {
	before, _ := h.metricValue(ctx, "prometheus_tsdb_head_series")
	var answers []string
	allOK := true
	for r := 0; r < 4; r++ {
		names := make([]string, 7500)
		for i := range names {
			if r < 2 {
				names[i] = fmt.Sprintf("GET /api/users/%d/orders/%s-%s", 100000+r*7500+i, randHex(4), randHex(6))
			} else {
				names[i] = "GET /products/" + slug(r*7500+i)
			}
		}
		code, resp, err := h.do(ctx, http.MethodPost, "/v1/traces", "application/json", spansJSON("abuse-flood", names, time.Now()))
		if err != nil || code != http.StatusOK {
			allOK = false
		}
		answers = append(answers, answer(code, resp, err))
	}
	after, _ := h.metricValue(ctx, "prometheus_tsdb_head_series")
	// A new series of the well-behaved sender must still be accepted.
	code, resp, err := h.writeSample(ctx, "abuse_fresh_series", 1, "n", randHex(4))
	s, ok := h.probeResult(ctx)
	if err != nil || code/100 != 2 {
		s, ok = "new series refused: "+answer(code, resp, err), false
	}
	grown := after - before
	return result{
		answer:   fmt.Sprintf("head series +%.0f; %s", grown, answers[len(answers)-1]),
		answerOK: allOK && grown < 150_000,
		sender:   s, senderOK: ok,
	}
}

// slug is an id-free path segment, unique per i.
func slug(i int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	var b []byte
	for n := i + 1; n > 0; n /= 26 {
		b = append(b, letters[n%26])
	}
	return "item-" + string(b)
}

// metricValue reads one unlabelled sample from /metrics.
func (h *harness) metricValue(ctx context.Context, name string) (float64, error) {
	code, body, err := h.doFull(ctx, "/metrics")
	if err != nil || code != http.StatusOK {
		return 0, fmt.Errorf("metrics: %d %v", code, err)
	}
	for _, line := range strings.Split(body, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			return strconv.ParseFloat(f[1], 64)
		}
	}
	return 0, fmt.Errorf("metrics: no %s", name)
}
