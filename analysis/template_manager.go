package analysis

import (
	"context"
	"errors"
)

// errTemplatesPending is returned until templates are stored.
var errTemplatesPending = errors.New("templates are not available yet")

// PutTemplate validates and stores a template (creating or replacing it).
func (m *Manager) PutTemplate(ctx context.Context, t Template) (TemplateRecord, error) {
	return TemplateRecord{}, errTemplatesPending
}

// GetTemplate returns a stored template (ErrNotFound naming it).
func (m *Manager) GetTemplate(ctx context.Context, name string) (TemplateRecord, error) {
	return TemplateRecord{}, errTemplatesPending
}

// ListTemplates returns the stored templates by name.
func (m *Manager) ListTemplates(ctx context.Context) ([]TemplateRecord, error) {
	return nil, errTemplatesPending
}

// DeleteTemplate removes a template; its instances stay.
func (m *Manager) DeleteTemplate(ctx context.Context, name string) error {
	return errTemplatesPending
}

// Instantiate returns the instance of req.Template under req.Key, creating
// the experiment and starting its run exactly once across callers and
// replicas.
func (m *Manager) Instantiate(ctx context.Context, req InstanceRequest) (Instance, error) {
	return Instance{}, errTemplatesPending
}

// Instance returns the instance stored under key (ErrNotFound).
func (m *Manager) Instance(ctx context.Context, key string) (Instance, error) {
	return Instance{}, errTemplatesPending
}

// RecordEvent keeps a controller's event with the experiment.
func (m *Manager) RecordEvent(ctx context.Context, ev Event) error {
	return errTemplatesPending
}

// Events returns an experiment's events, oldest first.
func (m *Manager) Events(ctx context.Context, experimentID string) ([]Event, error) {
	return nil, errTemplatesPending
}
