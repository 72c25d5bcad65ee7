package collector

import "strings"

// idPlaceholder replaces an identifier in a normalized span name.
const idPlaceholder = "{id}"

// normalizeSpanName bounds the span names instrumentation builds from raw
// paths and arguments: a query string or fragment is dropped from a path
// (a word starting with / or holding ://), and every token that is
// obviously an identifier becomes {id}, so GET /users/12345/orders/9f1c3a7b2e
// is grouped as GET /users/{id}/orders/{id}. Tokens are runs of ASCII
// letters, digits, - and _. An identifier has a digit: a UUID, a decimal
// number of two digits or more, a run of eight or more hex digits, or a long
// mix of letters and digits (at least eight characters with two digits and
// three changes between letters and digits, or sixteen with four digits).
// A token that is not one as a whole has its parts between - and _ looked
// at one by one (order-12345 becomes order-{id}). Names without a digit, a
// ? or a # are returned as they are, without allocating.
func normalizeSpanName(name string) string {
	s := stripQuery(name)
	if !strings.ContainsAny(s, "0123456789") {
		return s
	}
	var out []byte // nil until a token changes
	for i := 0; i < len(s); {
		if !isTokenByte(s[i]) {
			if out != nil {
				out = append(out, s[i])
			}
			i++
			continue
		}
		j := i
		for j < len(s) && isTokenByte(s[j]) {
			j++
		}
		tok := s[i:j]
		if rep, ok := normalizeToken(tok); ok {
			if out == nil {
				out = append(make([]byte, 0, len(s)), s[:i]...)
			}
			out = append(out, rep...)
		} else if out != nil {
			out = append(out, tok...)
		}
		i = j
	}
	if out == nil {
		return s
	}
	return string(out)
}

// stripQuery drops the query string and fragment of the paths and URLs in
// a span name.
func stripQuery(s string) string {
	if !strings.ContainsAny(s, "?#") {
		return s
	}
	words := strings.Split(s, " ")
	changed := false
	for i, w := range words {
		if k := strings.IndexAny(w, "?#"); k > 0 && (w[0] == '/' || strings.Contains(w[:k], "://")) {
			words[i], changed = w[:k], true
		}
	}
	if !changed {
		return s
	}
	return strings.Join(words, " ")
}

func isTokenByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}

// normalizeToken returns tok with its identifiers replaced, and whether
// anything was.
func normalizeToken(tok string) (string, bool) {
	if isUUID(tok) || isID(tok) {
		return idPlaceholder, true
	}
	if !strings.ContainsAny(tok, "-_") {
		return tok, false
	}
	var b strings.Builder
	changed := false
	start := 0
	for i := 0; i <= len(tok); i++ {
		if i < len(tok) && tok[i] != '-' && tok[i] != '_' {
			continue
		}
		if part := tok[start:i]; part != "" && isID(part) {
			b.WriteString(idPlaceholder)
			changed = true
		} else {
			b.WriteString(part)
		}
		if i < len(tok) {
			b.WriteByte(tok[i])
		}
		start = i + 1
	}
	return b.String(), changed
}

// isID says whether a token (its - and _ ignored) is an identifier.
func isID(tok string) bool {
	n, digits, letters, changes := 0, 0, 0, 0
	hex := true
	prevDigit, first := false, true
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c == '-' || c == '_' {
			continue
		}
		n++
		digit := c >= '0' && c <= '9'
		if digit {
			digits++
		} else {
			letters++
			if !(c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				hex = false
			}
		}
		if !first && digit != prevDigit {
			changes++
		}
		prevDigit, first = digit, false
	}
	switch {
	case digits == 0:
		return false
	case letters == 0:
		return n >= 2
	case hex && n >= 8:
		return true
	case n >= 8 && digits >= 2 && changes >= 3:
		return true
	default:
		return n >= 16 && digits >= 4
	}
}

// isUUID says whether s is a UUID in its 8-4-4-4-12 hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
