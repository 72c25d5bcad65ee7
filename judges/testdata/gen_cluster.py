#!/usr/bin/python3
"""Reference vectors for cluster*.go and ess.go: cluster_reference.json.

Run from judges/testdata with Debian's python3-numpy, python3-scipy,
python3-statsmodels and r-base-core installed:

    /usr/bin/python3 gen_cluster.py

- compare: ClusterCompare against R's t.test (var.equal = FALSE for Welch,
  TRUE for the pooled fallback with one cluster in a cohort), on log values
  for the log scale (gen_cluster.R).
- worst: WorstCluster against the prediction t written out in R (pt, qt),
  also in gen_cluster.R.
- rates: ClusterRates. Each cohort's delta-method variance of its ratio of
  sums is statsmodels' cluster-robust variance of the intercept of an OLS of
  the per-request 0/1 outcome (cov_type='cluster', groups = the pods), fitted
  to the cohort alone; the script checks it against the direct formula
  k/(k-1)·Σ(E_i − r·T_i)²/(ΣT)². t, the Welch–Satterthwaite df, p-values and
  the interval follow from scipy.stats.t. The pooled fallback (one cluster
  in a cohort) is the direct transcription of its definition.
- ess: EffectiveSampleSize from statsmodels' acf (adjusted=False) with
  Bartlett weights and the Newey–West lag floor(4·(n/100)^(2/9)).
"""
import json
import math
import os
import subprocess
import tempfile

import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.tsa.stattools import acf

rng = np.random.default_rng(20261203)


def fmt(v):
    return " ".join(repr(float(x)) for x in v)


# ---- compare --------------------------------------------------------------
compare = []
for i, (n, m, scale, conf) in enumerate([
        (10, 10, "log", 0.98), (10, 10, "linear", 0.95), (3, 5, "log", 0.99),
        (2, 2, "linear", 0.9), (5, 3, "log", 0.98), (2, 30, "log", 0.999),
        (1, 3, "log", 0.98), (4, 1, "linear", 0.95), (1, 10, "log", 0.99),
        (7, 4, "linear", 0.98)]):
    shift = [0.0, 0.05, -0.1, 0.3][i % 4]
    x = np.exp(rng.normal(math.log(100) + shift, 0.05 + 0.1 * (i % 3), n))
    y = np.exp(rng.normal(math.log(100), 0.05 + 0.07 * (i % 2), m))
    if scale == "linear":
        x, y = np.log(x) - 4, np.log(y) - 4  # values around 0.6, some of either sign
    compare.append({"id": f"c{i}", "scale": scale, "confidence": conf,
                    "var_equal": bool(n == 1 or m == 1),
                    "canary": [float(v) for v in x], "baseline": [float(v) for v in y]})

worst = []
for i, (n, m, scale, direction) in enumerate([
        (10, 10, "log", "increase"), (10, 10, "log", "decrease"), (3, 8, "linear", "either"),
        (1, 2, "log", "increase"), (5, 3, "linear", "decrease"), (10, 10, "log", "either"),
        (2, 20, "log", "increase")]):
    x = np.exp(rng.normal(math.log(100), 0.05, n))
    y = np.exp(rng.normal(math.log(100), 0.05, m))
    x[i % n] *= [1.3, 0.8, 1.1, 1.0][i % 4]
    if scale == "linear":
        x, y = np.log(x) - 4.6, np.log(y) - 4.6
    worst.append({"id": f"w{i}", "scale": scale, "direction": direction, "alpha": 0.01,
                  "canary": [float(v) for v in x], "baseline": [float(v) for v in y]})

with tempfile.TemporaryDirectory() as d:
    cases, results = os.path.join(d, "cases.txt"), os.path.join(d, "results.txt")
    with open(cases, "w") as f:
        for c in compare:
            f.write(f"{c['id']};{c['scale']};{'TRUE' if c['var_equal'] else 'FALSE'};{c['confidence']!r};"
                    f"{fmt(c['canary'])};{fmt(c['baseline'])}\n")
        for c in worst:
            f.write(f"{c['id']};{c['scale']};{c['direction']};{c['alpha']!r};"
                    f"{fmt(c['canary'])};{fmt(c['baseline'])}\n")
    subprocess.run(["Rscript", os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen_cluster.R"),
                    cases, results], check=True)
    got = dict(line.strip().split(";") for line in open(results))
for c in compare:
    v = [float(s) for s in got[c["id"]].split()]
    c["want"] = dict(zip(["t", "df", "p", "p_greater", "p_less", "ci_low", "ci_high"], v))
