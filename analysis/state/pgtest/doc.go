// Package pgtest starts a throwaway PostgreSQL cluster for tests: initdb in
// a temporary directory, a postmaster listening only on 127.0.0.1 at a free
// port with durability turned off, and a fresh database per test (CREATE
// DATABASE), so tests stay independent while one test binary shares one
// cluster. The cluster is stopped and its directory removed at cleanup.
//
// It uses the server binaries of Debian's postgresql package
// (/usr/lib/postgresql/<version>/bin, the highest version) or, failing that,
// initdb and postgres on PATH; scripts/deps.sh installs the package. The
// package's own cluster and service play no part. initdb refuses to run as
// root, so as root the binaries run as the postgres system user, which the
// package creates.
package pgtest
