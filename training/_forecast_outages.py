"""Short drops on the same periods in (nearly) every series: a site-wide tracking outage.

``sitewide_drops`` finds them on a panel; the event model cleans them like event days
(``EventEffects.fit``) and ``unmarked_drop_note`` names them. The per-series drop rule
(``_forecast_clip._winsorize``) needs ``level_shift_days`` periods (4 of 5 days) beyond the
clipping bound, so a 3-day outage at 3% of the usual visits in every channel had only been
clipped to the bound, without a word.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._forecast_base import Panel, steps_per_day
from ._forecast_clip import clip_bounds

__all__ = ["sitewide_drops"]

SITEWIDE_SHARE = 0.8
"""Share of the series with a value on a period that must stand below their lower clipping
bound for the period to be a site-wide drop."""

SITEWIDE_MIN_SERIES = 3
"""Fewest series with a value on a period for a site-wide drop (with one or two series, a
store's closure and an outage of the whole site look alike)."""

SITEWIDE_DEPTH = 0.5
"""The series' median of value / usual level a site-wide drop must reach (log-modelled panels):
an ordinary quiet day that every series feels (a sunny Sunday, -35%) stays below it."""


def sitewide_drops(panel: Panel, k: float = 3.0, run_days: float = 5.0,
                   seasons: int = 4) -> dict[str, np.ndarray]:
    """Per series, a mask over its grid of the periods of a short site-wide drop, else {}.

    A period is site-wide low when at least ``SITEWIDE_MIN_SERIES`` series have a value on it
    and ``SITEWIDE_SHARE`` of them stand below their lower clipping bound (the forecaster's,
    ``clip_bounds`` with ``k``), and, on a log-modelled panel, the series' median of value over
    their trailing same-phase reference is at most ``SITEWIDE_DEPTH``. A run of such periods
    is a drop when it is shorter than ``run_days`` (longer runs are the per-series rule's: a
    level shift or an excursion) and it came back: some period follows it, and over the
    ``run_days`` after it under half of the series stand below their bound on average. Each
    series that was below its bound on at least half of a drop's periods gets all of them.
    """
    spd = steps_per_day(panel.freq)
    m, run = 7 * spd, max(1, round(run_days * spd))
    low: dict[str, pd.Series] = {}
    ratio: dict[str, pd.Series] = {}
    for sid, g in panel.series.items():
        z = panel.fwd(np.asarray(g.y, dtype=float))
        ref, bounds = clip_bounds(z, m, k, seasons)
        if bounds is None:
            continue
        dev = z - ref
        have = np.isfinite(dev)
        low[sid] = pd.Series(np.where(have, dev < bounds[0], np.nan), index=g.ds)
        if panel.log:
            with np.errstate(invalid="ignore", divide="ignore"):
                r = panel.inv(z) / panel.inv(ref)
            ratio[sid] = pd.Series(np.where(have, r, np.nan), index=g.ds)
    if len(low) < SITEWIDE_MIN_SERIES:
        return {}
    flags = pd.concat(low, axis=1, sort=True)
    counted = flags.notna().sum(axis=1).to_numpy()
    share = (flags.sum(axis=1).to_numpy() / np.maximum(counted, 1))
    hit = (counted >= SITEWIDE_MIN_SERIES) & (share >= SITEWIDE_SHARE)
    if ratio:
        deep = pd.concat(ratio, axis=1, sort=True).reindex(flags.index).median(axis=1).to_numpy()
        hit &= np.nan_to_num(deep, nan=np.inf) <= SITEWIDE_DEPTH
    if not hit.any():
        return {}
    edges = np.flatnonzero(np.diff(np.r_[0, hit.astype(int), 0]))
    low_days = pd.DatetimeIndex(flags.index[hit]).normalize().unique()
    out: dict[str, np.ndarray] = {}
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        after = share[b:b + run][counted[b:b + run] >= SITEWIDE_MIN_SERIES]
        if b - a >= run or not len(after) or float(after.mean()) >= 0.5:
            continue  # long (the per-series rule's), still going, or not come back
        days = flags.index[a:b]
        if _recurs(pd.DatetimeIndex(days).normalize().unique(), low_days):
            continue  # a yearly closure (Christmas, New Year's Day), not an outage
        for sid, g in panel.series.items():
            if sid not in low or float(np.nan_to_num(low[sid].reindex(days)).mean()) < 0.5:
                continue
            mask = out.setdefault(sid, np.zeros(len(g.ds), bool))
            mask |= np.asarray(g.ds.isin(days))
    return out


def _recurs(days: pd.DatetimeIndex, low_days: pd.DatetimeIndex) -> bool:
    """Whether a site-wide drop on ``days`` has one a year before or after it (364-366 days
    apart, among ``low_days``): a chain closed on New Year's Day without a calendar entry
    had it cleaned to the usual sales as an outage, every year, and the next one forecast at
    3,032 against 126 before (4 generated stores of ~3,000 a day)."""
    for gap in (364, 365, 366):
        for sign in (-1, 1):
            if days.isin(low_days + sign * pd.Timedelta(days=gap)).any():
                return True
    return False
