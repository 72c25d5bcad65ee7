package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLI builds the binary and checks the judge commands' exit codes and
// output as a CI pipeline sees them.
func TestCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := augurBin(t)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base, can, bad := write("b.txt", "1\n2\n3\n4\n"), write("c.txt", "10\n20\n30\n40\n"), write("bad.txt", "1\n# ok\nfour\n")
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout []string // substrings
		stderr string
	}{
		{"mannwhitney json", []string{"judge", "mannwhitney", "--baseline", base, "--canary", can, "--format", "json"}, "", 0,
			[]string{`"u": 16`, `"ci_low": 6`, `"ci_high": 39`, `"method": "exact"`}, ""},
		{"canary from stdin", []string{"judge", "mannwhitney", "--baseline", base, "--canary", "-", "--format", "json", "--method", "asymptotic"}, "10\n20\n30\n40\n", 0,
			[]string{`"method": "asymptotic"`}, ""},
		{"bad line names file and line", []string{"judge", "mannwhitney", "--baseline", bad, "--canary", can}, "", 2, nil, bad + ":3:"},
		{"welch", []string{"judge", "welch", "--baseline", base, "--canary", can, "--format", "json"}, "", 0, []string{`"df":`}, ""},
		{"ks", []string{"judge", "ks", "--baseline", base, "--canary", can, "--format", "json"}, "", 0, []string{`"d": 1`}, ""},
		{"proportions", []string{"judge", "proportions", "--baseline-errors", "1", "--baseline-total", "100", "--canary-errors", "9", "--canary-total", "100"}, "", 0,
			[]string{`"p_fisher":`, `"prob_canary_worse":`}, ""},
		{"adjust", []string{"judge", "adjust", "--method", "holm", "0.01", "0.02"}, "", 0, []string{`"adjusted": [`}, ""},
		{"unknown flag value", []string{"judge", "adjust", "--method", "fdr", "0.01"}, "", 2, nil, "fdr"},
		{"version", []string{"version"}, "", 0, []string{"augur "}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Stdin = strings.NewReader(tt.stdin)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			if tt.stderr != "" && !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr.String())
			}
			if tt.code == 0 && strings.HasPrefix(strings.TrimSpace(stdout.String()), "{") && !json.Valid([]byte(stdout.String())) {
				t.Errorf("invalid JSON: %s", stdout.String())
			}
		})
	}
}
