"""Immutable, JSON-serialisable result records of an experiment analysis.

Every record is a frozen dataclass; ``to_dict()`` returns plain Python types (NaN and infinities
become ``None`` so the output is strict JSON) and ``to_json()`` a JSON string.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "ArmCount",
    "ArmResult",
    "BayesResult",
    "Comparison",
    "ExperimentResult",
    "GuardrailResult",
    "MetricSummary",
    "SRMResult",
    "SegmentResult",
    "SequentialResult",
    "TimePoint",
    "TimeTrend",
    "TimeView",
]


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        return _plain(value.item())
    return value


class _Record:
    """Mixin: conversion of a frozen dataclass record to plain dicts and JSON."""

    def to_dict(self) -> dict[str, Any]:
        """The record as nested plain Python types (NaN/inf become None)."""
        out = _plain(self)
        assert isinstance(out, dict)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """The record as a strict JSON string."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


@dataclass(frozen=True)
class ArmCount(_Record):
    """Units assigned to one arm, for the sample-ratio check.

    Attributes:
        variant: arm label.
        observed: units observed in the arm.
        expected_share: share of units the design assigns to the arm.
        expected: units expected under the design (``expected_share * total``).
    """

    variant: str
    observed: int
    expected_share: float
    expected: float


@dataclass(frozen=True)
class SRMResult(_Record):
    """Sample ratio mismatch check: Pearson chi-square goodness of fit of arm sizes to the design.

    Attributes:
        arms: observed and expected units per arm.
        chi2: chi-square statistic.
        df: degrees of freedom (arms - 1).
        p_value: upper-tail p-value of ``chi2``.
        alpha: threshold below which a mismatch is flagged (default 0.001).
        mismatch: True when ``p_value < alpha``: assignment or logging is broken and effect
            estimates should not be trusted until the cause is found.
        message: one human-readable sentence.
    """

    arms: tuple[ArmCount, ...]
    chi2: float
    df: int
    p_value: float
    alpha: float
    mismatch: bool
    message: str


@dataclass(frozen=True)
class ArmResult(_Record):
    """One metric in one arm.

    Attributes:
        variant: arm label.
        n: units in the arm.
        mean: the metric's value (rate for proportions, mean per unit, or ratio of sums).
        std: per-unit standard deviation (delta-method linearisation for ratios).
        adjusted_mean: CUPED-adjusted mean when a covariate was used (``mean - theta *
            (covariate mean - covariate mean over all arms)``, theta pooled), else None.
    """

    variant: str
    n: int
    mean: float
    std: float
    adjusted_mean: float | None = None


@dataclass(frozen=True)
class MetricSummary(_Record):
    """Definition and per-arm values of one metric.

    Attributes:
        name: metric name used in comparisons.
        kind: "proportion" (0/1 per unit), "mean" or "ratio".
        column: outcome (numerator) column.
        denominator: denominator column for ratio metrics, else None.
        covariate: pre-period covariate for CUPED, else None.
        guardrail: True when the metric is a guardrail (tested one-sided, not in the family).
        arms: per-arm values, control first (of the capped values when capped).
        cap: the value each unit's ``column`` was capped at, else None.
        cap_quantile: the quantile of all units' values ``cap`` was taken at, else None (a
            fixed cap).
        capped_units: units whose value was above ``cap`` (and counted at it).
        covariate_cap: the value each unit's CUPED covariate was capped at (a quantile cap
            caps the covariate at the same quantile of its own values), else None.
        covariate_capped_units: units whose covariate was above ``covariate_cap``.
    """

    name: str
    kind: str
    column: str
    denominator: str | None
    covariate: str | None
    guardrail: bool
    arms: tuple[ArmResult, ...]
    cap: float | None = None
    cap_quantile: float | None = None
    capped_units: int = 0
    covariate_cap: float | None = None
    covariate_capped_units: int = 0


