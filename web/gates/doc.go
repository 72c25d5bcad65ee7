// Package gates serves the endpoints rollout controllers, CD pipelines and
// autoscalers call to act on augur's verdicts, each in the shape that
// controller already speaks. Every gate instantiates a stored template
// under an idempotency key (or finds the instance an earlier call
// created), so repeated calls for one rollout revision land on one run and
// a new revision starts a new one.
//
// Routes (under /api/v1):
//
//	GET|POST /gates/argo/:template      Argo Rollouts' web metric provider
//	POST     /gates/flagger/:template   Flagger webhooks (?type=, default the template's flagger field, else rollout)
//	GET      /gates/keda/:template      KEDA metrics-api (?key=; JSON, or ?format=prometheus)
//	GET      /experiments/:id/keda      the same numbers for one experiment
//
// # Argo Rollouts
//
// Args come as query parameters, or as a JSON body (Argo's jsonBody): a
// flat object of string values, or {"key": "..", "args": {..}}. The key is
// the "key" arg when given; otherwise it is derived from the template and
// the rollout's identity, which the shipped AnalysisTemplates pass as the
// args "namespace", "rollout" and "canary-hash" (the canary's pod-template
// hash; "stable-hash" is passed too, for the template's queries):
// argo/<template>/<namespace>/<rollout>/<canary-hash>, so each template
// judging a revision has its own run. A key that belongs to another
// template's instance is refused with 409. A call with
// neither is refused with 422 naming what is missing. The answer is always
// 200 with
//
//	{"verdict": "pass|fail|running|inconclusive|error", "final": bool,
//	 "score": .., "reason": "..", "intervals": {"judged": n, "total": m},
//	 "experiment_id": .., "run_id": .., "key": .., "report_url": ..}
//
// except for a source failure under on_error: error. While the run is
// active, verdict is its latest judged interval's: running before the
// first, pass after a passed one; an interval that failed within the
// spec's failure_limit, or could not decide (marginal, or inconclusive
// for lack of data), reads running, since the run goes on and only its
// end decides (with failure_limit 0, the default, the first failed
// interval ends the run in the same commit, so fail is final at once). Once the run ended, verdict is
// the final one and final is true. A final marginal verdict reads
// inconclusive: as in Kayenta (and Argo's own kayenta provider), a score
// between the marginal and pass thresholds is not a pass, and the rollout
// pauses for a human.
//
// A source failure (an interval or final verdict of error: a query that
// failed, a source that did not answer) follows the template's on_error:
// inconclusive, the default, answers 200 with verdict inconclusive, so
// Argo records an Inconclusive measurement and pauses the rollout: a
// monitoring outage neither ships nor rolls back code that was not
// verified, and a human decides. error answers 503 with the same body:
// Argo counts an Error measurement, retries every 10 s and aborts after
// its consecutiveErrorLimit, which suits teams that prefer an automatic
// rollback over a paused rollout.
//
// report_url is <http.external_url>/api/v1/experiments/<id>; with no external
// URL configured it is derived from the request's scheme and Host.
//
// Refusals create nothing: an unknown template is 404 naming it, a
// missing required arg 422 naming it, a key reused with different args
// 409 naming them.
//
// # Flagger
//
// The body is Flagger's webhook payload {name, namespace, phase,
// checksum, metadata}; the args are name, namespace, phase, checksum and
// every metadata entry (the template's declared ones are passed on when
// the run is created), and the key is
// flagger/<template>/<namespace>/<name>/<checksum>, so a new revision
// starts a new run. Flagger passes a call on 200–202 only, and puts the
// body (one line) into its events. Per type:
//
//   - pre-rollout, rollout, confirm-rollout, confirm-traffic-increase:
//     200 (the latest interval passed, or the run passed) or 202 (still
//     analysing); 403 once the analysis for this checksum failed, or 503
//     on a source failure under on_error: error.
//   - confirm-promotion: 200 only after a final pass, else 403 saying
//     why promotion waits.
//   - rollback: 200 when the verdict is fail (Flagger rolls back on a
//     2xx), else 403.
//   - event, post-rollout: recorded on the experiment (eventMessage,
//     eventType, timestamp), 200; never start a run.
//
// # KEDA
//
// The KEDA endpoints answer, for the instance under ?key= (or the
// experiment), JSON
//
//	{"healthy": 0|1, "final": 0|1, "score": 0..100|null,
//	 "slo_headroom": ratio|null, "verdict": "..", ...}
//
// or, with ?format=prometheus (or Accept: text/plain), the gauges
// augur_gate_healthy, augur_gate_final, augur_gate_score and
// augur_gate_slo_headroom labelled with template, key and experiment.
// healthy is 1 unless the verdict is fail, inconclusive or error; score is
// the latest judged score; slo_headroom is the smallest relative room the
// canary leaves to an absolute threshold bound of the run's spec
// ((upper − value)/|upper| or (value − lower)/|lower|), negative once
// breached; both are absent (null) when there is nothing to report.
//
// gates imports analysis for its types and depends on the small Manager
// interface; it must not import collector.
package gates
