package outbox

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestGrafanaReceiverYAML: a grafana receiver reads strictly over its
// defaults, Validate names its fields, and BuildReceivers builds it.
func TestGrafanaReceiverYAML(t *testing.T) {
	decode := func(src string) (Config, error) {
		c := DefaultConfig()
		dec := yaml.NewDecoder(strings.NewReader(src))
		dec.KnownFields(true)
		return c, dec.Decode(&c)
	}
	c, err := decode(`
receivers:
  - name: grafana
    grafana:
      url: https://grafana.example.com
      token_file: /etc/augur/secrets/grafana-token
      dashboard_uid: augur-experiment
      tags: [team:payments]
`)
	if err != nil {
		t.Fatal(err)
	}
	g := c.Receivers[0].Grafana
	if g == nil || g.URL != "https://grafana.example.com" || g.Timeout != 10*time.Second || g.DashboardUID != "augur-experiment" || len(g.Tags) != 1 {
		t.Fatalf("decoded %+v", g)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	if _, err := BuildReceivers(c); err != nil {
		t.Error(err)
	}
	if _, err := decode("receivers:\n  - name: g\n    grafana:\n      url: https://g\n      api_key: x\n"); err == nil || !strings.Contains(err.Error(), "api_key") {
		t.Errorf("an unknown key: %v", err)
	}
	c, err = decode("receivers:\n  - name: g\n    grafana:\n      panel_id: 2\n")
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	for _, want := range []string{"notify.receivers[0].grafana.url:", "notify.receivers[0].grafana.token_file:", "notify.receivers[0].grafana.panel_id:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v lacks %q", err, want)
		}
	}
}
