"""The forecasters' shared contract: the frames they take and give, ``Panel``, ``BaseForecaster``.

Every forecaster takes a long frame ``series_id`` (str), ``ds`` (datetime64, daily or hourly;
with a time zone, modelled on its local wall clock and answered in it:
``training._forecast_zone.local_frame``), ``y`` (float) plus optional known-in-advance numeric
columns (regressors such as a promo flag), and a calendar
(``features._calendar.normalize_calendar`` columns). ``predict`` returns one row per
(series, future period): ``series_id``, ``ds``, ``p10``, ``p50``, ``p90``, ``model``.

A fit's series on regular grids are a ``Panel`` (built by
``training._forecast_panel.prepare_panel``); it is pickled with every fitted forecaster, so it
and ``SeriesGrid`` stay in this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from features._calendar import (
    expand_store_channels,
    normalize_calendar,
    series_channel,
)

from ._forecast_ids import check_calendar_channels, unknown_series_text
from ._forecast_input import ForecastInputError
from ._forecast_zone import (
    _zoned_times,
    local_calendar,
    local_frame,
    nonexistent_local,
    zoned_periods,
)

__all__ = [
    "FORECAST_COLUMNS",
    "BaseForecaster",
    "Panel",
    "SeriesGrid",
    "kind_intensities",
    "steps_per_day",
]

FORECAST_COLUMNS: tuple[str, ...] = ("series_id", "ds", "p10", "p50", "p90", "model")
"""Columns of every forecast frame."""

QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)
_Z80 = 1.2815515655446004
"""The standard normal's 90% quantile: P10 and P90 lie this many standard deviations out."""
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
        start: the data's first period before ``started_panel`` cut any series (None: a
            panel not returned by it, whose series' first periods are the data's).
        tz: the time zone of a ``ds`` given with one (``local_frame``): the grids are its
            naive local wall-clock times, and forecasts are given back in it (None: ``ds``
            had no zone, and the grids are its times as given).
    """

    freq: str
    series: dict[str, SeriesGrid]
    regressor_names: list[str]
    log: bool
    start: pd.Timestamp | None = None
    tz: str | None = None

    @property
    def data_start(self) -> pd.Timestamp | None:
        """The data's first period: ``start`` when ``started_panel`` cut the panel (a page cut
        at its launch began after it), else its series' earliest (None: no series has one)."""
        given = getattr(self, "start", None)  # absent in panels saved before 2026-12-06
        if given is not None:
            return pd.Timestamp(given)
        return min((g.ds[0] for g in self.series.values() if len(g.ds)), default=None)

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


def _count_series(panel: Panel | None) -> set[str]:
    """Series whose history holds non-negative numbers, at least 99% of them whole (orders,
    visits; an hour repeated when clocks go back, read in local time, is the mean of two
    counts, 1.5)."""
    if panel is None:
        return set()
    out = set()
    for sid, g in panel.series.items():
        y = g.y[np.isfinite(g.y)]
        if len(y) and (y >= 0).all() and (y == np.round(y)).mean() >= 0.99:
            out.add(str(sid))
    return out


