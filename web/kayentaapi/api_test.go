package kayentaapi

import (
	"errors"
	"testing"
)

func TestUnprocessableField(t *testing.T) {
	for _, tc := range []struct{ err, field string }{
		{`kayenta import: metrics[1] "p99 latency": ${quantile} has no value`, "metrics[1]"},
		{`kayenta import: scopes: experimentScope.end 2026-05-01T11:00:00Z is not after its start`, "scopes"},
		{`kayenta import: the converted spec is invalid: timing.interval: give timing.lifetime`, "timing.interval"},
		{`kayenta import: give both baseline and canary selectors, or neither`, ""},
	} {
		t.Run(tc.field, func(t *testing.T) {
			e := unprocessable("the config", errors.New(tc.err))
			if e.code != 422 || len(e.fields) != 1 || e.fields[0].Field != tc.field {
				t.Fatalf("%d %+v, want 422 with field %q", e.code, e.fields, tc.field)
			}
		})
	}
}
