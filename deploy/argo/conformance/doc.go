// Package conformance drives Argo Rollouts' own metric providers and
// analysis helpers (github.com/argoproj/argo-rollouts, pinned in go.mod)
// against a live augur serve with the AnalysisTemplates shipped in
// deploy/argo. It is a module of its own so that the main module never
// depends on Argo Rollouts; `make test` runs it.
package conformance
