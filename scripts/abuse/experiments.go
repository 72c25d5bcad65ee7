package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// sloSpec is an slo experiment over the well-behaved sender's counter;
// extra is YAML appended at the top level.
func sloSpec(name, timing, extra string) string {
	return fmt.Sprintf(`apiVersion: augur/v1
kind: slo
name: %s
cohorts:
  target: sender="good"
timing:
%s
metrics:
  - name: probe
    query: abuse_probe_total{${cohort}}
    judge: {type: threshold, upper: 1e12}
%s`, name, timing, extra)
}

// stepSpec has a value at every step of its window (vector(1)), as a
// metric with data over the whole window does.
func stepSpec(step, window string) string {
	spec := sloSpec("abuse-step", fmt.Sprintf("  start: -%s\n  lifetime: %s", window, window), "step: "+step+"\n")
	return strings.Replace(spec, "query: abuse_probe_total{${cohort}}", "query: vector(1) or abuse_probe_total{${cohort}}", 1)
}

var weightInfSpec = strings.Replace(sloSpec("abuse-weight", "  start: -2m\n  lifetime: 1m", ""),
	"judge: {type: threshold, upper: 1e12}", "weight: .inf\n    judge: {type: threshold, upper: 1e12}", 1)

var manyWebhooksSpec = func() string {
	var sb strings.Builder
	sb.WriteString("webhooks:\n")
	for i := 0; i < 15000; i++ {
		fmt.Fprintf(&sb, "  - http://127.0.0.1:9/hook/%d\n", i)
	}
	return sloSpec("abuse-webhooks", "  start: -2m\n  lifetime: 1m", sb.String())
}()

// experiment is the part of the API's experiment answer the attacks read.
type experiment struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Judged  int    `json:"judged"`
	Verdict *struct {
		Verdict string `json:"verdict"`
	} `json:"verdict"`
}

func (h *harness) create(ctx context.Context, spec, query string) (int, string, experiment, error) {
	code, body, err := h.do(ctx, http.MethodPost, "/api/v1/experiments"+query, "application/yaml", []byte(spec))
	var x experiment
	if err == nil && code == http.StatusCreated {
		_ = json.Unmarshal([]byte(body), &x)
	}
	return code, body, x, err
}

func (h *harness) get(ctx context.Context, id string) (experiment, error) {
	code, body, err := h.doFull(ctx, "/api/v1/experiments/"+id)
	var x experiment
	if err != nil || code != http.StatusOK {
		return x, fmt.Errorf("get experiment %s: %d %v", id, code, err)
	}
	return x, json.Unmarshal([]byte(body), &x)
}

func (h *harness) remove(ctx context.Context, id string) {
	_, _, _ = h.do(ctx, http.MethodPost, "/api/v1/experiments/"+id+"/abort", "", nil)
	_, _, _ = h.do(ctx, http.MethodDelete, "/api/v1/experiments/"+id, "", nil)
}

