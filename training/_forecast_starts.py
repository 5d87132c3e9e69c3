"""A series with no live history, planned to start with an event (a product launch): its
forecast from the first weeks of the series that started with an event of that kind.

A page exported at 0 before its launch has nothing of its own to forecast from: the trees read
its zeros, and the launch lift, learned on the launched pages against their own level, added to
a level of 0 is still about 0. What the history does know is how other series started. A
series *started with* an event of kind K when its first value above 0 (or below) lies inside
the window of a K event of its own channel (or the ``lead_days`` before it; of several, the one
that began nearest that day) and after the first period of the data (it was not live from the
start). K is a way to start when at least ``MIN_STARTERS`` series started with it and at least
``START_SHARE`` of its events on the series' channels that began inside the data were a start.
Each series that started with it gives its trajectory from its event's first day on: on the
modelling scale (log1p for counts), its own weekly shape taken out (the median by phase of the
deviations from a centred one-season mean), the days of its other events left out (a public
holiday it was closed on is no part of how it started). Per period
since the start, the trajectories' mean and spread across the series give the forecast of a new
series whose own channel has a K event planned after the end of its history:

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

A series that started with such an event a few weeks ago (``training._forecast_young``'s
``young_shifts``, under ``YOUNG_WEEKS``) reads its level on its event-free days since, where a
launch's effect may still run past its window in the calendar: its forecast moves as the other
starters moved on from the same age, measured on the same periods, and its band widens by how
differently they moved. One whose last week is all its start's window and shoulder days has no
level of its own yet: it takes theirs at its age, scaled by how its own values stood to theirs
that week.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from features._calendar import applies_to, normalize_calendar, series_channel

from ._forecast_base import Panel, steps_per_day
from ._forecast_live import first_live, live_starts
from ._forecast_text import listed, period_text

__all__ = ["MIN_STARTERS", "START_SHARE", "START_TAIL_DAYS", "LaunchSize",
           "StartProfile", "dormant_series", "find_starts", "fit_start_profiles", "is_dormant",
           "planned_start", "profile_for", "profile_key", "series_metric", "start_forecast",
           "start_notes", "start_windows"]

MIN_STARTERS = 2
"""Fewest series that started with an event of a kind before its profile is used."""
START_SHARE = 0.5
"""Least share of a kind's events (on the series' channels, begun inside the data) that were
the start of their series: a launch is nearly always one; a promotion that a store's opening day
happened to fall in is not a way series start."""


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
    metric: str | None = None
    """The metric of its series (``'orders'`` for ``orders:store_58``, ``''`` for ids without
    one): a new series gets the profile of its own metric only. None for profiles saved before
    (2026-12-05), which pooled every metric."""
    starts: tuple[pd.Timestamp, ...] | None = None
    """The first day of the event each of ``series`` started with, in the same order
    (``young_shifts`` reads the starters' ages from it). None for profiles saved before
    2026-12-06."""
    size: LaunchSize | None = None
    """How the intensity of a launch moves the profile (``LaunchSize``); None where the
    starters' events had one intensity (nothing to measure a launch's size by), or for
    profiles saved before (2026-12-06)."""
    intensities: tuple[float, float] | None = None
    """The smallest and largest intensity of the starters' events (None: saved before)."""


@dataclass(frozen=True)
class LaunchSize:
    """The intensity of the starters' events, as the event lifts read intensity: the kind's
    lift per unit of intensity on each day of its window (and shoulders after it), learned by
    ``EventEffects``. The starters' trajectories are moved to ``ref`` (their mean intensity) by
    it; a new series' launch of intensity i (held to ``low`` .. ``high``, the starters' range:
    no size beyond those seen) is moved from ``ref`` by (i - ref) x that lift.

    Attributes:
        ref: the starters' mean intensity, which the profile stands for.
        low: the smallest intensity of a starter's event.
        high: the largest.
        per_unit: the kind's lift per unit of intensity (modelling scale) by the event's day
            key (``d0`` .. ``d6+``, ``post1`` ..).
        max_offset: the event day from which days share one key (``d6+``).
        post_days: shoulder days after the event with a key of their own.
    """

    ref: float
    low: float
    high: float
    per_unit: dict[str, float]
    max_offset: int
    post_days: int

    def lift(self, days: np.ndarray, span: int) -> np.ndarray:
        """Per unit of intensity, the kind's lift on each day since the event's first day
        (``days``; 0 off the window and its shoulders), for an event of ``span`` days."""
        out = np.zeros(len(days))
        for j, d in enumerate(np.asarray(days, dtype=int)):
            if 0 <= d < span:
                key = f"d{d}" if d < self.max_offset else f"d{self.max_offset}+"
            elif span <= d < span + self.post_days:
                key = f"post{d - span + 1}"
            else:
                continue
            out[j] = self.per_unit.get(key, 0.0)
        return out


