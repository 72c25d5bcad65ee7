package kayenta

import (
	"strings"
	"testing"

	"github.com/augurhq/augur/analysis"
)

func cohort(sel string) *analysis.Cohort { return &analysis.Cohort{Selector: sel} }

// explicitOptions give baseline and canary selectors and nothing else.
func explicitOptions() Options {
	return Options{Baseline: cohort(`version="v1"`), Canary: cohort(`version="v2"`), Lifetime: 20 * 60e9}
}

// withScopes returns checkout's options with other scope values.
func withScopes(ctl, exp string, ext map[string]string) Options {
	o := checkoutOptions()
	p := o.Scopes[DefaultScopeName]
	p.Control.Scope, p.Experiment.Scope = ctl, exp
	if ext != nil {
		p.Control.ExtendedScopeParams, p.Experiment.ExtendedScopeParams = ext, ext
	}
	o.Scopes = map[string]ScopePair{DefaultScopeName: p}
	return o
}

// config wraps metrics (JSON) in a minimal canary config.
func config(metrics string, extra ...string) []byte {
	s := `{"name":"inline","judge":{"name":"NetflixACAJudge-v1.0"},"metrics":[` + metrics + `]`
	for _, e := range extra {
		s += "," + e
	}
	return []byte(s + "}")
}

