"""A series with no live history, planned to start with an event (a product launch): its
forecast from the first weeks of the series that started with an event of that kind.

A page exported at 0 before its launch has nothing of its own to forecast from: the trees read
its zeros, and the launch lift, learned on the launched pages against their own level, added to
a level of 0 is still about 0. What the history does know is how other series started. A
series *started with* an event of kind K when its first value above 0 (or below) lies inside
the window of a K event of its own channel (or the ``lead_days`` before it) and after the first
period of the data (it was not live from the start). Each such series gives its trajectory
from its event's first day on: on the modelling scale (log1p for counts), its own weekly shape
taken out (the median by phase of the deviations from a centred one-season mean). Per period
since the start, the trajectories' mean and spread across the series give the forecast of a new
series whose own channel has a K event planned after the end of its history (with at least
``MIN_STARTERS`` series behind K):

- P50: the mean of the trajectories at that period since the start (the geometric mean of the
  series' values: with no history the new series has no scale of its own, so it gets the
  typical level of those that started before it), plus the median weekly shape of those series
  at the forecast period's weekday (or hour of the week);
- P10 / P90: that mean -/+ Student's t (n - 1 degrees of freedom, n series) times their spread
  across the series times sqrt(1 + 1/n): a prediction interval for one more series, so the band
  is as wide as the launches differed (the spread is averaged over a season of periods, so it
  does not jump from one day to the next);
- after the last period since the start that two series have reached, the last such period's
  level, flat;
- before the event's first day: the model's own forecast (about 0).

A series of zeros only with no such event keeps the model's forecast (about 0): no level is
invented for it. ``start_notes`` says which series were forecast either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from features._calendar import normalize_calendar, series_channel

from ._forecast_base import Panel, listed, period_text

__all__ = ["MIN_STARTERS", "StartProfile", "dormant_series", "fit_start_profiles", "is_dormant",
           "planned_start", "start_forecast", "start_notes"]

MIN_STARTERS = 2
"""Fewest series that started with an event of a kind before its profile is used."""


@dataclass(frozen=True)
class StartProfile:
    """How the series that started with an event of one kind ran from its first day on.

    Attributes:
        kind: the event kind (``launch``).
        series: the series that started with it, in the panel's order.
        mean: per period since the event's first day, the mean of their trajectories on the
            modelling scale, weekly shape taken out (NaN where fewer than 2 series reached it).
        sd: their spread across the series there (standard deviation, smoothed over a season).
        n: how many series reached that period.
        phase: their median weekly shape, one value per phase (weekday, or hour of the week).
    """

    kind: str
    series: tuple[str, ...]
    mean: np.ndarray
    sd: np.ndarray
    n: np.ndarray
    phase: np.ndarray


def _phase_of(ds: pd.DatetimeIndex, m: int) -> np.ndarray:
    """Phase of each period within the week: the weekday (daily), the hour of the week."""
    spd = m // 7
    return (ds.day_of_week.to_numpy() * spd + (ds.hour.to_numpy() if spd > 1 else 0)).astype(int)


def _weekly_shape(z: np.ndarray, ds: pd.DatetimeIndex, m: int) -> np.ndarray:
    """A series' weekly shape: per phase, the median deviation from the centred one-season mean
    (0 where under two seasons were seen), centred on 0."""
    out = np.zeros(m)
    ok = np.isfinite(z)
    if ok.sum() < 2 * m:
        return out
    mean = pd.Series(z).rolling(m, center=True, min_periods=m).mean().to_numpy()
    dev = z - mean
    phase = _phase_of(ds, m)
    for p in range(m):
        v = dev[(phase == p) & np.isfinite(dev)]
        if len(v):
            out[p] = float(np.median(v))
    return out - out.mean()


def _live(y: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.isfinite(y) & (y != 0))


def fit_start_profiles(panel: Panel, calendar: pd.DataFrame | None, max_periods: int,
                       lead_days: int = 2) -> dict[str, StartProfile]:
    """Per event kind that at least ``MIN_STARTERS`` series started with (module docstring),
    their profile over the ``max_periods`` periods from the event's first day."""
    cal = normalize_calendar(calendar)
    cal = cal[cal["channel"].notna().to_numpy(dtype=bool)]
    if cal.empty or not panel.series:
        return {}
    m = 7 * (24 if panel.freq == "h" else 1)
    data_start = min(g.ds[0] for g in panel.series.values() if len(g.ds))
    lead = pd.Timedelta(days=lead_days)
    found: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = {}
    for sid, g in panel.series.items():
        live, chan = _live(g.y), series_channel(sid)
        if not len(live) or chan is None or g.ds[live[0]] <= data_start:
            continue
        day = g.ds[live[0]].normalize()
        own = cal[(cal["channel"] == chan).fillna(value=False).to_numpy(dtype=bool)]
        hits = own[((own["start"] - lead <= day) & (day <= own["end"])).to_numpy(dtype=bool)]
        if hits.empty:
            continue
        ev = hits.sort_values("start", kind="stable").iloc[0]
        z = panel.fwd(g.y)
        shape = _weekly_shape(z, g.ds, m)
        d = np.asarray((g.ds - pd.Timestamp(ev["start"])) / panel.step).round().astype(int)
        keep = (d >= 0) & (d < max_periods) & np.isfinite(z)
        traj = np.full(max_periods, np.nan)
        traj[d[keep]] = z[keep] - shape[_phase_of(g.ds[keep], m)]
        found.setdefault(str(ev["kind"]), []).append((str(sid), traj, shape))
    out: dict[str, StartProfile] = {}
    for kind, rows in found.items():
        if len(rows) < MIN_STARTERS:
            continue
        stack = np.vstack([r[1] for r in rows])
        n = np.isfinite(stack).sum(axis=0)
        mean = np.full(max_periods, np.nan)
        var = np.full(max_periods, np.nan)
        enough = n >= MIN_STARTERS
        mean[enough] = np.nanmean(stack[:, enough], axis=0)
        var[enough] = np.nanvar(stack[:, enough], axis=0, ddof=1)
        # the spread as a season's average (the mean keeps its day-to-day course: a launch
        # peaks on its first day)
        sd = np.sqrt(pd.Series(var).rolling(m, center=True, min_periods=1).mean().to_numpy())
        sd[~enough] = np.nan
        out[kind] = StartProfile(kind=kind, series=tuple(r[0] for r in rows), mean=mean, sd=sd,
                                 n=n, phase=np.median(np.vstack([r[2] for r in rows]), axis=0))
    return out


