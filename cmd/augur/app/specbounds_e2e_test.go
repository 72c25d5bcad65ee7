package app

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestCreateRefusesUnboundedSpecs: through augur serve, specs that would
// exhaust memory, create millions of intervals, overflow time arithmetic,
// hold a worker for hours or could not be stored are answered 422 naming
// each field, and nothing is stored.
func TestCreateRefusesUnboundedSpecs(t *testing.T) {
	srv := startServer(t, nil)
	const base = `apiVersion: augur/v1
name: bounds
cohorts: {baseline: 'v="1"', canary: 'v="2"'}
timing: {lifetime: 30m, interval: 10m}
metrics:
  - {name: m, query: 'x{${cohort}}', judge: {type: mannwhitney}}
`
	hooks := "webhooks:\n" + strings.Repeat("  - http://127.0.0.1:9/hook\n", 15000)
	tests := []struct {
		name string
		body string
		want []string // "field: " and a part of its message
	}{
		{"infinite weight", strings.Replace(base, "judge: {type: mannwhitney}", "weight: .inf, judge: {type: mannwhitney}", 1),
			[]string{"metrics[0].weight: must be a finite number, got +Inf"}},
		{"NaN threshold bound", strings.Replace(base, "judge: {type: mannwhitney}", "judge: {type: threshold, upper: .nan}", 1),
			[]string{"metrics[0].judge.upper: must be a finite number, got NaN"}},
		{"infinite effect size of the proportion judge",
			strings.Replace(base, "judge: {type: mannwhitney}", "total_query: 'y{${cohort}}', judge: {type: proportion, allowed_increase: .inf}", 1),
			[]string{"metrics[0].judge.allowed_increase: must be a finite number, got +Inf"}},
		{"a day at 1ms", strings.Replace(base, "{lifetime: 30m, interval: 10m}", "{lifetime: 24h}\nstep: 1ms", 1),
			[]string{"step: 1ms gives 86,400,001 points per series over the 1d window (timing.lifetime); at most 11,000: use a step of at least 7s855ms"}},
		{"ten years of one-second intervals", strings.Replace(base, "{lifetime: 30m, interval: 10m}", "{lifetime: 87600h, interval: 1s, start: -87600h}", 1),
			[]string{"timing.lifetime: must be at most 1y", "timing.interval: timing.lifetime 10y / timing.interval 1s gives 315,360,000 intervals; at most 10,000 per run",
				"timing.start: a relative start reaches at most 1y back"}},
		{"count over the bound", base + "limits: {count: 100000}\n",
			[]string{"limits.count: must be within 0..10,000 intervals per run, got 100,000"}},
		{"start in year 9999", strings.Replace(base, "interval: 10m}", "interval: 10m, start: '9999-01-01T00:00:00Z'}", 1),
			[]string{"timing.start: 9999-01-01T00:00:00Z is outside 2000-01-01..2100-01-01"}},
		{"start in year 1", strings.Replace(base, "interval: 10m}", "interval: 10m, start: '0001-01-01T00:00:00Z'}", 1),
			[]string{"timing.start: 0001-01-01T00:00:00Z is outside 2000-01-01..2100-01-01"}},
		{"fifteen thousand webhooks", base + hooks, []string{"webhooks: at most 10 webhook URLs, got 15,000"}},
		{"a control character JSON would store raw", strings.Replace(base, "name: bounds", `name: "bounds\x7f"`, 1),
			[]string{"name: must not contain the control character U+007F"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(srv.URL()+"/api/v1/experiments", "application/yaml", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e struct {
				Error  string                            `json:"error"`
				Fields []struct{ Field, Message string } `json:"fields"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %.300s", resp.StatusCode, e.Error)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field+": "+f.Message)
			}
			if len(got) != len(tt.want) {
				t.Errorf("fields %q, want %d", got, len(tt.want))
			}
			for _, w := range tt.want {
				field, msg, _ := strings.Cut(w, ": ")
				if !slices.ContainsFunc(got, func(f string) bool { return strings.HasPrefix(f, field+": ") && strings.Contains(f, msg) }) {
					t.Errorf("fields %q, want %q", got, w)
				}
			}
			if xs, err := srv.Manager().List(context.Background()); err != nil || len(xs) != 0 {
				t.Errorf("a refused spec left %d experiments (%v)", len(xs), err)
			}
		})
	}
}
