"""Lasting steps of the weekly level that the clipping bounds do not catch, older than a quarter.

A level shift beyond the clipping bounds is moved by ``_rebase_offsets``, and a step of the last
28 days by the fit's back-test (``_forecast_recent``). A smaller step further back stayed in the
history as it was: a page that lost 18% of its views for good eleven months before the origin
(a site redesign), inside the bounds, was read by the date features and the year-over-year
features as a season, and the forecast dropped by 18% again on the step's anniversary. With one
or two years of history nothing else tells such a step from a season.

``lasting_steps`` finds them on the de-seasonalised weekly level (the mean of each whole week on
the modelling scale, event days already replaced by their baseline): a jump between two linear
stretches of ``_WINDOW`` weeks either side (Theil-Sen slope, medians of the detrended weeks), at
least ``_MIN_Z`` robust standard deviations of the week-to-week noise and ``_MIN_SIZE`` on the
modelling scale, that held: a quarter later (``_HOLD`` weeks) the level is still at least half
the jump from where it was before; no jump of the other sign of half its size took it back
later, nor did it take back one of the year before it, nor did a quarter's median move the
other way by half its size in the year before it or after it (a season that rose over weeks
and ended at once, seen once); the series took no jump of the same sign and a third of the
size within ``_YEARLY_WEEKS`` weeks of the same date a year before or after (a season: a
sport's season start, a summer lull); no known-in-advance column moved with it. The weeks
after an event that multiplies traffic (a launch's tail past its window) are no level
reading. The history before each is put on the level after it, as for a large shift, so the
date and year-over-year features read it level-adjusted.

References:
    Sen (1968), "Estimates of the regression coefficient based on Kendall's tau", JASA 63.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._forecast_clip import _moved_with

__all__: list[str] = []

_WINDOW = 6
"""Weeks either side of a split that measure a jump."""
_HOLD = 13
"""Weeks after a jump over which its level must hold (a quarter): the step is at least as old."""
_MIN_Z = 6.0
"""Robust standard deviations of the week-to-week noise a jump must measure."""
_MIN_SIZE = 0.08
"""Smallest jump on the modelling scale (about 8% on log1p counts)."""
_YEARLY_WEEKS = 4
"""Weeks from the same date a year before or after within which a jump of the same sign makes
the step a season."""
_YEARLY_SHARE = 1 / 3
"""Share of the step's size that a jump a year before or after must reach."""


def weekly_levels(z: np.ndarray, m: int) -> tuple[np.ndarray, int]:
    """Mean of each whole week (``m`` periods, the last week ending at the last period) and the
    period where the first week starts; NaN for a week with under half its periods known."""
    n = len(z)
    first = n % m
    block = z[first:].reshape(-1, m) if n >= m else np.zeros((0, m))
    ok = np.isfinite(block)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        w = np.nanmean(block, axis=1)
    w[ok.sum(axis=1) < m / 2] = np.nan
    return w, first


def _theil_sen_windows(w: np.ndarray, k: int) -> np.ndarray:
    """The Theil-Sen slope of every stretch of ``k`` weeks of ``w`` (row ``i``: weeks ``i``
    to ``i + k - 1``, against 0 .. k - 1): the median of the slopes between its pairs of
    known weeks; NaN with under two known weeks."""
    win = np.lib.stride_tricks.sliding_window_view(w, k)
    i, j = np.triu_indices(k, 1)
    return np.nanmedian((win[:, j] - win[:, i]) / (j - i), axis=1)


