package app

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/alerting/outbox"
	"github.com/augurhq/augur/analysis"
)

// The example configuration documents the defaults: it must equal them.
func TestExampleConfigIsTheDefaults(t *testing.T) {
	cfg, err := LoadConfig("../../../deploy/examples/augur.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("example config differs from defaults:\n got %+v\nwant %+v", cfg, want)
	}
}

func TestExampleSpecParses(t *testing.T) {
	f, err := os.Open("../../../deploy/examples/checkout-canary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := analysis.ParseSpec(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Metrics) != 4 || !s.Metrics[2].Critical || s.IntervalCount() != 6 {
		t.Errorf("unexpected example spec: %+v", s)
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
		check               func(Config) bool
	}{
		{"empty file is defaults", "", "", func(c Config) bool { return reflect.DeepEqual(c, DefaultConfig()) }},
		{"override keeps other defaults", "listen: 127.0.0.1:9999\nstore:\n  dir: /tmp/x\n", "", func(c Config) bool {
			return c.Listen == "127.0.0.1:9999" && c.Store.Dir == "/tmp/x" && c.Store.Retention == DefaultConfig().Store.Retention
		}},
		{"unknown field", "listen: x\nlisten_port: 3\n", "listen_port", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(p, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := LoadConfig(p)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err %v, want mention of %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(c) {
				t.Errorf("got %+v, %v", c, err)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	c := DefaultConfig()
	c.Listen = ""
	c.Log.Level = "loud"
	c.Log.Format = "xml"
	c.Notify.Delivery.Backoff, c.Notify.Delivery.MaxBackoff, c.Notify.Delivery.MaxAge = time.Minute, time.Second, 0
	c.Notify.Receivers = []outbox.ReceiverConfig{{Name: "bad name"}}
	c.Analysis.BatchIntervals, c.Analysis.BatchTime = 0, -time.Second
	c.Metrics.ExperimentRetention = 0
	c.SelfScrape.Interval = 10 * time.Millisecond
	err := c.Validate()
	for _, want := range []string{"listen:", "log.level", "log.format",
		"analysis.batch_intervals: must be at least 1, got 0", "analysis.batch_time: must be positive, got -1s",
		"notify.delivery.max_backoff: must be at least backoff (1m0s), got 1s", "notify.delivery.max_age: must be positive, got 0s",
		`notify.receivers[0].name: must be 1 to 63 letters`, "notify.receivers[0]: must set one of webhook, slack",
		"metrics.experiment_retention: must be positive, got 0s", "self_scrape.interval: must be at least 1s, got 10ms"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want mention of %q", err, want)
		}
	}
}
