// Package promtest runs Debian's Prometheus (package prometheus, 2.42, which
// scripts/deps.sh installs for make test) as a real peer in tests: on a free
// loopback port with a temporary TSDB, stopped when the test ends. The
// package's own systemd service plays no part. Only tests import it.
package promtest

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bin is the Prometheus binary the tests run.
const Bin = "/usr/bin/prometheus"

// Logs collects the server's output for failure messages.
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Start runs Prometheus with config (YAML) and extra flags, waits until it
// is ready and returns its base URL and output. It skips the test when the
// binary is missing.
func Start(tb testing.TB, config string, extraArgs ...string) (baseURL string, logs *Logs) {
	tb.Helper()
	if _, err := os.Stat(Bin); err != nil {
		tb.Skipf("%s not found (scripts/deps.sh installs Debian's prometheus package): %v", Bin, err)
	}
	dir := tb.TempDir()
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o644); err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := append([]string{
		"--config.file=" + cfgPath,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr,
		"--log.level=warn",
	}, extraArgs...)
	cmd := exec.Command(Bin, args...)
	logs = &Logs{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start prometheus: %v", err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	baseURL = "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get(baseURL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return baseURL, logs
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("prometheus not ready after 30s:\n%s", logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
