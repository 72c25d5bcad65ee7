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
// int64 from a merge of the sorted samples (MannWhitneyResult.TwoU): for
// n·m ≤ 1e16 (1e8 per side) 2U ≤ 2e16 fits easily; the float64 U is exact
// while 2U < 2^53 ≈ 9e15 and otherwise within one unit in 1e16. Tie terms
// Σ(t³ − t) are float64 (t³ overflows int64 for t above ~2.1e6).
//
// MannWhitneyTest takes an Alternative (in the canary's terms) and a Method;
// MannWhitney is MannWhitneyTest with two-sided and auto. Choices between
// scipy and R:
//
//   - Asymptotic p: tie correction and continuity correction c = ½:
//     greater z = (U − nm/2 − ½)/σ, less z = (nm − U − nm/2 − ½)/σ, p = erfc(z/√2)/2;
//     two-sided p = min(1, erfc(|z|/√2)) with max(U, nm−U). scipy's
//     method='asymptotic' and R's exact=FALSE, correct=TRUE agree; the
//     reference tests check both to 1e-9.
//   - Exact p: as R's wilcox.test: greater P(U ≥ U1), less P(U ≤ U1),
//     two-sided min(1, 2·P(U ≥ max(U1, U2))), from the null distribution
//     tabulated by c(n,m,k) = c(n−1,m,k−m) + c(n,m−1,k) with additions only
//     (as R's cwilcox), summing the shorter tail as R's pwilcox does. It
//     matches R's pwilcox to 1e-12 relative. It is limited to n·m ≤ 10 000
//     (the table costs about (nm)²/8 additions); R has no limit.
//   - Auto: exact when n < 50, m < 50 and there are no ties, else
//     asymptotic: R's rule. scipy's auto is exact only when min(n, m) ≤ 8
//     (and no ties); we follow R because its exact region is where the
//     normal approximation is poorest (e.g. n = m = 20) and the exact
//     distribution is cheap there, and because the exact confidence
//     interval (below) is R's. MannWhitneyResult.Method says which was used.
//   - Exact requested with ties: R warns and silently falls back to the
//     normal approximation; we return an error that says the exact test
//     needs samples without ties, so a result never claims a method it did
//     not use.
//   - σ = 0 (all pooled values equal): R returns NaN; we follow scipy, whose
//     p clips to 1, for every alternative, and say so in Note.
//   - Z: neither scipy nor R reports it. We report the continuity-corrected
//     statistic with a sign: Z = sign(U − nm/2)·(|U − nm/2| − ½)/σ, positive
//     when the canary is larger, whatever the alternative and method; |Z| is
//     scipy's two-sided z whenever U ≠ nm/2.
//   - ±Inf: kept and ranked (R drops non-finite values; scipy keeps them).
//
// Sorting is an LSD radix sort of order-preserving uint64 keys (only the
// bits that vary are sorted on, 11-bit digits; slices.Sort below 4096
// values, where it measured faster). SkipShift skips the Hodges–Lehmann
// work when only U and p are wanted.
//
// # Binned data
//
// MannWhitneyBinned tests two histograms of one bucket layout (classic `le`
// buckets via HistogramFromCumulative, or native exponential buckets of one
// schema via HistogramFromExponential; negative native buckets are not
// supported). Observations in a bucket tie, so U and the tie term come from
// the counts in O(buckets), equal to scipy on the samples expanded to bucket
// upper bounds (checked to 1e-9). The p-value is asymptotic only (an exact
// test is refused: everything ties). The Hodges–Lehmann shift is not
// defined on binned data: a shift computed on bucket bounds would depend on
// the bucket layout and mislead at exactly the resolution canary analysis
// cares about, so Estimate, the interval, the means and the medians are NaN
// and Note says so. Counts may be fractional (after rate()).
//
// # Hodges–Lehmann shift and its confidence interval
//
// Estimate is the exact median of the nm differences (the mean of the two
// middle ones when nm is even). R's wilcox.test "difference in location" is a
// root-finder point near it (tolerance 1e-4, absolute) when exact=FALSE, and
// the same exact median when exact=TRUE; Kayenta copies R's normal branch.
// We always give the exact median: it is scale-free, which matters for
// tiny-valued metrics.
//
// The interval follows the p-value's method:
//
//   - Exact (R's wilcox.test(exact=TRUE, conf.int=TRUE), which is order
//     statistics of the differences): two-sided k = qwilcox(α/2, n, m)
//     (0 → 1), [D_(k), D_(nm−k+1)]; greater [D_(k'), +Inf) and less
//     (−Inf, D_(nm−k'+1)] with k' = qwilcox(α, n, m). Equal to R's interval
//     exactly (reference tests). Like R, when even k = 1 misses the
//     requested level the interval is [D_(1), D_(nm)]; where R warns
//     "requested conf.level not achievable", AchievedConfidence records the
//     level the interval has (1 − 2·P(U ≤ 0): 50 % for 1 vs 3 values, 90 %
//     for 3 vs 3) with a Note, and ClassifyMannWhitney returns Inconclusive
//     instead of classifying on it. The normal-approximation interval
//     records the level of [D_(1), D_(nm)] likewise when its ranks clamp.
//   - Normal approximation (R's exact=FALSE, correct=TRUE) written as order
//     statistics, as in Kayenta: with ties counted within x and within y
//     only, σ_ci = sqrt(nm/12·((n+m+1) − (T_x+T_y)/((n+m)(n+m−1)))),
//     c = z·σ_ci, k_L = ⌊nm/2 − c − ½⌋ + 1, k_U = ⌊nm/2 + c + ½⌋ + 1, both
//     clamped to [1, nm], with z = z_{1−α/2} two-sided and z = z_{1−α} for
//     the finite end of a one-sided interval (R's root(qnorm(alpha)) with
//     correction ±½). R finds its bounds with uniroot (absolute tolerance
//     1e-4) on a tie term of the shifted pooled sample, so its bounds are
//     not order statistics; the reference tests verify that each of R's
//     bounds lies between D_(k−1) and D_(k+1) of ours (within 1e-4), for
//     all three alternatives.
//   - One-sided intervals have an infinite end, as R reports them:
//     Greater [lo, +Inf), Less (−Inf, hi]. They are ±Inf in Go; callers
//     encoding JSON must write them as null.
//
// scipy has no Hodges–Lehmann interval.
//
// The nm differences are never materialised: on sorted samples
// count(D ≤ t) is an O(n+m) staircase walk (for finite samples a
// branch-free merge). An order statistic is selected by
// counting passes that shrink a bracket of actual differences around it,
// starting from the tightest bracket earlier passes give. The
// pivot of a pass is a linear interpolation of rank against value, aimed a
// little past the target so both ends of the bracket close in; whenever two
// passes fail to halve the bracket, the pivot is instead the midpoint of the
// bracket in the order-preserving uint64 image of the float64 bit patterns
// (bisection, at most 64 halvings). Once the bracket holds at most
// max(n+m, 4096) differences they are collected and the answer is selected
// among them. Because IEEE subtraction is monotone, every step returns
// exactly the brute-force order statistic; on smooth data the estimate and
// both interval ends take about 22 passes for n = m = 1e6.
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
// (ties counting one half). RelativeShift = Estimate/|BaselineMedian| (the
// absolute value keeps its sign "canary larger" for negative medians); it is
// NaN with RelativeShiftNote when that median is 0 or not finite.
//
// # Percentiles
//
// Threshold percentiles use linear interpolation between order statistics,
// Hyndman–Fan type 7: numpy's default method='linear' and R's default
// quantile type 7 (they agree).
//
// # Clusters
//
// Cohorts are assigned by pod, not by request: the requests of one pod
// share its offset (node, cache, neighbours) and its scrape points share
// its drift, so the evidence about a cohort grows with its number of pods,
// not its requests or points. A rank test over the pooled requests of 10
// pods per cohort with a 2 % (5 %) pod-to-pod spread rejects about 22 %
// (40 %) of healthy A/A replicates at α = 0.01; the same data compared one
// value per pod reject 1 % (TestClusterCompareAACalibration). So the
// cluster (pod, instance) is the unit of analysis (cluster.go,
// cluster_worst.go, cluster_rates.go):
//
//   - ClusterCompare: one summary per cluster (the mean of its points, a
//     quantile of its own histogram), compared with Welch's t on the
//     cluster values and Satterthwaite degrees of freedom; ScaleLog
//     compares log values (latencies: the estimate is the ratio of
//     geometric means, the interval exponentiated). Equal to R's
//     t.test(var.equal = FALSE) and, within the stated tolerance, to the
//     exact permutation test over pods (4 vs 4, 5 vs 5).
//   - WorstCluster: the worst canary cluster in the harmful direction
//     against a prediction interval from the baseline clusters,
//     t = (x − ȳ)/(s·√(1 + 1/m)) with m − 1 df, P Bonferroni-adjusted over
//     the canary clusters (min(1, n·p)); direction either takes the more
//     extreme side, two-sided. One bad pod fails even when the cohort's
//     centre hides it. It needs ≥ 2 baseline clusters.
//   - The sampling-noise floor (both of the above): a cluster may carry
//     SE, the standard error of its value from its own data (the spread
//     of its points over their effective number; for a histogram quantile
//     QuantileSE, half the quantile's one-sigma rank interval). A cohort's
//     spread is then never taken below the mean squared SE of its
//     clusters (on the log scale SE/value), the positive-part estimator
//     of a random-effects model: the spread between pods estimates their
//     sampling noise plus their true differences, so a smaller one is
//     chance. With two or three values per cohort (a t with 1 or 2 df)
//     and values that come in steps (quantiles interpolated in a bucket
//     holding a dozen requests) that chance is far likelier than the t
//     distribution allows: one pod against three identical pods at 120
//     requests each rejects 2 % of A/A draws at α = 0.01 without the
//     floor and 0.03 % with it (TestClusterCompareQuantileSteps). The df
//     stay the clusters' (Welch's from the raw spreads when those are
//     fewer), so the floor only ever widens the interval; the Note says
//     when it was used. WorstCluster floors the baseline's spread alike,
//     never with the worst canary's own noise (a spike inside a pod is
//     the effect sought).
//   - ClusterRates: proportions and other ratios of sums with the cluster
//     as the randomisation unit, by the delta method (Deng, Knoblich & Lu,
//     "Applying the Delta Method in Metric Analytics", KDD 2018, arXiv
//     1803.06336): per cohort r = ΣE/ΣT, Var(r) = k/(k−1)·Σ(E_i − r·T_i)²/(ΣT)².
//     The factor k/(k−1) is statsmodels' cluster-robust correction for a
//     cohort fitted alone and makes the test exactly Welch's t on the pod
//     rates when pods have equal traffic; the reference distribution is
//     Student's t with the Welch–Satterthwaite df of the two pieces, not
//     the normal: with 10 pods per cohort and pod error rates spread by
//     log-sd 0.3, the normal reference rejects 1.3 % of A/A replicates at
//     α = 0.01, the t reference 0.7 %, the pooled two-proportion z test
//     21 % (TestClusterRatesAACalibration).
//   - ClusterRatesQuasi, what the engine uses for proportions: the same
//     rates with one dispersion shared by both cohorts, the quasi-binomial
//     model (McCullagh & Nelder §4.5; R's glm(family = quasibinomial)):
//     φ = max(1, X²/(K − 2)) with Pearson's X² over the K pods of both
//     cohorts, the test t = (r_c − r_b)/√(φ·r̄(1−r̄)(1/T_c + 1/T_b)) on
//     K − 2 df. Under the null both cohorts' pods vary alike, so pooling the
//     dispersion is valid and keeps its degrees of freedom when a regressed
//     canary's pods vary more than the baseline's, where Satterthwaite's df
//     collapse towards 2 with 3 pods per cohort (a 5× error rate then
//     passed the delta method). Checked against statsmodels' quasi-binomial
//     GLM (testdata/gen_quasi.py); A/A with pod rates spread by log-sd 0.3
//     rejects 1.3 % at α = 0.01, the pooled z test 14.5 %
//     (TestClusterRatesQuasiCalibration).
//   - HistogramQuantile: Prometheus' histogram_quantile for classic
//     buckets, step for step (checked against the PromQL engine on a real
//     store). On a Histogram built from native buckets it interpolates
//     linearly, not exponentially as PromQL does for native histograms.
//   - EffectiveSampleSize: n/(1 + 2Σ w_k ρ_k) with statsmodels' acf, Bartlett
//     weights and the Newey–West lag ⌊4(n/100)^(2/9)⌋; it is at least
//     n/(1+L), so it cannot correct strong drift in a short series: for the
//     pooled points fallback only, per-cluster summaries are the remedy.
//
// Fallbacks, all said in Method and Note and never a silent pass: one
// cluster in one cohort → the pooled t (R's t.test(var.equal = TRUE)),
// the between-cluster variance from the other cohort alone with its
// clusters − 1 df, assuming the single cluster varies as the others do
// (for rates: k·Var(r) of the other cohort, at least the Poisson variance
// r̄/T of the single cluster); one cluster in each cohort, or no events in
// either cohort (rates) → Method none, NaN statistics, and the caller
// falls back to the request- or point-level test with a reason saying
// pod-to-pod variation cannot be estimated. A between-cluster variance of
// 0 in both cohorts leaves t undefined (NaN, with a Note) rather than
// dividing by zero. Clusters without data (Weight 0, no trials) or with a
// NaN value are left out and counted in Note; ±Inf values, negative
// weights and, on the log scale, values ≤ 0 are errors naming the cluster.
//
// Not chosen: the clustered Wilcoxon rank-sum test of Datta & Satten
// (Biometrics 61:492, 2005). It keeps the rank test's robustness but its
// variance is asymptotic in the number of clusters (it needs many pods,
// where canaries have 1–10), and it gives a p-value without an interval
// for the effect, which margins and "needs more data" reasons need. A
// cluster bootstrap has the same small-k problem. With 1–3 pods per
// cohort no method has much power; the reason says so.
//
// # Other tests: where scipy and R differ, and what we follow
//
//   - Welch t: scipy and R agree on t and p; scipy 1.10 reports neither the
//     degrees of freedom nor the interval, so those follow R t.test. Both
//     variances zero: R stops, scipy gives ±Inf or NaN; we give NaN t, p and
//     interval with a Note.
//   - Kolmogorov–Smirnov follows R ks.test, except: the alternative is named
//     in the canary's terms (our Greater, canary larger, D = max(F_y − F_x),
//     is scipy's and R's "less"); the exact p holds the pooled tie pattern
//     fixed as R ≥ 4.2 does, but evaluates the one-sided statistic correctly
//     where R's psmirnov does not with uneven ties (we match brute-force
//     enumeration); the two-sided asymptotic p is the Kolmogorov limit to
//     full precision (scipy's kstwobign.sf; R stops its series at 1e-6), the
//     one-sided one exp(−2λ²) as R (scipy adds a finite-sample term); auto is
//     exact when n·m < 10000 (R's rule; scipy's max(n,m) ≤ 10000 can cost 1e8
//     steps).
//   - Error rates: pooled z, Pearson χ² and Yates agree between scipy
//     chi2_contingency and R prop.test; Fisher follows R fisher.test (tables
//     with P ≤ P_obs·(1+1e-7)). A zero margin is "not computable" (NaN p with
//     a Note) where R returns p = 1: missing signal is never a pass.
//   - Beta-binomial P(canary worse): neither library has it; the reference is
//     R's closed-form sum with lbeta, cross-checked by numerical integration.
//     log-beta is Stirling-corrected as R's nmath lbeta.
//   - mSPRT: neither library has it; the reference is an independent numpy
//     transcription of the recursion. The default mixing variance τ² is
//     (0.1·σ̄)², fixed at the first update where both variances are known.
//   - Multiple testing follows R p.adjust (scipy has only BH and BY and
//     rejects NaN): NaN entries stay NaN and are left out of n.
//   - Sample-ratio mismatch: scipy chisquare and R chisq.test agree.
//
// # Sequential judges
//
// Two always-valid judges complement the mSPRT above; their verdicts may be
// read after every look, as often as wanted, at the level they are given.
//
// Counts (errors with a request count): CountEProcess, the conditional
// Poisson construction of Lindon & Malek, "Anytime-valid inference for
// multinomial count data" (NeurIPS 2022, arXiv 2011.03567). Each cohort's
// events are a Poisson process with rate traffic × per-trial rate; given a
// chunk's total events (one look's new counts), each falls in the canary
// with probability π_j(θ) = ρ_jθ/(ρ_jθ + 1 − ρ_j), where ρ_j is the
// canary's share of the chunk's trials and θ the ratio of per-trial rates
// canary/baseline. ρ_j may change from chunk to chunk (diurnal traffic, a
// changing canary weight), so the likelihood is kept on a fixed grid: log θ
// on 241 points uniform over [−3, 3] (θ from 0.05 to 20, step 0.025 in
// log θ), with the cumulative log-likelihood
// ll(θ) = Σ_j c_j log π_j(θ) + b_j log(1 − π_j(θ)) at every point and at θ0
// itself. The null is θ ≤ θ0 = 1 + margin (direction decrease: θ ≥ 1 −
// margin); EValue is Σ_{θ_g > θ0} w_g·exp(ll(θ_g) − ll(θ0)) with w a normal
// prior of standard deviation 0.5 on log θ − log θ0 truncated to θ > θ0
// (detection of 1.3× to 5× ratios changed little between 0.3 and 1).
// NonInferiorEValue mixes over θ_g < θ0 against the null θ ≥ θ0 (an early
// pass). Validity: given the past and a chunk's total, each grid term's
// likelihood ratio has expectation at most 1 under any θ on the null side
// (the binomial family has a monotone likelihood ratio in θ), so the
// mixture is a test supermartingale and, by Ville's inequality, reaching
// 1/α at any look has probability at most α. With a constant ρ and a Beta
// prior on π the mixture is Lindon & Malek's beta-binomial e-value; the
// tests check the grid against scipy's closed form. RatioCS inverts these
// tests at every grid point at level α/2 per side and widens to the next
// grid point, so it holds whatever θ is. Counts may be fractional
// (increase() extrapolates): the likelihood counts whole events, the
// increase of each cohort's rounded cumulative count, so fractions carry
// over. The state (CountEProcessState) is the 241 log-likelihoods, the one
// at θ0 with θ0, and the cohorts' totals: its size does not grow with the
// run, and it round-trips through JSON exactly.
//
// Latency: quantile confidence sequences (QuantileBounds,
// QuantileBoundsSamples, CompareQuantiles), Howard & Ramdas, "Sequential
// estimation of quantiles with applications to A/B-testing and best-arm
// identification" (Bernoulli 28(3), 2022, arXiv 1906.09712), Theorem 1,
// as used by Lindon, Sanden & Shirikian (KDD 2022, arXiv 2205.14762). The
// boundary is the two-sided beta-binomial mixture of Howard, Ramdas,
// McAuliffe & Sekhon (Ann. Statist. 2021), Proposition 6, on the centred
// Bernoulli sums Σ(1{X_i ≤ q*} − q), tuned to be tightest near
// QuantileCSTOpt = 10 000 observations (its Section 3.5); the band after t
// observations is [X_(⌊t(q−f_lo)⌋+1), X_(⌈t(q+f_hi)⌉)] with f = u(q(1−q)t)/t.
// It is valid for any distribution (ties included). From a histogram the
// bounds snap outwards to bucket edges (the lower edge of the bucket
// holding the lower rank, the upper edge of the one holding the upper
// rank; ±Inf beyond the first and last finite bounds), so the band contains
// the band of the raw requests. CompareQuantiles splits α over the
// quantiles and both cohorts (Bonferroni) and compares the ratio bounds
// canary/baseline with 1 + margin: Worse when Canary.Lo/Baseline.Hi
// exceeds it, NonInferior when Canary.Hi/Baseline.Lo is below it. The
// tests check the boundary against an independent scipy transcription and
// coverage by simulation. The resolution is the buckets': a regression is
// established beyond the margin only when at least one bucket edge
// separates the baseline's upper bound from the canary's lower bound. In
// augur's default classic buckets (19 % wide) a p99 50 % slower is found
// within the hour at 36k requests/h per cohort (median 15 minutes); a p99
// 15 % slower is not (even from raw requests the p99 band after 36k
// requests spans about p98.8–p99.2), and is never taken for non-inferior.
//
// Margins and defaults: both judges take the margin and α from the caller,
// who passes the metric's whole share of the run's budget at every look
// (no spending across looks is needed). A count judge without a margin
// tests for any increase and can pass early only by showing the canary
// better; the latency judge's margin defaults to 5 % in the analysis,
// because request-level bands do not see pod-to-pod variation.
//
// # Classification and scoring
//
// ClassifyMannWhitney follows Kayenta's rule (98% CI, tolerance band
// ¼·|estimate|, effect-size gate on the mean ratio or CLES) with Kayenta's
// options (NaN strategy remove or replace, IQR outlier removal with fences
// min(P1, Q1 − k·IQR) and max(P99, Q3 + k·IQR), must-have-data, allowed and
// critical effect sizes) and its defects fixed: no random noise for constant
// samples, no NaN statistic ever classified as a pass, a no-data cohort is
// NoData and never a pass. ScoreGroups scores metric groups with validated
// weights as Kayenta does, never counts a NoData or Error metric as a pass,
// applies each metric's no-data policy (inconclusive, fail or ignore), and
// fails a run on any critical breach or must-have-data breach.
package judges