def jumps(w: np.ndarray, k: int = _WINDOW) -> np.ndarray:
    """Jump of the weekly level ``w`` across week ``j`` for every ``j`` (NaN without ``k``
    weeks either side): the median of the ``k`` weeks after week ``j`` minus the median of the
    ``k`` before it, both detrended by the Theil-Sen slope of the two stretches (the median of
    the slopes within each: a season's slow rise is a slope, not a jump). Week ``j`` itself
    is left out: a step in the middle of it makes it half one level, half the other. Every
    week at once (a loop over weeks had taken 29 s of CPU for 1,000 daily series of two
    years)."""
    nw = len(w)
    out = np.full(nw, np.nan)
    if nw < 2 * k + 1:
        return out
    x = np.arange(k, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        win = np.lib.stride_tricks.sliding_window_view(w, k)
        known = np.isfinite(win).sum(axis=1)
        ts = _theil_sen_windows(w, k)
        j = np.arange(k, nw - k)
        before, after = win[j - k], win[j + 1]
        enough = (known[j - k] >= k // 2 + 1) & (known[j + 1] >= k // 2 + 1)
        slope = np.nanmedian(np.stack([ts[j - k], ts[j + 1]], axis=1), axis=1)
        ok = enough & np.isfinite(slope)
        # both stretches against the middle of week j (after at 1 .. k, before at -k .. -1)
        a = np.nanmedian(after - slope[:, None] * (x + 1), axis=1)
        b = np.nanmedian(before - slope[:, None] * (x - k), axis=1)
        out[j[ok]] = (a - b)[ok]
    return out


def _split(z: np.ndarray, start: int, m: int) -> int:
    """The period of the week from ``start`` from which its values stand nearer the same phase
    a week after than a week before (the step's first period)."""
    n = len(z)
    week = np.arange(start, min(start + m, n))
    back = np.where(week - m >= 0, z[np.maximum(week - m, 0)], np.nan)
    ahead = np.where(week + m < n, z[np.minimum(week + m, n - 1)], np.nan)
    d_back = np.nan_to_num((z[week] - back) ** 2)
    d_ahead = np.nan_to_num((z[week] - ahead) ** 2)
    # cost of a split at each period: the days before it against last week, from it on
    # against next week
    cost = np.r_[0.0, np.cumsum(d_back)] + np.r_[np.cumsum(d_ahead[::-1])[::-1], 0.0]
    return int(start + np.argmin(cost))


def _quarter_changes(w: np.ndarray) -> np.ndarray:
    """The median of each ``_HOLD`` weeks of ``w`` minus that of the ``_HOLD`` before them
    (empty when ``w`` is shorter than two quarters)."""
    if len(w) < 2 * _HOLD:
        return np.zeros(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.array([np.nanmedian(w[i:i + _HOLD]) for i in range(len(w) - _HOLD + 1)])
    return np.nan_to_num(med[_HOLD:] - med[:-_HOLD])


def noise_sd(w: np.ndarray) -> float:
    """Robust standard deviation of the weekly level's week-to-week noise (1.4826 times the
    median absolute deviation of its first differences, over the square root of 2)."""
    d = np.diff(w)
    d = d[np.isfinite(d)]
    if len(d) < 4:
        return np.nan
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2))


def lasting_steps(z: np.ndarray, m: int, year: int, until: int | None = None,
                  reg: dict[str, np.ndarray] | None = None,
                  ended: np.ndarray | None = None, skip: np.ndarray | None = None
                  ) -> list[tuple[int, float]]:
    """The lasting steps of ``z`` (one series on the modelling scale, ``m`` periods a week,
    ``year`` periods a year) as (first period, size), latest first; only the periods before
    ``until`` are read. ``reg``: known-in-advance columns (a step one of them moved with is
    theirs to explain); ``ended``: periods of runs the clipping rule saw end (the level coming
    back after a surge or a closure is no step); ``skip``: periods no level is read from (the
    tail an event that multiplies traffic leaves past its window)."""
    n = len(z) if until is None else max(0, min(int(until), len(z)))
    z = np.asarray(z[:n], dtype=float)
    w, first = weekly_levels(z if skip is None else np.where(skip[:n], np.nan, z), m)
    nw = len(w)
    if nw < _WINDOW + _HOLD:
        return []
    sd = noise_sd(w)
    if not np.isfinite(sd) or sd <= 0:
        return []
    jmp = jumps(w)
    least = max(_MIN_Z * sd, _MIN_SIZE)  # what a jump must measure
    big = np.isfinite(jmp) & (np.abs(jmp) >= least)
    yw = round(year / m)
    out: list[tuple[int, float]] = []
    taken = np.zeros(nw, bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for j in np.argsort(-np.nan_to_num(np.abs(jmp)) * big):
            if not big[j] or taken[max(0, j - _WINDOW):j + _WINDOW].any():
                continue
            near_j = jmp[max(0, j - _WINDOW):j + _WINDOW + 1] * np.sign(jmp[j])
            if abs(jmp[j]) < np.nanmax(near_j):
                continue  # the same jump read at a neighbouring split
            size = float(jmp[j])
            if j + _HOLD > nw:
                continue  # too young to know it lasted: the back-test's and the clip rule's
            before = float(np.nanmedian(w[j - _WINDOW:j]))
            # (its level a quarter on, against the weeks before it)
            held = float(np.nanmedian(w[j + _HOLD - _WINDOW // 2:j + _HOLD])) - before
            if not held * np.sign(size) >= abs(size) / 2:
                continue  # back within a quarter: a season, a launch's tail, a campaign
            # (splits within a window of it read it inside their own stretches)
            later = jmp[j + _WINDOW + 1:] * -np.sign(size)
            back = max(least, abs(size) / 2)  # a jump that takes back half of it or more
            if (np.nan_to_num(later) >= back).any():
                continue  # a later jump of the other sign took it back
            earlier = jmp[max(0, j - yw):max(0, j - _WINDOW)] * -np.sign(size)
            if (np.nan_to_num(earlier) >= back).any():
                continue  # it took back a jump of the year before it: a season's end
            # or a slower change: one quarter's median against the quarter before it, in the
            # year before the step (a football season that rose over August and September
            # and ended in a week) or after it
            if (_quarter_changes(w[max(0, j - yw):j]) * -np.sign(size) >= back).any() or (
                    _quarter_changes(w[j + 1:]) * -np.sign(size) >= back).any():
                continue
            near = [jmp[j + s * yw + d] for s in (-1, 1)
                    for d in range(-_YEARLY_WEEKS, _YEARLY_WEEKS + 1)
                    if 0 <= j + s * yw + d < nw]
            same = np.array([v for v in near if np.isfinite(v)]) * np.sign(size)
            if len(same) and same.max() >= abs(size) * _YEARLY_SHARE:
                continue  # the series takes such a step every year: a season
            a = _split(z, first + j * m, m)
            if ended is not None and ended[max(0, a - 2 * m):a].any():
                continue  # the level coming back after a run that ended (``_rebase_offsets``)
            if _moved_with(reg, a, 2 * m, n):
                continue
            taken[j] = True
            out.append((a, size))
    return sorted(out, reverse=True)


