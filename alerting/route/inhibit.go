package route

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
	for _, r := range t.inhibit {
		if !r.target.Matches(target) {
			continue
		}
		twoSided := r.source.Matches(target)
		for _, src := range firing {
			if !r.source.Matches(src) {
				continue
			}
			if twoSided && r.target.Matches(src) {
				continue
			}
			if equalOn(r.equal, src, target) {
				return true
			}
		}
	}
	return false
}

func equalOn(names []string, a, b map[string]string) bool {
	for _, n := range names {
		if a[n] != b[n] {
			return false
		}
	}
	return true
}
