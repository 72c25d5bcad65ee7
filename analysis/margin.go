package analysis

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Margin is a non-inferiority margin: a relative worsening ("5%", or a
// plain number 0.05) or, for rates, an absolute one in percentage points
// ("0.1pp").
type Margin struct {
	// Value is a fraction: 0.05 is 5 % (relative) or 5 pp (absolute).
	Value float64
	// Absolute: Value is a difference of rates, not a ratio.
	Absolute bool
}

// String writes the margin as it is read: "5%" or "0.1pp".
func (m Margin) String() string {
	if m.Absolute {
		return strconv.FormatFloat(100*m.Value, 'g', -1, 64) + "pp"
	}
	return strconv.FormatFloat(100*m.Value, 'g', -1, 64) + "%"
}

// ParseMargin reads "5%", "0.1pp" or a plain fraction "0.05".
func ParseMargin(s string) (Margin, error) {
	t := strings.TrimSpace(s)
	var m Margin
	scale := 1.0
	switch {
	case strings.HasSuffix(t, "pp"):
		t, m.Absolute, scale = strings.TrimSuffix(t, "pp"), true, 0.01
	case strings.HasSuffix(t, "%"):
		t, scale = strings.TrimSuffix(t, "%"), 0.01
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return Margin{}, fmt.Errorf("margin %q: want a relative margin like 5%% (or 0.05) or an absolute one like 0.1pp", s)
	}
	if v < 0 {
		return Margin{}, fmt.Errorf("margin %q: must not be negative", s)
	}
	m.Value = v * scale
	return m, nil
}

// UnmarshalYAML reads a number or a string.
func (m *Margin) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a margin is a number or a string like 5%% or 0.1pp", n.Line)
	}
	v, err := ParseMargin(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*m = v
	return nil
}

// MarshalYAML writes the string form.
func (m Margin) MarshalYAML() (any, error) { return m.String(), nil }

// UnmarshalJSON reads a number or a string.
func (m *Margin) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("a margin is a number or a string like 5%% or 0.1pp")
		}
		s = strconv.FormatFloat(f, 'g', -1, 64)
	}
	v, err := ParseMargin(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// MarshalJSON writes the string form.
func (m Margin) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }
