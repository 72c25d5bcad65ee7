// Package slack posts notifications to a Slack incoming webhook as a Block
// Kit message: a header with the verdict and the experiment and the
// one-line reason on top; the score, the failing metrics with their
// reasons and a button that opens the report below, in an attachment
// whose colour bar shows the severity.
//
// The webhook URL is the secret: it comes from a file or inline, is read
// again for every message (so it can be rotated without a restart), and
// never appears in an error. Slack answers 200 "ok"; 400, 403, 404 and 410
// carry a plain-text error code (invalid_payload, no_service,
// channel_not_found, channel_is_archived, action_prohibited...) and are
// permanent; 429 carries Retry-After; 5xx is retried.
//
// Messages stay inside Slack's Block Kit limits (50 blocks, 3,000
// characters a text, 150 a header): a long reason or metric list is cut
// with a note that points at the report.
//
// It implements notify.Notifier and imports nothing else of augur.
package slack