@dataclass(frozen=True)
class SequentialResult(_Record):
    """Always-valid inference for teams that look at the results every day.

    Attributes:
        method: "normal-mixture confidence sequence (Howard et al. 2021; Waudby-Smith et al. 2023)".
        tuning_n: total sample size at which the sequence is tightest.
        p_value: always-valid p-value (take the running minimum over looks).
        ci_low: lower bound of the absolute effect's confidence sequence.
        ci_high: upper bound of the absolute effect's confidence sequence.
        significant: True when ``p_value_adjusted`` is below alpha (for a guardrail, outside
            the correction family: when the confidence sequence excludes 0).
        p_value_adjusted: the always-valid p-value adjusted with the analysis' correction over
            the same family as the fixed-horizon p-values (variants x primary metrics, x
            segments); Holm on always-valid p-values keeps the family-wise error over every
            look. Equal to ``p_value`` for a guardrail and with ``correction="none"``.
    """

    method: str
    tuning_n: float
    p_value: float
    ci_low: float
    ci_high: float
    significant: bool
    p_value_adjusted: float = float("nan")


@dataclass(frozen=True)
class BayesResult(_Record):
    """Bayesian comparison of a variant with control.

    Attributes:
        method: "beta-binomial" (0/1 metrics) or "normal" (normal approximation for means/ratios).
        prior: the prior used, spelled out.
        prob_beat_control: posterior probability that the variant's metric exceeds control's.
        expected_loss: expected shortfall ``E[max(control - variant, 0)]`` of shipping the variant,
            in metric units (for lower-is-better metrics the sign convention flips).
        expected_loss_control: expected shortfall of keeping control.
        ci_low: lower bound of the equal-tailed credible interval of the absolute effect.
        ci_high: upper bound of that interval.
        relative_ci_low: lower bound of the credible interval of the relative effect.
        relative_ci_high: upper bound of that interval.
    """

    method: str
    prior: str
    prob_beat_control: float
    expected_loss: float
    expected_loss_control: float
    ci_low: float
    ci_high: float
    relative_ci_low: float
    relative_ci_high: float


@dataclass(frozen=True)
class Comparison(_Record):
    """One variant against control on one metric (frequentist, plus optional extras).

    Attributes:
        metric: metric name.
        kind: "proportion", "mean" or "ratio".
        variant: treatment arm label.
        control: control arm label.
        n_control: units in control.
        n_variant: units in the variant.
        control_mean: control's (unadjusted) metric value.
        variant_mean: the variant's (unadjusted) metric value.
        absolute_effect: variant minus control (CUPED-adjusted when a covariate is set).
        ci_low: lower bound of the (1 - alpha) interval of the absolute effect.
        ci_high: upper bound of that interval.
        relative_effect: absolute effect divided by control's unadjusted mean.
        relative_ci_low: lower bound of the interval of the relative effect (see
            ``relative_interval``).
        relative_ci_high: upper bound of that interval.
        std_error: standard error of the absolute effect.
        statistic: t (Welch) or z statistic (NaN for Fisher's exact test).
        df: Welch-Satterthwaite degrees of freedom (None for z tests).
        p_value: two-sided p-value, unadjusted.
        p_value_adjusted: p-value adjusted for multiplicity across the family (Holm or BH).
        significant: ``p_value_adjusted < alpha``.
        test: "welch" or "z"; "fisher-exact", "student" or "z-pooled" when an arm has no
            variation (see docs/experiments.md).
        alpha: significance level.
        covariate: CUPED covariate, else None.
        theta: CUPED coefficient, else None.
        variance_reduction: share of the effect's variance removed by CUPED (0.3 = 30%), else None.
        sequential: always-valid results when requested, else None.
        bayes: Bayesian results when requested, else None.
        relative_interval: how the relative interval was computed: "delta" (symmetric
            delta-method interval), "log-ratio" (delta method on the log scale, for a metric that
            cannot be negative whose delta interval reached below -100%: few events) or
            "katz" (log risk ratio on counts with one success and one failure added, with
            Fisher's exact test).
    """

    metric: str
    kind: str
    variant: str
    control: str
    n_control: int
    n_variant: int
    control_mean: float
    variant_mean: float
    absolute_effect: float
    ci_low: float
    ci_high: float
    relative_effect: float
    relative_ci_low: float
    relative_ci_high: float
    std_error: float
    statistic: float
    df: float | None
    p_value: float
    p_value_adjusted: float
    significant: bool
    test: str
    alpha: float
    covariate: str | None = None
    theta: float | None = None
    variance_reduction: float | None = None
    sequential: SequentialResult | None = None
    bayes: BayesResult | None = None
    relative_interval: str = "delta"