for c in worst:
    v = [float(s) for s in got[c["id"]].split()]
    c["want"] = dict(zip(["index", "t", "df", "p", "limit"], v))

# ---- rates ----------------------------------------------------------------


def cohort_variance(events, trials):
    """statsmodels' cluster-robust variance of the intercept, and the
    direct formula; they must agree."""
    y = np.concatenate([np.r_[np.ones(int(e)), np.zeros(int(t - e))] for e, t in zip(events, trials)])
    g = np.concatenate([np.full(int(t), i) for i, t in enumerate(trials)])
    fit = sm.OLS(y, np.ones((len(y), 1))).fit(cov_type="cluster", cov_kwds={"groups": g})
    v_sm = float(fit.bse[0] ** 2)
    e, t = np.asarray(events, float), np.asarray(trials, float)
    r = e.sum() / t.sum()
    k = len(e)
    v_direct = k / (k - 1) * np.sum((e - r * t) ** 2) / t.sum() ** 2
    assert abs(v_sm - v_direct) <= 1e-12 * v_direct, (v_sm, v_direct)
    assert abs(fit.params[0] - r) <= 1e-12
    return v_sm


def t_summary(est, var, df, conf):
    se = math.sqrt(var)
    t = est / se
    q = stats.t.ppf(1 - (1 - conf) / 2, df)
    return {"estimate": est, "t": t, "df": df, "p": float(2 * stats.t.sf(abs(t), df)),
            "p_greater": float(stats.t.sf(t, df)), "p_less": float(stats.t.cdf(t, df)),
            "ci_low": est - q * se, "ci_high": est + q * se}


rates = []
for i, (kc, kb, conf) in enumerate([(10, 10, 0.98), (4, 6, 0.95), (2, 3, 0.99), (10, 10, 0.99),
                                    (3, 2, 0.9), (1, 5, 0.98), (6, 1, 0.95)]):
    def cohort(k, mult):
        trials = rng.integers(50, 400, k)
        p = np.clip(0.02 * mult * np.exp(rng.normal(0, 0.3, k)), 0, 1)
        events = rng.binomial(trials, p)
        return events.astype(float), trials.astype(float)
    ec, tc = cohort(kc, [1, 1.5, 1, 2][i % 4])
    eb, tb = cohort(kb, 1)
    rc, rb = ec.sum() / tc.sum(), eb.sum() / tb.sum()
    est = rc - rb
    if kc >= 2 and kb >= 2:
        vc, vb = cohort_variance(ec, tc), cohort_variance(eb, tb)
        df = (vc + vb) ** 2 / (vc ** 2 / (kc - 1) + vb ** 2 / (kb - 1))
        want = t_summary(est, vc + vb, df, conf)
        method = "welch"
    else:
        (eo, to, ko), (es, ts) = ((eb, tb, kb), (ec, tc)) if kc == 1 else ((ec, tc, kc), (eb, tb))
        vo = cohort_variance(eo, to)
        pooled = (ec.sum() + eb.sum()) / (tc.sum() + tb.sum())
        one = max(ko * vo, pooled / ts.sum())
        want = t_summary(est, one + vo, ko - 1, conf)
        method = "pooled"
    want["method"] = method
    rates.append({"id": f"r{i}", "confidence": conf,
                  "canary": [[float(e), float(t)] for e, t in zip(ec, tc)],
                  "baseline": [[float(e), float(t)] for e, t in zip(eb, tb)],
                  "want": want})

# ---- ess ------------------------------------------------------------------
ess = []
for i, (n, rho) in enumerate([(10, 0.8), (60, 0.8), (100, 0.0), (500, 0.8), (1000, 0.5), (240, 0.95),
                              (50, -0.5), (3, 0.5)]):
    e = rng.normal(0, 1, n)
    x = np.empty(n)
    x[0] = e[0]
    for t in range(1, n):
        x[t] = rho * x[t - 1] + e[t]
    lag = min(int(math.floor(4 * (n / 100) ** (2 / 9))), n - 1)
    r = acf(x, nlags=lag, adjusted=False, fft=False)
    s = sum((1 - k / (lag + 1)) * r[k] for k in range(1, lag + 1))
    want = min(max(n / (1 + 2 * s), 1), n)
    ess.append({"id": f"e{i}", "x": [float(v) for v in x], "lag": lag, "want": float(want)})

with open("cluster_reference.json", "w") as f:
    json.dump({"compare": compare, "worst": worst, "rates": rates, "ess": ess}, f, indent=1)
    f.write("\n")
