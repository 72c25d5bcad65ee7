package web

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/augurhq/augur/analysis"
)

func TestImportKayenta(t *testing.T) {
	cfg, err := os.ReadFile("../analysis/kayenta/testdata/checkout-promql.json")
	if err != nil {
		t.Fatal(err)
	}
	scope := func(name string) string {
		return `{"scope":"` + name + `","location":"eu-west-1","start":"2026-01-01T12:00:00Z","end":"2026-01-01T13:00:00Z","step":30,"extendedScopeParams":{"quantile":"0.99"}}`
	}
	// As Argo Rollouts' kayenta provider sends them.
	body := `{"canaryConfig":` + string(cfg) + `,"scopes":{"default":{"controlScope":` + scope("checkout-7d9f") + `,"experimentScope":` + scope("checkout-5c4b") +
		`}},"analysisIntervalMins":15,"thresholds":{"pass":90,"marginal":70}}`
	var created analysis.Spec
	var started bool
	f := &fake{create: func(_ context.Context, s analysis.Spec, start bool) (analysis.Experiment, error) {
		created, started = s, start
		return analysis.Experiment{ExperimentRecord: analysis.ExperimentRecord{ID: "e1", Spec: s, Version: 1}, Status: "running"}, nil
	}}
	tests := []struct {
		name, target, body string
		code               int
		want               []string
	}{
		{"convert only", "/api/v1/import/kayenta", body, http.StatusOK, []string{`"apiVersion":"augur/v1"`, `"interval":"15m"`, `"pass":90`, `"warnings":[`}},
		{"create and start", "/api/v1/import/kayenta?create=true", body, http.StatusCreated, []string{`"experiment":{`, `"id":"e1"`}},
		{"create without starting", "/api/v1/import/kayenta?create=true&start=false", body, http.StatusCreated, nil},
		{"malformed body", "/api/v1/import/kayenta", `{"canaryConfig":`, http.StatusBadRequest, []string{"import request"}},
		{"unknown field", "/api/v1/import/kayenta", `{"canaryConfig":{},"colour":1}`, http.StatusBadRequest, []string{"colour"}},
		{"bad flag", "/api/v1/import/kayenta?create=maybe", body, http.StatusBadRequest, []string{"create"}},
		{"no config", "/api/v1/import/kayenta", `{"baseline":"v=\"1\""}`, http.StatusUnprocessableEntity, []string{"canaryConfig is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created, started = analysis.Spec{}, false
			a := serve(t, f, request{method: http.MethodPost, target: tt.target, body: tt.body})
			if a.Code != tt.code {
				t.Fatalf("status %d, want %d: %s", a.Code, tt.code, a.Body)
			}
			for _, w := range tt.want {
				if !strings.Contains(a.Body.String(), w) {
					t.Errorf("body lacks %s: %s", w, a.Body)
				}
			}
			if tt.code == http.StatusCreated {
				if err := created.Validate(); err != nil || created.IntervalCount() != 4 {
					t.Errorf("created spec: %v, %d intervals", err, created.IntervalCount())
				}
				if want := !strings.Contains(tt.target, "start=false"); started != want {
					t.Errorf("started %v, want %v", started, want)
				}
			}
		})
	}
}
