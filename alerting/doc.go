// Package alerting delivers what analysis decides to the systems that act on
// it. Each receiver is one small package implementing analysis.Sink, wired
// explicitly by the application (no init-time registries).
//
// alerting may import analysis; analysis must never import alerting.
package alerting
