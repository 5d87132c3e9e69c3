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
of a school holiday still running), only the days from it on (``tail_step``). The size
applied is shrunk towards 0 by the spread a size has where nothing changed, computed with
the split chosen the same way and the series' persisting day-to-day noise (``null_spread``):
the split is where the mean moves most and only large sizes pass, so a passing size ran
large.

All on one series' values on the modelling scale (log1p for counts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._forecast_recent import step_size

__all__ = ["TAIL_Z", "day_autocorrelation", "decay_on_level", "decaying_excess", "faded_tail",
           "kind_decay", "larger_occurrence",
           "null_spread", "occurrence_scale", "one_sided_tail", "shared_decay", "tail_offset",
           "tail_step", "window_shape"]

TAIL_Z = 2.5
"""Standard errors by which the median of the end-of-history event days, net of their lifts,
must stand off their one-sided baseline for the baseline to move."""
_MIN_DAYS = 3
"""Fewest end-of-history event days (whole days of periods) that can move their baseline."""

_END_DAYS = 4
"""Last days (whole days of periods) whose median must still be nearer the size than 0 for
the baseline to move (``step_size``'s ``tail``)."""

_SPLIT_DAYS = 7
"""Fewest days after a level change placed inside the end-of-history event days (a whole
week: the split is where the mean moves most, so a few days after it stand off by chance)."""


_Z90 = 1.2816
"""Standard normal quantile at 90%: the one-sided bound of ``decay_on_level``'s range."""

_FADED = 0.5
"""Share of its largest excess (original scale) a kind's learned lift must have fallen to by
the last day seen of an occurrence still running, for its shape to tell a larger occurrence
from a level change (``larger_occurrence``)."""


def occurrence_scale(resid: np.ndarray, lift: np.ndarray, live: np.ndarray,
                     shape: np.ndarray | None = None) -> float | None:
    """The ``s`` of ``larger_occurrence``: how many times its kind's excess an occurrence
    still running at the end ran (least squares on the modelling scale over its days
    ``live``), or None where its kind's excess does not decay over the days seen (see
    there). ``shape``: the kind's lift of each day (modelling scale) where it differs from
    the ``lift`` the residuals are net of (``window_shape``: the days of a window that share
    one learned lift)."""
    shape = lift if shape is None else shape
    idx = np.flatnonzero(live & np.isfinite(resid) & np.isfinite(lift) & np.isfinite(shape))
    if len(idx) < _MIN_DAYS:
        return None
    # a day below its baseline under the lift (a weekday term on a weekend) scales as none
    e = np.maximum(np.expm1(shape[idx]), 0.0)
    top = float(np.max(e))
    if top <= 0 or e[-1] > _FADED * top:
        return None
    # least squares on the modelling scale (each day counts as the noise does), over a grid
    # of scales from 0 to 200
    grid = np.r_[0.0, np.exp(np.linspace(np.log(0.05), np.log(200.0), 400))]
    fit = np.log1p(grid[:, None] * e[None, :]) - lift[idx][None, :]
    return float(grid[int(np.argmin(np.sum((resid[idx][None, :] - fit) ** 2, axis=1)))])


def larger_occurrence(resid: np.ndarray, lift: np.ndarray, live: np.ndarray,
                      shape: np.ndarray | None = None) -> np.ndarray:
    """The part of the end-of-history event days' residuals ``resid`` (values net of the
    learned ``lift``, modelling scale, off their one-sided baseline) that an occurrence still
    running at the end explains by being ``s`` times as large as its kind's (its excess over
    the baseline ``s * (exp(shape) - 1)`` on its days ``live``; ``shape`` is ``lift`` unless
    given): ``log1p(s * (exp(shape) - 1)) - lift`` there, 0 elsewhere. ``s`` is the
    least-squares scale of its days' excess on the kind's (``occurrence_scale``). Only where
    the kind's own excess decays over the days seen (on the last of them at most ``_FADED``
    of its largest: a launch fading over weeks), else all 0: a flat lift (a school holiday)
    has no shape to tell a larger occurrence from a level change.
    A keynote launch at 12x after launches of 3x and 3.5x, its 14-day window running at the
    end, had its days 8 days in stand +1.0 above the learned lift with no sign of fading in
    their noise; read as a level, its page's next 60 days were forecast 2.6-2.8 times too
    high."""
    out = np.zeros(len(resid))
    shape = lift if shape is None else shape
    s = occurrence_scale(resid, lift, live, shape)
    if s is None:
        return out
    idx = np.flatnonzero(live & np.isfinite(resid) & np.isfinite(lift) & np.isfinite(shape))
    out[idx] = np.log1p(s * np.maximum(np.expm1(shape[idx]), 0.0)) - lift[idx]
    return out


