package web

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/augurhq/augur/analysis"
)

// SpecProblem is a refused spec as the API answers it (400 when it could
// not be decoded, 422 when it failed validation), with the YAML line of
// each field where the spec's text shows it.
type SpecProblem struct {
	Status int
	Error  string
	Fields []SpecField
}

// SpecField is one invalid field: its path as the validator names it
// (metrics[0].judge.type), the message, and its line in the spec's text
// (0 when unknown).
type SpecField struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
}

// CheckSpec decodes and validates a spec's text as POST
// /api/v1/experiments and augur check do. A refused spec is answered by
// the problem (nil when the spec is valid).
func CheckSpec(body []byte) (analysis.Spec, *SpecProblem) {
	if len(bytes.TrimSpace(body)) == 0 {
		return analysis.Spec{}, &SpecProblem{Status: 400, Error: "empty spec: write the experiment's YAML"}
	}
	spec, err := analysis.ParseSpec(bytes.NewReader(body))
	if err == nil {
		return spec, nil
	}
	status, e := specError(body, err)
	return spec, withLines(body, status, e)
}

// SpecRefusal is the problem of a spec the manager refused (Create or
// Update); nil when err is no validation error.
func SpecRefusal(body []byte, err error) *SpecProblem {
	var invalid *analysis.ValidationError
	if !errors.As(err, &invalid) {
		return nil
	}
	var fields []fieldError
	for _, leaf := range leaves(invalid.Err) {
		fields = append(fields, splitField(leaf.Error())...)
	}
	return withLines(body, 422, apiError{Error: "invalid spec: " + summary(fields), Fields: fields})
}

// lineInMessage finds the "(line N)" the decoding errors carry.
var lineInMessage = regexp.MustCompile(`\(line (\d+)\)`)

// withLines adds each field's line: the line of its key in body, else of
// its nearest ancestor that is written there (a missing field is reported
// at the mapping it belongs in), else the line its message names.
func withLines(body []byte, status int, e apiError) *SpecProblem {
	var root yaml.Node
	_ = yaml.Unmarshal(body, &root)
	lines := map[string]int{}
	nodeLines(&root, "", lines)
	p := &SpecProblem{Status: status, Error: e.Error}
	for _, f := range e.Fields {
		sf := SpecField{Field: f.Field, Message: f.Message}
		for path := f.Field; path != "" && sf.Line == 0; path = parentPath(path) {
			sf.Line = lines[path]
		}
		if m := lineInMessage.FindStringSubmatch(f.Message); sf.Line == 0 && m != nil {
			sf.Line, _ = strconv.Atoi(m[1])
		}
		p.Fields = append(p.Fields, sf)
	}
	return p
}

// nodeLines records the line of every path in n: a mapping entry's key,
// a sequence item's first line.
func nodeLines(n *yaml.Node, path string, lines map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			nodeLines(c, path, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			lines[p] = c.Line
			nodeLines(c, p, lines)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			if _, seen := lines[p]; !seen {
				lines[p] = n.Content[i].Line
			}
			nodeLines(n.Content[i+1], p, lines)
		}
	}
}

// parentPath drops a path's last step: metrics[0].judge → metrics[0] →
// metrics → "".
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i > 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i > 0 {
		return p[:i]
	}
	return ""
}
