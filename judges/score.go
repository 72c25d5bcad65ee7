package judges

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Outcome is the verdict on a whole canary run.
type Outcome string

const (
	OutcomePass         Outcome = "pass"
	OutcomeMarginal     Outcome = "marginal"
	OutcomeFail         Outcome = "fail"
	OutcomeInconclusive Outcome = "inconclusive"
	OutcomeError        Outcome = "error"
)

// NoDataPolicy says how a NoData metric counts in the score.
type NoDataPolicy string

// No-data policies.
const (
	// NoDataInconclusive (the default) leaves the metric without a verdict:
	// the run is inconclusive unless it fails even if the metric passed.
	NoDataInconclusive NoDataPolicy = "inconclusive"
	// NoDataFail counts the metric as failing, like High or Low.
	NoDataFail NoDataPolicy = "fail"
	// NoDataIgnore drops the metric from the score, as if it were not
	// configured. A run whose metrics are all dropped is inconclusive. A
	// critical metric is never dropped: ignore acts as inconclusive on it.
	NoDataIgnore NoDataPolicy = "ignore"
)

// Scored is one metric's classification as input to ScoreRun.
type Scored struct {
	Name           string
	Classification Classification
	Weight         float64 // > 0; the metric's weight within its group
	Critical       bool    // the metric is critical: failing it fails the run
	CriticalBreach bool    // a critical bound was breached (MetricResult.Critical)
	// Group names the metric's group (Kayenta's metric groups); "" is a
	// group like any other. Without groups every metric is in group "".
	Group string
	// NoDataPolicy applies when Classification is NoData; "" means
	// inconclusive. On a Critical metric ignore acts as inconclusive.
	NoDataPolicy NoDataPolicy
	// MustHaveDataBreach is MetricResult.MustHaveDataBreach: the metric has
	// no data although it must. It counts as failing and fails the run.
	// Only valid with Classification NoData.
	MustHaveDataBreach bool
}

// Thresholds are the score cut-offs, 0 ≤ Marginal ≤ Pass ≤ 100.
type Thresholds struct {
	Pass, Marginal float64
}

// Validate checks 0 ≤ Marginal ≤ Pass ≤ 100.
func (t Thresholds) Validate() error {
	var errs []error
	in := func(name string, v float64) {
		if !(v >= 0 && v <= 100) {
			errs = append(errs, fmt.Errorf("invalid %s %v: outside [0, 100]", name, v))
		}
	}
	in("Pass", t.Pass)
	in("Marginal", t.Marginal)
	if t.Marginal > t.Pass {
		errs = append(errs, fmt.Errorf("invalid Marginal %v: above Pass %v", t.Marginal, t.Pass))
	}
	return errors.Join(errs...)
}

// Score is the verdict on a run.
//
// Score is the weighted mean of the group scores, Σ w_g·s_g / Σ w_g, over
// the groups with at least one metric with a verdict; a group's score is
// s_g = 100·Σweight(pass)/Σweight(pass, failing) over its metrics with a
// verdict, where failing is High, Low, NoData under NoDataFail and a
// must-have-data breach. Score is 0 when no group has a verdict, or when a
// critical failure forces it.
type Score struct {
	Outcome Outcome
	Score   float64
	Reason  string
	// Groups are the groups in order of first appearance in the metrics;
	// nil when the input was rejected.
	Groups []GroupScore
}

// GroupScore is one group's part of a run score.
type GroupScore struct {
	Name string
	// Weight is the group weight used (1 for every group when no group
	// weights are given).
	Weight float64
	// Score is 100·Σweight(pass)/Σweight(pass, failing) over the group's
	// metrics with a verdict; 0 when Scored is false.
	Score float64
	// Scored is false when no metric of the group has a verdict (all are
	// NoData without NoDataFail, Error, or ignored): such a group never
	// counts as 100.
	Scored bool
	// Metric counts: passing, failing, without a verdict (NoData
	// inconclusive or Error) and ignored (NoData under NoDataIgnore).
	Pass, Fail, NoVerdict, Ignored int
}

