// Package dashboards generates augur's Grafana dashboards from Go types:
// a model of the part of Grafana's dashboard JSON that they use (panels of
// types timeseries, stat, table, state-timeline and bar gauge, Prometheus
// targets, template variables, annotation queries) and two dashboards
// built with it, both reading augur as a Prometheus data source through
// the ${datasource} variable:
//
//   - Overview: active experiments, verdicts over time, scheduling lag and
//     backlog, ingest rates and refusals, notification attempts and dead
//     letters.
//   - Experiment: variables for the experiment, the metric, the service and
//     the cohorts' selectors; verdict, score and intervals judged; each
//     metric's effect with its confidence bounds; baseline against canary
//     from augur's span-derived series.
//
// Both annotate runs and verdicts from augur_experiment_verdict (see
// verdictAnnotations), and show the annotations the grafana receiver
// posts (tag "augur").
//
// The JSON lives in deploy/grafana/dashboards/; `go generate ./dashboards`
// rewrites it, and a golden test fails when it differs from what the types
// produce. The tests validate it against Grafana's dashboard JSON schema
// (testdata/README.md names its source); cmd/augur/app runs every query
// against a live server.
//
// dashboards imports nothing of augur.
package dashboards

//go:generate go test -run TestGolden -update .
