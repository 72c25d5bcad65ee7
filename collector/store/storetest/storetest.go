// Package storetest opens a real embedded store for tests of the packages
// that read from or write to it. It must only be imported by tests.
package storetest

import (
	"context"
	"time"

	"github.com/prometheus/prometheus/promql"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/augurhq/augur/collector/store"
)

// Open opens a store with the default configuration in a temporary
// directory and closes it when the test ends.
func Open(tb testing.TB) *store.Store {
	tb.Helper()
	return open(tb, store.DefaultConfig())
}

// OpenBackfill opens a store as Open does, with its out-of-order window,
// and so the age of the samples it accepts, reaching back a day before
// since: for tests that replay fixtures at fixed past times, as an operator
// backfilling history raises store.out_of_order_window.
func OpenBackfill(tb testing.TB, since time.Time) *store.Store {
	tb.Helper()
	cfg := store.DefaultConfig()
	cfg.OutOfOrderWindow = max(cfg.OutOfOrderWindow, time.Since(since)+24*time.Hour)
	return open(tb, cfg)
}

func open(tb testing.TB, cfg store.Config) *store.Store {
	tb.Helper()
	cfg.Dir = tb.TempDir()
	st, err := store.Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return st
}

// Vector evaluates expr at ts and fails the test unless the result is an
// instant vector.
func Vector(tb testing.TB, st *store.Store, expr string, ts time.Time) promql.Vector {
	tb.Helper()
	v, _, err := st.Instant(context.Background(), expr, ts)
	if err != nil {
		tb.Fatalf("%s: %v", expr, err)
	}
	vec, ok := v.(promql.Vector)
	if !ok {
		tb.Fatalf("%s: got %T, want a vector", expr, v)
	}
	return vec
}
