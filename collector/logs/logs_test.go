package logs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/augurhq/augur/collector/store"
	"github.com/augurhq/augur/collector/store/storetest"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newLogs(t testing.TB, app storage.Appendable, cfg Config) *Logs {
	t.Helper()
	l, err := New(discardLogger(), app, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// query evaluates expr at ts and returns the values keyed by the given
// labels' values joined with "/".
func query(t *testing.T, st *store.Store, expr string, ts time.Time, by ...string) map[string]float64 {
	t.Helper()
	vec := storetest.Vector(t, st, expr, ts)
	out := map[string]float64{}
	for _, s := range vec {
		var k []string
		for _, b := range by {
			k = append(k, s.Metric.Get(b))
		}
		out[strings.Join(k, "/")] = s.F
	}
	return out
}

func sameValues(t *testing.T, got, want map[string]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || math.Abs(g-w) > 1e-9 {
			t.Errorf("%s = %v, want %v (all: %v)", k, g, w, got)
		}
	}
}

func rec(version string, at time.Duration, sev, body string) Record {
	return Record{
		Time:     base.Add(at),
		Labels:   map[string]string{LabelServiceName: "checkout", LabelServiceVersion: version},
		Severity: sev,
		Body:     body,
	}
}

// TestLogsPromQL stores records of a baseline and a canary in a real TSDB,
// in batches, and reads the counts back with PromQL.
func TestLogsPromQL(t *testing.T) {
	st := storetest.Open(t)
	l := newLogs(t, st, DefaultConfig())
	var batches [][]Record
	for b := range 6 { // six batches of 10 s
		var rs []Record
		for i := range 10 {
			at := time.Duration(b*10+i+1) * time.Second
			rs = append(rs, rec("v1", at, "", "user 42 logged in from 10.0.0.1 level=info"))
			rs = append(rs, rec("v2", at, "", "user 43 logged in from 10.0.0.2 level=info"))
			if i%5 == 0 {
				rs = append(rs, rec("v1", at, "WARN", "slow query on orders took 1.5s"))
			}
			if i%2 == 0 {
				// The canary's own error signature.
				rs = append(rs, rec("v2", at, "", `{"level":"error","msg":"currency conversion failed: rate for EUR missing"}`))
			}
		}
		batches = append(batches, rs)
	}
	for i, rs := range batches {
		res, err := l.Consume(context.Background(), rs)
		if err != nil || res.Rejected != 0 || res.Accepted != len(rs) {
			t.Fatalf("batch %d: Consume = %+v, %v", i, res, err)
		}
	}
	at := base.Add(60 * time.Second)
	t.Run("per version and severity", func(t *testing.T) {
		got := query(t, st, `sum by (service_version, severity) (augur_log_records_total)`, at, "service_version", "severity")
		sameValues(t, got, map[string]float64{"v1/info": 60, "v1/warn": 12, "v2/info": 60, "v2/error": 30})
	})
	errID := PatternID(strings.Join(Tokenize(`{"level":"error","msg":"currency conversion failed: rate for EUR missing"}`), " "))
	t.Run("per pattern", func(t *testing.T) {
		got := query(t, st, `sum by (service_version, pattern_id) (augur_log_pattern_records_total)`, at, "service_version", "pattern_id")
		loginID := PatternID("user <*> logged in from <*> level=info")
		slowID := PatternID("slow query on orders took <*>")
		sameValues(t, got, map[string]float64{
			"v1/" + loginID: 60, "v2/" + loginID: 60,
			"v1/" + slowID: 12,
			"v2/" + errID:  30,
		})
	})
	t.Run("a pattern only in the canary", func(t *testing.T) {
		got := query(t, st, `sum by (pattern_id) (augur_log_pattern_records_total{service_version="v2",severity="error"}) unless on (pattern_id) sum by (pattern_id) (augur_log_pattern_records_total{service_version="v1"})`, at, "pattern_id")
		sameValues(t, got, map[string]float64{errID: 30})
	})
	t.Run("increase is exact at the last record", func(t *testing.T) {
		// Every series starts with a zero sample, so increase() needs no
		// extrapolation at the first step.
		got := query(t, st, `sum by (service_version) (increase(augur_log_records_total{severity="info"}[5m]))`, at, "service_version")
		sameValues(t, got, map[string]float64{"v1": 60, "v2": 60})
	})
	t.Run("patterns with examples", func(t *testing.T) {
		ps := l.Patterns("checkout", "v2")
		if len(ps) != 2 || ps[0].Count != 60 || ps[1].ID != errID || ps[1].Count != 30 || len(ps[1].Examples) != 10 {
			t.Fatalf("patterns %+v", ps)
		}
		if !ps[1].LastSeen.Equal(base.Add(59 * time.Second)) {
			t.Errorf("last seen %s", ps[1].LastSeen)
		}
	})
	t.Run("rate over a range", func(t *testing.T) {
		m, _, err := st.Range(context.Background(), `sum(augur_log_records_total{service_version="v2",severity="error"})`, base.Add(10*time.Second), at, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) != 1 || len(m[0].Floats) != 6 || m[0].Floats[5].F != 30 {
			t.Fatalf("got %v", m)
		}
	})
}

func TestConsumeRejectsOneByOne(t *testing.T) {
	st := storetest.Open(t)
	cfg := DefaultConfig()
	cfg.MaxLineBytes = 64
	l := newLogs(t, st, cfg)
	rs := []Record{
		rec("v1", time.Second, "error", "short line one"),
		rec("v1", 2*time.Second, "error", strings.Repeat("x", 65)),
		{Labels: map[string]string{LabelServiceName: "checkout"}, Body: "no time"},
		rec("v1", 3*time.Second, "error", "short line two"),
	}
	res, err := l.Consume(context.Background(), rs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 2 || res.Rejected != 2 || !strings.Contains(res.Reason, "65 bytes is over the limit of 64") || !strings.Contains(res.Reason, "missing timestamp") {
		t.Fatalf("Consume = %+v", res)
	}
	got := query(t, st, `sum(augur_log_records_total)`, base.Add(3*time.Second))
	sameValues(t, got, map[string]float64{"": 2})
}

// failingAppendable fails the commit of its appenders while fail is set.
type failingAppendable struct {
	inner storage.Appendable
	fail  bool
}

func (f *failingAppendable) Appender(ctx context.Context) storage.Appender {
	return &failingAppender{Appender: f.inner.Appender(ctx), f: f}
}

type failingAppender struct {
	storage.Appender
	f *failingAppendable
}

func (a *failingAppender) Commit() error {
	if a.f.fail {
		_ = a.Appender.Rollback()
		return errors.New("disk full")
	}
	return a.Appender.Commit()
}

// TestConsumeCommitFailureUndoes checks that a failed commit leaves the
// counters as they were: the retried batch counts once, from zero.
func TestConsumeCommitFailureUndoes(t *testing.T) {
	st := storetest.Open(t)
	fa := &failingAppendable{inner: st}
	l := newLogs(t, fa, DefaultConfig())
	first := []Record{rec("v1", time.Second, "info", "a b c"), rec("v1", 2*time.Second, "info", "a b c")}
	if _, err := l.Consume(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	second := []Record{rec("v1", 11*time.Second, "info", "a b c"), rec("v1", 12*time.Second, "error", "boom")}
	fa.fail = true
	if _, err := l.Consume(context.Background(), second); err == nil {
		t.Fatal("want a commit error")
	}
	if ps := l.Patterns("checkout", "v1"); len(ps) != 1 || ps[0].Count != 2 {
		t.Errorf("patterns after failed commit: %+v", ps)
	}
	fa.fail = false
	if res, err := l.Consume(context.Background(), second); err != nil || res.Accepted != 2 {
		t.Fatalf("retry: %+v, %v", res, err)
	}
	got := query(t, st, `sum by (severity) (augur_log_records_total)`, base.Add(12*time.Second), "severity")
	sameValues(t, got, map[string]float64{"info": 3, "error": 1})
}

func TestConsumeSeverity(t *testing.T) {
	tests := []struct {
		sev, body, want string
	}{
		{"ERROR", "x", SeverityError},
		{"Warning", "x", SeverityWarn},
		{"", "level=debug msg=hi", SeverityDebug},
		{"", `{"lvl":"crit","msg":"down"}`, SeverityFatal},
		{"", "2026-01-01 12:00:00 [ERROR] db down", SeverityError},
		{"", "E0101 12:00:00.000 klog style", SeverityError},
		{"", "an error happened in prose", SeverityUnknown},
		{"", "WARN disk 91% full", SeverityWarn},
	}
	for _, tc := range tests {
		var app recordingAppendable
		l := newLogs(t, &app, DefaultConfig())
		if _, err := l.Consume(context.Background(), []Record{rec("v1", time.Second, tc.sev, tc.body)}); err != nil {
			t.Fatal(err)
		}
		if got := app.severity(); got != tc.want {
			t.Errorf("severity %q, body %q: got %q, want %q", tc.sev, tc.body, got, tc.want)
		}
	}
}

// recordingAppendable keeps the label sets appended.
type recordingAppendable struct{ ls []labels.Labels }

func (r *recordingAppendable) Appender(context.Context) storage.Appender {
	return &recordingAppender{r: r}
}
func (r *recordingAppendable) severity() string {
	if len(r.ls) == 0 {
		return ""
	}
	return r.ls[0].Get(LabelSeverity)
}

type recordingAppender struct {
	storage.Appender
	r *recordingAppendable
}

func (a *recordingAppender) Append(_ storage.SeriesRef, l labels.Labels, _ int64, _ float64) (storage.SeriesRef, error) {
	a.r.ls = append(a.r.ls, l)
	return 0, nil
}
func (a *recordingAppender) Commit() error { return nil }

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	cfg := DefaultConfig()
	cfg.MaxLineBytes = 0
	cfg.Drain.SimilarityThreshold = 1.5
	cfg.Drain.Depth = 2
	cfg.LokiLabels = append(cfg.LokiLabels, LabelMapping{Label: "severity", From: []string{"x"}}, LabelMapping{Label: "bad-name"})
	cfg.IdleTimeout = cfg.Resolution
	err := cfg.Validate()
	for _, want := range []string{"logs.idle_timeout: must be longer than the resolution", "logs.max_line_bytes", "logs.drain.similarity_threshold", "logs.drain.depth", `logs.loki_labels[3].label: "severity" is reserved`, `logs.loki_labels[4].label: "bad-name"`, "logs.loki_labels[4].from"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %s", err, want)
		}
	}
}

func plogTime(t time.Time) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t) }
