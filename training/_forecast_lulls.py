"""Seasonal lulls the level-shift rebase leaves in the history (``_rebase_offsets``).

A business's off-season (a garden centre's winter, a school supplier's summer break) that a
history of a year to two years holds once reads as two level shifts: a drop that ramps in over
weeks and a rise back to the level before it. Neither has a year on the other side in the
history, so the yearly check of ``_rebase_offsets`` cannot see it, and moved, the pair lifted
the lull to the level around it: the history no longer held it, and the next off-season was
forecast at the usual level (bias +32% .. +58% over the next 90 days on generated off-seasons,
MASE 3.2-3.3; left in, the date features repeat it: bias -10% .. +3%, MASE 0.46-0.84).
``seasonal_lulls`` names such pairs so the rebase leaves them, and no lasting step is read in
them (``_forecast_clip._lull_periods``).
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["seasonal_lulls"]

_LULL_SEASONS = 16
"""The longest span (in seasons) from a lull's drop to the rise that ends it."""
_LULL_BACK = 1 / 3
"""How near the level before the drop (as a share of the lull's depth) the level after the
rise must come back for the pair to be one lull."""
_LULL_ABRUPT = 0.8
"""Share of the lull's depth that the first two days' periods of both the drop and the rise
must reach against their trailing reference for the lull to be abrupt (a campaign paused and
resumed, no season): a lull that ramps over a week or more stands at 0.3-0.8 of it."""


def seasonal_lulls(zc: np.ndarray, ref: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                   m: int, year: int, reach: int) -> list[tuple[int, int]]:
    """Spans (first, last period) of the shift runs (``starts``/``ends``, in time order) that
    are the drop and the rise of a seasonal lull seen once: a drop followed within
    ``_LULL_SEASONS`` seasons by a rise back to within ``_LULL_BACK`` of its depth of the level
    before it, ramped in or out (not ``_LULL_ABRUPT`` on both edges), in a history of a year
    or more (the date features read the lull) where the yearly check reads neither run a year
    before or after (``reach``: how far its reading of a step reaches past the date a year
    away, its window of seasons less the seasons either side its medians read): the history
    cannot say whether it recurs."""
    n = len(zc)
    out: list[tuple[int, int]] = []
    if n < year:
        return out

    def unseen(a: int) -> bool:
        return a - year + reach < 0 and a + year - reach > n

    edge = max(2, round(2 * m / 7))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for i in range(len(starts) - 1):
            a, b = int(starts[i]), int(ends[i])
            if a < 2 * m or not unseen(a):
                continue
            # the drop and the rise may each be read as more than one run: the latest run
            # within reach that ends the lull takes the runs between with it
            for j in range(len(starts) - 1, i, -1):
                c, d = int(starts[j]), int(ends[j])
                if c - a <= _LULL_SEASONS * m and unseen(c) and _lull(zc, ref, a, b, c, d, m,
                                                                       edge):
                    out.append((a, d))
                    break
    return out


def _lull(zc: np.ndarray, ref: np.ndarray, a: int, b: int, c: int, d: int, m: int,
          edge: int) -> bool:
    """Whether the run ``a..b`` (a drop) and the later run ``c..d`` (a rise) make a lull: the
    level after the rise back within ``_LULL_BACK`` of the depth of the level before the drop,
    ramped in or out (the first ``edge`` periods of the drop against their reference, or of
    the rise, short of ``_LULL_ABRUPT`` of the depth)."""
    after = zc[d + 1:d + 1 + 2 * m]
    if np.isfinite(after).sum() < m:
        return False  # the rise is still going: no level after it yet
    before = float(np.nanmedian(zc[a - 2 * m:a]))
    bottom = float(np.nanmedian(zc[b + 1:c] if c > b + 1 else zc[a:c]))
    depth = before - bottom
    if not (np.isfinite(depth) and depth > 0):
        return False
    if abs(float(np.nanmedian(after)) - before) > _LULL_BACK * depth:
        return False  # the level did not come back: a step, not a lull
    down = zc[a:a + edge] - ref[a:a + edge]
    up = zc[c:c + edge] - ref[c:c + edge]
    # shut and reopened from one day to the next: no season
    return not (np.nanmin(down) <= -_LULL_ABRUPT * depth
                and np.nanmax(up) >= _LULL_ABRUPT * depth)
