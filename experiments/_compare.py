"""One metric, one variant against control: the effect with its interval and p-value (Welch
or z, relative effects by the delta method or exact for proportions), the Bayesian and
always-valid sequential results when asked for, guardrail verdicts, and the checks that tell a
metric without variation from a real zero effect.

``experiments._analysis`` runs these for every (variant, metric) pair and adjusts the family.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from experiments._bayes import beta_binomial, normal_posterior
from experiments._errors import ExperimentInputError
from experiments._metrics import Metric
from experiments._results import ArmResult, Comparison, GuardrailResult, SequentialResult
from experiments._sequential import METHOD, confidence_sequence
from experiments._stats import (
    JointStats,
    MomentStats,
    cuped_adjust,
    difference,
    exact_proportions,
    log_ratio_interval,
    one_sided_bound,
    ratio_moments,
)

__all__ = ["adjusted_mean", "arm_value", "compare", "degenerate", "guardrail",
           "t_quantile"]

if TYPE_CHECKING:
    from experiments._analysis import AnalysisOptions


def arm_value(s: MomentStats | JointStats, kind: str) -> tuple[float, float]:
    if kind == "ratio":
        assert isinstance(s, JointStats)
        r, v = ratio_moments(s)
        return r, float(np.sqrt(v))
    x = s.x if isinstance(s, JointStats) else s
    return x.mean, float(np.sqrt(x.variance)) if x.n > 1 else float("nan")


def compare(metric: Metric, kind: str, control: str, variant: str, a: MomentStats | JointStats,
             b: MomentStats | JointStats, opts: AnalysisOptions,
             nonnegative: bool = False) -> Comparison:
    theta = vr = None
    if kind == "ratio":
        assert isinstance(a, JointStats)
        assert isinstance(b, JointStats)
        ma, va = ratio_moments(a)
        mb, vb = ratio_moments(b)
        ua, ub = ma, mb
    elif metric.covariate:
        assert isinstance(a, JointStats)
        assert isinstance(b, JointStats)
        theta, ma, va, mb, vb = cuped_adjust(a, b)
        ua, ub = a.x.mean, b.x.mean
        raw = a.x.variance / a.n + b.x.variance / b.n
        vr = 1 - (va / a.n + vb / b.n) / raw if raw > 0 else float("nan")
    else:
        xa = a.x if isinstance(a, JointStats) else a
        xb = b.x if isinstance(b, JointStats) else b
        ma, va, mb, vb = xa.mean, xa.variance, xb.mean, xb.variance
        ua, ub = ma, mb
    na, nb = (a.x.n if isinstance(a, JointStats) else a.n), (b.x.n if isinstance(b, JointStats)
                                                              else b.n)
    test = str(opts.test)
    flat_a, flat_b = _flat(ma, va), _flat(mb, vb)
    pooled = False
    if kind == "proportion" and not metric.covariate and (flat_a or flat_b) and not (
            flat_a and flat_b and ma == mb):
        # a 0-or-all arm: Welch's SE would call its rate exact (p = 1e-239 for 0 of 20)
        xa = a.x if isinstance(a, JointStats) else a
        xb = b.x if isinstance(b, JointStats) else b
        d = exact_proportions(xa.sum, na, xb.sum, nb, alpha=opts.alpha)
        test = "fisher-exact"
    else:
        pooled = kind == "mean" and not metric.covariate and flat_a != flat_b
        d = difference(ma, va, na, mb, vb, nb, alpha=opts.alpha, test=opts.test,
                       unadjusted_mean_a=ua, unadjusted_mean_b=ub, pooled=pooled)
        test = ("student" if opts.test == "welch" else "z-pooled") if pooled else test
    f = {k: float(v) for k, v in d._asdict().items()}
    rel_method = "katz" if test == "fisher-exact" else "delta"
    if (rel_method == "delta" and (nonnegative or kind == "proportion") and not metric.covariate
            and ua > 0 and ub > 0 and f["se"] > 0 and f["relative_ci_low"] < -1):
        # few events: the symmetric interval of the lift reaches below -100% (impossible for a
        # metric that cannot be negative; 6 against 1 purchase among 3,000 per arm read
        # [-118.6%, -48.0%], excluding 0 beside p = 0.059): the log scale keeps it in range
        if pooled:
            va = vb = ((na - 1) * va + (nb - 1) * vb) / (na + nb - 2)
        q = (f["ci_high"] - f["absolute"]) / f["se"]
        f["relative_ci_low"], f["relative_ci_high"], _ = log_ratio_interval(ma, va, na, mb, vb,
                                                                            nb, q)
        rel_method = "log-ratio"
    seq = None
    if opts.sequential:
        lo, hi, p = confidence_sequence(f["absolute"], f["se"] ** 2, na + nb, alpha=opts.alpha,
                                        tuning_n=opts.tuning_n)
        s_lo, s_hi = float(lo), float(hi)
        if kind == "proportion" and not metric.covariate:  # a difference of rates
            s_lo, s_hi = max(s_lo, -1.0), min(s_hi, 1.0)
        seq = SequentialResult(METHOD, opts.tuning_n, float(p), s_lo, s_hi,
                               bool(s_lo > 0 or s_hi < 0), float(p))
    bayes = None
    if opts.bayesian:
        if kind == "proportion" and not metric.covariate:
            xa = a.x if isinstance(a, JointStats) else a
            xb = b.x if isinstance(b, JointStats) else b
            bayes = beta_binomial(xa.sum, xa.n, xb.sum, xb.n, prior_a=opts.beta_prior[0],
                                  prior_b=opts.beta_prior[1], alpha=opts.alpha,
                                  higher_is_better=metric.higher_is_better, seed=opts.seed)
        else:
            pm, ps = opts.normal_prior if opts.normal_prior else (None, None)
            bayes = normal_posterior(f["absolute"], f["se"], ua, f["relative_se"], prior_mean=pm,
                                     prior_sd=ps, alpha=opts.alpha,
                                     higher_is_better=metric.higher_is_better)
    return Comparison(
        metric=metric.name, kind=kind, variant=variant, control=control, n_control=na,
        n_variant=nb, control_mean=ua, variant_mean=ub, absolute_effect=f["absolute"],
        ci_low=f["ci_low"], ci_high=f["ci_high"], relative_effect=f["relative"],
        relative_ci_low=f["relative_ci_low"], relative_ci_high=f["relative_ci_high"],
        std_error=f["se"], statistic=f["statistic"],
        df=f["df"] if np.isfinite(f["df"]) else None, p_value=f["p_value"],
        p_value_adjusted=f["p_value"], significant=bool(f["p_value"] < opts.alpha),
        test=test, alpha=opts.alpha, covariate=metric.covariate, theta=theta,
        variance_reduction=vr, sequential=seq, bayes=bayes, relative_interval=rel_method,
    )


def guardrail(metric: Metric, c: Comparison, alpha: float) -> GuardrailResult:
    assert metric.guardrail_margin is not None
    rel = metric.guardrail_relative
    effect = c.relative_effect if rel else c.absolute_effect
    sign = 1.0 if metric.higher_is_better else -1.0
    harm = -sign * effect  # > 0 means worse
    margin = metric.guardrail_margin
    if c.test == "fisher-exact":
        # the exact comparison's intervals are not symmetric around the effect (Agresti-Caffo
        # is centred on the adjusted counts, the relative one is a log interval): the one-sided
        # bounds are the ends of its 1 - 2 alpha interval, never a standard error read off one
        # side (that had passed a 0-of-20 control whose interval reached -2.9 pp)
        xa, xb = round(c.control_mean * c.n_control), round(c.variant_mean * c.n_variant)
        d = exact_proportions(xa, c.n_control, xb, c.n_variant, alpha=2 * alpha)
        lo, hi = (float(d.relative_ci_low), float(d.relative_ci_high)) if rel else (
            float(d.ci_low), float(d.ci_high))
        harm_upper, harm_lower = (-sign * lo, -sign * hi) if sign > 0 else (-sign * hi,
                                                                           -sign * lo)
        p = float("nan")  # no standard error to test the margin with
    elif rel and c.relative_interval == "log-ratio":
        # the log-scale interval is not symmetric either: the one-sided bounds are its ends at
        # 1 - 2 alpha, and the margin is tested on the log scale
        q2 = t_quantile(1 - alpha / 2, c.df)
        ratio = 1 + c.relative_effect
        sd_log = float(np.log((1 + c.relative_ci_high) / (1 + c.relative_ci_low))) / (2 * q2)
        q1 = t_quantile(1 - alpha, c.df)
        lo, hi = ratio * np.exp(-q1 * sd_log) - 1, ratio * np.exp(q1 * sd_log) - 1
        harm_upper, harm_lower = (-sign * lo, -sign * hi) if sign > 0 else (-sign * hi,
                                                                           -sign * lo)
        bound = 1 - margin if sign > 0 else 1 + margin  # the ratio at the allowed deterioration
        p = (float("nan") if bound <= 0 or sd_log <= 0 else
             _cdf(sign * (np.log(bound) - np.log(ratio)) / sd_log,
                  c.df if c.df is not None else float("inf")))
    else:
        se = (c.relative_ci_high - c.relative_effect) if rel else (c.ci_high - c.absolute_effect)
        # convert the two-sided half-width back to a standard error
        q2 = t_quantile(1 - alpha / 2, c.df)
        se = se / q2 if q2 > 0 else float("nan")
        df = c.df if c.df is not None else float("inf")
        harm_upper = one_sided_bound(harm, se, df, alpha, lower=False)
        harm_lower = one_sided_bound(harm, se, df, alpha, lower=True)
        p = _cdf((harm - margin) / se, df) if se > 0 else float("nan")
    worst = -sign * harm_upper
    unit = "%" if rel else ""
    scale = 100.0 if rel else 1.0
    status: Literal["pass", "fail", "inconclusive"]
    if harm_upper < margin:
        status = "pass"
    elif harm_lower > margin:
        status = "fail"
    else:
        status = "inconclusive"
    best = -sign * harm_lower
    message = (
        f"{metric.name} ({c.variant}): worst plausible change {worst * scale:+.4g}{unit} vs "
        f"allowed deterioration {margin * scale:.4g}{unit} -> {status}"
    )
    # the worst plausible change alone reads the same for a fail and an inconclusive check:
    # say what decided (the other one-sided bound)
    if status == "fail":
        message += (f": even the best plausible change, {best * scale:+.4g}{unit}, is a larger "
                    "deterioration than allowed")
    elif status == "inconclusive":
        message += (f": the best plausible change, {best * scale:+.4g}{unit}, is within the "
                    "allowed deterioration, so the data allow both; more units are needed")
    return GuardrailResult(metric.name, c.variant, margin, rel, metric.higher_is_better, effect,
                           worst, float(p), status, message)


def t_quantile(prob: float, df: float | None) -> float:
    from scipy import stats

    if df is None or not np.isfinite(df):
        return float(stats.norm.ppf(prob))
    return float(stats.t.ppf(prob, df))


def _cdf(x: float, df: float) -> float:
    from scipy import stats

    return float(stats.norm.cdf(x) if not np.isfinite(df) else stats.t.cdf(x, df))


def adjusted_mean(s: MomentStats | JointStats,
                   all_arms: Mapping[str, MomentStats | JointStats], m: Metric) -> float | None:
    """CUPED-adjusted arm mean ``mean_x - theta (mean_y - pooled mean_y)``, theta over all arms."""
    if not m.covariate or not isinstance(s, JointStats):
        return None
    joint = [a for a in all_arms.values() if isinstance(a, JointStats)]
    pooled = joint[0]
    for a in joint[1:]:
        pooled = pooled + a
    var_y = pooled.y.variance
    theta = pooled.covariance / var_y if var_y and np.isfinite(var_y) else 0.0
    return float(s.x.mean - theta * (s.y.mean - pooled.y.mean))


def _flat(mean: float, variance: float) -> bool:
    """Whether an arm's per-unit variance is 0 up to round-off (every unit has the same value)."""
    return bool(np.isfinite(variance) and np.sqrt(variance) <= 1e-9 * abs(mean))


