#!/usr/bin/python3
"""Generate mannwhitney_reference.json, the reference vectors for the judges tests.

Run from the repository root (needs scipy, numpy and Rscript):

    /usr/bin/python3 judges/testdata/gen_reference.py

Every case is a pair of samples x (canary) and y (baseline) with a confidence
level. Recorded per case:

  u, p           scipy.stats.mannwhitneyu(x, y, alternative=alt,
                 method='asymptotic', use_continuity=True): U of x and the
                 p-value for alt in two-sided, greater, less.
  r_p_asym       R wilcox.test(x, y, alternative=alt, exact=FALSE, correct=TRUE)$p.value.
  r_p_exact      R wilcox.test(..., exact=TRUE)$p.value, only for tie-free
                 cases with n*m <= 10000 (R's pwilcox); null otherwise.
  r_ci_exact     R's exact conf.int for each alt (null ends are infinite).
  r_ci_asym      R's normal-approximation conf.int (uniroot, tol 1e-4).
  estimate       median of all n*m differences x_i - y_j (numpy brute force).
  ci_normal      [D_(kL), D_(kU)] by brute force with the ranks of
                 shared/guide/statistics.md (ties within x and within y only,
                 h = 0.5, clamped to [1, nm]); one-sided intervals use
                 z_(1-alpha) and an infinite (null) end; k_normal the ranks.
  nbr_normal     D_(kL-1), D_(kL+1), D_(kU-1), D_(kU+1) (null outside 1..nm),
                 to check that R's root lies between the neighbours.

binned_cases hold small integer histograms; u and p come from scipy on the
expanded samples (each observation at its bucket's upper bound, +inf for the
last bucket).

The R half is gen_reference.R (values cross as hex floats, exactly). The
output is deterministic (fixed seeds) and committed so that `go test` needs
neither Python nor R. Infinite interval ends are written as null.
"""
import json
import math
import os
import subprocess
import tempfile

import numpy as np
import scipy
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
ALTS = ["two-sided", "greater", "less"]
R_ALT = {"two-sided": "two.sided", "greater": "greater", "less": "less"}


def ties(a):
    _, counts = np.unique(a, return_counts=True)
    t = counts.astype(np.float64)
    return float((t ** 3 - t).sum())


def jnum(v):
    return None if v is None or math.isinf(v) else float(v)


def normal_ranks(n, m, tx, ty, confidence, alt):
    big_n = n * m
    s = n + m
    sigma = math.sqrt(big_n / 12 * ((s + 1) - (tx + ty) / (s * (s - 1))))
    tail = (1 - confidence) / 2 if alt == "two-sided" else 1 - confidence
    c = stats.norm.isf(tail) * sigma
    k_lo = int(min(max(math.floor(big_n / 2 - c - 0.5) + 1, 1), big_n))
    k_hi = int(min(max(math.floor(big_n / 2 + c + 0.5) + 1, 1), big_n))
    if alt == "greater":
        k_hi = 0
    if alt == "less":
        k_lo = 0
    return k_lo, k_hi


def brute(x, y, confidence):
    n, m = len(x), len(y)
    d = np.subtract.outer(np.asarray(x), np.asarray(y)).ravel()
    d.sort()
    at = lambda k: float(d[k - 1]) if 1 <= k <= len(d) else None
    out = {"estimate": float(np.median(d)), "ci_normal": {}, "k_normal": {}, "nbr_normal": {}}
    tx, ty = ties(x), ties(y)
    for alt in ALTS:
        kl, ku = normal_ranks(n, m, tx, ty, confidence, alt)
        out["k_normal"][alt] = [kl, ku]
        out["ci_normal"][alt] = [at(kl) if kl else None, at(ku) if ku else None]
        out["nbr_normal"][alt] = [at(kl - 1) if kl else None, at(kl + 1) if kl else None,
                                  at(ku - 1) if ku else None, at(ku + 1) if ku else None]
    return out


def run_r(cases):
    with tempfile.TemporaryDirectory() as tmp:
        inp, outp = os.path.join(tmp, "in.tsv"), os.path.join(tmp, "out.tsv")
        res = {}
        for conf in sorted({c["confidence"] for c in cases}):
            sub = [c for c in cases if c["confidence"] == conf]
            with open(inp, "w") as f:
                for c in sub:
                    f.write(c["name"] + "\t" + ",".join(v.hex() for v in c["x"]) + "\t" + ",".join(v.hex() for v in c["y"]) + "\n")
            subprocess.run(["Rscript", os.path.join(HERE, "gen_reference.R"), inp, outp, repr(conf)], check=True)
            with open(outp) as f:
                for line in f:
                    name, kv = line.rstrip("\n").split("\t")
                    res[name] = dict(p.split("=", 1) for p in kv.split(";"))
        version = subprocess.run(["Rscript", "-e", "cat(R.version.string)"], capture_output=True, text=True).stdout
    return res, version