def window_shape(lifts: np.ndarray, span: int) -> np.ndarray:
    """A kind's lift (modelling scale) on each day 0..``span`` - 1 of a window, from its
    learned lifts ``lifts``: one per day for the first ``len(lifts) - 1`` days, then the one
    the later days share (``EventEffects.max_offset``). Where the kind's excess (original
    scale) decays over the days with a lift of their own (a log-linear fit of at least 3 of
    them above 0 falls), the later days follow that decay instead of sharing one value, at
    the level that keeps their mean lift the shared one: a launch whose excess fades over
    three weeks had its days 6-13 at their mean, so 8 days into a 12x keynote its days 6-8,
    read against 12 times that mean, stood +0.3 above it and were taken for a level, and its
    days 9-13 were forecast at the lift of its days 6-8. Elsewhere the shared lift, as
    learned."""
    lifts = np.asarray(lifts, dtype=float)
    m = len(lifts) - 1
    out = np.r_[lifts[:m], np.full(max(span - m, 0), lifts[m])][:span]
    if span <= m + 1 or not np.isfinite(lifts).all():
        return out
    head = np.expm1(lifts[:m])
    ok = head > 0
    if ok.sum() < _MIN_DAYS or lifts[m] <= 0:
        return out
    b = float(np.polyfit(np.arange(m)[ok], np.log(head[ok]), 1)[0])
    if b >= 0:
        return out
    g = np.exp(b * np.arange(span - m))
    # the level c whose days' mean lift is the shared lift (bisection: rising in c)
    lo, hi = 0.0, float(np.expm1(lifts[m])) / float(g[-1])
    for _ in range(60):
        c = (lo + hi) / 2
        lo, hi = (c, hi) if np.mean(np.log1p(c * g)) < lifts[m] else (lo, c)
    out[m:] = np.log1p((lo + hi) / 2 * g)
    return out


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


def faded_tail(z: np.ndarray, base: np.ndarray, skip: np.ndarray, m: int, spd: int,
               quiet: np.ndarray) -> np.ndarray:
    """The free periods after the history's last event days (``skip``: event and shoulder
    days, unmarked drops) that still carry the event's excess, fading by the end: the mask
    of all of them when their values ``z`` stand above their ``base`` (the local no-event
    value) by more than ``TAIL_Z`` standard errors of a median (noise read from the
    residuals of the ``quiet`` periods) and the last ``_END_DAYS`` days are back nearer 0
    than that (``step_size``) or its excess still decays as a fading effect does
    (``decaying_excess``), else none. Only within ``3 * m`` periods of the last event
    day: a launch's tail decays over weeks past its calendar day and shoulder (a keynote at
    12x, entered as a one-day event: its days 4-7 at 2-4x its level had been read as the
    level the forecast starts from, +18% over the next 60 days). An excess that holds to the
    end is a level change and is left (followed as one)."""
    n = len(z)
    out = np.zeros(n, dtype=bool)
    hit = np.flatnonzero(skip)
    if not len(hit):
        return out
    after = np.arange(hit[-1] + 1, n)
    if not (_MIN_DAYS * spd <= len(after) <= 3 * m):
        return out
    r = z[after] - base[after]
    ok = np.isfinite(r)
    q = (z - base)[quiet & np.isfinite(z - base)]
    if ok.sum() < _MIN_DAYS * spd or len(q) < 10:
        return out
    mad = float(np.median(np.abs(q - np.median(q))))
    var = np.full(len(r), (1.4826 * mad) ** 2)
    size = tail_offset(r, var, spd)
    if size <= 0:
        return out
    if step_size(r[ok], _END_DAYS * spd) is not None and not decaying_excess(
            r, spd, float(np.mean(var))):
        return out
    out[after[ok]] = True
    return out


