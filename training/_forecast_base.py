"""Shared plumbing of the traffic forecasters: input checks, regular grids, transforms, output.

Every forecaster takes a long frame ``series_id`` (str), ``ds`` (datetime64, daily or hourly),
``y`` (float) plus optional known-in-advance numeric columns (regressors such as a promo flag),
and a calendar (``features._calendar.normalize_calendar`` columns). ``predict`` returns one row per
(series, future period): ``series_id``, ``ds``, ``p10``, ``p50``, ``p90``, ``model``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from features._calendar import normalize_calendar

__all__ = [
    "FORECAST_COLUMNS",
    "BaseForecaster",
    "Panel",
    "SeriesGrid",
    "prepare_panel",
    "steps_per_day",
]

FORECAST_COLUMNS: tuple[str, ...] = ("series_id", "ds", "p10", "p50", "p90", "model")
"""Columns of every forecast frame."""

QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)
_FREQ_DELTA = {"D": pd.Timedelta(days=1), "h": pd.Timedelta(hours=1)}


def steps_per_day(freq: str) -> int:
    """Number of periods in one day for ``freq`` ('D' -> 1, 'h' -> 24)."""
    return 24 if freq == "h" else 1


@dataclass
class SeriesGrid:
    """One series on a regular grid (gaps become NaN, never dropped).

    Attributes:
        series_id: the series name.
        ds: regular timestamps from the first to the last observation.
        y: observed values on the original scale (NaN where the input had no row).
        regressors: known-in-advance columns on the same grid (name -> values).
    """

    series_id: str
    ds: pd.DatetimeIndex
    y: np.ndarray
    regressors: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Panel:
    """All series of one fit, their frequency and the value transform.

    Attributes:
        freq: 'D' or 'h'.
        series: series id -> grid.
        regressor_names: known-in-advance columns, in input order.
        log: whether values are modelled as log1p(y) (all y >= 0) or as is.
    """

    freq: str
    series: dict[str, SeriesGrid]
    regressor_names: list[str]
    log: bool

    def fwd(self, y: np.ndarray) -> np.ndarray:
        """Values on the modelling scale."""
        return np.log1p(np.maximum(y, 0.0)) if self.log else np.asarray(y, dtype=float)

    def inv(self, z: np.ndarray) -> np.ndarray:
        """Values back on the original scale."""
        return np.maximum(np.expm1(z), 0.0) if self.log else np.asarray(z, dtype=float)

    @property
    def step(self) -> pd.Timedelta:
        """Length of one period."""
        return _FREQ_DELTA[self.freq]

    def future_index(self, series_id: str, horizon: int) -> pd.DatetimeIndex:
        """The ``horizon`` periods following the series' last observation."""
        last = self.series[series_id].ds[-1]
        return pd.date_range(last + self.step, periods=horizon, freq=self.freq)


def _infer_freq(ds: pd.Series, ids: pd.Series) -> str:
    diffs = ds.groupby(ids).diff().dropna()
    if diffs.empty:
        msg = ("series: cannot infer the frequency: every series has a single row; "
               "a forecaster needs at least two periods per series")
        raise ValueError(msg)
    step = diffs.min()
    if step == pd.Timedelta(days=1):
        return "D"
    if step == pd.Timedelta(hours=1):
        return "h"
    msg = (f"series: periods must be daily or hourly; the smallest gap between rows is {step}. "
           "Aggregate the series to days or hours first")
    raise ValueError(msg)


