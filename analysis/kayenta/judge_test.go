package kayenta

import (
	"reflect"
	"strings"
	"testing"

	"github.com/augurhq/augur/analysis"
)

// TestJudge checks how analysisConfigurations.canary maps onto a metric.
func TestJudge(t *testing.T) {
	// mw is the judge with Kayenta's defaults spelt out, changed by f.
	mw := func(f func(j *analysis.JudgeSpec)) analysis.JudgeSpec {
		j := analysis.JudgeSpec{Type: analysis.JudgeMannWhitney, Direction: dirEither, EffectMeasure: measureMeanRatio,
			NaNStrategy: nanRemove, Outliers: outliersKeep, Kayenta: true, Confidence: 0.98}
		if f != nil {
			f(&j)
		}
		return j
	}
	for _, tc := range []struct {
		name                       string
		canary                     string
		want                       analysis.JudgeSpec
		critical, mustHave, dryRun bool
		warning                    []string
	}{
		{name: "nothing set: Kayenta's defaults, direction either", want: mw(nil)},
		{
			name:   "direction, NaN strategy and outliers",
			canary: `"direction":"decrease","nanStrategy":"replace","outliers":{"strategy":"remove","outlierFactor":1.5}`,
			want: mw(func(j *analysis.JudgeSpec) {
				j.Direction, j.NaNStrategy, j.Outliers, j.OutlierFactor = dirDecrease, nanReplace, outliersRemove, 1.5
			}),
		},
		{
			name:   "mean-ratio effect sizes",
			canary: `"direction":"either","effectSize":{"allowedIncrease":1.1,"allowedDecrease":0.9,"measure":"meanRatio"}`,
			want:   mw(func(j *analysis.JudgeSpec) { j.AllowedIncrease, j.AllowedDecrease = 1.1, 0.9 }),
		},
		{
			name:   "CLES effect sizes",
			canary: `"direction":"increase","effectSize":{"allowedIncrease":0.7,"measure":"cles"}`,
			want: mw(func(j *analysis.JudgeSpec) {
				j.Direction, j.EffectMeasure, j.AllowedIncrease = dirIncrease, measureCLES, 0.7
			}),
		},
		{
			name:     "critical without bounds: a critical metric that must have data",
			canary:   `"direction":"increase","critical":true`,
			want:     mw(func(j *analysis.JudgeSpec) { j.Direction = dirIncrease }),
			critical: true, mustHave: true,
		},
		{
			name:     "critical with NaNs replaced: no data passes in Kayenta",
			canary:   `"critical":true,"nanStrategy":"replace"`,
			want:     mw(func(j *analysis.JudgeSpec) { j.NaNStrategy = nanReplace }),
			critical: true,
		},
		{
			name:   "critical with an increase bound: only beyond it fails the run",
			canary: `"direction":"increase","critical":true,"effectSize":{"allowedIncrease":1.2,"criticalIncrease":2}`,
			want: mw(func(j *analysis.JudgeSpec) {
				j.Direction, j.AllowedIncrease, j.CriticalIncrease = dirIncrease, 1.2, 2
			}),
			mustHave: true, warning: []string{"critical_increase/critical_decrease"},
		},
		{
			name:   "critical either way with one bound: the other keeps Kayenta's default",
			canary: `"critical":true,"effectSize":{"allowedDecrease":0.8,"criticalDecrease":0.5}`,
			want: mw(func(j *analysis.JudgeSpec) {
				j.AllowedDecrease, j.CriticalIncrease, j.CriticalDecrease = 0.8, 1, 0.5
			}),
			mustHave: true, warning: []string{"critical_increase/critical_decrease"},
		},
		{
			name:   "critical CLES bounds",
			canary: `"direction":"either","critical":true,"effectSize":{"measure":"cles","allowedIncrease":0.6,"criticalIncrease":0.8}`,
			want: mw(func(j *analysis.JudgeSpec) {
				j.EffectMeasure, j.AllowedIncrease, j.CriticalIncrease, j.CriticalDecrease = measureCLES, 0.6, 0.8, 0.5
			}),
			mustHave: true, warning: []string{"critical_increase/critical_decrease"},
		},
		{
			name:    "critical bounds on a metric that is not critical are dropped",
			canary:  `"effectSize":{"criticalIncrease":3,"criticalDecrease":0.2}`,
			want:    mw(nil),
			warning: []string{"criticalIncrease", "critical metrics only"},
		},
		{name: "mustHaveData", canary: `"mustHaveData":true`, want: mw(nil), mustHave: true},
		{name: "muted is dry_run", canary: `"muted":true`, want: mw(nil), dryRun: true},
		{
			name:    "values Kayenta does not know fall back as Kayenta's parser does",
			canary:  `"direction":"up","nanStrategy":"zero","outliers":{"strategy":"trim"},"effectSize":{"measure":"d"}`,
			want:    mw(nil),
			warning: []string{"direction up", "reads it as either"},
		},
		{
			name:    "unknown canary fields are warnings",
			canary:  `"direction":"increase","confidence":0.95,"effectSize":{"allowedIncrease":1.1,"unit":"ratio"}`,
			want:    mw(func(j *analysis.JudgeSpec) { j.Direction, j.AllowedIncrease = dirIncrease, 1.1 }),
			warning: []string{"effectSize.unit", "ignored"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, warnings, err := Convert(config(promMetric("m", errorsPromQL, tc.canary)), withScopes("a", "b", nil))
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			assertValid(t, spec)
			m := spec.Metrics[0]
			if !reflect.DeepEqual(m.Judge, tc.want) {
				t.Errorf("judge = %+v\nwant    %+v", m.Judge, tc.want)
			}
			if m.ClusterBy != analysis.ClusterNone {
				t.Errorf("cluster_by = %q, want none: Kayenta pools every point", m.ClusterBy)
			}
			if m.Critical != tc.critical || m.MustHaveData != tc.mustHave || m.DryRun != tc.dryRun {
				t.Errorf("critical, must_have_data, dry_run = %v, %v, %v; want %v, %v, %v",
					m.Critical, m.MustHaveData, m.DryRun, tc.critical, tc.mustHave, tc.dryRun)
			}
			if tc.warning != nil {
				wantWarning(t, warnings, tc.warning...)
			} else if len(warnings) > 0 {
				t.Errorf("unexpected warnings %q", warnings)
			}
		})
	}
}

