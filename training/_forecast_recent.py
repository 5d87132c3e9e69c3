"""A lasting step of the last weeks that the clipping bounds do not catch: the forecaster's
own back-test of the last ``RECENT_DAYS`` days, judged by ``brain forecast check``'s rule.

A level shift the LightGBM forecaster moves by itself is a run of 4 days in 5 beyond its
clipping bounds (3 robust standard deviations: about 1.5x or 2/3 on a series of a few hundred a
day). A smaller lasting step (a price change that cut orders by 28%) stays inside them, and the
trees, which learned from the history that a dip below the 4- and 13-week levels passes, carry
the forecast back towards the old level for weeks. Here the fit forecasts the last
``RECENT_DAYS`` days from the day before them (with the models and conformal band of its
calibration fit, which never saw them) and applies ``persistent_error`` to that forecast, the
rule ``check_forecast`` warns with: on one side of P50 on 13 of 14 days and beyond the band on 5.
When it holds, the step is placed (``locate_step``) and sized against a forecast from the day
before it (``step_size``); the forecaster then moves the history before it by that size, as it
moves a large shift.

Inputs are on the forecaster's modelling scale (log1p for counts), with calendar-event days
already replaced by their baseline, so a planned event is no error.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ._forecast_base import listed
from ._forecast_check import MIN_DAYS, RECENT_DAYS, persistent_error

__all__ = ["MIN_DAYS", "RECENT_DAYS", "STEP_WINDOW_DAYS", "locate_step", "ran_off",
           "recent_step_note", "step_size"]

STEP_WINDOW_DAYS = 2 * RECENT_DAYS
"""Days before the end within which a step found by ``ran_off`` is placed."""
_MIN_AFTER = 7
"""Fewest days after a step's start (a whole week, so every weekday counts once)."""
_TAIL = 4
"""Last days whose median must still be nearer the step's level than the level before it."""


def ran_off(y: np.ndarray, q: np.ndarray) -> int:
    """``persistent_error`` on actuals ``y`` against forecast quantiles ``q`` (rows P10, P50,
    P90): -1 when they ran persistently below, +1 above, 0 when not (or under ``MIN_DAYS``
    actuals)."""
    ok = np.isfinite(y) & np.isfinite(q).all(axis=1)
    y, q = y[ok], q[ok]
    n = len(y)
    if n < MIN_DAYS:
        return 0
    high, low = int((y > q[:, 1]).sum()), int((y < q[:, 1]).sum())
    side = 1 if high > low else -1
    beyond = int((y > q[:, 2]).sum()) if side > 0 else int((y < q[:, 0]).sum())
    return side if persistent_error(max(high, low), beyond, n) else 0


def locate_step(e: np.ndarray, min_after: int = _MIN_AFTER) -> int | None:
    """Where in the residuals ``e`` (actual minus a forecast made before all of them) their
    mean steps: the split maximising the two-sample mean difference scaled by
    ``sqrt(k (n - k) / n)`` (a CUSUM change point), with at least one period before it and
    ``min_after`` from it on. None when there are too few finite residuals."""
    ok = np.isfinite(e)
    idx = np.flatnonzero(ok)
    v = e[ok]
    n = len(v)
    if n < min_after + 1:
        return None
    cs = np.cumsum(v)
    k = np.arange(1, n - min_after + 1)
    before = cs[k - 1] / k
    after = (cs[-1] - cs[k - 1]) / (n - k)
    stat = np.abs(after - before) * np.sqrt(k * (n - k) / n)
    return int(idx[k[int(np.argmax(stat))]])


def step_size(r: np.ndarray, tail: int = _TAIL) -> float | None:
    """The size of a step from the residuals ``r`` of the days from its start (actual minus a
    forecast made the day before it): their median, when the median of the last ``tail`` days
    is still nearer it than 0 (the level held to the end; a drop that has just ended is no
    step). None otherwise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        size = float(np.nanmedian(r)) if np.isfinite(r).any() else np.nan
        end = float(np.nanmedian(r[-tail:])) if np.isfinite(r[-tail:]).any() else np.nan
    if not (np.isfinite(size) and np.isfinite(end)) or size == 0:
        return None
    return size if abs(end - size) < abs(end) else None


def recent_step_note(steps: dict[str, tuple[pd.Timestamp, float]], log: bool) -> str | None:
    """The note for the steps a fit followed (``LightGBMForecaster.recent_steps_``: series ->
    (first day of the new level, size on the modelling scale)), else None."""
    if not steps:
        return None
    shown = []
    for sid, (start, size) in steps.items():
        how = f"{100 * np.expm1(size):+.0f}%" if log else f"{size:+,.4g}"
        shown.append(f"{sid!r} from {start:%Y-%m-%d} ({how})")
    n = len(steps)
    its = "its" if n == 1 else "their"
    return (f"{n} series took a lasting step in {its} last {STEP_WINDOW_DAYS} days: "
            f"{listed(shown)}. A forecast of the days since, made the day before, ran "
            "persistently off (the rule 'brain forecast check' warns with: on one side of P50 "
            "on 13 of 14 days and beyond the band on 5), so the forecast starts from the new "
            "level and the history before the step is moved to it. If it is a passing event "
            "still running (an outage, a campaign), mark "
            "it in the calendar and train again")
