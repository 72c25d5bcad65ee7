// Package pagerduty raises and resolves PagerDuty alerts through the
// Events API v2 (POST https://events.pagerduty.com/v2/enqueue).
//
// A verdict in TriggerOn (fail by default; error, inconclusive and
// marginal when configured) sends a trigger; a pass, or any message
// marked Resolved (the experiment passed later or ended), sends a resolve.
// Both carry the same dedup_key, augur-<experiment id>, so every run of
// one experiment updates one alert and its resolve closes it. Other
// messages (a run's start, a failed interval) are not for paging and are
// taken without a request.
//
// A trigger's payload has the summary (at most 1,024 characters), source,
// severity (critical for a fail, error for an error, warning for the
// rest), timestamp and custom_details (verdict, score, reason, failing
// metrics, labels), and links to the report.
//
// The routing key is the secret: it comes from a file or inline, is read
// again for every message, and never appears in an error. PagerDuty
// answers 202; 400 is permanent and its errors are listed in the error;
// 429 and 5xx are retried.
//
// It implements notify.Notifier and imports nothing else of augur.
package pagerduty
