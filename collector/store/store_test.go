package store

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
)

func openTest(t *testing.T, dir string) *Store {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Dir = dir
	s, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestReopenReplaysWAL: what was committed survives a close and reopen.
func TestReopenReplaysWAL(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	start := time.Now().Add(-30 * time.Minute).Truncate(time.Minute)
	app := s.Appender(context.Background())
	ls := labels.FromStrings("__name__", "requests_total", "version", "v1")
	for i := 0; i <= 30; i++ {
		if _, err := app.Append(0, ls, start.Add(time.Duration(i)*time.Minute).UnixMilli(), float64(i*60)); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTest(t, dir)
	defer s.Close()
	m, _, err := s.Range(context.Background(), `rate(requests_total{version="v1"}[5m])`, start.Add(10*time.Minute), start.Add(20*time.Minute), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || len(m[0].Floats) != 11 {
		t.Fatalf("got %v", m)
	}
	for _, p := range m[0].Floats {
		if p.F != 1 { // 60 per minute = 1 per second
			t.Errorf("rate at %d = %v, want 1", p.T, p.F)
		}
	}
	v, _, err := s.Instant(context.Background(), `requests_total`, start.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if vec, ok := v.(promql.Vector); !ok || len(vec) != 1 || vec[0].F != 1800 {
		t.Errorf("instant: %v", v)
	}
}

func TestOutOfOrderWindowAcceptsBackfill(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	now := time.Now()
	ls := labels.FromStrings("__name__", "g")
	for _, ts := range []time.Time{now, now.Add(-90 * time.Minute)} { // newest first, then 1.5 h older
		app := s.Appender(context.Background())
		if _, err := app.Append(0, ls, ts.UnixMilli(), 1); err != nil {
			t.Fatalf("append at %s: %v", ts, err)
		}
		if err := app.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	app := s.Appender(context.Background())
	if _, err := app.Append(0, ls, now.Add(-3*time.Hour).UnixMilli(), 1); err == nil {
		t.Error("a sample older than the out-of-order window was accepted")
	}
	_ = app.Rollback()
}

func TestQueryErrors(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	_, _, err := s.Instant(context.Background(), `sum(`, time.Now())
	if err == nil || !strings.Contains(err.Error(), "parse error") {
		t.Errorf("parse error: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"defaults valid", func(*Config) {}, ""},
		{"empty dir", func(c *Config) { c.Dir = "" }, "store.dir"},
		{"zero retention", func(c *Config) { c.Retention = 0 }, "store.retention"},
		{"negative ooo", func(c *Config) { c.OutOfOrderWindow = -1 }, "store.out_of_order_window"},
		{"zero timeout", func(c *Config) { c.QueryTimeout = 0 }, "store.query_timeout"},
		{"zero samples", func(c *Config) { c.QueryMaxSamples = 0 }, "store.query_max_samples"},
		{"zero lookback", func(c *Config) { c.LookbackDelta = 0 }, "store.lookback_delta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			err := c.Validate()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate() = %v, want mention of %q", err, tt.want)
			}
		})
	}
}

// TestSizeRetentionExemplarsAndActiveSeries: the new store options validate
// and take effect.
func TestSizeRetentionExemplarsAndActiveSeries(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Dir = t.TempDir()
	cfg.RetentionSize, cfg.MaxExemplars = -1, -1
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "store.retention_size") || !strings.Contains(err.Error(), "store.max_exemplars") {
		t.Fatalf("Validate = %v", err)
	}
	cfg.RetentionSize, cfg.MaxExemplars = 1<<30, 10
	s, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.db.Head().NumSeries() != 0 || s.ActiveSeries() != 0 {
		t.Fatal("fresh store has series")
	}
	app := s.Appender(context.Background())
	ts := time.Now().UnixMilli()
	for _, v := range []string{"a", "b", "c"} {
		if _, err := app.Append(0, labels.FromStrings("__name__", "m", "v", v), ts, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := s.ActiveSeries(); n != 3 {
		t.Errorf("ActiveSeries = %d, want 3", n)
	}
}
