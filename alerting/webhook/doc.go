// Package webhook POSTs a finished experiment's verdict JSON to each webhook
// URL of its spec, retrying transport errors, 5xx, 408 and 429 answers with
// exponential backoff a few times within the call. Every attempt carries the
// same webhook-id header (the receiver's idempotency key) and a
// webhook-timestamp.
//
// It reports each URL's outcome (analysis.TargetSink): the manager records
// them and sends the verdict again later, durably, to the URLs that failed
// only; a URL answering 4xx other than 408 and 429 refused it
// (analysis.ErrRefused) and is not tried again.
//
// It implements analysis.Sink; it must not import web, collector or judges.
package webhook
