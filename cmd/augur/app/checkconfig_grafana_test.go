package app

import (
	"testing"

	"github.com/augurhq/augur/alerting/grafana"
	"github.com/augurhq/augur/alerting/outbox"
)

// TestReceiverKindGrafana: augur check names a grafana receiver's
// integration.
func TestReceiverKindGrafana(t *testing.T) {
	c := grafana.DefaultConfig()
	if got := receiverKind(outbox.ReceiverConfig{Name: "g", Grafana: &c}); got != "grafana" {
		t.Errorf("kind %q, want grafana", got)
	}
}
