"""Causal clipping of unannounced outliers and the level shifts the LightGBM forecaster moves.

``winsorize_causal`` clips each period against a trailing same-phase median; ``_winsorize``
also returns the runs it let through as a level shift (``_shift_runs``), the drops that ended
(``_ended_excursions``) and the runs a known-in-advance column explains (``_explained``).
``_rebase_offsets`` puts the history before each lasting level shift on the level after it.
Unmarked closures too long for the trailing reference are read by ``_forecast_closures``.
All work on one series' values on the modelling scale (log1p for counts) with ``m`` periods a
week; they read no future period except as documented for ``_shift_runs``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ._forecast_lulls import seasonal_lulls

__all__ = ["clip_bounds", "column_stepped", "phase_rows", "winsorize_causal"]


def _take(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    ok = (idx >= 0) & (idx < len(a))
    out = np.full(idx.shape, np.nan)
    out[ok] = a[idx[ok]]
    return out


def phase_rows(n: int, m: int, seasons: int, ds: pd.DatetimeIndex | None = None
               ) -> np.ndarray:
    """Row of the same phase ``1..seasons`` seasons (weeks of ``m`` periods) back for each of
    ``n`` periods (an ``n`` x ``seasons`` array, -1 where there is none).

    On a grid without a time zone (``ds`` None or naive: local times already, as ``--tz``
    reads a file) that is ``m`` rows per week back. On a time-zone-aware grid (a ``ds`` with
    a zone that changes clocks) the rows are absolute hours, so ``m`` rows back is an hour
    off in local time for the weeks after a clock change; the same phase is then the same
    local wall-clock time 7, 14, ... days before: none for a time the clocks skipped in
    spring (as for a gap), the first of the two for the hour repeated in autumn. Read
    ``m`` rows back, a 2-hour bot 3 days after the spring change had been missed, and a
    shop's opening hour was named a bot (6 generated shops in Europe/Berlin).
    """
    back = np.arange(1, seasons + 1) * m
    tz = getattr(ds, "tz", None)
    if ds is None or tz is None or len(ds) != n or not n:
        rows = np.arange(n)[:, None] - back[None, :]
        return np.where(rows >= 0, rows, -1)
    local = pd.DatetimeIndex(ds).tz_localize(None)
    first = ~local.duplicated(keep="first")
    where, index = np.flatnonzero(first), local[first]
    out = np.full((n, seasons), -1, dtype=np.int64)
    for j in range(seasons):
        hit = index.get_indexer(local - pd.Timedelta(days=7 * (j + 1)))
        out[:, j] = np.where(hit >= 0, where[np.maximum(hit, 0)], -1)
    return out


def _shift_runs(side: np.ndarray, run: int, need: int) -> np.ndarray:
    """Periods of ``side`` (beyond one clipping bound) that belong to a run of at least
    ``need`` of ``run`` consecutive periods beyond the same bound: a level shift, not a spike.

    A run is confirmed at the period that completes it (a trailing count, so causal there);
    the run's earlier periods are let through too, as an origin at the confirming period knows
    them. Training origins inside a run's first ``run`` periods therefore see it whole: a
    look-ahead of at most ``run`` origins per shift, which the prediction origin never has.
    """
    count = pd.Series(side.astype(float)).rolling(run, min_periods=run).sum().to_numpy()
    confirmed = side & (count >= need)
    ahead = pd.Series(confirmed[::-1].astype(float)).rolling(run, min_periods=1).max()
    return side & (ahead.to_numpy()[::-1] > 0)


def _ended_excursions(shifted: np.ndarray, zc: np.ndarray, run: int, gap: int,
                      ref: np.ndarray | None = None) -> np.ndarray:
    """``shifted`` without the runs that ended by returning to the level before them (a week's
    closure, a surge that faded): those were excursions, not shifts, and are clipped again.

    A run (periods of ``shifted`` at most ``gap`` apart) that reaches the last period is still
    going and stays. Otherwise the median of up to ``run`` values after it (one is enough: a
    store that reopened yesterday) is compared with the medians of the ``run`` values before it
    and of the run itself: nearer the before, the run ended as an excursion; nearer the run, the
    shift lasted (its trailing reference caught up, or a day inside it was within bounds) and
    stays.

    With ``ref`` (the trailing same-phase reference the run was beyond), the values after it
    must also be nearer the run's reference (the usual level it left) than the run: a run
    confirmed a week into a lasting step, whose first days stood just inside the bound, had
    "returned" to those days, already on the new level (a channel whose paid spend was cut by
    40% was named an unmarked outage and a normal week of it left out of learning).
    """
    idx = np.flatnonzero(shifted)
    if not len(idx):
        return shifted
    cut = np.flatnonzero(np.diff(idx) > gap)
    starts, ends = np.r_[idx[0], idx[cut + 1]], np.r_[idx[cut], idx[-1]]
    out = shifted.copy()
    n = len(zc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for a, b in zip(starts, ends, strict=True):
            if b == n - 1:
                continue  # still going at the last period
            after = float(np.nanmedian(zc[b + 1:b + 1 + run]))
            before = float(np.nanmedian(zc[max(0, a - run):a])) if a > 0 else np.nan
            during = float(np.nanmedian(zc[a:b + 1]))
            usual = float(np.nanmedian(ref[a:b + 1])) if ref is not None else before
            if not np.isfinite(usual):
                usual = before
            if (np.isfinite(before) and abs(after - before) < abs(after - during)
                    and abs(after - usual) < abs(after - during)):
                out[a:b + 1] = False
    return out


_YEARLY_STEP_WEEKS = 4
"""How far from the same date a year before or after a step of the same kind is looked for."""
_YEARLY_STEP_SHARE = 1 / 3
"""Share of a step's size that a step of the same sign a year before or after must reach."""
_YEARLY_STEP_WINDOW = 3
"""Seasons either side whose medians measure a step a year before or after."""


