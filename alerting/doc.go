// Package alerting delivers what analysis decides to the systems that act on
// it, one small package per receiver, wired explicitly by the application
// (no init-time registries):
//
//   - alerting/outbox: durable delivery of the state store's outbox events
//     (routing, retries, dead letters), what augur serve delivers with.
//   - alerting/notify: the Notifier every routed receiver implements, the
//     Message it renders, how an answer is classified (permanent,
//     retryable, Retry-After) and the SSRF-guarded HTTP client.
//   - alerting/route: Alertmanager's routing tree over messages (matching,
//     grouping and timing, inhibition, time intervals), pure.
//   - receivers behind notify.Notifier: signedwebhook (Standard Webhooks),
//     email, alertmanager, and the chat and paging services.
//
// alerting may import analysis; analysis must never import alerting.
package alerting
