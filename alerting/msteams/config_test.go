package msteams

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
	cfg, err := decode("webhook_url_file: /etc/augur/secrets/teams-url\ntimeout: 5s\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Config{WebhookURLFile: "/etc/augur/secrets/teams-url", Timeout: 5 * time.Second}); cfg != want {
		t.Errorf("decoded %+v, want %+v", cfg, want)
	}
	if _, err := decode("webhook_url_file: /f\ntheme_color: red\n"); err == nil || !strings.Contains(err.Error(), "theme_color") {
		t.Errorf("an unknown key: %v", err)
	}
}

// TestJSONLeavesSecretOut: a configuration written as JSON (a config
// dump) has no inline secret.
func TestJSONLeavesSecretOut(t *testing.T) {
	b, err := json.Marshal(Config{WebhookURL: "https://x.test" + hookPath + "?" + hookQuery})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), secretSig) {
		t.Errorf("%s shows the secret", b)
	}
}
