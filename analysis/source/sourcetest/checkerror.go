package sourcetest

import (
	"errors"
	"strings"
	"testing"

	"github.com/augurhq/augur/analysis"
)

// CheckError fails the test unless err is an error that wraps
// analysis.ErrPermanent exactly when permanent is true, and whose text
// contains every one of says.
func CheckError(t testing.TB, err error, permanent bool, says ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error; want one")
	}
	if p := errors.Is(err, analysis.ErrPermanent); p != permanent {
		t.Errorf("permanent = %v, want %v: %v", p, permanent, err)
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not say %q: %v", s, err)
		}
	}
}