// ScoreRun scores metrics with every group weighted equally; it is
// ScoreGroups(metrics, th, nil). Without groups (all Group "") this is the
// weighted share of passing metrics.
func ScoreRun(metrics []Scored, th Thresholds) Score {
	return ScoreGroups(metrics, th, nil)
}

// ScoreGroups combines metric classifications into a run outcome, scoring
// groups as Kayenta does (see Score) with its defects fixed. groupWeights
// gives each group's weight; when it is empty every group present weighs 1.
// When it is not empty, every weight must be > 0 and finite, every group of
// a metric must have a weight and every weighted group must have a metric.
// In order:
//
//  1. invalid thresholds, metric weights, classifications, no-data
//     policies, group weights, or a MustHaveDataBreach on a metric that is
//     not NoData → error;
//  2. no metrics → inconclusive;
//  3. a CriticalBreach, or a Critical metric that counts as failing (High,
//     Low, NoData under NoDataFail, must-have-data breach) → fail with
//     score 0;
//  4. a must-have-data breach → fail;
//  5. every metric ignored (NoDataIgnore) → inconclusive;
//  6. metrics without a verdict (Error, NoData under NoDataInconclusive)
//     never count as a pass: if even the best case (all of them passing)
//     scores below Marginal → fail;
//  7. otherwise any Error → error (also on a critical metric: never a pass,
//     and no fail caused by the error alone); any NoData without a verdict
//     or Inconclusive metric → inconclusive (so a critical metric without
//     data or evidence never passes);
//  8. otherwise pass if score ≥ Pass, marginal if score ≥ Marginal, else
//     fail.
//
// Reasons are one line and name the deciding metrics, and the groups with
// their scores when the metrics are grouped.
func ScoreGroups(metrics []Scored, th Thresholds, groupWeights map[string]float64) Score {
	if err := th.Validate(); err != nil {
		return Score{Outcome: OutcomeError, Reason: "thresholds: " + oneLine(err)}
	}
	if err := validateScored(metrics, groupWeights); err != nil {
		return Score{Outcome: OutcomeError, Reason: "invalid metrics: " + oneLine(err)}
	}
	if len(metrics) == 0 {
		return Score{Outcome: OutcomeInconclusive, Reason: "no metrics to score"}
	}

	groups, byName := []*groupAcc{}, map[string]*groupAcc{}
	var critical, breaches, missing, errored, undecided []string
	for i, m := range metrics {
		g := byName[m.Group]
		if g == nil {
			g = &groupAcc{name: m.Group, weight: 1}
			if len(groupWeights) > 0 {
				g.weight = groupWeights[m.Group]
			}
			byName[m.Group] = g
			groups = append(groups, g)
		}
		name := metricName(i, m)
		verdict, failing := g.add(name, m)
		switch {
		case m.CriticalBreach:
			critical = append(critical, name+" "+string(m.Classification)+" beyond its critical bound")
		case m.Critical && failing:
			critical = append(critical, verdict+" (critical metric)")
		}
		switch {
		case m.MustHaveDataBreach:
			breaches = append(breaches, name)
		case m.Classification == Error:
			errored = append(errored, name)
		case m.Classification == NoData && policyOf(m) == NoDataInconclusive:
			missing = append(missing, name)
		case m.Classification == Inconclusive:
			undecided = append(undecided, name)
		}
	}
	grouped := len(groups) > 1 || groups[0].name != ""
	out := Score{Groups: make([]GroupScore, len(groups))}
	for i, g := range groups {
		out.Groups[i] = g.result()
	}
	if len(critical) > 0 {
		out.Outcome, out.Reason = OutcomeFail, "critical failure: "+nameList(critical)
		return out
	}

	score, best, worst, anyScored := runScores(groups)
	out.Score = score
	failing := failingText(groups, grouped)
	withoutData := append(append(append([]string(nil), missing...), errored...), undecided...)
	switch {
	case len(breaches) > 0:
		out.Outcome = OutcomeFail
		out.Reason = fmt.Sprintf("no data for must-have metric %s; score %s", nameList(breaches), fmtScore(score))
		if failing != "" {
			out.Reason += ": " + failing
		}
		return out
	case !anyScored:
		out.Outcome, out.Reason = OutcomeInconclusive, "every metric is ignored for lack of data: nothing to score"
		return out
	case len(withoutData) > 0 && best < th.Marginal:
		out.Outcome = OutcomeFail
		out.Reason = fmt.Sprintf("best-case score %s < marginal %s even if %s passed: %s",
			fmtScore(best), fmtNum(th.Marginal), nameList(withoutData), failing)
		return out
	case len(errored) > 0:
		out.Outcome = OutcomeError
		out.Reason = fmt.Sprintf("error in %s; score %s..%s depending on the metrics without a verdict",
			nameList(errored), fmtScore(worst), fmtScore(best))
		return out
	case len(missing) > 0:
		out.Outcome = OutcomeInconclusive
		out.Reason = fmt.Sprintf("no data for %s; score %s..%s depending on them",
			nameList(missing), fmtScore(worst), fmtScore(best))
		return out
	case len(undecided) > 0:
		out.Outcome = OutcomeInconclusive
		out.Reason = fmt.Sprintf("not enough evidence yet for %s; score %s..%s depending on them",
			nameList(undecided), fmtScore(worst), fmtScore(best))
		return out
	}

	switch {
	case score >= th.Pass:
		out.Outcome = OutcomePass
		out.Reason = fmt.Sprintf("score %s ≥ pass %s", fmtScore(score), fmtNum(th.Pass))
	case score >= th.Marginal:
		out.Outcome = OutcomeMarginal
		out.Reason = fmt.Sprintf("score %s < pass %s", fmtScore(score), fmtNum(th.Pass))
	default:
		out.Outcome = OutcomeFail
		out.Reason = fmt.Sprintf("score %s < marginal %s", fmtScore(score), fmtNum(th.Marginal))
	}
	if failing != "" {
		out.Reason += ": " + failing
	}
	return out
}

