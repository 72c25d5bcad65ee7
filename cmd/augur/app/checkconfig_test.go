package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exampleReceivers defines every receiver deploy/examples/notify.yaml
// routes to.
const exampleReceivers = `notify:
  receivers:
  - name: slack-releases
    slack:
      webhook_url: https://hooks.slack.com/services/T0/B0/releases
  - name: slack-payments
    slack:
      webhook_url_file: /etc/augur/slack-payments-url
  - name: msteams-search
    msteams:
      webhook_url_file: /etc/augur/teams-search-url
  - name: pagerduty-oncall
    pagerduty:
      routing_key_file: /etc/augur/pagerduty-key
  - name: email-payments
    email:
      smarthost: smtp.example.com:587
      from: augur@example.com
      to: [payments-leads@example.com]
`

// exampleServerConfig writes a server configuration holding the shipped
// routing example (deploy/examples/notify.yaml, as it is) under notify:,
// with its receivers defined, and returns its text and path.
func exampleServerConfig(t *testing.T, edit func(string) string) string {
	t.Helper()
	routing, err := os.ReadFile("../../../deploy/examples/notify.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(exampleReceivers)
	for _, line := range strings.Split(string(routing), "\n") {
		if line != "" {
			b.WriteString("  " + line)
		}
		b.WriteString("\n")
	}
	text := b.String()
	if edit != nil {
		text = edit(text)
	}
	p := filepath.Join(t.TempDir(), "augur.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckConfig(t *testing.T) {
	replace := func(pairs ...string) func(string) string {
		return func(s string) string {
			for i := 0; i < len(pairs); i += 2 {
				if !strings.Contains(s, pairs[i]) {
					t.Fatalf("the example no longer has %q", pairs[i])
				}
				s = strings.Replace(s, pairs[i], pairs[i+1], 1)
			}
			return s
		}
	}
	for _, tt := range []struct {
		name string
		edit func(string) string
		code int
		// want are lines (or parts of lines) of the output, in order.
		want []string
	}{
		{"the shipped example", nil, 0, []string{
			"augur.yaml: valid",
			"receivers (5):",
			"  slack-releases    slack",
			"  msteams-search    msteams",
			"  pagerduty-oncall  pagerduty",
			"  email-payments    email",
			"route:",
			"  {} receiver=slack-releases group_by=[experiment_id] group_wait=30s group_interval=5m repeat_interval=4h\n",
			"    {verdict=\"fail\"} receiver=pagerduty-oncall group_by=[experiment_id] group_wait=0s group_interval=5m repeat_interval=1h continue\n",
			"    {team=\"payments\"} receiver=slack-payments group_by=[experiment_id] group_wait=30s",
			"      {event=\"interval_failed\"} receiver=email-payments group_by=[experiment_id] group_wait=30s group_interval=5m repeat_interval=4h mute_time_intervals=[weekends]\n",
			"    {team=~\"search|discovery\"} receiver=msteams-search group_by=[service,team]",
			"    {event=\"run_started\"} receiver=slack-releases group_by=[experiment_id] group_wait=30s group_interval=5m repeat_interval=4h active_time_intervals=[office-hours]\n",
			"    {} receiver=slack-releases",
			"inhibit rules (1):",
			"  {verdict=\"fail\"} silences {verdict=\"marginal\"} with equal experiment_id",
			"time intervals (2):",
			"  weekends: weekdays saturday,sunday (Europe/Berlin)",
			"  office-hours: times 09:00-18:00 weekdays monday:friday (Europe/Berlin)",
			"spec webhook URLs: refused",
		}},
		{"several bad fields, all named", replace(
			"    receiver: slack-payments\n", "    receiver: slack-payment\n",
			`team=~"search|discovery"`, `team=~"search|(discovery"`,
			"repeat_interval: 1h", "repeat_interval: 1hour",
			"    msteams:\n", "    msteams:\n      webhook_url: https://teams.example.com/x\n    slack:\n",
			"notify:\n", "listen: ''\nnotify:\n"), 1, []string{
			"augur.yaml: invalid:",
			"listen: must not be empty",
			"notify.receivers[2]: sets [slack msteams]; a receiver has exactly one integration",
			`route.routes[0].repeat_interval: "1hour" is not a duration`,
			`route.routes[1].receiver: unknown receiver "slack-payment"`,
			`route.routes[2].matchers[0]`, "bad regex",
		}},
		{"unknown field", replace("  receivers:\n", "  receivers:\n  - name: x\n    slack:\n      webhook: https://x.example.com\n"), 1, []string{
			"augur.yaml: invalid:", "field webhook not found",
		}},
		{"inhibit rule and time interval", replace(
			"target_matchers: [verdict=\"marginal\"]", "target_matchers: []",
			"weekdays: [saturday, sunday]", "weekdays: [caturday]"), 1, []string{
			`time_intervals[0].time_intervals[0].weekdays[0]: "caturday"`, "inhibit_rules[0].target_matchers: must be set",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := CheckConfig(&out, &errOut, CheckConfigArgs{ConfigFile: exampleServerConfig(t, tt.edit)})
			got := out.String() + errOut.String()
			if code != tt.code {
				t.Fatalf("exit %d, want %d:\n%s", code, tt.code, got)
			}
			rest := got
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q (after the lines before it):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
			if tt.code != 0 && out.Len() != 0 {
				t.Errorf("an invalid configuration printed a summary: %s", out.String())
			}
		})
	}
}

// The routing example, tested as amtool config routes test would: the
// receivers a message with these labels goes to, in order.
func TestCheckConfigRouteTest(t *testing.T) {
	cfg := exampleServerConfig(t, nil)
	for _, tt := range []struct {
		name   string
		labels []string
		want   string // the receivers line; "" for none
		routes []string
	}{
		{"a fail pages and goes on to the team", []string{"team=payments", "verdict=fail"}, "receivers: pagerduty-oncall,slack-payments",
			[]string{`pagerduty-oncall  by route {}/{verdict="fail"}`, `slack-payments    by route {}/{team="payments"}`}},
		{"a fail of no team pages and goes to releases", []string{"verdict=fail"}, "receivers: pagerduty-oncall,slack-releases", nil},
		{"a pass goes to its team only", []string{"team=payments", "verdict=pass"}, "receivers: slack-payments", nil},
		{"a regex team, quoted value", []string{`team="discovery"`, "verdict=marginal"}, "receivers: msteams-search", nil},
		{"a failing interval reaches only the route that asks", []string{"team=payments", "verdict=fail", "event=interval_failed"}, "receivers: email-payments",
			[]string{`email-payments  by route {}/{team="payments"}/{event="interval_failed"}`}},
		{"a run start", []string{"event=run_started", "team=payments"}, "receivers: slack-releases", nil},
		{"an abort no route asks for", []string{"event=run_aborted", "verdict=fail"}, "", []string{"no receiver: no route takes this message"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := CheckConfig(&out, &errOut, CheckConfigArgs{ConfigFile: cfg, RouteTests: tt.labels}); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			_, test, ok := strings.Cut(out.String(), "route test {")
			if !ok {
				t.Fatalf("no route test in:\n%s", out.String())
			}
			gotLine := ""
			for _, l := range strings.Split(test, "\n") {
				if strings.HasPrefix(l, "receivers: ") {
					gotLine = l
				}
			}
			if gotLine != tt.want {
				t.Errorf("got %q, want %q:\n%s", gotLine, tt.want, test)
			}
			for _, r := range tt.routes {
				if !strings.Contains(test, r) {
					t.Errorf("route test lacks %q:\n%s", r, test)
				}
			}
		})
	}
}

func TestCheckCommandArguments(t *testing.T) {
	cfg := exampleServerConfig(t, nil)
	for _, tt := range []struct {
		name string
		spec string
		args CheckConfigArgs
		code int
		want string
	}{
		{"neither", "", CheckConfigArgs{}, 2, "give a spec file to check, or --config"},
		{"both", "../../../deploy/examples/checkout-canary.yaml", CheckConfigArgs{ConfigFile: cfg}, 2, "not both"},
		{"route test without config", "../../../deploy/examples/checkout-canary.yaml", CheckConfigArgs{RouteTests: []string{"a=b"}}, 2, "--route-test needs --config"},
		{"a spec, as before", "../../../deploy/examples/checkout-canary.yaml", CheckConfigArgs{}, 0, "valid"},
		{"the config", "", CheckConfigArgs{ConfigFile: cfg}, 0, "augur.yaml: valid"},
		{"bad route test labels", "", CheckConfigArgs{ConfigFile: cfg, RouteTests: []string{"team", "1x=y", "a=b", "a=c"}}, 1,
			"--route-test[0]: want label=value"},
		{"every bad label named", "", CheckConfigArgs{ConfigFile: cfg, RouteTests: []string{"team", "1x=y", "a=b", "a=c"}}, 1,
			`--route-test[3]: label "a" is given twice`},
		{"a bad label name", "", CheckConfigArgs{ConfigFile: cfg, RouteTests: []string{"1x=y"}}, 1, `"1x" is not a label name`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := CheckCommand(&out, &errOut, strings.NewReader(""), tt.spec, tt.args)
			if got := out.String() + errOut.String(); code != tt.code || !strings.Contains(got, tt.want) {
				t.Errorf("exit %d, output %q; want %d mentioning %q", code, got, tt.code, tt.want)
			}
		})
	}
}
