"""Seasonal-naive, Prophet and ensemble forecasters, and a factory by name.

All follow ``BaseForecaster``: ``fit(series, calendar) -> self`` and
``predict(horizon, future_calendar=None, future_regressors=None)`` returning ``series_id``,
``ds``, ``p10``, ``p50``, ``p90``, ``model``. The LightGBM forecaster lives in ``_forecast_gbm``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from features._calendar import applies_to

from ._forecast_base import _Z80, BaseForecaster, Panel, steps_per_day
from ._forecast_event_days import pooled_names
from ._forecast_events import EventEffects
from ._forecast_future import future_regressor_values
from ._forecast_gbm import LightGBMForecaster
from ._forecast_panel import prepare_panel, started_panel

__all__ = [
    "FORECASTERS",
    "EnsembleForecaster",
    "EventNaiveForecaster",
    "ProphetForecaster",
    "SeasonalNaiveForecaster",
    "make_forecaster",
]


class SeasonalNaiveForecaster(BaseForecaster):
    """Repeat the last observed season (a week of days or of hours); the usual baseline.

    Intervals come from the empirical quantiles of in-sample seasonal differences, widened by
    the square root of the number of seasons ahead (Hyndman & Athanasopoulos, *Forecasting:
    Principles and Practice*, 3rd ed., section 5.5). The calendar is ignored.

    Args:
        season_days: season length in days (7: weekly).
        transform: 'auto' (log1p when y >= 0), 'log1p' or 'none'.
    """

    model_name = "seasonal_naive"

    def __init__(self, season_days: int = 7, transform: str = "auto") -> None:
        self.season_days = season_days
        self.transform = transform

    def fit(self, series: pd.DataFrame, calendar: pd.DataFrame | None = None) -> Self:
        """Remember the last season and the seasonal-difference quantiles of each series."""
        self.panel_: Panel = prepare_panel(series, self.transform, local=True)
        self.calendar_ = self._fit_calendar(calendar)
        self.m_ = self.season_days * steps_per_day(self.panel_.freq)
        self._learn()
        self.state_: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        # the zeros before a series' own start (``started_panel``: a page exported before its
        # launch) are no history of it: read as one, the step from 0 to the launch was a
        # seasonal difference, and a page exported 10 days before its launch had a band whose
        # pinball loss ran 43,335 against 0.099 for the same page exported from its launch
        started = started_panel(self.panel_, self.calendar_)[1]
        for sid, g in self.panel_.series.items():
            z = self._history(sid, self.panel_.fwd(g.y))
            if sid in started:
                z = z[int(g.ds.searchsorted(started[sid])):]
            z = pd.Series(z)
            # fill gaps with the value one season earlier so the last season is complete
            for _ in range(4):
                z = z.fillna(z.shift(self.m_))
            z = z.ffill().bfill()
            last = self._last_season(z.to_numpy())
            diff = (z - z.shift(self.m_)).dropna().to_numpy()
            qs = (np.quantile(diff, [0.1, 0.9]) if len(diff) >= 10
                  else np.array([-1.0, 1.0]) * (np.std(z) if len(z) > 1 else 1.0))
            self.state_[sid] = (last, qs)
        return self

    def _learn(self) -> None:
        """What the forecaster learns from ``panel_`` and ``calendar_`` before it keeps each
        series' last season (here: nothing)."""

    def _history(self, sid: str, z: np.ndarray) -> np.ndarray:
        """The series on the modelling scale as the forecast repeats it (here: as observed)."""
        return z

    def _last_season(self, z: np.ndarray) -> np.ndarray:
        """The season repeated into the future: the last one observed."""
        last = z[-self.m_:]
        return np.resize(last, self.m_) if len(last) < self.m_ else last

    def _lifts(self, horizon: int, future_calendar: pd.DataFrame | None, asked: Sequence[str]
               ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per series of ``asked``, the lift and its variances below and above for each
        forecast period (none here: the calendar is ignored)."""
        return {}

    def predict(
        self,
        horizon: int,
        future_calendar: pd.DataFrame | None = None,
        future_regressors: pd.DataFrame | None = None,
        series: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Last season repeated; the calendar and regressors are not used."""
        self._check_fitted()
        horizon = self._check_horizon(horizon)
        asked = self._series_asked(series)
        lifts = self._lifts(horizon, future_calendar, asked)
        parts = []
        for sid in asked:
            last, qs = self.state_[sid]
            idx = self.panel_.future_index(sid, horizon)
            h = np.arange(horizon)
            mid = last[h % self.m_]
            k = np.sqrt(h // self.m_ + 1)
            lo, hi = -qs[0] * k, qs[1] * k
            if sid in lifts:
                lift, var_lo, var_hi = lifts[sid]
                mid = mid + lift
                lo = np.sqrt(lo**2 + _Z80**2 * var_lo)
                hi = np.sqrt(hi**2 + _Z80**2 * var_hi)
            inv = self.panel_.inv
            parts.append(pd.DataFrame({"series_id": sid, "ds": idx, "p10": inv(mid - lo),
                                       "p50": inv(mid), "p90": inv(mid + hi)}))
        return self._frame(parts)


class EventNaiveForecaster(SeasonalNaiveForecaster):
    """Seasonal naive that knows the calendar: the yardstick a promotion-driven series deserves.

    The plain seasonal naive repeats last week, promotion and all, into a week without one (an
    independent check's stores alternated promotions weekly: naive MASE 0.727 against 0.330 for
    LightGBM, where a promotion-aware naive reached 0.348). Here the history is cleaned of
    event days (``EventEffects``: each event day replaced by its local no-event baseline), the
    median of the last ``seasons`` cleaned seasons is repeated per phase (same weekday, or hour
    of the week), and the learned event lifts are added on the future calendar's event days.
    Intervals: the cleaned history's seasonal differences (as the seasonal naive), widened by
    the lift's variance on event days. Known-in-advance columns are not used.

    Args:
        season_days: season length in days (7: weekly).
        seasons: seasons whose median per phase is repeated.
        transform: 'auto' (log1p when y >= 0), 'log1p' or 'none'.
    """

    model_name = "seasonal_naive_events"

    def __init__(self, season_days: int = 7, seasons: int = 4, transform: str = "auto") -> None:
        super().__init__(season_days, transform)
        self.seasons = seasons

    def _learn(self) -> None:
        """The event lifts, and with them the history cleaned of event days."""
        self.effects_ = EventEffects().fit(self.panel_, self.calendar_)
        self.effects_.fit_obs_ = None  # read by ``LightGBMForecaster`` only

    def _history(self, sid: str, z: np.ndarray) -> np.ndarray:
        return np.asarray(self.effects_.clean_.get(sid, z), dtype=float)

    def _last_season(self, z: np.ndarray) -> np.ndarray:
        n = min(len(z) // self.m_, max(1, int(self.seasons)))
        if n < 1:
            return super()._last_season(z)
        return np.median(z[len(z) - n * self.m_:].reshape(n, self.m_), axis=0)

    def _lifts(self, horizon: int, future_calendar: pd.DataFrame | None, asked: Sequence[str]
               ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        index = {sid: self.panel_.future_index(sid, horizon) for sid in asked}
        return self.effects_.lift_many(index, self._calendar_for_predict(future_calendar))


def _quiet_prophet() -> None:
    for name in ("prophet", "cmdstanpy"):
        logging.getLogger(name).setLevel(logging.ERROR)


class ProphetForecaster(BaseForecaster):
    """Prophet per series, calendar events as holidays, intensity as an extra regressor.

    Each event becomes a holiday named after it, with its window from ``start`` to ``end``.
    When intensities vary, ``event_intensity`` (largest intensity covering the day) is added as
    a regressor. Known-in-advance columns of the series are added as regressors too. Values are
    modelled on the log1p scale for counts (``transform='auto'``), which makes seasonality and
    events multiplicative on the original scale.

    Args:
        interval_width: central interval width (0.8 gives P10/P90).
        uncertainty_samples: simulation draws for intervals.
        changepoint_prior_scale, holidays_prior_scale: Prophet priors.
        transform: 'auto', 'log1p' or 'none'.
        seed: seed for Prophet's interval simulation.
    """

    model_name = "prophet"

    def __init__(
        self,
        interval_width: float = 0.8,
        uncertainty_samples: int = 300,
        changepoint_prior_scale: float = 0.05,
        holidays_prior_scale: float = 10.0,
        transform: str = "auto",
        seed: int = 0,
    ) -> None:
        self.interval_width = interval_width
        self.uncertainty_samples = uncertainty_samples
        self.changepoint_prior_scale = changepoint_prior_scale
        self.holidays_prior_scale = holidays_prior_scale
        self.transform = transform
        self.seed = seed

    @staticmethod
    def _holidays(cal: pd.DataFrame, sid: str) -> pd.DataFrame | None:
        sub = cal[applies_to(cal, sid)] if not cal.empty else cal
        if sub.empty:
            return None
        return pd.DataFrame({
            "holiday": sub["name"].astype(str).to_numpy(),
            "ds": sub["start"].to_numpy(),
            "lower_window": 0,
            "upper_window": ((sub["end"] - sub["start"]).dt.days).astype(int).to_numpy(),
        })

    @staticmethod
    def _as_fitted(holidays: pd.DataFrame, fitted: pd.DataFrame, first: pd.Timestamp,
                   last: pd.Timestamp) -> pd.DataFrame:
        """``holidays`` with each name that never occurred in the history (``first`` ..
        ``last``) but is a past event's name with another year ('Ascension 2025' after
        'Ascension 2023' and 'Ascension 2024') renamed to that event's latest name seen in the
        history, whose fitted effect it then gets. Such a name has no fitted effect (a name
        Prophet never saw is dropped, one seen only in the future calendar has a zero column
        in training): a planned 'Ascension 2025' changed nothing, and 60 stores closed that
        day were forecast at normal sales (17,903 for one). The fit is unchanged (pooling the
        names there made the bands of a check's stores 99% wide)."""
        end = fitted["ds"] + pd.to_timedelta(fitted["upper_window"], unit="D")
        past = fitted[(fitted["ds"] <= last) & (end >= first.normalize())]
        seen = set(past["holiday"])
        new = ~holidays["holiday"].isin(seen)
        if past.empty or not new.any():
            return holidays
        latest = past.sort_values("ds", kind="stable")
        base = pooled_names(latest.rename(columns={"holiday": "name"}))["name"]
        name_of = dict(zip(base, latest["holiday"], strict=True))  # the last one wins
        asked = pooled_names(holidays.loc[new].rename(columns={"holiday": "name"}))["name"]
        renamed = asked.map(name_of)
        out = holidays.copy()
        out.loc[new, "holiday"] = renamed.where(renamed.notna(), holidays.loc[new, "holiday"])
        return out

    @staticmethod
    def _intensity(cal: pd.DataFrame, sid: str, ds: pd.Series) -> np.ndarray:
        sub = cal[applies_to(cal, sid)] if not cal.empty else cal
        out = np.zeros(len(ds))
        day = pd.to_datetime(ds).dt.normalize().to_numpy()
        for ev in sub.itertuples(index=False):
            cover = (day >= np.datetime64(ev.start)) & (day <= np.datetime64(ev.end))
            out = np.where(cover, np.maximum(out, ev.intensity), out)
        return out

    def fit(self, series: pd.DataFrame, calendar: pd.DataFrame | None = None) -> Self:
        """Fit one Prophet model per series."""
        from prophet import Prophet

        _quiet_prophet()
        self.panel_: Panel = prepare_panel(series, self.transform, local=True)
        self.calendar_ = self._fit_calendar(calendar)
        self.use_intensity_ = bool(self.calendar_["intensity"].nunique() > 1)
        hourly = self.panel_.freq == "h"
        self.models_: dict[str, Any] = {}
        for sid, g in self.panel_.series.items():
            df = pd.DataFrame({"ds": g.ds, "y": self.panel_.fwd(g.y)})
            for name, vals in g.regressors.items():
                df[name] = vals
            model = Prophet(
                holidays=self._holidays(self.calendar_, sid),
                interval_width=self.interval_width,
                uncertainty_samples=self.uncertainty_samples,
                changepoint_prior_scale=self.changepoint_prior_scale,
                holidays_prior_scale=self.holidays_prior_scale,
                daily_seasonality=hourly,
                yearly_seasonality="auto",
                weekly_seasonality="auto",
            )
            if self.use_intensity_:
                df["event_intensity"] = self._intensity(self.calendar_, sid, df["ds"])
                model.add_regressor("event_intensity")
            for name in g.regressors:
                model.add_regressor(name)
            df = df.dropna(subset=["y"])
            model.fit(df)
            self.models_[sid] = model
        return self

    def predict(
        self,
        horizon: int,
        future_calendar: pd.DataFrame | None = None,
        future_regressors: pd.DataFrame | None = None,
        series: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Prophet forecast with the (future) calendar's events as holidays."""
        self._check_fitted()
        horizon = self._check_horizon(horizon)
        cal = self._calendar_for_predict(future_calendar)
        future_regressors = self._local_future(future_regressors)
        parts = []
        for sid in self._series_asked(series):
            model = self.models_[sid]
            idx = self.panel_.future_index(sid, horizon)
            df = pd.DataFrame({"ds": idx})
            for name, vals in future_regressor_values(self.panel_, sid, idx,
                                                      future_regressors).items():
                df[name] = vals
            if self.use_intensity_:
                df["event_intensity"] = self._intensity(cal, sid, df["ds"])
            holidays = self._holidays(cal, sid)
            fitted = self._holidays(self.calendar_, sid)
            if holidays is not None and fitted is not None:
                grid = self.panel_.series[sid].ds
                holidays = self._as_fitted(holidays, fitted, grid[0], grid[-1])
            if fitted is None:
                holidays = None  # fitted without events: Prophet has no column for any
            if fitted is not None and holidays is not None:
                # only the names and days the fit has columns for: a planned window longer
                # than the fitted one ('Summer sale 2025' of 10 days, renamed to the 7-day
                # 'Summer sale 2024') asked for columns Prophet never fitted and failed with
                # 'A bug occurred in constructing regressors'; the extra days get no effect
                longest = fitted.groupby("holiday")["upper_window"].max()
                holidays = holidays[holidays["holiday"].isin(longest.index)]
                holidays = holidays.assign(upper_window=np.minimum(
                    holidays["upper_window"].to_numpy(dtype=int),
                    holidays["holiday"].map(longest).to_numpy(dtype=int)))
            if fitted is not None:
                # every event name of the fit, once, long before the data, with its longest
                # window: Prophet needs each fitted holiday column even where the forecast's
                # calendar lacks the name (the no-event baseline of 'brain forecast predict'
                # and the API: None had crashed with "'DataFrame' object has no attribute
                # 'holiday'", and Prophet's own filler gives a multi-day event one column)
                names = fitted.groupby("holiday", sort=False)["upper_window"].max()
                dummies = pd.DataFrame({"holiday": names.index.to_numpy(dtype=object),
                                        "ds": pd.Timestamp("1900-01-01"),
                                        "lower_window": 0,
                                        "upper_window": names.to_numpy(dtype=int)})
                holidays = pd.concat([dummies, holidays], ignore_index=True)
            model.holidays = holidays
            np.random.seed(self.seed)  # Prophet draws interval samples from the global RNG  # noqa: NPY002
            fc = model.predict(df)
            inv = self.panel_.inv
            parts.append(pd.DataFrame({
                "series_id": sid, "ds": idx,
                "p10": inv(fc["yhat_lower"].to_numpy()), "p50": inv(fc["yhat"].to_numpy()),
                "p90": inv(fc["yhat_upper"].to_numpy())}))
        return self._frame(parts)


class EnsembleForecaster(BaseForecaster):
    """Average of member forecasts' quantiles on the modelling scale (quantile averaging).

    Args:
        members: forecaster names (see ``FORECASTERS``) or instances.
        weights: weight per member (default equal).
    """

    model_name = "ensemble"

    def __init__(self, members: tuple[str | BaseForecaster, ...] = ("lightgbm", "prophet"),
                 weights: tuple[float, ...] | None = None) -> None:
        self.members = members
        self.weights = weights

    def fit(self, series: pd.DataFrame, calendar: pd.DataFrame | None = None) -> Self:
        """Fit every member on the same data."""
        self.panel_: Panel = prepare_panel(series, local=True)
        self.calendar_ = self._fit_calendar(calendar)
        self.members_ = [make_forecaster(m) if isinstance(m, str) else m for m in self.members]
        for m in self.members_:
            m.fit(series, calendar)
        return self

    def predict(
        self,
        horizon: int,
        future_calendar: pd.DataFrame | None = None,
        future_regressors: pd.DataFrame | None = None,
        series: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Weighted average of the members' P10/P50/P90 (log1p scale for counts)."""
        self._check_fitted()
        asked = None if series is None else self._series_asked(series)
        frames = [m.predict(horizon, future_calendar, future_regressors, series=asked)
                  for m in self.members_]
        return self._combine(frames)

    @property
    def cheap_without(self) -> bool:
        """Whether every member's ``predict_without`` is cheap (one with Prophet is not)."""
        return all(m.cheap_without for m in self.members_)

    def predict_without(
        self,
        horizon: int,
        calendar: pd.DataFrame | None,
        jobs: Sequence[tuple[Sequence[int], Sequence[str] | None]],
        future_regressors: pd.DataFrame | None = None,
    ) -> list[pd.DataFrame]:
        """``BaseForecaster.predict_without``: each member's (the LightGBM member's from one
        pass of its trees, a member without such a path one ``predict`` per job), combined
        per job as ``predict`` combines them, so each frame is the one ``predict`` gives."""
        self._check_fitted()
        own = [(rows, None if series is None else self._series_asked(series))
               for rows, series in jobs]
        per_member = [m.predict_without(horizon, calendar, own, future_regressors)
                      for m in self.members_]
        return [self._combine([frames[k] for frames in per_member]) for k in range(len(own))]

    def _combine(self, frames: list[pd.DataFrame]) -> pd.DataFrame:
        """The members' forecasts of the same periods, their quantiles averaged with the
        weights on the modelling scale."""
        w = np.asarray(self.weights or [1.0] * len(self.members_), dtype=float)
        w = w / w.sum()
        out = frames[0][["series_id", "ds"]].copy()
        for col in ("p10", "p50", "p90"):
            z = sum(wi * self.panel_.fwd(f[col].to_numpy()) for wi, f in zip(w, frames,
                                                                            strict=True))
            out[col] = self.panel_.inv(np.asarray(z))
        return self._frame([out])


FORECASTERS: dict[str, type[BaseForecaster]] = {
    "lightgbm": LightGBMForecaster,
    "prophet": ProphetForecaster,
    "seasonal_naive": SeasonalNaiveForecaster,
    "seasonal_naive_events": EventNaiveForecaster,
    "ensemble": EnsembleForecaster,
}
"""Forecasters by name (the CLI's ``--model`` choices)."""


def make_forecaster(name: str, **params: Any) -> BaseForecaster:
    """Build a forecaster by name with constructor ``params``."""
    if name not in FORECASTERS:
        msg = f"unknown forecaster {name!r}; choose one of {sorted(FORECASTERS)}"
        raise ValueError(msg)
    return FORECASTERS[name](**params)
