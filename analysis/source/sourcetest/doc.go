// Package sourcetest is the conformance suite every analysis.Source runs.
// A backend supplies what it can. Data cases: a source and a query that
// matches nothing (no data, a cancelled context), a malformed query, and,
// for backends that can load the suite's dataset, queries in the source's
// own language for range and instant values. Error cases: a way to point a
// source at an address (a closed port, a server that never answers, servers
// refusing with retryable and permanent faults). A trace source supplies a
// source, a query matching nothing and an endpoint. Sources speaking HTTP
// also run RunHTTP: credentials, headers, tenant and TLS against httptest
// servers.
//
// It imports analysis and the standard library; it must only be imported
// by tests, and never imports collector (backends load data themselves).
package sourcetest
