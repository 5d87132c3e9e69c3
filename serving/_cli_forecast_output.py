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
    return row.map(lambda v: "" if pd.isna(v) else f"{v:,.{places}f}")


def peaks_table(peaks: pd.DataFrame, horizon: int, unit: str, path: Path) -> None:
    """Print the peaks with readable numbers (lifts as percentages), the rest in ``path``."""
    # an hourly peak keeps its hour even at midnight (astype(str) wrote a lone midnight peak
    # as a date)
    fmt = "%Y-%m-%d %H:%M" if unit == "hours" else "%Y-%m-%d"
    show = peaks.assign(peak_ds=pd.to_datetime(peaks["peak_ds"]).dt.strftime(fmt),
                        start=peaks["start"].dt.date.astype(str),
                        end=peaks["end"].dt.date.astype(str))
    interval = ["peak_p10", "peak_p50", "peak_p90"]
    sums = ["window_p10", "window_p50", "window_p90", "window_baseline_p50"]
    amounts = [*interval, "baseline_p50", *sums]
    show[interval] = show[interval].apply(_amounts, axis=1)
    show["baseline_p50"] = show[["baseline_p50"]].apply(_amounts, axis=1)
    show[sums] = show[sums].apply(_amounts, axis=1)
    for col in ("lift_pct", "window_lift_pct"):
        show[col] = show[col].map(lambda v: "" if pd.isna(v) else f"{v:+.1f}%")
    show = show.rename(columns={"lift_pct": "lift", "window_lift_pct": "window lift"})
    table = frame_table(show, title=f"Peaks over the next {horizon} {unit}",
                        max_rows=_PEAK_ROWS)
    dates = ("start", "end", "peak_ds")
    for column in table.columns:
        name = str(column.header)
        # headers wrap between words ('window baseline p50'), not inside 'peak_p1|0'
        column.header = name.replace("_", " ")
        if name in dates:
            # a date is never cut: at 160 columns the 15 columns had cut it to '2025-12…';
            # the other columns give up their width instead
            # (start and end are days even on an hourly model: only the peak has an hour)
            shown = fmt if name == "peak_ds" else "%Y-%m-%d"
            column.width = max(len(shown.replace("%Y", "2000")), len(name))
            column.no_wrap = True
        elif name in (*amounts, "lift", "window lift"):
            column.justify = "right"
        else:
            column.overflow = "fold"  # a series or window name wraps
    console.print(table)
    if len(peaks) > _PEAK_ROWS:
        console.print(f"… {len(peaks) - _PEAK_ROWS} more rows in {path}", highlight=False)
