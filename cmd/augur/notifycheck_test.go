package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNotifyAndCheckConfigCommands runs the binary's command lines for the
// server configuration: check --config with a route test, check with a
// spec and --config both, and notify test for a receiver that is not
// configured (no network).
func TestNotifyAndCheckConfigCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := augurBin(t)
	cfg := filepath.Join(t.TempDir(), "augur.yaml")
	if err := os.WriteFile(cfg, []byte(`notify:
  receivers:
  - name: releases
    slack: {webhook_url: "https://hooks.slack.com/services/T0/B0/X"}
  - name: oncall
    pagerduty: {routing_key_file: /etc/augur/pd-key}
  route:
    receiver: releases
    routes:
    - {matchers: [verdict="fail"], receiver: oncall, continue: true}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"check config with a route test", []string{"check", "--config", cfg, "--route-test", "verdict=fail"}, 0,
			[]string{"augur.yaml: valid", "  releases  slack", `  {verdict="fail"} receiver=oncall`, "receivers: oncall\n"}},
		{"spec and config", []string{"check", "--config", cfg, "spec.yaml"}, 2, []string{"not both"}},
		{"notify test, unknown receiver", []string{"notify", "test", "--config", cfg, "--receiver", "email"}, 2,
			[]string{`no receiver "email"`, "releases, oncall"}},
		{"notify test, bad verdict", []string{"notify", "test", "--config", cfg, "--receiver", "releases", "--verdict", "bad"}, 2,
			[]string{"enum value must be one of"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.code {
				t.Errorf("exit %d, want %d:\n%s", code, tt.code, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
