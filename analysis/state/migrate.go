package state

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strconv"
	"strings"
	"time"
)

// migrationFiles holds migrations/<dialect>/NNNN_name.sql.
//
//go:embed migrations
var migrationFiles embed.FS

// ErrSchemaTooNew: the database was migrated by a newer augur than this
// one; opening it would risk writing rows the newer schema forbids.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// migration is one versioned schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads dir's NNNN_name.sql files, ordered by version. The
// versions must run 1, 2, 3… without gaps or duplicates.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		file := e.Name()
		base, ok := strings.CutSuffix(file, ".sql")
		if e.IsDir() || !ok {
			continue
		}
		num, name, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 || name == "" {
			return nil, fmt.Errorf("migrations: %s: want NNNN_name.sql", path.Join(dir, file))
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	// ReadDir sorts by name and versions are zero-padded, but a missing
	// pad must not reorder them silently: check the sequence instead.
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migrations: %s: version %d where %d was expected (gap, duplicate or unpadded number)", dir, m.version, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("migrations: none in %s", dir)
	}
	return ms, nil
}

// migrate brings the database on conn to the latest schema version. Each
// migration runs in its own transaction together with its schema_migrations
// row, so a failed one leaves the previous version in place. The caller
// serialises concurrent migrators (PostgreSQL: an advisory lock; SQLite:
// each transaction takes the write lock when it begins and rechecks).
func migrate(ctx context.Context, conn *sql.Conn, d *dialect, now time.Time, logger *slog.Logger) error {
	ms, err := loadMigrations(migrationFiles, "migrations/"+d.name)
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, d.createMigrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	current, err := schemaVersion(ctx, conn)
	if err != nil {
		return err
	}
	latest := ms[len(ms)-1].version
	if current > latest {
		return fmt.Errorf("%w: the database is at schema version %d and this binary knows versions up to %d; run a newer augur or use another database",
			ErrSchemaTooNew, current, latest)
	}
	for _, m := range ms[current:] {
		applied, err := applyMigration(ctx, conn, d, m, now)
		if err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
		if applied {
			logger.Info("state: applied migration", "dialect", d.name, "version", m.version, "name", m.name)
		}
	}
	return nil
}

// schemaVersion returns the highest applied version, 0 for a new database.
func schemaVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}

// applyMigration runs m unless another migrator applied it meanwhile.
func applyMigration(ctx context.Context, conn *sql.Conn, d *dialect, m migration, now time.Time) (applied bool, err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() {
		if err != nil || !applied {
			_ = tx.Rollback()
		}
	}()
	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return false, err
	}
	if current >= m.version {
		return false, nil
	}
	if current != m.version-1 {
		return false, fmt.Errorf("database is at version %d", current)
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
		m.version, m.name, d.timeArg(now)); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	return true, nil
}
