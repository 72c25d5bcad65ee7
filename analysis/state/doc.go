// Package state stores experiments, runs, interval results and verdicts
// (analysis.Store): SQLite in the data directory by default (modernc.org/sqlite,
// no cgo), PostgreSQL (pgx) when several replicas share the work. Both apply
// versioned migrations at open. It imports analysis and database drivers
// only.
package state

import (
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver
	_ "modernc.org/sqlite"             // SQLite driver
)
