"""The folds of a backtest: their origins, each fold's known-in-advance values, the series a
fold cannot score, and a forecaster whose longest horizon covers the folds'.

``backtest_origins`` checks the origins before anything is fitted or logged (a series with a
zoned ``ds`` on its local clock: ``training._forecast_backtest_zone``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._forecast_backtest_zone import local_origins, zoned_time
from ._forecast_base import BaseForecaster, steps_per_day
from ._forecast_panel import series_freq
from ._forecast_text import period_text
from ._forecast_zone import local_frame

__all__ = ["backtest_future_regressors", "backtest_origins", "cover_horizon"]


def _default_origins(series: pd.DataFrame, horizon: int, n_folds: int, step: int | None,
                     freq: str) -> list[pd.Timestamp]:
    delta = pd.Timedelta(days=1) if freq == "D" else pd.Timedelta(hours=1)
    last = pd.to_datetime(series["ds"]).max()
    step = step or horizon
    first = last - (horizon - 1) * delta
    return sorted(first - k * step * delta for k in range(n_folds))


def backtest_origins(series: pd.DataFrame, horizon: int,
                     origins: Sequence[str | pd.Timestamp] | None = None, n_folds: int = 5,
                     step: int | None = None) -> list[pd.Timestamp]:
    """The backtest's origins (``origins``, or ``n_folds`` ending at the last observation),
    checked before anything is fitted or logged.

    Raises:
        ValueError: an origin leaves no training data or no actuals. With default origins the
            message names the folds and horizon to lower: a 50-day file backtested with 2 folds
            of 60 days had been told of an origin the user never gave.

    A series whose ``ds`` has a time zone is read on its local clock, origins in its zone
    (``training._forecast_backtest_zone``), and its origins are given back in that zone.
    """
    series, zone = local_frame(series) if "series_id" in series.columns else (series, None)
    if zone is not None:
        found = backtest_origins(series, horizon, local_origins(origins, zone), n_folds, step)
        return [zoned_time(o, zone) for o in found]
    ds = pd.to_datetime(series["ds"])
    freq = series_freq(series)
    delta = pd.Timedelta(days=1) if freq == "D" else pd.Timedelta(hours=1)
    if origins is None:
        found = _default_origins(series, horizon, n_folds, step, freq)
    else:
        found = [pd.Timestamp(o) for o in origins]
    first, last = ds.min(), ds.max()
    bad = [o for o in found if o <= first or o > last]
    if not bad:
        return found
    span = f"{period_text(first)} .. {period_text(last)}"
    n = int((last - first) / delta) + 1
    unit = "days" if freq == "D" else "hours"
    if origins is None:
        need = (step or horizon) * (n_folds - 1) + horizon + 1
        msg = (f"backtest: {n_folds} fold(s) of horizon {horizon} need at least {need} {unit} "
               f"of history (the folds' actuals and some training data before the first), "
               f"the data has {n} ({span}); lower --folds or --horizon (library: n_folds, "
               f"horizon), or give --origins inside ({period_text(first)}, "
               f"{period_text(last)}]")
    else:
        shown = ", ".join(period_text(o) for o in bad[:3])
        msg = (f"backtest: origin(s) {shown} leave no training rows or no actuals; the data "
               f"covers {span}: choose origins after {period_text(first)} and at or before "
               f"{period_text(last)}")
    raise ValueError(msg)


def backtest_future_regressors(
    frame: pd.DataFrame,
    columns: Sequence[str],
    last: pd.Series,
    periods: int,
    freq: str,
) -> pd.DataFrame:
    """Known-in-advance values of one backtest fold for every period the model will forecast.

    The model forecasts ``periods`` periods after each series' last training row (``last``:
    series id -> timestamp), on a regular grid. Values come from ``frame`` (the whole series, as
    a promotion plan is known ahead). A grid period absent from ``frame`` (a gap, or past the
    series' last row) takes the series' previous known value (the next one before its first
    row). Such a period has no actual and is not scored, and each period's forecast reads only
    its own values, so the filled value changes no metric; it only lets the forecast run over
    the gap. Rows present in ``frame`` are used as they are. Predicting from user input never
    fills anything (see ``training._forecast_future.check_future_regressors``).

    Returns:
        ``series_id``, ``ds`` and ``columns``, one row per series and forecast period.
    """
    cols = list(columns)
    parts = []
    for sid, g in frame.groupby("series_id", sort=True):
        if sid not in last.index:
            continue
        idx = pd.date_range(last[sid], periods=periods + 1, freq=freq)[1:]
        known = g.set_index("ds")[cols]
        filled = known.reindex(known.index.union(idx)).ffill().bfill()
        absent = ~idx.isin(known.index)
        vals = known.reindex(idx)
        vals.loc[absent] = filled.loc[idx[absent]].to_numpy()
        parts.append(vals.rename_axis("ds").reset_index().assign(series_id=sid))
    if not parts:
        return pd.DataFrame(columns=["series_id", "ds", *cols])
    return pd.concat(parts, ignore_index=True)[["series_id", "ds", *cols]]


def cover_horizon(model: BaseForecaster, horizon: int, freq: str
                  ) -> tuple[BaseForecaster, str | None]:
    """``model`` with ``max_horizon_days`` raised to cover ``horizon`` periods, and a note.

    A forecaster trained for a fixed longest horizon (LightGBM's ``max_horizon_days``, 90 days
    by default) cannot forecast further; ``backtest`` and ``train`` take their horizon as that
    promise, so a longer ``horizon`` raises the setting (in whole days) rather than failing in
    the middle of a backtest. Other forecasters are returned unchanged.
    """
    days = horizon / steps_per_day(freq)
    limit = getattr(model, "max_horizon_days", None)
    if limit is None or days <= float(limit):
        return model, None
    need = int(np.ceil(days))
    raised = type(model)(**{**model.get_params(), "max_horizon_days": need})
    note = (f"{model.model_name}: max_horizon_days raised from {limit:g} to {need} to cover the "
            f"horizon of {horizon} periods")
    return raised, note


def _left_out(ids: list[str], train: pd.DataFrame, test: pd.DataFrame, freq: str
              ) -> dict[str, str]:
    """Series of the data that a fold cannot score, with the reason."""
    last_train = train.groupby("series_id")["ds"].max()
    has_actual = set(test.dropna(subset=["y"])["series_id"])
    out = {}
    for sid in ids:
        if sid not in last_train.index:
            out[sid] = "no rows before the origin"
        elif sid not in has_actual:
            last = last_train[sid]
            out[sid] = (f"no actuals in the window (last row "
                        f"{last.date() if freq == 'D' else last})")
    return out