def is_dormant(y: np.ndarray) -> bool:
    """Whether a history has no value other than 0 (or missing): nothing to forecast from."""
    return not len(_live(np.asarray(y, dtype=float)))


def planned_start(profiles: dict[str, StartProfile], series_id: str,
                  calendar: pd.DataFrame | None, first: pd.Timestamp, last: pd.Timestamp
                  ) -> pd.Series | None:
    """The first event of the series' own channel starting between ``first`` and ``last`` (the
    forecast periods) whose kind has a profile, as a calendar row; None when there is none."""
    chan = series_channel(series_id)
    if chan is None or not profiles:
        return None
    cal = normalize_calendar(calendar)
    hit = cal[(cal["channel"] == chan).fillna(value=False).to_numpy(dtype=bool)
              & cal["kind"].astype(str).isin(list(profiles)).to_numpy(dtype=bool)
              & (cal["start"] >= first.normalize()).to_numpy(dtype=bool)
              & (cal["start"] <= last).to_numpy(dtype=bool)]
    if hit.empty:
        return None
    return hit.sort_values("start", kind="stable").iloc[0]


def start_forecast(profile: StartProfile, start: pd.Timestamp, index: pd.DatetimeIndex,
                   step: pd.Timedelta) -> tuple[np.ndarray, np.ndarray]:
    """P10/P50/P90 on the modelling scale for the periods of ``index`` from ``start`` on (rows
    of NaN before it), and the mask of those periods."""
    m = len(profile.phase)
    d = np.asarray((index - start) / step).round().astype(int)
    on = d >= 0
    usable = np.flatnonzero(np.isfinite(profile.mean))
    q = np.full((len(index), 3), np.nan)
    if not on.any() or not len(usable):
        return q, np.zeros(len(index), bool)
    at = np.minimum(d[on], usable[-1])
    at = usable[np.clip(np.searchsorted(usable, at, side="right") - 1, 0, len(usable) - 1)]
    n = profile.n[at].astype(float)
    t = stats.t.ppf(0.9, np.maximum(n - 1, 1)) if len(n) else np.zeros(0)
    mid = profile.mean[at] + profile.phase[_phase_of(index[on], m)]
    half = t * profile.sd[at] * np.sqrt(1 + 1 / n)
    q[on] = np.column_stack([mid - half, mid, mid + half])
    return q, on