// validateScored checks metric weights, classifications, policies and the
// group weights against the metrics' groups.
func validateScored(metrics []Scored, groupWeights map[string]float64) error {
	var errs []error
	present := map[string]bool{}
	for i, m := range metrics {
		name := metricName(i, m)
		if !(m.Weight > 0) || math.IsInf(m.Weight, 0) {
			errs = append(errs, fmt.Errorf("%s: weight %v must be > 0 and finite", name, m.Weight))
		}
		switch m.Classification {
		case Pass, High, Low, NoData, Error, Inconclusive:
		default:
			errs = append(errs, fmt.Errorf("%s: unknown classification %q", name, m.Classification))
		}
		switch m.NoDataPolicy {
		case "", NoDataInconclusive, NoDataFail, NoDataIgnore:
		default:
			errs = append(errs, fmt.Errorf("%s: unknown no-data policy %q: want fail, inconclusive or ignore", name, m.NoDataPolicy))
		}
		if m.MustHaveDataBreach && m.Classification != NoData {
			errs = append(errs, fmt.Errorf("%s: must-have-data breach on a %q metric: only NoData breaches", name, m.Classification))
		}
		if _, ok := groupWeights[m.Group]; len(groupWeights) > 0 && !ok && !present[m.Group] {
			errs = append(errs, fmt.Errorf("%s: group %s has no weight", name, groupLabel(m.Group)))
		}
		present[m.Group] = true
	}
	for _, g := range slices.Sorted(maps.Keys(groupWeights)) {
		if w := groupWeights[g]; !(w > 0) || math.IsInf(w, 0) {
			errs = append(errs, fmt.Errorf("group %s: weight %v must be > 0 and finite", groupLabel(g), w))
		}
		if !present[g] {
			errs = append(errs, fmt.Errorf("group %s has a weight but no metric", groupLabel(g)))
		}
	}
	return errors.Join(errs...)
}

// policyOf is the effective no-data policy: "" is inconclusive, and a
// critical metric is never ignored (it would pass a run without its data).
func policyOf(m Scored) NoDataPolicy {
	if m.NoDataPolicy == "" || m.NoDataPolicy == NoDataIgnore && m.Critical {
		return NoDataInconclusive
	}
	return m.NoDataPolicy
}

