// Package notify is what every notification receiver implements and the
// message they render. Receivers live one per package under alerting/
// (webhook, slack, msteams, pagerduty, email, alertmanager), each behind
// the one Notifier method, as Alertmanager keeps its integrations; routing
// (alerting/route) decides which receivers get a message and when, and the
// delivery loop retries what a Notifier reports as retryable.
//
// NewHTTPClient is the client every HTTP receiver uses: TLS, credentials
// read from files per request, custom headers, a timeout, and a Guard that
// resolves each host once, refuses loopback, link-local, private,
// unspecified and multicast addresses unless allowed, dials the address it
// checked, and follows no redirects by default.
//
// It imports nothing of augur: the message is built from a verdict by the
// caller.
package notify
