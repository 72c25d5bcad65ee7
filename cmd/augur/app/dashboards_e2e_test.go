package app

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/alerting/grafana"
	"github.com/augurhq/augur/alerting/notify"
	"github.com/augurhq/augur/alerting/outbox"
	"github.com/augurhq/augur/alerting/route"
	"github.com/augurhq/augur/alerting/signedwebhook"
	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/dashboards"
)

// annotationSink stands in for Grafana's POST /api/annotations (the
// grafana receiver's own tests replay its answers in full).
type annotationSink struct {
	mu   sync.Mutex
	got  []grafana.Annotation
	auth []string
}

func (s *annotationSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var a grafana.Annotation
	if r.URL.Path != "/api/annotations" || json.NewDecoder(r.Body).Decode(&a) != nil {
		http.Error(w, `{"message":"bad request data"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.got = append(s.got, a)
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	n := len(s.got)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"message":"Annotation added","id":` + strconv.Itoa(n) + `}`))
}

// TestDashboardQueries runs every panel's and annotation's query of the
// generated dashboards against a live server holding the demo's data, the
// template variables substituted, through /api/v1/query_range as
// Grafana's Prometheus data source sends it (a POST form): each must
// return data. The server's notifications go to the grafana receiver
// (which must post the verdict's annotation) and to a webhook that refuses
// them for good (a dead letter for the overview's panel).
func TestDashboardQueries(t *testing.T) {
	sink := &annotationSink{}
	grafanaSrv := httptest.NewServer(sink)
	defer grafanaSrv.Close()
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusGone)
	}))
	defer gone.Close()
	tokenFile := filepath.Join(t.TempDir(), "grafana-token")
	if err := os.WriteFile(tokenFile, []byte("glsa_dashboard_test\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	srv := startServer(t, func(c *Config) {
		c.SelfScrape.Interval = time.Second
		c.Analysis.Poll = 20 * time.Millisecond
		gc := grafana.DefaultConfig()
		gc.URL, gc.TokenFile, gc.DashboardUID = grafanaSrv.URL, tokenFile, "augur-experiment"
		hook := signedwebhook.DefaultConfig()
		hook.URL = gone.URL
		loop := notify.Guard{AllowLoopback: true}
		c.Notify.Receivers = []outbox.ReceiverConfig{
			{Name: "grafana", Grafana: &gc, Guard: loop},
			{Name: "gone", Webhook: &hook, Guard: loop},
		}
		c.Notify.Route = &route.RouteConfig{Receiver: "grafana", GroupBy: []string{"experiment_id"}, GroupWait: "0s",
			Routes: []*route.RouteConfig{{Receiver: "gone", Continue: true}, {Receiver: "grafana"}}}
		c.Notify.Delivery.PollInterval = 20 * time.Millisecond
	})
	end := time.Now().Truncate(time.Minute)
	start := end.Add(-20 * time.Minute)
	sendTraffic(t, srv, start, end)
	sendLogs(t, srv, start, end, true)

	// The first self-scrape before the runs: the judgement counters and
	// the lag histogram then grow within the queries' windows.
	waitFor(t, "the first self-scrape", func() bool {
		_, ok := queryScalar(t, srv, `count(augur_interval_judgements_total{job="augur"})`, time.Now())
		return ok
	})
	created := time.Now().Truncate(time.Millisecond)
	done := createExperiment(t, srv, DemoSpec(start, end))
	live := DemoSpec(end.Add(-5*time.Minute), end.Add(time.Hour)) // judged up to now, running for an hour
	live.Name, live.Timing.Interval = "checkout-v2-live", analysis.Duration(time.Minute)
	running := createExperiment(t, srv, live)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	v, err := waitVerdict(ctx, srv.URL(), done.ID)
	if err != nil {
		t.Fatal(err)
	}

	vars := map[string]string{
		"experiment": done.ID, "metric": "latency_p99", "service": "checkout",
		"baseline": `service_version="v1"`, "canary": `service_version="v2"`,
		"__rate_interval": "1m", "__interval": "15s", "__range": "30m",
	}
	for name, d := range dashboards.All() {
		// Every variable the test sets is one of the dashboard's (or a
		// built-in), and each query variable's own query returns values.
		for _, vr := range dashboards.Variables(d) {
			if vr.Type == dashboards.VarQuery {
				checkVariable(t, srv, name, vr, vars)
			}
		}
	}
	// The experiment variable takes either experiment: the finished one
	// was judged before a scrape saw it running, so only the live one has
	// a run to mark, and only the finished one a verdict.
	alt := maps.Clone(vars)
	alt["experiment"] = running.ID
	type query struct {
		exprs []string
		step  string
	}
	pending := map[string]query{}
	for name, d := range dashboards.All() {
		for _, q := range dashboards.Queries(d) {
			pending[name+" "+q.Where] = query{slices.Compact([]string{substitute(q.Expr, vars), substitute(q.Expr, alt)}), q.Step}
		}
	}
	// Self-scraped series and the notifications' counters arrive within a
	// few scrapes; retry what is still empty until then.
	deadline := time.Now().Add(30 * time.Second)
	for len(pending) > 0 && time.Now().Before(deadline) {
		for where, q := range pending {
			for _, expr := range q.exprs {
				if rangeQuery(t, srv, expr, q.step) > 0 {
					delete(pending, where)
					break
				}
			}
		}
		if len(pending) > 0 {
			time.Sleep(250 * time.Millisecond)
		}
	}
	var empty []string
	for where, q := range pending {
		empty = append(empty, where+": "+strings.Join(q.exprs, " | "))
	}
	sort.Strings(empty)
	for _, e := range empty {
		t.Errorf("no data: %s", e)
	}

	// The verdict reached Grafana as a region over the run, tagged.
	waitFor(t, "the verdict's annotation", func() bool {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		for _, a := range sink.got {
			if contains(a.Tags, "verdict:"+string(v.Verdict)) && contains(a.Tags, "experiment_id:"+done.ID) {
				return true
			}
		}
		return false
	})
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for i, a := range sink.got {
		if sink.auth[i] != "Bearer glsa_dashboard_test" || a.DashboardUID != "augur-experiment" || !contains(a.Tags, "augur") {
			t.Errorf("annotation %+v with %q", a, sink.auth[i])
		}
		// A region from the run's start to its verdict.
		if contains(a.Tags, "experiment_id:"+done.ID) && (a.TimeEnd <= a.Time || a.Time < created.UnixMilli() || a.TimeEnd > time.Now().UnixMilli()) {
			t.Errorf("the verdict's region %d..%d is not the run's, from %d", a.Time, a.TimeEnd, created.UnixMilli())
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// substitute replaces $name and ${name} as Grafana interpolates them.
func substitute(expr string, vars map[string]string) string {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) }) // $__rate_interval before $__range
	for _, k := range names {
		expr = strings.ReplaceAll(expr, "${"+k+"}", vars[k])
		expr = strings.ReplaceAll(expr, "$"+k, vars[k])
	}
	return expr
}

