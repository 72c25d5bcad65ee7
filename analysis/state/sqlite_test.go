package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenSQLite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "state.db")
	s, err := OpenSQLite(testCtx(t), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}
	ctx := testCtx(t)
	pragmas := []struct {
		name, want string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "2"}, // FULL
	}
	for _, p := range pragmas {
		var got string
		if err := s.write.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != p.want {
			t.Errorf("writer: PRAGMA %s = %s, want %s", p.name, got, p.want)
		}
	}
	// Readers cannot write, even by mistake.
	if _, err := s.read.ExecContext(ctx, "DELETE FROM experiments"); err == nil {
		t.Error("a read connection wrote")
	}

	for _, bad := range []string{"", filepath.Join(dir, "x.db?mode=ro"), filepath.Join(dir, "x#y.db")} {
		if s, err := OpenSQLite(testCtx(t), bad, nil); err == nil {
			s.Close()
			t.Errorf("OpenSQLite(%q) succeeded", bad)
		}
	}
}

// TestSQLiteClaimUsesIndex: the claim query scans the runs_queue partial
// index (its WHERE must repeat the index predicate for SQLite to use it),
// already in claim order.
func TestSQLiteClaimUsesIndex(t *testing.T) {
	s, err := OpenSQLite(testCtx(t), filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.write.QueryContext(testCtx(t), "EXPLAIN QUERY PLAN "+s.d.claimSQL, "a", 1, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "USING INDEX runs_queue") || strings.Contains(text, "TEMP B-TREE") {
		t.Fatalf("claim plan:\n%s\nwant a scan of runs_queue without a sort", text)
	}
}
