package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/collector/logs"
)

func TestPatternSourcesSelectsCohortExamples(t *testing.T) {
	d := logs.NewDrain(logs.DefaultConfig().Drain, 5)
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	id := d.Add("checkout", "v1", at, "db pool exhausted after 120ms", "b1")
	d.Add("checkout", "v2", at.Add(time.Second), "db pool exhausted after 950ms", "c1")
	d.Add("checkout", "v3", at.Add(2*time.Second), "db pool exhausted after 310ms", "d1")
	d.Add("cart", "v2", at.Add(3*time.Second), "db pool exhausted after 40ms", "x1")
	p := patternSources{drain: d}
	tests := []struct {
		name, id, selector string
		found              bool
		traces             string
		note               string
	}{
		{"the canary's version", id, `service_name="checkout",service_version="v2",severity=~"error|warn"`, true, "c1", ""},
		{"versions by regex", id, `service_name="checkout",service_version=~"v1|v3"`, true, "b1 d1", ""},
		{"every service of a version", id, `service_version="v2"`, true, "c1 x1", ""},
		{"a matcher the miner cannot apply", id, `service_name="checkout",service_version="v2",pod="checkout-7"`, true, "c1", "the matchers on pod do not narrow them"},
		{"no version matcher: no examples", id, `service_name="checkout",deployment="canary"`, true, "", "has no service_version matcher"},
		{"a version without the pattern", id, `service_name="checkout",service_version="v9"`, true, "", "no example lines of this pattern"},
		{"unknown pattern", "000000000000", `service_version="v2"`, false, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, found, err := p.Pattern(context.Background(), tc.id, tc.selector)
			if err != nil || found != tc.found {
				t.Fatalf("found %v, err %v", found, err)
			}
			var traces []string
			for _, e := range info.Examples {
				traces = append(traces, e.TraceID)
			}
			if got := strings.Join(traces, " "); got != tc.traces {
				t.Errorf("examples %q, want %q", got, tc.traces)
			}
			if found && info.Template != "db pool exhausted after <*>" {
				t.Errorf("template %q", info.Template)
			}
			if !strings.Contains(info.Note, tc.note) || (tc.note == "" && info.Note != "") {
				t.Errorf("note %q, want %q", info.Note, tc.note)
			}
		})
	}
	if _, _, err := p.Pattern(context.Background(), id, `service_version=v2`); err == nil {
		t.Error("a malformed selector was accepted")
	}
}
