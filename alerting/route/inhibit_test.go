package route

import "testing"

func TestInhibited(t *testing.T) {
	tree := mustBuild(t, `
inhibit_rules:
- source_matchers: [verdict="fail"]
  target_matchers: [verdict="marginal"]
  equal: [experiment_id]
- source_matchers: [severity="critical"]
  target_matchers: [severity=~"critical|warning"]
  equal: [service]
`)
	l := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		target map[string]string
		firing []map[string]string
		want   bool
	}{
		{"fail silences the marginal of its experiment", l("verdict", "marginal", "experiment_id", "e1"), []map[string]string{l("verdict", "fail", "experiment_id", "e1")}, true},
		{"not of another experiment", l("verdict", "marginal", "experiment_id", "e1"), []map[string]string{l("verdict", "fail", "experiment_id", "e2")}, false},
		{"nothing firing", l("verdict", "marginal", "experiment_id", "e1"), nil, false},
		{"target side does not match", l("verdict", "inconclusive", "experiment_id", "e1"), []map[string]string{l("verdict", "fail", "experiment_id", "e1")}, false},
		// A label both lack is equal (Alertmanager's inhibit.go compares
		// values, and a missing label's value is empty).
		{"equal label missing on both", l("severity", "warning"), []map[string]string{l("severity", "critical")}, true},
		{"equal label missing on one", l("severity", "warning", "service", "a"), []map[string]string{l("severity", "critical")}, false},
		// severity="critical" matches both sides of the second rule: a
		// critical message is not inhibited by another critical one (nor
		// by itself), only the warning is.
		{"two-sided match does not inhibit its peers", l("severity", "critical", "service", "a"), []map[string]string{l("severity", "critical", "service", "a")}, false},
		{"two-sided source still inhibits a one-sided target", l("severity", "warning", "service", "a"), []map[string]string{l("severity", "critical", "service", "a")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tree.Inhibited(tt.target, tt.firing); got != tt.want {
				t.Errorf("Inhibited = %v, want %v", got, tt.want)
			}
		})
	}
}
