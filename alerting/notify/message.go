package notify

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// Title is the message's one-line headline, e.g. "FAIL: checkout-canary".
func (m Message) Title() string {
	var what string
	switch m.Event {
	case EventRunStarted:
		what = "Started"
	case EventRunAborted:
		what = "Aborted"
	case EventIntervalFailed:
		what = "Interval failed"
	default:
		what = "-"
		if m.Verdict != "" {
			what = strings.ToUpper(m.Verdict)
		}
	}
	if m.Resolved && m.Event == EventVerdict && m.Verdict != "pass" {
		what += " (resolved)"
	}
	return what + ": " + m.Name
}

// SecretURL returns a receiver's secret URL (a chat webhook: the URL is
// the credential), inline or read from its file on every call so that a
// rotation needs no restart. field names the setting in errors (e.g.
// "slack.webhook_url"); the URL itself never appears in them.
func SecretURL(field, inline, file string) (string, error) {
	if file == "" {
		return inline, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_file: %w", field, err)
	}
	u := strings.TrimSpace(string(b))
	if err := CheckSecretURL(u); err != nil {
		return "", fmt.Errorf("%s_file %s: %w", field, file, err)
	}
	return u, nil
}

// CheckSecretURL accepts an absolute http(s) URL without quoting it
// (url.Parse's own error would).
func CheckSecretURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("not an absolute http(s) URL (value not shown: it is a secret)")
	}
	return nil
}
