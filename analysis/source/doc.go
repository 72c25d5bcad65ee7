// Package source groups the analysis.Source implementations, one package
// per data source. Each maps "no data" to an empty result and failures to
// errors, so the engine can tell Inconclusive from Error.
package source
