// Package selfscrape appends augur's own metrics (a prometheus.Gatherer,
// the registry /metrics serves) to the embedded store at a fixed interval,
// as Prometheus would scrape them: labelled job and instance, counters and
// gauges under their names, summaries and classic histograms as their
// quantile, _bucket, _sum and _count series, with up, scrape_duration_seconds
// and scrape_samples_scraped, and a staleness marker for every series that
// disappeared since the previous scrape. So PromQL over the embedded store
// (Grafana, autoscalers, MetricTemplates) sees augur's verdicts without an
// external Prometheus.
//
// It depends on the Gatherer and storage.Appendable interfaces only.
package selfscrape