def kind_intensities(forecaster: object, by: str = "kind") -> dict[str, float]:
    """A fitted forecaster's usual intensity per event kind: the median over its training
    calendar's events, an intensity of 0 read as 1.0 as the event model reads it ("not
    given"). ``validate_calendar`` gives planned events without an intensity these.

    ``by="name"``: per event name without its year (``features._calendar.base_names``: the
    name the event model pools, 'Black Friday' for 'Black Friday 2024'), which
    ``validate_calendar`` takes before the kind's: a planned 'Black Friday 2025' is a Black
    Friday like the past ones (0.5 off), not the kind's usual sale (0.2 off, 47% of its lift).
    """
    from features._calendar import base_names

    cal = getattr(forecaster, "calendar_", None)
    if cal is None or not len(cal) or not {by, "intensity"} <= set(cal.columns):
        return {}
    i = pd.to_numeric(cal["intensity"], errors="coerce")
    i = i.where(i != 0, 1.0)
    keys = base_names(cal["name"]) if by == "name" else cal[by].astype(str)
    med = i.groupby(keys.to_numpy()).median().dropna()
    return {str(k): float(v) for k, v in med.items()}


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
        series: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """P10/P50/P90 for the ``horizon`` periods after each series' last observation.

        ``series``: forecast only these series (None: all). Each series' forecast reads only
        its own history, calendar events and known-in-advance values, so its rows are the
        same as in a forecast of every series (``future_regressors`` need only cover them).
        """
        raise NotImplementedError

    @property
    def cheap_without(self) -> bool:
        """Whether ``predict_without`` costs little per job (no forecast each), so that
        ``forecasts_without`` gives each event a job of its own instead of batching them."""
        return False

    def predict_without(
        self,
        horizon: int,
        calendar: pd.DataFrame | None,
        jobs: Sequence[tuple[Sequence[int], Sequence[str] | None]],
        future_regressors: pd.DataFrame | None = None,
    ) -> list[pd.DataFrame]:
        """For each ``(rows, series)`` of ``jobs``: ``predict(horizon, calendar without
        rows, future_regressors, series=series)``, ``rows`` being positions in the calendar as
        the model reads it, ``self._read_calendar(calendar)`` (for a calendar without zoned
        times, or a series without a zone, ``normalize_calendar(calendar)``; the forecasts
        without each event that shares days with others: ``forecasts_without``). Here one
        ``predict`` per job; the LightGBM forecaster, whose calendar enters after trees that
        read none, shares one pass of them and of the calendar between the jobs."""
        cal = self._read_calendar(calendar)
        return [self.predict(horizon, cal.drop(index=cal.index[list(rows)]).reset_index(
            drop=True), future_regressors, series=series) for rows, series in jobs]

    def _series_asked(self, series: Sequence[str] | None) -> list[str]:
        """The series ids ``predict`` forecasts, in the model's own order: every series for
        None, else those of ``series`` (an id the model does not know is a ValueError)."""
        own = list(self.panel_.series)  # type: ignore[attr-defined]
        if series is None:
            return own
        asked = {str(s) for s in series}
        if not asked:
            msg = "predict: series is empty; give the series ids to forecast, or None for all"
            raise ForecastInputError(msg, input="series")
        unknown = sorted(asked - set(own))
        if unknown:
            raise ForecastInputError(f"predict: {unknown_series_text(unknown, own)}",
                                     input="series")
        return [s for s in own if s in asked]

    def _read_calendar(self, calendar: pd.DataFrame | None) -> pd.DataFrame:
        """``calendar`` normalized as ``predict`` reads it: times with a zone in the series'
        zone (``local_calendar``), so ``predict_without`` drops the rows ``predict`` reads
        (until 2026-12-06 it read them as the day written: a Berlin midnight written in UTC,
        ``2025-01-09T23:00Z``, was 9 January there and 10 January in ``predict``)."""
        panel = getattr(self, "panel_", None)
        cal = normalize_calendar(local_calendar(calendar, getattr(panel, "tz", None)))
        if panel is None:
            return cal
        return expand_store_channels(cal, [str(s) for s in panel.series])[0]

    def _fit_calendar(self, calendar: pd.DataFrame | None) -> pd.DataFrame:
        """The training calendar, normalized and checked against the panel's channels; times
        with a zone read in the series' zone (``local_calendar``).

        A calendar already checked against every series of the data (``calendar_for_series``:
        ``--only total,channel=paid_search`` keeps the e-mail newsletters for the total) is
        taken as it is, and its channels are recorded (``calendar_channels_``): a later
        calendar with them is accepted too (``calendar_only_channels``). Until 2026-12-06 the
        model's own calendar was refused when the model was logged, and ``brain forecast
        train --only`` failed after its whole backtest."""
        panel = self.panel_  # type: ignore[attr-defined]
        cal = check_calendar_channels(local_calendar(calendar, getattr(panel, "tz", None)),
                                      [str(s) for s in panel.series],
                                      self.calendar_only_channels())
        if calendar is not None and calendar.attrs.get("channels_checked") and len(cal):
            seen = set(getattr(self, "calendar_channels_", ()))
            self.calendar_channels_ = tuple(sorted(seen | set(
                cal["channel"].dropna().astype(str))))
        return cal

    def calendar_only_channels(self) -> list[str]:
        """The channels of the checked training calendar that have no series of their own
        (their events concern the totals: ``--only total,channel=paid_search`` keeps the
        e-mail newsletters), which a calendar at predict time may name too, here and in ``POST
        /forecast_traffic``; none for a model saved before they were recorded."""
        have = {series_channel(str(s)) for s in self.panel_.series}  # type: ignore[attr-defined]
        return [c for c in getattr(self, "calendar_channels_", ()) if c not in have]

    def _local_future(self, future_regressors: pd.DataFrame | None) -> pd.DataFrame | None:
        """Known-in-advance rows whose ``ds`` has a zone on the local clock of a series given
        with one (``local_frame``: the repeated autumn hour's two rows averaged), as the
        model's periods are; other rows as given."""
        zone = getattr(getattr(self, "panel_", None), "tz", None)
        if (future_regressors is None or zone is None or "ds" not in future_regressors
                or "series_id" not in future_regressors):
            return future_regressors
        ds = _zoned_times(future_regressors["ds"], "future_regressors", "ds")
        if getattr(ds.dt, "tz", None) is None:
            return future_regressors
        return local_frame(future_regressors.assign(ds=ds.dt.tz_convert(zone)),
                           "future_regressors")[0]

    def _calendar_for_predict(self, future_calendar: pd.DataFrame | None) -> pd.DataFrame:
        if future_calendar is None:
            return self.calendar_  # type: ignore[attr-defined]
        return self._fit_calendar(future_calendar)

    def _check_fitted(self) -> None:
        if not hasattr(self, "panel_"):
            msg = f"{type(self).__name__}: call fit(series, calendar) before predict"
            raise RuntimeError(msg)

    @staticmethod
    def _check_horizon(horizon: int) -> int:
        if int(horizon) < 1:
            msg = f"predict: horizon must be a positive number of periods, received {horizon}"
            raise ForecastInputError(msg, input="horizon")
        return int(horizon)

    def _frame(self, parts: list[pd.DataFrame], extra: tuple[str, ...] = ()) -> pd.DataFrame:
        """``parts`` as one forecast frame (``FORECAST_COLUMNS``, and the ``extra`` columns of
        ``parts``): quantiles ordered, a count's P10/P90 whole numbers, the model's name, and
        no row for an hour the business time zone's clocks skip; for a series given with a
        zoned ``ds``, the periods back in its zone (``zoned_periods``)."""
        out = pd.concat(parts, ignore_index=True)
        # quantiles are ordered: p10 <= p50 <= p90
        q = np.sort(out[["p10", "p50", "p90"]].to_numpy(dtype=float), axis=1)
        counts = _count_series(getattr(self, "panel_", None))
        if counts:
            # a count's quantiles are whole numbers: P10 down, P90 up (P50 stays the central
            # estimate). A shop selling 0-5 orders a day had P10 at 0.07-0.26, so every day
            # without an order fell outside its 80% interval (coverage 53%)
            on = out["series_id"].astype(str).isin(counts).to_numpy()
            q[on, 0] = np.floor(q[on, 0] + 1e-9)
            q[on, 2] = np.ceil(q[on, 2] - 1e-9)
        out[["p10", "p50", "p90"]] = q
        out["model"] = self.model_name
        tz = getattr(self, "time_zone_", None)  # set by train_and_register; older models: None
        panel = getattr(self, "panel_", None)
        zone = getattr(panel, "tz", None)  # a ds given with a zone: back in it
        if zone and panel is not None and getattr(out["ds"].dtype, "tz", None) is None:
            out = zoned_periods(out, zone, hourly=panel.step < pd.Timedelta(days=1))
        elif tz and len(out) and panel is not None and panel.step < pd.Timedelta(days=1):
            # an hour the clocks skip in the business time zone has no traffic: no row
            gone = nonexistent_local(pd.DatetimeIndex(out["ds"]), tz)
            out = out[~gone].reset_index(drop=True)
        return out[[*FORECAST_COLUMNS, *extra]]
