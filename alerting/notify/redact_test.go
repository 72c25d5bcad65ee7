package notify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	const hook = "https://hooks.example.test/services/T000/B000/s3cr3tT0ken"
	transport := &url.Error{Op: "Post", URL: hook, Err: errors.New("connection refused")}
	for _, tc := range []struct {
		name      string
		err       error
		permanent bool
		after     time.Duration
		hasAfter  bool
		ctx       error
	}{
		{"transport", transport, false, 0, false, nil},
		{"permanent", Permanent(fmt.Errorf("slack: 404: no_service at %s", hook)), true, 0, false, nil},
		{"retry after", &RetryAfterError{After: 7 * time.Second, Err: fmt.Errorf("429 for %s", hook)}, false, 7 * time.Second, true, nil},
		{"deadline", &url.Error{Op: "Post", URL: hook, Err: context.DeadlineExceeded}, false, 0, false, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Redact(tc.err, URLSecrets(hook)...)
			for _, s := range []string{"s3cr3tT0ken", "/services/T000"} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error %q keeps %q", err, s)
				}
			}
			if !strings.Contains(err.Error(), Redacted) {
				t.Errorf("error %q does not say what it redacted", err)
			}
			if IsPermanent(err) != tc.permanent {
				t.Errorf("permanent %v, want %v", IsPermanent(err), tc.permanent)
			}
			if d, ok := RetryAfter(err); ok != tc.hasAfter || d != tc.after {
				t.Errorf("retry after %v %v, want %v %v", d, ok, tc.after, tc.hasAfter)
			}
			if tc.ctx != nil && !errors.Is(err, tc.ctx) {
				t.Errorf("%v is not %v", err, tc.ctx)
			}
			var ue *url.Error
			if errors.As(err, &ue) {
				t.Errorf("the url.Error (and its URL) is still reachable")
			}
		})
	}
	if Redact(nil, "x") != nil {
		t.Error("nil is not nil")
	}
}

func TestURLSecretsRootPath(t *testing.T) {
	for _, s := range URLSecrets("https://example.test/") {
		if s == "/" {
			t.Fatal("a bare / would redact every slash")
		}
	}
}
