"""What ``brain forecast predict`` writes and prints: forecast.csv, peaks.csv,
response_at_plan.csv and the forecast.png chart (``write_forecast``), and the peaks table
(``peaks_table``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._cli_common import console, frame_table, note_replaced, show_note
from ._cli_forecast_model import _csv_ready

__all__ = ["peaks_table", "write_forecast"]

_PEAK_ROWS = 40
"""Peak rows printed; the rest are in peaks.csv."""
_CHART_SERIES = 6
"""Series drawn in forecast.png; all are in forecast.csv."""


def _plot_forecast(history: pd.DataFrame, fc: pd.DataFrame, cal: pd.DataFrame | None,
                   path: Path) -> Path:
    from training._forecast_plots import plot_fold

    return plot_fold(history, fc, cal, "forecast", path, max_series=_CHART_SERIES,
                     all_in="forecast.csv", last_year=True)


def write_forecast(out: Path, fc: pd.DataFrame, peaks: pd.DataFrame,
                   at_plan: pd.DataFrame | None, panel: Any, series: list[str] | None,
                   cal: pd.DataFrame) -> dict[str, Path]:
    """Write forecast.csv, peaks.csv, response_at_plan.csv (with ``at_plan``) and forecast.png
    (the history of ``panel``'s series, or of ``series``, with the forecast and ``cal``) in
    ``out``, saying which files they replace. Returns the paths by label."""
    fc_path, pk_path, png = out / "forecast.csv", out / "peaks.csv", out / "forecast.png"
    for path in (fc_path, pk_path, png):
        note_replaced(path)
    _csv_ready(fc).to_csv(fc_path, index=False)
    _csv_ready(peaks).to_csv(pk_path, index=False)
    paths = {"forecast": fc_path, "peaks": pk_path, "chart": png}
    if at_plan is not None:
        paths["response_at_plan"] = out / "response_at_plan.csv"
        note_replaced(paths["response_at_plan"])
        at_plan.to_csv(paths["response_at_plan"], index=False)
    history = pd.concat([pd.DataFrame({"series_id": sid, "ds": g.ds, "y": g.y})
                         for sid, g in panel.series.items()
                         if series is None or str(sid) in series], ignore_index=True)
    _plot_forecast(history, fc, cal, png)
    n_series = fc["series_id"].nunique()
    if n_series > _CHART_SERIES:
        show_note(f"{png.name} shows the first {_CHART_SERIES} of {n_series} series; all are in "
                   f"{fc_path.name}")
    return paths


def _amounts(row: pd.Series) -> pd.Series:
    """Forecast magnitudes with one precision (from the largest): thousands separators,
    none from 100 up, one decimal from 10, two below (a peak's '45.6 / 67.2 / 97.1', not
    '46 / 67.23 / 97')."""
    top = float(np.nanmax(np.abs(row.to_numpy(dtype=float)))) if row.notna().any() else 0.0
    places = 0 if top >= 100 else 1 if top >= 10 else 2
    return row.map(lambda v: "" if pd.isna(v) else f"{v + 0.0:,.{places}f}")  # no "-0.00"


_PEAK_PRIORITY = ("series_id", "window", "peak_ds", "peak_p50", "lift", "start", "end",
                  "peak_p10", "peak_p90", "window_p50", "window lift", "baseline_p50",
                  "window_p10", "window_p90", "window_baseline_p50")
"""The peaks table's columns from the one a planner needs most: a terminal too narrow for all
of them leaves out the last ones whole (named under the table; all are in peaks.csv)."""
_NAME_WIDTH = 14
"""Width a series or window name folds to where the numbers need the room."""
_NAMES = ("series_id", "window")


def _fitting_columns(show: pd.DataFrame, width: int) -> tuple[list[str], dict[str, int]]:
    """The columns of ``show`` (all text) to print in ``width`` terminal columns, in their
    order, and the width of each column with a value (kept or not): every cell whole (a
    number or date is never cut), a header one word per line at most, names folded to
    ``_NAME_WIDTH`` where the others need the room; columns with no value are left out."""
    need: dict[str, int] = {}
    full: dict[str, int] = {}
    for col in _PEAK_PRIORITY:
        cells = show[col].head(_PEAK_ROWS)
        if not cells.str.len().any():
            continue
        word = max(len(w) for w in col.replace("_", " ").split())
        full[col] = max(int(cells.str.len().max()), word)
        need[col] = min(full[col], max(_NAME_WIDTH, word)) if col in _NAMES else full[col]
    kept: list[str] = []
    used = 1  # the table's left edge
    for col, w in need.items():
        if used + w + 3 > width and len(kept) >= 2:  # a cell's padding and its right edge
            continue
        kept.append(col)
        used += w + 3
    for col in _NAMES:  # room left: a name unfolded
        if col in kept:
            grow = min(full[col] - need[col], max(width - used, 0))
            need[col] += grow
            used += grow
    # the widths of every column with a value, in priority order: those not kept are the
    # ones named under the table
    return [c for c in show.columns if c in kept], need


def peaks_table(peaks: pd.DataFrame, horizon: int, unit: str, path: Path) -> None:
    """Print the peaks with readable numbers (lifts as percentages), the rest in ``path``.

    No number or date is ever cut: where the terminal is too narrow for every column, the
    least needed are left out whole and named under the table (a 15-column table at 120
    columns had cut '1,388,166' to '1,3…' and every header to '…')."""
    # an hourly peak keeps its hour even at midnight (astype(str) wrote a lone midnight peak
    # as a date)
    fmt = "%Y-%m-%d %H:%M" if unit == "hours" else "%Y-%m-%d"
    show = peaks.assign(peak_ds=pd.to_datetime(peaks["peak_ds"]).dt.strftime(fmt),
                        start=peaks["start"].dt.date.astype(str),
                        end=peaks["end"].dt.date.astype(str))
    interval = ["peak_p10", "peak_p50", "peak_p90"]
    sums = ["window_p10", "window_p50", "window_p90", "window_baseline_p50"]
    show[interval] = show[interval].apply(_amounts, axis=1)
    show["baseline_p50"] = show[["baseline_p50"]].apply(_amounts, axis=1)
    show[sums] = show[sums].apply(_amounts, axis=1)
    for col in ("lift_pct", "window_lift_pct"):
        show[col] = show[col].map(lambda v: "" if pd.isna(v) else f"{v:+.1f}%")
    show = show.rename(columns={"lift_pct": "lift", "window_lift_pct": "window lift"})
    show = show.fillna("").astype(str).replace({"NaT": "", "nan": ""})
    columns, widths = _fitting_columns(show, console.width)
    left_out = [c for c in widths if c not in columns]
    table = frame_table(show[columns], title=f"Peaks over the next {horizon} {unit}",
                        max_rows=_PEAK_ROWS)
    for column in table.columns:
        name = str(column.header)
        # one word per line ('window / baseline / p50'), never cut inside 'peak_p1|0'
        column.header = name.replace("_", " ").replace(" ", "\n")
        column.width = widths[name]
        if name in _NAMES:
            column.overflow = "fold"  # a long name wraps
        else:
            column.no_wrap = True  # a number or a date is never cut
            column.justify = "left" if name in ("start", "end", "peak_ds") else "right"
    console.print(table)
    if left_out:
        names = ", ".join(c.replace("_", " ") for c in left_out)
        console.print(f"Not shown at {console.width} columns (too narrow): {names}; all are "
                      f"in {path}", highlight=False)
    if len(peaks) > _PEAK_ROWS:
        console.print(f"… {len(peaks) - _PEAK_ROWS} more rows in {path}", highlight=False)
