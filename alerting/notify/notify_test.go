package notify

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCheckResponse(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		code      int
		header    string
		wantNil   bool
		permanent bool
		after     time.Duration
		hasAfter  bool
	}{
		{"ok", 200, "", true, false, 0, false},
		{"accepted", 202, "", true, false, 0, false},
		{"bad request", 400, "", false, true, 0, false},
		{"not found", 404, "", false, true, 0, false},
		{"timeout", 408, "", false, false, 0, false},
		{"rate limited, seconds", 429, "30", false, false, 30 * time.Second, true},
		{"rate limited, date", 429, now.Add(90 * time.Second).Format(http.TimeFormat), false, false, 90 * time.Second, true},
		{"rate limited, no header", 429, "", false, false, 0, false},
		{"unavailable", 503, "5", false, false, 5 * time.Second, true},
		{"server error", 500, "", false, false, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tc.code, Status: http.StatusText(tc.code), Header: http.Header{},
				Body: io.NopCloser(strings.NewReader(strings.Repeat("x", 1000)))}
			if tc.header != "" {
				resp.Header.Set("Retry-After", tc.header)
			}
			err := CheckResponse("r", resp, now)
			if (err == nil) != tc.wantNil {
				t.Fatalf("err %v", err)
			}
			if err == nil {
				return
			}
			if IsPermanent(err) != tc.permanent {
				t.Errorf("permanent %v, want %v", IsPermanent(err), tc.permanent)
			}
			d, ok := RetryAfter(err)
			if ok != tc.hasAfter || d != tc.after {
				t.Errorf("retry after %v %v, want %v %v", d, ok, tc.after, tc.hasAfter)
			}
			if n := strings.Count(err.Error(), "x"); n > MaxErrorBody {
				t.Errorf("error keeps %d bytes of the body", n)
			}
		})
	}
}
