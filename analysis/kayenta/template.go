package kayenta

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/augurhq/augur/analysis"
)

// variableName is what a plain FreeMarker interpolation ${name} holds.
var variableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// sentinel marks a scope variable in expanded text; NUL never occurs in a
// query, so a sentinel cannot be confused with anything the user wrote.
const sentinel = "\x00"

// scopeValues are the template variables of the two cohorts.
type scopeValues struct {
	baseline, canary map[string]string
	// explicit: baseline and canary selectors were given, so a variable
	// without a value stands for the cohort like one whose values differ.
	explicit bool
	// unbound, when not empty, is the value of a variable no scope gives
	// other than ${scope}, which stays the cohort's (see Options.Unbound).
	unbound string
}

// expanded is a template with constant variables substituted and scope
// variables replaced by sentinels (NUL, index, NUL) into names.
type expanded struct {
	text  string
	names []string
}

// expand substitutes the template's variables: a variable with the same
// value in both cohorts is a constant; one whose values differ (or, with
// explicit selectors, that has none) is a scope variable.
func expand(tmpl string, vals scopeValues) (expanded, error) {
	tmpl = strings.ReplaceAll(tmpl, `$\{`, "${") // Kayenta stores templates escaped
	if strings.Contains(tmpl, sentinel) {
		return expanded{}, errors.New("the template contains a NUL character")
	}
	for _, d := range []string{"<#", "</#", "<@", "#{"} {
		if strings.Contains(tmpl, d) {
			return expanded{}, fmt.Errorf("FreeMarker directive %q: only plain ${variable} interpolations import", d)
		}
	}
	var b strings.Builder
	var e expanded
	index := map[string]int{}
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			return expanded{}, fmt.Errorf("unterminated interpolation %q", tmpl[i:])
		}
		name := tmpl[i+2 : i+j]
		if !variableName.MatchString(name) {
			return expanded{}, fmt.Errorf("template expression ${%s}: only plain ${variable} interpolations import", name)
		}
		b.WriteString(tmpl[:i])
		tmpl = tmpl[i+j+1:]
		v, scoped, err := vals.classify(name)
		if err != nil {
			return expanded{}, err
		}
		if !scoped {
			b.WriteString(v)
			continue
		}
		k, ok := index[name]
		if !ok {
			k = len(e.names)
			index[name] = k
			e.names = append(e.names, name)
		}
		b.WriteString(sentinel + strconv.Itoa(k) + sentinel)
	}
	e.text = b.String()
	return e, nil
}

// classify returns a constant variable's value, or says it is a scope one.
func (v scopeValues) classify(name string) (value string, scoped bool, err error) {
	b, okB := v.baseline[name]
	c, okC := v.canary[name]
	switch {
	case !okB && !okC && v.unbound != "" && name != "scope":
		return v.unbound, false, nil
	case okB && okC && b == c:
		return b, false, nil
	case okB && okC, v.explicit:
		return "", true, nil
	case okB:
		return "", false, fmt.Errorf("${%s} has a value in the control scope only", name)
	case okC:
		return "", false, fmt.Errorf("${%s} has a value in the experiment scope only", name)
	}
	return "", false, fmt.Errorf("${%s} has no value: give scopes (scope, location, extendedScopeParams) or baseline and canary selectors", name)
}

// restore writes scope variables back as ${name}.
func (e expanded) restore(s string) string {
	for k, name := range e.names {
		s = strings.ReplaceAll(s, sentinel+strconv.Itoa(k)+sentinel, "${"+name+"}")
	}
	return s
}

// leftover names a scope variable still in s, if any.
func (e expanded) leftover(s string) error {
	for k, name := range e.names {
		if strings.Contains(s, sentinel+strconv.Itoa(k)+sentinel) {
			return fmt.Errorf("${%s} differs between the cohorts but is used outside a label matcher's value; only a label matcher can become %s", name, analysis.CohortPlaceholder)
		}
	}
	return nil
}

