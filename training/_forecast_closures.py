"""Unmarked closures too long for the trailing reference (``_long_closures``), read for
``_forecast_clip._winsorize``: a drop of weeks that the first reading let through as a level
shift is read again against a reference fixed before it started, and kept as a closure when it
shut and reopened abruptly, returned to the level before it, was no yearly low and no
known-in-advance column moved with it. Works on one series' values on the modelling scale
(log1p for counts) with ``m`` periods a week.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._forecast_clip import (
    _YEARLY_STEP_SHARE,
    _YEARLY_STEP_WEEKS,
    _ended_excursions,
    _moved_with,
    _shift_runs,
    phase_rows,
)

__all__: list[str] = []


_CLOSURE_DEPTH = 3.0
"""How many times the lower clipping bound's distance a long drop's median deviation from the
level before it must reach to be read as a closure (``_long_closures``): a store's zeros are
tens of times as far; a lull of a third stands within it."""

_LONGEST_CLOSURE_SEASONS = 13
"""The longest drop (in seasons: a quarter of a daily series) ``_long_closures`` reads as a
closure; a longer one is read as a step, as before."""


def _long_closures(zc: np.ndarray, ref: np.ndarray, shifted: np.ndarray, lo: float, m: int,
                   seasons: int, shift_run: int, shift_share: float,
                   reg: dict[str, np.ndarray] | None, unusual: np.ndarray | None,
                   ds: pd.DatetimeIndex | None) -> np.ndarray:
    """The periods of closures too long for the trailing reference: drops that the first
    reading let through as a level shift because their reference caught up with their own
    values, read again against a reference fixed before they started.

    The same-weekday median of 1-4 weeks back reads the closure's zeros from its third week
    on, so a closure of about 24 days or more stopped being beyond the bound inside itself, the
    run was let through as a step and its reopening as a step up (an unmarked 28-day closure
    ending 21 days before the origin: forecast -94% on 3 generated seeds). A run of periods
    let through below the lower bound ``lo``, spanning more than a season, is followed from its
    start against the ``seasons`` latest same-phase periods before it (none of its own): it is
    a closure when that run, under ``_LONGEST_CLOSURE_SEASONS`` seasons long, ended by
    returning to the level before it (``_ended_excursions``), its median deviation from that
    level is ``_CLOSURE_DEPTH`` times the bound's, no known-in-advance column moved with it
    (``_moved_with``) and the series took no such drop near the same date a year before or
    after (a yearly low is the season), and it fell and came back abruptly (``_abrupt``: a
    seasonal lull ramping over weeks, with no year on the other side of it to show it is the
    season, was replaced by the level before it and the next one forecast too high). A lasting
    step never comes back and stays a step."""
    n = len(zc)
    out = np.zeros(n, bool)
    with np.errstate(invalid="ignore"):
        low = shifted & (zc - ref < lo)
    idx = np.flatnonzero(low)
    if not len(idx):
        return out
    cut = np.flatnonzero(np.diff(idx) > m)
    longest = _LONGEST_CLOSURE_SEASONS * m
    rows = phase_rows(n, m, seasons + _LONGEST_CLOSURE_SEASONS + 1, ds)
    read = np.isfinite(zc) if unusual is None else np.isfinite(zc) & ~np.asarray(unusual, bool)
    need = int(np.ceil(shift_share * shift_run))
    gap = shift_run - need + 1
    year = round(365.25 / 7 * m)
    for a, b in zip(np.r_[idx[0], idx[cut + 1]], np.r_[idx[cut], idx[-1]], strict=True):
        if b - a + 1 <= m or a < m:
            continue
        stop = min(n, a + longest + shift_run)
        # per period, the ``seasons`` nearest same-phase periods before ``a`` that are read
        back = rows[a:stop]
        use = (back >= 0) & (back < a)
        use &= read[np.maximum(back, 0)]
        use &= np.cumsum(use, axis=1) <= seasons
        fixed = np.full(n, np.nan)
        fixed[a:stop] = _row_medians(np.where(use, zc[np.maximum(back, 0)], np.nan))
        with np.errstate(invalid="ignore"):
            side = np.isfinite(fixed) & (zc - fixed < lo)
        run = _shift_runs(side, shift_run, need)
        pos = np.flatnonzero(run[a:stop]) + a
        if not len(pos) or pos[0] > a + gap:
            continue
        breaks = np.flatnonzero(np.diff(pos) > gap)
        e = int(pos[breaks[0]] if len(breaks) else pos[-1])
        if e + 1 >= stop or e - a + 1 > longest:
            continue  # still going at the last period, or longer than a closure
        span = np.zeros(n, bool)
        span[a:e + 1] = run[a:e + 1]
        if _ended_excursions(span, zc, shift_run, gap, fixed)[a:e + 1].any():
            continue  # did not come back to the level before it
        depth = float(np.nanmedian((zc - fixed)[span]))
        if not depth < _CLOSURE_DEPTH * lo or _moved_with(reg, a, 2 * m, n, during=e + 1 - a):
            continue
        if _yearly_drop(zc, a, e, m, year, depth):
            continue
        if not _abrupt((zc - fixed)[span], m, depth):
            continue  # ramped in or out over weeks: a season, not a closure
        out[a:e + 1] = True
    return out


_ABRUPT_SHARE = 0.8
"""The share of a long drop's median deviation that its deepest period among its first two
days below the bound, and among its last two, must reach for ``_long_closures`` to read it as
a closure (``_abrupt``): a closure's edges stand at about its depth, a lull's that ramps over a
week or more at 0.3-0.8 of it."""


def _abrupt(dev: np.ndarray, m: int, depth: float) -> bool:
    """Whether a long drop (``dev``: the deviations from the level before it of its periods
    below the bound, in order) fell to near its ``depth`` within its first two days' periods
    (two periods of a daily series, 48 of an hourly one with a weekly season) and stood there
    until its last two days' periods: a closure shuts and reopens from one day to the next (a
    half day on either side at most), while a seasonal lull (a school's summer break, a
    resort's off-season) ramps in and out over weeks, its first and last periods beyond the
    bound standing near the bound."""
    edge = max(2, round(2 * m / 7))
    bar = _ABRUPT_SHARE * depth
    return bool(np.min(dev[:edge]) <= bar and np.min(dev[-edge:]) <= bar)


def _yearly_drop(zc: np.ndarray, a: int, e: int, m: int, year: int, depth: float) -> bool:
    """Whether the series took a drop of at least ``_YEARLY_STEP_SHARE`` of ``depth`` over the
    span ``a..e`` a year before or after, within ``_YEARLY_STEP_WEEKS`` seasons of the same
    date (its median against the median of the ``m`` periods before it)."""
    n, size = len(zc), e + 1 - a
    near = np.arange(-_YEARLY_STEP_WEEKS * m, _YEARLY_STEP_WEEKS * m + 1)
    s = np.concatenate([a - year + near, a + year + near])
    s = s[(s - m >= 0) & (s + size <= n)]
    if not len(s):
        return False
    # every candidate start at once (a loop of medians had taken 1.7 s per closure of an
    # hourly series: 2,690 starts)
    during = _row_medians(np.lib.stride_tricks.sliding_window_view(zc, size)[s])
    before = _row_medians(np.lib.stride_tricks.sliding_window_view(zc, m)[s - m])
    with np.errstate(invalid="ignore"):
        return bool((during - before <= _YEARLY_STEP_SHARE * depth).any())


def _row_medians(x: np.ndarray) -> np.ndarray:
    """Each row's median of its values other than NaN (NaN for a row of NaN only), as
    ``np.nanmedian`` gives it row by row."""
    v = np.sort(x, axis=1)  # NaN sorts last
    c = (~np.isnan(v)).sum(axis=1)
    i = np.arange(len(v))
    lo, hi = v[i, np.maximum((c - 1) // 2, 0)], v[i, np.maximum(c // 2, 0)]
    with np.errstate(invalid="ignore"):
        return np.where(c > 0, np.where(c % 2 == 1, lo, (lo + hi) / 2), np.nan)
