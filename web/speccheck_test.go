package web

import (
	"fmt"
	"testing"
)

func TestCheckSpecLines(t *testing.T) {
	valid := "apiVersion: augur/v1\nname: x\ncohorts:\n  baseline: 'v=\"1\"'\n  canary: 'v=\"2\"'\ntiming: {interval: 1m, lifetime: 10m}\nmetrics:\n  - name: m\n    query: 'm{${cohort}}'\n    judge: {type: mannwhitney}\n"
	tests := []struct {
		name, body string
		status     int
		want       string // the fields, each field@line: message
	}{
		{"valid", valid, 0, "[]"},
		{"a field at its line", valid[:len(valid)-len("{type: mannwhitney}\n")] + "{type: coinflip}\n", 422, `[metrics[0].judge.type@10]`},
		{"a missing field at its mapping", "apiVersion: augur/v1\nname: x\ncohorts:\n  baseline: 'v=\"1\"'\ntiming: {interval: 1m, lifetime: 10m}\nmetrics:\n  - name: m\n    query: 'm{${cohort}}'\n", 422, `[cohorts.canary@3 metrics[0].judge.type@7]`},
		{"an unknown field", "apiVersion: augur/v1\nname: x\n\ncolour: red\n", 400, `[colour@4]`},
		{"empty", "  \n", 400, "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, p := CheckSpec([]byte(tt.body))
			var got []string
			status := 0
			if p != nil {
				status = p.Status
				for _, f := range p.Fields {
					got = append(got, fmt.Sprintf("%s@%d", f.Field, f.Line))
				}
			}
			if status != tt.status || (tt.want != "[]" && fmt.Sprint(got) != tt.want) || (tt.want == "[]" && len(got) != 0) {
				t.Errorf("%d %v, want %d %s (%+v)", status, got, tt.status, tt.want, p)
			}
		})
	}
}
