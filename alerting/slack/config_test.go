package slack

import (
	"encoding/json"
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
	cfg, err := decode("webhook_url_file: /etc/augur/secrets/slack-url\nchannel: '#deploys'\nusername: augur\n")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{WebhookURLFile: "/etc/augur/secrets/slack-url", Channel: "#deploys", Username: "augur", Timeout: 10 * time.Second}
	if cfg != want {
		t.Errorf("decoded %+v, want %+v", cfg, want)
	}
	if _, err := decode("webhook_url_file: /f\nicon_emoji: ':x:'\n"); err == nil || !strings.Contains(err.Error(), "icon_emoji") {
		t.Errorf("an unknown key: %v", err)
	}
}

// TestJSONLeavesSecretOut: a configuration written as JSON (a config
// dump) has no inline secret.
func TestJSONLeavesSecretOut(t *testing.T) {
	b, err := json.Marshal(Config{WebhookURL: "https://hooks.slack.com" + secretPath})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), secretPath) {
		t.Errorf("%s shows the secret", b)
	}
}
