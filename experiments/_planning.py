"""Experiment planning: sample size, minimum detectable effect (MDE) and power.

Normal-approximation formulas, identical to statsmodels' ``NormalIndPower`` for means and
``power_proportions_2indep`` for proportions (pooled variance under the null, unpooled under the
alternative, Fleiss et al.), with both tails counted for two-sided tests. CUPED is planned by
shrinking the per-unit variance by ``1 - variance_reduction`` where ``variance_reduction`` is the
squared correlation between the metric and its pre-period covariate (Deng et al. 2013). With
several variants the significance level is split Bonferroni-style across the variant-vs-control
comparisons, times the number of primary metrics when several are planned (``metrics``): the
analysis corrects over variants x primary metrics, so a plan for one comparison at the full alpha
promised 80% power where Holm over 2 variants x 2 metrics gives about 72% (conservative when
Holm is used in the analysis and several comparisons have effects).

References:
    Fleiss, J. L., Levin, B., Paik, M. C. (2003). Statistical Methods for Rates and Proportions,
    3rd ed., ch. 4.
    Deng, A., Xu, Y., Kohavi, R., Walker, T. (2013). Improving the sensitivity of online
    controlled experiments by utilizing pre-experiment data. WSDM 2013.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy import optimize, stats

from experiments._errors import ExperimentInputError, Param
from experiments._results import _Record

__all__ = ["Plan", "minimum_detectable_effect", "power", "sample_size"]

Kind = Literal["proportion", "mean"]
Alternative = Literal["two-sided", "one-sided"]
_MAX_UNITS = 1e13  # per variant; beyond this the answer is "not detectable", not a number
_MIN_UNITS = 1e-6  # per variant: the smallest sample size the search reads


@dataclass(frozen=True)
class Plan(_Record):
    """A planned experiment: sizes, effect and power that go together.

    Attributes:
        kind: "proportion" or "mean".
        baseline: control's expected rate or mean.
        sd: per-unit standard deviation of the metric for means (None for proportions).
        mde_absolute: effect size (treatment minus control) in metric units.
        mde_relative: the same effect relative to ``baseline``.
        alpha: overall significance level.
        alpha_per_comparison: level used per comparison (``alpha / (variants * metrics)``).
        power: probability of detecting ``mde_absolute``.
        alternative: "two-sided" or "one-sided".
        ratio: treatment units per control unit (per variant).
        variance_reduction: CUPED variance reduction assumed (R^2 of the covariate).
        variants: number of treatment variants, each compared with control.
        n_control: units in control (rounded up).
        n_per_variant: units in each treatment variant (rounded up).
        n_total: all units (control plus every variant).
        n_per_variant_exact: unrounded units per variant from the power equation.
        metrics: primary metrics in the analysis's correction family (the level is split over
            variants x metrics, as ``brain ab analyze`` corrects over them).
    """

    kind: str
    baseline: float
    sd: float | None
    mde_absolute: float
    mde_relative: float
    alpha: float
    alpha_per_comparison: float
    power: float
    alternative: str
    ratio: float
    variance_reduction: float
    variants: int
    n_control: int
    n_per_variant: int
    n_total: int
    n_per_variant_exact: float
    metrics: int = 1


def _validate(kind: str, baseline: float, sd: float | None, alpha: float, ratio: float,
              variance_reduction: float, variants: int, alternative: str,
              metrics: int = 1) -> None:
    problems: list[str | tuple[str | Param, ...]] = []
    if kind not in ("proportion", "mean"):
        problems.append(f"kind must be 'proportion' or 'mean' (received {kind!r})")
    if kind == "proportion" and not 0 < baseline < 1:
        problems.append(("", Param("baseline"), " (a rate, for kind 'proportion') must be in "
                         f"(0, 1) (received {baseline}); for a mean metric give kind 'mean' "
                         "and its sd"))
    if kind == "mean" and sd is None:
        problems.append((
            "means need ", Param("sd"), ", the per-unit standard deviation of the metric, and "
            "none was given. Fix: pass ", Param("sd"), " with the metric's standard deviation "
            "across units, e.g. of revenue per user over a recent period like the test's"))
    elif kind == "mean" and not (sd is not None and sd > 0):
        problems.append(("means need ", Param("sd"), f" > 0, the per-unit standard deviation "
                         f"of the metric (received {sd})"))
    if not 0 < alpha < 1:
        problems.append(("", Param("alpha"), f" must be in (0, 1) (received {alpha})"))
    if not ratio > 0:
        problems.append(f"ratio (treatment per control unit) must be > 0 (received {ratio})")
    if not 0 <= variance_reduction < 1:
        problems.append(("", Param("variance_reduction"), " (the share of variance CUPED "
                         f"removes, R^2) must be in [0, 1) (received {variance_reduction})"))
    if variants < 1:
        problems.append(f"variants must be >= 1 (received {variants})")
    if metrics < 1:
        problems.append(("", Param("metrics"), " (primary metrics in the correction "
                         f"family) must be >= 1 (received {metrics})"))
    if alternative not in ("two-sided", "one-sided"):
        problems.append(
            f"alternative must be 'two-sided' or 'one-sided' (received {alternative!r})")
    if problems:
        parts: list[str | Param] = ["experiment plan: "]
        for i, problem in enumerate(problems):
            parts += ["; "] if i else []
            parts += [problem] if isinstance(problem, str) else list(problem)
        raise ExperimentInputError(*parts, ".")


def _stds(kind: str, baseline: float, sd: float | None, d: float, ratio: float,
          variance_reduction: float) -> tuple[float, float]:
    """Per-unit std. deviations (null, alternative) of the difference, scaled to treatment n."""
    r = 1.0 / ratio  # control units per treatment unit (statsmodels' ``ratio``)
    shrink = math.sqrt(1.0 - variance_reduction)
    if kind == "mean":
        assert sd is not None
        s = sd * math.sqrt(1 + 1 / r) * shrink
        return s, s
    p2, p1 = baseline, baseline + d
    pooled = (p1 + p2 * r) / (1 + r)
    null = math.sqrt(pooled * (1 - pooled) * (1 + 1 / r))
    alt = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2) / r)
    return null * shrink, alt * shrink


def _power(d: float, n_t: float, alpha: float, s_null: float, s_alt: float,
           alternative: str) -> float:
    if alternative == "two-sided":
        crit = stats.norm.isf(alpha / 2)
        shift = abs(d) * math.sqrt(n_t) / s_alt
        ratio = s_null / s_alt
        return float(stats.norm.sf(crit * ratio - shift) + stats.norm.cdf(-crit * ratio - shift))
    crit = stats.norm.isf(alpha)
    return float(stats.norm.sf(crit * s_null / s_alt - abs(d) * math.sqrt(n_t) / s_alt))


def _plan(kind: str, baseline: float, sd: float | None, d: float, alpha: float, pw: float,
          alternative: str, ratio: float, vr: float, variants: int, n_t: float,
          metrics: int = 1) -> Plan:
    n_t_int = math.ceil(n_t - 1e-9)
    n_c = math.ceil(n_t / ratio - 1e-9)
    return Plan(kind, baseline, sd, d, d / baseline if baseline else float("nan"), alpha,
                alpha / (variants * metrics), pw, alternative, ratio, vr, variants, n_c,
                n_t_int, n_c + variants * n_t_int, float(n_t), metrics)


def _effect(baseline: float, mde: float, relative: bool, kind: str) -> float:
    d = mde * baseline if relative else mde
    if d == 0 or not math.isfinite(d):
        raise ExperimentInputError(f"experiment plan: the effect must be non-zero; received {d}.")
    if kind == "proportion" and not 0 < baseline + d < 1:
        raise ExperimentInputError(
            f"experiment plan: baseline {baseline} plus effect {d} leaves (0, 1). Fix: a smaller "
            "mde, or ", Param("relative", False), " if you gave an absolute effect."
        )
    return d


def power(*, n_control: int, baseline: float, mde: float, relative: bool = True,
          kind: Kind = "proportion", sd: float | None = None, alpha: float = 0.05,
          ratio: float = 1.0, alternative: Alternative = "two-sided",
          variance_reduction: float = 0.0, variants: int = 1, metrics: int = 1) -> Plan:
    """Power of detecting ``mde`` with ``n_control`` control units (``ratio`` x per variant)."""
    _validate(kind, baseline, sd, alpha, ratio, variance_reduction, variants, alternative,
              metrics)
    d = _effect(baseline, mde, relative, kind)
    n_t = n_control * ratio
    s0, s1 = _stds(kind, baseline, sd, d, ratio, variance_reduction)
    pw = _power(d, n_t, alpha / (variants * metrics), s0, s1, alternative)
    return _plan(kind, baseline, sd, d, alpha, pw, alternative, ratio, variance_reduction,
                 variants, n_t, metrics)


def sample_size(*, baseline: float, mde: float, relative: bool = True,
                kind: Kind = "proportion", sd: float | None = None, alpha: float = 0.05,
                power: float = 0.8, ratio: float = 1.0, alternative: Alternative = "two-sided",
                variance_reduction: float = 0.0, variants: int = 1, metrics: int = 1) -> Plan:
    """Units needed to detect ``mde`` (relative to ``baseline`` unless ``relative=False``)."""
    _validate(kind, baseline, sd, alpha, ratio, variance_reduction, variants, alternative,
              metrics)
    if not 0 < power < 1:
        raise ExperimentInputError(f"experiment plan: power must be in (0, 1); received {power}.")
    d = _effect(baseline, mde, relative, kind)
    s0, s1 = _stds(kind, baseline, sd, d, ratio, variance_reduction)
    a = alpha / (variants * metrics)

    def gap(n: float) -> float:
        return _power(d, n, a, s0, s1, alternative) - power

    if gap(_MAX_UNITS) < 0:
        noise = f"sd {sd:g}" if kind == "mean" else f"baseline rate {baseline:g}"
        raise ExperimentInputError(
            f"experiment plan: an effect of {d:.3g} (baseline {baseline:g}) is too small to "
            f"detect with power {power} at alpha {alpha}: it would need more than "
            f"{_MAX_UNITS:.0e} units per variant given the {noise}. Fix: a larger ",
            Param("mde"), " (relative to ", Param("baseline"), " unless ",
            Param("relative", False), "), a higher ", Param("baseline"), " if the rate was "
            "mistyped, or ask for the detectable effect of the units you have with ",
            Param("n_control"), "."
        )
    if gap(_MIN_UNITS) >= 0:
        # brentq's 'f(a) and f(b) must have different signs' had surfaced (a 500 from
        # POST /experiments/plan): e.g. a rate of 0.0001 and an absolute effect of 0.01 with
        # ratio 0.001
        raise ExperimentInputError(
            f"experiment plan: an effect of {d:.3g} (baseline {baseline:g}) is detectable "
            f"with power {power} from {_MIN_UNITS:g} units per variant, so there is no "
            "meaningful sample size. Fix: check ", Param("mde"), " (relative to ",
            Param("baseline"), " unless ", Param("relative", False), "), ", Param("baseline"),
            " and ", Param("ratio"), "; the numbers are likely mistyped."
        )
    n_t = float(optimize.brentq(gap, _MIN_UNITS, _MAX_UNITS, xtol=1e-10, rtol=1e-14,
                                maxiter=500))
    return _plan(kind, baseline, sd, d, alpha, power, alternative, ratio, variance_reduction,
                 variants, n_t, metrics)


def minimum_detectable_effect(*, n_control: int, baseline: float, kind: Kind = "proportion",
                              sd: float | None = None, alpha: float = 0.05, power: float = 0.8,
                              ratio: float = 1.0, alternative: Alternative = "two-sided",
                              variance_reduction: float = 0.0, variants: int = 1,
                              metrics: int = 1) -> Plan:
    """Smallest positive effect detectable with the given power and ``n_control`` control units."""
    _validate(kind, baseline, sd, alpha, ratio, variance_reduction, variants, alternative,
              metrics)
    if not 0 < power < 1 or n_control < 2:
        raise ExperimentInputError(
            f"experiment plan: need 0 < power < 1 and n_control >= 2; received power={power}, "
            f"n_control={n_control}."
        )
    n_t = n_control * ratio
    a = alpha / (variants * metrics)
    hi = (1 - baseline) * (1 - 1e-9) if kind == "proportion" else 1e6 * float(sd or 1.0)

    def gap(d: float) -> float:
        s0, s1 = _stds(kind, baseline, sd, d, ratio, variance_reduction)
        return _power(d, n_t, a, s0, s1, alternative) - power

    if gap(hi) < 0:
        raise ExperimentInputError(
            f"experiment plan: even the largest possible effect is not detectable with "
            f"n_control={n_control} at power {power}. Fix: more units."
        )
    lo = 1e-12 * max(abs(baseline), 1.0)
    if gap(lo) >= 0:
        raise ExperimentInputError(
            f"experiment plan: with n_control={n_control} even an effect of {lo:.1e} is "
            f"detectable at power {power}, so there is no meaningful minimum detectable effect. "
            "Fix: check ", Param("n_control"), " (and ", Param("baseline"), "/", Param("sd"),
            "); the numbers are likely mistyped."
        )
    d = float(optimize.brentq(gap, lo, hi, xtol=1e-14, rtol=1e-12))
    return _plan(kind, baseline, sd, d, alpha, power, alternative, ratio, variance_reduction,
                 variants, n_t, metrics)
