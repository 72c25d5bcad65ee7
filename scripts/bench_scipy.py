#!/usr/bin/python3
"""Time scipy.stats.mannwhitneyu against augur's judges.MannWhitneyTest on the same data.

Run from the repository root with the system Python that has scipy:

    /usr/bin/python3 scripts/bench_scipy.py [--large] [--repeat N]

For n = m = 1e4, 1e5, 1e6 (and 1e7 with --large) the script draws
lognormal latency-like samples (canary median 120, baseline median 110,
sigma 0.4 on the log scale) with numpy's PCG64 generator seeded by n, writes
them as little-endian float64 files to a temporary directory, and

  * times scipy.stats.mannwhitneyu(x, y, method='asymptotic') (two-sided,
    continuity correction), best of --repeat runs;
  * runs `go test -run '^$' -bench '^BenchmarkMannWhitneyFile$' ./judges/`
    with AUGUR_MWU_BENCH_X / AUGUR_MWU_BENCH_Y naming the files: the Go
    benchmark reads the same values and times U and p only (copy, sort,
    merge, asymptotic p: MannWhitneyOptions{Method: MethodAsymptotic,
    SkipShift: true}), the same work scipy does;
  * checks that U agrees exactly and p to 1e-9 relative, and prints
    scipy seconds, augur seconds and their ratio scipy/augur.

Timings are wall-clock on whatever else the machine is running.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy
from scipy import stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def samples(n):
    rng = np.random.Generator(np.random.PCG64(n))
    x = 120 * np.exp(0.4 * rng.standard_normal(n))
    y = 110 * np.exp(0.4 * rng.standard_normal(n))
    return x, y


def time_scipy(x, y, repeat):
    best, res = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
        best = min(best, time.perf_counter() - t0)
    return best, float(res.statistic), float(res.pvalue)


def time_go(xpath, ypath, benchtime):
    env = dict(os.environ, AUGUR_MWU_BENCH_X=xpath, AUGUR_MWU_BENCH_Y=ypath)
    out = subprocess.run(
        ["go", "test", "-run", "^$", "-bench", "^BenchmarkMannWhitneyFile$", "-benchtime", benchtime, "-v", "./judges/"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    ns = float(re.search(r"BenchmarkMannWhitneyFile\S*\s+\d+\s+([\d.]+) ns/op", out).group(1))
    logs = re.findall(r"U=(\S+) p=(\S+)", out)
    u, p = (float(v) for v in logs[-1])
    return ns / 1e9, u, p


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--large", action="store_true", help="also n = m = 1e7")
    ap.add_argument("--repeat", type=int, default=3, help="scipy runs per size (best is kept)")
    args = ap.parse_args()
    sizes = [10_000, 100_000, 1_000_000] + ([10_000_000] if args.large else [])
    print(f"scipy {scipy.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    print(f"{'n = m':>10} {'scipy s':>10} {'augur s':>10} {'scipy/augur':>12}")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            x, y = samples(n)
            xpath, ypath = os.path.join(tmp, "x.f64"), os.path.join(tmp, "y.f64")
            x.astype("<f8").tofile(xpath)
            y.astype("<f8").tofile(ypath)
            ts, us, ps = time_scipy(x, y, args.repeat)
            tg, ug, pg = time_go(xpath, ypath, "20x" if n <= 100_000 else "5x")
            agree = ug == us and abs(pg - ps) <= 1e-9 * ps
            ok &= agree
            print(f"{n:>10} {ts:>10.4f} {tg:>10.4f} {ts / tg:>12.1f}" + ("" if agree else f"   MISMATCH U {ug} vs {us}, p {pg} vs {ps}"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
