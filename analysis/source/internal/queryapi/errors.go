package queryapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/augurhq/augur/analysis"
)

// maxErrorBody bounds how much of an error answer is read, and
// maxErrorText how much of it goes into the error.
const (
	maxErrorBody = 64 << 10
	maxErrorText = 1 << 10
)

// StatusError is a server's refusal: an HTTP status outside 2xx, or an
// envelope whose status is "error".
type StatusError struct {
	Code      int    // HTTP status code
	Status    string // "400 Bad Request"
	ErrorType string // Prometheus' errorType (bad_data, execution...), if any
	Message   string // the server's own message: the envelope's error, or the body's text
	Location  string // where a redirect points
}

func (e *StatusError) Error() string {
	var b strings.Builder
	b.WriteString("HTTP ")
	b.WriteString(e.Status)
	if e.ErrorType != "" {
		b.WriteString(": " + e.ErrorType)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Location != "" {
		b.WriteString(": redirected to " + e.Location + "; set the source's url to the final address")
	}
	return b.String()
}

// Permanent reports whether retrying cannot help: a malformed query or
// parameter (400, 422), refused credentials (401, 403), a wrong path (404,
// 405) and the other client errors, and redirects. Timeouts (408), rate
// limits (429), requests the server saw cancelled (499) and server errors
// are retryable.
func (e *StatusError) Permanent() bool {
	switch c := e.Code; {
	case c == http.StatusRequestTimeout, c == http.StatusTooManyRequests, c == 499:
		return false
	case c/100 == 4, c/100 == 3:
		return true
	case c/100 == 2:
		// An error envelope with a success status: trust its type.
		return e.ErrorType == "bad_data" || e.ErrorType == "execution"
	}
	return false
}

// classify marks e permanent when retrying cannot help.
func classify(e *StatusError) error {
	if e.Permanent() {
		return analysis.Permanent(e)
	}
	return e
}

// newStatusError reads an error answer: Prometheus' JSON envelope, or the
// plain text Loki, proxies and load balancers send.
func newStatusError(resp *http.Response) *StatusError {
	e := &StatusError{Code: resp.StatusCode, Status: resp.Status, Location: resp.Header.Get("Location")}
	if e.Status == "" {
		e.Status = fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var env envelope
	if json.Unmarshal(body, &env) == nil && (env.Error != "" || env.ErrorType != "") {
		e.ErrorType, e.Message = env.ErrorType, env.Error
		return e
	}
	e.Message = text(body)
	if err != nil {
		e.Message += fmt.Sprintf(" (reading the answer: %v)", err)
	}
	return e
}

// text is a body as one bounded line of valid UTF-8.
func text(body []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "?")), " ")
	if len(s) > maxErrorText {
		cut := maxErrorText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
