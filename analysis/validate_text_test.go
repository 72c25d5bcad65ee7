package analysis

import (
	"strings"
	"testing"
)

// TestValidateText: a string YAML cannot carry unescaped (which JSON may
// write so) is refused naming its field; tabs and newlines, which both
// escape, are fine.
func TestValidateText(t *testing.T) {
	const base = "apiVersion: augur/v1\nname: x\ncohorts: {baseline: 'v=\"1\"', canary: 'v=\"2\"'}\ntiming: {lifetime: 1h}\n" +
		"metrics: [{name: m, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n"
	tests := []struct {
		name, old, new, want string
	}{
		{"tab and newline", "name: x", `name: "a\tb\nc"`, ""},
		{"multi-line query", "query: 'x{${cohort}}'", "query: \"sum(\\n  x{${cohort}}\\n)\"", ""},
		{"DEL in a name", "name: x", `name: "a\x7fb"`, "name: must not contain the control character U+007F"},
		{"C1 control in a query", "query: 'x{${cohort}}'", `query: "x{${cohort}}\x85"`, "metrics[0].query: must not contain the control character U+0085"},
		{"NUL in a selector", `baseline: 'v="1"'`, `baseline: "v=\"1\x00\""`, "cohorts.baseline.selector: must not contain the control character U+0000"},
		{"noncharacter in a webhook", "metrics:", "webhooks: [\"http://127.0.0.1/\\uFFFF\"]\nmetrics:", "webhooks[0]: must not contain the control character U+FFFF"},
		{"in a map key", "metrics:", "sources: {\"a\\x7f\": {type: prometheus, url: 'http://127.0.0.1:9090'}}\nmetrics:", "sources: must not contain the control character U+007F"},
		{"in a header", "metrics:", "sources: {a: {type: prometheus, url: 'http://127.0.0.1:9090', headers: {X: \"\\x9b\"}}}\nmetrics:",
			"sources.a.headers.X: must not contain the control character U+009B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Replace(base, tt.old, tt.new, 1)
			if body == base {
				t.Fatal("nothing replaced")
			}
			_, err := ParseSpec(strings.NewReader(body))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}
