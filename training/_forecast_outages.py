"""Short drops on the same periods in (nearly) every series: a site-wide tracking outage.

``sitewide_drops`` finds them on a panel; the event model cleans them like event days
(``EventEffects.fit``) and ``unmarked_drop_note`` names them. The per-series drop rule
(``_forecast_clip._winsorize``) needs ``level_shift_days`` periods (4 of 5 days) beyond the
clipping bound, so a 3-day outage at 3% of the usual visits in every channel had only been
clipped to the bound, without a word.

``lone_spikes`` finds the opposite on one series alone: a one-day spike (on an hourly series,
one to ``SPIKE_MAX_HOURS`` hours) far beyond the upper clipping bound while the panel's other
series ran as usual (bot traffic, a tracking glitch); ``bot_day_note`` names them, each once,
on the channel that carries it, with the sums over channels (``total``) that hold it too. The
forecaster clips such a period in what its features read, which had been all it did, without
a word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from features._calendar import is_aggregate

from ._forecast_base import Panel, SeriesGrid, _count_series, steps_per_day
from ._forecast_clip import _moved_with, clip_bounds, phase_rows
from ._forecast_phases import _zero_share
from ._forecast_text import listed, period_text
from ._forecast_zone import local_days

__all__ = ["Spike", "bot_day_note", "lone_spikes", "sitewide_drops"]

SITEWIDE_SHARE = 0.8
"""Share of the series with a value on a period that must stand below their lower clipping
bound for the period to be a site-wide drop."""

SITEWIDE_MIN_SERIES = 3
"""Fewest series with a value on a period for a site-wide drop (with one or two series, a
store's closure and an outage of the whole site look alike)."""

SITEWIDE_DEPTH = 0.5
"""The series' median of value / usual level a site-wide drop must reach (log-modelled panels):
an ordinary quiet day that every series feels (a sunny Sunday, -35%) stays below it."""

SITEWIDE_COUNT_P = 0.001
"""On a count series (``_count_series``: orders, visits), the largest Poisson probability of a
value that low or lower at the period's usual level for the period to count as below its
bound: in the quiet hours of an hourly panel (2-5 orders usual at 23:00) a 0 or a 1 stands
beyond the log-scale bound, which the busy hours' small relative noise sets, in every series
at once now and then by chance; 3 generated regions' Poisson orders had such an hour named
a site-wide tracking outage, and cleaned, 8 times in 18 months. A real outage (0 where 7 or
more are usual) stays below it."""


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
    counts = _count_series(panel)
    for sid, g in panel.series.items():
        z = panel.fwd(np.asarray(g.y, dtype=float))
        ref, bounds = clip_bounds(z, m, k, seasons, ds=g.ds)
        if bounds is None:
            continue
        dev = z - ref
        have = np.isfinite(dev)
        below = dev < bounds[0]
        if str(sid) in counts:  # not a count's chance low at a small usual level
            with np.errstate(invalid="ignore"):
                chance = stats.poisson.cdf(np.floor(np.asarray(g.y, dtype=float)),
                                           panel.inv(ref))
            below &= chance < SITEWIDE_COUNT_P
        low[sid] = pd.Series(np.where(have, below, np.nan), index=g.ds)
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
    total below their bound, 2 of 3 series), and it was neither named nor cleaned. When that
    leaves no series counted (a promotion flag of every series stepping there), every series
    is counted."""
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
        kept = part[[c for c in flags.columns if str(c) not in paused
                     and not (is_aggregate(str(c)) and _metric(str(c)) in metrics)]]
        share = _share(kept.to_numpy(dtype=float), 1)
        if len(share):
            return share
        # every series left out (a promotion flag of every series starting the day after
        # the outage): had read as not come back, and the outage was neither named nor
        # cleaned; the series are counted as they are
    return _share(part.to_numpy(dtype=float), SITEWIDE_MIN_SERIES)


def _share(part: np.ndarray, least: int) -> np.ndarray:
    """Per row of ``part`` (below-bound flags, NaN where a series has no value) with at
    least ``least`` series counted, the share of them below their bound."""
    counted = np.isfinite(part).sum(axis=1)
    share = np.nansum(part, axis=1) / np.maximum(counted, 1)
    return share[counted >= least]


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
"""How many times its usual level (the same phase's trailing median: the weekday's on a daily
series, the hour of the week's on an hourly one) a lone spike must reach to be named."""

SPIKE_MIN_LEVEL = 10.0
"""Least usual level of a series on the spike's period for it to be named (2 visits a day to 8
is chance on a small channel; the same holds per hour)."""

SPIKE_OTHERS_SHARE = 0.2
"""Largest share of the panel's other series above their own upper clipping bound on the
spike's periods: more, and it is a period of the whole site (a sale)."""

SPIKE_MAX_HOURS = 3
"""Longest spike named on an hourly series, in hours (a bot that ran for an hour or a few);
a daily series' spike is one day. Longer runs above the bound are not named."""

SPIKE_SPARSE_SHARE = 0.2
"""Share of zero periods (among the usually open weekdays or hours, ``_zero_share``) from which
a series is sparse and has no spikes named: an hour with one large order on a channel's
revenue, 0 in 70% of its hours, is chance, not a bot (the generated world's hourly revenue
of e-mail had 16 named in one seed). The threshold is the sparse-series note's."""

CARRY_SHARE = 0.5
"""Share of a series' excess over its usual level (value - usual) another series must hold on
the same period to carry it: a sum over every channel (``is_aggregate``) holding a channel's
spike, or a channel holding most of a sum's."""


class Spike(NamedTuple):
    """A lone spike ``lone_spikes`` found.

    Attributes:
        series: the series id.
        start: its first period.
        times: its highest period's value over that period's usual level.
        cap: the upper clipping bound on that period over the usual level (what training
            clips it to).
        periods: how many periods it lasted (1 on a daily series, 1-``SPIKE_MAX_HOURS`` on an
            hourly one).
        carried: the sums over every channel of the same metric that hold it too, each with
            its own value over its usual level on that period.
        hourly: whether the series is hourly (its periods are hours).
    """

    series: str
    start: pd.Timestamp
    times: float
    cap: float
    periods: int = 1
    carried: tuple[tuple[str, float], ...] = ()
    hourly: bool = False


@dataclass
class _Read:
    """One series as the spike check reads it: its grid, the value over usual level and the
    bound over usual level per period, the excess over usual, and the candidate runs
    (start, length, index of the highest period)."""

    ds: pd.DatetimeIndex
    times: np.ndarray
    cap: np.ndarray
    excess: np.ndarray
    runs: list[tuple[int, int, int]]

    def at(self, stamps: pd.DatetimeIndex) -> np.ndarray:
        """Row of each of ``stamps`` in the grid, -1 where it has none."""
        rows = self.ds.get_indexer(stamps)
        return np.asarray(rows)


def _read(g: SeriesGrid, y: np.ndarray, m: int, k: float, seasons: int, longest: int
          ) -> tuple[pd.Series, _Read] | None:
    """The above-bound flags of one series (NaN where it has no deviation) and its reading,
    or None when it has no clipping bounds."""
    z = np.log1p(y)
    ref, bounds = clip_bounds(z, m, k, seasons, ds=g.ds)
    if bounds is None:
        return None
    hi = bounds[1]
    dev = z - ref
    have = np.isfinite(dev)
    above = have & (np.nan_to_num(dev, nan=-np.inf) > hi)
    usual = np.expm1(ref)
    with np.errstate(invalid="ignore", divide="ignore"):
        times = np.where(usual > 0, y / usual, np.nan)
        cap = np.where(usual > 0, np.expm1(ref + hi) / usual, np.nan)
    far = above & (dev >= 2 * max(hi, 0.0)) & (times >= SPIKE_TIMES) & (
        usual >= SPIKE_MIN_LEVEL)
    # the usual level from all ``seasons`` same-phase periods before: in a series' first
    # weeks it is one or two values, and a quiet hour's count had made the next week's 3.6
    # times it (1 of 1,000 generated hourly shops)
    # (the same local wall-clock hour on a time-zone-aware grid, ``phase_rows``)
    seen = np.isfinite(z)
    rows = phase_rows(len(z), m, seasons, g.ds)
    far &= ((rows >= 0) & seen[np.maximum(rows, 0)]).all(axis=1)
    # nor from a period far below the lower bound (a closure's zeros): the day a store
    # reopened after three weeks closed, read against a median of open days and zeros, had
    # been named 'at 110.6 times its usual level' with the fix to remove its row (an
    # independent check's 300 stores, 2026-12-06)
    low = have & (np.nan_to_num(dev, nan=np.inf) < bounds[0])
    far &= ~((rows >= 0) & low[np.maximum(rows, 0)]).any(axis=1)
    far[:seasons * m] = False
    calm = have & ~above
    runs = []
    if far.any() and _zero_share(y, round(m / 7)) < SPIKE_SPARSE_SHARE:
        # runs of periods above the bound, at most ``longest`` long, with a far period, and
        # the periods either side within the bound (a last period may start a new level)
        edges = np.flatnonzero(np.diff(np.r_[0, above.astype(int), 0]))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            if (b - a > longest or a == 0 or b >= len(z) or not calm[a - 1] or not calm[b]
                    or not far[a:b].any()):
                continue
            # a run a known-in-advance column of the series moved on (paid spend x8, a
            # promotion flag) is that column's: the forecaster fits the series net of its
            # response, so it is neither a bot's nor clipped (``column_stepped``, the
            # forecaster's own test; a paid channel's spend day had been named, with the fix
            # "remove that row")
            if g.regressors and _moved_with(g.regressors, int(a), 2 * m, len(z), during=b - a):
                continue
            peak = int(a + np.nanargmax(np.where(far[a:b], times[a:b], -np.inf)))
            runs.append((int(a), int(b - a), peak))
    flags = pd.Series(np.where(have, above, np.nan), index=g.ds)
    return flags, _Read(g.ds, times, cap, y - usual, runs)


def lone_spikes(panel: Panel, k: float = 3.0, seasons: int = 4,
                event_days: Callable[[str], np.ndarray] | None = None) -> list[Spike]:
    """Lone spikes on one series of a daily or hourly panel, in the panel's order.

    On a count scale (log1p when every value is at least 0; other panels have none), a spike
    is a run of periods above the upper clipping bound of their deviation from the trailing
    same-phase reference (``clip_bounds`` with ``k``; the phase is the weekday on a daily
    series, the hour of the week on an hourly one), one day long on a daily series and at most
    ``SPIKE_MAX_HOURS`` on an hourly one, with the periods either side within the bound and at
    least one period at twice the bound or more (far beyond it, not just over it), at
    ``SPIKE_TIMES`` its usual level of ``SPIKE_MIN_LEVEL`` or more (the median of all
    ``seasons`` same-phase periods before it, each with a value), on a series with under
    ``SPIKE_SPARSE_SHARE`` of its usually open periods at 0. It is not named when
    ``event_days`` (a series id -> the days of its calendar events) holds one of its days,
    when a known-in-advance column of the series moved on it (its mean over the two weeks
    before against the run's, ``column_stepped``), or unless at least 2 other series have a
    value on each of its periods, at most ``SPIKE_OTHERS_SHARE`` of them above their own bound.

    A sum over every channel (``is_aggregate``) holds its channels' spikes: a channel's spike
    is named on the channel, with the sums of its metric that carry it (``CARRY_SHARE`` of its
    excess over the usual level or more on its highest period, and above their own bound),
    and sums are not counted among a channel's others. A spike on a sum is named on the sum
    only when no channel of its metric that carries it has its own spike named on that period
    (a file of totals only, or a channel under ``SPIKE_MIN_LEVEL``); its others are every
    other series.
    """
    spd = steps_per_day(panel.freq)
    if spd not in (1, 24):
        return []
    ys = {sid: np.asarray(g.y, dtype=float) for sid, g in panel.series.items()}
    if not ys or min((float(np.nanmin(y)) for y in ys.values() if np.isfinite(y).any()),
                     default=-1.0) < 0:
        return []
    longest = 1 if spd == 1 else SPIKE_MAX_HOURS
    high: dict[str, pd.Series] = {}
    read: dict[str, _Read] = {}
    for sid, g in panel.series.items():
        got = _read(g, ys[sid], 7 * spd, k, seasons, longest)
        if got is not None:
            high[str(sid)], read[str(sid)] = got
    if not any(r.runs for r in read.values()) or len(high) < 3:
        return []
    # per period, the series with a value and those above their bound, counted once for the
    # channels and once for every series: a candidate's others are those counts without its
    # own (dropping its column from the frame per candidate had been quadratic: 1,000
    # generated stores, each a candidate on the January days after the Christmas closures,
    # took 167 s)
    flags = pd.concat(high, axis=1, sort=True)
    mat = flags.to_numpy(dtype=float)
    column = {sid: j for j, sid in enumerate(flags.columns)}
    agg = np.array([is_aggregate(str(s)) for s in flags.columns])
    have = np.isfinite(mat)
    n_have = {False: have[:, ~agg].sum(axis=1), True: have.sum(axis=1)}
    n_above = {False: np.nansum(mat[:, ~agg], axis=1), True: np.nansum(mat, axis=1)}
    sums: dict[str, list[str]] = {}
    for s in read:
        if is_aggregate(s):
            sums.setdefault(_metric(s), []).append(s)
    out: list[Spike] = []
    # a sum's spike and the channels holding it: dropped at the end when one of those
    # channels has its own spike named on that period (named once, on the channel)
    held_by: dict[int, list[tuple[str, pd.Timestamp]]] = {}
    for sid, r in read.items():
        if not r.runs:
            continue
        whole = is_aggregate(sid)
        # every period of the series' runs at once (one lookup per series, not per run)
        starts = np.array([a for a, _, _ in r.runs])
        lengths = np.array([n for _, n, _ in r.runs])
        first = np.r_[0, np.cumsum(lengths)[:-1]]
        pos = np.repeat(starts - first, lengths) + np.arange(int(lengths.sum()))
        stamps = r.ds[pos]
        rows = flags.index.get_indexer(stamps)
        own = mat[rows, column[sid]]
        counted = n_have[whole][rows] - np.isfinite(own)
        share = (n_above[whole][rows] - np.nan_to_num(own)) / np.maximum(counted, 1)
        ok = ((np.minimum.reduceat(counted, first) >= 2)
              & (np.maximum.reduceat(share, first) <= SPIKE_OTHERS_SHARE))
        if event_days is not None:
            marked = np.isin(local_days(stamps), event_days(sid))
            ok &= ~np.logical_or.reduceat(marked, first)
        for (a, length, peak), keep in zip(r.runs, ok, strict=True):
            if not keep:
                continue
            at = r.ds[peak:peak + 1]
            carried: tuple[tuple[str, float], ...] = ()
            if whole:
                held = _carriers(read, at, r.excess[peak], _metric(sid), sums=False)
                if held:
                    held_by[len(out)] = [(s, pd.Timestamp(at[0])) for s, _ in held]
            else:
                carried = tuple(
                    (s, float(read[s].times[i])) for s, i in
                    _carriers(read, at, r.excess[peak], _metric(sid), sums=True,
                              names=sums.get(_metric(sid), []), flags=high))
            out.append(Spike(sid, pd.Timestamp(r.ds[a]), float(r.times[peak]),
                             float(r.cap[peak]), length, carried, spd == 24))
    if not held_by:
        return out
    # a channel too small to have its own spike named (5 visits a day, 400 on the bot's) had
    # taken its total's with it, and nothing was named
    named = {(s.series, pd.Timestamp(s.start) + j * panel.step)
             for s in out if not is_aggregate(s.series) for j in range(s.periods)}
    return [s for i, s in enumerate(out)
            if not any(h in named for h in held_by.get(i, []))]


def _carriers(read: dict[str, _Read], at: pd.DatetimeIndex, excess: float, metric: str,
              sums: bool, names: list[str] | None = None,
              flags: dict[str, pd.Series] | None = None) -> list[tuple[str, int]]:
    """The series of ``metric`` that hold ``CARRY_SHARE`` of ``excess`` on the period ``at``:
    its sums over every channel (``sums``: ``names``, each also above its bound there, in
    ``flags``), else its channels; each with its row of ``at``."""
    if not excess > 0:
        return []
    pool = names if sums else [s for s in read if not is_aggregate(s) and _metric(s) == metric]
    out = []
    for s in pool or []:
        i = int(read[s].at(at)[0])
        if i < 0 or not read[s].excess[i] >= CARRY_SHARE * excess:
            continue
        if sums and flags is not None and flags[s].iloc[i] != 1:
            continue
        out.append((s, i))
    return out


def bot_day_note(spikes: list[Spike], show: int = 3) -> str | None:
    """The note naming ``lone_spikes``' spikes, with the fix, else None."""
    if not spikes:
        return None
    hourly = any(s.hourly for s in spikes)
    unit = "hour" if hourly else "day"

    def when(s: Spike) -> str:
        if not s.hourly:
            return f"on {period_text(s.start)}"
        if s.periods == 1:
            return f"on {pd.Timestamp(s.start):%Y-%m-%d %H:%M}"
        last = pd.Timestamp(s.start) + pd.Timedelta(hours=s.periods - 1)
        return f"on {period_text(s.start)} .. {last:%H:%M} ({s.periods} hours)"

    def held(s: Spike) -> str:
        if not s.carried:
            return ""
        sums = listed([f"{sid!r} ({times:,.1f} times its usual level)"
                       for sid, times in s.carried])
        one = len(s.carried) == 1
        return f"; the sum{'' if one else 's'} {sums} hold{'s' if one else ''} it too"

    shown = listed([f"{s.series!r} {when(s)} at {s.times:,.1f} times its usual level "
                    f"(clipped to {s.cap:.1f} times){held(s)}" for s in spikes], show)
    one = len(spikes) == 1
    kind = (f"spike{'' if one else 's'} of 1-{SPIKE_MAX_HOURS} hours" if hourly
            else f"one-day spike{'' if one else 's'}")
    usual = ("the same hour of the week's median over the 4 weeks before" if hourly
             else "the same weekday's median over the 4 weeks before")
    # a sum over channels has no channel (a calendar row naming a channel no series has is
    # rejected): its push is an event without a channel
    on_sum = [is_aggregate(s.series) for s in spikes]
    event = ("an event without a channel (a sum over channels has none)" if all(on_sum)
             else "an event of that series' channel (without a channel for a sum over "
             "channels, which has none)" if any(on_sum)
             else "an event of that series' channel")
    sums = any(s.carried for s in spikes)
    many = hourly and any(s.periods > 1 for s in spikes)
    row = "those rows" if many else "that row"
    if sums:
        row += (f" from the file, and the same {unit}{'s' if many else ''} from the sums over "
                "channels that hold it")
    else:
        row += " from the file"
    return (f"{len(spikes)} {kind} on one series alone, on no calendar event day, while the "
            f"other series ran as usual: {shown}; the usual level is {usual}. In training "
            f"such {'an' if hourly else 'a'} {unit} is clipped to the clipping bound in the "
            "values the forecast's level and lags read, so it does not raise the "
            f"{unit}s after it; a backtest still "
            "scores it as an actual. If it was not real demand (bot traffic, a tracking "
            f"glitch), remove {row}; if it was a push that will come again (a "
            f"campaign, a mailing), mark it in the calendar as {event} so that it is "
            "learned; a one-off (a single large order) can stay")
