package analysis

import (
	"math"
	"strings"
	"testing"
)

// TestValidateFiniteNumbers: every number a spec carries must be finite
// (±Inf and NaN cannot be stored as JSON); each is refused once, naming its
// field, and a finite value in the same place is accepted.
func TestValidateFiniteNumbers(t *testing.T) {
	const canary = "apiVersion: augur/v1\nname: x\ncohorts: {baseline: 'v=\"1\"', canary: 'v=\"2\"'}\ntiming: {lifetime: 1h}\n"
	const abn = "apiVersion: augur/v1\nkind: abn\nname: x\ncohorts: {control: 'v=\"1\"', variants: {b: 'v=\"2\"'}}\ntiming: {lifetime: 1h}\n"
	mw := func(judge string) string {
		return canary + "metrics: [{name: m, query: 'x{${cohort}}', judge: {type: mannwhitney, " + judge + "}}]\n"
	}
	tests := []struct {
		name, field string
		body        string // with @V where the number goes
		finite      string // a valid value for @V
	}{
		{"weight", "metrics[0].weight", canary + "metrics: [{name: m, weight: @V, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n", "2"},
		{"group weight", "group_weights.g", canary + "group_weights: {g: @V}\nmetrics: [{name: m, group: g, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n", "3"},
		{"pass", "thresholds.pass", canary + "thresholds: {pass: @V, marginal: 50}\nmetrics: [{name: m, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n", "90"},
		{"marginal", "thresholds.marginal", canary + "thresholds: {pass: 90, marginal: @V}\nmetrics: [{name: m, query: 'x{${cohort}}', judge: {type: mannwhitney}}]\n", "50"},
		{"confidence", "metrics[0].judge.confidence", mw("confidence: @V"), "0.9"},
		{"allowed increase", "metrics[0].judge.allowed_increase", mw("allowed_increase: @V"), "1.2"},
		{"allowed decrease", "metrics[0].judge.allowed_decrease", mw("allowed_decrease: @V"), "0.8"},
		{"critical increase", "metrics[0].judge.critical_increase", mw("critical_increase: @V"), "2"},
		{"critical decrease", "metrics[0].judge.critical_decrease", mw("critical_decrease: @V"), "0.5"},
		{"outlier factor", "metrics[0].judge.outlier_factor", mw("outliers: remove, outlier_factor: @V"), "3"},
		{"lower", "metrics[0].judge.lower", canary + "metrics: [{name: m, query: 'x{${cohort}}', judge: {type: threshold, lower: @V}}]\n", "-1"},
		{"upper", "metrics[0].judge.upper", canary + "metrics: [{name: m, query: 'x{${cohort}}', judge: {type: threshold, upper: @V}}]\n", "1e9"},
		{"proportion effect size", "metrics[0].judge.allowed_increase",
			canary + "metrics: [{name: m, query: 'x{${cohort}}', total_query: 'y{${cohort}}', judge: {type: proportion, allowed_increase: @V}}]\n", "1.5"},
		{"proportion confidence", "metrics[0].judge.confidence",
			canary + "metrics: [{name: m, query: 'x{${cohort}}', total_query: 'y{${cohort}}', judge: {type: proportion, confidence: @V}}]\n", "0.95"},
		{"alpha", "metrics[0].judge.alpha", abn + "metrics: [{name: m, primary: true, query: 'x{${cohort}}', judge: {type: sequential, alpha: @V}}]\n", "0.01"},
		{"tau2", "metrics[0].judge.tau2", abn + "metrics: [{name: m, primary: true, query: 'x{${cohort}}', judge: {type: sequential, tau2: @V}}]\n", "0.25"},
		{"srm split", "srm.split.b", abn + "srm: {query: 'r{${cohort}}', split: {control: 1, b: @V}}\nmetrics: [{name: m, primary: true, query: 'x{${cohort}}', judge: {type: sequential}}]\n", "1"},
		{"srm p-value", "srm.p_value", abn + "srm: {query: 'r{${cohort}}', split: {control: 1, b: 1}, p_value: @V}\nmetrics: [{name: m, primary: true, query: 'x{${cohort}}', judge: {type: sequential}}]\n", "0.01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseSpec(strings.NewReader(strings.Replace(tt.body, "@V", tt.finite, 1))); err != nil {
				t.Fatalf("finite %s refused: %v", tt.finite, err)
			}
			for _, bad := range []struct{ yaml, shown string }{{".inf", "+Inf"}, {"-.inf", "-Inf"}, {".nan", "NaN"}} {
				_, err := ParseSpec(strings.NewReader(strings.Replace(tt.body, "@V", bad.yaml, 1)))
				want := tt.field + ": must be a finite number, got " + bad.shown
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s: got %v, want %q", bad.yaml, err, want)
					continue
				}
				if n := strings.Count(err.Error(), tt.field); n != 1 {
					t.Errorf("%s: %s named %d times: %v", bad.yaml, tt.field, n, err)
				}
			}
		})
	}
}

func TestValidatorFinite(t *testing.T) {
	for _, x := range []float64{0, -1, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		if v := (&validator{}); !v.finite("f", x) || len(v.errs) != 0 {
			t.Errorf("%g: refused", x)
		}
	}
}
