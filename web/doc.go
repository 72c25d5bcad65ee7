// Package web serves augur's HTTP API with gin: experiments (create, list,
// get), the verdict endpoint rollout controllers poll, and health checks.
// The Prometheus-compatible query API lives in web/promapi.
//
// web imports analysis for its types and depends on the small Experiments
// interface; it must not import collector or judges' internals.
package web
