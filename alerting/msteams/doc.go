// Package msteams posts notifications to a Microsoft Teams channel through
// a Workflows (Power Automate) webhook, as an Adaptive Card (schema 1.4):
// a headline in the severity's colour, the one-line reason, facts for the
// verdict, score, experiment and run, the failing metrics with their
// reasons, and an Action.OpenUrl to the report.
//
// The webhook URL is the secret (its sig parameter signs the call): it
// comes from a file or inline, is read again for every message, and never
// appears in an error. The workflow answers 202 (or 200) when it took the
// message; 400 is permanent (as are the other 4xx but 408 and 429); 429
// carries Retry-After; 5xx is retried.
//
// Cards stay well under Teams' 28 KB message limit: a long reason is cut
// and at most MaxMetrics failing metrics are listed, with a note that
// points at the report for the rest.
//
// It implements notify.Notifier and imports nothing else of augur.
package msteams
