#!/usr/bin/python3
"""Generate mannwhitney_reference.json, the reference vectors for the judges tests.

Run from the repository root:  /usr/bin/python3 judges/testdata/gen_reference.py

U and the two-sided asymptotic p come from scipy.stats.mannwhitneyu(x, y,
alternative='two-sided', method='asymptotic', use_continuity=True), with x the
canary and y the baseline. The Hodges-Lehmann estimate and the confidence
interval are computed here by brute force, independently of the Go code: all
n*m differences x_i - y_j are materialised and sorted, the estimate is their
median, and the interval is [D_(k_L), D_(k_U)] with the ranks of
shared/guide/statistics.md (ties counted within x and within y only, h = 0.5,
clamped to [1, nm]).

The output is deterministic (fixed seed) and is committed so that `go test`
needs neither Python nor scipy.
"""
import json
import math
import os

import numpy as np
import scipy
from scipy import stats

CONFIDENCE = 0.98


def ties(a):
    _, counts = np.unique(a, return_counts=True)
    t = counts.astype(np.float64)
    return float((t ** 3 - t).sum())


def hodges_lehmann(x, y, confidence):
    n, m = len(x), len(y)
    d = np.subtract.outer(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)).ravel()
    d.sort()
    big_n = n * m
    s = n + m
    sigma = math.sqrt(big_n / 12 * ((s + 1) - (ties(x) + ties(y)) / (s * (s - 1))))
    z = stats.norm.isf((1 - confidence) / 2)
    c = z * sigma
    k_lo = int(min(max(math.floor(big_n / 2 - c - 0.5) + 1, 1), big_n))
    k_hi = int(min(max(math.floor(big_n / 2 + c + 0.5) + 1, 1), big_n))
    return float(np.median(d)), float(d[k_lo - 1]), float(d[k_hi - 1]), k_lo, k_hi


def case(name, x, y):
    x = [float(v) for v in x]
    y = [float(v) for v in y]
    res = stats.mannwhitneyu(x, y, alternative='two-sided', method='asymptotic', use_continuity=True)
    # scipy reports U of the first sample (the canary) for two-sided tests.
    u = float(res.statistic)
    est, lo, hi, k_lo, k_hi = hodges_lehmann(x, y, CONFIDENCE)
    return {
        "name": name, "x": x, "y": y,
        "u": u, "p": float(res.pvalue),
        "estimate": est, "ci_low": lo, "ci_high": hi, "k_low": k_lo, "k_high": k_hi,
    }


def main():
    rng = np.random.default_rng(20240611)
    same = np.round(rng.normal(0, 1, 20), 3)
    cases = [
        case("kayenta_example", [10, 20, 30, 40], [1, 2, 3, 4]),
        case("single_each", [3.5], [1.25]),
        case("small_no_ties", rng.normal(0, 1, 5), rng.normal(0.5, 1, 5)),
        case("n_ne_m", rng.normal(10, 2, 7), rng.normal(9, 2, 13)),
        case("n1_m50", [4.2], rng.normal(4, 1, 50)),
        case("integer_ties", rng.integers(0, 6, 30), rng.integers(1, 7, 40)),
        case("decimal_ties", np.round(rng.normal(5, 1, 100), 1), np.round(rng.normal(5.2, 1, 150), 1)),
        case("constant_different", [2.0] * 10, [1.0] * 10),
        case("constant_equal", [5.0] * 8, [5.0] * 12),
        case("identical_samples", same, list(same)),
        case("shifted_normal", rng.normal(0.3, 1, 200), rng.normal(0, 1, 200)),
        case("zero_one", rng.binomial(1, 0.12, 300), rng.binomial(1, 0.08, 500)),
        case("negative_values", rng.normal(-50, 5, 60), rng.normal(-48, 5, 70)),
        case("scale_1e9", rng.lognormal(0, 0.5, 100) * 1e9, rng.lognormal(0.1, 0.5, 100) * 1e9),
        case("scale_1e-9", rng.lognormal(0, 0.5, 80) * 1e-9, rng.lognormal(0, 0.5, 120) * 1e-9),
        case("latency_500", rng.lognormal(np.log(120), 0.4, 500), rng.lognormal(np.log(110), 0.4, 500)),
    ]
    meta = {
        "generator": "judges/testdata/gen_reference.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "confidence": CONFIDENCE,
    }
    # One case per line keeps the file short and its diffs readable. Python's
    # float repr is the shortest string that round-trips, so Go reads back
    # exactly the values scipy and numpy saw.
    lines = [f' "{k}": {json.dumps(v)},' for k, v in meta.items()]
    body = ",\n".join("  " + json.dumps(c) for c in cases)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mannwhitney_reference.json")
    with open(path, "w") as f:
        f.write("{\n" + "\n".join(lines) + '\n "cases": [\n' + body + "\n ]\n}\n")
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
