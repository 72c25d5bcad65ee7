package app

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/common/model"

	"github.com/augurhq/augur/alerting/outbox"
	"github.com/augurhq/augur/alerting/route"
)

// CheckConfigArgs configures augur check --config.
type CheckConfigArgs struct {
	// ConfigFile is the server configuration to validate.
	ConfigFile string
	// RouteTests are label=value pairs: one message with these labels is
	// put through the routing tree and the receivers it reaches printed.
	RouteTests []string
}

// CheckCommand runs augur check: the spec file, or with --config the
// server configuration; exactly one of the two. It returns the exit code:
// 0 valid, 1 invalid, 2 for a spec and --config both or neither given.
func CheckCommand(out, errOut io.Writer, stdin io.Reader, spec string, c CheckConfigArgs) int {
	usage := func(msg string) int {
		fmt.Fprintf(errOut, "augur check: %s (try --help)\n", msg)
		return 2
	}
	switch {
	case spec != "" && c.ConfigFile != "":
		return usage("give a spec file or --config, not both")
	case c.ConfigFile != "":
		return CheckConfig(out, errOut, c)
	case len(c.RouteTests) > 0:
		return usage("--route-test needs --config")
	case spec == "":
		return usage("give a spec file to check, or --config FILE for the server configuration")
	}
	return Check(out, errOut, stdin, spec)
}

// CheckConfig validates a server configuration as augur serve would (it
// refuses to start on any error) and prints what the notifications use:
// the receivers, the routing tree with each route's effective settings,
// the inhibit rules and the time intervals; then, for RouteTests, the
// receivers such a message goes to. It returns 0 when the configuration
// is valid, 1 naming every invalid field otherwise.
func CheckConfig(out, errOut io.Writer, a CheckConfigArgs) int {
	invalid := func(err error) int {
		fmt.Fprintf(errOut, "%s: invalid:\n", a.ConfigFile)
		for _, line := range strings.Split(strings.TrimSpace(err.Error()), "\n") {
			fmt.Fprintf(errOut, "  %s\n", strings.TrimSpace(line))
		}
		return 1
	}
	cfg, err := LoadConfig(a.ConfigFile)
	if err != nil {
		return invalid(err)
	}
	if err := cfg.Validate(); err != nil {
		return invalid(err)
	}
	labels, err := parseRouteTest(a.RouteTests)
	if err != nil {
		return invalid(err)
	}
	tree, err := route.Build(cfg.Notify.Config, cfg.Notify.ReceiverNames())
	if err != nil { // validated above; kept for a tree Validate did not see
		return invalid(err)
	}
	fmt.Fprintf(out, "%s: valid\n", a.ConfigFile)
	printNotify(out, cfg.Notify, tree)
	if labels != nil {
		printRouteTest(out, tree, labels)
	}
	return 0
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// parseRouteTest reads label=value pairs (the value bare or
// double-quoted); nil when there are none.
func parseRouteTest(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	l := make(map[string]string, len(pairs))
	var errs []error
	for i, p := range pairs {
		name, value, ok := strings.Cut(p, "=")
		name = strings.TrimSpace(name)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("--route-test[%d]: want label=value, got %q", i, p))
			continue
		case !labelName.MatchString(name):
			errs = append(errs, fmt.Errorf("--route-test[%d]: %q is not a label name", i, name))
			continue
		}
		if uq, err := strconv.Unquote(value); err == nil && strings.HasPrefix(value, `"`) {
			value = uq
		}
		if _, dup := l[name]; dup {
			errs = append(errs, fmt.Errorf("--route-test[%d]: label %q is given twice", i, name))
		}
		l[name] = value
	}
	return l, errors.Join(errs...)
}

func printNotify(out io.Writer, c outbox.Config, tree *route.Tree) {
	fmt.Fprintf(out, "receivers (%d):\n", len(c.Receivers))
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, r := range c.Receivers {
		fmt.Fprintf(tw, "  %s\t%s\n", r.Name, receiverKind(r))
	}
	_ = tw.Flush()

	if tree.Root == nil {
		fmt.Fprintln(out, "route: none (no notification is routed)")
	} else {
		fmt.Fprintln(out, "route:")
		tree.Walk(func(r *route.Route) {
			fmt.Fprintf(out, "  %s%s\n", strings.Repeat("  ", depth(r)), describeRoute(r))
		})
	}

	fmt.Fprintf(out, "inhibit rules (%d):\n", len(c.InhibitRules))
	for _, r := range c.InhibitRules {
		fmt.Fprintf(out, "  %s silences %s", matcherList(r.SourceMatchers), matcherList(r.TargetMatchers))
		if len(r.Equal) > 0 {
			fmt.Fprintf(out, " with equal %s", strings.Join(r.Equal, ","))
		}
		fmt.Fprintln(out)
	}

	fmt.Fprintf(out, "time intervals (%d):\n", len(c.TimeIntervals))
	for _, n := range c.TimeIntervals {
		parts := make([]string, len(n.TimeIntervals))
		for i, ti := range n.TimeIntervals {
			parts[i] = describeInterval(ti)
		}
		fmt.Fprintf(out, "  %s: %s\n", n.Name, strings.Join(parts, "; or "))
	}
	urls := "refused (notify.allow_spec_urls: false)"
	if c.AllowSpecURLs {
		urls = "allowed (notify.allow_spec_urls: true)"
	}
	fmt.Fprintf(out, "spec webhook URLs: %s\n", urls)
}