// rangeQuery POSTs a query_range over the last 30 minutes as Grafana's
// data source does and returns how many series have a sample.
func rangeQuery(t *testing.T, srv *Server, expr, step string) int {
	t.Helper()
	if step == "" {
		step = "15s"
	}
	d, err := time.ParseDuration(step)
	if err != nil {
		t.Fatalf("step %q: %v", step, err)
	}
	now := time.Now()
	p := url.Values{"query": {expr}, "start": {strconv.FormatInt(now.Add(-30*time.Minute).Unix(), 10)},
		"end": {strconv.FormatInt(now.Unix(), 10)}, "step": {strconv.FormatFloat(d.Seconds(), 'f', -1, 64)}}
	code, data := grafanaCall(t, srv, http.MethodPost, "/api/v1/query_range", p)
	if code != http.StatusOK {
		t.Fatalf("%s: %d %s", expr, code, data)
	}
	var m struct {
		Result []struct {
			Values [][2]any `json:"values"`
		} `json:"result"`
	}
	decodeInto(t, data, &m)
	n := 0
	for _, r := range m.Result {
		if len(r.Values) > 0 {
			n++
		}
	}
	return n
}

// checkVariable runs a label_values(selector, label) variable the way
// Grafana's data source does (GET /api/v1/label/<label>/values with
// match[]) and wants the value the test substitutes among the answers.
func checkVariable(t *testing.T, srv *Server, dash string, v dashboards.Variable, vars map[string]string) {
	t.Helper()
	q := substitute(v.Query, vars)
	inner, ok := strings.CutPrefix(q, "label_values(")
	if !ok || !strings.HasSuffix(inner, ")") {
		t.Errorf("%s: variable %s: %q is no label_values()", dash, v.Name, v.Query)
		return
	}
	inner = strings.TrimSuffix(inner, ")")
	i := strings.LastIndex(inner, ",")
	sel, label := strings.TrimSpace(inner[:i]), strings.TrimSpace(inner[i+1:])
	now := time.Now()
	p := url.Values{"match[]": {sel}, "start": {strconv.FormatInt(now.Add(-30*time.Minute).Unix(), 10)}, "end": {strconv.FormatInt(now.Unix(), 10)}}
	var values []string
	waitFor(t, dash+" variable "+v.Name, func() bool {
		code, data := grafanaCall(t, srv, http.MethodGet, "/api/v1/label/"+label+"/values", p)
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", q, code, data)
		}
		decodeInto(t, data, &values)
		return contains(values, vars[v.Name])
	})
}
