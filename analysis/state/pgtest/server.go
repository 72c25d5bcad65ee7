package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// readyTimeout bounds how long a starting server may take to accept
// connections.
const readyTimeout = 60 * time.Second

// Server is a running throwaway cluster. Its superuser is postgres, with
// trust authentication on 127.0.0.1.
type Server struct {
	bin  string // directory of initdb and postgres
	base string // temporary directory owned by the server user
	cred *syscall.Credential

	mu     sync.Mutex
	port   int
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	admin  *sql.DB       // connected to the postgres database

	dbs atomic.Int64
}

// Start initialises and starts a cluster, and registers its stop and the
// removal of its directory with tb.Cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := findBinDir()
	if err != nil {
		tb.Fatal(err)
	}
	cred, err := serverCredential()
	if err != nil {
		tb.Fatal(err)
	}
	base, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(base) })
	if cred != nil {
		if err := os.Chown(base, int(cred.Uid), int(cred.Gid)); err != nil {
			tb.Fatalf("pgtest: %v", err)
		}
	}
	if err := mkdirFor(filepath.Join(base, "sock"), cred); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	s := &Server{bin: bin, base: base, cred: cred}
	initdb := s.command(filepath.Join(bin, "initdb"),
		"-D", s.dataDir(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		tb.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	tb.Cleanup(func() {
		if err := s.stop(); err != nil {
			tb.Logf("pgtest: stop: %v", err)
		}
	})
	if err := s.startOnFreePort(); err != nil {
		tb.Fatal(err)
	}
	return s
}

// NewDatabase creates an empty database and returns its DSN.
func (s *Server) NewDatabase(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("test_%d", s.dbs.Add(1))
	s.mu.Lock()
	admin := s.admin
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	return s.DSN(name)
}

// DSN returns the connection string of a database on the server.
func (s *Server) DSN(database string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, database)
}

// Process returns the running postmaster, e.g. to signal it; nil when it
// is stopped.
func (s *Server) Process() *os.Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	return s.cmd.Process
}

// Restart stops the server the way a crash would (immediate shutdown, no
// checkpoint) and starts it again on the same port and data directory.
// Connections open before it are broken.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	if err := s.stop(); err != nil {
		tb.Fatalf("pgtest: restart: %v", err)
	}
	s.mu.Lock()
	port := s.port
	s.mu.Unlock()
	if err := s.start(port); err != nil {
		tb.Fatalf("pgtest: restart: %v", err)
	}
}

func (s *Server) dataDir() string { return filepath.Join(s.base, "data") }

// command runs a server binary as the server user in the base directory.
func (s *Server) command(path string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Dir = s.base
	cmd.Env = append(os.Environ(), "LC_ALL=C", "HOME="+s.base, "PGTZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	return cmd
}

// startOnFreePort starts the server on a free port, retrying with another
// port when one was taken between choosing and binding it.
func (s *Server) startOnFreePort() error {
	var err error
	for range 3 {
		var port int
		if port, err = freePort(); err != nil {
			return err
		}
		if err = s.start(port); err == nil {
			return nil
		}
	}
	return err
}

// freePort returns a free loopback port below the kernel's ephemeral range,
// so that no client connection takes it as its local port while the server
// restarts on it.
func freePort() (int, error) {
	low, high := 10000, ephemeralStart()
	if high-low < 1000 {
		low = 1024
	}
	var err error
	for range 50 {
		port := low + rand.IntN(high-low)
		var l net.Listener
		if l, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
			_ = l.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("pgtest: no free port in [%d, %d): %w", low, high, err)
}

// ephemeralStart is the first port of the kernel's ephemeral range.
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(fields[0])
	if err != nil || n <= 1024 {
		return 32768
	}
	return n
}