// receiverKind names a receiver's integration(s), comma separated.
func receiverKind(r outbox.ReceiverConfig) string {
	var k []string
	for _, x := range []struct {
		name string
		set  bool
	}{
		{"webhook", r.Webhook != nil}, {"slack", r.Slack != nil}, {"msteams", r.MSTeams != nil},
		{"pagerduty", r.PagerDuty != nil}, {"email", r.Email != nil}, {"alertmanager", r.Alertmanager != nil},
		{"grafana", r.Grafana != nil},
	} {
		if x.set {
			k = append(k, x.name)
		}
	}
	if len(k) == 0 {
		return "none"
	}
	return strings.Join(k, ",")
}

// depth is a route's depth below the root, from its ID ("", "0", "0/2").
func depth(r *route.Route) int {
	if r.ID == "" {
		return 0
	}
	return strings.Count(r.ID, "/") + 1
}

// describeRoute is one line: the route's matchers and its effective
// settings (inherited ones included).
func describeRoute(r *route.Route) string {
	o := r.Opts
	group := "[" + strings.Join(o.GroupBy, ",") + "]"
	if o.GroupByAll {
		group = "[...]"
	}
	s := fmt.Sprintf("%s receiver=%s group_by=%s group_wait=%s group_interval=%s repeat_interval=%s",
		r.Matchers, o.Receiver, group, promDuration(o.GroupWait), promDuration(o.GroupInterval), promDuration(o.RepeatInterval))
	if r.Continue {
		s += " continue"
	}
	if len(o.MuteTimeIntervals) > 0 {
		s += " mute_time_intervals=[" + strings.Join(o.MuteTimeIntervals, ",") + "]"
	}
	if len(o.ActiveTimeIntervals) > 0 {
		s += " active_time_intervals=[" + strings.Join(o.ActiveTimeIntervals, ",") + "]"
	}
	return s
}

func promDuration(d time.Duration) string { return model.Duration(d).String() }

func matcherList(ms []string) string {
	if len(ms) == 0 {
		return "{}"
	}
	var all route.Matchers
	for _, m := range ms {
		p, _ := route.ParseMatchers(m) // validated
		all = append(all, p...)
	}
	return all.String()
}

func describeInterval(t route.TimeInterval) string {
	var parts []string
	if len(t.Times) > 0 {
		ts := make([]string, len(t.Times))
		for i, r := range t.Times {
			ts[i] = r.StartTime + "-" + r.EndTime
		}
		parts = append(parts, "times "+strings.Join(ts, ","))
	}
	for _, f := range []struct {
		name string
		v    []string
	}{{"weekdays", t.Weekdays}, {"days_of_month", t.DaysOfMonth}, {"months", t.Months}, {"years", t.Years}} {
		if len(f.v) > 0 {
			parts = append(parts, f.name+" "+strings.Join(f.v, ","))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "always")
	}
	loc := t.Location
	if loc == "" {
		loc = "UTC"
	}
	return strings.Join(parts, " ") + " (" + loc + ")"
}

// printRouteTest prints the receivers a message with labels goes to, in
// order, as amtool config routes test does, and the routes that take it.
func printRouteTest(out io.Writer, tree *route.Tree, labels map[string]string) {
	routes := tree.Match(labels)
	names := make([]string, 0, len(routes))
	for _, r := range routes {
		names = append(names, r.Opts.Receiver)
	}
	keys := slices.Sorted(maps.Keys(labels))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(labels[k])
	}
	fmt.Fprintf(out, "route test {%s}:\n", strings.Join(parts, ","))
	if len(routes) == 0 {
		fmt.Fprintln(out, "  no receiver: no route takes this message")
		return
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, r := range routes {
		fmt.Fprintf(tw, "  %s\tby route %s\n", r.Opts.Receiver, tree.Key(r))
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "receivers: %s\n", strings.Join(names, ","))
}
