"""Request and answer models of the A/B endpoints (``POST /experiments/analyze`` and
``POST /experiments/plan``); the conventions are ``serving._schemas``'s.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, Literal

from pydantic import (
    Field,
    StrictFloat,
    StrictStr,
)

from experiments._planning import Plan
from experiments._results import (
    ArmCount,
    Comparison,
    ExperimentResult,
    GuardrailResult,
    SRMResult,
)

from ._schemas import MAX_ROWS, Answer, Strict

__all__ = ["AnalysisAnswer", "AnalyzeRequest", "ArmCountAnswer", "ComparisonAnswer",
           "GuardrailAnswer", "PlanAnswer", "PlanRequest", "SRMAnswer"]


def _doc(record: type, name: str) -> str:
    """The description of ``record``'s attribute ``name`` in its docstring's Attributes section
    (the experiment records document every field; the answers mirror them)."""
    text = inspect.getdoc(record) or ""
    block = text.split("Attributes:", 1)[1] if "Attributes:" in text else ""
    found = re.search(rf"^    {re.escape(name)}: (.+?)(?=^    \w+: |\Z)", block,
                      re.MULTILINE | re.DOTALL)
    if found is None:
        raise LookupError(f"{record.__name__} documents no attribute {name!r}")
    return " ".join(found.group(1).split())


class AnalyzeRequest(Strict):
    rows: list[dict[str, Any]] = Field(min_length=2, max_length=MAX_ROWS,
                                       description="One row per assigned unit.")
    variant_col: str = Field("variant", examples=["variant"])
    control: str = Field(examples=["control"])
    metrics: list[str] = Field(min_length=1, max_length=50, examples=[["converted", "revenue"]])
    segment_col: str | None = None
    unit_col: str | None = Field(
        None, description="Column with the randomisation unit's id (user, visitor): rows are "
                          "summed to one per unit first; a unit in several arms is an error. "
                          "Without it every row is one unit.", examples=[None])
    time_col: str | None = Field(
        None, description="Date column for the effects over time (answer field 'time'): each "
                          "unit's exposure date, or with unit_col the date of each outcome row "
                          "(a unit's first date is its exposure). Adds cumulative and daily "
                          "effects by date, effects by days since exposure (dated rows) and a "
                          "warning when the effect fades (novelty) or grows with exposure time.",
        examples=[None])
    exposure_col: str | None = Field(
        None, description="With unit_col and time_col: column with each unit's exposure "
                          "timestamp (on every row of the unit, or on some; the earliest "
                          "counts). Rows dated before their unit's exposure (pre-period events) "
                          "are left out of the outcome sums, with a warning counting them, and "
                          "days since exposure count from it instead of the unit's first row.",
        examples=[None])
    guardrails: dict[str, StrictFloat | StrictStr] = Field(
        default_factory=dict,
        description="Guardrail metric -> tolerated deterioration: a number is relative to "
                    "control's mean (0.02 = must not get worse by more than 2%), 'abs:0.5' is "
                    "in metric units (must not get worse by more than 0.5). Metrics not in "
                    "'metrics' are added.",
        examples=[{"visits": 0.02, "revenue": "abs:0.5"}])
    cuped: dict[str, str] = Field(default_factory=dict, description="Metric -> pre-period "
                                                                    "covariate column for CUPED.",
                                  examples=[{"revenue": "pre_revenue"}])
    lower_is_better: list[str] = Field(
        default_factory=list, max_length=50,
        description="Metrics where lower is better (e.g. churn): effects and guardrails read "
                    "the other way.", examples=[[]])
    caps: dict[str, StrictFloat | StrictStr] = Field(
        default_factory=dict,
        description="Metric -> cap for heavy-tailed metrics: 'p99' counts each unit at most at "
                    "the 99th percentile of all units' values (pooled over the arms), a number "
                    "at that value. Not for 0/1 metrics. The answer's metrics give the cap and "
                    "how many units it touched.", examples=[{"revenue": "p99"}])
    expected_split: dict[str, float] = Field(
        default_factory=dict, description="Designed traffic share per arm for the sample-ratio "
                                          "check (weights; default equal), e.g. "
                                          "{\"control\": 0.7, \"treatment\": 0.3}.",
        examples=[{}])
    alpha: float = Field(0.05, strict=True, gt=0, lt=0.5)
    test: Literal["welch", "z"] = "welch"
    correction: Literal["holm", "bh", "none"] = "holm"
    sequential: bool = False
    tuning_n: float = Field(5000.0, strict=True, gt=1,
                            description="Total units at which the confidence sequence is "
                                        "tightest (planned size).")
    bayesian: bool = False


class PlanRequest(Strict):
    baseline: float = Field(strict=True, description="Control mean (a rate for proportions).",
                            examples=[0.1])
    kind: Literal["proportion", "mean"] = "proportion"
    sd: float | None = Field(None, strict=True, gt=0,
                             description="Standard deviation (means only).")
    mde: float | None = Field(None, strict=True, gt=0,
                              description="Effect to detect; give it for the sample size.")
    relative: bool = True
    n_control: int | None = Field(None, strict=True, ge=2,
                                  description="Give it (without mde) for the minimum "
                                              "detectable effect.")
    alpha: float = Field(0.05, strict=True, gt=0, lt=0.5)
    power: float = Field(0.8, strict=True, gt=0.5, lt=1)
    variance_reduction: float = Field(0.0, strict=True, ge=0, lt=1,
                                      description="CUPED variance reduction (0-1).")
    variants: int = Field(1, strict=True, ge=1, le=20)
    metrics: int = Field(1, strict=True, ge=1, le=50,
                         description="Primary metrics the analysis corrects over: alpha is "
                                     "split over variants x metrics.")
    ratio: float = Field(1.0, strict=True, gt=0, le=1000,
                         description="Treatment units per control unit (per variant), e.g. "
                                     "1/9 for a 90/10 split.")
    alternative: Literal["two-sided", "one-sided"] = "two-sided"


class ArmCountAnswer(Answer):
    """Units observed in one arm (sample-ratio check)."""

    variant: str = Field(description=_doc(ArmCount, "variant"))
    observed: int = Field(description=_doc(ArmCount, "observed"))
    expected_share: float | None = Field(description=_doc(ArmCount, "expected_share"))
    expected: float | None = Field(description=_doc(ArmCount, "expected"))


class SRMAnswer(Answer):
    """Sample-ratio check (chi-square goodness of fit of the arm sizes to the design)."""

    arms: list[ArmCountAnswer] = Field(description=_doc(SRMResult, "arms"))
    chi2: float | None = Field(description=_doc(SRMResult, "chi2"))
    df: int = Field(description=_doc(SRMResult, "df"))
    p_value: float | None = Field(description=_doc(SRMResult, "p_value"))
    alpha: float = Field(description=_doc(SRMResult, "alpha"))
    mismatch: bool = Field(description=_doc(SRMResult, "mismatch"))
    message: str = Field(description=_doc(SRMResult, "message"))


class ComparisonAnswer(Answer):
    """One variant against control on one metric."""

    metric: str = Field(description=_doc(Comparison, "metric"))
    kind: str = Field(description=_doc(Comparison, "kind"))
    variant: str = Field(description=_doc(Comparison, "variant"))
    control: str = Field(description=_doc(Comparison, "control"))
    n_control: int = Field(description=_doc(Comparison, "n_control"))
    n_variant: int = Field(description=_doc(Comparison, "n_variant"))
    control_mean: float | None = Field(description=_doc(Comparison, "control_mean"))
    variant_mean: float | None = Field(description=_doc(Comparison, "variant_mean"))
    absolute_effect: float | None = Field(description=_doc(Comparison, "absolute_effect"))
    ci_low: float | None = Field(description=_doc(Comparison, "ci_low"))
    ci_high: float | None = Field(description=_doc(Comparison, "ci_high"))
    relative_effect: float | None = Field(description=_doc(Comparison, "relative_effect"))
    relative_ci_low: float | None = Field(description=_doc(Comparison, "relative_ci_low"))
    relative_ci_high: float | None = Field(description=_doc(Comparison, "relative_ci_high"))
    std_error: float | None = Field(description=_doc(Comparison, "std_error"))
    statistic: float | None = Field(description=_doc(Comparison, "statistic"))
    df: float | None = Field(description=_doc(Comparison, "df"))
    p_value: float | None = Field(description=_doc(Comparison, "p_value"))
    p_value_adjusted: float | None = Field(description=_doc(Comparison, "p_value_adjusted"))
    significant: bool = Field(description=_doc(Comparison, "significant"))
    test: str = Field(description=_doc(Comparison, "test"))
    alpha: float = Field(description=_doc(Comparison, "alpha"))
    covariate: str | None = Field(None, description=_doc(Comparison, "covariate"))
    theta: float | None = Field(None, description=_doc(Comparison, "theta"))
    variance_reduction: float | None = Field(
        None, description=_doc(Comparison, "variance_reduction"))
    sequential: dict[str, Any] | None = Field(None, description="Always-valid result.")
    bayes: dict[str, Any] | None = Field(None, description="Bayesian result.")
    relative_interval: str = Field("delta", description=(
        "How the relative interval was computed: 'delta', 'log-ratio' (few events: the delta "
        "interval reached below -100%) or 'katz' (with Fisher's exact test)."))


class GuardrailAnswer(Answer):
    """One guardrail check."""

    metric: str = Field(description=_doc(GuardrailResult, "metric"))
    variant: str = Field(description=_doc(GuardrailResult, "variant"))
    margin: float = Field(description=_doc(GuardrailResult, "margin"))
    relative: bool = Field(description=_doc(GuardrailResult, "relative"))
    higher_is_better: bool = Field(description=_doc(GuardrailResult, "higher_is_better"))
    effect: float | None = Field(description=_doc(GuardrailResult, "effect"))
    bound: float | None = Field(description=_doc(GuardrailResult, "bound"))
    p_value: float | None = Field(description=_doc(GuardrailResult, "p_value"))
    status: Literal["pass", "fail", "inconclusive"] = Field(
        description=_doc(GuardrailResult, "status"))
    message: str = Field(description=_doc(GuardrailResult, "message"))


class AnalysisAnswer(Answer):
    """Answer of POST /experiments/analyze (``experiments.ExperimentResult.to_dict``; NaN and
    infinities are null)."""

    srm: SRMAnswer = Field(description="Sample-ratio check, read first.")
    variant_col: str = Field(description=_doc(ExperimentResult, "variant_col"))
    control: str = Field(description=_doc(ExperimentResult, "control"))
    variants: list[str] = Field(description=_doc(ExperimentResult, "variants"))
    n_units: int = Field(description=_doc(ExperimentResult, "n_units"))
    alpha: float = Field(description=_doc(ExperimentResult, "alpha"))
    test: str = Field(description=_doc(ExperimentResult, "test"))
    correction: str = Field(description=_doc(ExperimentResult, "correction"))
    metrics: list[dict[str, Any]] = Field(description="Per metric: name, kind, columns and "
                                                      "per-arm n, mean, std.")
    comparisons: list[ComparisonAnswer] = Field(description=_doc(ExperimentResult, "comparisons"))
    guardrails: list[GuardrailAnswer] = Field(description=_doc(ExperimentResult, "guardrails"))
    segments: list[dict[str, Any]] = Field(description="Per segment: its SRM check and "
                                                       "comparisons.")
    warnings: list[str] = Field(description=_doc(ExperimentResult, "warnings"))
    heterogeneity: list[dict[str, Any]] = Field(
        default_factory=list,
        description="With segments: per metric and variant, Cochran's Q test that the effect is "
                    "the same in every segment (metric, variant, segment_col, segments, "
                    "statistic, df, p_value, pooled_effect, scale: 'relative' where every "
                    "segment's means are positive, the lifts on the log scale, else 'absolute').")
    time: dict[str, Any] | None = Field(
        None,
        description="With time_col: the effects over time (experiments.TimeView): time_col, "
                    "level ('unit': one exposure date per unit; 'event': dated outcome rows), "
                    "first_date, last_date, days, points (metric, variant, view 'cumulative' | "
                    "'daily' | 'exposure_day', date or exposure_day, n_control, n_variant, "
                    "means, absolute and relative effects with intervals, unadjusted p_value), "
                    "trends (the novelty check per metric and variant: early and late effects, "
                    "p_value, flagged, direction 'fades' | 'grows' | 'reverses' | 'none', "
                    "message) and notes; with segment_col, segment_col and every point and "
                    "check also per segment ('segment': its value, null for all units; the "
                    "segments' checks corrected over segments x metrics x variants).")


class PlanAnswer(Answer):
    """Answer of POST /experiments/plan (``experiments.Plan.to_dict``)."""

    kind: str = Field(description=_doc(Plan, "kind"))
    baseline: float = Field(description=_doc(Plan, "baseline"))
    sd: float | None = Field(description=_doc(Plan, "sd"))
    mde_absolute: float | None = Field(description=_doc(Plan, "mde_absolute"))
    mde_relative: float | None = Field(description=_doc(Plan, "mde_relative"))
    alpha: float = Field(description=_doc(Plan, "alpha"))
    alpha_per_comparison: float = Field(description=_doc(Plan, "alpha_per_comparison"))
    power: float | None = Field(description=_doc(Plan, "power"))
    alternative: str = Field(description=_doc(Plan, "alternative"))
    ratio: float = Field(description=_doc(Plan, "ratio"))
    variance_reduction: float = Field(description=_doc(Plan, "variance_reduction"))
    variants: int = Field(description=_doc(Plan, "variants"))
    n_control: int = Field(description=_doc(Plan, "n_control"))
    n_per_variant: int = Field(description=_doc(Plan, "n_per_variant"))
    n_total: int = Field(description=_doc(Plan, "n_total"))
    n_per_variant_exact: float | None = Field(description=_doc(Plan, "n_per_variant_exact"))
    metrics: int = Field(1, description="Primary metrics the level is split over (with the "
                                        "variants).")
