package analysis_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/analysis/source/embedded"
	"github.com/augurhq/augur/collector/store/storetest"
)

// sequentialFixture loads an hour of errors, requests and buckets for two
// cohorts into a real store and returns a canary spec judging them with
// the sequential judge every 5 minutes.
func sequentialFixture(t *testing.T) (analysis.Spec, analysis.Sources) {
	t.Helper()
	spec, err := analysis.ParseSpec(strings.NewReader(`apiVersion: augur/v1
name: takeover
cohorts: {baseline: 'version="v1"', canary: 'version="v2"'}
timing: {start: "2026-01-01T00:00:00Z", lifetime: 60m, interval: 5m}
metrics:
  - name: errors
    kind: counts
    query: 'sum(increase(errors_total{${cohort}}[${window}]))'
    total_query: 'sum(increase(requests_total{${cohort}}[${window}]))'
    judge: {type: sequential, margin: 10%}
  - name: latency
    kind: histogram
    query: 'sum by (le) (increase(latency_seconds_bucket{${cohort}}[${window}]))'
    judge: {type: sequential}
`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := *spec.Timing.Start.At
	st := storetest.OpenBackfill(t, t0)
	loadSeries(t, st, t0, load{step: time.Minute, lines: []string{
		`requests_total{version="v1"} 0+1000x60`,
		`requests_total{version="v2"} 0+1000x60`,
		`errors_total{version="v1"} counter(8,1)x60`,
		`errors_total{version="v2"} counter(9,2)x60`,
		`latency_seconds_bucket{version="v1",le="0.1"} 0+500x60`,
		`latency_seconds_bucket{version="v1",le="+Inf"} 0+1000x60`,
		`latency_seconds_bucket{version="v2",le="0.1"} 0+490x60`,
		`latency_seconds_bucket{version="v2",le="+Inf"} 0+1000x60`,
	}})
	src := embedded.New(st)
	return spec, sourcesFunc(func(string) (analysis.Source, error) { return src, nil })
}

// TestSequentialTakeover: a run taken over by another worker after every
// interval (its state read back from JSON, a new fetcher) continues the
// same e-process and the same accumulated histograms: every interval's
// results and the stored state equal those of a run that never stopped.
func TestSequentialTakeover(t *testing.T) {
	spec, sources := sequentialFixture(t)
	sch := spec.Schedule(*spec.Timing.Start.At)
	var kept, moved analysis.RunState
	for i := range 6 {
		a := analysis.EvaluateInterval(context.Background(), spec, sch, i, &kept, sources)
		b := analysis.EvaluateInterval(context.Background(), spec, sch, i, &moved, sources)
		raw, err := json.Marshal(moved)
		if err != nil {
			t.Fatal(err)
		}
		moved = analysis.RunState{}
		if err := json.Unmarshal(raw, &moved); err != nil {
			t.Fatal(err)
		}
		for k := range a.Metrics {
			ma, mb := a.Metrics[k], b.Metrics[k]
			if ma.Reason != mb.Reason || !reflect.DeepEqual(ma.PValue, mb.PValue) || !reflect.DeepEqual(ma.CIHigh, mb.CIHigh) {
				t.Errorf("interval %d %s: kept %q, taken over %q", i+1, ma.Name, ma.Reason, mb.Reason)
			}
			if ma.PValue == nil && ma.Name == "errors" {
				t.Errorf("interval %d: no e-value (%s %q)", i+1, ma.Classification, ma.Reason)
			}
		}
	}
	if !reflect.DeepEqual(kept, moved) {
		t.Errorf("state after 6 intervals differs:\nkept  %+v\nmoved %+v", kept.Tracks, moved.Tracks)
	}
	tr := kept.Tracks["canary"]["errors"]
	if tr == nil || tr.Count == nil || tr.Count.CanaryTrials < 29_000 || tr.Count.CanaryTrials > 31_000 {
		t.Fatalf("errors track after 30 minutes: %+v", tr)
	}
	h := kept.Tracks["canary"]["latency"]
	total := 0.0
	if h != nil {
		for _, c := range h.Canary { // each bucket's count by its upper bound
			total += c
		}
	}
	if total < 29_000 || total > 31_000 {
		t.Errorf("latency track after 30 minutes holds %g requests: %+v", total, h)
	}
}

// TestSequentialLegacyState: a state stored before tracks were kept per
// metric (the abn primary metric's mSPRT under "sequential") is continued,
// not restarted.
func TestSequentialLegacyState(t *testing.T) {
	spec, err := analysis.ParseSpec(strings.NewReader(`apiVersion: augur/v1
kind: abn
name: legacy
cohorts: {control: 'variant="a"', variants: {b: 'variant="b"'}}
timing: {start: "2026-01-01T00:00:00Z", lifetime: 20m, interval: 10m}
metrics:
  - {name: conv, primary: true, query: 'latency{${cohort}}', judge: {type: sequential}}
`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := *spec.Timing.Start.At
	st := storetest.OpenBackfill(t, t0)
	loadSeries(t, st, t0, load{step: time.Minute, lines: []string{
		`latency{variant="a"} normal(100,10,1)x20`,
		`latency{variant="b"} normal(100,10,2)x20`,
	}})
	src := embedded.New(st)
	sources := sourcesFunc(func(string) (analysis.Source, error) { return src, nil })
	sch := spec.Schedule(t0)
	var fresh analysis.RunState
	analysis.EvaluateInterval(context.Background(), spec, sch, 0, &fresh, sources)
	tr := fresh.Tracks["b"]["conv"]
	if tr == nil || tr.State.Canary.N == 0 {
		t.Fatalf("no track after interval 1: %+v", fresh)
	}
	// The same state as an older release stored it.
	legacy := analysis.RunState{Sequential: map[string]*analysis.SequentialTrack{"b": tr}}
	raw, _ := json.Marshal(legacy)
	var old analysis.RunState
	if err := json.Unmarshal(raw, &old); err != nil {
		t.Fatal(err)
	}
	a := analysis.EvaluateInterval(context.Background(), spec, sch, 1, &fresh, sources)
	b := analysis.EvaluateInterval(context.Background(), spec, sch, 1, &old, sources)
	if a.Metrics[0].Reason != b.Metrics[0].Reason {
		t.Errorf("legacy state: %q, want %q", b.Metrics[0].Reason, a.Metrics[0].Reason)
	}
	if old.Sequential != nil || old.Tracks["b"]["conv"] == nil || old.Tracks["b"]["conv"].State.Canary.N != fresh.Tracks["b"]["conv"].State.Canary.N {
		t.Errorf("legacy state not moved into tracks: %+v", old)
	}
}

// TestSequentialSpecDefaults: the sequential judge is accepted on counts
// and histograms in canary experiments; on histograms the margin stays
// unset (the judge fails only beyond DefaultSequentialQuantileMargin and
// passes otherwise).
func TestSequentialSpecDefaults(t *testing.T) {
	spec, _ := sequentialFixture(t)
	if m := spec.Metrics[1].Judge.Margin; m != nil {
		t.Errorf("histogram margin %v, want unset", m)
	}
	if m := spec.Metrics[0].Judge.Margin; m == nil || m.String() != "10%" {
		t.Errorf("counts margin %v, want 10%%", m)
	}
	// With total_query and no kind, the sequential judge reads counts.
	s, err := analysis.ParseSpec(strings.NewReader(`apiVersion: augur/v1
name: x
cohorts: {baseline: 'v="1"', canary: 'v="2"'}
timing: {lifetime: 1h}
metrics:
  - name: errors
    query: 'sum(increase(errors_total{${cohort}}[${window}]))'
    total_query: 'sum(increase(requests_total{${cohort}}[${window}]))'
    judge: {type: sequential}
`))
	if err != nil || s.Metrics[0].Kind != analysis.KindCounts {
		t.Errorf("kind %q, %v; want counts", s.Metrics[0].Kind, err)
	}
}
