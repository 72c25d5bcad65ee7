// Package deliveries serves the notification outbox of an experiment: what
// was sent to which receiver, every attempt, and a way to send a
// dead-lettered delivery again.
//
// Routes (under /api/v1):
//
//	GET  /experiments/:id/deliveries                  the experiment's deliveries, newest first
//	POST /experiments/:id/deliveries/:delivery/retry  make a dead letter pending again
//
// The list answers 200 with {"deliveries": [...]}: each delivery (its ID
// is the Standard Webhooks webhook-id the receiver saw), its status
// (pending, delivered or dead), the message sent, and its attempts
// (history), oldest first. ?status=pending|delivered|dead and ?receiver=
// narrow it; an unknown status is 400 naming it, an unknown experiment
// 404.
//
// Retry answers 200 with the delivery, now pending and due at once, and
// wakes the delivery loop; its history is kept. A delivery that does not
// exist, or belongs to another experiment, is 404; one that is not
// dead-lettered (pending, or delivered) is 409 naming its status, and is
// left as it was.
//
// Answers hold what the outbox stores and nothing more: messages and the
// receivers' redacted errors, never a receiver's URL, key or credentials.
// Errors have the shape of the rest of the API, {"error": "..."}; an
// internal failure answers only an error ID, under which the server logs
// the cause.
//
// deliveries depends on the small Store interface (the state store
// implements it) and imports analysis for its types only.
package deliveries
