package notify

import (
	"context"
	"errors"
	"net/url"
	"strings"
)

// Redacted replaces a secret in an error's text.
const Redacted = "[redacted]"

// Redact returns err with every non-empty secret replaced by Redacted in
// its text, keeping what the delivery loop reads from it: permanence, the
// Retry-After wait, and a context's cancellation or deadline. Receivers
// whose URL or key is the secret (a Slack or Teams webhook, a PagerDuty
// routing key) pass every error through it: an http.Client error quotes
// the URL it was sending to.
//
// The wrapped chain below the redacted text is dropped on purpose (it
// would still hold the secret), so errors.As finds none of its types.
func Redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, Redacted)
		}
	}
	out := &redactedError{msg: msg}
	switch {
	case errors.Is(err, context.Canceled):
		out.cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		out.cause = context.DeadlineExceeded
	}
	if IsPermanent(err) {
		return Permanent(out)
	}
	if d, ok := RetryAfter(err); ok {
		return &RetryAfterError{After: d, Err: out}
	}
	return out
}

// URLSecrets lists the forms a secret URL takes in error text: as given,
// as net/url prints it, its path and its query (the part that carries
// the token in Slack's and Teams' webhook URLs).
func URLSecrets(raw string) []string {
	out := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return out
	}
	out = append(out, u.String(), u.RawQuery)
	// A bare "/" path would redact every slash.
	if len(u.Path) > 1 {
		out = append(out, u.Path, u.EscapedPath())
	}
	return out
}

type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }
