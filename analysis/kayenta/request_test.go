package kayenta

import (
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
)

// body builds an import request around the checkout fixture.
func body(t *testing.T, fields string) string {
	return `{"canaryConfig":` + string(fixture(t, "checkout-promql")) + `,` + fields + `}`
}

func TestImportRequest(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		wantErr []string
		check   func(t *testing.T, s analysis.Spec, warnings []string)
	}{
		{
			name: "unknown request fields are errors",
			body: body(t, `"source":"prom","thresholds":{"pass":90,"marginal":70},"scopes":{"default":{
				"controlScope":{"scope":"checkout-7d9f","region":"eu-west-1","step":60,"start":"2024-05-01T12:00:00Z","end":"2024-05-01T12:30:00Z"},
				"experimentScope":{"scope":"checkout-5c4b","region":"eu-west-1","step":60,"start":"2024-05-01T12:00:00Z","end":"2024-05-01T12:30:00Z"}}},
				"canaryConfig_note_is_not_a_field":null`),
			wantErr: []string{"unknown field", "canaryConfig_note_is_not_a_field"},
		},
		{
			// The scopes and thresholds of Argo Rollouts' kayenta provider:
			// region for location, integer thresholds, step in seconds.
			name: "Argo Rollouts scopes with an extended param",
			body: body(t, `"source":"prom","thresholds":{"pass":90,"marginal":70},"scopes":{"default":{
				"controlScope":{"scope":"checkout-7d9f","region":"eu-west-1","step":60,"start":"2024-05-01T12:00:00Z","end":"2024-05-01T12:30:00Z","extendedScopeParams":{"quantile":"0.95"}},
				"experimentScope":{"scope":"checkout-5c4b","region":"eu-west-1","step":60,"start":"2024-05-01T12:00:00Z","end":"2024-05-01T12:30:00Z","extendedScopeParams":{"quantile":"0.95"}}}}`),
			check: func(t *testing.T, s analysis.Spec, _ []string) {
				if s.Cohorts.Canary.Selector != `pod=~"checkout-5c4b-.*"` {
					t.Errorf("canary = %q", s.Cohorts.Canary.Selector)
				}
				wantQuery(t, s, 1, `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="checkout",region="eu-west-1",${cohort}}[2m])))`)
				if s.Thresholds != (analysis.ScoreThreshold{Pass: 90, Marginal: 70}) || s.Metrics[0].Source != "prom" {
					t.Errorf("thresholds %+v, source %q", s.Thresholds, s.Metrics[0].Source)
				}
				wantTiming(t, s, "start 2024-05-01T12:00:00Z lifetime 30m interval 0s lookback 0s begin_after 0s baseline_offset 0s step 1m")
			},
		},
		{
			// Real Kayenta configs and Spinnaker stages write the step as a
			// string ("60"); Kayenta's Jackson mapper reads it as a number.
			name: "step as a string",
			body: body(t, `"scopes":{"default":{
				"controlScope":{"scope":"checkout-7d9f","location":"eu-west-1","step":"60","start":"2024-05-01T12:00:00Z","end":"2024-05-01T12:30:00Z","extendedScopeParams":{"quantile":"0.95"}},
				"experimentScope":{"scope":"checkout-5c4b","location":"eu-west-1","step":"60","start":"2024-05-01T12:00:00Z","end":"2024-05-01T12:30:00Z","extendedScopeParams":{"quantile":"0.95"}}}}`),
			check: func(t *testing.T, s analysis.Spec, _ []string) {
				wantTiming(t, s, "start 2024-05-01T12:00:00Z lifetime 30m interval 0s lookback 0s begin_after 0s baseline_offset 0s step 1m")
			},
		},
		{
			name: "standalone step as a string",
			body: body(t, `"lifetimeDurationMins":60,"scopes":[{"controlScope":"checkout-7d9f","controlLocation":"eu-west-1",
				"experimentScope":"checkout-5c4b","experimentLocation":"eu-west-1","startTimeIso":"2024-05-01T12:00:00Z","step":"30","extendedScopeParams":{"quantile":"0.95"}}]`),
			check: func(t *testing.T, s analysis.Spec, _ []string) {
				wantTiming(t, s, "start 2024-05-01T12:00:00Z lifetime 1h interval 0s lookback 0s begin_after 0s baseline_offset 0s step 30s")
			},
		},
		{
			name: "step that is not a number",
			body: body(t, `"scopes":{"default":{
				"controlScope":{"scope":"checkout-7d9f","step":"1m"},"experimentScope":{"scope":"checkout-5c4b","step":"1m"}}}`),
			wantErr: []string{"step", `"1m"`, "seconds"},
		},
		{
			name: "standalone analysis scopes and timing",
			body: body(t, `"name":"checkout-canary-42","lifetimeDurationMins":"60","analysisIntervalMins":15,"beginAfterMins":5,"lookbackMins":15,
				"scopes":[{"scopeName":"default","controlScope":"checkout-7d9f","controlLocation":"eu-west-1","controlOffsetInMinutes":30,
				"experimentScope":"checkout-5c4b","experimentLocation":"eu-west-1","startTimeIso":"2024-05-01T12:00:00Z","step":30,
				"extendedScopeParams":{"quantile":"0.9"}}]`),
			check: func(t *testing.T, s analysis.Spec, _ []string) {
				if s.Name != "checkout-canary-42" || s.Cohorts.Baseline.Selector != `pod=~"checkout-7d9f-.*"` {
					t.Errorf("name %q, baseline %q", s.Name, s.Cohorts.Baseline.Selector)
				}
				wantTiming(t, s, "start 2024-05-01T12:00:00Z lifetime 1h interval 15m lookback 15m begin_after 5m baseline_offset 30m step 30s")
			},
		},
		{
			name: "Spinnaker stage names and an ISO 8601 lifetime",
			body: body(t, `"baseline":"track=\"stable\"","canary":{"selector":"track=\"canary\""},"lifetimeDuration":"PT1H30M",
				"canaryAnalysisIntervalMins":"30","beginCanaryAnalysisAfterMins":"10","baselineAnalysisOffsetInMins":60,
				"scopes":{"default":{"controlScope":{"scope":"x","location":"eu-west-1","extendedScopeParams":{"quantile":"0.5"}},
				"experimentScope":{"scope":"y","location":"eu-west-1","extendedScopeParams":{"quantile":"0.5"}}}}`),
			check: func(t *testing.T, s analysis.Spec, _ []string) {
				if s.Cohorts.Canary.Selector != `track="canary"` {
					t.Errorf("canary = %q", s.Cohorts.Canary.Selector)
				}
				wantTiming(t, s, "start - lifetime 1h30m interval 30m lookback 0s begin_after 10m baseline_offset 1h step 0s")
			},
		},
		{
			name:    "aliases that disagree",
			body:    body(t, `"baseline":"a=\"1\"","canary":"a=\"2\"","analysisIntervalMins":10,"canaryAnalysisIntervalMins":20`),
			wantErr: []string{"analysisIntervalMins and canaryAnalysisIntervalMins disagree"},
		},
		{
			name:    "a lifetime that is not ISO 8601",
			body:    body(t, `"baseline":"a=\"1\"","canary":"a=\"2\"","lifetimeDuration":"1h"`),
			wantErr: []string{"lifetimeDuration", "not an ISO 8601 duration"},
		},
		{
			name:    "negative minutes",
			body:    body(t, `"lookbackMins":-5`),
			wantErr: []string{"minutes must be a non-negative number"},
		},
		{
			name:    "no canary config",
			body:    `{"baseline":"a=\"1\"","canary":"a=\"2\""}`,
			wantErr: []string{"canaryConfig is required"},
		},
		{
			name:    "a scope with a bad time",
			body:    body(t, `"scopes":{"default":{"controlScope":{"scope":"a","start":"yesterday"},"experimentScope":{"scope":"b"}}}`),
			wantErr: []string{`start "yesterday"`, "RFC 3339"},
		},
		{
			name:    "a scope named twice in the list form",
			body:    body(t, `"scopes":[{"controlScope":"a","experimentScope":"b"},{"scopeName":"default","controlScope":"c","experimentScope":"d"}]`),
			wantErr: []string{`scopes[1]: scope "default" given twice`},
		},
		{
			name:    "only one selector",
			body:    body(t, `"baseline":"a=\"1\"","lifetimeDurationMins":10`),
			wantErr: []string{"give both baseline and canary"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodeImportRequest(strings.NewReader(tc.body))
			var spec analysis.Spec
			var warnings []string
			if err == nil {
				spec, warnings, err = req.Spec()
			}
			if len(tc.wantErr) > 0 {
				wantError(t, err, tc.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("Spec: %v", err)
			}
			assertValid(t, spec)
			tc.check(t, spec, warnings)
		})
	}
}

