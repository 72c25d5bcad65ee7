// Package outbox delivers augur's notifications durably and exactly once
// per receiver.
//
// The state store writes an outbox event (analysis.OutboxEvent) in the same
// transaction as a run's start, failed interval, abort or final verdict.
// One replica at a time holds the router lease: it builds each event's
// notify.Message from the stored run, puts it through the routing tree
// (alerting/route) and, when a group is due, turns the group's new messages
// into deliveries, one per receiver and message. The deliveries, the events
// marked routed and the dispatcher's state are written in one transaction,
// so a message is routed once even across a crash or a change of router.
//
// Every replica delivers: it leases due deliveries, sends each through its
// receiver's notify.Notifier, and records the attempt. A retryable failure
// is tried again after an exponential backoff with jitter (never before a
// 429's Retry-After) until the delivery is older than the maximum age; a
// permanent one (a 4xx other than 408 and 429, a template that does not
// render, an address the guard refuses) and one past the maximum age are
// dead-lettered, visible in the API and retried on request. The delivery's
// ID is its Standard Webhooks webhook-id: the same on every attempt, so a
// receiver de-duplicates the rare resend after a crash between sending and
// recording.
package outbox
