"""The analysis engine: from the aggregate table (or a frame) to an ``ExperimentResult``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from experiments._compare import adjusted_mean, arm_value, compare, degenerate, guardrail
from experiments._errors import ExperimentInputError, Param
from experiments._labels import (
    check_scalar_labels,
    merge_labels,
    normalise_frame,
    resolve_label,
    resolve_shares,
)
from experiments._metrics import (
    Metric,
    _numeric,
    arm_stats,
    detect_kind,
    parse_metrics,
    summarize,
)
from experiments._multiple import Correction, adjust_p_values
from experiments._results import (
    ArmResult,
    Comparison,
    ExperimentResult,
    MetricSummary,
)
from experiments._sequential import DEFAULT_TUNING_N, confidence_sequence
from experiments._srm import SRM_ALPHA, srm_check
from experiments._stats import (
    JointStats,
    TestKind,
)
from experiments._tails import CAP_TOUCH_SHARE, dominant_unit_notes, resolve_caps
from experiments._units import aggregate_units, copied_rows_warning, repeated_unit_warning

__all__ = ["AnalysisOptions", "analyze", "analyze_summary"]


@dataclass(frozen=True)
class AnalysisOptions:
    """Settings of an analysis (all optional).

    Attributes:
        alpha: significance level (two-sided intervals are 1 - alpha).
        test: "welch" (t with Welch-Satterthwaite df) or "z".
        correction: "holm", "bh" or "none" across variants x primary metrics (x segments).
        expected_shares: designed traffic share per arm for the SRM check (equal when None).
        srm_alpha: SRM flag threshold.
        sequential: add always-valid confidence sequences and p-values.
        tuning_n: total units at which the confidence sequence is tightest (planned size).
        bayesian: add Bayesian results (beta-binomial for 0/1 metrics, normal otherwise).
        beta_prior: Beta(a, b) prior for 0/1 metrics.
        normal_prior: (mean, sd) normal prior on absolute effects of means; flat when None.
        seed: seed for the Monte Carlo credible intervals of the beta-binomial model.
    """

    alpha: float = 0.05
    test: TestKind = "welch"
    correction: Correction = "holm"
    expected_shares: Mapping[str, float] | None = None
    srm_alpha: float = SRM_ALPHA
    sequential: bool = False
    tuning_n: float = DEFAULT_TUNING_N
    bayesian: bool = False
    beta_prior: tuple[float, float] = (1.0, 1.0)
    normal_prior: tuple[float, float] | None = None
    seed: int = 0


MAX_ARMS = 100
"""More distinct labels than this in the arm column is an error: an A/B/n test compares a few
arms, and a user or session id given as the arm column (40,000 labels) had been answered with
every label in the message, or analysed arm by arm for minutes (1,000 arms: 92 s in the API)."""


def _labels(names: Sequence[str], shown: int = 20) -> str:
    """``names`` for a message, at most ``shown`` of them."""
    if len(names) <= shown:
        return str(list(names))
    return f"{list(names)[:shown]} and {len(names) - shown:,} more"


def check_arm_count(arms: Sequence[str], variant_col: str, source: str) -> None:
    """Raise when the arm column holds more than ``MAX_ARMS`` labels (see there)."""
    if len(arms) > MAX_ARMS:
        raise ExperimentInputError(
            f"{source}: variant column {variant_col!r} holds {len(arms):,} distinct labels (e.g. "
            f"{_labels(arms, 5)}); an experiment compares a few arms (at most {MAX_ARMS} "
            "here). Fix: pass ", Param("variant_col"), " with the arm label column (not a user, "
            "session or order id), or map the labels to their arms first."
        )


def _order(variants: Sequence[str], control: str, source: str) -> list[str]:
    names = sorted({str(v) for v in variants})
    if control not in names:
        raise ExperimentInputError(
            f"{source}: control arm {control!r} is not among the variants {_labels(names)}. "
            "Fix: pass ",
            Param("control"), " with one of those labels (case and surrounding spaces are "
            "ignored)."
        )
    if len(names) < 2:
        raise ExperimentInputError(
            f"{source}: need a control and at least one variant; received only {names}."
        )
    return [control] + [v for v in names if v != control]


def _comparisons(summary: pd.DataFrame, control: str, metrics: Sequence[Metric],
                 kinds: Mapping[str, str], order: Sequence[str], opts: AnalysisOptions,
                 source: str, on_undefined: Literal["raise", "warn"] = "raise",
                 nonnegative: frozenset[str] = frozenset(),
                 ) -> tuple[list[Comparison], list[MetricSummary], list[str]]:
    comps: list[Comparison] = []
    summaries: list[MetricSummary] = []
    warnings: list[str] = []
    by_metric = {str(k): g for k, g in summary.groupby("metric", sort=False)}
    for m in metrics:
        rows = by_metric[m.name].set_index("variant")
        stats_by_arm = {v: arm_stats(rows.loc[v]) for v in order if v in rows.index}
        if control not in stats_by_arm:
            raise ExperimentInputError(f"{source}: control arm {control!r} has no rows.")
        for v, s in stats_by_arm.items():
            if (s.x.n if isinstance(s, JointStats) else s.n) < 2:
                raise ExperimentInputError(
                    f"{source}: arm {v!r} has fewer than 2 units for metric {m.name!r}; "
                    "variances cannot be estimated. Fix: collect more data or drop the arm."
                )
        arms = []
        for v, s in stats_by_arm.items():
            mean, sd = arm_value(s, kinds[m.name])
            arms.append(ArmResult(v, s.x.n if isinstance(s, JointStats) else s.n, mean, sd,
                                  adjusted_mean(s, stats_by_arm, m)))
        notes, flat = degenerate(m, kinds[m.name], stats_by_arm, arms, on_undefined, source)
        warnings += notes
        metric_comps = [compare(m, kinds[m.name], control, v, stats_by_arm[control],
                                 stats_by_arm[v], opts, m.name in nonnegative)
                        for v in order[1:] if v in stats_by_arm]
        warnings += [
            f"metric {m.name!r} ({c.variant}): few events, so the symmetric (delta-method) "
            "interval of the relative effect reached below -100%, impossible for a metric that "
            "cannot be negative (and it under-covers); the relative interval is the log-ratio "
            f"interval instead: {c.relative_ci_low:+.2%} to {c.relative_ci_high:+.2%}"
            for c in metric_comps if c.relative_interval == "log-ratio"]
        comps.extend(replace(c, bayes=None) if flat else c for c in metric_comps)
        summaries.append(MetricSummary(m.name, kinds[m.name], m.column, m.denominator,
                                       m.covariate, m.is_guardrail, tuple(arms), m.cap,
                                       m.cap_quantile))
    return comps, summaries, warnings


def _adjust(comps: list[Comparison], guard_names: set[str], opts: AnalysisOptions
            ) -> list[Comparison]:
    family = [i for i, c in enumerate(comps) if c.metric not in guard_names]
    adj = adjust_p_values([comps[i].p_value for i in family], opts.correction)
    out = list(comps)
    for i, p in zip(family, adj, strict=True):
        out[i] = replace(out[i], p_value_adjusted=float(p), significant=bool(p < opts.alpha))
    return adjust_sequential(out, family, opts)


def adjust_sequential(comps: list[Comparison], family: list[int], opts: AnalysisOptions
                      ) -> list[Comparison]:
    """``comps`` with the always-valid p-values of ``family`` adjusted like the fixed-horizon
    ones: unadjusted, 20 A/A comparisons (5 variants x 4 metrics) peeked at daily declared a
    winner in 12.5% of 200 experiments at alpha 0.05 while the table read "safe to peek"."""
    seq = [i for i in family if comps[i].sequential is not None]
    if not seq:
        return comps
    adj = adjust_p_values([comps[i].sequential.p_value for i in seq],  # type: ignore[union-attr]
                          opts.correction)
    out = list(comps)
    for i, p in zip(seq, adj, strict=True):
        s = out[i].sequential
        assert s is not None
        out[i] = replace(out[i], sequential=replace(
            s, p_value_adjusted=float(p), significant=bool(np.isfinite(p) and p < opts.alpha)))
    return out


def _nonnegative(frame: pd.DataFrame, m: Metric) -> bool:
    """Whether the metric's column (and denominator) hold no negative value in ``frame``."""
    for col in (m.column, m.denominator):
        if col is None:
            continue
        if col not in frame.columns:
            return False
        values = pd.to_numeric(frame[col], errors="coerce")
        if not bool((values >= 0).all()):
            return False
    return True


