// Package loki is the analysis.Source over Loki's HTTP query API for LogQL
// metric queries (count_over_time, rate, quantile_over_time... under an
// aggregation), sent to /loki/api/v1/query_range and /loki/api/v1/query.
// A log query, whose answer is log lines, is a permanent error.
//
// It imports analysis and analysis/source/internal/queryapi; it must not
// import collector, web or alerting.
package loki
