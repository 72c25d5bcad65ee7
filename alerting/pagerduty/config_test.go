package pagerduty

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestYAML decodes the settings as docs/notifications.md shows them,
// strictly, over the defaults; an unknown key is refused.
func TestYAML(t *testing.T) {
	decode := func(src string) (Config, error) {
		cfg := DefaultConfig()
		dec := yaml.NewDecoder(strings.NewReader(src))
		dec.KnownFields(true)
		return cfg, dec.Decode(&cfg)
	}
	cfg, err := decode("routing_key_file: /etc/augur/secrets/pd\ntrigger_on: [fail, error]\ncomponent: checkout\n")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{RoutingKeyFile: "/etc/augur/secrets/pd", URL: DefaultURL, TriggerOn: []string{"fail", "error"},
		Source: "augur", Component: "checkout", Timeout: 10 * time.Second}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("decoded %+v, want %+v", cfg, want)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	if _, err := decode("routing_key_file: /f\nservice_key: x\n"); err == nil || !strings.Contains(err.Error(), "service_key") {
		t.Errorf("an unknown key: %v", err)
	}
}

// TestJSONLeavesSecretOut: a configuration written as JSON (a config
// dump) has no inline secret.
func TestJSONLeavesSecretOut(t *testing.T) {
	b, err := json.Marshal(Config{RoutingKey: routingKey})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), routingKey) {
		t.Errorf("%s shows the secret", b)
	}
}