TUNING_SLACK = 4.0
"""A test with more than this many times ``tuning_n`` units gets a note: its confidence
sequences are wider than they need be (64,000 units with the default 5,000: 8% wider; 400,000:
16% wider, as if a third of the units were missing)."""


def _tuning_note(n_units: int, opts: AnalysisOptions) -> str:
    """The note for sequences tuned far below the test's size, with how much wider they are."""
    var = 1.0 / n_units
    ours = float(confidence_sequence(0.0, var, n_units, alpha=opts.alpha,
                                     tuning_n=opts.tuning_n)[1])
    best = float(confidence_sequence(0.0, var, n_units, alpha=opts.alpha,
                                     tuning_n=float(n_units))[1])
    return (f"sequential: the confidence sequences are tuned for {opts.tuning_n:,.0f} units but "
            f"the test has {n_units:,}, so they are {ours / best - 1:.0%} wider here than "
            "sequences tuned for this size. Set the tuning (brain ab analyze --tuning-n, API "
            "tuning_n) to the planned total sample size before the test starts and keep it: "
            "changing it from look to look, after seeing the data, voids the always-valid "
            "guarantee")


def _merge_summary_labels(summary: pd.DataFrame, first_metric: str
                          ) -> tuple[pd.DataFrame, str | None]:
    """The table with arm labels differing only in case or spaces merged (sums add up)."""
    rows = summary[summary["metric"].astype(str) == first_metric]
    counts = rows.groupby(rows["variant"].astype(str))["n"].sum().to_dict()
    mapping, note = merge_labels({str(k): int(v) for k, v in counts.items()})
    if all(k == v for k, v in mapping.items()):
        return summary, note
    keys = [c for c in ("segment", "variant", "metric") if c in summary.columns]
    sums = [c for c in summary.columns if c not in keys]
    work = summary.assign(variant=summary["variant"].astype(str).map(mapping))
    merged = work.groupby(keys, sort=False).agg(
        {c: (lambda s: s.sum(min_count=1)) for c in sums}).reset_index()
    return merged.astype({"n": "int64"}), note


