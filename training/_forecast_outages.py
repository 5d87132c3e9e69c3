"""Short drops on the same periods in (nearly) every series: a site-wide tracking outage.

``sitewide_drops`` finds them on a panel; the event model cleans them like event days
(``EventEffects.fit``) and ``unmarked_drop_note`` names them. The per-series drop rule
(``_forecast_clip._winsorize``) needs ``level_shift_days`` periods (4 of 5 days) beyond the
clipping bound, so a 3-day outage at 3% of the usual visits in every channel had only been
clipped to the bound, without a word.

``lone_spikes`` finds the opposite on one series alone: a one-day spike far beyond the upper
clipping bound while the panel's other series ran as usual (bot traffic, a tracking glitch);
``bot_day_note`` names them. The forecaster clips such a day in what its features read, which
had been all it did, without a word.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from features._calendar import is_aggregate

from ._forecast_base import Panel, listed, period_text, steps_per_day
from ._forecast_clip import _moved_with, clip_bounds

__all__ = ["bot_day_note", "lone_spikes", "sitewide_drops"]

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
        if b - a >= run:
            continue  # long: the per-series rule's
        after = _after_share(panel, flags, b, run, m)
        if not len(after) or float(after.mean()) >= 0.5:
            continue  # still going, or not come back
        days = flags.index[a:b]
        if _recurs(pd.DatetimeIndex(days).normalize().unique(), low_days):
            continue  # a yearly closure (Christmas, New Year's Day), not an outage
        for sid, g in panel.series.items():
            if sid not in low or float(np.nan_to_num(low[sid].reindex(days)).mean()) < 0.5:
                continue
            mask = out.setdefault(sid, np.zeros(len(g.ds), bool))
            mask |= np.asarray(g.ds.isin(days))
    return out


def _after_share(panel: Panel, flags: pd.DataFrame, b: int, run: int, m: int) -> np.ndarray:
    """Per period of the ``run`` after a site-wide drop ending before row ``b`` of ``flags``
    (the series' below-bound flags), the share of the series below their bound, over the
    periods with a series counted (``SITEWIDE_MIN_SERIES`` or more when none is left out).

    A series whose known-in-advance column stepped where the drop ended (``_moved_with``, the
    forecaster's test: the two weeks before against the ``run`` after) is not counted, nor is
    a sum over every channel (``is_aggregate``) of the metric of such a series, which holds
    its step: paid visits at 0 in a week of paid spend 0 are the spend's, not the outage
    going on. A 3-day outage just before such a week had read as not come back (paid and
    total below their bound, 2 of 3 series), and it was neither named nor cleaned."""
    days = flags.index[b:b + run]
    if not len(days):
        return np.array([])
    start = flags.index[b]
    paused: set[str] = set()
    for sid, g in panel.series.items():
        if not g.regressors:
            continue
        i = int(g.ds.searchsorted(start))
        if i < len(g.ds) and _moved_with(g.regressors, i, 2 * m, len(g.ds), during=run):
            paused.add(str(sid))
    part = flags.iloc[b:b + run]
    if paused:
        metrics = {_metric(s) for s in paused if not is_aggregate(s)}
        part = part[[c for c in flags.columns if str(c) not in paused
                     and not (is_aggregate(str(c)) and _metric(str(c)) in metrics)]]
    part = part.to_numpy(dtype=float)
    counted = np.isfinite(part).sum(axis=1)
    share = np.nansum(part, axis=1) / np.maximum(counted, 1)
    return share[counted >= (1 if paused else SITEWIDE_MIN_SERIES)]


def _metric(sid: str) -> str:
    """The metric prefix of a series id (``'orders:channel=email'`` -> ``'orders'``; visits,
    unprefixed, -> '')."""
    return sid.split(":", 1)[0] if ":" in sid else ""


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


SPIKE_TIMES = 3.0
"""How many times its usual level (the same weekday's trailing median) a lone one-day spike
must reach to be named."""

SPIKE_MIN_LEVEL = 10.0
"""Least usual level of a series for a spike on it to be named (2 visits a day to 8 is chance
on a small channel)."""

SPIKE_OTHERS_SHARE = 0.2
"""Largest share of the panel's other series (sums over every channel not counted) above their
own upper clipping bound on the day: more, and it is a day of the whole site (a sale)."""


def lone_spikes(panel: Panel, k: float = 3.0, seasons: int = 4,
                event_days: Callable[[str], np.ndarray] | None = None
                ) -> list[tuple[str, pd.Timestamp, float, float]]:
    """Lone one-day spikes on one series of a daily panel: (series, day, value over its usual
    level, the upper clipping bound over the usual level), in the panel's order.

    On a count scale (log1p when every value is at least 0; other panels have none), a day is
    one when its deviation from the trailing same-weekday reference (``clip_bounds`` with
    ``k``) is at least twice the upper bound (far beyond it, not just over it), the value is at
    least ``SPIKE_TIMES`` its usual level of ``SPIKE_MIN_LEVEL`` or more, the days before and
    after it are within the bound, ``event_days`` (a series id -> the days of its calendar
    events) does not hold it, no known-in-advance column of the series moved that day (its
    mean over the two weeks before against the day's value, ``column_stepped``), and at least
    2 other series have a value that day, at most ``SPIKE_OTHERS_SHARE`` of them above their
    own bound. Sums over every channel
    (``is_aggregate``) are no candidates and are not counted among the others: a channel's
    spike is in the total too.
    """
    if panel.freq != "D":
        return []
    ys = {sid: np.asarray(g.y, dtype=float) for sid, g in panel.series.items()}
    if not ys or min((float(np.nanmin(y)) for y in ys.values() if np.isfinite(y).any()),
                     default=-1.0) < 0:
        return []
    parts = [sid for sid in panel.series if not is_aggregate(str(sid))]
    high: dict[str, pd.Series] = {}
    cand: dict[str, np.ndarray] = {}
    sizes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for sid in parts:
        g = panel.series[sid]
        z = np.log1p(ys[sid])
        ref, bounds = clip_bounds(z, 7, k, seasons)
        if bounds is None:
            continue
        hi = bounds[1]
        dev = z - ref
        have = np.isfinite(dev)
        above = have & (np.nan_to_num(dev, nan=-np.inf) > hi)
        high[sid] = pd.Series(np.where(have, above, np.nan), index=g.ds)
        usual = np.expm1(ref)
        with np.errstate(invalid="ignore", divide="ignore"):
            times = np.where(usual > 0, ys[sid] / usual, np.nan)
            cap = np.where(usual > 0, np.expm1(ref + hi) / usual, np.nan)
        far = above & (dev >= 2 * max(hi, 0.0)) & (times >= SPIKE_TIMES) & (
            usual >= SPIKE_MIN_LEVEL)
        # lone: the day before and the day after are within the bound (a last day may be the
        # start of a new level)
        calm = have & ~above
        far[1:-1] &= calm[:-2] & calm[2:]
        far[[0, -1]] = False
        # a day a known-in-advance column of the series moved on (paid spend x8, a promotion
        # flag) is that column's: the forecaster fits the series net of its response, so the
        # day is neither a bot day nor clipped (``column_stepped``, the forecaster's own test
        # of a run it lets through; a paid channel's spend day had been named, with the fix
        # "remove that row")
        for i in np.flatnonzero(far) if g.regressors else ():
            if _moved_with(g.regressors, int(i), 2 * 7, len(z), during=1):
                far[i] = False
        if far.any():
            cand[sid] = np.flatnonzero(far)
            sizes[sid] = (times, cap)
    if not cand or len(high) < 3:
        return []
    # per day, the series with a value and those above their bound, counted once: a
    # candidate's others are those counts without its own (dropping its column from the frame
    # per candidate had been quadratic: 1,000 generated stores, each a candidate on the
    # January days after the Christmas closures, took 167 s)
    flags = pd.concat(high, axis=1, sort=True)
    mat = flags.to_numpy(dtype=float)
    n_have = np.isfinite(mat).sum(axis=1)
    n_above = np.nansum(mat, axis=1)
    column = {sid: j for j, sid in enumerate(flags.columns)}
    out = []
    for sid, idx in cand.items():
        days = panel.series[sid].ds[idx]
        rows = flags.index.get_indexer(days)
        own = mat[rows, column[sid]]
        counted = n_have[rows] - np.isfinite(own)
        share = (n_above[rows] - np.nan_to_num(own)) / np.maximum(counted, 1)
        marked = (np.isin(days.normalize().to_numpy(), event_days(str(sid)))
                  if event_days is not None else np.zeros(len(days), bool))
        times, cap = sizes[sid]
        for i, day, n, sh, ev in zip(idx, days, counted, share, marked, strict=True):
            if n >= 2 and sh <= SPIKE_OTHERS_SHARE and not ev:
                out.append((str(sid), pd.Timestamp(day), float(times[i]), float(cap[i])))
    return out


def bot_day_note(spikes: list[tuple[str, pd.Timestamp, float, float]],
                 show: int = 3) -> str | None:
    """The note naming ``lone_spikes``' days, with the fix, else None."""
    if not spikes:
        return None
    shown = listed([f"{sid!r} on {period_text(day)} at {times:,.1f} times its usual level "
                    f"(clipped to {cap:.1f} times)" for sid, day, times, cap in spikes], show)
    one = len(spikes) == 1
    return (f"{len(spikes)} one-day spike{'' if one else 's'} on one series alone, on no "
            "calendar event day, while the other series ran as usual: "
            f"{shown}; the usual level is the same weekday's median over the 4 weeks before. "
            "In training such a day is clipped to the clipping bound in the values the "
            "forecast's level and lags read, so it does not raise the days after it; a "
            "backtest still scores it as an actual. If it was not real demand (bot traffic, a "
            "tracking glitch), remove that row from the file; if it was a push that will come "
            "again (a campaign, a mailing), mark it in the calendar as an event of that "
            "series' channel so that it is learned; a one-off (a single large order) can stay")
