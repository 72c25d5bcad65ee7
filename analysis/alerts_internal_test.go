package analysis

import "testing"

// TestAlertMatch: sets are ORed, the matchers of a set ANDed, regular
// expressions anchored (as Alertmanager's are), and a missing label is
// the empty value.
func TestAlertMatch(t *testing.T) {
	sets := []string{`service="checkout"`, `{severity=~"critical|page", team="pay"}`, `{env!="dev", alertname="CanaryDown"}`}
	tests := []struct {
		name   string
		labels map[string]string
		want   string
	}{
		{"first set", map[string]string{"alertname": "HighErrorRate", "service": "checkout"}, sets[0]},
		{"second set, both matchers", map[string]string{"severity": "page", "team": "pay"}, sets[1]},
		{"second set, one matcher only", map[string]string{"severity": "page", "team": "search"}, ""},
		{"regex anchored", map[string]string{"severity": "critical-ish", "team": "pay"}, ""},
		{"value is a prefix only", map[string]string{"service": "checkout-v2"}, ""},
		{"missing label matches !=", map[string]string{"alertname": "CanaryDown"}, sets[2]},
		{"!= excludes", map[string]string{"alertname": "CanaryDown", "env": "dev"}, ""},
		{"no labels", map[string]string{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := alertMatch(sets, tt.labels)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("alertMatch = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

func TestFiringAlertString(t *testing.T) {
	a := FiringAlert{Labels: map[string]string{"alertname": "HighErrorRate", "service": "checkout", "severity": "page"}}
	if got, want := a.String(), `HighErrorRate{service="checkout", severity="page"}`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}
