package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Event is what a message is about.
type Event string

// Events.
const (
	// EventVerdict is a run's final verdict.
	EventVerdict Event = "verdict"
	// EventRunStarted, EventRunAborted and EventIntervalFailed are sent
	// when a route asks for them.
	EventRunStarted     Event = "run_started"
	EventRunAborted     Event = "run_aborted"
	EventIntervalFailed Event = "interval_failed"
)

// Severities a message carries (routes match on them).
const (
	SeverityCritical = "critical" // a fail
	SeverityWarning  = "warning"  // marginal, inconclusive, error
	SeverityInfo     = "info"     // a pass, a start
)

// Message is one notification about one experiment's run.
type Message struct {
	// ID identifies the message across retries and replicas: the
	// idempotency key a receiver deduplicates on (Standard Webhooks'
	// webhook-id).
	ID    string `json:"id"`
	Event Event  `json:"event"`
	// Receiver is the configured name of the receiver it goes to.
	Receiver     string `json:"receiver,omitempty"`
	ExperimentID string `json:"experiment_id"`
	RunID        string `json:"run_id"`
	// Name is the experiment's name.
	Name string `json:"name"`
	// Labels are what routes match: the experiment's labels plus name,
	// kind, template and key where set.
	Labels map[string]string `json:"labels,omitempty"`
	// Verdict is pass, marginal, fail, inconclusive or error ("" for a
	// start).
	Verdict  string   `json:"verdict,omitempty"`
	Severity string   `json:"severity"`
	Score    *float64 `json:"score"`
	// Reason is the verdict's one-line reason.
	Reason string `json:"reason"`
	// Failing are the metrics that failed, each with its one-line reason.
	Failing   []Metric `json:"failing,omitempty"`
	ReportURL string   `json:"report_url,omitempty"`
	// At is when the event happened (the verdict, the start).
	At time.Time `json:"at"`
	// StartedAt is when the run started.
	StartedAt time.Time `json:"started_at"`
	// Resolved is true once the experiment passed or ended: receivers that
	// raise incidents or alerts (PagerDuty, Alertmanager) resolve what they
	// raised for this experiment.
	Resolved bool `json:"resolved"`
	// Payload is augur's verdict document (what the verdict webhook has
	// always sent), for receivers that pass it through.
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Metric is one failing metric of a verdict.
type Metric struct {
	Name           string `json:"name"`
	Classification string `json:"classification"`
	Reason         string `json:"reason"`
}

// Notifier sends one message to one receiver. A nil error means the
// receiver took it. Errors wrapping a PermanentError are not retried (the
// message is dead-lettered with the error); the rest are retried, not
// before RetryAfter says when one is given.
type Notifier interface {
	Notify(ctx context.Context, m Message) error
}

// PermanentError is a refusal that sending again cannot fix: a 4xx other
// than 408 and 429, a template that does not render, a bad address.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as permanent (nil stays nil).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err wraps a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// RetryAfterError is a retryable failure with the earliest time to try
// again (a 429's Retry-After).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns the wait an error asks for, if any.
func RetryAfter(err error) (time.Duration, bool) {
	var r *RetryAfterError
	if errors.As(err, &r) {
		return r.After, true
	}
	return 0, false
}

// MaxErrorBody bounds how much of a receiver's answer an error keeps.
const MaxErrorBody = 256

// CheckResponse classifies an HTTP answer the way every HTTP receiver
// does: 2xx is nil; 408, 429 and 5xx are retryable (429 and 503 with
// their Retry-After, in seconds or as an HTTP date); any other status is
// permanent. The error names the receiver and the status and keeps at most
// MaxErrorBody bytes of the answer, for the delivery record (never for
// unauthenticated API answers). It reads and closes resp.Body.
func CheckResponse(receiver string, resp *http.Response, now time.Time) error {
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	err := fmt.Errorf("%s: %s: %s", receiver, resp.Status, strings.TrimSpace(string(b)))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
			return &RetryAfterError{After: d, Err: err}
		}
		return err
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return err
	default:
		return Permanent(err)
	}
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date (RFC 9110 §10.2.3).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
