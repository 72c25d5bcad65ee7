package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"
)

// processBackend runs `augur serve` from a binary on a free loopback port
// with an empty data directory under dir, with the default configuration.
type processBackend struct {
	bin string
	dir string
	cpu *atomic.Int64 // the stopped servers' CPU time (user + system), ns
}

// serverCPU is the CPU time the stopped servers used.
func (b processBackend) serverCPU() time.Duration { return time.Duration(b.cpu.Load()) }

func (b processBackend) start(ctx context.Context) (string, func(), error) {
	addr, err := freeLoopback()
	if err != nil {
		return "", nil, err
	}
	data, err := os.MkdirTemp(b.dir, "augur-data-")
	if err != nil {
		return "", nil, err
	}
	logPath := data + ".log"
	logFile, err := os.Create(logPath)
	if err != nil {
		os.RemoveAll(data)
		return "", nil, err
	}
	defer logFile.Close()
	cleanup := func() { os.RemoveAll(data); os.Remove(logPath) }
	cmd := exec.Command(b.bin, "serve", "--listen", addr, "--data-dir", data, "--otlp-grpc-listen=", "--jaeger-listen=")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("start %s: %w", b.bin, err)
	}
	log := func() string {
		b, _ := os.ReadFile(logPath)
		return lastLines(string(b), 20)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if st := cmd.ProcessState; st != nil {
			b.cpu.Add(int64(st.UserTime() + st.SystemTime()))
		}
		cleanup()
	}
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-done:
			msg := log()
			cleanup()
			return "", nil, fmt.Errorf("augur serve exited (%v): %s", err, msg)
		default:
		}
		if healthy(ctx, base) {
			return base, stop, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			msg := log()
			stop()
			return "", nil, fmt.Errorf("augur serve on %s not healthy within 30s: %s", addr, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func healthy(ctx context.Context, base string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// freeLoopback returns a loopback address with a port free right now.
func freeLoopback() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func lastLines(s string, n int) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(s)), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// absBin resolves a binary path so that it works from any directory.
func absBin(p string) (string, error) {
	if filepath.IsAbs(p) {
		return p, nil
	}
	return filepath.Abs(p)
}
