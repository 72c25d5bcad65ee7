package analysis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augurhq/augur/judges"
)

// patternData is what a fake source answers a logpatterns metric: pattern
// counts and an exposure per cohort (by service_version).
type patternData struct {
	counts   map[string]map[string]float64 // version → pattern → events
	exposure map[string]float64
	noLabel  bool // return pattern series without pattern_id
}

func (d patternData) Fetch(_ context.Context, q Query) ([]Series, error) {
	if !q.Instant() {
		return nil, fmt.Errorf("a logpatterns query must be instant, got step %s", q.Step)
	}
	version := "v1"
	if strings.Contains(q.Expr, `service_version="v2"`) {
		version = "v2"
	}
	at := q.End.UnixMilli()
	if strings.Contains(q.Expr, "augur_log_records_total") {
		return []Series{{Labels: map[string]string{}, Points: []Point{{T: at, V: d.exposure[version]}}}}, nil
	}
	var out []Series
	for id, v := range d.counts[version] {
		ls := map[string]string{LabelPatternID: id}
		if d.noLabel {
			ls = map[string]string{"severity": "error"}
		}
		out = append(out, Series{Labels: ls, Points: []Point{{T: at, V: v}}})
	}
	return out, nil
}

// fakeCatalog is a Sources over one source that also implements
// PatternCatalog, recording the selectors it is asked for.
type fakeCatalog struct {
	src Source
	mu  sync.Mutex
	got []string
}

func (f *fakeCatalog) Source(string, *SourceSpec) (Source, error) { return f.src, nil }

