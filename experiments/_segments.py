"""Segment breakdowns by a pre-period attribute, with multiplicity correction across segments.

Only use attributes fixed before assignment (country, acquisition channel, tenure bucket,
pre-period activity): splitting by something the treatment can change biases every segment.
All segments x variants x primary metrics form one family for the Holm / BH correction, since
looking at many segments is exactly how false discoveries are made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from experiments._errors import ExperimentInputError, Param
from experiments._metrics import Metric, parse_metrics, summarize
from experiments._multiple import adjust_p_values
from experiments._results import Comparison, Heterogeneity, SegmentResult
from experiments._srm import srm_check

if TYPE_CHECKING:
    from experiments._analysis import AnalysisOptions

__all__ = ["segment_breakdown", "segment_heterogeneity"]


def segment_breakdown(frame: pd.DataFrame, variant_col: str, control: str,
                      metrics: Sequence[str | Metric] | str, segment_col: str, *,
                      options: AnalysisOptions | None = None, max_segments: int = 50,
                      source: str = "experiment data") -> tuple[SegmentResult, ...]:
    """Per-segment comparisons of every variant with control.

    Segments where an arm has fewer than 2 units are reported with no comparisons (their SRM
    check is still shown). Raises when the attribute has more than ``max_segments`` values.
    """
    from experiments._analysis import AnalysisOptions, adjust_sequential, analyze_summary

    opts = options or AnalysisOptions()
    ms = parse_metrics(metrics)
    if segment_col not in frame.columns:
        raise ExperimentInputError(
            f"{source}: segment column {segment_col!r} is missing; received columns "
            f"{list(frame.columns)}. Fix: pass an existing pre-period column as ",
            Param("segment_col"), "."
        )
    n_seg = frame[segment_col].nunique(dropna=False)
    if n_seg > max_segments:
        raise ExperimentInputError(
            f"{source}: segment column {segment_col!r} has {n_seg} values, more than "
            f"max_segments={max_segments}. Fix: bucket it into fewer groups first."
        )
    summary = summarize(frame, variant_col, ms, segment_col=segment_col, source=source)
    arms = sorted(summary["variant"].unique().tolist())
    per_seg: list[SegmentResult] = []
    no_correction = replace(opts, correction="none")
    for seg, table in summary.groupby("segment", sort=True):
        first = table[table["metric"] == ms[0].name].set_index("variant")["n"]
        counts = {v: int(first.get(v, 0)) for v in [control] + [a for a in arms if a != control]}
        srm = srm_check(counts, opts.expected_shares, opts.srm_alpha)
        seg_frame = frame[frame[segment_col].astype(str) == seg]
        if min(counts.values()) < 2:
            per_seg.append(SegmentResult(segment_col, str(seg), sum(counts.values()), srm, ()))
            continue
        res = analyze_summary(table.drop(columns="segment"), control, ms, options=no_correction,
                              variant_col=variant_col, frame=seg_frame, source=source,
                              on_undefined="warn", caps_applied=True)
        per_seg.append(SegmentResult(segment_col, str(seg), res.n_units, srm, res.comparisons))
    guards = {m.name for m in ms if m.is_guardrail}
    flat = [(i, j) for i, s in enumerate(per_seg) for j, c in enumerate(s.comparisons)
            if c.metric not in guards]
    adj = adjust_p_values([per_seg[i].comparisons[j].p_value for i, j in flat], opts.correction)
    comps = [list(s.comparisons) for s in per_seg]
    for (i, j), p in zip(flat, adj, strict=True):
        comps[i][j] = replace(comps[i][j], p_value_adjusted=float(p),
                              significant=bool(np.isfinite(p) and p < opts.alpha))
    positions = [(i, j) for i, cs in enumerate(comps) for j in range(len(cs))]
    in_family = set(flat)
    flat_all = adjust_sequential([comps[i][j] for i, j in positions],
                                 [k for k, ij in enumerate(positions) if ij in in_family], opts)
    for (i, j), c in zip(positions, flat_all, strict=True):
        comps[i][j] = c
    return tuple(replace(s, comparisons=tuple(c)) for s, c in zip(per_seg, comps, strict=True))


def segment_heterogeneity(segments: Sequence[SegmentResult]) -> tuple[Heterogeneity, ...]:
    """Cochran's Q test, per metric and variant, that the effect is the same in every segment
    (see ``Heterogeneity``: on relative lifts where every segment's means are positive, else
    on absolute effects); pairs with fewer than two testable segments are left out."""
    from scipy import stats

    if not segments:
        return ()
    by_pair: dict[tuple[str, str], list[Comparison]] = {}
    for sg in segments:
        for c in sg.comparisons:
            if np.isfinite(c.absolute_effect) and np.isfinite(c.std_error) and c.std_error > 0:
                by_pair.setdefault((c.metric, c.variant), []).append(c)
    out = []
    for (metric, variant), comps in by_pair.items():
        if len(comps) < 2:
            continue
        logs = [_log_lift(c) for c in comps]
        if all(v is not None for v in logs):
            rows = [v for v in logs if v is not None]
            scale = "relative"
        else:
            rows = [(c.absolute_effect, c.std_error) for c in comps]
            scale = "absolute"
        d = np.array([r[0] for r in rows])
        w = 1.0 / np.array([r[1] for r in rows]) ** 2
        pooled = float((w * d).sum() / w.sum())
        q = float((w * (d - pooled) ** 2).sum())
        df = len(rows) - 1
        out.append(Heterogeneity(metric, variant, segments[0].segment_col, len(rows), q, df,
                                 float(stats.chi2.sf(q, df)),
                                 float(np.expm1(pooled)) if scale == "relative" else pooled,
                                 scale))
    return tuple(out)


def _log_lift(c: Comparison) -> tuple[float, float] | None:
    """A comparison's relative lift on the log scale, ``log(1 + lift)``, and its standard error
    (from its relative interval: the delta method's, divided by ``1 + lift``, or a log-scale
    interval's own), or None where the means are not both positive."""
    from experiments._compare import t_quantile

    rel, lo, hi = c.relative_effect, c.relative_ci_low, c.relative_ci_high
    if not (c.control_mean > 0 and np.isfinite([rel, lo, hi]).all() and 1 + rel > 0
            and hi > lo):
        return None
    q = t_quantile(1 - c.alpha / 2, c.df)
    if c.relative_interval == "delta":
        sd = (hi - lo) / (2 * q) / (1 + rel)
    elif 1 + lo > 0:
        sd = float(np.log((1 + hi) / (1 + lo))) / (2 * q)
    else:
        return None
    return (float(np.log1p(rel)), sd) if sd > 0 else None
