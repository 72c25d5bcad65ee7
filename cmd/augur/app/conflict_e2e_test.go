package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state/pgtest"
)

// TestSecondStartNamesTheActiveRun: starts racing on one experiment, on
// SQLite and on PostgreSQL: one starts a run, every other answers 409
// naming the experiment and its active run, never the database's
// constraint text.
func TestSecondStartNamesTheActiveRun(t *testing.T) {
	backends := []struct {
		name   string
		config func(t *testing.T, c *Config)
	}{
		{"sqlite", func(*testing.T, *Config) {}},
		{"postgres", func(t *testing.T, c *Config) {
			if testing.Short() {
				t.Skip("starts PostgreSQL")
			}
			c.Analysis.State = StateConfig{Driver: "postgres", DSN: pgtest.Start(t).NewDatabase(t)}
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cfg := deliveryConfig(t)
			b.config(t, &cfg)
			srv, _ := runServer(t, cfg)
			spec := `apiVersion: augur/v1
name: twice
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {interval: 1m, lifetime: 10m}
metrics:
  - {name: latency, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
`
			var x analysis.Experiment
			getJSON(t, http.MethodPost, srv.URL()+"/api/v1/experiments?start=false", spec, http.StatusCreated, &x)

			const starts = 8
			type answer struct {
				code int
				body string
			}
			answers := make([]answer, starts)
			var wg sync.WaitGroup
			for i := range starts {
				wg.Go(func() {
					resp, err := http.Post(srv.URL()+"/api/v1/experiments/"+x.ID+"/start", "", nil)
					if err != nil {
						t.Error(err)
						return
					}
					defer resp.Body.Close()
					b, _ := io.ReadAll(resp.Body)
					answers[i] = answer{resp.StatusCode, string(b)}
				})
			}
			wg.Wait()
			// And once more, after they all ended.
			resp, err := http.Post(srv.URL()+"/api/v1/experiments/"+x.ID+"/start", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			answers = append(answers, answer{resp.StatusCode, string(b)})

			var run analysis.Run
			started := 0
			for _, a := range answers {
				if a.code == http.StatusOK {
					started++
					if err := json.Unmarshal([]byte(a.body), &run); err != nil {
						t.Fatal(err)
					}
				}
			}
			if started != 1 {
				t.Fatalf("%d starts succeeded, want 1: %+v", started, answers)
			}
			want := fmt.Sprintf("experiment %s already has an active run %s; abort it or wait for it to end", x.ID, run.ID)
			for _, a := range answers {
				if a.code == http.StatusOK {
					continue
				}
				var e struct{ Error string }
				_ = json.Unmarshal([]byte(a.body), &e)
				if a.code != http.StatusConflict || !strings.HasSuffix(e.Error, want) {
					t.Errorf("answer %d %s, want 409 %q", a.code, a.body, want)
				}
				for _, leak := range []string{"constraint", "UNIQUE", "unique", "duplicate key", "SQLSTATE", "runs_one_active", "state:"} {
					if strings.Contains(a.body, leak) {
						t.Errorf("answer %s contains the database's %q", a.body, leak)
					}
				}
			}
		})
	}
}