def decaying_excess(r: np.ndarray, spd: int, noise: float) -> bool:
    """Whether the excess (original scale, ``expm1`` of the days' mean residuals ``r`` over
    their baseline, modelling scale, ``spd`` periods a day) of the free days after the
    history's last event decays over them as an event's effect fades: a log-linear fit of
    the excess falls, by ``TAIL_Z`` standard errors (``noise``: one period's variance on the
    modelling scale, carried to the log of the excess), to at most ``_FADED`` of its first
    value by the last day. Every day's excess must be above 0 and there must be at least
    ``_MIN_DAYS`` + 1 days. A level change holds its excess: its fitted slope stays within
    its noise. A keynote at 12x entered as a one-day event: its days 4-8 at 4x fading to
    2.5x the level were read as a level (the next 60 days forecast +252%)."""
    days = pd.Series(r).groupby(np.arange(len(r)) // max(1, spd)).mean().to_numpy()
    ok = np.isfinite(days)
    e = np.expm1(days[ok])
    k = np.flatnonzero(ok).astype(float)
    if len(e) < _MIN_DAYS + 1 or (e <= 0).any():
        return False
    y = np.log(e)
    # the noise of a day's mean residual, on the log of the excess: d log(e) = (1 + e) / e
    sd = np.sqrt(noise / max(1, spd)) * (1 + e) / e
    w = 1 / sd**2
    kc = k - np.sum(w * k) / np.sum(w)
    b = float(np.sum(w * kc * y) / np.sum(w * kc * kc))
    se = float(np.sqrt(1 / np.sum(w * kc * kc)))
    if not (b < -TAIL_Z * se and float(np.exp(b * (k[-1] - k[0]))) <= _FADED):
        return False
    # decaying onto a new level (a step that starts with a launch: its excess falls from the
    # launch's to the step's and holds there) is no fading effect: an excess
    # ``A exp(-c k) + L`` fitted on the original scale (the best decay rate ``c`` of a grid)
    # must leave no level ``L`` above 0 by ``TAIL_Z`` standard errors
    sd_e = np.sqrt(noise / max(1, spd)) * (1 + e)
    best: tuple[float, float, float] | None = None
    for c in np.exp(np.linspace(np.log(0.02), np.log(2.0), 60)):
        x = np.column_stack([np.exp(-c * (k - k[0])), np.ones(len(k))]) / sd_e[:, None]
        coef, *_ = np.linalg.lstsq(x, e / sd_e, rcond=None)
        ssr = float(np.sum((x @ coef - e / sd_e) ** 2))
        if best is None or ssr < best[0]:
            cov = np.linalg.pinv(x.T @ x)
            best = (ssr, float(coef[1]), float(np.sqrt(max(cov[1, 1], 0.0))))
    assert best is not None
    return not best[1] > TAIL_Z * best[2]


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


def tail_step(resid: np.ndarray, var: np.ndarray, spd: int, common: float = 0.0,
              rho: float = 0.0) -> tuple[int, float]:
    """``tail_offset`` for a level change that may start inside the end-of-history event
    days (a step 10 days before the end of a school holiday in its fifth week: 18 of its
    28 one-sided days stand at the old level, so their median did not move). The change is
    placed where the residuals' mean moves most (a CUSUM split with ``_SPLIT_DAYS`` days after
    it); when the days before it stand nearer 0 than their median after it, only the days
    from it on are tested and moved, otherwise all of them (a week all after the step).
    The size applied is shrunk towards 0 by the spread a size has where nothing changed
    (``null_spread``, with the days' lag-1 autocorrelation ``rho``). Nothing moves when the
    last ``_END_DAYS`` days stand nearer 0 than the size (``step_size``): an excess that
    faded is an event larger than its learned lift, not a level change.
    Returns the position of the first period moved and the size (0.0: nothing moved)."""
    ok = np.isfinite(resid) & np.isfinite(var)
    idx = np.flatnonzero(ok)
    r = resid[ok]
    if not len(r):  # no day to read (a median of nothing had warned 'Mean of empty slice')
        return 0, 0.0
    at, _ = _split(r[None, :], spd)
    start = int(idx[at[0]]) if at[0] else 0
    size = tail_offset(resid[start:], var[start:], spd, common)
    if not size:
        return 0, 0.0
    # a level change still holds on the last days (``step_size``'s rule: the median of the
    # last ``_END_DAYS`` days nearer the size than 0); an excess that has faded by then is
    # an event larger than its learned lift, not a level (a keynote launch at 12x after
    # launches of 3x, its 14-day window running to the end, had its days net of the
    # learned lift at +1.3 fading to 0: their median +0.41 moved the page's cleaned last
    # two weeks x1.5 and its next 60 days' forecast ran +46% high)
    if step_size(resid[start:][ok[start:]], _END_DAYS * spd) is None:
        return 0, 0.0
    # the split is where the mean moves most and only large sizes pass, so a passing size
    # runs large (winner's curse): the size applied is its posterior mean under a normal
    # prior centred on 0 whose spread is estimated from the size itself (positive-part
    # James-Stein), with the size's spread under no change computed with the split chosen
    # the same way (``null_spread``)
    s2 = null_spread(var[ok], spd, common, rho)
    return start, size * max(0.0, 1.0 - s2 / size ** 2)


def _split(r: np.ndarray, spd: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``r`` (draws x days), the position where a level change is placed (0: all
    the days) and the median of the days from it on: the CUSUM split with ``_SPLIT_DAYS``
    days after it, kept when the days before it stand nearer 0 than their median after it."""
    rows, n = r.shape
    need = _SPLIT_DAYS * spd
    at = np.zeros(rows, int)
    if n > need:
        cs = np.cumsum(r, axis=1)
        k = np.arange(1, n - need + 1)
        stat = np.abs((cs[:, -1:] - cs[:, k - 1]) / (n - k) - cs[:, k - 1] / k) * np.sqrt(
            k * (n - k) / n)
        cut = k[np.argmax(stat, axis=1)]
        pos = np.arange(n)
        after = np.nanmedian(np.where(pos >= cut[:, None], r, np.nan), axis=1)
        before = np.nanmedian(np.where(pos < cut[:, None], r, np.nan), axis=1)
        at = np.where(np.abs(before) < np.abs(before - after), cut, 0)
    pos = np.arange(n)
    size = np.nanmedian(np.where(pos >= at[:, None], r, np.nan), axis=1)
    return at, size


_NULL_DRAWS = 400
"""Draws of day-to-day noise from which ``null_spread`` is computed (a fixed seed: the same
days give the same spread)."""


def null_spread(var: np.ndarray, spd: int, common: float = 0.0, rho: float = 0.0) -> float:
    """The mean square of ``tail_step``'s size where nothing changed: the days' noise (variance
    ``var`` a period; the periods of one day share it; consecutive days correlated ``rho``,
    an AR(1)) drawn ``_NULL_DRAWS`` times, the split chosen on each draw as on the data, plus
    ``common``."""
    if not len(var):
        return common
    day = np.arange(len(var)) // max(1, spd)
    rng = np.random.default_rng(0)
    draws = rng.standard_normal((_NULL_DRAWS, int(day[-1]) + 1))
    rho = float(np.clip(rho, 0.0, _MAX_RHO))
    for t in range(1, draws.shape[1]):
        draws[:, t] = rho * draws[:, t - 1] + np.sqrt(1 - rho**2) * draws[:, t]
    noise = draws[:, day] * np.sqrt(np.maximum(var, 0.0))
    _, size = _split(noise, spd)
    return float(np.mean(size ** 2)) + common


_MAX_RHO = 0.9
"""Largest lag-1 autocorrelation of the days' noise ``null_spread`` draws."""


def day_autocorrelation(resid: np.ndarray, quiet: np.ndarray, days: np.ndarray) -> float:
    """Lag-1 autocorrelation of a series' daily residuals (``resid`` per period averaged over
    each day of ``days``) over pairs of consecutive days whose periods are all ``quiet``
    (no event, no unmarked drop), clipped to [0, ``_MAX_RHO``]; 0 with fewer than 20 pairs.
    Day-to-day noise that persists (an AR(1) of 0.5) makes a stretch of days stand off
    together: a level read from 14 such days is about 1.7 times as uncertain as from 14
    independent ones."""
    by_day = pd.Series(resid).groupby(days)
    r = by_day.mean().to_numpy()
    ok = pd.Series(quiet).groupby(days).all().to_numpy(dtype=bool) & np.isfinite(r)
    pair = ok[1:] & ok[:-1]
    if pair.sum() < 20:
        return 0.0
    a, b = r[:-1][pair], r[1:][pair]
    a, b = a - a.mean(), b - b.mean()
    den = float(np.sqrt(np.sum(a * a) * np.sum(b * b)))
    return float(np.clip(np.sum(a * b) / den, 0.0, _MAX_RHO)) if den > 0 else 0.0


def kind_decay(offsets: np.ndarray, lifts: np.ndarray) -> float | None:
    """The rate (per day, below 0) at which a kind's excess (original scale, ``expm1`` of
    its learned ``lifts``, modelling scale, on the days ``offsets`` from an occurrence's
    start) decays: the slope of a log-linear fit over the days it is above 0, at least
    ``_MIN_DAYS`` of them. None where it does not fall (a holiday's flat lift)."""
    e = np.expm1(np.asarray(lifts, dtype=float))
    ok = np.isfinite(e) & (e > 0)
    if ok.sum() < _MIN_DAYS:
        return None
    b = float(np.polyfit(np.asarray(offsets, dtype=float)[ok], np.log(e[ok]), 1)[0])
    return b if b < 0 else None


def shared_decay(curves: list[tuple[np.ndarray, np.ndarray, float]]) -> float | None:
    """The rate (per day, below 0) at which a kind's past occurrences' excess decays, read
    on their own days and the days after them: ``curves`` holds per occurrence the days
    from its start ``k``, the days' mean residuals ``r`` over their baseline (modelling
    scale) and one day's variance (its series' noise). One rate is shared; each occurrence
    has its own size and its own level under it (the days after a launch lift the seasonal
    baseline of the days a week on, so they run a little below it), fitted as in
    ``decay_on_level``; the rate is the best of a grid from -2 to -0.02 a day. None with
    fewer than two occurrences of ``_MIN_DAYS`` + 2 days. A 12x keynote's kind, launches of
    2.5x-4x fading with e-folding 4 days (a rate of -0.25): its learned lifts on the launch
    day and the 3 after fall at -0.37 a day (the baseline of each is raised by the others'
    excess a week on); read here, at -0.25."""
    use = []
    for k, r, noise in curves:
        ok = np.isfinite(r)
        if ok.sum() >= _MIN_DAYS + 2:
            e = np.expm1(np.asarray(r, dtype=float)[ok])
            use.append((np.asarray(k, dtype=float)[ok], e,
                        np.sqrt(max(noise, 1e-6)) * (1 + np.maximum(e, 0.0))))
    if len(use) < 2:
        return None
    k = np.concatenate([u[0] - u[0][0] for u in use])
    e = np.concatenate([u[1] for u in use])
    w = np.concatenate([u[2] for u in use]) ** -2.0
    at = np.repeat(np.arange(len(use)), [len(u[0]) for u in use])
    grid = -np.exp(np.linspace(np.log(0.02), np.log(2.0), 120))
    s1, se, see = (np.bincount(at, w * v) for v in (np.ones(len(e)), e, e * e))
    # the occurrences' days as a padded table (one row each; a padded day weighs 0), summed
    # day by day in their order: the same sums as a ``bincount`` per occurrence, in a few
    # dozen array steps instead of one pass over every day (a 300-series panel's 13,000
    # launches had taken 1.5 s here)
    n = len(use)
    lens = np.array([len(u[0]) for u in use])
    col = np.arange(len(e)) - np.repeat(np.cumsum(lens) - lens, lens)
    kt, et, wt = (np.zeros((int(lens.max()), n)) for _ in range(3))
    kt[col, at], et[col, at], wt[col, at] = k, e, w
    ssr = np.zeros(len(grid))
    for i, c in enumerate(grid):
        # per occurrence, the weighted least squares of ``e`` on ``exp(c k)`` and 1 in closed
        # form (its 2x2 normal equations)
        x = np.exp(c * kt)
        sxx, sx, sxe = np.zeros(n), np.zeros(n), np.zeros(n)
        for v, s in ((wt * (x * x), sxx), (wt * x, sx), (wt * (x * et), sxe)):
            for row in v:
                s += row
        det = np.maximum(sxx * s1 - sx * sx, 1e-12)
        ssr[i] = float(np.sum(see - (s1 * sxe**2 - 2 * sx * sxe * se + sxx * se**2) / det))
    return float(grid[int(np.argmin(ssr))])


def decay_on_level(r: np.ndarray, k: np.ndarray, rates: tuple[float, float] | None,
                   noise: float) -> tuple[float, float, float, float, float] | None:
    """The excess ``expm1(r)`` (``r``: days' mean residuals over their baseline, modelling
    scale, on the days ``k`` from an event's start) fitted as ``A exp(c k) + L``: a fading
    effect ``A`` on a level ``L`` (weighted least squares; ``noise``: a day's variance on
    the modelling scale, carried to the original scale), the rate ``c`` the best of a grid
    between ``rates`` (from -2 to -0.02 a day where None). Returns ``(A, L, lowest L,
    highest L, c)``: the range is that of the levels of every rate whose sum of squares is
    within 2.71 of the best (chi-square, 1 degree of freedom, 90%), each widened by
    ``_Z90`` of its standard error. None with fewer than ``_MIN_DAYS`` days. Read from the
    event's first day on, the fall of its own days pins the decay and the days after them
    the level it decays onto; a few days after a launch that range is wide (a level x2 and
    none both fit 8 days after a 12x launch)."""
    r = np.asarray(r, dtype=float)
    k = np.asarray(k, dtype=float)
    ok = np.isfinite(r)
    if ok.sum() < _MIN_DAYS:
        return None
    e = np.expm1(r[ok])
    sd = np.sqrt(noise) * (1 + np.maximum(e, 0.0))
    lo_c, hi_c = (0.02, 2.0) if rates is None else (-rates[1], -rates[0])
    grid = -np.exp(np.linspace(np.log(lo_c), np.log(hi_c), 60 if hi_c > lo_c else 1))
    fits = []
    for c in grid:
        x = np.column_stack([np.exp(c * (k[ok] - k[ok][0])), np.ones(int(ok.sum()))])
        xw = x / sd[:, None]
        coef, *_ = np.linalg.lstsq(xw, e / sd, rcond=None)
        ssr = float(np.sum((xw @ coef - e / sd) ** 2))
        cov = np.linalg.pinv(xw.T @ xw)
        # the fitted decay is at the first day seen: scaled back to ``exp(rate k)``
        fits.append((ssr, float(coef[0] * np.exp(-c * k[ok][0])), float(coef[1]),
                     float(np.sqrt(max(cov[1, 1], 0.0))), float(c)))
    best = min(fits)
    # the levels of every rate the days do not reject (within 2.71 of the best sum of
    # squares, chi-square of 1 degree of freedom at 90%), each with its own standard error
    near = [f for f in fits if f[0] <= best[0] + 2.71]
    lo = min(f[2] - _Z90 * f[3] for f in near)
    hi = max(f[2] + _Z90 * f[3] for f in near)
    return best[1], best[2], lo, hi, best[4]