def analyze_summary(summary: pd.DataFrame, control: str, metrics: Sequence[str | Metric] | str,
                    *, options: AnalysisOptions | None = None, variant_col: str = "variant",
                    frame: pd.DataFrame | None = None, source: str = "experiment summary",
                    on_undefined: Literal["raise", "warn"] = "raise",
                    caps_applied: bool = False,
                    nonnegative: frozenset[str] | None = None) -> ExperimentResult:
    """Analyse an aggregate table (see ``experiments._metrics``) -- e.g. computed in SQL.

    A metric with a ``cap`` or ``cap_quantile`` raises ``ExperimentInputError`` unless
    ``caps_applied`` (the table's sums are already of capped values, as ``analyze`` builds
    them): a table of sums cannot be capped, and reporting the cap would claim it had been.

    ``metrics`` must name the ``metric`` rows to analyse, with the same definitions used to
    build the table (ratio and covariate metrics need the ``y_*`` and ``xy_sum`` columns).

    ``nonnegative`` names the metrics known to hold no negative value (for the log-ratio
    interval of the lift), instead of reading them from ``frame``.

    Degenerate metrics are never reported silently: a ratio whose denominator sums to 0 in an
    arm raises ``ExperimentInputError`` (``on_undefined="warn"`` turns that into a warning, as
    used for segments); a metric without variation in any arm (e.g. 1 for every unit) gets a
    warning, NaN p-values and intervals and no Bayesian result; no variation in some arms gets a
    caution warning.
    """
    opts = options or AnalysisOptions()
    ms = parse_metrics(metrics)
    missing_cols = [c for c in ("variant", "metric", "n", "sum", "sum_sq") if c not in summary]
    if missing_cols:
        raise ExperimentInputError(
            f"{source}: columns {missing_cols} are missing; received {list(summary.columns)}."
        )
    known = set(summary["metric"].astype(str))
    unknown = [m.name for m in ms if m.name not in known]
    if unknown:
        raise ExperimentInputError(
            f"{source}: metrics {unknown} have no rows; the table has {sorted(known)}."
        )
    uncapped = [m.name for m in ms if m.cap is not None or m.cap_quantile is not None]
    if uncapped and not caps_applied:
        raise ExperimentInputError(
            f"{source}: metrics {uncapped} ask for a cap, but a table of sums cannot be capped "
            "(its sums are of whatever values were added up). Fix: cap the column before "
            "summing (e.g. LEAST(revenue, 500) in SQL) and drop the cap, or pass unit-level "
            "rows to analyze."
        )
    summary, label_note = _merge_summary_labels(summary, ms[0].name)
    arms = summary["variant"].astype(str).unique().tolist()
    check_arm_count(sorted(arms), "variant", source)
    control = resolve_label(str(control), arms)
    opts = replace(opts, expected_shares=resolve_shares(opts.expected_shares, arms))
    order = _order(arms, control, source)
    first = summary[summary["metric"] == ms[0].name].set_index("variant")["n"]
    counts = {v: int(first.get(v, 0)) for v in order}
    srm = srm_check(counts, opts.expected_shares, opts.srm_alpha)
    kinds = {m.name: detect_kind(m, frame, summary) for m in ms}
    if nonnegative is None:
        nonnegative = frozenset(m.name for m in ms if kinds[m.name] == "proportion"
                                or (frame is not None and _nonnegative(frame, m)))
    else:
        nonnegative = nonnegative | {m.name for m in ms if kinds[m.name] == "proportion"}
    comps, summaries, notes = _comparisons(summary, control, ms, kinds, order, opts, source,
                                           on_undefined, nonnegative)
    guard_metrics = {m.name: m for m in ms if m.is_guardrail}
    comps = _adjust(comps, set(guard_metrics), opts)
    guards = tuple(guardrail(guard_metrics[c.metric], c, opts.alpha) for c in comps
                   if c.metric in guard_metrics)
    warnings = [srm.message] if srm.mismatch else []
    warnings += [label_note] if label_note else []
    warnings += [g.message for g in guards if g.status == "fail"]
    warnings += [f"metric {c.metric!r}: control mean is 0, so relative effects are undefined"
                 for c in comps if c.control_mean == 0 and c.variant == order[1]]
    warnings += notes
    n_units = int(sum(counts.values()))
    if opts.sequential and n_units > TUNING_SLACK * opts.tuning_n:
        warnings.append(_tuning_note(n_units, opts))
    return ExperimentResult(
        srm=srm, variant_col=variant_col, control=control, variants=tuple(order),
        n_units=n_units, alpha=opts.alpha, test=opts.test,
        correction=opts.correction, metrics=tuple(summaries), comparisons=tuple(comps),
        guardrails=guards, warnings=tuple(warnings),
    )


