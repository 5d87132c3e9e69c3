"""Event days at the end of the history: a baseline that follows a level change.

``EventEffects`` cleans an event day to the median of the same phase up to ``season_lags``
seasons either side. At the end of the history only the seasons before exist, so event days
there (a payday promotion with its shoulder days: a whole week) are cleaned to the level from
before any recent change, and a forecast reading them starts from the old level (a generated
panel's orders x0.6 seven days before the origin, whose last week was a promotion: forecast
+44% high, against -0.4% without the promotion). Their own values net of the learned lift hold
the level since: where those days' median runs off their one-sided baseline by more than their
noise and the lifts' spread allow (``TAIL_Z`` standard errors), the baseline of every such day
is moved by that median; where the change starts inside those days (a step in the fifth week
of a school holiday still running), only the days from it on (``tail_step``).

All on one series' values on the modelling scale (log1p for counts).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TAIL_Z", "one_sided_tail", "tail_offset", "tail_step"]

TAIL_Z = 2.5
"""Standard errors by which the median of the end-of-history event days, net of their lifts,
must stand off their one-sided baseline for the baseline to move."""
_MIN_DAYS = 3
"""Fewest end-of-history event days (whole days of periods) that can move their baseline."""

_SPLIT_DAYS = 7
"""Fewest days after a level change placed inside the end-of-history event days (a whole
week: the split is where the mean moves most, so a few days after it stand off by chance)."""


def one_sided_tail(skip: np.ndarray, affected: np.ndarray, m: int, lags: int) -> np.ndarray:
    """The event days (``affected``) whose baseline could read only the seasons before them:
    every same-phase period 1..``lags`` seasons after each is beyond the end of the history or
    skipped (``skip``: event and shoulder days, unmarked drops)."""
    n = len(affected)
    out = affected.copy()
    for j in range(1, lags + 1):
        idx = np.arange(n) + j * m
        inside = idx < n
        free = np.zeros(n, bool)
        free[inside] = ~skip[idx[inside]]
        out &= ~free
    # only the last ``lags`` seasons: a phase skipped throughout the middle of the history
    # (a weekly newsletter day) reads its fallback baseline, not this one
    out[:max(0, n - lags * m)] = False
    return out


def tail_offset(resid: np.ndarray, var: np.ndarray, spd: int, common: float = 0.0) -> float:
    """How far to move the baseline of the end-of-history event days whose values net of
    their lifts ran ``resid`` off it (modelling scale), each with variance ``var`` (day-to-day
    noise, the lift's uncertainty and its occurrences' spread): their median when it stands
    off 0 by ``TAIL_Z`` standard errors of a median (``sqrt(pi / 2 * mean(var) / days)``),
    else 0.
    Fewer than ``_MIN_DAYS`` days of periods (``spd`` a day) move nothing. ``common``: a
    variance every day shares, which the days do not average away (how far a still-running
    occurrence's own lift may differ from its past ones'), added to the squared standard
    error."""
    ok = np.isfinite(resid) & np.isfinite(var)
    r, v = resid[ok], var[ok]
    if len(r) < _MIN_DAYS * spd:
        return 0.0
    off = float(np.median(r))
    # the periods of one day share its noise: counted by days
    se = float(np.sqrt(np.pi / 2 * float(np.mean(v)) / (len(r) / spd) + common))
    return off if abs(off) > TAIL_Z * se else 0.0


def tail_step(resid: np.ndarray, var: np.ndarray, spd: int, common: float = 0.0
              ) -> tuple[int, float]:
    """``tail_offset`` for a level change that may start inside the end-of-history event
    days (a step 10 days before the end of a school holiday in its fifth week: 18 of its
    28 one-sided days stand at the old level, so their median did not move). The change is
    placed where the residuals' mean moves most (a CUSUM split with ``_SPLIT_DAYS`` days after
    it); when the days before it stand nearer 0 than their median after it, only the days
    from it on are tested and moved, otherwise all of them (a week all after the step).
    Returns the position of the first period moved and the size (0.0: nothing moved)."""
    ok = np.isfinite(resid) & np.isfinite(var)
    idx = np.flatnonzero(ok)
    r = resid[ok]
    start = 0
    need = _SPLIT_DAYS * spd
    if len(r) > need:
        cs = np.cumsum(r)
        n = len(r)
        k = np.arange(1, n - need + 1)
        stat = np.abs((cs[-1] - cs[k - 1]) / (n - k) - cs[k - 1] / k) * np.sqrt(k * (n - k) / n)
        at = int(k[int(np.argmax(stat))])
        after = float(np.median(r[at:]))
        before = float(np.median(r[:at]))
        if abs(before) < abs(before - after):
            start = int(idx[at])
    size = tail_offset(resid[start:], var[start:], spd, common)
    return (start, size) if size else (0, 0.0)