def rnum(s):
    if s == "NA":
        return None
    if s in ("Inf", "-Inf"):
        return None  # infinite interval end
    return float.fromhex(s)


def case(name, x, y, confidence=0.98):
    x = [float(v) for v in x]  # -0.0 stays -0.0; Go, numpy and R tie it with +0.0
    y = [float(v) for v in y]
    return {"name": name, "confidence": confidence, "x": x, "y": y}


def fill(c, r):
    x, y = c["x"], c["y"]
    c["p"] = {}
    for alt in ALTS:
        res = stats.mannwhitneyu(x, y, alternative=alt, method="asymptotic", use_continuity=True)
        c["p"][alt] = float(res.pvalue)
        if alt == "greater":
            c["u"] = float(res.statistic)  # U of x (scipy reports U1 for every alternative)
    c.update(brute(x, y, c["confidence"]))
    c["r_p_asym"] = {alt: rnum(r["pa_" + R_ALT[alt]]) for alt in ALTS}
    c["r_ci_asym"] = {alt: [rnum(v) for v in r["cia_" + R_ALT[alt]].split(",")] if "cia_" + R_ALT[alt] in r else None for alt in ALTS}
    if "pe_two.sided" in r:
        c["r_p_exact"] = {alt: rnum(r["pe_" + R_ALT[alt]]) for alt in ALTS}
        c["r_ci_exact"] = {alt: [rnum(v) for v in r["cie_" + R_ALT[alt]].split(",")] for alt in ALTS}
        c["r_estimate_exact"] = rnum(r["este"])
    else:
        c["r_p_exact"] = None
        c["r_ci_exact"] = None
    return c


def binned_case(name, bounds, cx, cy):
    ex = lambda counts: [b for b, k in zip(list(bounds) + [math.inf], counts) for _ in range(int(k))]
    x, y = ex(cx), ex(cy)
    p = {alt: float(stats.mannwhitneyu(x, y, alternative=alt, method="asymptotic").pvalue) for alt in ALTS}
    u = float(stats.mannwhitneyu(x, y, alternative="greater", method="asymptotic").statistic)
    return {"name": name, "bounds": [float(b) for b in bounds], "canary": [float(v) for v in cx],
            "baseline": [float(v) for v in cy], "u": u, "p": p}


