package logs

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Config configures the log receivers and the derivations.
type Config struct {
	// MaxBodyBytes bounds one request body after decompression.
	MaxBodyBytes int64 `yaml:"max_body_bytes" json:"max_body_bytes"`
	// MaxLineBytes bounds one log line (record body). Longer records are
	// rejected one by one; the rest of their batch is stored.
	MaxLineBytes int `yaml:"max_line_bytes" json:"max_line_bytes"`
	// Resolution is the finest spacing of samples written per series:
	// records within one resolution step are folded into one sample.
	Resolution time.Duration `yaml:"resolution" json:"resolution"`
	// ResourceAttributes are the OTLP resource attributes that become labels
	// (service.version → service_version).
	ResourceAttributes []string `yaml:"resource_attributes" json:"resource_attributes"`
	// LokiLabels maps Loki stream labels to series labels: for each target
	// label, the first stream label of From that is present and non-empty
	// wins. Stream labels not mapped are not kept.
	LokiLabels []LabelMapping `yaml:"loki_labels" json:"loki_labels"`
	// Drain configures the pattern clusterer.
	Drain DrainConfig `yaml:"drain" json:"drain"`
	// ExamplesPerPattern bounds the ring of recent example lines (and their
	// trace IDs) kept per pattern and service version.
	ExamplesPerPattern int `yaml:"examples_per_pattern" json:"examples_per_pattern"`
	// IdleTimeout is how long a series' counter state is kept without a
	// record; a later record starts the counter again from zero, which
	// PromQL's rate() and increase() take as a counter reset. Longer than
	// the resolution, shorter than the store's head compaction (about
	// 2 h). 0 keeps state forever.
	IdleTimeout time.Duration `yaml:"idle_timeout" json:"idle_timeout"`
}

// LabelMapping names the stream labels a series label is taken from.
type LabelMapping struct {
	Label string   `yaml:"label" json:"label"`
	From  []string `yaml:"from" json:"from"`
}

// DrainConfig holds the Drain clusterer's parameters.
type DrainConfig struct {
	// SimilarityThreshold is the least fraction of equal tokens for a line
	// to join an existing pattern, in (0, 1].
	SimilarityThreshold float64 `yaml:"similarity_threshold" json:"similarity_threshold"`
	// Depth of the prefix tree, counting the root and the token-count layer
	// as Drain3 does: Depth-2 leading tokens route a line to its leaf.
	Depth int `yaml:"depth" json:"depth"`
	// MaxClusters bounds the patterns held over all services; the least
	// recently matched pattern is evicted first.
	MaxClusters int `yaml:"max_clusters" json:"max_clusters"`
	// MaxChildren bounds the children of one tree node; further tokens
	// share a <*> child.
	MaxChildren int `yaml:"max_children" json:"max_children"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		MaxBodyBytes:       32 << 20,
		MaxLineBytes:       256 << 10,
		Resolution:         5 * time.Second,
		ResourceAttributes: []string{"service.name", "service.version", "deployment.environment"},
		LokiLabels: []LabelMapping{
			{Label: "service_name", From: []string{"service_name", "app", "job"}},
			{Label: "service_version", From: []string{"service_version", "version"}},
			{Label: "deployment_environment", From: []string{"deployment_environment", "env", "environment"}},
		},
		Drain: DrainConfig{
			SimilarityThreshold: 0.4,
			Depth:               4,
			MaxClusters:         10000,
			MaxChildren:         100,
		},
		ExamplesPerPattern: 10,
		IdleTimeout:        15 * time.Minute,
	}
}

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// reservedLabels are set by the derivation itself.
var reservedLabels = map[string]bool{"__name__": true, LabelSeverity: true, LabelPatternID: true}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBodyBytes <= 0 {
		errs = append(errs, fmt.Errorf("logs.max_body_bytes: must be positive, got %d", c.MaxBodyBytes))
	}
	if c.MaxLineBytes <= 0 {
		errs = append(errs, fmt.Errorf("logs.max_line_bytes: must be positive, got %d", c.MaxLineBytes))
	}
	if c.Resolution <= 0 {
		errs = append(errs, fmt.Errorf("logs.resolution: must be positive, got %s", c.Resolution))
	}
	for i, a := range c.ResourceAttributes {
		if a == "" {
			errs = append(errs, fmt.Errorf("logs.resource_attributes[%d]: must not be empty", i))
		}
	}
	seen := map[string]bool{}
	for i, m := range c.LokiLabels {
		switch {
		case !labelNameRE.MatchString(m.Label):
			errs = append(errs, fmt.Errorf("logs.loki_labels[%d].label: %q is not a valid label name", i, m.Label))
		case reservedLabels[m.Label]:
			errs = append(errs, fmt.Errorf("logs.loki_labels[%d].label: %q is reserved", i, m.Label))
		case seen[m.Label]:
			errs = append(errs, fmt.Errorf("logs.loki_labels[%d].label: %q is mapped twice", i, m.Label))
		}
		seen[m.Label] = true
		if len(m.From) == 0 {
			errs = append(errs, fmt.Errorf("logs.loki_labels[%d].from: must not be empty", i))
		}
		for j, f := range m.From {
			if f == "" {
				errs = append(errs, fmt.Errorf("logs.loki_labels[%d].from[%d]: must not be empty", i, j))
			}
		}
	}
	d := c.Drain
	if !(d.SimilarityThreshold > 0 && d.SimilarityThreshold <= 1) {
		errs = append(errs, fmt.Errorf("logs.drain.similarity_threshold: must be in (0, 1], got %v", d.SimilarityThreshold))
	}
	if d.Depth < 3 {
		errs = append(errs, fmt.Errorf("logs.drain.depth: must be at least 3, got %d", d.Depth))
	}
	if d.MaxClusters <= 0 {
		errs = append(errs, fmt.Errorf("logs.drain.max_clusters: must be positive, got %d", d.MaxClusters))
	}
	if d.MaxChildren < 2 {
		errs = append(errs, fmt.Errorf("logs.drain.max_children: must be at least 2, got %d", d.MaxChildren))
	}
	if c.IdleTimeout < 0 || (c.IdleTimeout > 0 && c.IdleTimeout <= c.Resolution) {
		errs = append(errs, fmt.Errorf("logs.idle_timeout: must be longer than the resolution (%s), or 0 to keep state forever, got %s", c.Resolution, c.IdleTimeout))
	}
	if c.ExamplesPerPattern < 0 {
		errs = append(errs, fmt.Errorf("logs.examples_per_pattern: must not be negative, got %d", c.ExamplesPerPattern))
	}
	return errors.Join(errs...)
}