// TestJudgeInvalid: bounds augur cannot judge are reported by validation.
func TestJudgeInvalid(t *testing.T) {
	_, _, err := Convert(config(promMetric("m", errorsPromQL, `"effectSize":{"measure":"cles","allowedIncrease":0.3}`)), withScopes("a", "b", nil))
	wantError(t, err, "converted spec is invalid", "metrics[0].judge", "AllowedIncrease 0.3")
}

func TestGroups(t *testing.T) {
	metric := func(name, group, canary string) string { return promMetric(name, errorsPromQL, canary, group) }
	weights := func(w string) string { return `"classifier":{"groupWeights":{` + w + `}}` }
	for _, tc := range []struct {
		name    string
		config  []byte
		want    map[string]float64
		wantErr []string
		warning []string
	}{
		{
			name:   "weights are kept as they are",
			config: config(metric("a", "latency", "")+","+metric("b", "errors", ""), weights(`"latency":70,"errors":30`)),
			want:   map[string]float64{"latency": 70, "errors": 30},
		},
		{
			name:    "unweighted groups share the rest",
			config:  config(metric("a", "latency", "")+","+metric("b", "errors", "")+","+metric("c", "cpu", ""), weights(`"latency":60`)),
			want:    map[string]float64{"latency": 60, "errors": 20, "cpu": 20},
			warning: []string{"groupWeights.cpu", "share of the rest is 20"},
		},
		{
			name:    "an unweighted group when the weights already sum to 100",
			config:  config(metric("a", "latency", "")+","+metric("b", "errors", ""), weights(`"latency":100`)),
			wantErr: []string{`group "errors" has no weight`, "sum to 100"},
		},
		{
			name:    "a zero weight cannot be expressed",
			config:  config(metric("a", "latency", "")+","+metric("b", "errors", ""), weights(`"latency":100,"errors":0`)),
			wantErr: []string{"classifier.groupWeights.errors: weight 0"},
		},
		{
			name:    "weights of groups without metric are dropped",
			config:  config(metric("a", "latency", ""), weights(`"latency":50,"frontend":50`)),
			want:    map[string]float64{"latency": 50},
			warning: []string{"groupWeights.frontend", "dropped"},
		},
		{
			name:    "a muted metric alone in its group is skipped",
			config:  config(metric("a", "latency", "")+","+metric("b", "shadow", `"muted":true`), weights(`"latency":100`)),
			want:    map[string]float64{"latency": 100},
			warning: []string{`metric "b"`, "muted", "skipped"},
		},
		{
			name:   "no weights: every group weighs the same",
			config: config(metric("a", "latency", "") + "," + metric("b", "errors", "")),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, warnings, err := Convert(tc.config, withScopes("a", "b", nil))
			if len(tc.wantErr) > 0 {
				wantError(t, err, tc.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			assertValid(t, spec)
			if !reflect.DeepEqual(spec.GroupWeights, tc.want) {
				t.Errorf("group_weights = %v, want %v", spec.GroupWeights, tc.want)
			}
			if tc.warning != nil {
				wantWarning(t, warnings, tc.warning...)
			}
		})
	}
}

func TestMetricGroups(t *testing.T) {
	spec, warnings, err := Convert(config(promMetric("m", errorsPromQL, "", "errors", "availability")+","+
		`{"name":"n","query":{"type":"prometheus","customInlineTemplate":`+quote(errorsPromQL)+`}}`), withScopes("a", "b", nil))
	if err != nil {
		t.Fatal(err)
	}
	if spec.Metrics[0].Group != "errors" || spec.Metrics[1].Group != "" {
		t.Errorf("groups = %q, %q; want errors and none", spec.Metrics[0].Group, spec.Metrics[1].Group)
	}
	wantWarning(t, warnings, "metrics[0].groups", `kept "errors"`, `dropped "availability"`)
	if strings.Contains(strings.Join(warnings, "\n"), "metrics[1]") {
		t.Errorf("a metric without groups needs no warning: %q", warnings)
	}
}
