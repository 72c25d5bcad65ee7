package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augurhq/augur/analysis"
)

// TestAnalyzeAndCheck runs augur analyze and augur check as a CD pipeline
// would: exit 0 pass, 1 fail, 2 inconclusive, 3 error; check names every
// invalid field.
func TestAnalyzeAndCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := augurBin(t)
	data := dataServer(t)
	dir := t.TempDir()
	spec := func(name, canary, extra string) string {
		body := fmt.Sprintf(`apiVersion: augur/v1
name: %s
cohorts: {baseline: 'version="v1"', canary: 'version="%s"'}
timing: {start: -20s, lifetime: 20s}
step: 1s
metrics:
  - {name: latency, query: 'latency{${cohort}}', judge: {type: mannwhitney}%s}
`, name, canary, extra)
		p := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	down := freeAddr(t) // nothing listens there
	withSource := func(name string) string {
		body := fmt.Sprintf(`apiVersion: augur/v1
name: %s
sources: {prom: {type: prometheus, url: "http://%s", retries: 1, backoff: 10ms}}
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {start: -20s, lifetime: 20s}
metrics:
  - {name: latency, source: prom, query: 'latency{${cohort}}', judge: {type: mannwhitney}}
`, name, down)
		p := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	invalid := filepath.Join(dir, "invalid.yaml")
	if err := os.WriteFile(invalid, []byte("apiVersion: augur/v1\nname: x\ncohorts: {baseline: 'v=\"1\"'}\ntiming: {lifetime: 1h}\nmetrics: [{name: m, query: 'x', judge: {type: mannwhitney}}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"a/a passes", []string{"analyze", "-f", spec("aa", "v2", ""), "--server", data}, 0, []string{"verdict: PASS"}, []string{"interval 1/1"}},
		{"regression fails", []string{"analyze", "-f", spec("regress", "v3", ""), "--server", data}, 1, []string{"verdict: FAIL", "latency"}, nil},
		{"no data is inconclusive", []string{"analyze", "-f", spec("nodata", "v9", ""), "--server", data}, 2, []string{"verdict: INCONCLUSIVE"}, nil},
		{"source down is an error", []string{"analyze", "-f", withSource("down")}, 3, []string{"verdict: ERROR", "after 2 attempts"}, nil},
		{"embedded without a server", []string{"analyze", "-f", spec("noserver", "v2", "")}, 3, nil, []string{"--server"}},
		{"invalid spec", []string{"analyze", "-f", invalid}, 3, nil, []string{"cohorts.canary: must be set", "metrics[0].query: must contain ${cohort}"}},
		{"json output", []string{"analyze", "-f", spec("json", "v3", ""), "--server", data, "-o", "json"}, 1, []string{`"verdict": "fail"`}, nil},
		{"check valid", []string{"check", spec("ok", "v2", "")}, 0, []string{"valid canary experiment"}, nil},
		{"check invalid", []string{"check", invalid}, 1, nil, []string{"cohorts.canary: must be set", "metrics[0].query"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out.String(), errOut.String())
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out.String())
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(errOut.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut.String())
				}
			}
			if tt.args[len(tt.args)-1] == "json" {
				var v analysis.Verdict
				if err := json.Unmarshal(out.Bytes(), &v); err != nil || v.Intervals != 1 {
					t.Errorf("json verdict: %v %+v", err, v)
				}
			}
		})
	}
}