@dataclass(frozen=True)
class GuardrailResult(_Record):
    """One-sided non-inferiority check: the metric must not get worse by more than ``margin``.

    Attributes:
        metric: guardrail metric.
        variant: variant checked against control.
        margin: tolerated deterioration (relative share if ``relative`` else metric units).
        relative: whether ``margin`` and ``bound`` are relative to control's mean.
        higher_is_better: direction in which the metric improves.
        effect: observed change (relative or absolute, same scale as ``margin``).
        bound: one-sided (1 - alpha) confidence bound of the change in the harmful direction.
        p_value: one-sided p-value of "the metric got worse by at least ``margin``".
        status: "pass" (worse-by-margin ruled out), "fail" (worse by more than the margin with
            confidence), or "inconclusive".
        message: one sentence.
    """

    metric: str
    variant: str
    margin: float
    relative: bool
    higher_is_better: bool
    effect: float
    bound: float
    p_value: float
    status: Literal["pass", "fail", "inconclusive"]
    message: str


@dataclass(frozen=True)
class SegmentResult(_Record):
    """Comparisons within one value of a pre-period attribute.

    Attributes:
        segment_col: attribute column.
        segment: the attribute value (as text).
        n_units: units in the segment.
        srm: sample-ratio check within the segment.
        comparisons: comparisons within the segment; ``p_value_adjusted`` is adjusted over all
            segments, variants and metrics together.
    """

    segment_col: str
    segment: str
    n_units: int
    srm: SRMResult
    comparisons: tuple[Comparison, ...]


@dataclass(frozen=True)
class Heterogeneity(_Record):
    """Whether one variant's effect on one metric differs across the segments of an attribute.

    A segment whose effect is significant beside one whose effect is not is no evidence that
    the effects differ; this test is. Cochran's Q on the segments' effects, weighted by their
    inverse variances (the interaction test of a segment x arm model), chi-square with
    ``segments - 1`` degrees of freedom. The effects are the relative lifts (on the log scale,
    ``log(1 + lift)``) where every segment's means are positive, as the segment table shows
    them: the same +10% on a segment converting at 2% and one at 10% differs fivefold in
    absolute terms, which is no difference a lift reader would call one (on absolute effects
    17 of 20 such tests had said "the effect differs"); the absolute effects otherwise (a
    metric that can be 0 or negative in an arm). Segments are disjoint sets of units (a
    pre-period attribute), so their effects are independent.

    Attributes:
        metric: metric name.
        variant: variant compared with control.
        segment_col: attribute column.
        segments: segments with a finite effect and standard error (those tested).
        statistic: Cochran's Q.
        df: degrees of freedom (``segments - 1``).
        p_value: chi-square p-value of "the effect is the same in every segment".
        pooled_effect: inverse-variance weighted mean of the segments' effects (a relative
            lift, 0.05 = +5%, with ``scale`` "relative"; in metric units with "absolute").
        scale: "relative" or "absolute" (see above).
    """

    metric: str
    variant: str
    segment_col: str
    segments: int
    statistic: float
    df: int
    p_value: float
    pooled_effect: float
    scale: str = "absolute"


