"""The backtest's notes on what its scores do not show by themselves: folds whose actuals are 0
(``zero_actuals_note``), calendar events no fold's horizon covers (``uncovered_events_note``),
a (fold, series) whose error dominates the mean (``dominant_error_notes``) and forecasts that
run far beyond the history (``runaway_forecast_notes``). The interval notes are in
``_forecast_intervals``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from features._calendar import normalize_calendar

from ._forecast_event_days import pooled_names
from ._forecast_text import listed, period_text

__all__ = ["dominant_error_notes", "runaway_forecast_notes", "uncovered_events_note",
           "zero_actuals_note"]


def zero_actuals_note(forecasts: pd.DataFrame) -> str | None:
    """The sMAPE caveat when scored actuals are 0 (closed days): how many, in how many series."""
    scored = forecasts.dropna(subset=["y"])
    zero = scored[scored["y"] == 0]
    if zero.empty:
        return None
    exact = int((zero["p50"] == 0).sum())
    if exact == len(zero):  # every one forecast as exactly 0: sMAPE counts them as 0%
        return None
    return (f"{len(zero)} of {len(scored)} scored periods have an actual of 0 (closed days, or "
            f"days with none?) in {zero['series_id'].nunique()} series; sMAPE counts each as "
            f"200% unless the forecast is exactly 0 ({exact} were), so smape_pct is inflated "
            "there: compare models by mase, which scales errors by the series' own weekly "
            "variation")


def uncovered_events_note(calendar: pd.DataFrame | None, origins: Sequence[pd.Timestamp],
                          horizon: int, step: pd.Timedelta, data_end: pd.Timestamp,
                          data_start: pd.Timestamp) -> str | None:
    """Name the planned events (starting after the data) whose earlier occurrences no fold's
    forecast window reaches, or None.

    The backtest's scores then say nothing about the peaks planners size stock for: an
    independent check's default folds (three origins two months apart, from May) held no Black
    Friday, while the calendar planned one. Names are compared without their years ('Black
    Friday 2024' is 'Black Friday'); the note suggests an origin a week before the latest
    earlier occurrence (half the horizon before it, where that is less than a week).
    """
    cal = normalize_calendar(calendar)
    if cal.empty or not len(origins):
        return None
    cal = pooled_names(cal)
    windows = [(o, o + horizon * step) for o in origins]
    planned = cal[cal["start"] > data_end]
    past = cal[(cal["start"] <= data_end) & (cal["start"] >= data_start)]
    missed: list[tuple[str, pd.Timestamp]] = []
    for name in dict.fromkeys(planned["name"].astype(str)):
        seen = past[past["name"].astype(str) == name]
        if seen.empty:
            continue  # never seen: the forecast's own notes say so
        hit = any(((seen["end"] + pd.Timedelta(days=1) > lo) & (seen["start"] < hi)).any()
                  for lo, hi in windows)
        if not hit:
            missed.append((name, pd.Timestamp(seen["start"].max())))
    if not missed:
        return None
    latest = max(start for _, start in missed)
    # a week before it, or half the horizon where that is shorter (a 48-hour fold from a
    # week before ends five days before the event)
    lead = min(pd.Timedelta(days=7), (horizon // 2) * step)
    suggest = max(latest - lead, data_start + step)
    names = listed([f"{n!r} (last {period_text(s)})" for n, s in missed], 4)
    return (f"no fold's forecast window holds an earlier occurrence of {names}, planned in the "
            "calendar: these scores say nothing about how well such a peak is forecast; add an "
            f"origin before one, e.g. --origins {period_text(suggest)} (library: origins=)")


def dominant_error_notes(forecasts: pd.DataFrame, history: dict[str, pd.Series],
                         folds: pd.DataFrame, *, share: float = 0.5,
                         ratio: float = 10.0) -> list[str]:
    """Folds whose score one far-out actual decides (a logging glitch such as 1e7 views).

    A (fold, series) is named when its largest absolute error is at least ``share`` of the
    fold's total and that actual lies ``ratio`` times further from the history's median
    (before the origin) than any value of that history did.

    Args:
        forecasts: the backtest's joined frame (``origin``, ``series_id``, ``ds``, ``p50``, ``y``).
        history: values per series on the original scale (ds-indexed, the whole data).
        folds: the per-fold metrics (``origin``, ``series_id``, ``mase``).
    """
    notes = []
    scored = forecasts.dropna(subset=["y", "p50"])
    for (origin, sid), g in scored.groupby(["origin", "series_id"], sort=True):
        err = (g["p50"] - g["y"]).abs()
        total = float(err.sum())
        if total <= 0 or len(g) < 3:
            continue
        worst = err.idxmax()
        if err[worst] < share * total:
            continue
        hy = history[str(sid)]
        hy = hy[hy.index < origin].dropna()
        if hy.empty:
            continue
        mid = float(hy.median())
        spread = float((hy - mid).abs().max())
        actual = float(g.at[worst, "y"])
        if spread <= 0 or abs(actual - mid) < ratio * spread:
            continue
        row = folds[(folds["origin"] == origin) & (folds["series_id"] == sid)]
        mase = f"mase {float(row['mase'].iloc[0]):.3g}" if len(row) else "its score"
        notes.append(
            f"series {sid!r}, fold origin {pd.Timestamp(origin).date()}: the actual {actual:.6g} "
            f"at {period_text(g.at[worst, 'ds'])} is "
            f"{abs(actual - mid) / spread:,.0f}x further from the median ({mid:.4g}) than any "
            f"value before the origin and makes {err[worst] / total:.0%} of that fold's absolute "
            f"error, so that fold's {mase} (and the mean over folds) mostly measures that one "
            "period; if it is a data glitch, correct the row (brain data validate --series lists "
            "such values)")
    return notes


def runaway_forecast_notes(forecasts: pd.DataFrame, history: dict[str, pd.Series],
                           folds: pd.DataFrame, *, ratio: float = 5.0) -> list[str]:
    """(fold, series) whose forecast P50 peaks above ``ratio`` times the largest value of the
    history before the origin: the forecast, not an actual, is far out, which
    ``dominant_error_notes`` does not name. A retail check's fold from 2026-03-05 forecast a store
    selling 149 at 2.6 million (its promotion flag's and price's slopes had run off), and the
    fold's mean MASE of 132 went out with no word on where it came from."""
    notes = []
    for (origin, sid), g in forecasts.dropna(subset=["p50"]).groupby(["origin", "series_id"],
                                                                     sort=True):
        hy = history.get(str(sid))
        if hy is None:
            continue
        hy = hy[hy.index < origin].dropna()
        top = float(hy.max()) if len(hy) else np.nan
        i = g["p50"].idxmax()
        p50 = float(g.at[i, "p50"])
        if not np.isfinite(top) or top <= 0 or p50 <= ratio * top:
            continue
        row = folds[(folds["origin"] == origin) & (folds["series_id"] == sid)]
        v = float(row["mase"].iloc[0]) if len(row) else np.nan
        mase = (f"its mase {v:,.0f}" if v >= 100 else f"its mase {v:.3g}") if len(row) else (
            "its score")
        actual = g.at[i, "y"] if "y" in g else np.nan
        seen = f" (actual {float(actual):.6g})" if pd.notna(actual) else ""
        notes.append(
            f"series {sid!r}, fold origin {pd.Timestamp(origin).date()}: the forecast P50 peaks "
            f"at {p50:,.0f} on {period_text(g.at[i, 'ds'])}{seen}, {p50 / top:,.0f}x the largest "
            f"value before the origin ({top:.6g}), so {mase} can decide the fold's mean; "
            "check the planned values of its known-in-advance columns and its events' "
            "intensities against the history's")
    return notes
