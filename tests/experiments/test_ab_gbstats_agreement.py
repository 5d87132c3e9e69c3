"""Agreement with GrowthBook's gbstats on intervals computed from the same sufficient statistics.

gbstats is a test-only dependency installed without its stale pins (it declares pandas<2):
``pip install --no-deps gbstats==0.8.0``; the modules used here import and work with pandas 3.
"""

from __future__ import annotations

import numpy as np
import pytest

import experiments as ex

gb_tests = pytest.importorskip("gbstats.frequentist.tests")
gb_stats = pytest.importorskip("gbstats.models.statistics")

RNG = np.random.default_rng(20240101)
SAMPLES = [
    (RNG.normal(10, 3, 400), RNG.normal(10.6, 5, 650)),
    (RNG.exponential(2.0, 90), RNG.exponential(2.5, 120)),
    (RNG.binomial(1, 0.11, 5000).astype(float), RNG.binomial(1, 0.125, 4800).astype(float)),
    (RNG.lognormal(0, 1, 1500) * RNG.binomial(1, 0.3, 1500), RNG.lognormal(0, 1, 1400)
     * RNG.binomial(1, 0.33, 1400)),
]


def _diff(a: np.ndarray, b: np.ndarray) -> ex._stats.Difference:
    sa, sb = ex.MomentStats.from_values(a), ex.MomentStats.from_values(b)
    return ex.difference(sa.mean, sa.variance, sa.n, sb.mean, sb.variance, sb.n)


def _gb_mean(x: np.ndarray) -> object:
    return gb_stats.SampleMeanStatistic(n=len(x), sum=float(x.sum()),
                                        sum_squares=float((x * x).sum()))


@pytest.mark.parametrize(("a", "b"), SAMPLES)
@pytest.mark.parametrize("difference_type", ["absolute", "relative"])
def test_frequentist_intervals_agree_with_gbstats(a: np.ndarray, b: np.ndarray,
                                                  difference_type: str) -> None:
    d = _diff(a, b)
    cfg = gb_tests.FrequentistConfig(difference_type=difference_type, alpha=0.05)
    ref = gb_tests.TwoSidedTTest(_gb_mean(a), _gb_mean(b), cfg).compute_result()
    if difference_type == "absolute":
        ours = (float(d.absolute), float(d.ci_low), float(d.ci_high))
        assert float(d.p_value) == pytest.approx(ref.p_value, rel=1e-6, abs=1e-12)
    else:
        ours = (float(d.relative), float(d.relative_ci_low), float(d.relative_ci_high))
    np.testing.assert_allclose(ours, [ref.expected, *ref.ci], rtol=1e-9)


def test_ratio_metric_agrees_with_gbstats() -> None:
    rng = np.random.default_rng(3)
    visits = [rng.poisson(3, 800) + 1, rng.poisson(3.2, 820) + 1]
    revenue = [v * rng.gamma(2, 5, v.size) for v in visits]
    joint = [ex.JointStats.from_values(r, v) for r, v in zip(revenue, visits, strict=True)]
    (ma, va), (mb, vb) = (ex.ratio_moments(j) for j in joint)
    d = ex.difference(ma, va, joint[0].n, mb, vb, joint[1].n)
    gb = [gb_stats.RatioStatistic(n=j.n, m_statistic=_gb_mean(r), d_statistic=_gb_mean(v),
                                  m_d_sum_of_products=j.sum_xy)
          for j, r, v in zip(joint, revenue, visits, strict=True)]
    ref = gb_tests.TwoSidedTTest(gb[0], gb[1], gb_tests.FrequentistConfig(
        difference_type="absolute")).compute_result()
    np.testing.assert_allclose([float(d.absolute), float(d.ci_low), float(d.ci_high)],
                               [ref.expected, *ref.ci], rtol=1e-9)


def test_cuped_agrees_with_gbstats_regression_adjustment() -> None:
    rng = np.random.default_rng(4)
    pre = [rng.gamma(2, 3, 1000), rng.gamma(2, 3, 1100)]
    post = [0.8 * pre[0] + rng.normal(0, 2, 1000), 0.8 * pre[1] + 0.4 + rng.normal(0, 2, 1100)]
    joint = [ex.JointStats.from_values(y, x) for y, x in zip(post, pre, strict=True)]
    theta, ma, va, mb, vb = ex.cuped_adjust(*joint)
    for diff_type in ("absolute", "relative"):
        d = ex.difference(ma, va, joint[0].n, mb, vb, joint[1].n,
                          unadjusted_mean_a=joint[0].x.mean, unadjusted_mean_b=joint[1].x.mean)
        gb = [gb_stats.RegressionAdjustedStatistic(
            n=j.n, post_statistic=_gb_mean(y), pre_statistic=_gb_mean(x),
            post_pre_sum_of_products=j.sum_xy, theta=0.0)
            for j, y, x in zip(joint, post, pre, strict=True)]
        ref = gb_tests.TwoSidedTTest(gb[0], gb[1], gb_tests.FrequentistConfig(
            difference_type=diff_type)).compute_result()
        got = ((d.absolute, d.ci_low, d.ci_high) if diff_type == "absolute"
               else (d.relative, d.relative_ci_low, d.relative_ci_high))
        np.testing.assert_allclose([float(v) for v in got], [ref.expected, *ref.ci], rtol=1e-9)
    assert theta == pytest.approx(gb_stats.compute_theta(gb[0], gb[1]), rel=1e-12)


def test_sequential_interval_agrees_with_gbstats() -> None:
    a, b = SAMPLES[0]
    d = _diff(a, b)
    n = len(a) + len(b)
    lo, hi, p = ex.confidence_sequence(d.absolute, d.se**2, n, alpha=0.05, tuning_n=5000)
    cfg = gb_tests.SequentialConfig(difference_type="absolute", sequential_tuning_parameter=5000)
    ref = gb_tests.SequentialTwoSidedTTest(_gb_mean(a), _gb_mean(b), cfg).compute_result()
    np.testing.assert_allclose([float(lo), float(hi)], ref.ci, rtol=1e-9)
    assert float(p) == pytest.approx(ref.p_value, rel=1e-9)
