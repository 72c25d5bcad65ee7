package route

import "strings"

type inhibitRule struct {
	source, target Matchers
	equal          []string
}

// Inhibited reports whether a message with labels target is suppressed by
// one of firing (the labels of the messages firing now): some rule's
// target matchers match it and a firing message matches the rule's source
// matchers with the same values for every equal label. As in
// Alertmanager, when a message matches both sides of a rule, sources that
// also match both sides are ignored, so a message never inhibits itself or
// its peers.
func (t *Tree) Inhibited(target map[string]string, firing []map[string]string) bool {
	return t.inhibitor(firing).inhibited(target)
}

// inhibitor indexes the firing sources of each rule by their values of the
// rule's equal labels, so that a check costs a lookup, not a scan.
type inhibitor struct {
	rules []inhibitRule
	// sources[i][key] says whether rule i has a source with these equal
	// values, and whether one of them does not also match the target side.
	sources []map[string]sourceKinds
}

type sourceKinds struct{ any, oneSided bool }

func (t *Tree) inhibitor(firing []map[string]string) inhibitor {
	in := inhibitor{rules: t.inhibit, sources: make([]map[string]sourceKinds, len(t.inhibit))}
	for i, r := range t.inhibit {
		idx := map[string]sourceKinds{}
		for _, src := range firing {
			if !r.source.Matches(src) {
				continue
			}
			k := equalKey(r.equal, src)
			s := idx[k]
			s.any = true
			if !r.target.Matches(src) {
				s.oneSided = true
			}
			idx[k] = s
		}
		in.sources[i] = idx
	}
	return in
}

func (in inhibitor) inhibited(target map[string]string) bool {
	for i, r := range in.rules {
		if !r.target.Matches(target) {
			continue
		}
		s := in.sources[i][equalKey(r.equal, target)]
		if r.source.Matches(target) {
			if s.oneSided {
				return true
			}
		} else if s.any {
			return true
		}
	}
	return false
}

// equalKey joins the values of names in l; a missing label is empty.
func equalKey(names []string, l map[string]string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(l[n])
		b.WriteByte(0xff) // not valid UTF-8, so never inside a value
	}
	return b.String()
}
