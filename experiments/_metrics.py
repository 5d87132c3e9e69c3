"""Metric definitions and the reduction of a frame to per-arm sufficient statistics.

The aggregate ("summary") table is the engine's input and can equally be produced in a warehouse
with one ``GROUP BY``. One row per (segment, variant, metric) with columns:

=========  =======  ==============================================================
column     dtype    meaning
=========  =======  ==============================================================
segment    str      segment value (only when a segment column was requested)
variant    str      arm label
metric     str      metric name
n          int64    units in the arm
sum        float64  sum of the metric column (numerator for ratios)
sum_sq     float64  sum of squares of that column
y_sum      float64  sum of the second column (ratio denominator or CUPED covariate), else NaN
y_sum_sq   float64  sum of squares of the second column, else NaN
xy_sum     float64  sum of products of the two columns, else NaN
=========  =======  ==============================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from experiments._errors import ExperimentInputError, Param, first_rows
from experiments._stats import JointStats, MomentStats

__all__ = ["SUMMARY_COLUMNS", "Metric", "arm_stats", "parse_metrics", "summarize"]

# text that is a number with a currency sign or thousands separators ('$1.85', '1,234.50 €')
_MONEY_LIKE = (r"^\s*\(?-?\s*[$€£¥₹]\s*-?[\d.,]+\)?\s*$|^\s*-?[\d.,]+\s*[$€£¥₹]\s*$"
               r"|^\s*-?\d{1,3}(,\d{3})+(\.\d+)?\s*$")
MetricKind = Literal["auto", "proportion", "mean", "ratio"]
SUMMARY_COLUMNS = ("variant", "metric", "n", "sum", "sum_sq", "y_sum", "y_sum_sq", "xy_sum")


@dataclass(frozen=True)
class Metric:
    """What to measure per unit and how to judge it.

    Attributes:
        name: label in results (defaults in ``parse_metrics`` to the column, or "num/den").
        column: outcome column (numerator for ratio metrics).
        kind: "auto" (proportion if every value is 0 or 1, else mean), "proportion", "mean" or
            "ratio" (set automatically when ``denominator`` is given).
        denominator: denominator column for ratio metrics such as revenue per visit.
        covariate: pre-period covariate for CUPED (e.g. the same metric before assignment).
        higher_is_better: direction of improvement (used by guardrails and Bayesian results).
        guardrail_margin: when set, the metric is a guardrail that must not get worse by more
            than this (a share of control's mean if ``guardrail_relative``, else metric units).
        guardrail_relative: whether ``guardrail_margin`` is relative.
        cap_quantile: cap each unit's value of ``column`` at this quantile of all units' values
            (pooled over the arms, e.g. 0.99; resolved to ``cap`` by ``analyze``): a few
            extreme spenders no longer decide a revenue metric. Not for 0/1 metrics.
        cap: cap each unit's value of ``column`` at this value (metric units); set by
            ``analyze`` from ``cap_quantile``, or given directly for a fixed cap.
        covariate_cap: cap of each unit's CUPED ``covariate``; set by ``analyze`` for a
            ``cap_quantile`` (the covariate's own quantile, pooled over the arms: a whale in the
            pre-period otherwise leaves CUPED almost no correlation to use). A fixed ``cap`` is
            in the metric's units and window, so the covariate is not capped then.
    """

    name: str
    column: str
    kind: MetricKind = "auto"
    denominator: str | None = None
    covariate: str | None = None
    higher_is_better: bool = True
    guardrail_margin: float | None = None
    guardrail_relative: bool = True
    cap_quantile: float | None = None
    cap: float | None = None
    covariate_cap: float | None = None

    def __post_init__(self) -> None:
        empty = [f for f in ("column", "denominator", "covariate")
                 if getattr(self, f) is not None and not str(getattr(self, f)).strip()]
        if empty:
            raise ExperimentInputError(
                f"metric {self.name!r}: {' and '.join(empty)} must name a column; received an "
                "empty name. Fix: give a column name (or None for no denominator/covariate)."
            )
        if self.denominator is not None and self.kind not in ("auto", "ratio"):
            raise ExperimentInputError(
                f"metric {self.name!r}: a denominator makes it a ratio metric; received "
                f"kind={self.kind!r}. Fix: drop kind or set kind='ratio'."
            )
        if self.kind == "ratio" and self.denominator is None:
            raise ExperimentInputError(
                f"metric {self.name!r}: ratio metrics need a denominator column."
            )
        if self.denominator is not None and self.covariate is not None:
            raise ExperimentInputError(
                f"metric {self.name!r}: CUPED on ratio metrics is not supported; received "
                f"denominator={self.denominator!r} and covariate={self.covariate!r}. Fix: "
                "adjust the numerator and denominator separately or drop the covariate."
            )
        if self.cap_quantile is not None and not 0 < self.cap_quantile < 1:
            raise ExperimentInputError(
                f"metric {self.name!r}: cap_quantile must be in (0, 1), e.g. 0.99 for the 99th "
                f"percentile; received {self.cap_quantile}."
            )
        if self.cap is not None and not np.isfinite(self.cap):
            raise ExperimentInputError(
                f"metric {self.name!r}: cap must be a finite number; received {self.cap}."
            )
        if self.guardrail_margin is not None and not self.guardrail_margin >= 0:
            raise ExperimentInputError(
                f"metric {self.name!r}: guardrail_margin must be >= 0; received "
                f"{self.guardrail_margin}."
            )

    @property
    def is_guardrail(self) -> bool:
        """Whether the metric is a guardrail."""
        return self.guardrail_margin is not None

    @property
    def second(self) -> str | None:
        """The second column summarised jointly (denominator or covariate)."""
        return self.denominator or self.covariate


def parse_metrics(specs: Sequence[str | Metric] | str) -> list[Metric]:
    """Metrics from strings: ``"visit"`` (a column) or ``"spend/visit"`` (a ratio of columns).

    A comma-separated string is split first. ``Metric`` objects pass through.
    """
    items: Sequence[str | Metric] = specs.split(",") if isinstance(specs, str) else specs
    out: list[Metric] = []
    for item in items:
        if isinstance(item, Metric):
            out.append(item)
            continue
        text = item.strip()
        if not text:
            continue
        if "/" in text:
            num, _, den = (part.strip() for part in text.partition("/"))
            if not num or not den:
                raise ExperimentInputError(
                    Param("metrics"), f": ratio spec {text!r} needs a numerator and a denominator "
                    "column on either side of '/'; received numerator "
                    f"{num!r} and denominator {den!r}. Fix: write 'numerator/denominator' "
                    "(e.g. 'revenue/visits'), or drop the '/' for a plain metric."
                )
            out.append(Metric(text, num, "ratio", denominator=den))
        else:
            out.append(Metric(text, text))
    names = [m.name for m in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if not out or dupes:
        raise ExperimentInputError(
            "", Param("metrics"), ": need at least one metric with unique names; received "
            f"{list(items)!r}" + (f" (duplicates {dupes})" if dupes else "") + "."
        )
    return out


_COLUMN_OWNERS = {"variant_col": Param("variant_col"), "segment_col": Param("segment_col"),
                  "metrics": Param("metrics"), "cuped": Param("cuped"),
                  "guardrails": Param("guardrails")}
"""The input that names each kind of column ``_check_columns`` needs (literal ``Param``s, which
the naming test reads from the source)."""


def _check_columns(frame: pd.DataFrame, variant_col: str, metrics: Sequence[Metric],
                   segment_col: str | None, source: str) -> None:
    # each needed column with the input that named it, so the fix (and the API's error field)
    # names that input: a missing CUPED covariate had been blamed on variant_col/metrics
    needed: dict[str, str] = {variant_col: "variant_col"}
    if segment_col:
        needed.setdefault(segment_col, "segment_col")
    for m in metrics:
        for col in (m.column, m.denominator):
            if col:  # a guardrail's column is named where its margin is given
                needed.setdefault(col, "guardrails" if m.is_guardrail else "metrics")
        if m.covariate:
            needed.setdefault(m.covariate, "cuped")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        owners = list(dict.fromkeys(needed[c] for c in missing))
        parts: list[str | Param] = []
        for i, name in enumerate(owners):
            parts += (["/"] if i else []) + [_COLUMN_OWNERS[name]]
        raise ExperimentInputError(
            f"{source}: columns {missing} are missing; received columns {list(frame.columns)}. "
            "Fix: pass the right ", *parts, " column names."
        )
    for col in (variant_col, segment_col):
        if col and frame[col].isna().any():
            rows = np.flatnonzero(frame[col].isna().to_numpy())
            raise ExperimentInputError(
                f"{source}: column {col!r} has {rows.size} missing or blank values (first "
                f"{first_rows(source, rows)}); every unit needs one. Fix: drop or label those rows "
                "explicitly before the analysis."
            )


def _numeric(frame: pd.DataFrame, col: str, variant_col: str, source: str) -> np.ndarray:
    s = frame[col]
    if s.dtype == bool:
        s = s.astype(np.int8)
    values = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
    bad = ~np.isfinite(values)
    if bad.any():
        rows = np.flatnonzero(bad)
        by_arm = pd.Series(frame[variant_col].to_numpy()[rows]).astype(str).value_counts()
        arms = ", ".join(f"{k!r}: {v}" for k, v in by_arm.items())
        shown = [str(x) for x in s.iloc[rows[:3]].tolist()]
        money = s.iloc[rows].astype(str).str.match(_MONEY_LIKE)
        fix = ("Fix: fill them (e.g. 0 for no revenue) or filter the rows explicitly." if not
               money.any() else
               f"{int(money.sum())} of them look like money amounts: do not fill them with 0; "
               "Fix: remove the currency signs and thousands separators (e.g. '$1,234.50' -> "
               "1234.50; brain ab analyze reads such amounts itself, but not ambiguous ones "
               "like '1,1.85' or mixed decimal commas), then re-run.")
        raise ExperimentInputError(
            f"{source}: column {col!r} has {rows.size} values that are missing or not finite "
            f"numbers ({arms}; first {first_rows(source, rows)}: {shown}). Rows are never "
            f"dropped silently. {fix}"
        )
    return values


def summarize(frame: pd.DataFrame, variant_col: str, metrics: Sequence[str | Metric] | str,
              segment_col: str | None = None, source: str = "experiment data") -> pd.DataFrame:
    """Reduce unit-level rows to the aggregate table described in the module docstring.

    Args:
        frame: one row per unit (user) with the variant column and metric columns.
        variant_col: arm label column.
        metrics: metric specs (see ``parse_metrics``).
        segment_col: optional pre-period attribute to break results down by.
        source: name of the data used in error messages.
    """
    ms = parse_metrics(metrics)
    _check_columns(frame, variant_col, ms, segment_col, source)
    keys = [variant_col] if not segment_col else [segment_col, variant_col]
    base = frame[keys].astype(str).reset_index(drop=True)
    cols: dict[str, np.ndarray] = {}
    for m in ms:
        x = _numeric(frame, m.column, variant_col, source)
        if m.cap is not None:
            x = np.minimum(x, m.cap)
        cols[f"{m.name}\0sum"] = x
        cols[f"{m.name}\0sum_sq"] = x * x
        if m.second:
            y = _numeric(frame, m.second, variant_col, source)
            if m.covariate is not None and m.covariate_cap is not None:
                y = np.minimum(y, m.covariate_cap)
            cols[f"{m.name}\0y_sum"] = y
            cols[f"{m.name}\0y_sum_sq"] = y * y
            cols[f"{m.name}\0xy_sum"] = x * y
    work = pd.concat([base, pd.DataFrame(cols)], axis=1)
    grouped = work.groupby(keys, sort=True, observed=True)
    sums = grouped.sum()
    counts = grouped.size()
    rows = []
    for key, n in counts.items():
        tup = key if isinstance(key, tuple) else (key,)
        for m in ms:
            rec: dict[str, object] = {}
            if segment_col:
                rec["segment"] = tup[0]
            rec["variant"] = tup[-1]
            rec["metric"] = m.name
            rec["n"] = int(n)
            for stat in ("sum", "sum_sq", "y_sum", "y_sum_sq", "xy_sum"):
                col = f"{m.name}\0{stat}"
                rec[stat] = float(sums.loc[key, col]) if col in sums.columns else np.nan
            rows.append(rec)
    out = pd.DataFrame(rows)
    return out.astype({"n": "int64"})


def arm_stats(row: pd.Series) -> MomentStats | JointStats:
    """Sufficient statistics of one summary-table row."""
    x = MomentStats(int(row["n"]), float(row["sum"]), float(row["sum_sq"]))
    if pd.isna(row.get("y_sum", np.nan)):
        return x
    y = MomentStats(int(row["n"]), float(row["y_sum"]), float(row["y_sum_sq"]))
    return JointStats(x, y, float(row["xy_sum"]))


def detect_kind(metric: Metric, frame: pd.DataFrame | None, summary: pd.DataFrame) -> str:
    """Resolve ``kind="auto"``: proportion when every value is 0/1, else mean."""
    if metric.denominator is not None:
        return "ratio"
    if metric.kind != "auto":
        return metric.kind
    if frame is not None:
        values = pd.to_numeric(frame[metric.column], errors="coerce")
        return "proportion" if bool(values.isin([0, 1]).all()) else "mean"
    rows = summary[summary["metric"] == metric.name]
    binary = bool(((rows["sum"] == rows["sum_sq"]) & (rows["sum"] <= rows["n"])).all())
    return "proportion" if binary else "mean"
