package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"
)

// runTemplateCLI parses args as augur's command line and runs the template
// command, returning its exit code, stdout and stderr.
func runTemplateCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	a := kingpin.New("augur", "")
	c := TemplateCommands(a)
	cmd, err := a.Parse(args)
	if err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	var out, errOut bytes.Buffer
	code := c.Run(context.Background(), cmd, &out, &errOut, strings.NewReader(stdin))
	return code, out.String(), errOut.String()
}

func TestTemplateCLI(t *testing.T) {
	srv, _ := runServer(t, deliveryConfig(t))
	server := "--server=" + srv.URL()
	example := filepath.Join("..", "..", "..", "deploy", "examples", "checkout-template.yaml")

	steps := []struct {
		name  string
		stdin string
		args  []string
		code  int
		out   string
	}{
		{"apply creates", "", []string{"template", "apply", "-f", example, server}, 0, "template checkout-canary created (version 1)\n"},
		{"apply updates", "", []string{"template", server, "apply", "-f", example}, 0, "template checkout-canary updated (version 2)\n"},
		{"list", "", []string{"template", server, "list"}, 0, "checkout-canary  2        namespace,rollout*,canary-hash*,stable-hash*"},
		{"get", "", []string{"template", server, "get", "checkout-canary"}, 0, "name: checkout-canary\n"},
		{"apply JSON from stdin", `{"name": "other", "spec": {"apiVersion": "augur/v1", "name": "x",
			"cohorts": {"baseline": "v=\"1\"", "canary": "v=\"2\""}, "timing": {"interval": "1m", "lifetime": "10m"}, "metrics": [{"name": "m", "query": "m{${cohort}}", "judge": {"type": "mannwhitney"}}]}}`,
			[]string{"template", server, "apply", "--file=-"}, 0, "template other created (version 1)\n"},
		{"delete", "", []string{"template", server, "delete", "other"}, 0, "template other deleted\n"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			code, out, errOut := runTemplateCLI(t, s.stdin, s.args...)
			if code != s.code || !strings.Contains(out, s.out) {
				t.Fatalf("exit %d, out %q, err %q; want %d and %q", code, out, errOut, s.code, s.out)
			}
		})
	}

	// What get prints, apply takes back.
	_, got, _ := runTemplateCLI(t, "", "template", server, "get", "checkout-canary")
	if code, out, errOut := runTemplateCLI(t, got, "template", server, "apply", "--file=-"); code != 0 || out != "template checkout-canary updated (version 3)\n" {
		t.Fatalf("apply of get's output: %d %q %q", code, out, errOut)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: bad\non_error: pause\nspec: 'name: ${args.x}'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	refusals := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"invalid template", []string{"template", server, "apply", "-f", bad}, 1, []string{"HTTP 422", "on_error", "${args.x} is not declared"}},
		{"unknown field", []string{"template", server, "apply", "--file=-"}, 2, []string{"field colour not found"}},
		{"missing file", []string{"template", server, "apply", "-f", filepath.Join(t.TempDir(), "none.yaml")}, 2, []string{"none.yaml"}},
		{"unknown template", []string{"template", server, "get", "nope"}, 1, []string{"HTTP 404", "template nope not found"}},
		{"bad server", []string{"template", "--server=ftp://x", "list"}, 2, []string{"--server must be an http(s) URL"}},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			code, _, errOut := runTemplateCLI(t, "name: x\ncolour: red\n", r.args...)
			if code != r.code {
				t.Fatalf("exit %d (%s), want %d", code, errOut, r.code)
			}
			for _, w := range r.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not contain %q", errOut, w)
				}
			}
		})
	}
}
