package kayenta

import (
	"reflect"
	"testing"
)

// TestTranslatePromQL pins the matcher rule on PromQL templates: scope
// variables (here scope and track, whose values differ) in a matcher's
// value move the matcher out, constants (location) are substituted.
func TestTranslatePromQL(t *testing.T) {
	vals := scopeValues{
		baseline: map[string]string{"scope": "api-v1", "location": "eu", "track": "stable"},
		canary:   map[string]string{"scope": "api-v2", "location": "eu", "track": "canary"},
	}
	for _, tc := range []struct {
		tmpl, want string
		removed    [][]string
		wantErr    string
	}{
		{
			tmpl:    `up{app="${scope}"}`,
			want:    `up{${cohort}}`,
			removed: [][]string{{`app="${scope}"`}},
		},
		{
			tmpl:    `sum by (code) (rate(x{ job = "api" , pod=~"${scope}-.*", region="${location}" }[5m]))`,
			want:    `sum by (code) (rate(x{job = "api",region="eu",${cohort}}[5m]))`,
			removed: [][]string{{`pod=~"${scope}-.*"`}},
		},
		{
			tmpl:    `x{app='${scope}',track=` + "`${track}`" + `} / on() group_left y{app!="${scope}"}`,
			want:    `x{${cohort}} / on() group_left y{${cohort}}`,
			removed: [][]string{{`app='${scope}'`, "track=`${track}`"}, {`app!="${scope}"`}},
		},
		{
			tmpl:    `x{msg="a \"quoted\" {brace}, comma",app="${scope}",}`,
			want:    `x{msg="a \"quoted\" {brace}, comma",${cohort}}`,
			removed: [][]string{{`app="${scope}"`}},
		},
		{
			tmpl:    "x{app=\"${scope}\"} # {not=\"${location}\"}",
			want:    `x{${cohort}} # {not="eu"}`,
			removed: [][]string{{`app="${scope}"`}},
		},
		{tmpl: `label_replace(x{app="${scope}"}, "v", "${track}", "", "")`, wantErr: "${track} differs between the cohorts but is used outside"},
		{tmpl: `x{app="${scope}"`, wantErr: "unclosed selector"},
		{tmpl: `x{app="${scope}}`, wantErr: "unterminated string"},
		{tmpl: `x{app="${scope}" or y}`, wantErr: "the value must be one quoted string"},
		{tmpl: `x{app="${scope}"}[${window}]`, wantErr: "${window} has no value"},
	} {
		t.Run(tc.tmpl, func(t *testing.T) {
			got, err := translatePromQL(tc.tmpl, vals)
			if tc.wantErr != "" {
				wantError(t, err, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.query != tc.want || !reflect.DeepEqual(got.removed, tc.removed) {
				t.Errorf("got %s %q\nwant %s %q", got.query, got.removed, tc.want, tc.removed)
			}
		})
	}
}

// TestRenderCohorts: the removed matchers rendered for each cohort, in
// PromQL's canonical form and without duplicates.
func TestRenderCohorts(t *testing.T) {
	got, err := render([]string{`pod =~ '${scope}-.*'`, `track="${track}"`, `pod=~"${scope}-.*"`},
		map[string]string{"scope": "api-v2", "track": "canary"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`pod=~"api-v2-.*"`, `track="canary"`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("render = %q, want %q", got, want)
	}
	if _, err := render([]string{`pod=~"${scope}("`}, map[string]string{"scope": "x"}); err == nil {
		t.Error("an invalid regex renders without error")
	}
}
