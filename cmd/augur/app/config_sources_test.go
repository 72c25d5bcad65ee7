package app

import (
	"strings"
	"testing"
)

func TestConfigValidateOpenSources(t *testing.T) {
	c := DefaultConfig()
	c.Analysis.OpenSources.IdleTimeout = 0
	c.Analysis.OpenSources.MaxSpecSources = -1
	err := c.Validate()
	for _, want := range []string{"analysis.open_sources.idle_timeout: must be at least 1s, got 0s", "analysis.open_sources.max_spec_sources: must be at least 1, got -1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want %q", err, want)
		}
	}
}
