#!/usr/bin/python3
"""Reference values for the count e-process and the quantile confidence
sequences (judges/eprocess.go, judges/quantilecs.go).

Run from the repository root with Debian's python3-scipy:

    /usr/bin/python3 judges/testdata/gen_sequential.py

It writes judges/testdata/sequential_reference.json, which the Go tests read.

Count e-process: with a constant canary share rho of the trials and a
Beta(a, b) prior on the canary's share pi of the events, the mixture
e-value is Lindon & Malek's beta-binomial closed form,

    E_full = betabinom.pmf(c, n, a, b) / binom.pmf(c, n, rho),

and its one-sided parts (prior truncated to pi > pi0 or pi < pi0, against
the point null pi0 = rho*theta0 / (rho*theta0 + 1 - rho)) use the regularized
incomplete beta function:

    E_up = B(a+c, b+n-c) (1 - I_pi0(a+c, b+n-c)) / (B(a, b) (1 - I_pi0(a, b)))
           / (pi0^c (1 - pi0)^(n-c)).

Quantile boundary: Howard & Ramdas (2022) Theorem 1 with the two-sided
beta-binomial mixture of Howard et al. (2021) Proposition 6. For increments
1{Y <= q} - q (g = q, h = 1 - q), the mixture at k successes out of t is the
beta-binomial likelihood ratio with prior Beta(r/h, r/g) against
Bernoulli(q); the boundary u(v) solves log m(u, v) = log(1/alpha) for the
continuous extension of m in s = k - t q, written with betaln.
"""

import json
import math
import os

import numpy as np
from scipy import optimize, special, stats


def pi_of(rho, theta):
    return rho * theta / (rho * theta + 1 - rho)


def eprocess_cases():
    out = []
    for rho, a, b, theta0, c, n in [
        (0.1, 1.0, 9.0, 1.0, 12, 60),
        (0.2, 2.0, 5.0, 1.0, 40, 120),
        (0.2, 2.0, 5.0, 1.2, 40, 120),
        (0.5, 3.0, 3.0, 1.0, 70, 100),
        (0.5, 3.0, 3.0, 1.05, 480, 1000),
        (0.3, 1.5, 3.0, 1.0, 5, 50),
        (0.1, 0.5, 4.5, 1.1, 0, 30),
    ]:
        pi0 = pi_of(rho, theta0)
        lbf = special.betaln(a + c, b + n - c) - special.betaln(a, b)
        l0 = c * math.log(pi0) + (n - c) * math.log1p(-pi0)
        up_post = special.betainc(a + c, b + n - c, pi0)
        up_prior = special.betainc(a, b, pi0)
        log_up = lbf + math.log1p(-up_post) - math.log1p(-up_prior) - l0
        log_down = lbf + math.log(up_post) - math.log(up_prior) - l0
        full = stats.betabinom.logpmf(c, n, a, b) - stats.binom.logpmf(c, n, pi0)
        out.append(dict(rho=rho, a=a, b=b, theta0=theta0, c=c, n=n,
                        log_e_up=log_up, log_e_down=log_down,
                        log_e_full=float(full), prior_below=float(up_prior)))
    return out


def log_mixture(s, v, g, h, r):
    gh = g + h
    return (v / (g * h) * math.log(gh)
            - (v + h * s) / (h * gh) * math.log(g)
            - (v - g * s) / (g * gh) * math.log(h)
            + special.betaln((r + v - g * s) / (g * gh), (r + v + h * s) / (h * gh))
            - special.betaln(r / (g * gh), r / (h * gh)))


def tuning_r(v_opt, alpha, g, h):
    l = math.log(1 / alpha)
    rho = v_opt / (2 * l + math.log(1 + 2 * l))
    return max(rho - g * h, 1e-3 * g * h)


def boundary(v, g, h, r, alpha):
    target = math.log(1 / alpha)
    hi = v / g
    if log_mixture(hi, v, g, h, r) < target:
        return math.inf
    return optimize.brentq(lambda s: log_mixture(s, v, g, h, r) - target,
                           0.0, hi, xtol=1e-14, rtol=1e-15, maxiter=500)


def quantile_cases(t_opt):
    out = []
    for q in [0.5, 0.9, 0.99]:
        for t in [10, 100, 1000, 10000, 36000, 100000]:
            for alpha in [0.05, 0.01 / 18]:
                g, h = q, 1 - q
                r = tuning_r(g * h * t_opt, alpha, g, h)
                v = g * h * t
                f_hi = boundary(v, g, h, r, alpha) / t
                f_lo = boundary(v, h, g, r, alpha) / t
                out.append(dict(q=q, t=t, alpha=alpha,
                                f_lo=None if math.isinf(f_lo) else f_lo,
                                f_hi=None if math.isinf(f_hi) else f_hi))
    # The mixture itself at integer counts against scipy's beta-binomial.
    mix = []
    for q, t, k in [(0.5, 100, 62), (0.9, 1000, 870), (0.99, 5000, 4975), (0.99, 300, 300)]:
        g, h = q, 1 - q
        r = tuning_r(g * h * t_opt, 0.05, g, h)
        bb = stats.betabinom.logpmf(k, t, r / h, r / g) - stats.binom.logpmf(k, t, q)
        mix.append(dict(q=q, t=t, k=k, alpha_opt=0.05, log_m=float(bb),
                        log_m_formula=log_mixture(k - t * q, g * h * t, g, h, r)))
    return out, mix


def main():
    t_opt = 10000
    quant, mix = quantile_cases(t_opt)
    ref = dict(eprocess=eprocess_cases(), quantile_t_opt=t_opt,
               quantile_radii=quant, quantile_mixture=mix)
    for m in mix:
        assert abs(m["log_m"] - m["log_m_formula"]) < 1e-8 * max(1, abs(m["log_m"])), m
    path = os.path.join(os.path.dirname(__file__), "sequential_reference.json")
    with open(path, "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    np.seterr(all="raise")
    main()
