// Package analysis owns experiments: the spec a user submits, the engine that
// fetches each metric for the baseline and canary cohorts from a Source,
// judges and scores them, and the Verdict a run ends with.
//
// A logpatterns metric judges every mined log pattern of the two cohorts at
// once (metric_logpatterns*.go): per pattern, an exact one-sided binomial
// test of the canary's share of the pattern's events against its share of
// the exposure (total_query), Holm-corrected over the patterns that could
// reach significance, at the metric's share of the run's false-fail budget.
// A failing pattern is reported with its text and the canary's own example
// lines and trace IDs when the Sources also implement PatternCatalog
// (patterns.go; the server's is the log receivers' pattern miner).
//
// Templates (template*.go) are stored specs with ${args.NAME}
// placeholders. Manager.Instantiate substitutes a caller's arguments into
// the parsed YAML tree, scalar by scalar (never into the text), validates the
// spec as Create does, and has the Store create the instance, its experiment
// and first run in one transaction keyed by the caller's idempotency key, so
// that any number of concurrent callers with one key get one run.
//
// A run's life ends when it ends: the Manager claims running runs only, and
// the Store commits a final verdict (CommitInterval, or SetRunStatus for an
// abort) in one transaction with its outbox event (outbox.go). Sending it
// to receivers is the outbox's work (alerting/outbox), never the run's, so
// Manager.Wait returns once the run has ended, and whether a receiver took
// the verdict is the status of the experiment's outbox deliveries.
//
// analysis imports judges (pure statistics) and nothing else of augur: data
// comes in through the Source interface (implemented under analysis/source),
// notifications leave as outbox events the Store writes with the change
// they report (delivered by alerting/outbox), and the HTTP API in web serves
// the Manager. It must not import collector, web, alerting or dashboards.
package analysis
