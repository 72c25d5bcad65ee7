// Package lokiclient holds an end-to-end test of augur's Loki push receiver
// with Grafana's own Loki client (github.com/grafana/loki-client-go).
//
// It is a separate module because loki-client-go needs an older Prometheus
// than augur's main module (it calls a promql parser function that the
// main module's Prometheus removed). It must not import the main module:
// the test builds the augur binary from ../../../cmd/augur and talks to it
// over HTTP only.
package lokiclient
