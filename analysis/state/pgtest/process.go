package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// start runs the postmaster on port and waits until it accepts connections.
func (s *Server) start(port int) error {
	logPath := filepath.Join(s.base, "server.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer logFile.Close()
	cmd := s.command(filepath.Join(s.bin, "postgres"),
		"-D", s.dataDir(),
		"-h", "127.0.0.1",
		"-p", strconv.Itoa(port),
		"-k", filepath.Join(s.base, "sock"),
		// A throwaway cluster: no fsync, so only a machine crash loses
		// data. synchronous_commit stays on: a commit reaches the kernel
		// before it is acknowledged, so Restart (a process crash) keeps it.
		"-c", "fsync=off",
		"-c", "full_page_writes=off",
		"-c", "shared_buffers=32MB",
		"-c", "max_connections=200",
		"-c", "timezone=UTC",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group keeps a terminal's ^C from reaching it before
	// cleanup runs; the parent-death signal stops it if the test binary dies
	// without cleaning up.
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.port, s.cmd, s.exited = port, cmd, exited
	s.mu.Unlock()

	admin, err := sql.Open("pgx", s.DSN("postgres"))
	if err != nil {
		_ = s.stop()
		return fmt.Errorf("pgtest: %w", err)
	}
	if err := waitReady(admin, exited); err != nil {
		_ = admin.Close()
		_ = s.stop()
		log, _ := os.ReadFile(logPath)
		return fmt.Errorf("pgtest: postgres on 127.0.0.1:%d: %w\n%s", port, err, tail(log, 2000))
	}
	s.mu.Lock()
	s.admin = admin
	s.mu.Unlock()
	return nil
}

// waitReady pings until the server answers, it exits, or readyTimeout.
func waitReady(db *sql.DB, exited <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not accepting connections after %v: %w", readyTimeout, err)
		}
		select {
		case <-exited:
			return errors.New("exited while starting")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop shuts the server down immediately (SIGQUIT: no checkpoint, crash
// recovery at the next start), killing it if it lingers.
func (s *Server) stop() error {
	s.mu.Lock()
	cmd, exited, admin := s.cmd, s.exited, s.admin
	s.cmd, s.exited, s.admin = nil, nil, nil
	s.mu.Unlock()
	if admin != nil {
		_ = admin.Close()
	}
	if cmd == nil {
		return nil
	}
	select {
	case <-exited:
		return nil
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal postgres: %w", err)
	}
	select {
	case <-exited:
		return nil
	case <-time.After(10 * time.Second):
	}
	_ = cmd.Process.Kill()
	<-exited
	return errors.New("postgres ignored SIGQUIT for 10s and was killed")
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
