// Package sourcetest is the conformance suite every analysis.Source runs.
// A backend supplies what it can: a way to load the suite's dataset and
// queries in its own language (the data cases: range and instant queries,
// no data, a malformed query, a cancelled context), and a way to point a
// source at an address (the error cases: a closed port, a server that never
// answers, servers refusing with retryable and permanent faults). Sources
// speaking HTTP also run RunHTTP: credentials, headers, tenant and TLS
// against httptest servers.
//
// It imports analysis and the standard library; it must only be imported
// by tests, and never imports collector (backends load data themselves).
package sourcetest
