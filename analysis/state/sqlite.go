package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/augurhq/augur/analysis"
)

// sqliteBusyTimeout is how long a statement waits for another process's
// write lock before failing with SQLITE_BUSY.
const sqliteBusyTimeout = 10 * time.Second

// sqliteReaders bounds the read connections (WAL readers do not block the
// writer or each other).
const sqliteReaders = 4

// OpenSQLite opens (creating it and its parent directories if needed) the
// SQLite database at path and migrates it to the latest schema.
//
// The database runs in WAL mode with foreign keys on. Writes go through a
// pool of one connection whose transactions begin IMMEDIATE, so goroutines
// of this process queue in Go instead of failing with SQLITE_BUSY, and other
// processes on the same file wait up to a busy timeout for the write lock.
// Reads use a separate pool of read-only connections.
func OpenSQLite(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("state: sqlite path %q: want a file name without ? or #", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("state: sqlite: %w", err)
	}
	busy := fmt.Sprintf("_pragma=busy_timeout(%d)", sqliteBusyTimeout.Milliseconds())
	// journal_mode is persistent: the writer sets it before any reader opens.
	write, err := sql.Open("sqlite", path+"?"+busy+
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("state: sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	if err := pingSQLite(ctx, write); err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("state: sqlite %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", path+"?"+busy+"&_pragma=query_only(1)")
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("state: sqlite: %w", err)
	}
	read.SetMaxOpenConns(sqliteReaders)
	read.SetMaxIdleConns(sqliteReaders)
	s, err := newStore(ctx, sqliteDialect(), write, read, logger)
	if err != nil {
		return nil, fmt.Errorf("state: sqlite %s: %w", path, err)
	}
	return s, nil
}

// pingSQLite opens the first write connection, which switches the file to
// WAL. SQLite does not wait for the busy timeout there: while another
// process is opening or converting the same file, the switch fails at once
// with SQLITE_BUSY. So that replicas may open a new file together, it
// retries for up to the busy timeout.
func pingSQLite(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(sqliteBusyTimeout)
	for {
		err := db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func sqliteDialect() *dialect {
	return &dialect{
		name: "sqlite",
		createMigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at INTEGER NOT NULL
		) STRICT`,
		// Each migration's transaction begins IMMEDIATE (the write lock) and
		// rechecks the version, which is all the serialisation SQLite needs.
		lockMigrations: func(context.Context, *sql.Conn) (func(), error) { return func() {}, nil },
		timeArg:        func(t time.Time) any { return t.UnixMicro() },
		claimSQL: `UPDATE runs SET lease_owner = $1, lease_until = $2
			WHERE id IN (
				SELECT id FROM runs
				WHERE ` + claimWhere + `
				ORDER BY sched_at, id
				LIMIT $4)
			RETURNING ` + runColumns,
		claimDeliveriesSQL: `UPDATE outbox_deliveries SET lease_owner = $1, lease_until = $2
			WHERE id IN (
				SELECT id FROM outbox_deliveries
				WHERE ` + fmt.Sprintf(claimDeliveriesWhere, "receiver IN (SELECT value FROM json_each($5))") + `
				ORDER BY next_attempt, id
				LIMIT $4)
			RETURNING ` + deliveryColumns,
		unrouted:      "routed = 0",
		constraintErr: sqliteConstraintErr,
	}
}

func sqliteConstraintErr(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return analysis.ErrConflict
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return analysis.ErrNotFound
	}
	return nil
}
