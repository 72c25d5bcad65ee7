package analysis

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// templateDoc is a template as users write it: spec is either the spec's
// text or the spec itself (a mapping).
type templateDoc struct {
	Name        string        `yaml:"name"`
	Description string        `yaml:"description"`
	Args        []TemplateArg `yaml:"args"`
	OnError     string        `yaml:"on_error"`
	Flagger     string        `yaml:"flagger"`
	Spec        yaml.Node     `yaml:"spec"`
}

// ParseTemplate reads a template in YAML or JSON, strictly (an unknown
// field is an error naming it). Its spec may be given as text or inline
// as a mapping; it is kept as text either way. It does not validate.
func ParseTemplate(r io.Reader) (Template, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return Template{}, fmt.Errorf("read template: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return Template{}, errors.New("template: empty body")
	}
	var doc templateDoc
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return Template{}, fmt.Errorf("template: %w", err)
	}
	t := Template{Name: doc.Name, Description: doc.Description, Args: doc.Args, OnError: doc.OnError, Flagger: doc.Flagger}
	switch n := &doc.Spec; {
	case n.Kind == 0:
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		t.Spec = n.Value
	case n.Kind == yaml.MappingNode:
		blockStyle(n)
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(n); err != nil {
			return Template{}, fmt.Errorf("template: spec: %w", err)
		}
		_ = enc.Close()
		t.Spec = buf.String()
	default:
		return Template{}, fmt.Errorf("template: spec (line %d): want the spec as a mapping or as text", n.Line)
	}
	return t, nil
}

// blockStyle writes mappings and sequences in block style and keys
// unquoted where YAML allows (a JSON body's spec reads as YAML when
// stored); values keep their quoting, and so their type.
func blockStyle(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style &^= yaml.FlowStyle
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.ShortTag() == "!!str" {
				k.Style &^= yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle
			}
		}
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}