@dataclass(frozen=True)
class TimePoint(_Record):
    """One variant against control on one metric, over one slice of time (see ``TimeView``).

    Attributes:
        metric: metric name.
        variant: treatment arm label.
        view: "cumulative" (units exposed on or before ``date``, their outcomes up to that
            day: the headline as it would have read that day), "daily" (the outcomes of
            ``date`` alone, of the units exposed by then; with one row per unit: the units
            exposed on ``date``) or "exposure_day" (the outcomes on day ``exposure_day``
            since each unit's first exposure, of the units observed that long).
        date: the calendar day (ISO ``YYYY-MM-DD``) for "cumulative" and "daily", else None.
        exposure_day: days since each unit's first exposure (0 = the exposure day) for
            "exposure_day", else None.
        n_control: units in control in this slice.
        n_variant: units in the variant in this slice.
        control_mean: control's (unadjusted) value in this slice.
        variant_mean: the variant's (unadjusted) value in this slice.
        absolute_effect: variant minus control, by the headline's estimator (CUPED-adjusted,
            ratio of sums, Welch, Fisher for a flat 0/1 arm, ...).
        ci_low: lower bound of the (1 - alpha) interval of the absolute effect.
        ci_high: upper bound of that interval.
        relative_effect: absolute effect divided by control's unadjusted value.
        relative_ci_low: lower bound of the interval of the relative effect.
        relative_ci_high: upper bound of that interval.
        p_value: two-sided p-value, unadjusted (a time view is for reading the shape of the
            effect, not for picking the day that looks best).
        segment: the value of the view's ``segment_col`` whose units this point takes, or None
            for all units.
    """

    metric: str
    variant: str
    view: Literal["cumulative", "daily", "exposure_day"]
    date: str | None
    exposure_day: int | None
    n_control: int
    n_variant: int
    control_mean: float
    variant_mean: float
    absolute_effect: float
    ci_low: float
    ci_high: float
    relative_effect: float
    relative_ci_low: float
    relative_ci_high: float
    p_value: float
    segment: str | None = None


@dataclass(frozen=True)
class TimeTrend(_Record):
    """Whether the effect changes with time since exposure (novelty or learning).

    Among the units exposed at least ``late_from + 1`` days before the last date, the
    relative effect in the first ``early_days`` days of each unit's exposure is compared with
    the effect from day ``late_from`` of its exposure on. Each window's value per arm is a
    ratio of sums (the metric per unit-day, or numerator over denominator for a ratio metric),
    and its lift is taken on the log scale. The two windows are the same units, so the
    standard error of the change comes from each unit's own early-minus-late contrast (delta
    method), not from two independent estimates.

    Attributes:
        metric: metric name.
        variant: variant compared with control.
        early_days: the early window is days ``0 .. early_days - 1`` of exposure.
        late_from: the late window is days ``late_from`` .. the last date.
        n_units: units in the comparison (both arms), each observed in both windows.
        early_effect: relative effect in the early window (0.08 = +8%).
        early_ci_low: lower bound of its (1 - alpha) interval.
        early_ci_high: upper bound of that interval.
        late_effect: relative effect in the late window.
        late_ci_low: lower bound of its (1 - alpha) interval.
        late_ci_high: upper bound of that interval.
        statistic: z statistic of ``log(1 + early) - log(1 + late)``.
        p_value: two-sided p-value of "the effect is the same in both windows".
        p_value_adjusted: ``p_value`` adjusted with the analysis' correction over the checks
            of every metric and variant (equal to it for one check or correction "none"); a
            segment's check over every segment, metric and variant (one family, as the
            segment breakdown's comparisons).
        threshold: ``p_value`` below which the change is flagged (``TREND_ALPHA``).
        flagged: True when ``p_value_adjusted < threshold`` and the early or the late effect
            is itself significant at alpha (see docs/experiments.md, "Effects over time").
        direction: when flagged, read from the window(s) whose effect is significant: "fades"
            (only the early one, or both with the late one nearer 0: novelty?), "grows" (only
            the late one, or both with the late one further from 0: learning?), "reverses"
            (both, of opposite signs); else "none".
        message: one sentence (a warning of the result when flagged).
        segment: the value of the view's ``segment_col`` whose units were checked, or None
            for all units.
    """

    metric: str
    variant: str
    early_days: int
    late_from: int
    n_units: int
    early_effect: float
    early_ci_low: float
    early_ci_high: float
    late_effect: float
    late_ci_low: float
    late_ci_high: float
    statistic: float
    p_value: float
    p_value_adjusted: float
    threshold: float
    flagged: bool
    direction: Literal["fades", "grows", "reverses", "none"]
    message: str
    segment: str | None = None


