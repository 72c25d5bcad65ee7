// Package storetest opens a real embedded store for tests of the packages
// that read from or write to it. It must only be imported by tests.
package storetest

import (
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
	cfg := store.DefaultConfig()
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