// goodExperiment is the well-behaved API user: an experiment over the past
// two minutes must reach its verdict within 20 s.
func (h *harness) goodExperiment(ctx context.Context) (string, bool) {
	code, body, x, err := h.create(ctx, sloSpec("abuse-good", "  start: -2m\n  lifetime: 1m", ""), "")
	if err != nil || code != http.StatusCreated {
		return "experiment refused: " + answer(code, body, err), false
	}
	defer h.remove(ctx, x.ID)
	began := time.Now()
	deadline := began.Add(20 * time.Second)
	for time.Now().Before(deadline) {
		got, err := h.get(ctx, x.ID)
		if err == nil && got.Verdict != nil {
			return fmt.Sprintf("experiment judged in %.1fs", time.Since(began).Seconds()), true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return "experiment NOT judged within 20s", false
}

// specAttack submits a spec that must be refused with 422 naming field.
// When the server accepts it, the attack waits for the damage, then
// removes the experiment.
func specAttack(desc, spec, field string) func(ctx context.Context, h *harness) result {
	return func(ctx context.Context, h *harness) result {
		code, body, x, err := h.create(ctx, spec, "")
		res := result{answer: answer(code, body, err), answerOK: err == nil && code == http.StatusUnprocessableEntity && strings.Contains(body, field)}
		if code == http.StatusCreated {
			res.answer = desc + " accepted: 201"
			defer h.remove(ctx, x.ID)
			// Let its first interval be judged (or fail) before measuring.
			for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
				if got, err := h.get(ctx, x.ID); err == nil && (got.Judged > 0 || got.Verdict != nil) {
					break
				}
			}
		}
		s1, ok1 := h.probeResult(ctx)
		s2, ok2 := h.goodExperiment(ctx)
		res.sender, res.senderOK = s1+"; "+s2, ok1 && ok2
		return res
	}
}

// intervalFlood submits a spec of 315 million one-second intervals; if it
// is accepted, seven more, then checks that an on-time experiment is still
// judged.
func intervalFlood(ctx context.Context, h *harness) result {
	spec := sloSpec("abuse-intervals", "  start: -87600h\n  lifetime: 87600h\n  interval: 1s", "")
	code, body, x, err := h.create(ctx, spec, "")
	res := result{answer: answer(code, body, err), answerOK: err == nil && code == http.StatusUnprocessableEntity && strings.Contains(body, "interval")}
	if code == http.StatusCreated {
		ids := []string{x.ID}
		for i := 0; i < 7; i++ {
			if c, _, y, err := h.create(ctx, spec, ""); err == nil && c == http.StatusCreated {
				ids = append(ids, y.ID)
			}
		}
		res.answer = fmt.Sprintf("315M intervals accepted %d times", len(ids))
		defer func() {
			for _, id := range ids {
				h.remove(ctx, id)
			}
		}()
		time.Sleep(3 * time.Second)
	}
	s, ok := h.goodExperiment(ctx)
	res.sender, res.senderOK = s, ok
	return res
}

// backlog creates eight experiments of the most intervals a spec may have
// (10,000 one-second intervals, all in the past), so that every worker has
// a long backlog to catch up, then checks that an on-time experiment is
// still judged between their batches.
func backlog(ctx context.Context, h *harness) result {
	spec := sloSpec("abuse-backlog", "  start: -10000s\n  lifetime: 10000s\n  interval: 1s", "")
	var ids []string
	var last string
	for i := 0; i < 8; i++ {
		code, body, x, err := h.create(ctx, spec, "")
		if err != nil || code != http.StatusCreated {
			last = answer(code, body, err)
			continue
		}
		ids = append(ids, x.ID)
	}
	defer func() {
		for _, id := range ids {
			h.remove(ctx, id)
		}
	}()
	res := result{answer: fmt.Sprintf("%d backlogs of 10,000 intervals accepted", len(ids)), answerOK: len(ids) == 8}
	if len(ids) < 8 {
		res.answer += "; refused: " + last
	}
	time.Sleep(2 * time.Second) // every worker is busy catching up
	s1, ok1 := h.goodExperiment(ctx)
	s2, ok2 := h.probeResult(ctx)
	res.sender, res.senderOK = s1+"; "+s2, ok1 && ok2
	return res
}

// doubleStart starts the same experiment twice at once: one start wins,
// the other gets 409 with a message a person can act on, never a
// database's text.
func doubleStart(ctx context.Context, h *harness) result {
	code, body, x, err := h.create(ctx, sloSpec("abuse-double", "  lifetime: 1m", ""), "?start=false")
	if err != nil || code != http.StatusCreated {
		return result{answer: "create: " + answer(code, body, err)}
	}
	defer h.remove(ctx, x.ID)
	var wg sync.WaitGroup
	codes := make([]int, 2)
	bodies := make([]string, 2)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], bodies[i], _ = h.do(ctx, http.MethodPost, "/api/v1/experiments/"+x.ID+"/start", "", nil)
		}()
	}
	wg.Wait()
	conflict := ""
	for i, c := range codes {
		if c == http.StatusConflict {
			conflict = bodies[i]
		}
	}
	leaky := strings.Contains(strings.ToLower(conflict), "constraint") || strings.Contains(conflict, "UNIQUE") || strings.Contains(strings.ToLower(conflict), "sql")
	s, ok := h.probeResult(ctx)
	return result{answer: fmt.Sprintf("%d and %d: %s", codes[0], codes[1], conflict),
		answerOK: conflict != "" && !leaky, sender: s, senderOK: ok}
}

// specWebhookLoopback ends an experiment whose spec lists a webhook on
// loopback (a listener that is up and counts requests): with the default
// configuration the server must not call it (spec URLs are off, and
// loopback is refused even when they are on), and the refusal must be
// visible as a dead delivery, without the target's answer.
func specWebhookLoopback(ctx context.Context, h *harness) result {
	var hits atomic.Int64
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{answer: err.Error()}
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("internal admin answer"))
	})}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	spec := sloSpec("abuse-webhook", "  start: -2m\n  lifetime: 1m", "webhooks:\n  - http://"+l.Addr().String()+"/hook\n")
	code, body, x, err := h.create(ctx, spec, "")
	if err != nil || code != http.StatusCreated {
		return result{answer: "create: " + answer(code, body, err)}
	}
	defer h.remove(ctx, x.ID)
	var dead, raw string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && dead == ""; time.Sleep(200 * time.Millisecond) {
		code, raw, err = h.do(ctx, http.MethodGet, "/api/v1/experiments/"+x.ID+"/deliveries", "", nil)
		if err != nil || code != http.StatusOK {
			continue
		}
		var ds struct {
			Deliveries []struct {
				Status    string `json:"status"`
				LastError string `json:"last_error"`
			} `json:"deliveries"`
		}
		if json.Unmarshal([]byte(raw), &ds) == nil && len(ds.Deliveries) == 1 && ds.Deliveries[0].Status == "dead" {
			dead = ds.Deliveries[0].LastError
		}
	}
	if dead == "" {
		return result{answer: "no dead delivery within 20s: " + raw}
	}
	res := result{answer: "delivery dead: " + dead, answerOK: strings.Contains(dead, "allow_spec_urls") && !strings.Contains(raw, "internal admin")}
	if n := hits.Load(); n == 0 {
		res.sender, res.senderOK = "the loopback target was never called", true
	} else {
		res.sender = fmt.Sprintf("the loopback target was called %d times", n)
	}
	return res
}
