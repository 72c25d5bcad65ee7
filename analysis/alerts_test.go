package analysis_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/state"
	"github.com/augurhq/augur/judges"
)

// alertSpec is a one-metric spec whose first interval is already due,
// with the abort_on_alert line given (none when empty).
func alertSpec(t *testing.T, name, abortOnAlert string) analysis.Spec {
	t.Helper()
	extra := ""
	if abortOnAlert != "" {
		extra = "abort_on_alert: " + abortOnAlert + "\n"
	}
	spec, err := analysis.ParseSpec(strings.NewReader(fmt.Sprintf(`apiVersion: augur/v1
name: %s
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {start: "-2m", interval: 1m, lifetime: 10m}
metrics:
  - {name: latency, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
%s`, name, extra)))
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// alertFixture is a manager that judges nothing (not started) over a real
// SQLite store, which is returned too.
func alertFixture(t *testing.T) (*analysis.Manager, *state.Store) {
	t.Helper()
	db, err := state.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := analysis.NewManager(analysis.DefaultManagerConfig(), db, steadySources{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, db
}

// TestAbortOnAlertValidation: a spec's matcher sets are checked at
// creation, each refusal naming the set.
func TestAbortOnAlertValidation(t *testing.T) {
	many := make([]string, analysis.MaxAbortOnAlert+1)
	for i := range many {
		many[i] = `a="b"`
	}
	tests := []struct {
		name string
		sets []string
		want string // field error; empty: valid
	}{
		{"sets with and without braces", []string{`service="checkout"`, `{severity=~"critical|page", team="pay"}`}, ""},
		{"bad syntax names the set", []string{`service="checkout"`, `severity=~critical`}, "abort_on_alert[1]: must be label matchers"},
		{"bad regex", []string{`service=~"(["`}, "abort_on_alert[0]: must be label matchers"},
		{"matches every alert", []string{`service=~".*"`}, "abort_on_alert[0]: must be label matchers"},
		{"empty set", []string{``}, "abort_on_alert[0]: must be label matchers"},
		{"too many sets", many, fmt.Sprintf("abort_on_alert: at most %d matcher sets, got %d", analysis.MaxAbortOnAlert, analysis.MaxAbortOnAlert+1)},
	}
	m, _ := alertFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := alertSpec(t, "v", "")
			spec.AbortOnAlert = tt.sets
			_, err := m.Create(t.Context(), spec, false)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var invalid *analysis.ValidationError
			if !errors.As(err, &invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a validation error with %q", err, tt.want)
			}
		})
	}
}