def series_metric(series_id: str) -> str:
    """The metric a series id names before its channel: ``'orders'`` for ``orders:store_7``,
    ``''`` for ``store_7`` or ``total``."""
    return str(series_id).split(":", 1)[0] if ":" in str(series_id) else ""


def profile_key(kind: str, metric: str) -> str:
    """The key of a kind's profile for one metric in ``fit_start_profiles``' answer: the kind
    itself for ids without a metric (``'launch'``), else ``'orders:launch'``."""
    return f"{metric}:{kind}" if metric else kind


def profile_for(profiles: dict[str, StartProfile], series_id: str, kind: str
                ) -> StartProfile | None:
    """The profile of ``kind`` for ``series_id``'s metric (a profile saved before 2026-12-05,
    which pooled the metrics, for any series), or None."""
    metric = series_metric(series_id)
    found = profiles.get(profile_key(kind, metric))
    if found is not None and found.kind == kind and found.metric in (None, metric):
        return found
    old = profiles.get(kind)
    return old if old is not None and old.metric is None else None


def _phase_of(ds: pd.DatetimeIndex, m: int) -> np.ndarray:
    """Phase of each period within the week: the weekday (daily), the hour of the week."""
    spd = m // 7
    return (ds.day_of_week.to_numpy() * spd + (ds.hour.to_numpy() if spd > 1 else 0)).astype(int)


