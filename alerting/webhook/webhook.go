package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/augurhq/augur/analysis"
)

// Config configures delivery.
type Config struct {
	// Attempts is the number of tries per URL (1 = no retry).
	Attempts int `yaml:"attempts" json:"attempts"`
	// Backoff is the wait before the second attempt; it doubles each time.
	Backoff time.Duration `yaml:"backoff" json:"backoff"`
	// Timeout bounds one attempt.
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
	// UserAgent is sent with every request.
	UserAgent string `yaml:"user_agent" json:"user_agent"`
}

// DefaultConfig returns 4 attempts, 500 ms initial backoff, 10 s timeout.
func DefaultConfig() Config {
	return Config{Attempts: 4, Backoff: 500 * time.Millisecond, Timeout: 10 * time.Second, UserAgent: "augur"}
}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	if c.Attempts < 1 {
		errs = append(errs, fmt.Errorf("webhook.attempts: must be at least 1, got %d", c.Attempts))
	}
	if c.Backoff < 0 {
		errs = append(errs, fmt.Errorf("webhook.backoff: must not be negative, got %s", c.Backoff))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("webhook.timeout: must be positive, got %s", c.Timeout))
	}
	return errors.Join(errs...)
}

// Sink delivers verdicts to the webhook URLs of each experiment.
type Sink struct {
	cfg    Config
	client *http.Client
	logger *slog.Logger
}

// New returns a webhook Sink. A nil client means a default one.
func New(cfg Config, client *http.Client, logger *slog.Logger) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if client == nil {
		client = &http.Client{}
	}
	return &Sink{cfg: cfg, client: client, logger: logger}, nil
}

var _ analysis.TargetSink = (*Sink)(nil)

// Publish POSTs the verdict to every URL; it returns the joined errors of
// the URLs that did not take it after all attempts.
func (s *Sink) Publish(ctx context.Context, n analysis.Notification) error {
	var errs []error
	for _, r := range s.PublishTargets(ctx, n) {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Target, r.Err))
		}
	}
	return errors.Join(errs...)
}

// PublishTargets POSTs the verdict to each URL and reports each one's
// outcome, so that a later retry goes only to the URLs that failed. An
// error wraps analysis.ErrRefused when another attempt cannot succeed: a
// 4xx answer other than 408 and 429, or a URL that cannot be requested.
func (s *Sink) PublishTargets(ctx context.Context, n analysis.Notification) []analysis.TargetResult {
	out := make([]analysis.TargetResult, len(n.Webhooks))
	body, err := json.Marshal(n.Verdict)
	for i, u := range n.Webhooks {
		out[i].Target = u
		if err != nil {
			out[i].Err = fmt.Errorf("encode verdict: %w", err)
			continue
		}
		out[i].Err = s.deliver(ctx, u, deliveryID(n), body)
	}
	return out
}

// deliveryID is the webhook-id of a run's final verdict: the same for
// every attempt, whichever replica makes it, so that receivers can
// de-duplicate.
func deliveryID(n analysis.Notification) string {
	id := "verdict_" + n.ExperimentID
	if n.Verdict.RunID != "" {
		id += "_" + n.Verdict.RunID
	}
	return id
}

func (s *Sink) deliver(ctx context.Context, url, id string, body []byte) error {
	wait := s.cfg.Backoff
	var last error
	for attempt := 1; attempt <= s.cfg.Attempts; attempt++ {
		retry, err := s.post(ctx, url, id, body)
		if err == nil {
			s.logger.Info("verdict delivered", "url", url, "attempt", attempt)
			return nil
		}
		last = err
		s.logger.Warn("verdict delivery attempt failed", "url", url, "attempt", attempt, "of", s.cfg.Attempts, "err", err)
		if !retry || attempt == s.cfg.Attempts {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("gave up after %d attempts: %w", attempt, ctx.Err())
		}
		wait *= 2
	}
	return fmt.Errorf("gave up: %w", last)
}

// post makes one attempt; retry says whether another may succeed.
func (s *Sink) post(ctx context.Context, url, id string, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("%w: %w", analysis.ErrRefused, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	resp, err := s.client.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(snippet))
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout {
		return true, err
	}
	return false, fmt.Errorf("%w (%w: not sent again)", err, analysis.ErrRefused)
}
