package route

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
)

// Matchers is a conjunction of label matchers; a label a message lacks has
// the empty value, as in Alertmanager.
type Matchers []*labels.Matcher

// Matches reports whether lset satisfies every matcher.
func (ms Matchers) Matches(lset map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(lset[m.Name]) {
			return false
		}
	}
	return true
}

// String renders the matchers as {a="b",c=~"d"}.
func (ms Matchers) String() string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// ParseMatchers reads one entry of a matchers list in Alertmanager's
// syntax: a="b", a!="b", a=~"re", a!~"re", several separated by commas,
// optionally inside braces ({a="b", c!="d"}). Values are double-quoted
// (with Go escapes) or bare; regexes are anchored at both ends.
func ParseMatchers(s string) (Matchers, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		if !strings.HasSuffix(s, "}") {
			return nil, errors.New("missing closing '}'")
		}
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if s == "" {
		return nil, errors.New("no matcher")
	}
	var ms Matchers
	for s != "" {
		m, rest, err := parseMatcher(s)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
		rest = strings.TrimSpace(rest)
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return nil, fmt.Errorf("unexpected %q after %s", rest, m)
		}
		s = strings.TrimSpace(rest[1:])
		if s == "" {
			return nil, errors.New("trailing ','")
		}
	}
	return ms, nil
}

// parseMatcher reads one matcher from the front of s and returns the rest.
func parseMatcher(s string) (*labels.Matcher, string, error) {
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || i > 0 && s[i] >= '0' && s[i] <= '9') {
		i++
	}
	name := s[:i]
	if name == "" {
		return nil, "", fmt.Errorf("expected a label name at %q", s)
	}
	s = strings.TrimLeft(s[i:], " \t")
	var typ labels.MatchType
	switch {
	case strings.HasPrefix(s, "=~"):
		typ, s = labels.MatchRegexp, s[2:]
	case strings.HasPrefix(s, "!~"):
		typ, s = labels.MatchNotRegexp, s[2:]
	case strings.HasPrefix(s, "!="):
		typ, s = labels.MatchNotEqual, s[2:]
	case strings.HasPrefix(s, "="):
		typ, s = labels.MatchEqual, s[1:]
	default:
		return nil, "", fmt.Errorf("expected one of =, !=, =~, !~ after %q", name)
	}
	s = strings.TrimLeft(s, " \t")
	var value, rest string
	if strings.HasPrefix(s, `"`) {
		end := 1
		for end < len(s) && s[end] != '"' {
			if s[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(s) {
			return nil, "", fmt.Errorf("unterminated quoted value for %q", name)
		}
		v, err := strconv.Unquote(s[:end+1])
		if err != nil {
			return nil, "", fmt.Errorf("bad quoted value for %q: %w", name, err)
		}
		value, rest = v, s[end+1:]
	} else {
		end := strings.IndexAny(s, ",")
		if end < 0 {
			end = len(s)
		}
		value, rest = strings.TrimSpace(s[:end]), s[end:]
		if strings.ContainsAny(value, `"{}`) {
			return nil, "", fmt.Errorf("bad unquoted value %q for %q (quote it)", value, name)
		}
	}
	m, err := labels.NewMatcher(typ, name, value)
	if err != nil {
		return nil, "", fmt.Errorf("bad regex for %q: %w", name, err)
	}
	return m, rest, nil
}

// parseMatcherList parses every entry of a matchers list, sorted by label
// name so that equal lists render equally.
func parseMatcherList(list []string) (Matchers, error) {
	var all Matchers
	for _, s := range list {
		ms, err := ParseMatchers(s)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", s, err)
		}
		all = append(all, ms...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all, nil
}