def prepare_panel(series: pd.DataFrame, transform: str = "auto") -> Panel:
    """Validate a long frame and put each series on a regular grid.

    Raises:
        ValueError: missing columns, duplicate (series_id, ds), non-numeric regressors, or an
            irregular frequency; the message names the column and the fix.
    """
    for col in ("series_id", "ds", "y"):
        if col not in series.columns:
            msg = (f"series: required column {col!r} is missing (columns received: "
                   f"{list(series.columns)}); pass a long frame with series_id, ds, y")
            raise ValueError(msg)
    frame = series.copy()
    frame["series_id"] = frame["series_id"].astype(str)
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame["y"] = pd.to_numeric(frame["y"], errors="coerce").astype(float)
    dup = frame.duplicated(["series_id", "ds"])
    if dup.any():
        first = frame.loc[dup, ["series_id", "ds"]].iloc[0].tolist()
        msg = (f"series: {int(dup.sum())} duplicate (series_id, ds) rows (first {first}); "
               "aggregate duplicates before forecasting")
        raise ValueError(msg)
    extra = [c for c in frame.columns if c not in ("series_id", "ds", "y")]
    for col in extra:
        vals = pd.to_numeric(frame[col], errors="coerce")
        if vals.isna().sum() > frame[col].isna().sum():
            msg = (f"series: known-in-advance column {col!r} has non-numeric values; "
                   "regressors must be numbers (encode flags as 0/1)")
            raise ValueError(msg)
        frame[col] = vals.astype(float)
    frame = frame.sort_values(["series_id", "ds"], kind="stable")
    freq = _infer_freq(frame["ds"], frame["series_id"])
    grids: dict[str, SeriesGrid] = {}
    for sid, g in frame.groupby("series_id", sort=True):
        g = g.set_index("ds")
        idx = pd.date_range(g.index.min(), g.index.max(), freq=freq)
        g = g.reindex(idx)
        grids[str(sid)] = SeriesGrid(
            series_id=str(sid), ds=idx, y=g["y"].to_numpy(dtype=float),
            regressors={c: g[c].to_numpy(dtype=float) for c in extra})
    if transform == "auto":
        log = bool(np.nanmin(frame["y"].to_numpy()) >= 0) if frame["y"].notna().any() else False
    elif transform in ("log", "log1p"):
        log = True
    elif transform in ("none", "identity"):
        log = False
    else:
        msg = f"transform must be 'auto', 'log1p' or 'none', received {transform!r}"
        raise ValueError(msg)
    return Panel(freq=freq, series=grids, regressor_names=extra, log=log)


def future_regressor_values(
    panel: Panel,
    series_id: str,
    index: pd.DatetimeIndex,
    future_regressors: pd.DataFrame | None,
) -> dict[str, np.ndarray]:
    """Known-in-advance values for ``index``; raises when a needed value is missing."""
    if not panel.regressor_names:
        return {}
    if future_regressors is None:
        msg = (f"predict: the model was fitted with known-in-advance columns "
               f"{panel.regressor_names}; pass future_regressors with series_id, ds and those "
               "columns for every forecast period")
        raise ValueError(msg)
    fr = future_regressors.copy()
    fr["series_id"] = fr["series_id"].astype(str)
    fr["ds"] = pd.to_datetime(fr["ds"])
    sub = fr[fr["series_id"] == series_id].set_index("ds").reindex(index)
    out: dict[str, np.ndarray] = {}
    for col in panel.regressor_names:
        if col not in sub.columns or sub[col].isna().any():
            missing = int(sub[col].isna().sum()) if col in sub.columns else len(index)
            msg = (f"predict: future_regressors lack {missing} values of {col!r} for series "
                   f"{series_id!r} between {index[0]} and {index[-1]}; supply every period")
            raise ValueError(msg)
        out[col] = sub[col].to_numpy(dtype=float)
    return out


class BaseForecaster:
    """Common interface: ``fit(series, calendar) -> self``; ``predict(horizon, ...) -> frame``.

    ``predict(horizon, future_calendar=None)`` uses the calendar given to ``fit`` (which may
    already hold future events); pass an empty frame to forecast with no events at all.
    """

    model_name: ClassVar[str] = "base"

    def get_params(self) -> dict[str, Any]:
        """Constructor settings (for logging)."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def fit(self, series: pd.DataFrame, calendar: pd.DataFrame | None = None) -> Self:
        """Learn from ``series`` (long frame) and ``calendar``; returns self."""
        raise NotImplementedError

    def predict(
        self,
        horizon: int,
        future_calendar: pd.DataFrame | None = None,
        future_regressors: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """P10/P50/P90 for the ``horizon`` periods after each series' last observation."""
        raise NotImplementedError

    def _calendar_for_predict(self, future_calendar: pd.DataFrame | None) -> pd.DataFrame:
        if future_calendar is None:
            return self.calendar_  # type: ignore[attr-defined]
        return normalize_calendar(future_calendar)

    def _check_fitted(self) -> None:
        if not hasattr(self, "panel_"):
            msg = f"{type(self).__name__}: call fit(series, calendar) before predict"
            raise RuntimeError(msg)

    @staticmethod
    def _check_horizon(horizon: int) -> int:
        if int(horizon) < 1:
            msg = f"predict: horizon must be a positive number of periods, received {horizon}"
            raise ValueError(msg)
        return int(horizon)

    def _frame(self, parts: list[pd.DataFrame]) -> pd.DataFrame:
        out = pd.concat(parts, ignore_index=True)
        # quantiles are ordered: p10 <= p50 <= p90
        q = np.sort(out[["p10", "p50", "p90"]].to_numpy(dtype=float), axis=1)
        out[["p10", "p50", "p90"]] = q
        out["model"] = self.model_name
        return out[list(FORECAST_COLUMNS)]
