#!/usr/bin/python3
"""Reference vectors for the logpatterns judge (metric_logpatterns_stats.go).

Run from the repository root with the Debian interpreter (scipy, numpy and
statsmodels):

    /usr/bin/python3 analysis/testdata/gen_logpatterns.py

binom_upper: P(X >= x) for X ~ Binomial(n, p), from
    scipy.stats.binomtest(x, n, p, alternative='greater').pvalue.

cases: patterns with canary and baseline counts and each cohort's exposure.
For each, written independently of the Go code:
    p0        (1+margin)·E_c / ((1+margin)·E_c + E_b)
    min_p     p0**n, the smallest p-value a pattern with n events can have
    testable  Tarone's m(K) for the least K with m(K) <= K
    tests     the testable patterns with the most events (smallest min_p,
              then id), at most max_judged: id, scipy's binomtest p-value
              (greater, p0) and the Holm-adjusted p-value from statsmodels'
              multipletests over the testable ones (untested ones at p = 1)
    failing   ids whose adjusted p <= alpha
"""

import json
import os

import numpy as np
from scipy.stats import binomtest
from statsmodels.stats.multitest import multipletests

rng = np.random.default_rng(20261203)


def pattern_ids(k):
    return ["%012x" % (0xA0000000 + i) for i in range(k)]


def judge(case):
    ec, eb = case["canary_exposure"], case["baseline_exposure"]
    margin, alpha = case["margin"], case["alpha"]
    p0 = (1 + margin) * ec / ((1 + margin) * ec + eb)
    pats = [c for c in case["counts"] if c["canary"] + c["baseline"] > 0]
    for c in pats:
        c["_minp"] = p0 ** (c["canary"] + c["baseline"])
    pats.sort(key=lambda c: (c["_minp"], c["id"]))
    m = len(pats)
    testable = 0
    for k in range(1, m + 1):
        mk = sum(1 for c in pats if c["_minp"] <= alpha / k)
        if mk <= k:
            testable = mk
            break
    judged = min(testable, case["max_judged"])
    ps = []
    for i in range(testable):
        c = pats[i]
        if i < judged:
            ps.append(binomtest(c["canary"], c["canary"] + c["baseline"], p0, alternative="greater").pvalue)
        else:
            ps.append(1.0)
    adj = multipletests(ps, method="holm")[1] if testable > 1 else ps
    tests = [{"id": pats[i]["id"], "p": ps[i], "adjusted": float(adj[i])} for i in range(judged)]
    failing = sorted([t for t in tests if t["adjusted"] <= alpha], key=lambda t: t["adjusted"])
    for c in pats:
        del c["_minp"]
    return {"p0": p0, "testable": testable, "judged": judged, "tests": tests, "failing": [t["id"] for t in failing]}


def poisson_patterns(rates, ec, eb, ratio=None):
    ids = pattern_ids(len(rates))
    ratio = ratio or {}
    out = []
    for i, r in enumerate(rates):
        out.append({"id": ids[i], "canary": int(rng.poisson(r * ec * ratio.get(i, 1.0))), "baseline": int(rng.poisson(r * eb))})
    return out


def common_rates(k):
    # A few frequent warnings and many rare errors, per log record.
    return list(np.exp(rng.uniform(np.log(1e-6), np.log(1e-2), size=k)))


cases = []


def add(name, counts, ec, eb, alpha=0.0025, margin=0.0, max_judged=1000):
    case = {"name": name, "canary_exposure": ec, "baseline_exposure": eb, "alpha": alpha,
            "margin": margin, "max_judged": max_judged, "counts": counts}
    case["want"] = judge(case)
    cases.append(case)


ec = eb = 200000.0
pats = poisson_patterns(common_rates(40), ec, eb)
pats.append({"id": "0000000000e1", "canary": 40, "baseline": 0})
add("a new error signature in the canary, equal traffic", pats, ec, eb)

ec = eb = 2e6
pats = poisson_patterns(common_rates(40), ec, eb)
pats.append({"id": "0000000000e1", "canary": 1, "baseline": 0})
add("one new line among millions", pats, ec, eb)

ec, eb = 20000.0, 180000.0
pats = poisson_patterns(common_rates(60), ec, eb)
add("A/A, canary a tenth of the traffic", pats, ec, eb)

ec, eb = 20000.0, 180000.0
rates = common_rates(30) + [2e-3]
pats = poisson_patterns(rates, ec, eb, ratio={30: 2.0})
add("a known error twice as frequent, canary a tenth of the traffic", pats, ec, eb)

ec = eb = 1e6
pats = [{"id": "0000000000a1", "canary": 1300, "baseline": 1000},
        {"id": "0000000000a2", "canary": 5000, "baseline": 5100},
        {"id": "0000000000a3", "canary": 3, "baseline": 1}]
add("30 % more frequent, no margin", pats, ec, eb)
add("30 % more frequent, within a 50 % margin", pats, ec, eb, margin=0.5)

ec, eb = 1e6, 1.1e6
pats = poisson_patterns(common_rates(20), ec, eb)
pats += [{"id": "0000000000b%d" % i, "canary": 30 + i, "baseline": i} for i in range(6)]
add("testable patterns beyond a cap of three", pats, ec, eb, max_judged=3)

ec = eb = 5e7
pats = [{"id": "0000000000c1", "canary": 100000, "baseline": 98000},
        {"id": "0000000000c2", "canary": 20000, "baseline": 0},
        {"id": "0000000000c3", "canary": 0, "baseline": 700}]
add("large counts", pats, ec, eb, alpha=0.01)

binom = []
for x, n, p in [(1, 1, 0.5), (5, 10, 0.5), (0, 10, 0.3), (10, 10, 0.5), (200, 200, 0.5), (40, 40, 0.1),
                (3, 1000, 0.001), (60, 100, 0.5), (1300, 2300, 1e6 / 2e6), (100000, 198000, 0.5),
                (7, 9, 0.9), (1, 50, 0.02), (900, 1000, 0.85)]:
    binom.append({"x": x, "n": n, "p": p, "want": binomtest(x, n, p, alternative="greater").pvalue})

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "logpatterns_reference.json")
with open(out, "w") as f:
    json.dump({"binom_upper": binom, "cases": cases}, f, indent=1)
    f.write("\n")
print("wrote", out, len(cases), "cases")
for c in cases:
    print(c["name"], c["want"]["testable"], c["want"]["judged"], c["want"]["failing"])
