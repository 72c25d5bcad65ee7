// Package kayenta imports Kayenta canary configs (the JSON that Spinnaker,
// Argo Rollouts' kayenta provider and Kayenta's own API store and send) as
// augur/v1 canary specs. It imports analysis and nothing else of augur; the
// HTTP API mounts ImportRequest for POST /api/v1/import/kayenta.
//
// A canary config says what to measure and how to judge it, but not which
// cohorts or when: Kayenta takes those from the execution request. Options
// carry them: the baseline and canary selectors, or the request's scopes
// (scope, location, extendedScopeParams, start, end, step), thresholds, the
// multi-interval timing and the source to query.
//
// # Queries
//
// Only prometheus queries import; a metric of another type is skipped with
// a warning (the rest of the config still imports), and a config left with
// no metric is an error. The query template is customInlineTemplate (or
// template, its newer name), else the customFilterTemplate entry of the
// config's templates. Templates are FreeMarker; plain ${name} variables
// import, anything else (directives, ${x?upper_case}, defaults) is an error
// naming the metric. The variables are scope, location, project and
// resourceType, and every extendedScopeParams key, with Kayenta's
// precedence (extended params win).
//
//   - A template starting with "PromQL:" is the query itself.
//   - Otherwise the query is built as Kayenta's Prometheus query builder
//     does by default: avg(metricName{<filter>,<labelBindings>}), followed by
//     " by (<groupByFields>)" when given. The filter is the template's
//     comma-separated matchers, or, without a template, the matchers
//     Kayenta derives from resourceType: aws_ec2_instance gives
//     asg_groupName="${scope}",zone=~"${location}.{1}" and gce_instance
//     gives instance=~"${scope}-.{4}" (Kayenta's default scopeLabel) and a
//     zone regex.
//
// # Scopes become ${cohort}
//
// A variable whose value is the same for the control and the experiment
// scope (a shared location, a quantile passed as an extended param) is
// substituted as is. A variable whose value differs, or that no scope
// gives a value while baseline and canary selectors are given, is a scope
// variable: it may only appear inside the quoted value of a label matcher
// (app="${scope}", pod=~"${scope}-.*"). Each such matcher is removed from
// its selector and the selector gets augur's ${cohort} placeholder instead,
// so rate(x{job="api",app="${scope}"}[5m]) becomes
// rate(x{job="api",${cohort}}[5m]). A scope variable anywhere else (metric
// name, function argument, grouping) is an error naming the metric.
//
// Without explicit selectors, each cohort's selector is the removed
// matchers rendered with that cohort's scope: app="checkout-v1" for the
// baseline, app="checkout-v2" for the canary. augur gives every metric the
// same cohort selector, so every selector of every metric must use the
// same scope matchers; otherwise pass baseline and canary selectors.
// Explicit selectors always win over the rendered ones.
//
// # Judgement
//
// Every metric becomes a mannwhitney metric. analysisConfigurations.canary
// maps field by field, with Kayenta's defaults made explicit where augur's
// differ (direction either). Values Kayenta does not know fall back as
// Kayenta's parser does (direction either, nanStrategy remove, outliers
// keep, measure meanRatio), with a warning. Two of Kayenta's rules are
// kept that a literal copy would lose: critical bounds only act on critical
// metrics (elsewhere they are dropped with a warning), and a critical
// metric with explicit critical bounds fails the run only beyond them
// (critical_increase/critical_decrease) rather than on any failure; a
// critical metric without data fails the run, as in Kayenta, so critical
// metrics with nanStrategy remove must have data. muted becomes dry_run.
//
// groups[0] becomes the metric's group (more groups: a warning).
// classifier.groupWeights become group_weights as they are (augur's weights
// are relative, Kayenta's percentages sum to 100): weights of groups no
// imported metric uses are dropped, groups without a weight get Kayenta's
// share of the rest, (100 − sum)/n, and a muted metric alone in a weighted
// group is skipped (nothing would fill its group's weight; muted metrics
// never decide). Thresholds come from the
// options, else the config's legacy classifier.scoreThresholds, else pass
// 95 / marginal 75, the values of Kayenta's documented examples and of
// most Spinnaker pipelines (Kayenta's execution request and Argo Rollouts'
// provider require thresholds and have no default; augur's default is the
// same). A judge other than NetflixACAJudge-v1.0 is a warning: the
// metrics are judged by augur's Mann–Whitney judge all the same.
//
// Bookkeeping fields (id, applications, timestamps, configVersion) are read
// past silently; any other field the import does not use is a warning.
package kayenta
