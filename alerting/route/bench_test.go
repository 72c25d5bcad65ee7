package route

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/augurhq/augur/alerting/notify"
)

// BenchmarkDispatch routes 1,000 verdicts (half fails, half marginals of
// the same experiments, so the example's inhibition rule has work to do)
// through deploy/examples/notify.yaml and flushes them twice.
func BenchmarkDispatch(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "examples", "notify.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	c, err := Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	tree, err := Build(c, []string{"slack-releases", "pagerduty-oncall", "slack-payments", "email-payments", "msteams-search"})
	if err != nil {
		b.Fatal(err)
	}
	teams := []string{"payments", "search", "checkout", "ads", "infra"}
	var msgs []notify.Message
	for i := range 500 {
		exp := fmt.Sprintf("e%d", i)
		labels := map[string]string{"team": teams[i%len(teams)], "service": fmt.Sprintf("svc%d", i%20)}
		msgs = append(msgs,
			notify.Message{ID: exp + "-m", ExperimentID: exp, Event: notify.EventIntervalFailed, Verdict: "marginal", Severity: notify.SeverityWarning, Labels: labels, At: t0},
			notify.Message{ID: exp + "-f", ExperimentID: exp, Event: notify.EventVerdict, Verdict: "fail", Severity: notify.SeverityCritical, Labels: labels, At: t0})
	}
	b.ReportAllocs()
	for b.Loop() {
		d := NewDispatcher(tree, State{})
		for _, m := range msgs {
			d.Add(m, t0)
		}
		if n := len(d.Due(t0.Add(30 * time.Second))); n == 0 {
			b.Fatal("nothing due")
		}
		d.Due(t0.Add(330 * time.Second))
	}
}
