package analysis

import (
	"encoding/json"
	"time"
)

// Templates and instances. A Template is a stored, named spec with declared
// arguments: its text carries ${args.NAME} placeholders that are replaced
// when the template is instantiated. Instantiating a template under an
// idempotency key creates the experiment and starts its run once; every
// later instantiation with the same key returns that instance. Gates (Argo
// Rollouts, Flagger, CD pipelines) derive the key from what their
// controller sends, so repeated calls for one rollout revision land on one
// run and a new revision starts a new one.

// ArgsPlaceholderPrefix starts an argument placeholder in a template's spec:
// ${args.NAME}.
const ArgsPlaceholderPrefix = "${args."

// Template on_error policies: what a gate answers while the run's latest
// interval could not be judged because a data source failed.
const (
	// OnErrorInconclusive answers an inconclusive verdict (2xx): the
	// controller pauses and a human decides. The default.
	OnErrorInconclusive = "inconclusive"
	// OnErrorError answers an error (non-2xx): the controller counts an
	// error measurement and, after its limit, aborts.
	OnErrorError = "error"
)

// Template is a named experiment spec with declared arguments.
type Template struct {
	// Name identifies the template (a DNS-label-like name).
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Args are the arguments the spec's ${args.NAME} placeholders take.
	Args []TemplateArg `yaml:"args,omitempty" json:"args,omitempty"`
	// OnError is the gates' answer while a source fails: inconclusive
	// (default) or error.
	OnError string `yaml:"on_error,omitempty" json:"on_error,omitempty"`
	// Flagger is the Flagger webhook type a gate assumes when the call
	// names none (default "rollout").
	Flagger string `yaml:"flagger,omitempty" json:"flagger,omitempty"`
	// Spec is the experiment spec (YAML or JSON text) with placeholders.
	Spec string `yaml:"spec" json:"spec"`
}

// TemplateArg declares one argument of a template.
type TemplateArg struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Default is used when the caller gives no value; nil means none.
	Default *string `yaml:"default,omitempty" json:"default,omitempty"`
	// Required: instantiation without a value (and without a default) is
	// refused, naming the argument.
	Required bool `yaml:"required,omitempty" json:"required,omitempty"`
}

// TemplateRecord is a stored template.
type TemplateRecord struct {
	Template
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Version grows by one with every update.
	Version int64 `json:"version"`
}

// InstanceRequest asks for the instance of a template under a key.
type InstanceRequest struct {
	Template string
	// Key is the idempotency key; the same key always yields the same
	// instance, and a key reused with different args is a conflict.
	Key  string
	Args map[string]string
}

// Instance is a template instantiated under a key: the experiment created
// for it and the run started with it.
type Instance struct {
	Key      string            `json:"key"`
	Template string            `json:"template"`
	Args     map[string]string `json:"args,omitempty"`
	// Experiment is the experiment as of this call (its latest run's
	// status and verdict included).
	Experiment Experiment `json:"experiment"`
	// RunID is the run started when the instance was created.
	RunID string `json:"run_id"`
	// Created is true for the call that created the instance.
	Created   bool      `json:"created"`
	CreatedAt time.Time `json:"created_at"`
}

// Event is something a controller reported about an experiment (a Flagger
// event webhook, a gate decision), kept with the experiment.
type Event struct {
	ExperimentID string `json:"experiment_id"`
	// Source names the reporter ("flagger", "argo", "api").
	Source string `json:"source"`
	// Type is the reporter's event type (Flagger's eventType, a phase).
	Type    string          `json:"type,omitempty"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
	At      time.Time       `json:"at"`
}
