// Package signedwebhook is the webhook receiver: it POSTs augur's verdict
// JSON, or a body rendered from a Go text/template over the message, to one
// URL through the guarded client of alerting/notify (TLS, bearer or basic
// credentials from files, custom headers), signed as Standard Webhooks
// specifies: webhook-id (the message ID, the same on every retry),
// webhook-timestamp (unix seconds of the attempt) and webhook-signature
// ("v1,<base64 HMAC-SHA256>" over "id.timestamp.body", one per configured
// whsec_ secret, so that receivers keep verifying during a rotation).
//
// It stands next to alerting/webhook, which still delivers the verdicts of
// spec webhooks until the delivery loop calls receivers.
package signedwebhook