// groupAcc accumulates one group's metric weights by verdict.
type groupAcc struct {
	name                 string
	weight               float64
	wPass, wFail, wNone  float64
	pass, fail, none, ig int
	failing              []string // "p99 high", "errors nodata → fail"
}

// add counts m and returns how it reads in a reason and whether it counts
// as failing.
func (g *groupAcc) add(name string, m Scored) (verdict string, failing bool) {
	verdict = name + " " + string(m.Classification)
	switch {
	case m.Classification == Pass:
		g.wPass += m.Weight
		g.pass++
		return verdict, false
	case m.Classification == High || m.Classification == Low:
	case m.MustHaveDataBreach:
		verdict = name + " nodata, must have data"
	case m.Classification == NoData && policyOf(m) == NoDataFail:
		verdict = name + " nodata → fail"
	case m.Classification == NoData && policyOf(m) == NoDataIgnore:
		g.ig++
		return name + " nodata, ignored", false
	default: // Error, NoData inconclusive, Inconclusive
		g.wNone += m.Weight
		g.none++
		return verdict, false
	}
	g.wFail += m.Weight
	g.fail++
	g.failing = append(g.failing, verdict)
	return verdict, true
}

func (g *groupAcc) result() GroupScore {
	r := GroupScore{Name: g.name, Weight: g.weight, Pass: g.pass, Fail: g.fail, NoVerdict: g.none, Ignored: g.ig}
	if d := g.wPass + g.wFail; d > 0 {
		r.Score, r.Scored = 100*g.wPass/d, true
	}
	return r
}

// runScores returns the weighted mean of the group scores over groups with
// a verdict, and the best and worst cases over groups with any metric not
// ignored, counting the metrics without a verdict as passing or failing.
// anyCounted is false when every metric was ignored.
func runScores(groups []*groupAcc) (score, best, worst float64, anyCounted bool) {
	var sw, bw, sBest, sWorst float64
	for _, g := range groups {
		if d := g.wPass + g.wFail; d > 0 {
			score += g.weight * 100 * g.wPass / d
			sw += g.weight
		}
		if t := g.wPass + g.wFail + g.wNone; t > 0 {
			sBest += g.weight * 100 * (g.wPass + g.wNone) / t
			sWorst += g.weight * 100 * g.wPass / t
			bw += g.weight
		}
	}
	if sw > 0 {
		score /= sw
	}
	if bw == 0 {
		return 0, 0, 0, false
	}
	return score, sBest / bw, sWorst / bw, true
}

// failingText lists the failing metrics, or with groups the groups that
// have failing metrics with their scores:
// "latency group 50 (p99 high), errors group 75 (error_rate nodata → fail)".
func failingText(groups []*groupAcc, grouped bool) string {
	var parts []string
	for _, g := range groups {
		if len(g.failing) == 0 {
			continue
		}
		if !grouped {
			parts = append(parts, g.failing...)
			continue
		}
		r := g.result()
		parts = append(parts, fmt.Sprintf("%s group %s (%s)", groupLabel(g.name), fmtGroupScore(r.Score), nameList(g.failing)))
	}
	return nameList(parts)
}

// groupLabel names a group in messages; the unnamed group is "(no group)".
func groupLabel(g string) string {
	if g == "" {
		return "(no group)"
	}
	return g
}

// fmtGroupScore rounds to 0.1 and drops a trailing ".0": 50, 66.7.
func fmtGroupScore(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

func metricName(i int, m Scored) string {
	if m.Name == "" {
		return fmt.Sprintf("metric #%d", i)
	}
	return m.Name
}

// nameList joins up to 5 names and counts the rest.
func nameList(names []string) string {
	const maxNames = 5
	if len(names) <= maxNames {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:maxNames], ", ") + fmt.Sprintf(" and %d more", len(names)-maxNames)
}

func fmtScore(v float64) string { return fmt.Sprintf("%.1f", v) }