// rewriteQuery replaces the scope matchers of every selector of a PromQL
// query by ${cohort}. It returns the query and, per selector that had any,
// the removed matchers (with ${name} for scope variables).
func (e expanded) rewriteQuery() (string, [][]string, error) {
	s := e.text
	var out strings.Builder
	var removed [][]string
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '"', '\'', '`':
			j, err := stringEnd(s, i)
			if err != nil {
				return "", nil, err
			}
			out.WriteString(s[i:j])
			i = j
		case '#':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				j = len(s) - i
			}
			out.WriteString(s[i : i+j])
			i += j
		case '{':
			end, err := selectorEnd(s, i)
			if err != nil {
				return "", nil, err
			}
			body, rm, err := e.rewriteBody(s[i+1 : end])
			if err != nil {
				return "", nil, err
			}
			out.WriteString("{" + body + "}")
			if len(rm) > 0 {
				removed = append(removed, rm)
			}
			i = end + 1
		default:
			out.WriteByte(c)
			i++
		}
	}
	q := out.String()
	if err := e.leftover(q); err != nil {
		return "", nil, err
	}
	return q, removed, nil
}

// rewriteBody removes the scope matchers of one selector body (between
// the braces) and appends ${cohort} when it removed any.
func (e expanded) rewriteBody(body string) (string, []string, error) {
	parts, err := splitMatchers(body)
	if err != nil {
		return "", nil, err
	}
	var kept, removed []string
	for _, p := range parts {
		m := strings.TrimSpace(p)
		if !strings.Contains(m, sentinel) {
			kept = append(kept, m)
			continue
		}
		if err := checkMatcher(m); err != nil {
			return "", nil, fmt.Errorf("%s: %w", e.restore(m), err)
		}
		removed = append(removed, e.restore(m))
	}
	if len(removed) == 0 {
		return body, nil, nil
	}
	kept = append(kept, analysis.CohortPlaceholder)
	nonEmpty := kept[:0]
	for _, m := range kept {
		if m != "" {
			nonEmpty = append(nonEmpty, m)
		}
	}
	return strings.Join(nonEmpty, ","), removed, nil
}

// checkMatcher accepts name op "value" with scope variables in the value
// only.
func checkMatcher(m string) error {
	op := strings.IndexAny(m, "=!")
	if op <= 0 {
		return errors.New("not a label matcher (name, operator, quoted value)")
	}
	name, rest := strings.TrimSpace(m[:op]), m[op:]
	if strings.Contains(name, sentinel) {
		return errors.New("a scope variable in a label name cannot become a cohort matcher")
	}
	for _, o := range []string{"=~", "!~", "!=", "="} {
		if strings.HasPrefix(rest, o) {
			rest = strings.TrimSpace(rest[len(o):])
			break
		}
	}
	if rest == "" || !strings.ContainsRune("\"'`", rune(rest[0])) {
		return errors.New("the value must be a quoted string")
	}
	if end, err := stringEnd(rest, 0); err != nil || end != len(rest) {
		return errors.New("the value must be one quoted string")
	}
	return nil
}

// splitMatchers splits a selector body at commas outside strings.
func splitMatchers(body string) ([]string, error) {
	var parts []string
	start := 0
	for i := 0; i < len(body); {
		switch body[i] {
		case '"', '\'', '`':
			j, err := stringEnd(body, i)
			if err != nil {
				return nil, err
			}
			i = j
		case ',':
			parts = append(parts, body[start:i])
			i++
			start = i
		default:
			i++
		}
	}
	return append(parts, body[start:]), nil
}

// stringEnd returns the index after the string literal opening at i.
func stringEnd(s string, i int) (int, error) {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && q != '`':
			j++
		case s[j] == q:
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated string %s", s[i:])
}

// selectorEnd returns the index of the brace closing the one at i.
func selectorEnd(s string, i int) (int, error) {
	for j := i + 1; j < len(s); {
		switch s[j] {
		case '"', '\'', '`':
			k, err := stringEnd(s, j)
			if err != nil {
				return 0, err
			}
			j = k
		case '}':
			return j, nil
		case '{':
			return 0, fmt.Errorf("unexpected { inside the selector at %q", s[i:])
		default:
			j++
		}
	}
	return 0, fmt.Errorf("unclosed selector %q", s[i:])
}
