"""Statistics engine for A/B(/n) tests and uplift targeting.

The statistics depend on nothing else in the project (numpy, scipy, pandas only); the uplift
trainer additionally uses LightGBM and ``training._mlflow`` for logging and registration.

Contract at the boundary
------------------------
In (unit level), ``analyze(frame, variant_col, control, metrics)``:
    one row per experimental unit (the *assigned* population -- nothing is filtered),
    ``<variant_col>`` (str-like arm label), one numeric column per metric (0/1 columns are
    proportions; ``bool`` is accepted), optional numeric denominator columns for ratio metrics
    (``"spend/visit"``), optional numeric pre-period covariates for CUPED, optional pre-period
    segment column. Missing or non-finite values raise ``ExperimentInputError``; rows are never
    dropped silently. Its message names inputs by ``Param`` (the engine's parameter names):
    front ends render it with their own names (``ExperimentInputError.phrase``).
In (aggregates), ``analyze_summary(summary, control, metrics)``:
    one row per (variant, metric) with ``variant`` (str), ``metric`` (str), ``n`` (int64),
    ``sum``, ``sum_sq`` (float64) and, for ratio/CUPED metrics, ``y_sum``, ``y_sum_sq``,
    ``xy_sum`` (float64) -- exactly what ``summarize`` returns, or one ``GROUP BY`` in SQL.
Out:
    ``ExperimentResult``: a frozen, JSON-serialisable record (``to_dict``/``to_json``) holding
    the sample-ratio check first (``srm``, chi-square, flagged at p < 0.001), per-arm values,
    one ``Comparison`` per variant x metric (absolute and relative effects with intervals,
    Welch-t or z p-values, Holm/BH-adjusted p-values, CUPED variance reduction, optional
    always-valid and Bayesian results), guardrail checks, segment breakdowns and warnings.
    With ``time_col`` (a date column: each unit's exposure date, or with ``unit_col`` the date
    of each dated outcome row), ``result.time`` is a ``TimeView``: cumulative and daily effects
    by calendar day and, for dated rows, by days since each unit's first exposure, with the
    novelty / learning check (``TimeTrend``), for all units and, with ``segment_col``, for
    each segment (``segment`` of a point or check); ``time_table`` flattens it to one frame.
    With ``exposure_col`` (with ``unit_col`` and ``time_col``: each unit's exposure
    timestamp), rows dated before their unit's exposure are left out of the outcome sums and
    the time view (a warning counts them), and days since exposure count from it.
    ``write_report`` renders it as markdown (with one interval plot per metric, and one time
    plot per metric with a time view, and one by segment with segments) or HTML.
Planning: ``sample_size``, ``minimum_detectable_effect``, ``power`` -> ``Plan``.
Uplift: ``TLearner`` / ``XLearner`` (``fit(X, treatment, y)``; ``predict(X)`` -> frame with
    one uplift column per treatment; ``base="lightgbm"`` (default), ``"linear"`` or ``"auto"``,
    chosen per treatment by cross-validated Qini; ``train_uplift`` defaults to ``"auto"``),
    metrics ``qini_coefficient``, ``auuc``, ``uplift_at_k``, ``top_k_policy``;
    ``train_uplift`` -> ``(model, UpliftTrainingResult)`` logged in MLflow.

Methods and references are documented in docs/experiments.md and each module's docstring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from experiments._analysis import AnalysisOptions, analyze, analyze_summary
from experiments._bayes import beta_binomial, normal_posterior
from experiments._errors import ExperimentInputError, Param
from experiments._metrics import SUMMARY_COLUMNS, Metric, parse_metrics, summarize
from experiments._multiple import adjust_p_values
from experiments._planning import Plan, minimum_detectable_effect, power, sample_size
from experiments._report import (
    interval_plot,
    render_html,
    render_markdown,
    time_plot,
    time_segment_plot,
    write_report,
)
from experiments._results import (
    ArmCount,
    ArmResult,
    BayesResult,
    Comparison,
    ExperimentResult,
    GuardrailResult,
    Heterogeneity,
    MetricSummary,
    SegmentResult,
    SequentialResult,
    SRMResult,
    TimePoint,
    TimeTrend,
    TimeView,
)
from experiments._segments import segment_breakdown
from experiments._sequential import confidence_sequence
from experiments._srm import srm_check
from experiments._stats import JointStats, MomentStats, cuped_adjust, difference, ratio_moments
from experiments._time import time_table
from experiments._uplift_metrics import (
    TargetingPolicy,
    auuc,
    qini_coefficient,
    qini_curve,
    top_k_policy,
    uplift_at_k,
    uplift_curve,
)

if TYPE_CHECKING:
    from experiments._uplift import TLearner, XLearner
    from experiments._uplift_train import UpliftEvaluation, UpliftTrainingResult, train_uplift

__all__ = [
    "SUMMARY_COLUMNS",
    "AnalysisOptions",
    "ArmCount",
    "ArmResult",
    "BayesResult",
    "Comparison",
    "ExperimentInputError",
    "ExperimentResult",
    "GuardrailResult",
    "Heterogeneity",
    "JointStats",
    "Metric",
    "MetricSummary",
    "MomentStats",
    "Param",
    "Plan",
    "SRMResult",
    "SegmentResult",
    "SequentialResult",
    "TLearner",
    "TargetingPolicy",
    "TimePoint",
    "TimeTrend",
    "TimeView",
    "UpliftEvaluation",
    "UpliftTrainingResult",
    "XLearner",
    "adjust_p_values",
    "analyze",
    "analyze_summary",
    "auuc",
    "beta_binomial",
    "confidence_sequence",
    "cuped_adjust",
    "difference",
    "interval_plot",
    "minimum_detectable_effect",
    "normal_posterior",
    "parse_metrics",
    "power",
    "qini_coefficient",
    "qini_curve",
    "ratio_moments",
    "render_html",
    "render_markdown",
    "sample_size",
    "segment_breakdown",
    "srm_check",
    "summarize",
    "time_plot",
    "time_segment_plot",
    "time_table",
    "top_k_policy",
    "train_uplift",
    "uplift_at_k",
    "uplift_curve",
    "write_report",
]

# LightGBM, scikit-learn and MLflow load only when an uplift name is first used.
_LAZY = {
    "TLearner": "experiments._uplift",
    "XLearner": "experiments._uplift",
    "UpliftEvaluation": "experiments._uplift_train",
    "UpliftTrainingResult": "experiments._uplift_train",
    "train_uplift": "experiments._uplift_train",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'experiments' has no attribute {name!r}")