def _holder(model: object) -> object | None:
    """The model, or its ensemble member, that forecasts starts (has ``starts_``)."""
    return next((h for h in (model, *getattr(model, "members_", [])) if hasattr(h, "starts_")),
                None)


def dormant_series(model: object, calendar: pd.DataFrame | None, begin: pd.Timestamp,
                   end: pd.Timestamp, series: list[str] | None = None
                   ) -> dict[str, pd.Series | None] | None:
    """The series of the model (of ``series``, default every one) with no live history, each
    with its planned start between ``begin`` and ``end`` as ``predict`` reads it
    (``planned_start``; None: none). None for models that do not forecast starts."""
    fc = _holder(model)
    if fc is None:
        return None
    panel: Panel = fc.panel_  # type: ignore[attr-defined]
    profiles: dict[str, StartProfile] = fc.starts_  # type: ignore[attr-defined]
    asked = list(panel.series) if series is None else [s for s in series if s in panel.series]
    return {sid: planned_start(profiles, sid, calendar, begin, end) for sid in asked
            if is_dormant(panel.series[sid].y)}


def start_notes(model: object, calendar: pd.DataFrame | None, begin: pd.Timestamp,
                end: pd.Timestamp, series: list[str] | None = None) -> list[str]:
    """What ``predict`` did with the series of the model that have no live history (of
    ``series``, default every one): forecast from the series that started with a planned
    event's kind, or at about 0 for want of such an event. [] for models that do not do it
    (the seasonal naive, Prophet, models saved before)."""
    found = dormant_series(model, calendar, begin, end, series)
    if found is None or not found:
        return []
    profiles: dict[str, StartProfile] = getattr(_holder(model), "starts_", {})
    planned = [(sid, ev) for sid, ev in found.items() if ev is not None]
    idle = [sid for sid, ev in found.items() if ev is None]
    notes: list[str] = []
    if planned:
        kinds = sorted({str(ev["kind"]) for _, ev in planned})
        who = "; ".join(f"kind {k!r}: {len(profiles[k].series)} series "
                        f"({listed(list(profiles[k].series), 4)})" for k in kinds)
        shown = listed([f"{sid!r} from {str(ev['name'])!r} ({period_text(ev['start'])})"
                        for sid, ev in planned], 4)
        one = len(planned) == 1
        notes.append(
            f"{len(planned)} series {'has' if one else 'have'} no live history (only 0) and a "
            f"planned start: {shown}. From that day on {'it' if one else 'each'} is forecast "
            f"from the first weeks of the series that started with an event of that kind "
            f"({who}): P50 their typical level on each day since their start (geometric mean, "
            "with their weekly shape), P10-P90 the spread between them (a series with no "
            "history has no level of its own to scale by); before it, at about 0. Other "
            "planned events of its first weeks add no lift to it")
    if idle:
        shown = listed([repr(sid) for sid in idle], 4)
        if profiles:
            seen = ", ".join(f"{k!r} ({len(p.series)} series)" for k, p in profiles.items())
            why = (f"no event of its own channel in the forecast periods of a kind other "
                   f"series started with ({seen}); plan its start with that kind to have "
                   "it forecast from their first weeks")
        else:
            why = ("no series of this model started with an event of its own channel (a "
                   f"launch), so there is nothing to forecast its start from (at least "
                   f"{MIN_STARTERS} are needed)")
        one = len(idle) == 1
        notes.append(f"{len(idle)} series {'has' if one else 'have'} no live history (only 0): "
                     f"{shown}; {'it is' if one else 'they are'} forecast at about 0: {why}")
    return notes