// promMetric is a prometheus metric with an inline template and canary
// analysis settings (JSON, may be empty).
func promMetric(name, template, canary string, groups ...string) string {
	g := `"errors"`
	if len(groups) > 0 {
		g = `"` + strings.Join(groups, `","`) + `"`
	}
	return `{"name":"` + name + `","query":{"type":"prometheus","customInlineTemplate":` + quote(template) +
		`},"groups":[` + g + `],"analysisConfigurations":{"canary":{` + canary + `}}}`
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

const errorsPromQL = `PromQL:sum(rate(http_requests_total{code=~"5..",app="${scope}"}[1m]))`

func TestConvert(t *testing.T) {
	for _, tc := range []struct {
		name    string
		config  []byte
		opts    Options
		wantErr []string // substrings of the error; none: success
		check   func(t *testing.T, s analysis.Spec, warnings []string)
	}{
		{
			name: "inline PromQL with explicit selectors drops every scope-variable matcher",
			config: config(promMetric("errors",
				`PromQL:sum(rate(http_requests_total{code=~"5..", app="${scope}", region="${location}"}[1m]))`, "")),
			opts: explicitOptions(),
			check: func(t *testing.T, s analysis.Spec, _ []string) {
				wantQuery(t, s, 0, `sum(rate(http_requests_total{code=~"5..",${cohort}}[1m]))`)
				if s.Cohorts.Baseline.Selector != `version="v1"` || s.Cohorts.Canary.Selector != `version="v2"` {
					t.Errorf("cohorts = %+v, %+v; want the explicit selectors", s.Cohorts.Baseline, s.Cohorts.Canary)
				}
			},
		},
		{
			name:   "explicit selectors keep constants the scopes give",
			config: fixture(t, "checkout-promql"),
			opts: func() Options {
				o := checkoutOptions()
				o.Baseline, o.Canary = cohort(`track="stable"`), cohort(`track="canary"`)
				return o
			}(),
			check: func(t *testing.T, s analysis.Spec, _ []string) {
				wantQuery(t, s, 1, `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job="checkout",region="eu-west-1",${cohort}}[2m])))`)
				if s.Cohorts.Canary.Selector != `track="canary"` {
					t.Errorf("canary = %q, want the explicit selector", s.Cohorts.Canary.Selector)
				}
			},
		},
		{
			name:    "a variable no scope gives, used outside a matcher, is an error",
			config:  fixture(t, "checkout-promql"),
			opts:    Options{Baseline: cohort(`v="1"`), Canary: cohort(`v="2"`), Lifetime: 3600e9},
			wantErr: []string{`metrics[1] "p99 latency"`, "${quantile}", "outside a label matcher"},
		},
		{
			name:    "a scope variable in the metric name cannot become a matcher",
			config:  fixture(t, "scope-in-metric-name"),
			opts:    withScopes("orders-v1", "orders-v2", nil),
			wantErr: []string{`metrics[0] "orders created"`, "${scope}", "outside a label matcher"},
		},
		{
			name:    "a scope variable in a label name is an error",
			config:  config(promMetric("errors", `PromQL:sum(x{${scope}="1"})`, "")),
			opts:    withScopes("a", "b", nil),
			wantErr: []string{`metrics[0] "errors"`, "label name"},
		},
		{
			name:    "an unquoted scope value is an error",
			config:  config(promMetric("errors", `PromQL:sum(x{app=${scope}})`, "")),
			opts:    withScopes("a", "b", nil),
			wantErr: []string{`metrics[0] "errors"`, "quoted string"},
		},
		{
			name:    "FreeMarker built-ins do not import",
			config:  config(promMetric("errors", `PromQL:sum(x{app="${scope?lower_case}"})`, "")),
			opts:    withScopes("a", "b", nil),
			wantErr: []string{`metrics[0] "errors"`, "${scope?lower_case}", "plain ${variable}"},
		},
		{
			name:    "FreeMarker directives do not import",
			config:  config(promMetric("errors", `PromQL:<#if scope??>sum(x{app="${scope}"})</#if>`, "")),
			opts:    withScopes("a", "b", nil),
			wantErr: []string{"directive"},
		},
		{
			name:    "a template without scope variable tells the cohorts apart by nothing",
			config:  config(promMetric("errors", `PromQL:sum(rate(x{job="api"}[1m]))`, "")),
			opts:    withScopes("a", "b", nil),
			wantErr: []string{`metrics[0] "errors"`, "nothing tells baseline from canary"},
		},
		{
			name:    "the same scope for control and experiment is a constant",
			config:  config(promMetric("errors", errorsPromQL, "")),
			opts:    withScopes("api", "api", nil),
			wantErr: []string{`metrics[0] "errors"`, "value differs between the control and experiment scopes"},
		},
		{
			name: "metrics must use the same scope matchers without explicit selectors",
			config: config(promMetric("errors", errorsPromQL, "") + "," +
				promMetric("latency", `PromQL:avg(latency_seconds{service="${scope}"})`, "")),
			opts:    withScopes("api-v1", "api-v2", nil),
			wantErr: []string{`metrics[1] "latency"`, `service="api-v1"`, `app="api-v1"`, "pass baseline and canary selectors"},
		},
		{
			name: "selectors of one query must use the same scope matchers",
			config: config(promMetric("ratio",
				`PromQL:sum(rate(errors_total{app="${scope}"}[1m])) / sum(rate(requests_total{service="${scope}"}[1m]))`, "")),
			opts:    withScopes("api-v1", "api-v2", nil),
			wantErr: []string{`metrics[0] "ratio"`, "one cohort selector"},
		},
		{
			name: "different scope matchers are fine with explicit selectors",
			config: config(promMetric("errors", errorsPromQL, "") + "," +
				promMetric("latency", `PromQL:avg(latency_seconds{service="${scope}"})`, "")),
			opts: explicitOptions(),
			check: func(t *testing.T, s analysis.Spec, _ []string) {
				wantQuery(t, s, 1, `avg(latency_seconds{${cohort}})`)
			},
		},
		{
			name:   "a ratio whose selectors share the scope matcher",
			config: config(promMetric("ratio", `PromQL:sum(rate(errors_total{app="${scope}"}[1m])) / sum(rate(requests_total{app="${scope}"}[1m]))`, "")),
			opts:   withScopes("api-v1", "api-v2", nil),
			check: func(t *testing.T, s analysis.Spec, _ []string) {
				wantQuery(t, s, 0, `sum(rate(errors_total{${cohort}}[1m])) / sum(rate(requests_total{${cohort}}[1m]))`)
				if s.Cohorts.Baseline.Selector != `app="api-v1"` || s.Cohorts.Canary.Selector != `app="api-v2"` {
					t.Errorf("cohorts = %q, %q", s.Cohorts.Baseline.Selector, s.Cohorts.Canary.Selector)
				}
			},
		},
		{
			name:    "a metric's scopeName must be in the scopes",
			config:  config(`{"name":"errors","scopeName":"eu","query":{"type":"prometheus","customInlineTemplate":` + quote(errorsPromQL) + `},"groups":["errors"]}`),
			opts:    withScopes("a", "b", nil),
			wantErr: []string{`metrics[0] "errors".scopeName eu`, "no such scope", "default"},
		},
		{
			name:   "a value in one scope only",
			config: config(promMetric("errors", `PromQL:sum(x{app="${scope}",shard="${shard}"})`, "")),
			opts: func() Options {
				o := withScopes("a", "b", nil)
				p := o.Scopes[DefaultScopeName]
				p.Control.ExtendedScopeParams = map[string]string{"shard": "7"}
				o.Scopes[DefaultScopeName] = p
				return o
			}(),
			wantErr: []string{"${shard} has a value in the control scope only"},
		},
		{
			name:   "extended scope params that differ become cohort matchers",
			config: config(promMetric("errors", `PromQL:sum(rate(x{app="${scope}",track="${track}"}[1m]))`, "")),
			opts: func() Options {
				o := withScopes("api", "api", nil)
				p := o.Scopes[DefaultScopeName]
				p.Control.ExtendedScopeParams = map[string]string{"track": "stable"}
				p.Experiment.ExtendedScopeParams = map[string]string{"track": "canary"}
				o.Scopes[DefaultScopeName] = p
				return o
			}(),
			check: func(t *testing.T, s analysis.Spec, _ []string) {
				wantQuery(t, s, 0, `sum(rate(x{app="api",${cohort}}[1m]))`)
				if s.Cohorts.Baseline.Selector != `track="stable"` || s.Cohorts.Canary.Selector != `track="canary"` {
					t.Errorf("cohorts = %q, %q", s.Cohorts.Baseline.Selector, s.Cohorts.Canary.Selector)
				}
			},
		},
		{
			name:   "escaped templates, strings with braces and commas, comments",
			config: config(promMetric("errors", "PromQL:sum(rate(x{path=\"/a,{b}\",app=\"$\\{scope}\"}[1m])) # app=\"${location}\"\n", "")),
			opts:   withScopes("a", "b", nil),
			check: func(t *testing.T, s analysis.Spec, _ []string) {
				wantQuery(t, s, 0, `sum(rate(x{path="/a,{b}",${cohort}}[1m])) # app="eu-west-1"`)
			},
		},
		{
			name:    "the deprecated customFilter is rejected as Kayenta does",
			config:  config(`{"name":"x","query":{"type":"prometheus","metricName":"m","customFilter":"a=\"b\""},"groups":["g"]}`),
			opts:    explicitOptions(),
			wantErr: []string{`metrics[0] "x"`, "customFilter is deprecated"},
		},
		{
			name:    "a missing named template",
			config:  config(`{"name":"x","query":{"type":"prometheus","metricName":"m","customFilterTemplate":"nope"},"groups":["g"]}`),
			opts:    explicitOptions(),
			wantErr: []string{`metrics[0] "x"`, `customFilterTemplate "nope"`},
		},
		{
			name:   "metricName with label bindings only needs explicit selectors",
			config: config(`{"name":"cpu","query":{"type":"prometheus","metricName":"cpu_seconds","labelBindings":["mode=\"user\""]},"groups":["g"]}`),
			opts:   explicitOptions(),
			check: func(t *testing.T, s analysis.Spec, _ []string) {
				wantQuery(t, s, 0, `avg(cpu_seconds{mode="user",${cohort}})`)
			},
		},
		{
			name:    "metricName with label bindings only and scopes: nothing selects the scope",
			config:  config(`{"name":"cpu","query":{"type":"prometheus","metricName":"cpu_seconds","labelBindings":["mode=\"user\""]},"groups":["g"]}`),
			opts:    withScopes("a", "b", nil),
			wantErr: []string{`metrics[0] "cpu"`, "nothing tells baseline from canary", "baseline and canary selectors"},
		},
		{
			name:    "a resource type Kayenta does not know",
			config:  config(`{"name":"cpu","query":{"type":"prometheus","metricName":"cpu","resourceType":"k8s_pod"},"groups":["g"]}`),
			opts:    withScopes("a", "b", nil),
			wantErr: []string{`resourceType "k8s_pod"`},
		},
		{
			name:   "gce_instance with a project",
			config: config(`{"name":"cpu","query":{"type":"prometheus","metricName":"cpu"},"groups":["g"]}`),
			opts: func() Options {
				o := withScopes("web-v1", "web-v2", map[string]string{"resourceType": "gce_instance", "project": "shop"})
				return o
			}(),
			check: func(t *testing.T, s analysis.Spec, _ []string) {
				wantQuery(t, s, 0, `avg(cpu{zone=~".+/projects/shop/zones/eu-west-1-.{1}",${cohort}})`)
				if s.Cohorts.Canary.Selector != `instance=~"web-v2-.{4}"` {
					t.Errorf("canary = %q", s.Cohorts.Canary.Selector)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, warnings, err := Convert(tc.config, tc.opts)
			if len(tc.wantErr) > 0 {
				wantError(t, err, tc.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			assertValid(t, spec)
			if tc.check != nil {
				tc.check(t, spec, warnings)
			}
		})
	}
}

func wantQuery(t *testing.T, s analysis.Spec, i int, want string) {
	t.Helper()
	if i >= len(s.Metrics) {
		t.Fatalf("spec has %d metrics, want metric %d", len(s.Metrics), i)
	}
	if got := s.Metrics[i].Query; got != want {
		t.Errorf("metrics[%d].query =\n  %s\nwant\n  %s", i, got, want)
	}
}

func wantError(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

func wantWarning(t *testing.T, warnings []string, parts ...string) {
	t.Helper()
	for _, w := range warnings {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(w, p)
		}
		if ok {
			return
		}
	}
	t.Errorf("no warning contains all of %q; warnings:\n  %s", parts, strings.Join(warnings, "\n  "))
}
