package state

import (
	"context"
	"fmt"
)

// Ping checks that the database answers and holds the schema this build
// migrated to (a readiness check: it reads one row of schema_migrations).
func (s *Store) Ping(ctx context.Context) error {
	var v int
	if err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("state: the database does not answer: %w", err)
	}
	ms, err := loadMigrations(migrationFiles, "migrations/"+s.d.name)
	if err != nil {
		return err
	}
	if want := ms[len(ms)-1].version; v < want {
		return fmt.Errorf("state: the database is at schema version %d, this build needs %d", v, ms[len(ms)-1].version)
	}
	return nil
}
