// Package queryapi is the client side of the Prometheus-style HTTP query API
// that the prometheus and loki sources share: one HTTP client built from an
// analysis.SourceSpec (TLS, bearer or basic credentials re-read from their
// files on every request, custom headers, X-Scope-OrgID), one attempt per
// call under the spec's timeout, the status envelope decoded into
// analysis.Series, and failures sorted into permanent and retryable errors.
//
// It imports analysis and the standard library only; it must not import
// collector, web or alerting, nor the sources that use it.
package queryapi