def _weekly_shape(z: np.ndarray, phase: np.ndarray, m: int) -> np.ndarray:
    """A series' weekly shape: per phase (``_phase_of``), the median deviation from the centred
    one-season mean (0 where under two seasons were seen), centred on 0."""
    out = np.zeros(m)
    if np.isfinite(z).sum() < 2 * m:
        return out
    dev = z - pd.Series(z).rolling(m, center=True, min_periods=m).mean().to_numpy()
    # the grid is regular: column c of the season-wide rows is phase (phase[0] + c) mod m
    rows = np.concatenate([dev, np.full(-len(dev) % m, np.nan)]).reshape(-1, m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a phase never seen: NaN, then 0
        med = np.nanmedian(rows, axis=0)
    out[(phase[0] + np.arange(m)) % m] = np.nan_to_num(med)
    return out - out.mean()


def _starts(panel: Panel, cal: pd.DataFrame, lead_days: int) -> pd.DataFrame:
    """One row per series that started with an event (``series_id``, ``kind``, ``start``: the
    event its first live value starts, ``training._forecast_live.live_start``, after the data's
    first period), and per kind the share of its events that were a start."""
    # the data's first period before ``started_panel`` cut the series at their starts: with
    # every series cut, the cut panel's first period was the earliest starter's own first live
    # value, and that starter was taken as live from the data's start
    data_start = panel.data_start
    data_end = max(g.ds[-1] for g in panel.series.values() if len(g.ds))
    cols = ["series_id", "kind", "metric", "start", "end", "intensity", "share"]
    found = live_starts({sid: (g.ds, g.y) for sid, g in panel.series.items()},
                        steps_per_day(panel.freq), cal, lead_days, data_start)
    hit = pd.DataFrame([{"series_id": str(sid), "kind": str(row["kind"]), "start": row["start"],
                         "end": row["end"], "intensity": row["intensity"]}
                        for sid, (_, row) in found.items() if row is not None],
                       columns=["series_id", "kind", "start", "end", "intensity"])
    if hit.empty:
        return pd.DataFrame(columns=cols)
    hit = hit.sort_values("series_id", kind="stable").reset_index(drop=True)
    ev = cal.assign(channel=cal["channel"].astype(str), kind=cal["kind"].astype(str))
    # the kind's events on the series' channels that began inside the data, which could have
    # been seen as a start: a launch is nearly always one, a promotion that a store's opening
    # day happened to fall in is not
    ids = {str(series_channel(s)) for s in panel.series}
    seen = ev[ev["channel"].isin(ids).to_numpy(dtype=bool)
              & (ev["start"] > data_start).to_numpy(dtype=bool)
              & (ev["start"] <= data_end).to_numpy(dtype=bool)]
    # per metric: the orders and the revenue of one store both start with its opening
    hit = hit.assign(metric=hit["series_id"].map(series_metric))
    events = seen.drop_duplicates(["channel", "kind", "start"]).groupby("kind").size()
    starts = hit.groupby(["kind", "metric"]).size()
    share = (starts / events.reindex(starts.index.get_level_values("kind")).to_numpy()).fillna(1.0)
    return hit.assign(share=[float(share[(k, mt)]) for k, mt in zip(hit["kind"], hit["metric"],
                                                                  strict=True)])[cols]


START_TAIL_DAYS = 28
"""Days after a start event's window that still run off the start (``start_windows``)."""


def find_starts(panel: Panel, calendar: pd.DataFrame | None, lead_days: int = 2
                ) -> pd.DataFrame:
    """The series that started with an event of their own channel (``_starts``), for
    ``fit_start_profiles`` and ``start_windows`` to share: one pass over the calendar."""
    full = normalize_calendar(calendar)
    cal = full[full["channel"].notna().to_numpy(dtype=bool)]
    if cal.empty or not panel.series:
        return pd.DataFrame(columns=["series_id", "kind", "metric", "start", "end", "intensity",
                                     "share"])
    return _starts(panel, cal, lead_days)


def start_windows(panel: Panel, calendar: pd.DataFrame | None, lead_days: int = 2,
                  tail_days: int = START_TAIL_DAYS, found: pd.DataFrame | None = None
                  ) -> dict[str, np.ndarray]:
    """Per series that started inside an event's window (``_starts``: its first live period
    after the data's first, in the window or the ``lead_days`` before it, of an event of its
    own channel; 2 days: ``EventEffects``' default ``pre_days``), the mask of its periods up to
    ``tail_days`` after that window's last day: its launch and the tail a launch leaves past
    its window in the calendar (a page still ran 1.3x-4x its later level 1-14 days after its
    window), not the level it will run at.

    The unmarked-drop reference leaves them out (``_winsorize``'s ``unusual``): read against
    them, the level a page settled at 15 days after its launch window had been a drop. With
    the window alone left out, the tail's days after it still made the reference (a generated
    page 15 days after its window: named a drop with 4 of 10 seeds, against 0 before).
    ``found``: ``find_starts``' answer, when the caller has it."""
    if found is None:
        found = find_starts(panel, calendar, lead_days)
    out: dict[str, np.ndarray] = {}
    for sid, end in zip(found["series_id"], found["end"], strict=True):
        last = pd.Timestamp(end).normalize() + pd.Timedelta(days=1 + tail_days)
        out[str(sid)] = np.asarray(panel.series[str(sid)].ds < last)
    return out


def _other_event_days(cal: pd.DataFrame, series_id: str, kind: str,
                      ds: pd.DatetimeIndex) -> np.ndarray:
    """The periods of ``ds`` inside the window of an event that applies to ``series_id``
    (``applies_to``), other than its own events of ``kind`` (its start)."""
    own = (cal["kind"].astype(str) == kind).to_numpy(dtype=bool) & (
        cal["channel"] == series_channel(series_id)).fillna(value=False).to_numpy(dtype=bool)
    other = cal[applies_to(cal, series_id) & ~own]
    day = ds.normalize()
    out = np.zeros(len(ds), bool)
    for start, end in zip(other["start"].dt.normalize(), other["end"].dt.normalize(),
                          strict=True):
        out |= np.asarray((day >= start) & (day <= end), dtype=bool)
    return out


def _launch_size(rows: pd.DataFrame, kind: str, effects: object | None) -> LaunchSize | None:
    """``LaunchSize`` of the starters ``rows`` (their events' intensities) from the kind's
    lifts per unit of intensity in ``effects`` (an ``EventEffects``); None where their
    intensities are all one value or no lift of the kind was learned."""
    inten = rows["intensity"].astype(float).to_numpy()
    if effects is None or not np.isfinite(inten).all() or np.ptp(inten) <= 1e-9:
        return None
    est = getattr(effects, "estimates_", {}).get(("kind", "key"), {})
    per_unit = {str(key): float(e.mean) for (k, key), e in est.items() if str(k) == kind}
    if not per_unit:
        return None
    return LaunchSize(ref=float(inten.mean()), low=float(inten.min()), high=float(inten.max()),
                      per_unit=per_unit, max_offset=int(getattr(effects, "max_offset", 6)),
                      post_days=int(getattr(effects, "post_days", 3)))


def _days_since(ds: pd.DatetimeIndex, start: pd.Timestamp) -> np.ndarray:
    return np.asarray((ds.normalize() - pd.Timestamp(start).normalize()).days, dtype=int)


def fit_start_profiles(panel: Panel, calendar: pd.DataFrame | None, max_periods: int,
                       lead_days: int = 2, effects: object | None = None,
                       found: pd.DataFrame | None = None) -> dict[str, StartProfile]:
    """Per event kind that at least ``MIN_STARTERS`` series started with, and at least
    ``START_SHARE`` of whose events were a start (module docstring), their profile over the
    ``max_periods`` periods from the event's first day. With ``effects`` (the fitted
    ``EventEffects``) and starters' events of differing intensities, each trajectory is first
    moved to the starters' mean intensity by the kind's lift per unit of intensity
    (``LaunchSize``), so the profile's spread is what the intensities do not explain.
    ``found``: ``find_starts``' answer, when the caller has it."""
    full = normalize_calendar(calendar)
    cal = full[full["channel"].notna().to_numpy(dtype=bool)]
    if cal.empty or not panel.series:
        return {}
    m = 7 * (24 if panel.freq == "h" else 1)
    began = _starts(panel, cal, lead_days) if found is None else found
    out: dict[str, StartProfile] = {}
    for (kind, metric), rows in began.groupby(["kind", "metric"], sort=True):
        if len(rows) < MIN_STARTERS or float(rows["share"].iloc[0]) < START_SHARE:
            continue
        stack = np.full((len(rows), max_periods), np.nan)
        shapes = np.zeros((len(rows), m))
        size = _launch_size(rows, str(kind), effects)
        for j, (sid, at, end, inten) in enumerate(zip(rows["series_id"], rows["start"],
                                                      rows["end"], rows["intensity"],
                                                      strict=True)):
            g = panel.series[sid]
            # the days of its other events are left out (a public holiday the store was
            # closed on in its fourth week had pulled every new store's Black Friday to a
            # tenth of its level): a new series' other events add their own lifts on top
            # (``LightGBMForecaster._planned_starts``)
            z = np.where(_other_event_days(full, str(sid), str(kind), g.ds), np.nan,
                         panel.fwd(g.y))
            phase = _phase_of(g.ds, m)
            shapes[j] = _weekly_shape(z, phase, m)
            if size is not None:  # its launch moved to the starters' mean intensity
                span = int((pd.Timestamp(end) - pd.Timestamp(at)).days) + 1
                z = z - (float(inten) - size.ref) * size.lift(_days_since(g.ds, at), span)
            d = np.arange(len(z)) - round((pd.Timestamp(at) - g.ds[0]) / panel.step)
            keep = (d >= 0) & (d < max_periods) & np.isfinite(z)
            stack[j, d[keep]] = z[keep] - shapes[j][phase[keep]]
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
        # one profile per metric: a store's orders (~200 a day) and its revenue (~5,000) had
        # been pooled, and a new store's orders and revenue both forecast at their geometric
        # mean
        out[profile_key(str(kind), str(metric))] = StartProfile(
            kind=str(kind), series=tuple(rows["series_id"]), mean=mean, sd=sd, n=n,
            phase=np.median(shapes, axis=0), metric=str(metric), size=size,
            intensities=(float(rows["intensity"].min()), float(rows["intensity"].max())),
            starts=tuple(pd.Timestamp(a) for a in rows["start"]))
    return out


def is_dormant(y: np.ndarray) -> bool:
    """Whether a history has no value other than 0 (or missing): nothing to forecast from."""
    return first_live(np.asarray(y, dtype=float)) is None


def planned_start(profiles: dict[str, StartProfile], series_id: str,
                  calendar: pd.DataFrame | None, first: pd.Timestamp, last: pd.Timestamp
                  ) -> pd.Series | None:
    """The first event of the series' own channel starting between ``first`` and ``last`` (the
    forecast periods) whose kind has a profile, as a calendar row; None when there is none."""
    chan = series_channel(series_id)
    if chan is None or not profiles:
        return None
    kinds = [p.kind for p in profiles.values() if profile_for(profiles, series_id, p.kind) is p]
    cal = normalize_calendar(calendar)
    hit = cal[(cal["channel"] == chan).fillna(value=False).to_numpy(dtype=bool)
              & cal["kind"].astype(str).isin(kinds).to_numpy(dtype=bool)
              & (cal["start"] >= first.normalize()).to_numpy(dtype=bool)
              & (cal["start"] <= last).to_numpy(dtype=bool)]
    if hit.empty:
        return None
    return hit.sort_values("start", kind="stable").iloc[0]


def start_forecast(profile: StartProfile, start: pd.Timestamp, index: pd.DatetimeIndex,
                   step: pd.Timedelta, end: pd.Timestamp | None = None,
                   intensity: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """P10/P50/P90 on the modelling scale for the periods of ``index`` from ``start`` on (rows
    of NaN before it), and the mask of those periods. With the event's ``end`` and
    ``intensity`` and a profile whose starters' intensities differed (``LaunchSize``), the
    event's days move by the kind's lift per unit of intensity times the intensity's distance
    from the starters' mean (held to their range)."""
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
    lo, hi = half, half
    size = getattr(profile, "size", None)  # absent in profiles saved before
    if size is not None and end is not None and intensity is not None:
        span = int((pd.Timestamp(end).normalize() - pd.Timestamp(start).normalize()).days) + 1
        i = float(np.clip(float(intensity), size.low, size.high))
        per_unit = size.lift(_days_since(index[on], start), span)
        mid = mid + (i - size.ref) * per_unit
        # beyond the intensities seen the size stays at the nearest one, and the band widens
        # on the side the further size would point to, as a lift's does (``effect``)
        more = (float(intensity) - i) * per_unit
        hi = np.sqrt(hi**2 + np.where(more > 0, more, 0.0) ** 2)
        lo = np.sqrt(lo**2 + np.where(more < 0, more, 0.0) ** 2)
    q[on] = np.column_stack([mid - lo, mid, mid + hi])
    return q, on


def _holder(model: object) -> object | None:
    """The model if it forecasts starts (has ``starts_``: the LightGBM forecaster). An ensemble
    averages its LightGBM member's start with the other members' forecasts at about 0, so it is
    not said to forecast the start."""
    return model if hasattr(model, "starts_") else None


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


def _of(profile: StartProfile) -> str:
    """``'orders '`` for a profile of one metric's series, else ``''``."""
    return f"{profile.metric} " if profile.metric else ""


def _sized(profiles: list[StartProfile]) -> str:
    """How the launch's own intensity was read for ``profiles``, for ``start_notes``."""
    out = []
    for p in profiles:
        size, seen = getattr(p, "size", None), getattr(p, "intensities", None)
        if size is not None:
            out.append(f"Kind {p.kind!r}: the starters' intensities ranged {size.low:g} .. "
                       f"{size.high:g}, so a planned start's own intensity moves its event's "
                       "days by the kind's lift per unit of intensity, as a lift does (held "
                       "to that range)")
        elif seen is not None and seen[0] == seen[1]:
            out.append(f"Kind {p.kind!r}: the starters' events all had intensity {seen[0]:g} "
                       "(or none given), so nothing measures a start's size: a planned "
                       "start's own intensity is not read")
    return "; ".join(out)


def start_notes(model: object, calendar: pd.DataFrame | None, begin: pd.Timestamp,
                end: pd.Timestamp, series: list[str] | None = None) -> list[str]:
    """What ``predict`` did with the series of the model that have no live history (of
    ``series``, default every one): forecast from the series that started with a planned
    event's kind, or at about 0 for want of such an event. [] for models that do not do it
    (the seasonal naive, Prophet, an ensemble, models saved before)."""
    found = dormant_series(model, calendar, begin, end, series)
    if found is None or not found:
        return []
    profiles: dict[str, StartProfile] = getattr(_holder(model), "starts_", {})
    planned = [(sid, ev) for sid, ev in found.items() if ev is not None]
    idle = [sid for sid, ev in found.items() if ev is None]
    notes: list[str] = []
    if planned:
        used: dict[str, StartProfile] = {}
        for sid, ev in planned:
            prof = profile_for(profiles, sid, str(ev["kind"]))
            if prof is not None:
                used[profile_key(prof.kind, prof.metric or "")] = prof
        who = "; ".join(f"kind {p.kind!r}: {len(p.series)} {_of(p)}series "
                        f"({listed(list(p.series), 4)})" for _, p in sorted(used.items()))
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
            "planned events of its first weeks add their lifts on top, as for a series that "
            "never had them (the event's or its kind's lift)"
            + "".join(f". {t}" for t in [_sized(list(used.values()))] if t))
    if idle:
        shown = listed([repr(sid) for sid in idle], 4)
        if profiles:
            seen = ", ".join(f"{p.kind!r} ({len(p.series)} {_of(p)}series)"
                             for p in profiles.values())
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
