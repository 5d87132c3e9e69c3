"""A series launched a few weeks before the end of its history: how far its level still runs
off its start, read from the other series that started with an event of the same kind at the
same age (``young_shifts``, used by ``LightGBMForecaster``; the start profiles it reads come
from ``training._forecast_starts``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from features._calendar import normalize_calendar

from ._forecast_base import Panel
from ._forecast_starts import (
    MIN_STARTERS,
    StartProfile,
    _other_event_days,
    _phase_of,
    _weekly_shape,
)

__all__ = ["YOUNG_ALPHA", "YOUNG_WEEKS", "young_shifts"]


YOUNG_WEEKS = 13
"""A series that started with a profiled event fewer weeks than this before the end of its
history is young: its level still runs off its start (``young_shifts``)."""
YOUNG_ALPHA = 0.05
"""Two-sided level of the test a young series' shift must pass (``young_shifts``): the other
starters' mean move from its age on, against its standard error, Student's t with one degree
of freedom fewer than the starters."""


def young_shifts(panel: Panel, calendar: pd.DataFrame | None, profiles: dict[str, StartProfile],
                 cleaned: dict[str, np.ndarray], free: dict[str, np.ndarray],
                 raw: dict[str, np.ndarray], max_periods: int
                 ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per young series (it started with an event of a kind with a profile, under
    ``YOUNG_WEEKS`` before its last period): how the other series that started with that kind
    moved from the same age on, as ``(shift, sd)`` per horizon 1..``max_periods``.

    A launch's effect can outlast its window in the calendar: 20 days after a launch with a
    14-day window the page still runs ~10% over the level it settles at, and its few
    event-free days since are all the trees read its level from. The other starters at the
    same age show how far it still falls: per starter, its cleaned history (``cleaned``, the
    trees' target) with its weekly shape taken out, at age + h minus its mean over the week up
    to the age (the level the trees read); ``shift`` is their mean (a week's rolling mean, so
    one starter's noisy day does not move the forecast), ``sd`` their spread times Student's t
    (80%) and sqrt(1 + 1/n), the band a new starter's move may take. Beyond the ages two other
    starters reached, the last such horizon's values, flat. Only where the starters clearly
    agree: a series is left out (neither moved nor widened) unless their mean move over the
    horizons passes a two-sided Student's t test at ``YOUNG_ALPHA`` against the mean of each
    horizon's standard error; 37 days after an opening whose lift had gone, the mean of 3
    starters' wandering had moved the forecast by their noise.

    A series whose last week has no event-free period (every one is its start event's window
    or shoulder: 10-16 days after a launch with a 14-day window) has no level of its own to
    read; its cleaned values are a guess from the launch's own days or the learned lifts.
    Its level is then the other starters' at the same age, scaled by how its own values
    (``raw``, the modelling-scale values before cleaning) stood to theirs over that week, on
    the periods outside other events of either: per starter, the reference is its mean raw
    value there minus the series' own, plus the series' mean cleaned value of the week (the
    level the trees read).
    """
    # the starters and their start days as ``fit_start_profiles`` found them (finding them
    # again took another pass over the calendar per fit)
    began = [(str(sid), pd.Timestamp(at), prof) for prof in profiles.values()
             if prof.starts is not None
             for sid, at in zip(prof.series, prof.starts, strict=True)]
    if not began:
        return {}
    full = normalize_calendar(calendar)
    m = 7 * (24 if panel.freq == "h" else 1)
    traj: dict[str, np.ndarray] = {}
    live: dict[str, np.ndarray] = {}
    plain: dict[str, np.ndarray] = {}  # raw values, weekly shape out
    first: dict[str, tuple[int, str]] = {}
    open_: dict[str, np.ndarray] = {}

    def since(d0: int, x: np.ndarray, fill: object) -> np.ndarray:
        return x[d0:] if d0 >= 0 else np.concatenate([np.full(-d0, fill), x])

    def outside(s: str) -> np.ndarray:
        """The periods of starter ``s`` since its start outside its other events and with a
        value (read only for the series that need them: a pass over the calendar each)."""
        if s not in open_:
            d0, kind = first[s]
            off = ~_other_event_days(full, s, kind, panel.series[s].ds)
            open_[s] = since(d0, off, False) & np.isfinite(plain[s])
        return open_[s]

    for sid, at, prof in began:
        g, z = panel.series[sid], cleaned[sid]
        d0 = round((at - g.ds[0]) / panel.step)
        shape = _weekly_shape(z, _phase_of(g.ds, m), m)[_phase_of(g.ds, m)]
        traj[sid] = since(d0, z - shape, np.nan)
        live[sid] = since(d0, np.asarray(free[sid], bool), False)
        plain[sid] = since(d0, np.asarray(raw[sid], dtype=float) - shape, np.nan)
        first[sid] = (d0, prof.kind)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for sid, _, prof in began:
        age = len(traj[sid]) - 1
        if not m <= age < YOUNG_WEEKS * m:
            continue
        # the level is read on its event-free periods of the last week
        week = np.arange(age - m + 1, age + 1)
        mine = week[live[sid][week]]
        # none: every period of the week is its start's; its own raw values there against
        # the other starters' at the same ages, outside other events of either
        days = week if len(mine) else week[outside(sid)[week]]
        others = [s for s in prof.series if s != sid and len(traj[s]) > age + 1
                  and (live[s][mine].any() if len(mine) else outside(s)[days].any())]
        if len(others) < MIN_STARTERS:
            continue
        moves = np.full((len(others), max_periods), np.nan)
        for j, s in enumerate(others):
            u = traj[s]
            if len(mine):
                # its level at that age on the same periods (those free of events in both)
                ref = np.nanmean(u[mine[live[s][mine]]])
            else:
                d = days[outside(s)[days]]
                ref = (np.mean(plain[s][d] - plain[sid][d])
                       + np.nanmean(traj[sid][week]))
            ahead = u[age + 1:age + 1 + max_periods]
            moves[j, :len(ahead)] = ahead - ref
        n = np.isfinite(moves).sum(axis=0)
        ok = n >= MIN_STARTERS
        last = int(np.flatnonzero(ok)[-1])
        # each starter's move as a week's rolling mean: the level's move, not its days' noise
        # (which the trees' band holds already)
        moves = np.where(np.isfinite(moves), pd.DataFrame(moves.T).rolling(
            m, center=True, min_periods=1).mean().to_numpy().T, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.array(np.nanmean(moves, axis=0))
            sd = np.array(np.nanstd(moves, axis=0, ddof=1))
        nn = np.maximum(n, MIN_STARTERS).astype(float)
        # only a move the starters clearly agree on: their mean move over the horizons
        # against its standard error, taken as the mean of each horizon's (the bound where a
        # starter's moves at all horizons are one level move); else the shift and its band
        # are noise the trees' own band holds already
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.abs(np.nanmean(mean[:last + 1])) / np.nanmean(
                sd[:last + 1] / np.sqrt(nn[:last + 1]))
        if not t >= stats.t.ppf(1 - YOUNG_ALPHA / 2, nn[0] - 1):
            continue
        sd = stats.t.ppf(0.9, nn - 1) * sd * np.sqrt(1 + 1 / nn)
        mean[last + 1:], sd[last + 1:] = mean[last], sd[last]
        out[sid] = (np.nan_to_num(mean), np.nan_to_num(sd))
    return out
