package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/augurhq/augur/analysis"
)

// Store is an analysis.Store on SQLite or PostgreSQL. It is safe for
// concurrent use; several Stores (processes) may share one database.
type Store struct {
	d *dialect
	// write runs every transaction that writes (SQLite: one connection);
	// read serves plain reads (PostgreSQL: the same pool as write).
	write, read *sql.DB
	logger      *slog.Logger
	// now is the replica's clock, used to check leases at commit time and
	// to stamp rows. Tests may replace it.
	now func() time.Time
}

var _ analysis.Store = (*Store)(nil)

// newStore migrates the database and returns a Store owning write and read
// (closed here on error).
func newStore(ctx context.Context, d *dialect, write, read *sql.DB, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{d: d, write: write, read: read, logger: logger, now: time.Now}
	if err := s.migrate(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: connect: %w", err)
	}
	defer conn.Close()
	unlock, err := s.d.lockMigrations(ctx, conn)
	if err != nil {
		return err
	}
	defer unlock()
	return migrate(ctx, conn, s.d, s.clock(), s.logger)
}

// Close closes the database connections.
func (s *Store) Close() error {
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// clock returns the current time in UTC at the stored precision.
func (s *Store) clock() time.Time { return storedTime(s.now()) }

// storedTime is t as the store keeps it: UTC, microseconds.
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// inTx runs fn in a write transaction and commits it if fn returns nil.
// Driver errors from constraints are mapped to ErrConflict or ErrNotFound.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("state: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("state: commit: %w", err)
	}
	return nil
}

// dbErr wraps a driver error from what, turning constraint violations into
// the store's errors.
func (s *Store) dbErr(what string, err error) error {
	if sentinel := s.d.constraintErr(err); sentinel != nil {
		return fmt.Errorf("state: %s: %w: %w", what, sentinel, err)
	}
	return fmt.Errorf("state: %s: %w", what, err)
}

// t encodes a time parameter; the zero time is NULL.
func (s *Store) t(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.d.timeArg(storedTime(t))
}
