// Package analysis owns experiments: the spec a user submits, the engine that
// fetches each metric for the baseline and canary cohorts from a Source,
// judges and scores them, and the Verdict that goes out to Sinks.
//
// analysis imports judges (pure statistics) and nothing else of augur: data
// comes in through the Source interface (implemented under analysis/source),
// verdicts go out through the Sink interface (implemented in alerting), and
// the HTTP API in web serves the Manager. It must not import collector, web,
// alerting or dashboards.
package analysis
