package state

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/augurhq/augur/analysis"
)

// Pool sizes for PostgreSQL. Claims, commits and reads are short
// transactions; a replica needs few connections.
const (
	pgMaxConns     = 16
	pgMaxIdleConns = 4
)

// migrationLockKey is the pg_advisory_lock key under which replicas migrate
// one at a time ("augur" in ASCII).
const migrationLockKey int64 = 0x6175677572

// OpenPostgres connects to the PostgreSQL database at dsn (a URL or
// key=value string) and migrates it to the latest schema. Several replicas
// may open the same database at once: they migrate one after another under
// an advisory lock.
//
// It uses database/sql over pgx's stdlib adapter rather than pgxpool, so
// that SQLite and PostgreSQL share one Store with one code path for
// transactions, scanning and error handling; only statements that differ
// are per dialect. The cost is database/sql's small per-call overhead,
// negligible for a store that commits at most a few rows per interval.
func OpenPostgres(ctx context.Context, dsn string, logger *slog.Logger) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("state: postgres dsn: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(pgMaxConns)
	db.SetMaxIdleConns(pgMaxIdleConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("state: postgres %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	s, err := newStore(ctx, postgresDialect(), db, db, logger)
	if err != nil {
		return nil, fmt.Errorf("state: postgres %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	return s, nil
}

func postgresDialect() *dialect {
	return &dialect{
		name: "postgres",
		createMigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL
		)`,
		lockMigrations: pgLockMigrations,
		timeArg:        func(t time.Time) any { return t.UTC() },
		// SKIP LOCKED: concurrent claimers pass over rows another claimer
		// has locked instead of waiting for it and then taking them too.
		claimSQL: `WITH due AS (
				SELECT id AS due_id FROM runs
				WHERE ` + claimWhere + `
				ORDER BY sched_at, id
				LIMIT $4
				FOR UPDATE SKIP LOCKED)
			UPDATE runs SET lease_owner = $1, lease_until = $2
			FROM due WHERE runs.id = due.due_id
			RETURNING ` + runColumns,
		claimDeliveriesSQL: `WITH due AS (
				SELECT id AS due_id FROM outbox_deliveries
				WHERE ` + fmt.Sprintf(claimDeliveriesWhere, "receiver IN (SELECT json_array_elements_text($5::json))") + `
				ORDER BY next_attempt, id
				LIMIT $4
				FOR UPDATE SKIP LOCKED)
			UPDATE outbox_deliveries SET lease_owner = $1, lease_until = $2
			FROM due WHERE outbox_deliveries.id = due.due_id
			RETURNING ` + deliveryColumns,
		unrouted:      "NOT routed",
		constraintErr: pgConstraintErr,
	}
}

// pgLockMigrations takes the migration advisory lock on conn's session.
func pgLockMigrations(ctx context.Context, conn *sql.Conn) (func(), error) {
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", migrationLockKey); err != nil {
			// A session lock outlives the call: discard the connection
			// so that closing it ends the session and the lock.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}, nil
}

// PostgreSQL error codes (SQLSTATE).
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

func pgConstraintErr(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return nil
	}
	switch pe.Code {
	case pgUniqueViolation:
		return analysis.ErrConflict
	case pgForeignKeyViolation:
		return analysis.ErrNotFound
	}
	return nil
}