@dataclass(frozen=True)
class TimeView(_Record):
    """The effects of an experiment over time, from a date column.

    Attributes:
        time_col: the date column.
        level: "unit" (one date per unit: its exposure; outcomes are not dated, so there is no
            view by days since exposure) or "event" (dated outcome rows of units named by
            ``unit_col``: a unit's first date is its exposure).
        first_date: first calendar day in the data (ISO).
        last_date: last calendar day in the data (ISO).
        days: calendar days from the first to the last date, both included.
        points: cumulative, daily and (level "event") exposure-day effects, per metric and
            variant (all units first, then each segment's), in that order and by day.
        trends: per metric and variant, the novelty / learning check (level "event", when
            units were observed long enough).
        notes: what the view could not show, and why.
        segment_col: with a segment column, every point and check is given for all units
            (``segment`` None) and for each segment's units (``segment`` its value); else None.
    """

    time_col: str
    level: Literal["unit", "event"]
    first_date: str
    last_date: str
    days: int
    points: tuple[TimePoint, ...]
    trends: tuple[TimeTrend, ...] = ()
    notes: tuple[str, ...] = ()
    segment_col: str | None = None


@dataclass(frozen=True)
class ExperimentResult(_Record):
    """Everything an analysis found; the sample-ratio check comes first on purpose.

    Attributes:
        srm: sample-ratio mismatch check over all arms (read this first).
        variant_col: column holding the arm label.
        control: control arm label.
        variants: all arm labels, control first.
        n_units: total units analysed.
        alpha: significance level.
        test: "welch" or "z" (the setting; a comparison may say which test it used).
        correction: multiplicity correction across variants x primary metrics ("holm", "bh",
            "none").
        metrics: per-metric definitions and arm values.
        comparisons: every variant against control on every primary metric.
        guardrails: guardrail checks.
        segments: per-segment breakdowns (empty unless requested).
        warnings: human-readable warnings, the SRM one first when present.
        heterogeneity: per metric and variant, the test of whether the effect differs across
            segments (empty unless segments were requested).
        time: effects over time (cumulative, daily, by days since exposure) and the novelty
            check, when a date column was given; else None.
    """

    srm: SRMResult
    variant_col: str
    control: str
    variants: tuple[str, ...]
    n_units: int
    alpha: float
    test: str
    correction: str
    metrics: tuple[MetricSummary, ...]
    comparisons: tuple[Comparison, ...]
    guardrails: tuple[GuardrailResult, ...] = ()
    segments: tuple[SegmentResult, ...] = ()
    warnings: tuple[str, ...] = ()
    heterogeneity: tuple[Heterogeneity, ...] = ()
    time: TimeView | None = None

    def comparison(self, metric: str, variant: str) -> Comparison:
        """The comparison of ``variant`` with control on ``metric``."""
        for c in self.comparisons:
            if c.metric == metric and c.variant == variant:
                return c
        known = sorted({(c.metric, c.variant) for c in self.comparisons})
        raise KeyError(f"no comparison for metric {metric!r}, variant {variant!r}; have {known}")

    def to_markdown(self, plot_dir: str | None = None) -> str:
        """Readable markdown report (see ``experiments.write_report`` for files with plots)."""
        from experiments._report import render_markdown

        return render_markdown(self, plot_dir=plot_dir)
