"""Sufficient statistics and the vectorised two-sample computations built on them.

Every analysis in ``experiments`` reduces the raw rows of an arm to a handful of sums -- the count,
the sum, the sum of squares and, for ratio metrics or covariate adjustment, a second column's sums
and the cross-product sum. Those sums can come from a pandas frame (:func:`moments`) or from a
warehouse query; every test below works from them alone. The array functions accept numpy arrays
so simulations can run thousands of experiments in one call.

Conventions: variances are unbiased sample variances (``ddof=1``), so a Welch test on the sums of
0/1 data equals ``scipy.stats.ttest_ind(..., equal_var=False)`` on the rows.

References:
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. Biometrika 34(1-2), 28-35.
    Deng, A., Knoblich, U., Lu, J. (2018). Applying the delta method in metric analytics: a
    practical guide with novel ideas. KDD 2018. (ratio metrics and relative lifts)
    Deng, A., Xu, Y., Kohavi, R., Walker, T. (2013). Improving the sensitivity of online
    controlled experiments by utilizing pre-experiment data (CUPED). WSDM 2013.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import stats

from experiments._errors import ExperimentInputError

__all__ = [
    "Difference",
    "JointStats",
    "MomentStats",
    "TestKind",
    "cuped_adjust",
    "difference",
    "exact_proportions",
    "log_ratio_interval",
    "ratio_moments",
    "welch_df",
]

TestKind = Literal["welch", "z"]
Array = npt.NDArray[np.float64]
ArrayLike = float | npt.ArrayLike


@dataclass(frozen=True)
class MomentStats:
    """Sufficient statistics of one numeric column in one arm.

    Attributes:
        n: number of units (rows).
        sum: sum of the values.
        sum_sq: sum of the squared values.
    """

    n: int
    sum: float
    sum_sq: float

    def __post_init__(self) -> None:
        if self.n < 0 or not np.isfinite(self.sum) or not np.isfinite(self.sum_sq):
            raise ExperimentInputError(
                f"MomentStats: n must be >= 0 and sums finite; received n={self.n}, "
                f"sum={self.sum}, sum_sq={self.sum_sq}. Fix: recompute the aggregates."
            )

    @classmethod
    def from_values(cls, values: npt.ArrayLike) -> MomentStats:
        """Sufficient statistics of a 1-d array of finite numbers."""
        x = np.asarray(values, dtype=np.float64)
        return cls(int(x.size), float(x.sum()), float(np.dot(x, x)))

    @property
    def mean(self) -> float:
        """Sample mean (NaN when ``n == 0``)."""
        return self.sum / self.n if self.n else float("nan")

    @property
    def variance(self) -> float:
        """Unbiased sample variance (NaN when ``n < 2``); negative round-off is clipped to 0."""
        if self.n < 2:
            return float("nan")
        return max((self.sum_sq - self.sum**2 / self.n) / (self.n - 1), 0.0)

    def __add__(self, other: MomentStats) -> MomentStats:
        return MomentStats(self.n + other.n, self.sum + other.sum, self.sum_sq + other.sum_sq)


@dataclass(frozen=True)
class JointStats:
    """Sufficient statistics of two columns measured on the same units.

    Used for ratio metrics (``x`` numerator, ``y`` denominator) and for covariate adjustment
    (``x`` the outcome, ``y`` its pre-period covariate).

    Attributes:
        x: statistics of the first column.
        y: statistics of the second column (same ``n``).
        sum_xy: sum over units of ``x * y``.
    """

    x: MomentStats
    y: MomentStats
    sum_xy: float

    def __post_init__(self) -> None:
        if self.x.n != self.y.n:
            raise ExperimentInputError(
                f"JointStats: both columns must cover the same units; received n={self.x.n} "
                f"and n={self.y.n}. Fix: aggregate both columns over the same rows."
            )

    @classmethod
    def from_values(cls, x: npt.ArrayLike, y: npt.ArrayLike) -> JointStats:
        """Joint sufficient statistics of two aligned 1-d arrays."""
        xa = np.asarray(x, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64)
        return cls(MomentStats.from_values(xa), MomentStats.from_values(ya), float(np.dot(xa, ya)))

    @property
    def n(self) -> int:
        """Number of units."""
        return self.x.n

    @property
    def covariance(self) -> float:
        """Unbiased sample covariance of ``x`` and ``y`` (NaN when ``n < 2``)."""
        if self.n < 2:
            return float("nan")
        return (self.sum_xy - self.x.sum * self.y.sum / self.n) / (self.n - 1)

    def __add__(self, other: JointStats) -> JointStats:
        return JointStats(self.x + other.x, self.y + other.y, self.sum_xy + other.sum_xy)


def ratio_moments(s: JointStats) -> tuple[float, float]:
    """Ratio ``sum(x) / sum(y)`` and its delta-method per-unit variance.

    The variance of the ratio estimate is the returned variance divided by ``n``
    (Deng et al. 2018, eq. 5): ``(var_x - 2 r cov + r^2 var_y) / mean_y^2``.
    """
    my = s.y.mean
    if s.n == 0 or my == 0:
        return float("nan"), float("nan")
    r = s.x.sum / s.y.sum
    var = (s.x.variance - 2 * r * s.covariance + r * r * s.y.variance) / (my * my)
    return r, max(var, 0.0)


def cuped_adjust(a: JointStats, b: JointStats) -> tuple[float, float, float, float, float]:
    """CUPED adjustment of two arms with ``x`` the outcome and ``y`` the pre-period covariate.

    ``theta = cov(x, y) / var(y)`` is estimated on both arms pooled (as GrowthBook does), each arm's
    mean becomes ``mean_x - theta * mean_y`` and its per-unit variance
    ``var_x + theta^2 var_y - 2 theta cov``. The difference of adjusted means is unbiased for the
    treatment effect because the covariate is measured before assignment.

    Returns:
        ``(theta, mean_a, var_a, mean_b, var_b)`` (adjusted means and per-unit variances).
    """
    pooled = a + b
    var_y = pooled.y.variance
    theta = 0.0 if not var_y or not np.isfinite(var_y) else pooled.covariance / var_y
    out = [theta]
    for s in (a, b):
        out.append(s.x.mean - theta * s.y.mean)
        v = s.x.variance + theta * theta * s.y.variance - 2 * theta * s.covariance
        out.append(max(v, 0.0))
    return out[0], out[1], out[2], out[3], out[4]


def welch_df(var_a: ArrayLike, n_a: ArrayLike, var_b: ArrayLike, n_b: ArrayLike) -> Array:
    """Welch-Satterthwaite degrees of freedom of the difference of two means."""
    va = np.asarray(var_a, dtype=np.float64) / np.asarray(n_a, dtype=np.float64)
    vb = np.asarray(var_b, dtype=np.float64) / np.asarray(n_b, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(
            (va + vb) ** 2 / (va**2 / (np.asarray(n_a) - 1) + vb**2 / (np.asarray(n_b) - 1)),
            dtype=np.float64,
        )


class Difference(NamedTuple):
    """Arrays describing treatment-minus-control differences (one element per comparison).

    Fields: absolute effect, its standard error and CI bounds; relative effect (lift over the
    control's unadjusted mean), its delta-method standard error and CI bounds; the test statistic,
    degrees of freedom (``inf`` for z tests) and the two-sided p-value.
    """

    absolute: Array
    se: Array
    ci_low: Array
    ci_high: Array
    relative: Array
    relative_se: Array
    relative_ci_low: Array
    relative_ci_high: Array
    statistic: Array
    df: Array
    p_value: Array


def difference(
    mean_a: ArrayLike,
    var_a: ArrayLike,
    n_a: ArrayLike,
    mean_b: ArrayLike,
    var_b: ArrayLike,
    n_b: ArrayLike,
    *,
    alpha: float = 0.05,
    test: TestKind = "welch",
    unadjusted_mean_a: ArrayLike | None = None,
    unadjusted_mean_b: ArrayLike | None = None,
    pooled: bool = False,
) -> Difference:
    """Compare arm ``b`` (treatment) with arm ``a`` (control) from means and per-unit variances.

    The absolute effect is ``mean_b - mean_a`` with standard error ``sqrt(var_a/n_a + var_b/n_b)``;
    ``test="welch"`` uses Student's t with Welch-Satterthwaite degrees of freedom for the p-value
    and the interval, ``test="z"`` the standard normal. The relative effect is the absolute effect
    divided by the control's unadjusted mean, with the delta-method variance
    ``var_b/(m_a^2 n_b) + var_a m_b^2/(m_a^4 n_a)`` (Deng et al. 2018), using the same reference
    distribution.

    ``pooled=True`` gives Student's equal-variance t-test instead (``scipy.stats.ttest_ind(...,
    equal_var=True)``): both arms' variances are replaced by the pooled
    ``((n_a-1) var_a + (n_b-1) var_b) / (n_a + n_b - 2)`` and the t has ``n_a + n_b - 2`` degrees of
    freedom. The analysis uses it when one arm of a mean metric has no variation, where a Welch
    standard error would treat that arm's mean as known exactly.

    A standard error of 0 (no variation in either arm) gives NaN statistics, p-values and intervals:
    the data carry no information about the noise, so nothing can be called significant.
    """
    if not 0 < alpha < 1:
        raise ExperimentInputError(f"alpha must be in (0, 1); received {alpha}.")
    ma, va, na = (np.asarray(v, dtype=np.float64) for v in (mean_a, var_a, n_a))
    mb, vb, nb = (np.asarray(v, dtype=np.float64) for v in (mean_b, var_b, n_b))
    ua = ma if unadjusted_mean_a is None else np.asarray(unadjusted_mean_a, dtype=np.float64)
    ub = mb if unadjusted_mean_b is None else np.asarray(unadjusted_mean_b, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if pooled:
            va = vb = ((na - 1) * va + (nb - 1) * vb) / (na + nb - 2)
        diff = mb - ma
        se = np.sqrt(va / na + vb / nb)
        se = np.where(se > 0, se, np.nan)
        stat = diff / se
        if test == "welch":
            df = na + nb - 2 if pooled else welch_df(va, na, vb, nb)
            p = 2 * stats.t.sf(np.abs(stat), df)
            q = stats.t.ppf(1 - alpha / 2, df)
        elif test == "z":
            df = np.full_like(stat, np.inf)
            p = 2 * stats.norm.sf(np.abs(stat))
            q = np.full_like(stat, stats.norm.ppf(1 - alpha / 2))
        else:
            raise ExperimentInputError(f"test must be 'welch' or 'z'; received {test!r}.")
        rel = diff / ua
        rel_se = np.sqrt(vb / (ua**2 * nb) + va * ub**2 / (ua**4 * na))
        # inside the errstate too: a control mean of 0 makes rel and rel_se infinite, and
        # inf - inf had printed numpy's "invalid value" warning (the result carries its own)
        return Difference(
            absolute=diff, se=se, ci_low=diff - q * se, ci_high=diff + q * se,
            relative=rel, relative_se=rel_se, relative_ci_low=rel - q * rel_se,
            relative_ci_high=rel + q * rel_se, statistic=stat,
            df=np.asarray(df, dtype=np.float64), p_value=np.asarray(p, dtype=np.float64),
        )


def exact_proportions(x_a: float, n_a: int, x_b: float, n_b: int, *,
                      alpha: float = 0.05) -> Difference:
    """Compare two proportions (``x`` successes of ``n``) where a normal approximation fails.

    Used when an arm has no variation (0 or ``n`` successes): Welch's standard error would treat
    that arm's rate as known exactly, so 0 of 20 against 10% of 10,000 would come out at
    p = 1e-239 with a zero-width interval. Here instead:

    * the p-value is Fisher's exact two-sided test on the 2x2 table (``scipy.stats.fisher_exact``),
      valid for any counts;
    * the interval of the difference is Agresti-Caffo's: a Wald interval after adding one success
      and one failure to each arm, clipped to [-1, 1];
    * the relative interval is the log risk-ratio (Katz) interval on those same adjusted counts,
      so it stays above -100% (``relative_se`` is its delta-method equivalent on the lift).

    Both intervals are widened, if needed, to contain the unadjusted point estimates (which are
    what is reported). ``statistic`` is NaN (an exact test has none), ``df`` is ``inf``.

    References:
        Fisher, R. A. (1935). The logic of inductive inference. JRSS 98(1), 39-82.
        Katz, D., Baptista, J., Azen, S. P., Pike, M. C. (1978). Obtaining confidence intervals
        for the risk ratio in cohort studies. Biometrics 34(3), 469-474.
        Agresti, A., Caffo, B. (2000). Simple and effective confidence intervals for proportions
        and differences of proportions result from adding two successes and two failures.
        The American Statistician 54(4), 280-288.
    """
    if not 0 < alpha < 1:
        raise ExperimentInputError(f"alpha must be in (0, 1); received {alpha}.")
    xa, xb = round(float(x_a)), round(float(x_b))
    p = float(stats.fisher_exact([[xb, n_b - xb], [xa, n_a - xa]])[1])
    pa, pb = xa / n_a, xb / n_b
    diff = pb - pa
    q = float(stats.norm.ppf(1 - alpha / 2))
    ta, tb = (xa + 1) / (n_a + 2), (xb + 1) / (n_b + 2)
    va, vb = ta * (1 - ta) / (n_a + 2), tb * (1 - tb) / (n_b + 2)
    se = float(np.sqrt(va + vb))
    lo = max(min(tb - ta - q * se, diff), -1.0)
    hi = min(max(tb - ta + q * se, diff), 1.0)
    if pa > 0:
        rel = diff / pa
        sd_log = float(np.sqrt((1 - tb) / (tb * (n_b + 2)) + (1 - ta) / (ta * (n_a + 2))))
        rel_se = tb / ta * sd_log
        rlo = max(min(tb / ta * np.exp(-q * sd_log) - 1, rel), -1.0)
        rhi = max(tb / ta * np.exp(q * sd_log) - 1, rel)
    else:
        rel = rel_se = rlo = rhi = float("nan")
    return Difference(*(np.asarray(v, dtype=np.float64) for v in (
        diff, se, lo, hi, rel, rel_se, rlo, rhi, float("nan"), float("inf"), p)))


def log_ratio_interval(mean_a: float, var_a: float, n_a: int, mean_b: float, var_b: float,
                       n_b: int, q: float) -> tuple[float, float, float]:
    """Interval of the relative effect ``mean_b / mean_a - 1`` from the delta method on the log
    scale: ``exp(log(m_b / m_a) +- q * sd_log) - 1`` with
    ``sd_log^2 = var_b / (n_b m_b^2) + var_a / (n_a m_a^2)`` (Katz et al. 1978 for proportions).

    For a metric that cannot be negative it never leaves (-100%, inf), unlike the symmetric
    delta-method interval, which with few events reaches below -100% and under-covers (5 against
    10 events among 5,000 per arm: 91% coverage against the log interval's 97%). Both means must
    be positive. Returns ``(low, high, sd_log)``.
    """
    sd_log = float(np.sqrt(var_b / (n_b * mean_b**2) + var_a / (n_a * mean_a**2)))
    ratio = mean_b / mean_a
    return (float(ratio * np.exp(-q * sd_log) - 1), float(ratio * np.exp(q * sd_log) - 1),
            sd_log)


def one_sided_bound(
    estimate: float, se: float, df: float, alpha: float, *, lower: bool
) -> float:
    """One-sided ``1 - alpha`` confidence bound (t with ``df`` degrees, normal when infinite)."""
    q = float(stats.norm.ppf(1 - alpha) if not np.isfinite(df) else stats.t.ppf(1 - alpha, df))
    return estimate - q * se if lower else estimate + q * se
