#!/usr/bin/python3
"""Reference values for judges.ClusterRatesQuasi: the quasi-binomial
dispersion and the cohort rates' standard errors from statsmodels' GLM
(Binomial family, scale='X2', a cohort indicator), and the pooled-null t
test written out with scipy. Run: /usr/bin/python3 gen_quasi.py >
quasi_reference.json"""
import json
import numpy as np
import statsmodels.api as sm
from scipy import stats

rng = np.random.default_rng(20261203)
cases = []


def case(name, ce, ct, be, bt, conf=0.99):
    ce, ct, be, bt = map(lambda a: np.asarray(a, float), (ce, ct, be, bt))
    E = np.concatenate([ce, be])
    T = np.concatenate([ct, bt])
    g = np.concatenate([np.ones(len(ce)), np.zeros(len(be))])
    X = sm.add_constant(g)
    # proportions with the trials as variance weights: Pearson's X2 is
    # then sum (E - rT)^2 / (T r (1 - r)), as R's quasibinomial
    res = sm.GLM(E / T, X, family=sm.families.Binomial(), var_weights=T).fit(scale='X2')
    k = len(E)
    phi_raw = float(res.scale)  # Pearson X2 / (K - 2)
    phi = max(1.0, phi_raw)
    rc, rb = ce.sum() / ct.sum(), be.sum() / bt.sum()
    # the rates' variance under the fitted model, scaled to phi >= 1
    pred = res.get_prediction(np.array([[1, 1], [1, 0]]))
    se_c, se_b = pred.se_mean * np.sqrt(phi / phi_raw)
    se = float(np.hypot(se_c, se_b))
    pooled = (ce.sum() + be.sum()) / (ct.sum() + bt.sum())
    se0 = np.sqrt(phi * pooled * (1 - pooled) * (1 / ct.sum() + 1 / bt.sum()))
    t = (rc - rb) / se0
    df = k - 2
    q = stats.t.ppf(1 - (1 - conf) / 2, df)
    cases.append(dict(name=name, canary_events=ce.tolist(), canary_trials=ct.tolist(),
                      baseline_events=be.tolist(), baseline_trials=bt.tolist(), confidence=conf,
                      dispersion=phi_raw, estimate=rc - rb, t=t, df=df,
                      p_greater=float(stats.t.sf(t, df)), p_less=float(stats.t.cdf(t, df)),
                      p=float(2 * stats.t.sf(abs(t), df)),
                      ci_low=rc - rb - q * se, ci_high=rc - rb + q * se))


def draw(pods, trials, rate, sd):
    t = rng.poisson(trials, pods).astype(float)
    r = rate * np.exp(rng.normal(0, sd, pods))
    return rng.binomial(t.astype(int), np.minimum(r, 1)).astype(float), t


for name, pc, pb, trials, rc, rb, sd in [
    ("3v3 5x", 3, 3, 24000, 0.03, 0.0055, 0.05),
    ("10v10 overdispersed", 10, 10, 3600, 0.01, 0.01, 0.3),
    ("10v10 poisson", 10, 10, 3600, 0.01, 0.01, 0.0),
    ("1v3", 1, 3, 5000, 0.012, 0.01, 0.1),
    ("sparse 10v10", 10, 10, 250, 0.005, 0.005, 0.0),
    ("high rate 4v5", 4, 5, 800, 0.45, 0.4, 0.1),
]:
    ce, ct = draw(pc, trials, rc, sd)
    be, bt = draw(pb, trials, rb, sd)
    case(name, ce, ct, be, bt)
case("baseline without events", [3, 2, 4], [1000, 900, 1100], [0, 0, 0], [1000, 1000, 1000])
print(json.dumps(cases, indent=1))
