package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source"
	"github.com/augurhq/augur/analysis/source/embedded"
	"github.com/augurhq/augur/analysis/state"
	"github.com/augurhq/augur/collector/logs"
	"github.com/augurhq/augur/collector/store"
)

// engine is the experiment side of a server: durable state, sources and
// the manager that judges runs.
type engine struct {
	state   *state.Store
	sources *source.Registry
	manager *analysis.Manager
}

// openEngine opens the state store the configuration names, the source
// registry over the embedded store, and a manager (not started). drain,
// when not nil, is the log pattern miner that logpatterns results take
// their pattern text and examples from.
func openEngine(ctx context.Context, cfg Config, logger *slog.Logger, st *store.Store, drain *logs.Drain) (*engine, error) {
	a := cfg.Analysis
	var (
		db  *state.Store
		err error
	)
	slog := logger.With("component", "state")
	switch a.State.Driver {
	case "postgres":
		db, err = state.OpenPostgres(ctx, a.State.DSN, slog)
	default:
		path := a.State.Path
		if path == "" {
			path = filepath.Join(cfg.Store.Dir, "augur.db")
		}
		db, err = state.OpenSQLite(ctx, path, slog)
	}
	if err != nil {
		return nil, fmt.Errorf("analysis state (%s): %w", a.State.Driver, err)
	}
	// Experiment queries get their own PromQL engine, bounded per query
	// well below the Prometheus-compatible API's store.query_max_samples.
	emb := embedded.New(st.Limited(analysis.MaxQueryPoints, logger.With("component", "promql")))
	reg, err := source.NewRegistry(emb, a.Sources, a.AllowSpecSources, logger.With("component", "sources"), source.WithLimits(a.OpenSources))
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	var sources analysis.Sources = reg
	if drain != nil {
		sources = patternSources{Registry: reg, drain: drain}
	}
	mgr, err := analysis.NewManager(a.managerConfig(), db, sources, logger.With("component", "analysis"))
	if err != nil {
		_ = reg.Close()
		_ = db.Close()
		return nil, err
	}
	return &engine{state: db, sources: reg, manager: mgr}, nil
}

// close stops the manager (waiting for intervals in progress), then closes
// sources and state.
func (e *engine) close() error {
	e.manager.Close()
	return errors.Join(e.sources.Close(), e.state.Close())
}
