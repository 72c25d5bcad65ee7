package route

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestExampleConfig parses and validates deploy/examples/notify.yaml and
// routes a few messages through it.
func TestExampleConfig(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "examples", "notify.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	receivers := []string{"slack-releases", "pagerduty-oncall", "slack-payments", "email-payments", "msteams-search"}
	if err := c.Validate(receivers[1:]); err == nil {
		t.Fatal("validated with the root's receiver missing")
	}
	tree, err := Build(c, receivers)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		labels map[string]string
		want   []string
	}{
		{"payments fail pages and reaches the team", map[string]string{"team": "payments", "verdict": "fail", "event": "verdict"}, []string{"pagerduty-oncall", "slack-payments"}},
		{"payments failing interval e-mails", map[string]string{"team": "payments", "verdict": "marginal", "event": "interval_failed"}, []string{"email-payments"}},
		{"search marginal to teams", map[string]string{"team": "discovery", "verdict": "marginal", "event": "verdict"}, []string{"msteams-search"}},
		{"unowned fail pages and reaches the release channel", map[string]string{"verdict": "fail", "event": "verdict"}, []string{"pagerduty-oncall", "slack-releases"}},
		{"unowned pass", map[string]string{"verdict": "pass", "event": "verdict"}, []string{"slack-releases"}},
		{"run start to the release channel", map[string]string{"team": "payments", "event": "run_started"}, []string{"slack-releases"}},
		{"an unowned failing interval is not asked for", map[string]string{"verdict": "marginal", "event": "interval_failed"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range tree.Match(tt.labels) {
				got = append(got, r.Opts.Receiver)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}

	email := tree.Root.Routes[1].Routes[0]
	saturday := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	if !tree.Muted(email, saturday) || tree.Muted(email, saturday.Add(-24*time.Hour)) {
		t.Error("the e-mail route is not muted exactly at weekends")
	}
	fail := map[string]string{"verdict": "fail", "experiment_id": "e1"}
	if !tree.Inhibited(map[string]string{"verdict": "marginal", "experiment_id": "e1"}, []map[string]string{fail}) {
		t.Error("a fail does not inhibit the marginal of its experiment")
	}
	if tree.Inhibited(map[string]string{"verdict": "marginal", "experiment_id": "e2"}, []map[string]string{fail}) {
		t.Error("a fail inhibits the marginal of another experiment")
	}
}
