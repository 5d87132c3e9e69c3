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
moves a large shift. ``follow_recent_steps`` (called by ``LightGBMForecaster.fit`` with the
calibration fit's models) does all of this on the forecaster's contexts, forecasting with
``backcast``.

Inputs are on the forecaster's modelling scale (log1p for counts), with calendar-event days
already replaced by their baseline, so a planned event is no error.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._forecast_base import _Z80
from ._forecast_check import MIN_DAYS, RECENT_DAYS, persistent_error
from ._forecast_clip import _moved_with
from ._forecast_text import listed

if TYPE_CHECKING:
    import lightgbm as lgb

    from ._forecast_gbm import LightGBMForecaster

__all__ = ["MIN_DAYS", "RECENT_DAYS", "STEP_WINDOW_DAYS", "backcast", "came_back", "closed_days",
           "follow_recent_steps", "locate_step", "ran_off", "recent_step_note", "shows_in_data",
           "step_size"]

STEP_WINDOW_DAYS = 2 * RECENT_DAYS
"""Days before the end within which a step found by ``ran_off`` is placed."""
_TAIL = 4
"""Last days whose median must still be nearer the step's level than the level before it."""
DATA_Z = 2.0
"""Robust standard deviations by which the days since a step must stand from the same weekdays
in the weeks before it (``shows_in_data``) for the step to be followed."""
NULL_DAYS = 364
"""How far back the earlier stretches that measure that comparison's usual size reach."""
_REF_SEASONS = 4
"""Seasons before a step whose same-phase median is the level before it."""
_MIN_NULL = 8
"""Fewest earlier stretches that can measure it; a series with fewer is not moved."""


def ran_off(y: np.ndarray, q: np.ndarray, skip: np.ndarray | None = None) -> int:
    """``persistent_error`` on actuals ``y`` against forecast quantiles ``q`` (rows P10, P50,
    P90): -1 when they ran persistently below, +1 above, 0 when not (or under ``MIN_DAYS``
    actuals). ``skip``: periods that are no evidence either way, left out as missing ones
    are (``closed_days``)."""
    ok = np.isfinite(y) & np.isfinite(q).all(axis=1)
    if skip is not None:
        ok &= ~np.asarray(skip, dtype=bool)
    y, q = y[ok], q[ok]
    n = len(y)
    if n < MIN_DAYS:
        return 0
    high, low = int((y > q[:, 1]).sum()), int((y < q[:, 1]).sum())
    side = 1 if high > low else -1
    beyond = int((y > q[:, 2]).sum()) if side > 0 else int((y < q[:, 0]).sum())
    return side if persistent_error(max(high, low), beyond, n) else 0


def closed_days(raw: np.ndarray, z: np.ndarray, q50: np.ndarray,
                fwd: Callable[[np.ndarray], np.ndarray],
                inv: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The periods a back-test cannot be off on: the series was at 0 (``raw``, the values as
    given) and the forecast's P50 was under half a unit there too (a store's closed Sunday).
    ``z`` is ``raw`` on the modelling scale net of the known-in-advance columns' effect and
    ``q50`` the forecast on that scale (``fwd``/``inv``: the panel's transform). On that
    scale such a day is not exactly at the P50 (a closed Sunday read 0.083 against a P50 of
    0.033, the columns' effect taken out of both), so it fell on a side of it, and past the
    band, by a hair: two closed Sundays made a noisy-high week of a store's orders 10 days
    of 10 above P50 and 5 past P90, and its history was moved by +12% (without them: 8 of
    8, 3 past P90, which the rule does not take for a step)."""
    raw = np.asarray(raw, dtype=float)
    with np.errstate(invalid="ignore"):
        return (raw == 0) & (np.abs(inv(q50 + fwd(raw) - z)) < 0.5)


def locate_step(e: np.ndarray, min_after: int = MIN_DAYS) -> int | None:
    """Where in the residuals ``e`` (actual minus a forecast made before all of them) their
    mean steps: the split maximising the two-sample mean difference scaled by
    ``sqrt(k (n - k) / n)`` (a CUSUM change point), with at least one period before it and
    ``min_after`` from it on (by default ``MIN_DAYS``, the fewest days ``ran_off`` judges: a
    step with fewer days after it could never be followed). None when there are too few
    finite residuals."""
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


def came_back(r: np.ndarray, size: float) -> bool:
    """Whether the days after a drop the clipping rule saw end are back at the level before
    it: the median of their residuals ``r`` (actual minus the back-test made the day before
    the step; NaN for closed days) is nearer 0 than the step's ``size``. True when no such
    day is known. The clipping rule's own test compares raw medians of up to 5 days around
    the drop's end, weekdays and closed days mixed: a store's revenue x0.70 whose last open
    days were a Saturday (its best weekday) and a Monday, around a closed Sunday, read as
    reopened (residuals -0.32 and -0.21 against a step of -0.36) and was not followed
    (hold-out +36%)."""
    if not np.isfinite(r).any():
        return True
    after = float(np.nanmedian(r))
    return abs(after) <= abs(after - size)


def shows_in_data(zc: np.ndarray, after: np.ndarray, at: int, m: int,
                  net: np.ndarray | None = None) -> tuple[float, float]:
    """How far the values ``after`` (from period ``at`` on, net of event lifts) stand from
    the same phase in the ``_REF_SEASONS`` seasons before ``at`` (``zc``: the history with
    event days cleaned): the median of their differences. Returned with that statistic's
    usual size in the series' own history (1.4826 times the median of its absolute values):
    the same comparison for the stretches of the same length (rounded up to whole seasons,
    not overlapping) before ``at``, over the ``NULL_DAYS`` days before it (NaN with fewer
    than ``_MIN_NULL`` stretches). Each stretch is read as ``after`` is: its values from
    ``net`` (the history net of the learned event lifts, as ``after``), each against the
    same phase of ``zc`` before it; without ``net``, from ``zc``. Read from ``zc``, a
    stretch's event days are their smooth baseline, so on a calendar heavy with events the
    usual size came out far smaller than the statistic's own spread (a step-free series of
    a generated panel with 35% of its days in events: 0.005 against a statistic of -0.141).
    A forecast that ran off because it was itself off (a back-test 15% high on a flat
    channel) shows no step here."""
    k = len(after)
    stat = _against_before(np.r_[zc[:at], after], at, k, m)
    span = -(-k // m) * m  # whole seasons, so the stretches do not overlap
    windows = NULL_DAYS * (m // 7) // span
    src = zc if net is None else net
    null = [_against_before(np.r_[zc[:b], src[b:at]], b, k, m)
            for b in range(at - span, 0, -span)[:windows]]
    null_arr = np.array([v for v in null if np.isfinite(v)])
    if len(null_arr) < _MIN_NULL:
        return stat, np.nan
    return stat, float(1.4826 * np.median(np.abs(null_arr)))


def _against_before(z: np.ndarray, b: int, k: int, m: int) -> float:
    """Median over the ``k`` periods from ``b`` of each value minus the median of the same
    phase in the ``_REF_SEASONS`` seasons before ``b`` (NaN where unknown)."""
    if b - _REF_SEASONS * m < 0 or b + k > len(z):
        return np.nan
    t = np.arange(b, b + k)
    back = (t - b) % m  # periods from the phase's last value before b
    ref_idx = (b - m + back)[:, None] - m * np.arange(_REF_SEASONS)[None, :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = np.nanmedian(z[ref_idx], axis=1)
        return float(np.nanmedian(z[t] - ref))


def recent_step_note(steps: dict[str, tuple[pd.Timestamp, float]], log: bool,
                     window_days: int = STEP_WINDOW_DAYS) -> str | None:
    """The note for the steps a fit followed (``LightGBMForecaster.recent_steps_``: series ->
    (first day of the new level, size on the modelling scale)), else None. ``window_days``:
    the days searched (``STEP_WINDOW_DAYS``, fewer when the model's longest horizon is
    shorter; the note had said "last 28 days" for a 14-day window)."""
    if not steps:
        return None
    shown = []
    for sid, (start, size) in steps.items():
        how = f"{100 * np.expm1(size):+.0f}%" if log else f"{size:+,.4g}"
        shown.append(f"{sid!r} from {start:%Y-%m-%d} ({how})")
    n = len(steps)
    its = "its" if n == 1 else "their"
    return (f"{n} series took a lasting step in {its} last {window_days} days: "
            f"{listed(shown)}. A forecast of the days since, made the day before, ran "
            "persistently off (the rule 'brain forecast check' warns with: on one side of P50 "
            "on 13 of 14 days and beyond the band on 5), so the forecast starts from the new "
            "level and the history before the step is moved to it. If it is a passing event "
            "still running (an outage, a campaign), mark "
            "it in the calendar and train again")


def backcast(fc: LightGBMForecaster, models: list[lgb.LGBMRegressor], shock: dict,
             origins: dict[str, tuple[int, int]],
             lifts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
             ) -> dict[str, np.ndarray]:
    """Quantiles (P10, P50, P90 on the modelling scale, conformal band and event lifts
    included, as ``predict`` forms them) of the ``h`` periods after ``origin`` per series
    (``origins``: sid -> (origin, h)), forecast from the series' context as the fit left
    it, with ``models`` (one call per quantile). ``lifts``: per series, the event lift and
    its variances below and above over the last periods of its grid (``lift_many``)."""
    parts, order = [], []
    for sid, (t, n_h) in origins.items():
        ctx = fc.ctx_[sid]
        h = np.arange(1, n_h + 1)
        tau = t + h
        x = fc._features(ctx, np.full(n_h, t), h, ctx.ds[tau],
                         {k: np.asarray(v)[tau] for k, v in ctx.reg.items()})
        parts.append(x)
        order.append((sid, t, h))
    if not parts:
        return {}
    raw = fc._raw_quantiles(models, shock, pd.concat(parts, ignore_index=True))
    out, at = {}, 0
    for sid, t, h in order:
        q = raw[at:at + len(h)] + fc.ctx_[sid].lvl[t]
        at += len(h)
        adj = fc._conformal_at(h, sid)
        q[:, 0] -= adj
        q[:, 2] += adj
        q = np.sort(q, axis=1)
        lift, var_lo, var_hi = (v[len(v) - len(fc.ctx_[sid].z) + t + h]
                                for v in lifts[sid])
        lo = np.sqrt((q[:, 1] - q[:, 0]) ** 2 + _Z80**2 * var_lo)
        hi = np.sqrt((q[:, 2] - q[:, 1]) ** 2 + _Z80**2 * var_hi)
        mid = q[:, 1] + lift
        out[sid] = np.column_stack([mid - lo, mid, mid + hi])
    return out


def _event_days(lift: tuple[np.ndarray, np.ndarray, np.ndarray] | None, n: int,
                window: int) -> np.ndarray:
    """Over a series' ``n`` periods, the mask of those among its last ``window`` on which a
    calendar event reaches it (a lift or a lift's variance of ``lift_many`` on them)."""
    out = np.zeros(n, dtype=bool)
    if lift is None:
        return out
    on = (lift[0] != 0) | (lift[1] > 0) | (lift[2] > 0)
    out[n - len(on):] = on
    return out


def follow_recent_steps(fc: LightGBMForecaster, models: list[lgb.LGBMRegressor], shock: dict,
                        history_lifts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
                        | None = None) -> dict[str, tuple[pd.Timestamp, float]]:
    """Move the history before a lasting step of the last weeks that the clipping bounds
    do not catch in the contexts of ``fc`` (a ``LightGBMForecaster`` during its fit): the
    calibration fit (``models`` and ``shock``, which never saw the last year) forecasts each
    daily series' last ``RECENT_DAYS`` days from the day before them; when those days ran
    persistently off (``brain forecast check``'s rule), the step is placed within the last
    ``STEP_WINDOW_DAYS`` and sized by the median of its days against a forecast from the day
    before it, and the periods before it are put on the new level (``_Ctx.move_before``; the
    context as it was is kept in ``fc.unmoved_``). Not moved: a step that no longer holds at
    the end, one a known-in-advance column of the series explains (the trees learn that
    from the column), or one the values do not show against the weeks before it beyond
    ``DATA_Z`` times such a comparison's usual size in the series' last year
    (``shows_in_data``: the back-test may have run off because it was itself off).

    ``history_lifts``: the learned lifts on each series' whole history (``lift_many`` of
    ``fc.calendar_``, as the fit has them); None: read here, in one pass for the series whose
    step is tested (one pass per series had cost 0.5 s each on a 60,000-row calendar).

    Returns the steps moved: series -> (first day of the new level, size on the
    modelling scale)."""
    if fc.spd_ != 1:
        return {}  # the rule is for daily series, as the check's warning
    m = 7
    n_recent = min(RECENT_DAYS, fc.max_h_)
    window = min(STEP_WINDOW_DAYS, fc.max_h_)
    ready = {sid: c for sid, c in fc.ctx_.items()
             if len(c.z) > window + 8 * m and np.isfinite(c.lvl[len(c.z) - window - 1])}
    # the forecast as predict gives it, event lifts and their spread included, against
    # the values as they were (net of the known-in-advance columns' effect), as
    # ``brain forecast check`` reads a kept forecast against the actuals
    lifts = fc.effects_.lift_many({sid: c.ds[-window:] for sid, c in ready.items()},
                                  fc.calendar_)
    # where a step would start: the split of the last ``window`` days' errors of a
    # forecast made before them; then the days from it on against a forecast made the day
    # before it, by the check's rule on (at most) their last ``n_recent`` days: a step 12
    # days old in a window of the last 14 has two days of the old level in it
    early = backcast(fc, models, shock, {sid: (len(c.z) - window - 1, window)
                                         for sid, c in ready.items()}, lifts)
    starts = {}
    for sid, q in early.items():
        c = ready[sid]
        k = locate_step(c.z[-window:] - q[:, 1])
        if k is not None:
            starts[sid] = len(c.z) - window + k
    fresh = backcast(fc, models, shock, {sid: (a - 1, len(fc.ctx_[sid].z) - a)
                                         for sid, a in starts.items()}, lifts)
    if history_lifts is None:
        history_lifts = fc.effects_.lift_many({sid: fc.ctx_[sid].ds for sid in fresh},
                                              fc.calendar_) if fresh else {}
    moved = {}
    for sid, q in fresh.items():
        c, a = fc.ctx_[sid], starts[sid]
        after_event = getattr(c, "_after_event", None)
        if after_event is not None and after_event[a]:
            # placed in the weeks after an event that multiplies traffic: the tail it leaves
            # past its window fading (a launch's), not a step
            continue
        k = min(n_recent, len(q))
        panel = fc.panel_
        closed = closed_days(panel.series[sid].y[a:], c.z[a:], q[:, 1], panel.fwd, panel.inv)
        if _event_days(lifts.get(sid), len(c.z), window)[a:].all():
            # every day since it on a calendar event of the series (its window or shoulder
            # days): an event still running, larger than its learned lift, not a step (a
            # keynote launch at 12x after launches of 3x, entered as a 14-day event, had run
            # off on its own days and moved the page's whole history up by +48%)
            continue
        side = ran_off(c.z[len(c.z) - k:], q[len(q) - k:], closed[len(q) - k:])
        if side == 0:
            continue
        resid = np.where(closed, np.nan, c.z[a:] - q[:, 1])
        size = step_size(resid)
        if size is None or np.sign(size) != side:
            continue
        if _moved_with(c.reg, a, 2 * m, len(c.z), during=len(c.z) - a):
            continue  # a budget or price that moved with it: the trees learn it
        # the values themselves must have stepped: the days since against the same weekdays
        # before, beyond what such a comparison gives in the series' last year (``NULL_DAYS``; a
        # back-test that ran 15% high on a flat channel had moved its history by -18%)
        # the history net of its learned event lifts (as the days since are read), so the
        # earlier stretches that measure the usual size are read as those days are
        got = history_lifts.get(sid)
        lift = np.zeros(len(c.z)) if got is None else got[0]
        net = c.z - lift[len(lift) - len(c.z):] + c.offset
        moved_by, usual = shows_in_data(c.zc, net[a:], a, m, net)
        if np.isfinite(usual) and not (np.sign(moved_by) == side
                                       and abs(moved_by) > DATA_Z * usual):
            continue  # (a history too short to measure it keeps the back-test's word)
        ended = np.flatnonzero(c._undo[a:] != 0) + a
        if (len(ended) and ended[-1] + 1 < len(c.z) and not c.cleaned[ended[-1] + 1]
                and came_back(resid[ended[-1] + 1 - a:], size)):
            # a drop the clipping rule saw end on a day without an event, and the days
            # since are back at the forecast: a closure that reopened (only event days
            # after it, cleaned to the level before the drop, can have made a lasting step
            # look ended)
            continue
        fc.unmoved_[sid] = copy.copy(c)
        c.move_before(a, size)
        moved[sid] = (pd.Timestamp(c.ds[a]), size)
    return moved
