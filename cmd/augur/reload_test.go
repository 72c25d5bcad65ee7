package main

import (
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGHUPReloads: augur serve reloads its configuration file on
// SIGHUP: an invalid file is refused (the gauge drops to 0, the server
// goes on), a valid one is applied (the gauge is 1 again).
func TestSIGHUPReloads(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary")
	}
	r := startReplica(t, "hup", "")
	path := r.cmd.Args[len(r.cmd.Args)-1]
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gauge := func() string {
		resp, err := http.Get(r.base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "augur_config_last_reload_successful "); ok {
				return v
			}
		}
		return ""
	}
	hup := func(want string) {
		t.Helper()
		if err := r.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for gauge() != want {
			if time.Now().After(deadline) {
				t.Fatalf("after SIGHUP the reload gauge is %q, want %s", gauge(), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	bad := string(orig) + "notify:\n  route: {receiver: nobody}\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	hup("0")
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	hup("1")
	if resp, err := http.Get(r.base + "/-/ready"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("not ready after the reloads: %v %v", resp, err)
	}
}
