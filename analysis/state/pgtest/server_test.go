package pgtest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestServer(t *testing.T) {
	s := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Each database is new and empty: a table made in one is not in the other.
	a := open(t, s.NewDatabase(t))
	b := open(t, s.NewDatabase(t))
	if _, err := a.ExecContext(ctx, "CREATE TABLE t (v int); INSERT INTO t VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRowContext(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 't'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("second database sees %d tables named t (err %v), want 0", n, err)
	}
	var addr string
	if err := a.QueryRowContext(ctx, "SELECT host(inet_server_addr())").Scan(&addr); err != nil || addr != "127.0.0.1" {
		t.Fatalf("server address %q (err %v), want 127.0.0.1", addr, err)
	}

	// A restart (crash-like) keeps committed data; the pool reconnects.
	pid := s.Process().Pid
	s.Restart(t)
	if s.Process().Pid == pid {
		t.Fatal("restart kept the same postmaster")
	}
	var v int
	var err error
	for range 2 { // the first use of a pooled connection may find it broken
		if err = a.QueryRowContext(ctx, "SELECT v FROM t").Scan(&v); err == nil {
			break
		}
	}
	if v != 42 {
		t.Fatalf("after restart: v = %d (err %v), want 42", v, err)
	}

	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if s.Process() != nil {
		t.Fatal("Process is not nil after stop")
	}
	if _, err := os.Stat(filepath.Join(s.dataDir(), "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("postmaster.pid still there after stop (err %v)", err)
	}
}

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestVersionOrder(t *testing.T) {
	tests := []struct {
		a, b string
		less bool
	}{
		{"9.6", "15", true},
		{"15", "9.6", false},
		{"15", "16", true},
		{"16", "16", false},
		{"9", "9.6", true},
	}
	for _, tt := range tests {
		a, _ := parseVersion(tt.a)
		b, _ := parseVersion(tt.b)
		if got := versionLess(a, b); got != tt.less {
			t.Errorf("versionLess(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.less)
		}
	}
	if _, ok := parseVersion("main"); ok {
		t.Error(`parseVersion("main") ok, want not a version`)
	}
}