def _no_variation(arm: ArmResult) -> bool:
    """Whether every unit of the arm has the same value (per-unit sd 0 up to round-off)."""
    return bool(arm.std == 0 or arm.std <= 1e-9 * abs(arm.mean))


def degenerate(m: Metric, kind: str, stats_by_arm: Mapping[str, MomentStats | JointStats],
                arms: Sequence[ArmResult], on_undefined: Literal["raise", "warn"],
                source: str) -> tuple[list[str], bool]:
    """Warnings for metrics whose inference is undefined; raises for zero-sum denominators.

    Returns the warnings and whether the metric has no variation in any arm (its Bayesian
    results are then dropped: they would reflect only the prior and the arm sizes).
    """
    if kind == "ratio":
        zero = [v for v, s in stats_by_arm.items() if isinstance(s, JointStats) and s.y.sum == 0]
        if zero:
            text = (f"ratio metric {m.name!r}: denominator column {m.denominator!r} sums to 0 in "
                    f"arms {zero}, so {m.column}/{m.denominator} is undefined there (no effect, "
                    "interval or p-value)")
            if on_undefined == "raise":
                raise ExperimentInputError(
                    f"{source}: {text}. Fix: use a denominator that is positive for some units "
                    f"of every arm (e.g. visits), or analyse {m.column!r} per unit instead."
                )
            return [text], False
    flat = [a for a in arms if np.isfinite(a.mean) and np.isfinite(a.std) and _no_variation(a)]
    differ = len({a.mean for a in flat}) > 1
    if flat and len(flat) == len(arms) and not (kind == "proportion" and not m.covariate
                                                and differ):
        values = ", ".join(f"{a.variant!r}={a.mean:.6g}" for a in arms)
        return [f"metric {m.name!r}: no variation within any arm (every unit has the same "
                f"value: {values}), so standard errors are 0 and p-values and intervals are "
                "undefined or degenerate; no Bayesian result is given. Check the column "
                f"{m.column!r} (filled with a default? wrong column?) or drop the metric"], True
    if flat:
        values = ", ".join(f"{a.variant!r}={a.mean:.6g}" for a in flat)
        head = (f"metric {m.name!r}: no variation within arm(s) {values} (every unit has the "
                "same value)")
        if kind == "proportion" and not m.covariate:
            return [f"{head}; a Welch standard error would treat those rates as exact, so "
                    "comparisons with those arms use Fisher's exact test for the p-value and "
                    "Agresti-Caffo intervals (test 'fisher-exact')"], False
        if kind == "mean" and not m.covariate:
            return [f"{head}; a Welch standard error would treat those means as exact, so "
                    "comparisons with those arms use the pooled variance of both arms "
                    "(Student's t-test: test 'student', or 'z-pooled' with the z test)"], False
        return [f"{head}; the standard errors rest on the other arms alone, so treat the "
                "intervals and p-values with caution"], False
    return [], False