def main():
    rng = np.random.default_rng(20240611)
    same = np.round(rng.normal(0, 1, 20), 3)
    cont = rng.normal(0, 1, 15)
    cases = [
        case("kayenta_example", [10, 20, 30, 40], [1, 2, 3, 4]),
        case("single_each", [3.5], [1.25]),
        case("single_each_equal", [2.0], [2.0]),
        case("small_no_ties", rng.normal(0, 1, 5), rng.normal(0.5, 1, 5)),
        case("n_ne_m", rng.normal(10, 2, 7), rng.normal(9, 2, 13)),
        case("n1_m50", [4.2], rng.normal(4, 1, 50)),
        case("n1_m5000", [4.2], rng.normal(4, 1, 5000)),
        case("n2_m4999", [3.1, 4.9], rng.normal(4, 1, 4999)),
        case("integer_ties", rng.integers(0, 6, 30), rng.integers(1, 7, 40)),
        case("decimal_ties", np.round(rng.normal(5, 1, 100), 1), np.round(rng.normal(5.2, 1, 150), 1)),
        case("constant_different", [2.0] * 10, [1.0] * 10),
        case("constant_equal", [5.0] * 8, [5.0] * 12),
        case("identical_samples", same, list(same)),
        case("identical_continuous", cont, list(cont)),
        case("permuted", cont, list(rng.permutation(cont))),
        case("signed_zeros", [-0.0, 0.0, 1.0, -1.0, 2.0], [0.0, -0.0, 0.5, 3.0]),
        case("zero_one_small", rng.binomial(1, 0.3, 30), rng.binomial(1, 0.2, 40)),
        case("zero_one", rng.binomial(1, 0.12, 300), rng.binomial(1, 0.08, 500)),
        case("cauchy_small", rng.standard_cauchy(10), rng.standard_cauchy(12)),
        case("cauchy", rng.standard_cauchy(200) + 1, rng.standard_cauchy(300)),
        case("negative_values", rng.normal(-50, 5, 60), rng.normal(-48, 5, 70)),
        case("scale_1e9_small", rng.lognormal(0, 0.5, 8) * 1e9, rng.lognormal(0.1, 0.5, 9) * 1e9),
        case("scale_1e9", rng.lognormal(0, 0.5, 100) * 1e9, rng.lognormal(0.1, 0.5, 100) * 1e9),
        case("scale_1e-9_small", rng.lognormal(0, 0.5, 11) * 1e-9, rng.lognormal(0, 0.5, 6) * 1e-9),
        case("scale_1e-9", rng.lognormal(0, 0.5, 80) * 1e-9, rng.lognormal(0, 0.5, 120) * 1e-9),
        case("shifted_normal", rng.normal(0.3, 1, 200), rng.normal(0, 1, 200)),
        case("latency_500", rng.lognormal(np.log(120), 0.4, 500), rng.lognormal(np.log(110), 0.4, 500)),
        case("latency_2000_3000", np.round(rng.lognormal(np.log(120), 0.4, 2000), 2), rng.lognormal(np.log(118), 0.4, 3000)),
        case("latency_5000", rng.lognormal(np.log(120), 0.4, 5000), rng.lognormal(np.log(119), 0.4, 5000)),
        case("exact_49_49", rng.normal(0.2, 1, 49), rng.normal(0, 1, 49)),
        case("boundary_50_49", rng.normal(0.2, 1, 50), rng.normal(0, 1, 49)),
        case("low_confidence", rng.normal(0, 1, 9), rng.normal(0, 1, 9), 0.4),
    ]
    sizes = [1, 2, 3, 4, 5, 7, 9, 12, 16, 20, 25, 33, 40, 49, 50, 51, 64, 80, 100, 150]
    kinds = ["normal", "shift", "lognormal", "int", "round1", "cauchy", "exp"]
    confs = [0.98, 0.95, 0.9, 0.99]
    for i in range(130):
        n, m = int(rng.choice(sizes)), int(rng.choice(sizes))
        kind = kinds[i % len(kinds)]
        gen = {
            "normal": lambda k, s: rng.normal(s, 1, k),
            "shift": lambda k, s: rng.normal(3 * s, 2, k),
            "lognormal": lambda k, s: rng.lognormal(s, 0.7, k),
            "int": lambda k, s: rng.integers(0, 8, k) + (s > 0),
            "round1": lambda k, s: np.round(rng.normal(s, 1, k), 1),
            "cauchy": lambda k, s: rng.standard_cauchy(k) + s,
            "exp": lambda k, s: rng.exponential(1 + s, k),
        }[kind]
        shift = float(rng.choice([0.0, 0.0, 0.3, 1.0]))
        cases.append(case(f"grid_{i:03d}_{kind}_{n}x{m}", gen(n, shift), gen(m, 0.0), confs[i % len(confs)]))

    r, r_version = run_r(cases)
    cases = [fill(c, r[c["name"]]) for c in cases]

    bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    binned = [
        binned_case("prometheus_default", bounds, rng.integers(0, 20, 12), rng.integers(0, 20, 12)),
        binned_case("shifted", bounds, [0, 0, 1, 3, 8, 20, 30, 15, 5, 1, 0, 0], [1, 2, 5, 10, 25, 30, 15, 5, 1, 0, 0, 0]),
        binned_case("one_bucket", [1.0], [5, 0], [7, 0]),
        binned_case("inf_bucket", [1.0, 2.0], [1, 2, 9], [3, 2, 1]),
        binned_case("sparse", bounds, [0] * 11 + [3], [2] + [0] * 11),
    ]
    meta = {
        "generator": "judges/testdata/gen_reference.py + gen_reference.R",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "r": r_version,
    }
    # One case per line keeps diffs readable. Python's float repr is the
    # shortest string that round-trips, so Go reads back exactly the values
    # scipy, numpy and R saw.
    lines = [f' "{k}": {json.dumps(v)},' for k, v in meta.items()]
    body = ",\n".join("  " + json.dumps(c) for c in cases)
    bbody = ",\n".join("  " + json.dumps(c) for c in binned)
    path = os.path.join(HERE, "mannwhitney_reference.json")
    with open(path, "w") as f:
        f.write("{\n" + "\n".join(lines) + '\n "cases": [\n' + body + '\n ],\n "binned_cases": [\n' + bbody + "\n ]\n}\n")
    print(f"wrote {len(cases)} cases and {len(binned)} binned cases to {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