def analyze(frame: pd.DataFrame, variant_col: str, control: str,
            metrics: Sequence[str | Metric] | str, *, options: AnalysisOptions | None = None,
            segment_col: str | None = None, source: str = "experiment data",
            unit_col: str | None = None, time_col: str | None = None,
            exposure_col: str | None = None) -> ExperimentResult:
    """Analyse unit-level rows: one row per unit, an arm label and metric columns.

    Every row counts (the assigned population): missing or non-numeric metric values raise
    ``ExperimentInputError`` instead of being dropped. ``segment_col`` adds per-segment results
    (see ``experiments.segment_breakdown``).

    ``unit_col`` names the randomisation unit's id column: rows are aggregated to one per unit
    (metric columns summed, see ``experiments._units``) and a unit in several arms is an error.
    Without it, a repeated column named like a unit id (user_id, customer_id, ...) gets a
    warning, since every row is then treated as an independent unit.

    ``time_col`` names a date column and adds ``result.time`` (see ``experiments._time``):
    cumulative and daily effects by calendar day, with ``unit_col`` and dated rows the effects
    by days since each unit's first exposure, and a warning when the effect fades or grows
    with exposure time. Without ``unit_col`` the date is each unit's exposure date, and an
    id-like column whose ids have rows on several dates is an error.

    ``exposure_col`` (with ``unit_col`` and ``time_col``) names a column with each unit's
    exposure timestamp, on every row of the unit or on some (the earliest value counts; see
    ``experiments._exposure``): rows dated before their unit's exposure are left out of the
    outcome sums and the time view, with a warning counting them (the unit stays), and days
    since exposure count from it instead of from the unit's first row.
    """
    opts = options or AnalysisOptions()
    ms = parse_metrics(metrics)
    if variant_col not in frame.columns:
        raise ExperimentInputError(
            f"{source}: variant column {variant_col!r} is missing; received columns "
            f"{list(frame.columns)}. Fix: pass ", Param("variant_col"),
            " with the arm label column."
        )
    # a column named for two roles: pandas' 'Grouper ... not 1-dimensional' or 'cannot insert
    # ..., already exists' had surfaced instead, a 500 from POST /experiments/analyze
    if segment_col is not None and segment_col == variant_col:
        raise ExperimentInputError(
            f"{source}: ", Param("segment_col"), f" {segment_col!r} is the variant column too; "
            "it needs a column of its own. Fix: pass ", Param("segment_col"), " a different "
            "column, or leave it out.")
    if unit_col is not None and unit_col == variant_col:
        raise ExperimentInputError(
            f"{source}: ", Param("unit_col"), f" {unit_col!r} is the variant column too; it "
            "needs a column of its own. Fix: pass ", Param("unit_col"), " a different column, "
            "or leave it out.")
    check_scalar_labels(frame, {variant_col: Param("variant_col"),
                                **({segment_col: Param("segment_col")} if segment_col else {}),
                                **({unit_col: Param("unit_col")} if unit_col else {})}, source)
    frame, label_note = normalise_frame(frame, variant_col)
    arms = sorted(frame[variant_col].dropna().astype(str).unique().tolist())
    check_arm_count(arms, variant_col, source)
    control = resolve_label(str(control), arms)
    opts = replace(opts, expected_shares=resolve_shares(opts.expected_shares, arms))
    rows = frame  # as given (labels merged): the time view reads each row's date
    exposure = None
    if exposure_col is not None:
        from experiments._exposure import resolve_exposure

        exposure = resolve_exposure(frame, unit_col, time_col, exposure_col, ms, source)
        if exposure.before.any():
            # pre-exposure rows count 0 (their unit keeps its arm, segment and covariates:
            # it was exposed, and a unit with no row after it is an exposed unit with 0)
            frame = frame.reset_index(drop=True).copy()
            for col in dict.fromkeys(c for m in ms for c in (m.column, m.denominator) if c):
                if col in frame.columns:  # checked on every row, as without the exposure
                    values = _numeric(frame, col, variant_col, source)
                    frame[col] = np.where(exposure.before, 0.0, values)
    if time_col is not None:
        from experiments._time import check_time_input

        # bad dates (or a unit on several dates without unit_col) fail before the analysis runs
        check_time_input(frame, time_col, variant_col, unit_col, segment_col, source)
    copy_note = None
    if unit_col is not None:
        frame, unit_note = aggregate_units(frame, unit_col, variant_col, ms, segment_col, source)
        copy_note = copied_rows_warning(rows, unit_col, variant_col, ms, source)
    else:
        unit_note = repeated_unit_warning(frame, variant_col, segment_col)
    ms, capped = resolve_caps(frame, ms, variant_col, source)
    summary = summarize(frame, variant_col, ms, source=source)
    result = analyze_summary(summary, str(control), ms, options=opts, variant_col=variant_col,
                             frame=frame, source=source, caps_applied=True)
    if capped:
        cov_caps = {m.name: m.covariate_cap for m in ms}
        result = replace(result, metrics=tuple(
            replace(s, capped_units=capped.get(s.name, 0),
                    covariate_cap=cov_caps.get(s.name),
                    covariate_capped_units=capped.get(f"{s.name}\0covariate", 0))
            for s in result.metrics))
    notes = [n for n in (label_note, unit_note, copy_note) if n]
    notes += list(exposure.notes) if exposure is not None else []
    n_units = len(frame)
    notes += [f"metric {m.name!r}: the cap {m.cap:,.6g} touched {capped[m.name]:,} of {n_units:,} "
              f"units ({capped[m.name] / n_units:.0%}): a cap is for the few extreme units "
              "(e.g. p99 or p99.9); this one rewrites the metric itself"
              for m in ms if m.name in capped and capped[m.name] > CAP_TOUCH_SHARE * n_units]
    lowest = {m.name: capped[k] for m in ms if (k := f"{m.name}\0cap_above_lowest") in capped}
    notes += [f"metric {m.name!r}: its P{100 * (m.cap_quantile or 1):g} over all units is its "
              f"lowest value, or the value most units have (only {lowest[m.name]:,} of "
              f"{n_units:,} units are above it), and a cap there would set every unit above it "
              "to that value; the cap is the "
              f"P{100 * (m.cap_quantile or 1):g} of those {lowest[m.name]:,} units instead "
              f"({m.cap:,.6g})" for m in ms if m.name in lowest]
    uncapped = {m.name: capped[k] for m in ms if (k := f"{m.name}\0covariate_uncapped") in capped}
    notes += [f"metric {m.name!r}: its CUPED covariate {m.covariate!r} is not capped: its "
              f"P{100 * (m.cap_quantile or 1):g} is its lowest value, or the value most units "
              "have (only "
              f"{uncapped[m.name]:,} of {n_units:,} units are above it), and a cap there would "
              "give every unit the same covariate, leaving CUPED nothing to adjust with"
              for m in ms if m.name in uncapped]
    notes += dominant_unit_notes(frame, variant_col, ms,
                                 {s.name: s.kind for s in result.metrics}, source)
    if notes:
        warnings = list(result.warnings)
        at = 1 if result.srm.mismatch else 0  # after the SRM banner
        result = replace(result, warnings=(*warnings[:at], *notes, *warnings[at:]))
    if segment_col is not None:
        from experiments._segments import segment_breakdown, segment_heterogeneity

        segs = segment_breakdown(frame, variant_col, str(control), ms, segment_col,
                                 options=opts, source=source)
        het = segment_heterogeneity(segs)
        extra = [f"segment {s.segment_col}={s.segment!r}: {s.srm.message}" for s in segs
                 if s.srm.mismatch]
        extra += [f"segment {s.segment_col}={s.segment!r}: metric {c.metric!r} ({c.variant}) "
                  "has no p-value (no variation, or a denominator summing to 0, in that "
                  "segment)" for s in segs for c in s.comparisons
                  if not np.isfinite(c.p_value)
                  and np.isfinite(result.comparison(c.metric, c.variant).p_value)]
        extra += [f"metric {h.metric!r} ({h.variant}): the {h.scale} effect differs across "
                  f"{h.segment_col!r} segments (Cochran's Q {h.statistic:.2f}, df {h.df}, "
                  f"p = {h.p_value:.2g}): read the segments' effects, not only the overall one"
                  for h in het if h.p_value < opts.alpha]
        result = replace(result, segments=segs, warnings=result.warnings + tuple(extra),
                         heterogeneity=het)
    if time_col is not None:
        from experiments._time import time_view

        view = time_view(rows, variant_col, str(control), ms, time_col,
                         kinds={s.name: s.kind for s in result.metrics}, options=opts,
                         unit_col=unit_col, segment_col=segment_col, source=source,
                         exposure=exposure)
        result = replace(result, time=view, warnings=result.warnings + tuple(
            t.message for t in view.trends if t.flagged))
    return result