def _rebase_offsets(zc: np.ndarray, ref: np.ndarray, shifted: np.ndarray, ended: np.ndarray,
                    m: int, year: int, until: int | None = None,
                    reg: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Offset per period that puts the history before each level shift on the level after it
    (0 from the last shift on).

    A shift is a run of ``shifted`` (periods let through as a level shift; runs at most ``m``
    apart are one). Its size is the level after the run (the median of up to two seasons after
    it; of the run's last two seasons when it is still going) minus the level of the two
    seasons before it, so two steps close enough to make one run count whole; a size of the
    other sign than the run's values against their reference is no step of the run's kind.
    Shifts are taken from the latest back, each on the history as the later ones left it, and
    a shift moves the periods before it only when:

    - its level still holds at the end: the median of the last two seasons (of the periods
      since the shift, when it is younger) is nearer the median of the run's first two seasons
      than of the two seasons before it (a three-week closure whose reopening was not caught
      as a step of its own moves nothing);
    - it does not start within two seasons after the end of an excursion (``ended``: a surge
      that faded, a closure that reopened): that is the level coming back while the trailing
      reference still holds the excursion;
    - it is not a yearly step: one the series took within ``_YEARLY_STEP_WEEKS`` seasons of
      the same date a year before or a year after, of the same sign and at least
      ``_YEARLY_STEP_SHARE`` of this one's size (seasons differ in height: a sport's
      off-season, a summer lull), which the features already carry; nor the drop or the
      rise of a seasonal lull seen once, where the history has no year on either side of it
      (``_forecast_lulls.seasonal_lulls``: moved, the pair lifted the off-season to the
      level around it and the next one was forecast at the usual level);
    - no known-in-advance column of the series (``reg``) moved with it
      (``_moved_with``): a step in paid visits that a doubled budget explains is what the
      model must learn from the spend column. Moved, the history before it stood at the new
      level beside the old spend, and the trees learned that spend hardly matters (an
      independent check: doubling next month's paid-search spend raised the forecast 22%,
      against 68% in the truth).

    ``until``: only the periods before it are known (a calibration fit that must not learn of
    a shift after its cut); offsets are computed on them and are 0 after. Offsets add up
    backwards, so every period is put on today's level: a long campaign switched on and later
    off leaves the periods before both where they were.
    """
    n_all = len(zc)
    offset = np.zeros(n_all)
    n = n_all if until is None else max(0, min(int(until), n_all))
    zc, ref, shifted, ended = zc[:n], ref[:n], shifted[:n], ended[:n]
    idx = np.flatnonzero(shifted)
    if not len(idx):
        return offset
    w = _YEARLY_STEP_WINDOW * m
    series = pd.Series(zc)
    # median of the w periods before a (at a - 1) and of the w from a on (at a), once
    before_med = series.rolling(w, min_periods=max(1, w // 2)).median().to_numpy()
    after_med = series[::-1].rolling(w, min_periods=max(1, w // 2)).median().to_numpy()[::-1]

    def step_at(a: int) -> float:
        if a - w < 0 or a + w > n:
            return np.nan
        return float(after_med[a] - before_med[a - 1])

    gaps = np.flatnonzero(np.diff(idx) > m)
    starts, ends = np.r_[idx[0], idx[gaps + 1]], np.r_[idx[gaps], idx[-1]]
    weeks = _YEARLY_STEP_WEEKS * m
    # a seasonal lull seen once (a drop ramping in and the rise back): left for the date
    # features, which repeat it a year later (``_forecast_lulls``)
    lulls = seasonal_lulls(zc, ref, starts, ends, m, year, weeks - w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for a, b in zip(starts[::-1], ends[::-1], strict=True):
            if any(lo <= a <= hi for lo, hi in lulls):
                continue  # a seasonal lull seen once
            if a < 2 * m or ended[max(0, a - 2 * m):a].any():
                continue  # no level before it, or the level coming back after an excursion
            adj = zc + offset[:n]
            before = float(np.nanmedian(adj[a - 2 * m:a]))
            during = float(np.nanmedian(adj[a:a + 2 * m]))
            end = float(np.nanmedian(adj[max(a, n - 2 * m):]))
            if not abs(end - during) < abs(end - before):
                continue  # its level did not hold
            after = adj[b + 1:b + 1 + 2 * m]
            if np.isfinite(after).sum() < m:  # still going: the run's last two seasons
                after = adj[max(a, b + 1 - 2 * m):b + 1]
            size = float(np.nanmedian(after)) - before
            # the run's own direction (its values against their trailing reference): a level
            # that ends up on the other side was no step of this run's kind
            sel = idx[(idx >= a) & (idx <= b)]
            if not np.isfinite(size) or size * float(np.nanmedian(zc[sel] - ref[sel])) <= 0:
                continue
            near = [step_at(a + k * year + j) for k in (-1, 1) for j in range(-weeks, weeks + 1)]
            same = np.array([v for v in near if np.isfinite(v)]) * np.sign(size)
            if len(same) and same.max() >= abs(size) * _YEARLY_STEP_SHARE:
                continue
            if _moved_with(reg, a, 2 * m, n):
                continue  # explained by a known-in-advance column: the trees learn it
            offset[:a] += size
    return offset



def _lull_periods(zc: np.ndarray, ref: np.ndarray, shifted: np.ndarray, m: int, year: int,
                  until: int | None = None) -> np.ndarray:
    """The periods of the seasonal lulls seen once that ``_rebase_offsets`` leaves
    (``_forecast_lulls.seasonal_lulls``, on the periods before ``until``): no lasting step is
    read in them either (the rise that ends a six-week summer break had been read as one, and
    the whole history before it lifted by six times)."""
    n = len(zc) if until is None else max(0, min(int(until), len(zc)))
    out = np.zeros(len(zc), dtype=bool)
    idx = np.flatnonzero(shifted[:n])
    if not len(idx):
        return out
    gaps = np.flatnonzero(np.diff(idx) > m)
    w = _YEARLY_STEP_WINDOW * m
    for lo, hi in seasonal_lulls(zc[:n], ref[:n], np.r_[idx[0], idx[gaps + 1]],
                                 np.r_[idx[gaps], idx[-1]], m, year,
                                 _YEARLY_STEP_WEEKS * m - w):
        out[lo:hi + 1] = True
    return out

_REG_STEP = 0.2
"""A known-in-advance column moved with a level shift when its mean over the two seasons from
the shift on differs from its mean over the two seasons before by this share of the larger
of the two (a budget raised by a fifth or more, a promotion flag on a fifth more of the days),
and by ``_REG_T`` standard errors of its own day-to-day values."""

_REG_T = 3.0
"""How many standard errors (of the two means, from the column's pooled spread over both
stretches) a column's step must measure to explain a shift or a drop: a promotion flag on 15%
of the days, off during a 4-day tracking outage that followed two weeks with two promotion
days, moved by a full share of its mean (0.14 -> 0) and had kept 15 outages in 20 in the
history as demand."""


def _moved_with(reg: dict[str, np.ndarray] | None, a: int, w: int, n: int,
                during: int | None = None) -> bool:
    """Whether any known-in-advance column in ``reg`` stepped at period ``a`` (means of the
    ``w`` periods before it and of the ``during`` (default ``w``) from it on, within the first
    ``n``: ``column_stepped``)."""
    for vals in (reg or {}).values():
        v = np.asarray(vals, dtype=float)[:n]
        if column_stepped(v[max(0, a - w):a], v[a:a + (w if during is None else during)]):
            return True
    return False


def column_stepped(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether a known-in-advance column's values ``after`` a point stand apart from those
    ``before`` it: means apart by ``_REG_STEP`` of the larger and by ``_REG_T`` standard
    errors (pooled spread of both stretches). The forecaster's test (a shift or drop it
    explains is kept as observed) and ``level_shift_note``'s."""
    x = np.asarray(before, dtype=float)
    y = np.asarray(after, dtype=float)
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    if not len(x) or not len(y):
        return False
    mx, my = float(x.mean()), float(y.mean())
    scale = max(abs(mx), abs(my))
    if not scale > 0 or abs(my - mx) < _REG_STEP * scale:
        return False
    # and beyond the column's own noise: a sparse flag's mean over a few days moves by a
    # fifth on chance alone
    dof = len(x) + len(y) - 2
    pooled = (float(((x - mx) ** 2).sum() + ((y - my) ** 2).sum()) / dof if dof > 0 else 0.0)
    return bool(abs(my - mx) >= _REG_T * np.sqrt(pooled * (1 / len(x) + 1 / len(y))))


def _explained(runs: np.ndarray, reg: dict[str, np.ndarray] | None, w: int,
               gap: int) -> np.ndarray:
    """The runs of ``runs`` (periods at most ``gap`` apart) during which a known-in-advance
    column's mean differs from its mean over the ``w`` periods before them by ``_REG_STEP``
    (``_moved_with``)."""
    out = np.zeros(len(runs), bool)
    idx = np.flatnonzero(runs)
    if not reg or not len(idx):
        return out
    cut = np.flatnonzero(np.diff(idx) > gap)
    for a, b in zip(np.r_[idx[0], idx[cut + 1]], np.r_[idx[cut], idx[-1]], strict=True):
        if _moved_with(reg, int(a), w, len(runs), during=int(b) + 1 - int(a)):
            out[a:b + 1] = True
    return out


def winsorize_causal(zc: np.ndarray, m: int, k: float, seasons: int = 4,
                     shift_run: int = 0, shift_share: float = 0.8
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Clip unannounced outliers against a trailing same-phase median.

    The reference of period ``t`` is the median of the same phase ``1..seasons`` seasons back;
    deviations beyond ``k`` robust standard deviations (1.4826 MAD of all deviations) are
    clipped to that bound. The reference only uses earlier periods; the robust scale is one
    figure per series over the data given (the training span). Level shifts pass through once
    the trailing median catches up (about half of ``seasons`` seasons); a one-day spike never
    moves the level features.

    With ``shift_run`` > 1, a run of at least ``shift_share`` of ``shift_run`` consecutive
    periods beyond the same bound is a level shift and is let through unclipped, so a forecast
    from inside it starts at the new level (``_shift_runs``). A run that ended by returning to
    the level before it is an excursion (``_ended_excursions``): a drop (an unmarked closure)
    is replaced by its reference, a surge is clipped as usual.

    Returns:
        The clipped values and the trailing same-phase reference (NaN where unknown).
    """
    zr, ref, _, _, _ = _winsorize(zc, m, k, seasons, shift_run, shift_share)
    return zr, ref


def clip_bounds(zc: np.ndarray, m: int, k: float, seasons: int = 4,
                unusual: np.ndarray | None = None, ds: pd.DatetimeIndex | None = None
                ) -> tuple[np.ndarray, tuple[float, float] | None]:
    """The trailing same-phase reference of each period (median of the same phase ``1..seasons``
    seasons back, ``phase_rows`` on the grid ``ds``, reading no period of ``unusual``) and the
    clipping bounds of the deviations from it (their median -/+ ``k`` robust standard
    deviations), or None for the bounds when under 4 seasons have a reference or the
    deviations have no spread."""
    n = len(zc)
    # the reference reads no period of ``unusual`` (a launch and its tail: not the level)
    usual = zc if unusual is None else np.where(unusual, np.nan, zc)
    rows = phase_rows(n, m, seasons, ds)
    stack = np.column_stack([_take(usual, rows[:, j]) for j in range(seasons)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = np.nanmedian(stack, axis=1)
    dev = zc - ref
    ok = np.isfinite(dev)
    if ok.sum() < 4 * m or not np.isfinite(k):
        return ref, None
    med = float(np.median(dev[ok]))
    scale = 1.4826 * float(np.median(np.abs(dev[ok] - med)))
    if scale <= 0:
        return ref, None
    return ref, (med - k * scale, med + k * scale)


def _winsorize(zc: np.ndarray, m: int, k: float, seasons: int = 4, shift_run: int = 0,
               shift_share: float = 0.8, reg: dict[str, np.ndarray] | None = None,
               unusual: np.ndarray | None = None, ds: pd.DatetimeIndex | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``winsorize_causal``, plus the masks of the periods let through as a level shift, of
    those replaced by their reference as an excursion that ended (a drop), and of every run
    that ended (drops and faded surges).

    A run that ended while a known-in-advance column of the series (``reg``) stood apart from
    its level before (``_moved_with``: paid visits at 0 in a week the paid spend was 0) is
    neither: it is let through as observed, for the trees to learn from the column. Cleaned
    as an unmarked closure, it had taught them that a week without spend brings the usual
    visits (a planned pause forecast 40% down, against 100% in the truth).

    ``unusual``: periods the reference does not read (a launch window, ``start_windows``):
    against a page's launch days the level it settled at two weeks after its window had been
    a drop, and those days were no event-free values for the event baselines.

    A drop that ended is no reference either: once found, the clipping is done again with a
    reference that reads none of its periods (``_reread``), so the drop is replaced by the
    usual level before it, and the days after it are clipped against that level, not
    against the closure's zeros."""
    from ._forecast_closures import _long_closures  # it reads this module's runs

    out, bounds = _winsorize_once(zc, m, k, seasons, shift_run, shift_share, reg, unusual, ds)
    drops = _longer_than_a_season(out[3], m)
    if bounds is not None and shift_run > 1:
        drops |= _long_closures(zc, out[1], out[2], bounds[0], m, seasons, shift_run,
                                shift_share, reg, unusual, ds)
    for _ in range(_REREADS):
        if not drops.any() or bounds is None:
            break
        out = _reread(zc, m, seasons, shift_run, shift_share, reg, unusual, ds, drops, bounds)
        if not (out[3] & ~drops).any():
            break  # no drop that the closure's own zeros had hidden
        drops = out[3]
    return out


def _longer_than_a_season(drops: np.ndarray, m: int) -> np.ndarray:
    """The periods of ``drops`` in runs spanning more than one season (``m`` periods: a week
    of a daily series). A shorter drop holds at most one of the same-phase periods a reference's
    median reads, which it barely moves (Peyton Manning's 4-day drop of June 2010 had moved
    one day's clipping 12 days later by 0.09 on the log scale, and with it the benchmark's
    MASE 1.277 -> 1.325 and peak error 24.1% -> 27.6%: a series that sensitive to one day,
    not a better reading); a closure of weeks is half or more of it."""
    idx = np.flatnonzero(drops)
    if not len(idx):
        return drops
    # parts at most a season apart are one drop, as ``_fill_reference`` reads them (a
    # closure's closed Sundays, at the reference's zeros, are no drop of their own)
    cut = np.flatnonzero(np.diff(idx) > m)
    starts, ends = np.r_[idx[0], idx[cut + 1]], np.r_[idx[cut], idx[-1]]
    keep = np.zeros(len(drops), bool)
    for a, b in zip(starts, ends, strict=True):
        if b - a + 1 > m:
            keep[a:b + 1] = True
    return keep


_REREADS = 3
"""How many times at most ``_winsorize`` reads the reference again without the drops found:
a closed day that stood level with the closure's zeros in the reference (a Thursday in the
third closed week) is found as part of the drop only when they are left out, and the days
after it read it."""


def _reread(zc: np.ndarray, m: int, seasons: int, shift_run: int, shift_share: float,
            reg: dict[str, np.ndarray] | None, unusual: np.ndarray | None,
            ds: pd.DatetimeIndex | None, drops: np.ndarray, bounds: tuple[float, float]
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``_winsorize`` again with the periods of ``drops`` (the drops that ended, found with a
    reference that read them) left out of the reference.

    Read with its own zeros, a closure's reference fell to the closed level from its third
    week on (the median of the same weekday 1-4 weeks back): an independent check's store
    closed 18 days without a calendar entry had its last days replaced by ~100 (level
    ~12,000), and three open days after it were clipped to 155-167 (values 9,642-11,092).
    Periods whose same-phase reference reads a drop read the ``seasons`` latest same-phase
    periods before it instead (``_fill_reference``). The drops found before stay drops, and
    the clipping bounds (one pair per series) stay those of the first reading: only the
    periods whose reference read a drop change."""
    away = drops if unusual is None else (np.asarray(unusual, bool) | drops)
    (zr, ref, shifted, excursion, ended), _ = _winsorize_once(
        zc, m, np.inf, seasons, shift_run, shift_share, reg, away, ds, fill=drops,
        bounds=bounds)
    excursion = (excursion | drops) & np.isfinite(ref)
    zr = np.where(excursion, ref, zr)
    return zr, ref, shifted & ~excursion, excursion, ended | excursion


def _winsorize_once(zc: np.ndarray, m: int, k: float, seasons: int, shift_run: int,
                    shift_share: float, reg: dict[str, np.ndarray] | None,
                    unusual: np.ndarray | None, ds: pd.DatetimeIndex | None,
                    fill: np.ndarray | None = None,
                    bounds: tuple[float, float] | None = None
                    ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                               tuple[float, float] | None]:
    """One reading of ``_winsorize``, and the clipping bounds it used. ``fill``: the periods
    left out of the reference as drops (``_fill_reference``); ``bounds``: the bounds to use
    (those ``clip_bounds`` gives when None)."""
    n = len(zc)
    shifted = np.zeros(n, bool)
    excursion = np.zeros(n, bool)
    ended = np.zeros(n, bool)
    ref, found = clip_bounds(zc, m, k, seasons, unusual, ds)
    bounds = found if bounds is None else bounds
    if fill is not None and unusual is not None:
        ref = _fill_reference(ref, zc, m, seasons, np.asarray(unusual, bool), fill, ds)
    if bounds is None:
        return (zc.copy(), ref, shifted, excursion, ended), None
    lo, hi = bounds
    dev = zc - ref
    ok = np.isfinite(dev)
    clipped = ref + np.clip(dev, lo, hi)
    if shift_run > 1:
        need = int(np.ceil(shift_share * shift_run))
        with np.errstate(invalid="ignore"):
            gap = shift_run - need + 1
            runs = [_shift_runs(ok & side, shift_run, need) for side in (dev > hi, dev < lo)]
            shifted = np.zeros(n, bool)
            for r, down in zip(runs, (False, True), strict=True):
                kept = _ended_excursions(r, zc, shift_run, gap, ref)
                kept |= _explained(r & ~kept, reg, 2 * m, gap)
                shifted |= kept
                ended |= r & ~kept
                if down:  # a surge that faded was demand and stays clipped as before
                    excursion |= r & ~kept
        clipped = np.where(shifted, zc, clipped)
        # an excursion that ended is replaced by its reference, like a calendar event's days
        clipped = np.where(excursion, ref, clipped)
    return (np.where(ok, clipped, zc), ref, shifted, excursion, ended), bounds


def _fill_reference(ref: np.ndarray, zc: np.ndarray, m: int, seasons: int,
                    away: np.ndarray, fill: np.ndarray,
                    ds: pd.DatetimeIndex | None = None) -> np.ndarray:
    """``ref`` (read with the periods of ``away`` left out) where the same phase ``1..seasons``
    seasons back includes a period of ``fill`` (a drop): the median of the ``seasons`` latest
    same-phase periods that are read, looking back past the drop (``phase_rows``), so a
    closure and the days after it read the usual level before it, not fewer values of it."""
    out = ref.copy()
    idx = np.flatnonzero(fill)
    if not len(idx):
        return out
    # the longest drop, its parts at most a season apart as one (a closure's closed Sundays)
    cut = np.flatnonzero(np.diff(idx) > m)
    longest = int((np.r_[idx[cut], idx[-1]] - np.r_[idx[0], idx[cut + 1]]).max()) + 1
    rows = phase_rows(len(zc), m, seasons + -(-longest // m) + 1, ds)
    read = np.isfinite(zc) & ~away
    head = rows[:, :seasons]
    near = ((head >= 0) & fill[np.maximum(head, 0)]).any(axis=1)
    for t in np.flatnonzero(near):
        back = rows[t][rows[t] >= 0]
        use = back[read[back]][:seasons]
        if len(use):
            out[t] = float(np.median(zc[use]))
    return out
