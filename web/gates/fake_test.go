package gates

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/augurhq/augur/analysis"
	"github.com/augurhq/augur/judges"
)

// fakeManager keeps templates, instances, runs and events in memory.
type fakeManager struct {
	mu        sync.Mutex
	spec      analysis.Spec
	templates map[string]analysis.TemplateRecord
	instances map[string]analysis.Instance
	runs      map[string]analysis.Run
	latest    map[string]analysis.IntervalResult
	events    []analysis.Event
}

func newFake(ts ...analysis.Template) *fakeManager {
	f := &fakeManager{templates: map[string]analysis.TemplateRecord{}, instances: map[string]analysis.Instance{},
		runs: map[string]analysis.Run{}, latest: map[string]analysis.IntervalResult{}}
	f.spec = analysis.Spec{Name: "checkout", Timing: analysis.Timing{Interval: analysis.Duration(time.Minute), Lifetime: analysis.Duration(3 * time.Minute)}}
	for _, t := range ts {
		f.templates[t.Name] = analysis.TemplateRecord{Template: t, Version: 1}
	}
	return f
}

func (f *fakeManager) GetTemplate(_ context.Context, name string) (analysis.TemplateRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.templates[name]
	if !ok {
		return t, fmt.Errorf("template %s: %w", name, analysis.ErrNotFound)
	}
	return t, nil
}

func (f *fakeManager) Instantiate(_ context.Context, req analysis.InstanceRequest) (analysis.Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.templates[req.Template]; !ok {
		return analysis.Instance{}, fmt.Errorf("template %s: %w", req.Template, analysis.ErrNotFound)
	}
	if in, ok := f.instances[req.Key]; ok {
		var differ []string
		for _, k := range slices.Sorted(maps.Keys(mergeKeys(in.Args, req.Args))) {
			if in.Args[k] != req.Args[k] {
				differ = append(differ, k)
			}
		}
		if len(differ) > 0 {
			return analysis.Instance{}, fmt.Errorf("%w: key %s was used with different args: %s", analysis.ErrConflict, req.Key, strings.Join(differ, ", "))
		}
		in.Created = false
		in.Experiment.Run = in.RunID
		return in, nil
	}
	n := len(f.instances) + 1
	run := analysis.Run{ID: fmt.Sprintf("run-%d", n), ExperimentID: fmt.Sprintf("exp-%d", n), Spec: f.spec,
		Status: analysis.RunRunning, StartedAt: time.Now().UTC()}
	f.runs[run.ID] = run
	in := analysis.Instance{Key: req.Key, Template: req.Template, Args: req.Args, RunID: run.ID, Created: true,
		Experiment: analysis.Experiment{ExperimentRecord: analysis.ExperimentRecord{ID: run.ExperimentID, Template: req.Template, Key: req.Key}, Run: run.ID}}
	f.instances[req.Key] = in
	return in, nil
}

func mergeKeys(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, b)
	return out
}

func (f *fakeManager) Instance(_ context.Context, key string) (analysis.Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in, ok := f.instances[key]
	if !ok {
		return in, fmt.Errorf("instance %s: %w", key, analysis.ErrNotFound)
	}
	return in, nil
}

func (f *fakeManager) RecordEvent(_ context.Context, ev analysis.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, ev)
	return nil
}

func (f *fakeManager) Get(_ context.Context, id string) (analysis.Experiment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, in := range f.instances {
		if in.Experiment.ID == id {
			return in.Experiment, nil
		}
	}
	return analysis.Experiment{}, fmt.Errorf("experiment %s: %w", id, analysis.ErrNotFound)
}

func (f *fakeManager) Run(_ context.Context, id string) (analysis.Run, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.runs[id]
	if !ok {
		return r, fmt.Errorf("run %s: %w", id, analysis.ErrNotFound)
	}
	return r, nil
}

func (f *fakeManager) LatestInterval(_ context.Context, id string) (analysis.IntervalResult, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.latest[id]
	return r, ok, nil
}

// judge records interval i (1-based) of the instance's run with outcome
// o; final ends the run with it.
func (f *fakeManager) judge(key string, i int, o judges.Outcome, score float64, final bool, metrics ...analysis.MetricResult) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := f.instances[key]
	r := f.runs[in.RunID]
	v := analysis.Verdict{ExperimentID: r.ExperimentID, RunID: r.ID, Verdict: o, Reason: string(o) + " reason",
		Interval: i, Intervals: r.Spec.IntervalCount(), Metrics: metrics}
	if o != judges.OutcomeInconclusive {
		v.Score = &score
	}
	r.NextIndex = i
	f.latest[r.ID] = analysis.IntervalResult{RunID: r.ID, Index: i - 1, Verdict: v}
	if final {
		r.Status, r.Verdict = analysis.RunCompleted, &v
	}
	f.runs[r.ID] = r
}

func (f *fakeManager) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.instances)
}
