package analysis

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Limits on template names, arguments and instance keys.
const (
	MaxTemplateNameBytes = 63
	MaxArgValueBytes     = 1024
	MaxInstanceKeyBytes  = 256
	MaxTemplateArgs      = 64
)

var (
	templateNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	argNameRE      = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_-]*$`)
	// placeholderRE matches a well-formed placeholder; anything else that
	// starts with ArgsPlaceholderPrefix is malformed.
	placeholderRE = regexp.MustCompile(`\$\{args\.([a-zA-Z_][a-zA-Z0-9_-]*)\}`)
)

// FlaggerWebhookTypes are the webhook types Flagger calls.
var FlaggerWebhookTypes = []string{
	"confirm-rollout", "pre-rollout", "rollout", "confirm-traffic-increase",
	"confirm-promotion", "post-rollout", "rollback", "event",
}

// DefaultFlaggerWebhook is the webhook type a template assumes by default.
const DefaultFlaggerWebhook = "rollout"

// sampleArgValue, a dash and the argument's name stand in for an argument
// without a default when a template is checked before it is stored
// (distinct per argument, so that two cohorts selected by two of them
// differ).
const sampleArgValue = "sample"

// SetDefaults fills on_error (inconclusive) and flagger (rollout).
func (t *Template) SetDefaults() {
	if t.OnError == "" {
		t.OnError = OnErrorInconclusive
	}
	if t.Flagger == "" {
		t.Flagger = DefaultFlaggerWebhook
	}
}

// validateShape checks everything of a template but whether its spec is
// valid once instantiated: one error per invalid field.
func (t Template) validateShape() []error {
	var errs []error
	add := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...)))
	}
	switch {
	case t.Name == "":
		add("name", "must not be empty")
	case len(t.Name) > MaxTemplateNameBytes || !templateNameRE.MatchString(t.Name):
		add("name", "must be at most %d lowercase letters, digits and '-', starting and ending with a letter or digit, got %q", MaxTemplateNameBytes, t.Name)
	}
	if len(t.Args) > MaxTemplateArgs {
		add("args", "at most %d arguments, got %d", MaxTemplateArgs, len(t.Args))
	}
	seen := map[string]bool{}
	for i, a := range t.Args {
		field := fmt.Sprintf("args[%d]", i)
		switch {
		case !argNameRE.MatchString(a.Name):
			add(field+".name", "must match [a-zA-Z_][a-zA-Z0-9_-]*, got %q", a.Name)
		case seen[a.Name]:
			add(field+".name", "%q is declared twice", a.Name)
		}
		seen[a.Name] = true
		if a.Default != nil {
			if err := checkArgValue(*a.Default); err != nil {
				add(field+".default", "%v", err)
			}
		}
	}
	switch t.OnError {
	case OnErrorInconclusive, OnErrorError:
	default:
		add("on_error", "must be %s or %s, got %q", OnErrorInconclusive, OnErrorError, t.OnError)
	}
	if !slices.Contains(FlaggerWebhookTypes, t.Flagger) {
		add("flagger", "must be one of %s, got %q", strings.Join(FlaggerWebhookTypes, ", "), t.Flagger)
	}
	if strings.TrimSpace(t.Spec) == "" {
		add("spec", "must not be empty")
		return errs
	}
	used, bad := placeholders(t.Spec)
	for _, p := range bad {
		add("spec", "malformed placeholder %q: want ${args.NAME}", p)
	}
	for _, name := range used {
		if !seen[name] {
			add("spec", "${args.%s} is not declared in args (declared: %s)", name, declared(t.Args))
		}
	}
	return errs
}

// placeholders returns the argument names the text's placeholders use,
// sorted, and the malformed placeholders.
func placeholders(text string) (names, malformed []string) {
	set := map[string]bool{}
	for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
		set[m[1]] = true
	}
	rest := placeholderRE.ReplaceAllString(text, "")
	for i := strings.Index(rest, ArgsPlaceholderPrefix); i >= 0; i = strings.Index(rest, ArgsPlaceholderPrefix) {
		end := min(len(rest), i+len(ArgsPlaceholderPrefix)+20)
		if j := strings.IndexAny(rest[i:end], "}\n"); j >= 0 {
			end = i + j + 1
		}
		malformed = append(malformed, strings.TrimSpace(rest[i:end]))
		rest = rest[i+len(ArgsPlaceholderPrefix):]
	}
	return slices.Sorted(maps.Keys(set)), malformed
}

func declared(args []TemplateArg) string {
	if len(args) == 0 {
		return "none"
	}
	names := make([]string, len(args))
	for i, a := range args {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}

// checkArgValue refuses values that are too long or hold control
// characters.
func checkArgValue(v string) error {
	if len(v) > MaxArgValueBytes {
		return fmt.Errorf("at most %d bytes, got %d", MaxArgValueBytes, len(v))
	}
	if !utf8.ValidString(v) {
		return errors.New("must be UTF-8")
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("must not contain control characters, got %q", r)
		}
	}
	return nil
}

// CheckInstanceKey refuses an empty, overlong or unprintable key.
func CheckInstanceKey(key string) error {
	switch {
	case key == "":
		return errors.New("key: must not be empty")
	case len(key) > MaxInstanceKeyBytes:
		return fmt.Errorf("key: at most %d bytes, got %d", MaxInstanceKeyBytes, len(key))
	case !utf8.ValidString(key):
		return errors.New("key: must be UTF-8")
	}
	for _, r := range key {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("key: must be printable, got %q", r)
		}
	}
	return nil
}

// resolveArgs returns the value of every declared argument: given, else
// its default. It names each missing required and each undeclared one.
func (t Template) resolveArgs(given map[string]string) (map[string]string, error) {
	var errs []error
	decl := map[string]bool{}
	out := map[string]string{}
	for _, a := range t.Args {
		decl[a.Name] = true
		if v, ok := given[a.Name]; ok {
			out[a.Name] = v
		} else if a.Default != nil {
			out[a.Name] = *a.Default
		} else if a.Required {
			errs = append(errs, fmt.Errorf("args.%s: required by template %s and not given", a.Name, t.Name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if !decl[name] {
			errs = append(errs, fmt.Errorf("args.%s: template %s declares no such argument (declared: %s)", name, t.Name, declared(t.Args)))
			continue
		}
		if err := checkArgValue(given[name]); err != nil {
			errs = append(errs, fmt.Errorf("args.%s: %w", name, err))
		}
	}
	return out, errors.Join(errs...)
}

// instantiate substitutes args into the template's spec and parses it.
// Substitution happens in the parsed YAML tree, scalar by scalar, so an
// argument's value can never add keys or structure: a plain scalar that
// was exactly one placeholder takes the value's YAML type (count: 3), any
// other scalar stays a string. An argument without a value becomes "".
func (t Template) instantiate(args map[string]string) (Spec, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(t.Spec), &doc); err != nil {
		return Spec{}, fmt.Errorf("spec: %w", err)
	}
	substitute(&doc, args)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(&doc); err != nil {
		return Spec{}, fmt.Errorf("spec: %w", err)
	}
	if err := enc.Close(); err != nil {
		return Spec{}, fmt.Errorf("spec: %w", err)
	}
	text := buf.Bytes()
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fieldErrors(text, err)
	}
	return s, nil
}

// fieldErrors turns the decoder's "line N: ..." errors about the
// substituted text into errors naming the field (thresholds.pass: ...),
// since the line numbers are not the template's.
func fieldErrors(text []byte, err error) error {
	var te *yaml.TypeError
	var doc yaml.Node
	if !errors.As(err, &te) || yaml.Unmarshal(text, &doc) != nil || len(doc.Content) == 0 {
		return fmt.Errorf("spec: %w", err)
	}
	paths := map[int]string{}
	nodePaths(doc.Content[0], "", paths)
	var errs []error
	for _, msg := range te.Errors {
		var line int
		if _, serr := fmt.Sscanf(msg, "line %d:", &line); serr == nil && paths[line] != "" {
			_, rest, _ := strings.Cut(msg, ": ")
			errs = append(errs, fmt.Errorf("%s: %s", paths[line], rest))
			continue
		}
		errs = append(errs, fmt.Errorf("spec: %s", msg))
	}
	return errors.Join(errs...)
}

// nodePaths records the field path of each line's first scalar value.
func nodePaths(n *yaml.Node, path string, out map[int]string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			nodePaths(n.Content[i+1], p, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			nodePaths(c, fmt.Sprintf("%s[%d]", path, i), out)
		}
	case yaml.ScalarNode:
		if _, ok := out[n.Line]; !ok && path != "" {
			out[n.Line] = path
		}
	}
}

func substitute(n *yaml.Node, args map[string]string) {
	if n.Kind == yaml.ScalarNode {
		if !strings.Contains(n.Value, ArgsPlaceholderPrefix) {
			return
		}
		if m := placeholderRE.FindStringSubmatch(n.Value); m != nil && m[0] == n.Value && n.Style == 0 {
			n.Value, n.Tag = args[m[1]], "" // re-resolved: a number stays a number
			return
		}
		n.Value = placeholderRE.ReplaceAllStringFunc(n.Value, func(p string) string {
			return args[placeholderRE.FindStringSubmatch(p)[1]]
		})
		n.Tag = "!!str"
		return
	}
	for _, c := range n.Content {
		substitute(c, args)
	}
}

// nodeArgs returns the arguments whose placeholders appear under the node
// that a validation error's field path (metrics[0].query) names in the
// template's spec.
func (t Template) nodeArgs(field string) []string {
	var doc yaml.Node
	if yaml.Unmarshal([]byte(t.Spec), &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	n := doc.Content[0]
	for _, part := range strings.Split(field, ".") {
		key, idx, _ := strings.Cut(part, "[")
		if key != "" {
			n = mappingValue(n, key)
		}
		for idx != "" && n != nil {
			var i int
			if _, err := fmt.Sscanf(idx, "%d]", &i); err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
				n = nil
				break
			}
			n = n.Content[i]
			_, idx, _ = strings.Cut(idx, "[")
		}
		if n == nil {
			return nil
		}
	}
	var buf bytes.Buffer
	if yaml.NewEncoder(&buf).Encode(n) != nil {
		return nil
	}
	names, _ := placeholders(buf.String())
	return names
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
