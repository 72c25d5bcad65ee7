package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// specError turns an error of analysis.ParseSpec on body into an answer:
//
//   - 400 when the body is not a decodable spec: a syntax error, an unknown
//     field or a value of the wrong type. Decoding errors name a line; the
//     field is recovered from the body's YAML tree (JSON is YAML);
//   - 422 when the spec decoded but failed validation, with one entry per
//     invalid field ("metrics[0].judge.type: unknown judge ...").
func specError(body []byte, err error) (int, apiError) {
	var te *yaml.TypeError
	switch {
	case errors.As(err, &te):
		return malformed(body, te.Errors)
	case errors.Unwrap(err) != nil:
		// ParseSpec wraps decoding errors ("spec: %w"); validation errors
		// are joined or bare.
		return malformed(body, []string{errors.Unwrap(err).Error()})
	}
	var fields []fieldError
	for _, leaf := range leaves(err) {
		fields = append(fields, splitField(leaf.Error())...)
	}
	return http.StatusUnprocessableEntity, apiError{Error: "invalid spec: " + summary(fields), Fields: fields}
}

// leaves flattens errors.Join trees (the validator joins the sources'
// joined errors into its own).
func leaves(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, leaves(e)...)
	}
	return out
}

// splitField parses a validation error "field.path: message". A message
// spanning several lines (a judge's joined errors) gives one entry per line.
func splitField(msg string) []fieldError {
	field := ""
	if i := strings.Index(msg, ": "); i > 0 && !strings.ContainsAny(msg[:i], " \t\n") {
		field, msg = msg[:i], msg[i+2:]
	}
	var out []fieldError
	for line := range strings.SplitSeq(msg, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, fieldError{Field: field, Message: line})
		}
	}
	return out
}

func summary(fields []fieldError) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Message
		if f.Field != "" {
			parts[i] = f.Field + ": " + f.Message
		}
	}
	return strings.Join(parts, "; ")
}

var (
	lineRE    = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownRE = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	// valueRE matches the errors of analysis.Duration and StartTime, which
	// name the value but not the line.
	valueRE = regexp.MustCompile(`^invalid (?:duration|start) ("(?:[^"\\]|\\.)*")`)
)

// malformed answers decoding errors. Each names a line ("line 4: field foo
// not found in type analysis.Spec") or the bad value; the field's path is
// found in the body's YAML tree. The error text keeps every message;
// fields lists those tied to a field.
func malformed(body []byte, msgs []string) (int, apiError) {
	var root yaml.Node
	_ = yaml.Unmarshal(body, &root) // a syntax error leaves root empty
	ps := pairs(&root, "")
	var all, fields []fieldError
	for _, msg := range msgs {
		f := fieldError{Message: strings.TrimSpace(msg)}
		if m := lineRE.FindStringSubmatch(f.Message); m != nil {
			line, _ := strconv.Atoi(m[1])
			f.Message = fmt.Sprintf("%s (line %d)", m[2], line)
			key := ""
			if u := unknownRE.FindStringSubmatch(m[2]); u != nil {
				key, f.Field = u[1], u[1]
				f.Message = fmt.Sprintf("unknown field %q (line %d)", key, line)
			}
			if p, ok := find(ps, func(p pair) bool { return p.key.Line == line && (key == "" || p.key.Value == key) }, key != ""); ok {
				f.Field = p
			}
		} else if m := valueRE.FindStringSubmatch(f.Message); m != nil {
			v, _ := strconv.Unquote(m[1])
			f.Field, _ = find(ps, func(p pair) bool { return p.value.Kind == yaml.ScalarNode && p.value.Value == v }, false)
		}
		all = append(all, f)
		if f.Field != "" {
			fields = append(fields, f)
		}
	}
	return http.StatusBadRequest, apiError{Error: "malformed spec: " + summary(all), Fields: fields}
}

// pair is a mapping entry of a YAML tree with its path as the validator
// writes paths: metrics[0].judge.type.
type pair struct {
	path       string
	key, value *yaml.Node
}

func pairs(n *yaml.Node, path string) []pair {
	var out []pair
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			out = append(out, pairs(c, path)...)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			out = append(out, pairs(c, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			out = append(out, pair{path: p, key: k, value: v})
			out = append(out, pairs(v, p)...)
		}
	}
	return out
}

// find returns the path of the pair match selects: the first one when
// first is set, otherwise only an unambiguous one.
func find(ps []pair, match func(pair) bool, first bool) (string, bool) {
	var found []string
	for _, p := range ps {
		if match(p) {
			found = append(found, p.path)
		}
	}
	if len(found) == 0 || (!first && len(found) > 1) {
		return "", false
	}
	return found[0], true
}
