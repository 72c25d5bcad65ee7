// Package web serves augur's HTTP API with gin: experiments (create, list,
// get, replace, delete), their runs (start, pause, resume, abort, list,
// intervals), verdicts (the history, and the endpoint rollout controllers
// poll), the API's OpenAPI 3.1 document at /api/v1/openapi.json, and
// /healthz. The Prometheus-compatible query API lives in web/promapi.
//
// Routes (under /api/v1):
//
//	POST   /experiments                 create; ?start=false does not start a run
//	GET    /experiments                 list, newest first
//	GET    /experiments/:id             get (ETag: its version)
//	PUT    /experiments/:id             replace the spec (If-Match: "<version>" or ?version=)
//	DELETE /experiments/:id             delete with runs and results
//	POST   /experiments/:id/start       start a run         (also pause, resume, abort)
//	GET    /experiments/:id/runs        runs, newest first
//	GET    /experiments/:id/verdict     latest verdict for rollout controllers (?wait=30s)
//	GET    /experiments/:id/verdicts    final verdicts of the ended runs, newest first
//	GET    /runs/:run                   one run
//	GET    /runs/:run/intervals         its interval results, a page at a time (?after=<index>&limit=<n>)
//	POST   /alerts/alertmanager         Alertmanager's webhook (version 4): firing alerts end the runs whose abort_on_alert they match
//
// Specs are YAML or JSON (at most MaxSpecBytes), decoded strictly by
// analysis.ParseSpec. Every error answer is
// {"error": "...", "fields": [{"field": "metrics[0].judge.type", "message": "..."}]}:
// 400 for a body that does not decode (syntax, unknown field, wrong type;
// the field is located in the YAML tree) or an invalid parameter, 404 for
// an unknown ID, 409 for a change the state forbids or a stale version,
// 413 for a body too large, 422 for a spec that fails validation (one
// entry per invalid field), 428 for an update without a version, 500 for
// anything else. A 500 answers a generic message with an error ID and logs
// the error itself under that ID: SQL, file paths and drivers' texts never
// reach a client.
//
// Interval results are full verdicts, so they come in pages (100 by
// default, at most 1,000) in index order; the answer's next_after, present
// while more follow, is the next page's ?after=. The verdict endpoint
// reads only the latest interval.
//
// The verdict endpoint keeps Argo Rollouts' web provider contract: 2xx
// only when the analysis ran (pass, marginal, fail, inconclusive, or
// pending while the run is active), 503 with the same body when the
// verdict is error, so that the controller counts an Error measurement
// and not a failure. A ?wait long poll must stay below the caller's
// timeout (Argo's timeoutSeconds defaults to 10) and the server's write
// timeout.
//
// web imports analysis and judges for their types and depends on the
// small Experiments interface; it must not import collector.
package web
