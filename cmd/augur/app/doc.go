// Package app wires augur together: it builds the store, receivers,
// experiment manager, notification outbox and HTTP API from one Config, and implements the
// subcommands (serve, demo, judge, analyze, gate) so that main only parses flags and hands
// over, and end-to-end tests run everything in process.
//
// app is the only package that knows every other one; nothing imports it
// but cmd/augur.
package app