// wantTiming compares the timing and step in one line.
func wantTiming(t *testing.T, s analysis.Spec, want string) {
	t.Helper()
	tm := s.Timing
	start := "-"
	if tm.Start != nil {
		start = tm.Start.String()
	}
	got := strings.Join([]string{"start", start, "lifetime", tm.Lifetime.String(), "interval", tm.Interval.String(),
		"lookback", tm.Lookback.String(), "begin_after", tm.BeginAfter.String(), "baseline_offset", tm.BaselineOffset.String(),
		"step", s.Step.String()}, " ")
	if got != want {
		t.Errorf("timing\n  %s\nwant\n  %s", got, want)
	}
}

func TestTiming(t *testing.T) {
	pair := func(ctlStart, ctlEnd, expStart, expEnd string) Options {
		o := checkoutOptions()
		p := o.Scopes[DefaultScopeName]
		parse := func(s string) time.Time {
			if s == "" {
				return time.Time{}
			}
			return at(s)
		}
		p.Control.Start, p.Control.End, p.Experiment.Start, p.Experiment.End = parse(ctlStart), parse(ctlEnd), parse(expStart), parse(expEnd)
		o.Scopes[DefaultScopeName] = p
		o.Interval = 0
		return o
	}
	for _, tc := range []struct {
		name    string
		opts    Options
		want    string
		wantErr []string
		warning []string
	}{
		{name: "one window", opts: pair("12:00", "12:20", "12:00", "12:20"),
			want: "start 2024-05-01T12:00:00Z lifetime 20m interval 0s lookback 0s begin_after 0s baseline_offset 0s step 30s"},
		{name: "a baseline an hour earlier", opts: pair("11:00", "11:20", "12:00", "12:20"),
			want: "start 2024-05-01T12:00:00Z lifetime 20m interval 0s lookback 0s begin_after 0s baseline_offset 1h step 30s"},
		{name: "a control after the experiment", opts: pair("13:00", "13:20", "12:00", "12:20"),
			wantErr: []string{"controlScope.start 2024-05-01T13:00:00Z is after experimentScope.start", "shift the baseline back"}},
		{name: "windows of different length", opts: pair("11:00", "11:30", "12:00", "12:20"),
			wantErr: []string{"differ in length"}},
		{name: "an end before the start", opts: pair("12:00", "11:00", "12:00", "11:00"),
			wantErr: []string{"experimentScope.end 2024-05-01T11:00:00Z is not after its start"}},
		{name: "an end without start", opts: pair("", "", "", "12:00"),
			wantErr: []string{"experimentScope.start is required"}},
		{name: "the scopes' end wins over a lifetime",
			opts:    func() Options { o := pair("12:00", "12:20", "12:00", "12:20"); o.Lifetime = time.Hour; return o }(),
			want:    "start 2024-05-01T12:00:00Z lifetime 20m interval 0s lookback 0s begin_after 0s baseline_offset 0s step 30s",
			warning: []string{"lifetime 1h", "20m, which takes precedence"}},
		{name: "an interval longer than the lifetime is cut",
			opts:    func() Options { o := pair("12:00", "12:20", "12:00", "12:20"); o.Interval = time.Hour; return o }(),
			want:    "start 2024-05-01T12:00:00Z lifetime 20m interval 20m lookback 0s begin_after 0s baseline_offset 0s step 30s",
			warning: []string{"interval 1h", "cut to it"}},
		{name: "no lifetime at all", opts: pair("", "", "", ""),
			wantErr: []string{"converted spec is invalid", "timing.interval"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, warnings, err := Convert(fixture(t, "checkout-promql"), tc.opts)
			if len(tc.wantErr) > 0 {
				wantError(t, err, tc.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			assertValid(t, spec)
			wantTiming(t, spec, tc.want)
			if tc.warning != nil {
				wantWarning(t, warnings, tc.warning...)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		config  string
		wantErr []string
	}{
		{"a config whose variables only an execution binds", string(fixture(t, "checkout-promql")), nil},
		{"a FreeMarker directive", `{"name":"x","metrics":[{"name":"m","query":{"type":"prometheus","customInlineTemplate":"PromQL:rate(x{a=\"${scope?upper_case}\"}[1m])"}}]}`,
			[]string{"metrics[0]", "plain ${variable}"}},
		{"no metric", `{"name":"x","metrics":[]}`, []string{"metrics"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Check([]byte(tc.config))
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check accepted the config, want an error with %q", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
