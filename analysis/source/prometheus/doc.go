// Package prometheus is the analysis.Source over Prometheus' HTTP query API
// and the servers that speak it: Prometheus, Thanos, Mimir and Cortex (with
// their path prefix, e.g. https://mimir/prometheus) and VictoriaMetrics.
// Queries are PromQL, sent as form POSTs to /api/v1/query_range and
// /api/v1/query.
//
// It imports analysis and analysis/source/internal/queryapi; it must not
// import collector, web or alerting (its tests start Debian's Prometheus
// and use analysis/source/sourcetest).
package prometheus
