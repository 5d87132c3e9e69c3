"""Peak summaries of a forecast: for the whole horizon and for each event window.

The no-event baseline is the same model's forecast with an empty calendar; lift is the P50 at
the peak over that baseline's P50 on the same period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features._calendar import applies_to, normalize_calendar

from ._forecast_base import BaseForecaster

__all__ = ["PEAK_COLUMNS", "PeakForecast", "forecast_with_peaks", "peak_summary"]

PEAK_COLUMNS: tuple[str, ...] = (
    "series_id", "window", "start", "end", "peak_ds", "peak_p10", "peak_p50", "peak_p90",
    "baseline_p50", "lift_pct")
"""Columns of a peak summary.

window: 'horizon' or the event name; start/end: the span searched (event days inside the
horizon); peak_ds: period of the largest P50; peak_p10/p50/p90: forecast interval at that period;
baseline_p50: no-event forecast at that period (NaN when no baseline was given); lift_pct:
100 * (peak_p50 / baseline_p50 - 1).
"""


def _peak_row(sid: str, window: str, g: pd.DataFrame, base: pd.Series | None) -> dict:
    i = int(np.argmax(g["p50"].to_numpy()))
    row = g.iloc[i]
    b = float(base.get(row["ds"], np.nan)) if base is not None else np.nan
    lift = 100 * (row["p50"] / b - 1) if b and np.isfinite(b) and b > 0 else np.nan
    return {"series_id": sid, "window": window, "start": g["ds"].min(), "end": g["ds"].max(),
            "peak_ds": row["ds"], "peak_p10": float(row["p10"]), "peak_p50": float(row["p50"]),
            "peak_p90": float(row["p90"]), "baseline_p50": b, "lift_pct": float(lift)}


def peak_summary(
    forecast: pd.DataFrame,
    calendar: pd.DataFrame | None = None,
    baseline: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Peak date, magnitude with interval and lift, per series for the horizon and each event.

    Args:
        forecast: frame with ``series_id``, ``ds``, ``p10``, ``p50``, ``p90``.
        calendar: events whose windows (intersected with the horizon) get their own row.
        baseline: the no-event forecast (same columns) for the lift; None leaves lift NaN.
    """
    cal = normalize_calendar(calendar)
    rows = []
    for sid, g in forecast.groupby("series_id", sort=True):
        g = g.sort_values("ds").reset_index(drop=True)
        base = None
        if baseline is not None:
            b = baseline[baseline["series_id"] == sid]
            base = pd.Series(b["p50"].to_numpy(), index=pd.to_datetime(b["ds"]))
        rows.append(_peak_row(str(sid), "horizon", g, base))
        sub = cal[applies_to(cal, str(sid))] if not cal.empty else cal
        day = g["ds"].dt.normalize()
        for ev in sub.itertuples(index=False):
            inside = g[(day >= ev.start) & (day <= ev.end)]
            if not inside.empty:
                rows.append(_peak_row(str(sid), str(ev.name), inside, base))
    return pd.DataFrame(rows, columns=list(PEAK_COLUMNS))


@dataclass(frozen=True)
class PeakForecast:
    """A forecast with its no-event baseline and peak summary.

    Attributes:
        forecast: P10/P50/P90 per series and period with the calendar's events.
        baseline: the same model's forecast with no events.
        peaks: ``peak_summary`` of ``forecast`` (columns ``PEAK_COLUMNS``).
    """

    forecast: pd.DataFrame
    baseline: pd.DataFrame
    peaks: pd.DataFrame


def forecast_with_peaks(
    model: BaseForecaster,
    horizon: int,
    future_calendar: pd.DataFrame | None = None,
    future_regressors: pd.DataFrame | None = None,
) -> PeakForecast:
    """Forecast, forecast again without events, and summarise peaks and lifts."""
    fc = model.predict(horizon, future_calendar, future_regressors)
    empty = normalize_calendar(None)
    base = model.predict(horizon, empty, future_regressors)
    cal = future_calendar if future_calendar is not None else getattr(model, "calendar_", None)
    return PeakForecast(fc, base, peak_summary(fc, cal, base))
