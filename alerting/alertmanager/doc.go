// Package alertmanager is the Alertmanager receiver: it raises a failing
// verdict as an alert through Alertmanager's API (POST /api/v2/alerts) on
// one or more Alertmanagers, so that teams route, group, silence and
// inhibit canary failures with the rest of their alerts, and resolves it
// when the experiment passes or ends.
//
// An alert's labels are the experiment's labels (names made valid for
// Prometheus), then experiment (its ID), name, alertname and severity, one
// alertname per verdict: AugurCanaryFailed (critical), AugurCanaryMarginal,
// AugurCanaryInconclusive and AugurCanaryError (warning). Every post
// carries all four for the experiment: the verdict's own with endsAt set
// resolve_timeout ahead (Alertmanager resolves it by itself if augur goes
// quiet), the others with endsAt now, so that an experiment has at most
// one active alert and a pass, or the end of the experiment, resolves it.
// Alertmanager sends no notification for an alert resolved before it was
// ever notified as firing.
//
// A message is taken when at least one Alertmanager accepted it (they
// share alerts through their cluster). When none did, the error is
// retryable, unless every one refused it permanently (a 4xx other than
// 408 and 429, or an address the guard refuses).
package alertmanager
