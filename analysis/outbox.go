package analysis

import (
	"encoding/json"
	"errors"
	"time"
)

// OutboxKind is what happened to a run that notifications may report.
type OutboxKind string

// Outbox kinds. Their values are the event label routes match on.
const (
	OutboxVerdict        OutboxKind = "verdict"         // a run's final verdict
	OutboxRunStarted     OutboxKind = "run_started"     // a run began
	OutboxRunAborted     OutboxKind = "run_aborted"     // a run was aborted (by a user or an alert)
	OutboxIntervalFailed OutboxKind = "interval_failed" // an interval failed and the run goes on
)

// OutboxEvent is one row of the notification outbox: something that
// happened to a run, written by the state store in the same transaction as
// the change itself (CreateRun, CommitInterval, SetRunStatus), so that a
// committed verdict is never lost before it is routed and a rolled-back one
// is never announced.
type OutboxEvent struct {
	// ID is unique per event: "<run>/<kind>", and "<run>/interval_failed/<index>"
	// for a failed interval.
	ID           string     `json:"id"`
	ExperimentID string     `json:"experiment_id"`
	RunID        string     `json:"run_id"`
	Kind         OutboxKind `json:"kind"`
	// Index is the failed interval's index; -1 for the other kinds.
	Index int       `json:"index"`
	At    time.Time `json:"at"`
}

// DeliveryStatus is where one outbox delivery is.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "pending"   // waiting for its next attempt
	DeliveryDelivered DeliveryStatus = "delivered" // the receiver took it
	DeliveryDead      DeliveryStatus = "dead"      // refused, or failing for the maximum age: dead-lettered
)

// OutboxDelivery is one message to one receiver. ID is the idempotency key
// (Standard Webhooks' webhook-id): the same on every attempt, whichever
// replica makes it.
type OutboxDelivery struct {
	ID           string `json:"id"`
	Receiver     string `json:"receiver"`
	ExperimentID string `json:"experiment_id"`
	RunID        string `json:"run_id"`
	// Event is the message's event (verdict, run_started, ...).
	Event string `json:"event"`
	// Message is the notify.Message sent, as JSON.
	Message json.RawMessage `json:"message"`
	Status  DeliveryStatus  `json:"status"`
	// Attempts counts the attempts made so far.
	Attempts int `json:"attempts"`
	// NextAttempt is when a pending delivery is tried next.
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// LastError is the latest failed attempt's error ("" once delivered).
	LastError   string     `json:"last_error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	// History holds every attempt, oldest first, when the delivery is read
	// with them (ListDeliveries, GetDelivery).
	History []DeliveryAttempt `json:"history,omitempty"`
}

// DeliveryAttempt is one try to deliver.
type DeliveryAttempt struct {
	// N numbers the delivery's attempts from 1.
	N       int       `json:"n"`
	At      time.Time `json:"at"`
	Replica string    `json:"replica"`
	OK      bool      `json:"ok"`
	// Error is the receiver's answer or the failure, redacted ("" when OK).
	Error string `json:"error,omitempty"`
	// Permanent is true when the error cannot be fixed by sending again.
	Permanent bool `json:"permanent,omitempty"`
	// DurationMS is how long the attempt took.
	DurationMS int64 `json:"duration_ms"`
}

// AttemptOutcome is what one attempt left: its record, and the delivery's
// new status (Pending with NextAttempt, Delivered or Dead).
type AttemptOutcome struct {
	DeliveryID  string
	Attempt     DeliveryAttempt
	Status      DeliveryStatus
	NextAttempt time.Time
}

// RoutingCommit is what one pass of the notification router writes, in one
// transaction: the events it routed (marked routed), the deliveries their
// messages became (inserted once: an ID already stored is left alone), and
// the router's state after the pass.
type RoutingCommit struct {
	Routed     []string
	Deliveries []OutboxDelivery
	State      json.RawMessage
}

// ErrNotDead is returned when a delivery asked to be retried is not
// dead-lettered (it is pending or was delivered).
var ErrNotDead = errors.New("delivery is not dead-lettered")
