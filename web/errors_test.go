package web

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/augurhq/augur/analysis"
)

var errorID = regexp.MustCompile(`^internal error ([0-9a-f]{12}): `)

// checkInternal checks a 500 answer: a generic message with an error ID,
// nothing of the internal error (internal) in the body, and the error
// logged in full under that ID. It returns the ID.
func checkInternal(t *testing.T, a answer, internal string) string {
	t.Helper()
	msg, _ := a.json["error"].(string)
	m := errorID.FindStringSubmatch(msg)
	if a.Code != http.StatusInternalServerError || m == nil {
		t.Fatalf("answer %d %s, want 500 with an error ID", a.Code, a.Body)
	}
	if strings.Contains(a.Body.String(), internal) {
		t.Errorf("the answer leaks the internal error: %s", a.Body)
	}
	logged := false
	for _, line := range strings.Split(a.log, "\n") {
		if strings.Contains(line, "error_id="+m[1]) && strings.Contains(line, internal) {
			logged = true
		}
	}
	if !logged {
		t.Errorf("the log has no line with error_id=%s and the error %q:\n%s", m[1], internal, a.log)
	}
	return m[1]
}

// TestInternalErrorsAreNotSent: an error the API cannot classify (SQL, a
// file path, a driver's text) is logged with an ID; the client gets the ID
// and a generic message.
func TestInternalErrorsAreNotSent(t *testing.T) {
	internal := `state: get run r1: SELECT id FROM runs WHERE id = $1: open /var/lib/augur/augur.db: permission denied`
	f := &fake{
		run: func(context.Context, string) (analysis.Run, error) { return analysis.Run{}, fmt.Errorf("%s", internal) },
		intervals: func(context.Context, string, int, int) ([]analysis.IntervalResult, error) {
			return nil, fmt.Errorf("%s", internal)
		},
	}
	ids := map[string]bool{}
	for _, target := range []string{"/api/v1/runs/r1", "/api/v1/runs/r1", "/api/v1/runs/r1/intervals"} {
		a := serve(t, f, request{method: http.MethodGet, target: target})
		id := checkInternal(t, a, internal)
		for _, leak := range []string{"SELECT", "/var/lib", "permission denied", "state:"} {
			if strings.Contains(a.Body.String(), leak) {
				t.Errorf("%s: answer contains %q: %s", target, leak, a.Body)
			}
		}
		if ids[id] {
			t.Errorf("error ID %s given twice", id)
		}
		ids[id] = true
	}
}
