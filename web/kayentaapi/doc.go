// Package kayentaapi serves the part of Kayenta's HTTP API that Argo
// Rollouts' kayenta metric provider and Spinnaker-style clients call, under
// /kayenta, on top of augur's experiments. Point a client at
// http://augur:8080/kayenta where it expects Kayenta.
//
// Routes (under /kayenta):
//
//	GET    /canaryConfig                         list {id,name,updatedTimestamp,updatedTimestampIso,applications}; ?application= filters
//	POST   /canaryConfig                         store a config → {"canaryConfigId":..}
//	GET    /canaryConfig/:id                     the stored config
//	PUT    /canaryConfig/:id                     replace it → {"canaryConfigId":..}
//	DELETE /canaryConfig/:id                     delete it (204)
//	POST   /canary/:configId                     CanaryExecutionRequest → 200 {"canaryExecutionId":..}
//	POST   /canary                               {canaryConfig, executionRequest} → 200 {"canaryExecutionId":..}
//	GET    /canary/:id                           CanaryExecutionStatusResponse
//	POST   /standalone_canary_analysis/:configId CanaryAnalysisExecutionRequest → {"canaryAnalysisExecutionId":..}
//	POST   /standalone_canary_analysis           {canaryConfig, executionRequest} → {"canaryAnalysisExecutionId":..}
//	GET    /standalone_canary_analysis/:id       CanaryAnalysisExecutionStatusResponse
//
// Kayenta's account parameters (configurationAccountName,
// storageAccountName, metricsAccountName) and application, user and
// parentPipelineExecutionId are accepted; only application is used (it
// filters the config list and is echoed in status documents). Every metric
// reads augur's embedded store.
//
// Configs are stored in the state store (SQLite or PostgreSQL) as sent,
// with Kayenta's bookkeeping set: id (a new UUID unless given),
// createdTimestamp, updatedTimestamp and their ISO forms. A config is
// validated when stored, as Kayenta does (a name of letters, digits, - and
// _, at least one application, unique metric names), and by converting it
// with analysis/kayenta (Check): a config that cannot be converted is
// refused with 422 naming the field; what the conversion ignores or maps
// approximately comes back as warnings next to the ID.
//
// An execution is an augur experiment converted from the config and the
// request (analysis/kayenta.Convert) and started at once; its ID is the
// execution ID. A canary execution judges its scopes' window as one
// interval; a standalone one judges Kayenta's multi-interval timing
// (lifetime, interval, beginAfter, lookback). Status documents map augur
// onto Kayenta:
//
//   - status: not_started, running, paused, succeeded (a verdict was
//     reached, whatever the score), terminal (the verdict is error; the
//     exception says why), canceled (aborted); complete once the run ended.
//   - result.judgeResult.score.score is the run's score, 0–100, classified
//     Pass / Marginal / Fail against the request's thresholds. An
//     inconclusive verdict scores 0 classified Nodata, as Kayenta's judge
//     scores a canary without data; a client comparing the score with its
//     thresholds fails it.
//   - per-metric classification is Pass, High, Low, Nodata or Error
//     (augur's inconclusive metric is Nodata); group scores are Kayenta's
//     share of passing metrics per group.
//
// Errors are {"error": "...", "fields": [{"field","message"}]}: 400 for a
// body that does not decode or has a field Kayenta does not define (the
// message names it and what to use instead), 404 naming an unknown config
// or execution ID, 422 for a config or request that cannot be converted,
// 500 with an error ID only. A refused call stores and starts nothing.
package kayentaapi
