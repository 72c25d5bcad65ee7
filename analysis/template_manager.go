package analysis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Limits on events.
const (
	MaxEventSourceBytes  = 64
	MaxEventTypeBytes    = 64
	MaxEventMessageBytes = 4096
	MaxEventDataBytes    = 64 << 10
)

// PutTemplate validates and stores a template (creating or replacing it).
func (m *Manager) PutTemplate(ctx context.Context, t Template) (TemplateRecord, error) {
	rec, _, err := m.PutTemplateVersion(ctx, t, 0)
	return rec, err
}

// PutTemplateVersion validates and stores a template; with ifVersion > 0 it
// replaces only that stored version (ErrConflict otherwise). created tells
// whether the template is new.
func (m *Manager) PutTemplateVersion(ctx context.Context, t Template, ifVersion int64) (rec TemplateRecord, created bool, err error) {
	t.SetDefaults()
	if err := m.validateTemplate(t); err != nil {
		return TemplateRecord{}, false, err
	}
	return m.store.PutTemplate(ctx, t, ifVersion)
}

// validateTemplate checks the template's fields, then instantiates it with
// its defaults (and a sample value for required arguments without one) and
// validates the spec as Create does, naming the arguments under each
// invalid field.
func (m *Manager) validateTemplate(t Template) error {
	if errs := t.validateShape(); len(errs) > 0 {
		return &ValidationError{Err: errors.Join(errs...)}
	}
	args := map[string]string{}
	var samples []string
	for _, a := range t.Args {
		switch {
		case a.Default != nil:
			args[a.Name] = *a.Default
		default:
			args[a.Name] = sampleArgValue + "-" + a.Name
			samples = append(samples, a.Name)
		}
	}
	spec, err := t.instantiate(args)
	if err == nil {
		err = m.validate(&spec)
	}
	if err == nil {
		return nil
	}
	var errs []error
	for _, leaf := range leafErrors(err) {
		msg := leaf.Error()
		field, _, _ := strings.Cut(msg, ":")
		if names := t.nodeArgs(field); len(names) > 0 {
			var used []string
			for _, n := range names {
				if slices.Contains(samples, n) {
					used = append(used, fmt.Sprintf("%s=%q (a sample: the arg has no default)", n, args[n]))
				} else {
					used = append(used, fmt.Sprintf("%s=%q (its default)", n, args[n]))
				}
			}
			msg += "; with args " + strings.Join(used, ", ")
		}
		if !strings.HasPrefix(msg, "spec:") {
			msg = "spec." + msg
		}
		errs = append(errs, errors.New(msg))
	}
	return &ValidationError{Err: errors.Join(errs...)}
}