// TestAbortOnAlerts: a firing alert ends, as fail with score 0 and the
// alert named, the active run of each experiment one of whose matcher sets
// it matches, and is recorded as an event; experiments it does not match,
// without abort_on_alert, or whose run already ended are left alone, and
// a second report of the same alert aborts nothing.
func TestAbortOnAlerts(t *testing.T) {
	m, _ := alertFixture(t)
	ctx := t.Context()
	create := func(name, sets string) analysis.Experiment {
		t.Helper()
		e, err := m.Create(ctx, alertSpec(t, name, sets), true)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	checkout := create("checkout", `['service="checkout"', '{severity="page", team="pay"}']`)
	search := create("search", `['service="search"']`)
	plain := create("plain", "")
	ended := create("ended", `['service="checkout"']`)
	if _, err := m.Abort(ctx, ended.ID); err != nil {
		t.Fatal(err)
	}
	started := time.Date(2026, 12, 3, 20, 4, 5, 0, time.UTC)
	// augur's own verdict alert on search's service, routed back, comes
	// first and would match search: it is left out.
	own, err := m.AbortOnAlerts(ctx, "alertmanager", []analysis.FiringAlert{
		{Labels: map[string]string{"alertname": "AugurCanaryFailed", "service": "search"}, StartsAt: started.Add(-time.Minute)}})
	if err != nil || len(own) != 0 {
		t.Fatalf("augur's own alert aborted %+v (%v)", own, err)
	}
	alerts := []analysis.FiringAlert{
		{Labels: map[string]string{"alertname": "Other", "service": "payments"}, StartsAt: started},
		{Labels: map[string]string{"alertname": "HighErrorRate", "service": "checkout"}, StartsAt: started, Fingerprint: "abc"},
	}
	got, err := m.AbortOnAlerts(ctx, "alertmanager", alerts)
	if err != nil {
		t.Fatal(err)
	}
	wantReason := `alert HighErrorRate{service="checkout"} fired at 2026-12-03T20:04:05Z: run ended as fail`
	if len(got) != 1 || got[0].ExperimentID != checkout.ID || got[0].RunID != checkout.Run || got[0].Reason != wantReason || got[0].Matcher != `service="checkout"` {
		t.Fatalf("aborted %+v, want only %s with reason %q", got, checkout.ID, wantReason)
	}
	x, err := m.Get(ctx, checkout.ID)
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != string(analysis.RunAborted) || x.Verdict == nil || x.Verdict.Verdict != judges.OutcomeFail ||
		x.Verdict.Score == nil || *x.Verdict.Score != 0 || x.Verdict.Reason != wantReason || x.Verdict.Stopped != analysis.StoppedByAlert {
		t.Errorf("checkout after the alert: status %s verdict %+v", x.Status, x.Verdict)
	}
	evs, err := m.Events(ctx, checkout.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Source != "alertmanager" || evs[0].Type != "abort_on_alert" || evs[0].Message != wantReason ||
		!strings.Contains(string(evs[0].Data), `"fingerprint":"abc"`) {
		t.Errorf("events %+v", evs)
	}
	for _, e := range []analysis.Experiment{search, plain} {
		if x, _ := m.Get(ctx, e.ID); x.Status != string(analysis.RunRunning) {
			t.Errorf("%s: status %s, want running", e.Spec.Name, x.Status)
		}
	}
	if x, _ := m.Get(ctx, ended.ID); x.Verdict == nil || x.Verdict.Verdict != judges.OutcomeInconclusive {
		t.Errorf("ended run's verdict changed: %+v", x.Verdict)
	}
	if evs, _ := m.Events(ctx, ended.ID); len(evs) != 0 {
		t.Errorf("ended run got events %+v", evs)
	}
	again, err := m.AbortOnAlerts(ctx, "alertmanager", alerts)
	if err != nil || len(again) != 0 {
		t.Errorf("second report aborted %+v (err %v), want nothing", again, err)
	}
}

// TestAbortOnAlertWinsOverIntervalCommit: a replica judging the run when
// the alert ends it cannot overwrite the fail verdict with its interval.
func TestAbortOnAlertWinsOverIntervalCommit(t *testing.T) {
	m, db := alertFixture(t)
	ctx := t.Context()
	e, err := m.Create(ctx, alertSpec(t, "checkout", `['service="checkout"']`), true)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := db.ClaimDue(ctx, "judge", time.Now(), time.Minute, 10)
	if err != nil || len(runs) != 1 {
		t.Fatalf("claimed %d runs (err %v), want 1", len(runs), err)
	}
	alert := analysis.FiringAlert{Labels: map[string]string{"alertname": "HighErrorRate", "service": "checkout"}, StartsAt: time.Now()}
	if got, err := m.AbortOnAlerts(ctx, "alertmanager", []analysis.FiringAlert{alert}); err != nil || len(got) != 1 {
		t.Fatalf("aborted %+v (err %v)", got, err)
	}
	r := runs[0]
	score := 100.0
	r.NextIndex, r.Status = 1, analysis.RunCompleted
	r.Verdict = &analysis.Verdict{ExperimentID: e.ID, RunID: r.ID, Verdict: judges.OutcomePass, Score: &score}
	err = db.CommitInterval(ctx, "judge", r, analysis.IntervalResult{Index: 0, Verdict: *r.Verdict})
	if !errors.Is(err, analysis.ErrConflict) {
		t.Errorf("interval commit after the abort: %v, want a conflict", err)
	}
	if x, _ := m.Get(ctx, e.ID); x.Verdict == nil || x.Verdict.Verdict != judges.OutcomeFail {
		t.Errorf("verdict after the racing commit: %+v", x.Verdict)
	}
}

// TestAbortOnAlertNamesEarliestAlert: of several matching alerts the one
// that started first is named, and a paused run is ended too.
func TestAbortOnAlertNamesEarliestAlert(t *testing.T) {
	m, _ := alertFixture(t)
	ctx := t.Context()
	e, err := m.Create(ctx, alertSpec(t, "checkout", `['service="checkout"']`), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Pause(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)
	alerts := []analysis.FiringAlert{
		{Labels: map[string]string{"alertname": "Later", "service": "checkout"}, StartsAt: t0.Add(time.Minute)},
		{Labels: map[string]string{"alertname": "Earlier", "service": "checkout"}, StartsAt: t0},
	}
	got, err := m.AbortOnAlerts(ctx, "alertmanager", alerts)
	if err != nil {
		t.Fatal(err)
	}
	want := `alert Earlier{service="checkout"} fired at 2026-12-03T20:00:00Z: run ended as fail`
	if len(got) != 1 || got[0].Reason != want {
		t.Fatalf("aborted %+v, want one with reason %q", got, want)
	}
	if x, _ := m.Get(ctx, e.ID); x.Verdict == nil || x.Verdict.Verdict != judges.OutcomeFail {
		t.Errorf("paused run's verdict %+v, want fail", x.Verdict)
	}
}
