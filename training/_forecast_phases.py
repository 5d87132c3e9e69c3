"""Closed phases of a series: the weekdays or hours of the week on which a business is shut.

A shop closed on Sundays, or at night, is not sparse for it: ``_zero_share`` counts zero
periods among the open phases only, and ``closed_phases`` marks the closed ones.
"""

from __future__ import annotations

import numpy as np

__all__ = ["closed_phases"]


def _zero_share(y: np.ndarray, spd: int) -> float:
    """Share of zero periods among those whose phase (weekday, hour of the week) is open: a
    shop closed on Sundays, or at night, is not sparse for it.

    A phase is closed when it is above 0 on under half as many of its periods as the busiest
    phase: a closed Sunday is nearly always 0 where the weekdays are not, while a sparse
    series (returns on 14% of days) is 0 as often on every weekday. (Taking the phases whose
    median is 0 as closed had called such a series 0% sparse.)
    """
    ok = np.isfinite(y)
    if not ok.any():
        return 0.0
    phase, busy = _phase_busy(y, spd)
    if busy.max() == 0:
        return 1.0
    active = ok & (busy[phase] >= 0.5 * busy.max())
    return float((y[active] == 0).mean()) if active.any() else 0.0


def closed_phases(y: np.ndarray, spd: int) -> np.ndarray:
    """Per period, whether its phase (weekday, hour of the week) is closed: above 0 on under
    half as many of its periods as the busiest phase (the rule ``_zero_share`` uses): a shop's
    Sundays, or its nights. A sparse series (0-2 orders a day) has no closed phase."""
    phase, busy = _phase_busy(y, spd)
    if busy.max() == 0:
        return np.zeros(len(y), dtype=bool)
    return busy[phase] < 0.5 * busy.max()


def _phase_busy(y: np.ndarray, spd: int) -> tuple[np.ndarray, np.ndarray]:
    """Each period's phase (weekday, hour of the week, counted back from the last period) and
    per phase the share of its observed periods above 0."""
    m = 7 * spd
    ok = np.isfinite(y)
    phase = (np.arange(len(y)) - len(y)) % m
    busy = np.zeros(m)
    for p in range(m):
        v = y[(phase == p) & ok]
        busy[p] = float((v != 0).mean()) if len(v) else 0.0
    return phase, busy
