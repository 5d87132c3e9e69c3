"""Simulation tests: A/A false-positive rate, interval coverage and peeking-safe sequential tests.

Every experiment is simulated in vectorised numpy (sufficient statistics per simulated arm), so
10,000 experiments take seconds. Bands: with 10,000 simulations the Monte Carlo standard error of
a 5% rate is 0.22 percentage points, so [0.04, 0.06] is a +-4.5 SE band.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import experiments as ex

pytestmark = pytest.mark.slow

SIMS = 10_000
ALPHA = 0.05


def _revenue(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Zero-inflated log-normal revenue per user: 30% buy, heavy right tail."""
    return rng.lognormal(1.0, 1.0, shape) * (rng.random(shape) < 0.3)


def _revenue_stats(rng: np.random.Generator, n: int, lift: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Means and variances of control/treatment revenue for SIMS experiments, in chunks."""
    out: list[list[np.ndarray]] = [[], [], [], []]
    for _ in range(10):
        a = _revenue(rng, (SIMS // 10, n))
        b = _revenue(rng, (SIMS // 10, n)) * (1 + lift)
        for i, v in enumerate((a.mean(1), a.var(1, ddof=1), b.mean(1), b.var(1, ddof=1))):
            out[i].append(v)
    ma, va, mb, vb = (np.concatenate(v) for v in out)
    return ma, va, mb, vb


def _binomial_stats(rng: np.random.Generator, n: int, p_a: float, p_b: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    sa = rng.binomial(n, p_a, SIMS).astype(float)
    sb = rng.binomial(n, p_b, SIMS).astype(float)
    var = lambda s: (s - s * s / n) / (n - 1)  # noqa: E731  (0/1 data: sum_sq == sum)
    return sa / n, var(sa), sb / n, var(sb)


@pytest.mark.parametrize("test", ["welch", "z"])
def test_aa_false_positive_rate_is_near_alpha_for_proportions(test: str) -> None:
    ma, va, mb, vb = _binomial_stats(np.random.default_rng(101), 1000, 0.05, 0.05)
    d = ex.difference(ma, va, 1000, mb, vb, 1000, alpha=ALPHA, test=test)  # type: ignore[arg-type]
    fpr = float((d.p_value < ALPHA).mean())
    assert 0.04 <= fpr <= 0.06


def test_aa_false_positive_rate_is_near_alpha_for_skewed_revenue() -> None:
    ma, va, mb, vb = _revenue_stats(np.random.default_rng(102), 500, 0.0)
    d = ex.difference(ma, va, 500, mb, vb, 500, alpha=ALPHA)
    fpr = float((d.p_value < ALPHA).mean())
    assert 0.04 <= fpr <= 0.06


def test_aa_false_positive_rate_holds_through_the_summary_api() -> None:
    """2,000 A/A experiments through analyze_summary (the path users take), one metric each."""
    rng = np.random.default_rng(103)
    sims, n = 2000, 400
    x = _revenue(rng, (sims, 2, n))
    rows = [{"variant": v, "metric": f"m{i}", "n": n, "sum": x[i, j].sum(),
             "sum_sq": (x[i, j] ** 2).sum(), "y_sum": np.nan, "y_sum_sq": np.nan,
             "xy_sum": np.nan}
            for i in range(sims) for j, v in enumerate(("control", "treatment"))]
    res = ex.analyze_summary(pd.DataFrame(rows), "control", [f"m{i}" for i in range(sims)],
                             options=ex.AnalysisOptions(correction="none"))
    assert len(res.comparisons) == sims
    fpr = sum(c.significant for c in res.comparisons) / sims
    assert 0.04 <= fpr <= 0.06


def test_intervals_cover_at_nominal_rate_for_revenue() -> None:
    lift = 0.1
    ma, va, mb, vb = _revenue_stats(np.random.default_rng(104), 2000, lift)
    d = ex.difference(ma, va, 2000, mb, vb, 2000, alpha=ALPHA)
    true_abs = 0.3 * np.exp(1.5) * lift  # E[revenue] = 0.3 * exp(mu + sigma^2 / 2)
    abs_cov = float(((d.ci_low <= true_abs) & (true_abs <= d.ci_high)).mean())
    rel_cov = float(((d.relative_ci_low <= lift) & (lift <= d.relative_ci_high)).mean())
    assert 0.94 <= abs_cov <= 0.96
    assert 0.94 <= rel_cov <= 0.96


def test_intervals_cover_at_nominal_rate_for_proportions() -> None:
    ma, va, mb, vb = _binomial_stats(np.random.default_rng(105), 3000, 0.10, 0.11)
    d = ex.difference(ma, va, 3000, mb, vb, 3000, alpha=ALPHA)
    abs_cov = float(((d.ci_low <= 0.01) & (d.ci_high >= 0.01)).mean())
    rel_cov = float(((d.relative_ci_low <= 0.1) & (d.relative_ci_high >= 0.1)).mean())
    assert 0.94 <= abs_cov <= 0.96
    assert 0.94 <= rel_cov <= 0.96


def test_cuped_intervals_cover_and_shrink() -> None:
    rng = np.random.default_rng(106)
    sims, n, effect = 2000, 1000, 0.3
    covered, reductions = 0, []
    for _ in range(sims):
        pre = rng.gamma(2.0, 2.0, (2, n))
        post = 0.9 * pre + rng.normal(0, 2.0, (2, n))
        post[1] += effect
        a, b = (ex.JointStats.from_values(post[i], pre[i]) for i in range(2))
        _, ma, va, mb, vb = ex.cuped_adjust(a, b)
        d = ex.difference(ma, va, n, mb, vb, n)
        covered += float(d.ci_low) <= effect <= float(d.ci_high)
        raw = a.x.variance / n + b.x.variance / n
        reductions.append(1 - float(d.se) ** 2 / raw)
    assert 0.935 <= covered / sims <= 0.965
    assert np.mean(reductions) > 0.4  # corr(pre, post)^2 is about 0.5 here


def _daily_peeks(rng: np.random.Generator, kind: str, days: int, per_day: int
                 ) -> tuple[np.ndarray, ...]:
    """Cumulative means/variances per (simulation, day) of two identical arms."""
    sims = 4000

    def arm() -> tuple[np.ndarray, np.ndarray]:
        if kind == "binary":
            s = rng.binomial(per_day, 0.1, (sims, days)).astype(float)
            return s, s
        mean = rng.normal(5.0, 3.0 / np.sqrt(per_day), (sims, days))  # exact daily normal stats
        ss = 9.0 * rng.chisquare(per_day - 1, (sims, days)) + per_day * mean**2
        return mean * per_day, ss

    (sa, ssa), (sb, ssb) = arm(), arm()
    n = per_day * np.arange(1, days + 1)
    ca, cssa, cb, cssb = (np.cumsum(v, axis=1) for v in (sa, ssa, sb, ssb))
    ma, mb = ca / n, cb / n
    va, vb = (cssa - ca * ca / n) / (n - 1), (cssb - cb * cb / n) / (n - 1)
    return ma, va, mb, vb, n


@pytest.mark.parametrize("kind", ["binary", "normal"])
def test_sequential_test_keeps_false_positive_rate_under_daily_peeking(kind: str) -> None:
    days, per_day = 28, 200
    ma, va, mb, vb, n = _daily_peeks(np.random.default_rng(107), kind, days, per_day)
    lo, hi, p = ex.confidence_sequence(mb - ma, va / n + vb / n, 2 * n, alpha=ALPHA,
                                       tuning_n=2 * per_day * days)
    ever_rejected = float((p.min(axis=1) <= ALPHA).mean())
    ever_excluded = float(((lo > 0) | (hi < 0)).any(axis=1).mean())
    assert ever_rejected <= ALPHA
    assert ever_excluded <= ALPHA
    # the naive fixed-horizon test, peeked at daily, does not (why the sequential test exists)
    naive = ex.difference(ma, va, n, mb, vb, n, alpha=ALPHA).p_value
    assert float((naive.min(axis=1) < ALPHA).mean()) > 2 * ALPHA
