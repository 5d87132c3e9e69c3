"""A young series' drift, for the event baselines (``EventEffects``): how far its level moved
per period over its event-free periods, so an event day is cleaned to the level the series
had reached, not to the one it ran at weeks before.

A store opened eight weeks ago whose traffic ramps up (70% of its settled level on the first
day) has few event-free periods: school holidays, public holidays and their shoulder days
cover most of its weeks. The event baseline (the median of the same weekday a few weeks either
side, skipping event days) then reads its first ten days for most of them, and its history
was cleaned back to its opening level; the trees read their level from that history, and the
forecast ran 26-28% low. An old series reads same-weekday values on both sides of an event,
and a level that drifts over years moves little between them; a young one has only a few
weeks of history, all on one side of its latest events, while its level still moves.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["DRIFT_ALPHA", "DRIFT_WEEKS", "young_drift"]


DRIFT_WEEKS = 13
"""A series with fewer seasons (weeks) of history than this is young: its event baselines
follow its drift (``young_drift``); the same age as ``young_shifts``' ``YOUNG_WEEKS``."""
DRIFT_ALPHA = 0.01
"""Two-sided level of the test a young series' drift must pass (``young_drift``): a noisy
flat series is not moved."""


def young_drift(z: np.ndarray, skip: np.ndarray, m: int) -> np.ndarray:
    """Per period, the drift of a young series' level (modelling scale, 0 at its first
    period), or zeros.

    ``z``: values on the modelling scale; ``skip``: periods that are no reading of its level
    (event and shoulder days, unmarked drops, closed phases at 0); ``m``: periods per season.
    A series with ``DRIFT_WEEKS`` seasons of history or more, or fewer than two seasons of
    free periods, has none. The drift is the slope of an ordinary least squares fit of the
    free periods on one intercept per phase of the season and a straight line in time (a
    ramp over a few weeks is straight enough there; a launch burst fading gives a falling
    line), kept only when its t statistic passes ``DRIFT_ALPHA`` two-sided.
    """
    n = len(z)
    out = np.zeros(n)
    if n >= DRIFT_WEEKS * m:
        return out
    t = np.arange(n)
    free = ~np.asarray(skip, bool) & np.isfinite(z)
    if free.sum() < 2 * m:
        return out
    phase = t[free] % m
    used = np.unique(phase)
    x = np.column_stack([(phase == p).astype(float) for p in used] + [t[free] / m])
    dof = len(x) - x.shape[1]
    if dof < 2:
        return out
    beta, _, rank, _ = np.linalg.lstsq(x, z[free], rcond=None)
    if rank < x.shape[1]:
        return out
    resid = z[free] - x @ beta
    s2 = float(resid @ resid) / dof
    se = float(np.sqrt(s2 * np.linalg.inv(x.T @ x)[-1, -1]))
    slope = float(beta[-1])
    if not se > 0 or abs(slope) / se < stats.t.ppf(1 - DRIFT_ALPHA / 2, dof):
        return out
    return slope * t / m
