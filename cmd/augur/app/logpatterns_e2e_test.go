package app

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// pushLokiCohort pushes one cohort's log lines through the Loki push API
// (JSON, trace IDs and levels as structured metadata): per minute from
// start to end, Poisson counts of three lines both cohorts log and, when
// signature is set, of a new error. It returns the new error's lines by
// trace ID.
func pushLokiCohort(t *testing.T, srv *Server, r *rand.Rand, version string, start, end time.Time, signature bool) map[string]string {
	t.Helper()
	sent := map[string]string{}
	var values []any
	n := 0
	add := func(at time.Time, level, line string) {
		n++
		tid := fmt.Sprintf("%016x%016x", r.Uint64(), uint64(n))
		values = append(values, []any{fmt.Sprint(at.UnixNano()), line, map[string]string{"level": level, "trace_id": tid}})
		if strings.HasPrefix(line, "checkout aborted") {
			sent[tid] = line
		}
	}
	for m := start; m.Before(end); m = m.Add(time.Minute) {
		at := func() time.Time { return m.Add(time.Duration(r.Int64N(int64(time.Minute)))) }
		for range poisson(r, 20) {
			add(at(), "info", fmt.Sprintf("GET /cart 200 in %dms", 5+r.IntN(50)))
		}
		for range poisson(r, 3) {
			add(at(), "warn", fmt.Sprintf("cache miss for key=%d", r.IntN(1e6)))
		}
		for range poisson(r, 1) {
			add(at(), "error", fmt.Sprintf("db pool exhausted after %dms", 100+r.IntN(900)))
		}
		if signature {
			for range poisson(r, 2) {
				add(at(), "error", fmt.Sprintf("checkout aborted: card processor returned 502 for merchant=%d", r.IntN(500)))
			}
		}
	}
	body, err := json.Marshal(map[string]any{"streams": []any{map[string]any{
		"stream": map[string]string{"app": "cart", "version": version}, "values": values}}})
	if err != nil {
		t.Fatal(err)
	}
	if code, msg := post(t, srv.URL()+"/loki/api/v1/push", "application/json", "", body); code != http.StatusNoContent {
		t.Fatalf("loki push: %d %s", code, msg)
	}
	return sent
}

func logPatternsE2ESpec(start, end time.Time) analysis.Spec {
	at := start.UTC()
	s := analysis.Spec{
		APIVersion: analysis.APIVersion, Kind: analysis.KindCanary, Name: "cart-logs",
		Cohorts: analysis.Cohorts{
			Baseline: &analysis.Cohort{Selector: `service_version="v1"`},
			Canary:   &analysis.Cohort{Selector: `service_version="v2"`},
		},
		Timing: analysis.Timing{Start: &analysis.StartTime{At: &at}, Lifetime: analysis.Duration(end.Sub(start))},
		Metrics: []analysis.MetricSpec{{Name: "log_patterns", Kind: analysis.KindLogPatterns,
			Query:      `sum by (pattern_id) (increase(augur_log_pattern_records_total{service_name="cart",severity=~"error|warn",${cohort}}[${window}]))`,
			TotalQuery: `sum(increase(augur_log_records_total{service_name="cart",${cohort}}[${window}]))`}},
	}
	s.SetDefaults()
	return s
}

// TestLogPatternsEndToEnd: logs of both cohorts pushed through the Loki
// receiver of augur serve, judged by a logpatterns experiment over the HTTP
// API. A canary that logs a new error fails, the verdict naming the
// pattern with example lines and trace IDs from the canary's own records;
// the same patterns at the same rates pass.
func TestLogPatternsEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name      string
		signature bool
		want      judges.Outcome
	}{
		{"a new error signature in the canary fails", true, judges.OutcomeFail},
		{"A/A passes", false, judges.OutcomePass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, nil)
			end := time.Now().Truncate(time.Minute)
			start := end.Add(-20 * time.Minute)
			r := rand.New(rand.NewPCG(10, 6))
			pushLokiCohort(t, srv, r, "v1", start, end, false)
			sent := pushLokiCohort(t, srv, r, "v2", start, end, tc.signature)
			e := createExperiment(t, srv, logPatternsE2ESpec(start, end))
			v, err := waitVerdict(context.Background(), srv.URL(), e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if v.Verdict != tc.want || len(v.Metrics) != 1 {
				t.Fatalf("verdict %s (%s), want %s", v.Verdict, v.Reason, tc.want)
			}
			m := v.Metrics[0]
			if !tc.signature {
				if m.Classification != judges.Pass || len(m.Patterns) != 0 || m.Canary.N < 300 || m.Baseline.N < 300 {
					t.Errorf("%s: %s, %d patterns, exposure %d and %d", m.Classification, m.Reason, len(m.Patterns), m.Canary.N, m.Baseline.N)
				}
				return
			}
			if m.Classification != judges.High || len(m.Patterns) != 1 {
				t.Fatalf("%s: %s; patterns %+v", m.Classification, m.Reason, m.Patterns)
			}
			p := m.Patterns[0]
			const template = "checkout aborted: card processor returned <*> for merchant=<*>"
			if !p.New || p.Template != template || p.CanaryCount != int64(len(sent)) || p.BaselineCount != 0 || p.AdjustedPValue == nil || *p.AdjustedPValue > 0.01 {
				t.Errorf("pattern %+v, want the new %q with %d events", p, template, len(sent))
			}
			if !strings.Contains(m.Reason, template) {
				t.Errorf("reason %q does not name the pattern", m.Reason)
			}
			if len(p.Examples) == 0 {
				t.Fatalf("no examples: %s", p.Note)
			}
			for _, ex := range p.Examples {
				if line, ok := sent[ex.TraceID]; !ok || line != ex.Line {
					t.Errorf("example %+v is not a line the canary sent with that trace ID", ex)
				}
			}
		})
	}
}

// TestLogPatternsQueryWithoutPatternsRefused: a logpatterns query that sums
// the patterns away is refused at creation, naming the field.
func TestLogPatternsQueryWithoutPatternsRefused(t *testing.T) {
	srv := startServer(t, nil)
	end := time.Now().Truncate(time.Minute)
	spec := logPatternsE2ESpec(end.Add(-time.Hour), end)
	spec.Metrics[0].Query = `sum(increase(augur_log_pattern_records_total{${cohort}}[${window}]))`
	_, err := postSpec(context.Background(), srv.URL(), spec)
	if err == nil || !strings.Contains(err.Error(), "HTTP 422") || !strings.Contains(err.Error(), `"field":"metrics[0].query"`) ||
		!strings.Contains(err.Error(), "must return one series per pattern_id") {
		t.Errorf("got %v, want 422 naming metrics[0].query", err)
	}
}