// leafErrors flattens joined and wrapped validation errors.
func leafErrors(err error) []error {
	var v *ValidationError
	if errors.As(err, &v) {
		err = v.Err
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leafErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// GetTemplate returns a stored template (ErrNotFound naming it).
func (m *Manager) GetTemplate(ctx context.Context, name string) (TemplateRecord, error) {
	return m.store.GetTemplate(ctx, name)
}

// ListTemplates returns the stored templates by name.
func (m *Manager) ListTemplates(ctx context.Context) ([]TemplateRecord, error) {
	return m.store.ListTemplates(ctx)
}

// DeleteTemplate removes a template; its instances stay.
func (m *Manager) DeleteTemplate(ctx context.Context, name string) error {
	return m.store.DeleteTemplate(ctx, name)
}

// Instantiate returns the instance of req.Template under req.Key, creating
// the experiment and starting its run exactly once across callers and
// replicas.
func (m *Manager) Instantiate(ctx context.Context, req InstanceRequest) (Instance, error) {
	if err := CheckInstanceKey(req.Key); err != nil {
		return Instance{}, &ValidationError{Err: err}
	}
	for _, name := range slices.Sorted(maps.Keys(req.Args)) {
		if err := checkArgValue(req.Args[name]); err != nil {
			return Instance{}, &ValidationError{Err: fmt.Errorf("args.%s: %w", name, err)}
		}
	}
	stored, err := m.store.GetInstance(ctx, req.Key)
	switch {
	case err == nil:
		return m.existing(ctx, stored, req)
	case !errors.Is(err, ErrNotFound):
		return Instance{}, err
	}
	t, err := m.store.GetTemplate(ctx, req.Template)
	if err != nil {
		return Instance{}, err
	}
	args, err := t.resolveArgs(req.Args)
	if err != nil {
		return Instance{}, &ValidationError{Err: err}
	}
	spec, err := t.instantiate(args)
	if err != nil {
		return Instance{}, &ValidationError{Err: err}
	}
	if spec.Labels == nil {
		spec.Labels = map[string]string{}
	}
	spec.Labels[TemplateLabel] = t.Name
	if err := m.validate(&spec); err != nil {
		return Instance{}, err
	}
	now := m.now().UTC()
	e := ExperimentRecord{ID: newID(), Spec: spec, CreatedAt: now, UpdatedAt: now, Version: 1, Template: t.Name, Key: req.Key}
	r := Run{ID: newID(), ExperimentID: e.ID, Spec: spec, Status: RunRunning, StartedAt: now, CreatedAt: now, UpdatedAt: now}
	_, _, r.NextDue = spec.Schedule(now).Window(0)
	in := InstanceRecord{Key: req.Key, Template: t.Name, Args: args, ExperimentID: e.ID, RunID: r.ID, CreatedAt: now}
	stored, created, err := m.store.CreateInstance(ctx, in, e, r)
	if err != nil {
		return Instance{}, err
	}
	if !created {
		if err := sameInstance(stored, t.Name, args); err != nil {
			return Instance{}, err
		}
		return m.instance(ctx, stored, false)
	}
	m.Kick()
	return m.instance(ctx, stored, true)
}

// existing answers a request for a key already stored: the stored
// instance if the request matches it, else ErrConflict naming what
// differs. Given args are resolved against the template as it is now; if
// it was deleted, the given args must match the stored ones.
func (m *Manager) existing(ctx context.Context, stored InstanceRecord, req InstanceRequest) (Instance, error) {
	args := req.Args
	if req.Template == stored.Template {
		t, err := m.store.GetTemplate(ctx, req.Template)
		switch {
		case err == nil:
			if args, err = t.resolveArgs(req.Args); err != nil {
				return Instance{}, &ValidationError{Err: err}
			}
		case !errors.Is(err, ErrNotFound):
			return Instance{}, err
		default:
			args = maps.Clone(stored.Args)
			maps.Copy(args, req.Args)
		}
	}
	if err := sameInstance(stored, req.Template, args); err != nil {
		return Instance{}, err
	}
	return m.instance(ctx, stored, false)
}

// sameInstance returns ErrConflict naming the template or each argument
// that differs from the stored instance.
func sameInstance(stored InstanceRecord, template string, args map[string]string) error {
	var diffs []string
	if stored.Template != template {
		diffs = append(diffs, fmt.Sprintf("template: stored %q, requested %q", stored.Template, template))
	}
	names := map[string]bool{}
	for k := range stored.Args {
		names[k] = true
	}
	for k := range args {
		names[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(names)) {
		s, sok := stored.Args[k]
		r, rok := args[k]
		switch {
		case sok && rok && s == r:
		case !rok:
			diffs = append(diffs, fmt.Sprintf("args.%s: stored %q, requested none", k, s))
		case !sok:
			diffs = append(diffs, fmt.Sprintf("args.%s: stored none, requested %q", k, r))
		default:
			diffs = append(diffs, fmt.Sprintf("args.%s: stored %q, requested %q", k, s, r))
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: key %q is instance of experiment %s with other args (%s); use a new key for other args",
		ErrConflict, stored.Key, stored.ExperimentID, strings.Join(diffs, "; "))
}

// instance returns the stored instance with its experiment as of now.
func (m *Manager) instance(ctx context.Context, in InstanceRecord, created bool) (Instance, error) {
	x, err := m.Get(ctx, in.ExperimentID)
	if err != nil {
		return Instance{}, err
	}
	return Instance{Key: in.Key, Template: in.Template, Args: in.Args, Experiment: x, RunID: in.RunID,
		Created: created, CreatedAt: in.CreatedAt}, nil
}

// Instance returns the instance stored under key (ErrNotFound).
func (m *Manager) Instance(ctx context.Context, key string) (Instance, error) {
	in, err := m.store.GetInstance(ctx, key)
	if err != nil {
		return Instance{}, err
	}
	return m.instance(ctx, in, false)
}

// RecordEvent keeps a controller's event with the experiment.
func (m *Manager) RecordEvent(ctx context.Context, ev Event) error {
	var errs []error
	check := func(field, v string, limit int, required bool) {
		switch {
		case required && strings.TrimSpace(v) == "":
			errs = append(errs, fmt.Errorf("%s: must not be empty", field))
		case len(v) > limit:
			errs = append(errs, fmt.Errorf("%s: at most %d bytes, got %d", field, limit, len(v)))
		}
	}
	check("source", ev.Source, MaxEventSourceBytes, true)
	check("type", ev.Type, MaxEventTypeBytes, false)
	check("message", ev.Message, MaxEventMessageBytes, false)
	if len(ev.Data) > MaxEventDataBytes {
		errs = append(errs, fmt.Errorf("data: at most %d bytes, got %d", MaxEventDataBytes, len(ev.Data)))
	} else if len(ev.Data) > 0 && !json.Valid(ev.Data) {
		errs = append(errs, errors.New("data: must be JSON"))
	}
	if len(errs) > 0 {
		return &ValidationError{Err: errors.Join(errs...)}
	}
	if ev.At.IsZero() {
		ev.At = m.now()
	}
	ev.At = ev.At.UTC()
	return m.store.AddEvent(ctx, ev)
}

// Events returns an experiment's events, oldest first.
func (m *Manager) Events(ctx context.Context, experimentID string) ([]Event, error) {
	if _, err := m.store.GetExperiment(ctx, experimentID); err != nil {
		return nil, err
	}
	return m.store.ListEvents(ctx, experimentID)
}

// Find returns the experiments f selects, newest first.
func (m *Manager) Find(ctx context.Context, f ExperimentFilter) ([]Experiment, error) {
	es, err := m.store.FindExperiments(ctx, f)
	if err != nil {
		return nil, err
	}
	return m.views(ctx, es)
}
