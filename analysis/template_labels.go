package analysis

import (
	"regexp"
	"unicode"
	"unicode/utf8"
)

// Limits on a spec's labels.
const (
	MaxSpecLabels        = 32
	MaxLabelValueBytes   = 256
	TemplateLabel        = "template"
	maxLabelNameBytesErr = 128
)

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// validateLabels checks the spec's labels: Prometheus label names, at most
// MaxSpecLabels of them, printable values of at most MaxLabelValueBytes.
func (s Spec) validateLabels(v *validator) {
	if len(s.Labels) > MaxSpecLabels {
		v.add("labels", "at most %d labels, got %d", MaxSpecLabels, len(s.Labels))
	}
	for _, k := range sortedKeys(s.Labels) {
		val := s.Labels[k]
		if len(k) > maxLabelNameBytesErr || !labelNameRE.MatchString(k) {
			v.add("labels", "label name %q must match [a-zA-Z_][a-zA-Z0-9_]* (at most %d bytes)", k, maxLabelNameBytesErr)
			continue
		}
		field := "labels." + k
		switch {
		case len(val) > MaxLabelValueBytes:
			v.add(field, "at most %d bytes, got %d", MaxLabelValueBytes, len(val))
		case !utf8.ValidString(val):
			v.add(field, "must be UTF-8")
		default:
			for _, r := range val {
				if !unicode.IsPrint(r) {
					v.add(field, "must be printable, got %q", r)
					break
				}
			}
		}
	}
}
