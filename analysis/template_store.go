package analysis

import (
	"context"
	"time"
)

// InstanceRecord is a stored instance: the key, the template and resolved
// args it was created with, and the experiment and run created for it.
type InstanceRecord struct {
	Key          string
	Template     string
	Args         map[string]string
	ExperimentID string
	RunID        string
	CreatedAt    time.Time
}

// ExperimentFilter selects experiments; empty fields match every
// experiment, and every set field must match.
type ExperimentFilter struct {
	// Name is the spec's name, exactly.
	Name string
	// Template and Key are the template and idempotency key the
	// experiment was instantiated from.
	Template string
	Key      string
	// Labels must all be on the spec with these values.
	Labels map[string]string
	// Status is created (never started) or the latest run's status.
	Status string
}

// TemplateStore keeps templates, their instances and experiments' events.
// Implementations: analysis/state (SQLite, PostgreSQL).
type TemplateStore interface {
	// PutTemplate creates t (Version 1) or replaces the stored template of
	// that name (Version+1, CreatedAt kept); created tells which. With
	// ifVersion > 0 it replaces only that version (ErrConflict otherwise,
	// ErrNotFound if none is stored).
	PutTemplate(ctx context.Context, t Template, ifVersion int64) (rec TemplateRecord, created bool, err error)
	// GetTemplate returns a template or ErrNotFound.
	GetTemplate(ctx context.Context, name string) (TemplateRecord, error)
	// ListTemplates returns the templates ordered by name.
	ListTemplates(ctx context.Context) ([]TemplateRecord, error)
	// DeleteTemplate removes a template (ErrNotFound); its instances stay.
	DeleteTemplate(ctx context.Context, name string) error

	// CreateInstance stores in, the experiment e it created and e's first
	// run r in one transaction, unless an instance is stored under in.Key:
	// then it stores nothing and returns the stored instance with created
	// false. Concurrent callers with one key: exactly one creates.
	CreateInstance(ctx context.Context, in InstanceRecord, e ExperimentRecord, r Run) (stored InstanceRecord, created bool, err error)
	// GetInstance returns the instance stored under key or ErrNotFound.
	GetInstance(ctx context.Context, key string) (InstanceRecord, error)

	// AddEvent keeps ev with its experiment (ErrNotFound if none).
	AddEvent(ctx context.Context, ev Event) error
	// ListEvents returns an experiment's events, oldest first.
	ListEvents(ctx context.Context, experimentID string) ([]Event, error)

	// FindExperiments returns the experiments f selects, newest first,
	// selecting in the database.
	FindExperiments(ctx context.Context, f ExperimentFilter) ([]ExperimentRecord, error)
}