func (f *fakeCatalog) Pattern(_ context.Context, id, selector string) (PatternInfo, bool, error) {
	f.mu.Lock()
	f.got = append(f.got, selector)
	f.mu.Unlock()
	switch id {
	case "00000000dead":
		return PatternInfo{Template: "payment gateway timeout after <*>", Examples: []PatternExample{
			{Time: time.Unix(100, 0).UTC(), Line: "payment gateway timeout after 3000ms", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"},
		}}, true, nil
	case "00000000beef":
		return PatternInfo{}, false, nil
	}
	return PatternInfo{}, false, errors.New("catalog down")
}

type plainSources struct{ src Source }

func (p plainSources) Source(string, *SourceSpec) (Source, error) { return p.src, nil }

func logPatternsSpec(t *testing.T, judge string) Spec {
	t.Helper()
	s, err := ParseSpec(strings.NewReader(`apiVersion: augur/v1
name: logs
cohorts: {baseline: 'service_version="v1"', canary: 'service_version="v2"'}
timing: {lifetime: 1h, interval: 10m}
metrics:
  - name: error_patterns
    kind: logpatterns
    query: 'sum by (pattern_id) (increase(augur_log_pattern_records_total{service_name="checkout",severity=~"error|warn",${cohort}}[${window}]))'
    total_query: 'sum(increase(augur_log_records_total{service_name="checkout",${cohort}}[${window}]))'
` + judge))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func common(extra map[string]float64) map[string]float64 {
	m := map[string]float64{"0000000000a1": 400, "0000000000a2": 90, "0000000000a3": 12, "0000000000a4": 1}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestLogPatternsJudged(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exposure := map[string]float64{"v1": 100000, "v2": 100000}
	tests := []struct {
		name     string
		data     patternData
		judge    string
		catalog  bool
		look     int
		want     judges.Classification
		failing  []string
		reason   string
		examples bool
	}{
		{name: "a new error signature fails, with its example and trace id", catalog: true, look: 6, want: judges.High,
			data:    patternData{counts: map[string]map[string]float64{"v1": common(nil), "v2": common(map[string]float64{"00000000dead": 60})}, exposure: exposure},
			failing: []string{"00000000dead"}, examples: true,
			reason: `00000000dead "payment gateway timeout after <*>": 60 in canary vs 0 in baseline (new)`},
		{name: "without a catalog: ids and counts", look: 6, want: judges.High,
			data:    patternData{counts: map[string]map[string]float64{"v1": common(nil), "v2": common(map[string]float64{"00000000dead": 60})}, exposure: exposure},
			failing: []string{"00000000dead"}, reason: "00000000dead: 60 in canary vs 0 in baseline (new)"},
		{name: "A/A passes", catalog: true, look: 6, want: judges.Pass,
			data:   patternData{counts: map[string]map[string]float64{"v1": common(nil), "v2": common(nil)}, exposure: exposure},
			reason: "4 patterns (canary 503 events per 100000, baseline 503 per 100000): none more frequent in canary"},
		{name: "a few new lines at the first, thin look pass", catalog: true, look: 1, want: judges.Pass,
			data: patternData{counts: map[string]map[string]float64{"v1": common(nil), "v2": common(map[string]float64{"00000000dead": 12})}, exposure: exposure}},
		{name: "a known pattern three times as frequent", catalog: true, look: 6, want: judges.High,
			data:    patternData{counts: map[string]map[string]float64{"v1": common(nil), "v2": common(map[string]float64{"0000000000a2": 270})}, exposure: exposure},
			failing: []string{"0000000000a2"}, reason: "0000000000a2: 270 in canary vs 90 in baseline (rate ×3)"},
		{name: "within a 300 % margin", catalog: true, look: 6, want: judges.Pass, judge: "    judge: {margin: 300%}\n",
			data: patternData{counts: map[string]map[string]float64{"v1": common(nil), "v2": common(map[string]float64{"0000000000a2": 270})}, exposure: exposure}},
		{name: "the catalog forgot the pattern", catalog: true, look: 6, want: judges.High,
			data:    patternData{counts: map[string]map[string]float64{"v1": common(nil), "v2": common(map[string]float64{"00000000beef": 60})}, exposure: exposure},
			failing: []string{"00000000beef"}},
		{name: "no pattern_id is an error", catalog: true, look: 6, want: judges.Error,
			data:   patternData{counts: map[string]map[string]float64{"v1": common(nil), "v2": common(nil)}, exposure: exposure, noLabel: true},
			reason: "canary: series map[severity:error] has no pattern_id label"},
		{name: "no canary exposure", catalog: true, look: 6, want: judges.NoData,
			data:   patternData{counts: map[string]map[string]float64{"v1": common(nil)}, exposure: map[string]float64{"v1": 1000}},
			reason: "no exposure (total_query: canary 0, baseline 1000)"},
		{name: "no events at all", catalog: true, look: 6, want: judges.Pass,
			data:   patternData{exposure: exposure},
			reason: "no pattern events in either cohort"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := logPatternsSpec(t, tt.judge)
			cat := &fakeCatalog{src: tt.data}
			var sources Sources = plainSources{tt.data}
			if tt.catalog {
				sources = cat
			}
			var st RunState
			v := EvaluateInterval(context.Background(), spec, spec.Schedule(t0), tt.look-1, &st, sources)
			r := v.Metrics[0]
			if r.Classification != tt.want {
				t.Fatalf("classification %s, want %s: %s", r.Classification, tt.want, r.Reason)
			}
			if !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("reason %q lacks %q", r.Reason, tt.reason)
			}
			var failing []string
			for _, p := range r.Patterns {
				failing = append(failing, p.ID)
			}
			if fmt.Sprint(failing) != fmt.Sprint(tt.failing) {
				t.Errorf("failing patterns %v, want %v", failing, tt.failing)
			}
			if tt.want == judges.High || tt.want == judges.Pass {
				alpha := spec.LookAlpha(spec.Metrics[0], tt.look, 6)
				if r.Confidence == nil || *r.Confidence != 1-alpha {
					t.Errorf("confidence %v, want 1 − look %d's α %g", r.Confidence, tt.look, alpha)
				}
			}
			if tt.examples {
				p := r.Patterns[0]
				if !p.New || p.Template == "" || len(p.Examples) != 1 || p.Examples[0].TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || p.RateRatio != nil {
					t.Errorf("pattern %+v", p)
				}
				want := `service_name="checkout",service_version="v2",severity=~"error|warn"`
				if len(cat.got) != 1 || cat.got[0] != want {
					t.Errorf("catalog asked for %q, want the canary's selector %q", cat.got, want)
				}
			}
			if tt.name == "the catalog forgot the pattern" && (r.Patterns[0].Note == "" || r.Patterns[0].Template != "") {
				t.Errorf("pattern %+v", r.Patterns[0])
			}
		})
	}
}

// TestLogPatternsBeyondTheCap: more testable patterns than are judged, none
// failing among the judged, is inconclusive, never a pass.
func TestLogPatternsBeyondTheCap(t *testing.T) {
	counts := map[string]float64{}
	for i := range MaxJudgedPatterns + 50 {
		counts[fmt.Sprintf("%012x", i)] = 40
	}
	data := patternData{counts: map[string]map[string]float64{"v1": counts, "v2": counts}, exposure: map[string]float64{"v1": 1e6, "v2": 1e6}}
	spec := logPatternsSpec(t, "")
	var st RunState
	v := EvaluateInterval(context.Background(), spec, spec.Schedule(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), 5, &st, plainSources{data})
	r := v.Metrics[0]
	if r.Classification != judges.Inconclusive || !strings.Contains(r.Reason, "50 testable patterns beyond the 1000 with the most events were not judged") {
		t.Errorf("%s: %s", r.Classification, r.Reason)
	}
}

// TestLogPatternsListsAtMostTheCap: more failing patterns than a result
// lists: the most significant are listed, the reason counts the rest.
func TestLogPatternsListsAtMostTheCap(t *testing.T) {
	canary := common(nil)
	for i := range MaxReportedPatterns + 5 {
		canary[fmt.Sprintf("0000000001%02d", i)] = float64(40 + i)
	}
	data := patternData{counts: map[string]map[string]float64{"v1": common(nil), "v2": canary}, exposure: map[string]float64{"v1": 1e5, "v2": 1e5}}
	spec := logPatternsSpec(t, "")
	var st RunState
	v := EvaluateInterval(context.Background(), spec, spec.Schedule(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), 5, &st, plainSources{data})
	r := v.Metrics[0]
	if r.Classification != judges.High || len(r.Patterns) != MaxReportedPatterns || r.Patterns[0].ID != "000000000124" ||
		!strings.Contains(r.Reason, "25 more frequent in canary") || !strings.Contains(r.Reason, "and 22 more (the result lists the 20 most significant)") {
		t.Errorf("%s, %d patterns (first %+v): %s", r.Classification, len(r.Patterns), r.Patterns[0], r.Reason)
	}
}
