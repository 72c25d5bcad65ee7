// Package webhook POSTs a finished experiment's verdict JSON to each webhook
// URL of its spec, retrying transport errors, 5xx, 408 and 429 answers with
// exponential backoff. Every attempt carries the same webhook-id header (the
// receiver's idempotency key) and a webhook-timestamp.
//
// It implements analysis.Sink; it must not import web, collector or judges.
package webhook
