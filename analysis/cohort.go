package analysis

import (
	"encoding/json"
	"fmt"
	"sort"

	"go.yaml.in/yaml/v3"
)

// CorrectionNone turns multiple-comparison correction off.
const CorrectionNone = "none"

// Cohorts names the compared groups. A canary experiment has Baseline and
// Canary; an abn experiment has Control and Variants; an slo experiment
// has Target.
type Cohorts struct {
	Baseline *Cohort           `yaml:"baseline,omitempty" json:"baseline,omitempty"`
	Canary   *Cohort           `yaml:"canary,omitempty" json:"canary,omitempty"`
	Control  *Cohort           `yaml:"control,omitempty" json:"control,omitempty"`
	Variants map[string]Cohort `yaml:"variants,omitempty" json:"variants,omitempty"`
	Target   *Cohort           `yaml:"target,omitempty" json:"target,omitempty"`
}

// Cohort selects one group's data: label matchers without braces
// (service_version="v2"), with per-source overrides where a source labels
// the group differently (a Loki stream label, a Jaeger tag). In YAML a
// plain string is the selector.
type Cohort struct {
	Selector  string            `yaml:"selector" json:"selector"`
	Selectors map[string]string `yaml:"selectors,omitempty" json:"selectors,omitempty"`
}

// For returns the matchers to use with the named source.
func (c Cohort) For(source string) string {
	if s, ok := c.Selectors[source]; ok {
		return s
	}
	return c.Selector
}

type cohortFields Cohort

// UnmarshalYAML accepts a selector string or a mapping.
func (c *Cohort) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&c.Selector)
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a cohort is a selector string or a mapping with selector", n.Line)
	}
	var f cohortFields
	// Strictness comes from the outer decoder's KnownFields; re-check here
	// because Decode on a node does not inherit it.
	allowed := map[string]bool{"selector": true, "selectors": true}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; !allowed[k] {
			return fmt.Errorf("line %d: field %s not found in type analysis.Cohort", n.Content[i].Line, k)
		}
	}
	if err := n.Decode(&f); err != nil {
		return err
	}
	*c = Cohort(f)
	return nil
}

// UnmarshalJSON accepts a selector string or an object.
func (c *Cohort) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = Cohort{Selector: s}
		return nil
	}
	var f cohortFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*c = Cohort(f)
	return nil
}

// Comparison is one judged pair: a treatment cohort against a reference
// (canary against baseline, a variant against control), or a target alone
// (slo: Reference is nil).
type Comparison struct {
	// Variant names the treatment: "canary", a variant's name, or "target".
	Variant   string
	Reference *Cohort
	// ReferenceName is "baseline" or "control" ("" for slo).
	ReferenceName string
	Treatment     Cohort
}

// Comparisons lists the pairs the spec judges, variants in name order.
func (s Spec) Comparisons() []Comparison {
	c := s.Cohorts
	switch s.Kind {
	case KindABN:
		names := make([]string, 0, len(c.Variants))
		for n := range c.Variants {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]Comparison, 0, len(names))
		for _, n := range names {
			out = append(out, Comparison{Variant: n, Reference: c.Control, ReferenceName: "control", Treatment: c.Variants[n]})
		}
		return out
	case KindSLO:
		if c.Target == nil {
			return nil
		}
		return []Comparison{{Variant: "target", Treatment: *c.Target}}
	default:
		if c.Canary == nil {
			return nil
		}
		return []Comparison{{Variant: "canary", Reference: c.Baseline, ReferenceName: "baseline", Treatment: *c.Canary}}
	}
}
