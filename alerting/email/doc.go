// Package email is the e-mail receiver: it sends a multipart/alternative
// message (a text part and an HTML part, rendered with text/template and
// the escaping html/template) over SMTP with net/smtp, upgrading with
// STARTTLS, which is required unless require_tls is false, and
// authenticating with PLAIN or LOGIN and a password read from a file. The
// connection goes through the guard of alerting/notify, like every
// receiver's. The Message-ID is derived from the message's ID, so a retry
// of the same message carries the same Message-ID.
//
// An SMTP answer of 5xx is permanent, 4xx and connection failures are
// retryable.
package email
