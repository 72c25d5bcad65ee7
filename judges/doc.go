// Package judges holds the pure statistics augur uses to compare a canary
// cohort with a baseline cohort and to turn per-metric verdicts into a run
// score.
//
// The package is deliberately pure: it imports nothing from augur, performs
// no I/O, takes no context, logs nothing and keeps no mutable package state.
// Every function is a deterministic function of its arguments, and no input
// slice is modified.
//
// # Conventions
//
// x is the canary and y the baseline, n = |x|, m = |y|. Differences are
// D_ij = x_i − y_j, so a positive shift means the canary is larger (Kayenta's
// orientation). NaN observations are dropped and counted; ±Inf observations
// are kept and rank correctly; −0 and +0 tie (−0 is normalised to +0 on copy).
//
// # Mann–Whitney U
//
// U is the canary's statistic, U = #{x > y} + ½·#{x = y}; this is both scipy's
// mannwhitneyu statistic and R's wilcox.test W. 2U is computed exactly as an
// integer from a merge of the sorted samples.
//
// The p-value is the two-sided asymptotic one with tie correction and
// continuity correction c = ½: z = (max(U, nm−U) − nm/2 − ½)/σ and
// p = min(1, erfc(z/√2)). This is scipy's method='asymptotic',
// use_continuity=True and R's exact=FALSE, correct=TRUE (they agree).
// Choices between the two:
//
//   - Method: only the asymptotic test exists for now, for every sample size.
//     scipy's default 'auto' uses the exact distribution when min(n,m) ≤ 8 and
//     there are no ties; R's default is exact when n < 50 and m < 50 and there
//     are no ties. Results for small tie-free samples therefore differ from
//     both defaults (but equal both when asymptotic is requested explicitly).
//   - σ = 0 (all pooled values equal): R returns NaN; we follow scipy, whose
//     p clips to 1, and say so in MannWhitneyResult.Note.
//   - Z: neither scipy nor R reports it. We report the continuity-corrected
//     statistic with a sign: Z = sign(U − nm/2)·(|U − nm/2| − ½)/σ, positive
//     when the canary is larger; |Z| is scipy's z whenever U ≠ nm/2.
//
// # Hodges–Lehmann shift and its confidence interval
//
// Estimate is the exact median of the nm differences (the mean of the two
// middle ones when nm is even). R's wilcox.test "difference in location" is a
// root-finder point near it (tolerance 1e-4, absolute); Kayenta copies R. We do
// not: the exact median is scale-free, which matters for tiny-valued metrics.
//
// The confidence interval is R's normal approximation with continuity
// correction (wilcox.test(conf.int=TRUE, exact=FALSE, correct=TRUE)) written
// as order statistics of the differences, as in Kayenta: with ties counted
// within x and within y only, σ_ci = sqrt(nm/12·((n+m+1) − (T_x+T_y)/((n+m)(n+m−1)))),
// c = z_{1−α/2}·σ_ci, k_L = ⌊nm/2 − c − ½⌋ + 1, k_U = ⌊nm/2 + c + ½⌋ + 1, both
// clamped to [1, nm], CI = [D_(k_L), D_(k_U)]. It equals R's interval within
// R's root tolerance. scipy has no Hodges–Lehmann interval.
//
// The nm differences are never materialised: on sorted samples
// count(D ≤ t) is an O(n+m) staircase walk. An order statistic is selected by
// counting passes that shrink a bracket of actual differences around it. The
// pivot of a pass is a linear interpolation of rank against value, aimed a
// little past the target so both ends of the bracket close in; whenever two
// passes fail to halve the bracket, the pivot is instead the midpoint of the
// bracket in the order-preserving uint64 image of the float64 bit patterns
// (bisection, at most 64 halvings). Once the bracket holds at most
// max(n+m, 4096) differences they are collected and the answer is selected
// among them. Because IEEE subtraction is monotone, every step returns
// exactly the brute-force order statistic; on smooth data the estimate and
// both interval ends take about 25 passes for n = m = 1e6.
//
// Infinities: if both samples contain the same infinity, +Inf − (+Inf) and
// −Inf − (−Inf) are NaN in IEEE arithmetic. Such pairs tie in the rank test,
// so we define their difference as 0; this keeps the difference matrix
// monotone in x and y and consistent with U. The estimate is NaN only when the
// two middle differences are −Inf and +Inf (the mean is undefined); that is
// reported in Note and classified as an error.
//
// # Effect sizes
//
// MeanRatio = mean(x)/mean(y); it is NaN (with MeanRatioNote) when the baseline
// mean is 0, when a sample contains ±Inf or a mean overflows. CLES = U/(nm),
// the probability that a random canary value exceeds a random baseline value
// (ties counting one half).
//
// # Percentiles
//
// Threshold percentiles use linear interpolation between order statistics,
// Hyndman–Fan type 7: numpy's default method='linear' and R's default
// quantile type 7 (they agree).
//
// # Classification and scoring
//
// ClassifyMannWhitney follows Kayenta's rule (98% CI, tolerance band
// ¼·|estimate|, mean-ratio effect-size gate) with Kayenta's defects fixed:
// no random noise for constant samples, no NaN statistic ever classified as a
// pass, a no-data cohort is NoData and never a pass. ScoreRun never counts a
// NoData or Error metric as a pass and fails a run on any critical breach.
package judges
