"""Global LightGBM forecaster: direct multi-horizon quantile regression with conformal intervals.

Strategy (no leakage by construction): a training example is an (origin ``t``, horizon ``h``)
pair of one series. Every feature is computed from values at or before ``t`` (level, trend,
volatility, the last two observations, the same phase one/four seasons back, last year's
seasonal change over the same horizon) plus what is known in advance about the target period
(calendar position, known regressors, the horizon itself). The target is the value at ``t + h``
minus the level at ``t``, so one model serves series of any scale. One model per quantile
(P10/P50/P90) is shared across series and horizons.

Each series' own response to its known-in-advance columns (``fit_responses``: a spend drives
the paid channel, not the organic one) is taken off the history first and added back for the
planned values, so shared trees need not learn a response that differs by series, and event
lifts are measured net of it.

Events are handled outside the trees (``EventEffects``): history is cleaned of event days, the
model learns the no-event baseline, and learned event lifts are added to future event days.
Unannounced outliers are clipped causally before any feature is computed
(``winsorize_causal``), so a one-day spike cannot inflate the level for weeks. A linear
short-memory term (per horizon bucket, fitted on the trees' residuals) carries the unclipped
surprise of the last two periods (value minus its trailing same-phase median).

Intervals are calibrated by split conformal quantile regression (CQR, Romano et al. 2019): the
models are fitted on origins before the last ``calibration_days``, conformity scores are taken
on the held-out origins, and the final models are refitted on everything. The adjustment is
taken per horizon band (``_H_EDGES`` days), as errors grow with the horizon.

References:
    Romano, Patterson, Candes (2019), "Conformalized Quantile Regression", NeurIPS.
    Taieb & Hyndman (2014), direct multi-step strategies for forecasting.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from typing import Any, Self

import lightgbm as lgb
import numpy as np
import pandas as pd

from ._forecast_base import (
    QUANTILES,
    BaseForecaster,
    Panel,
    future_regressor_values,
    prepare_panel,
    steps_per_day,
)
from ._forecast_events import EventEffects
from ._forecast_recent import (
    MIN_DAYS,
    RECENT_DAYS,
    STEP_WINDOW_DAYS,
    locate_step,
    ran_off,
    step_size,
)
from ._forecast_response import ColumnResponse, fit_responses

__all__ = ["LightGBMForecaster", "winsorize_causal"]

_Z80 = 1.2815515655446004


def _rolling(x: np.ndarray, window: int, how: str, center: bool = False) -> np.ndarray:
    s = pd.Series(x).rolling(window, min_periods=max(1, window // 3), center=center)
    return (s.mean() if how == "mean" else s.std()).to_numpy()


def _take(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    ok = (idx >= 0) & (idx < len(a))
    out = np.full(idx.shape, np.nan)
    out[ok] = a[idx[ok]]
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


def _ended_excursions(shifted: np.ndarray, zc: np.ndarray, run: int, gap: int) -> np.ndarray:
    """``shifted`` without the runs that ended by returning to the level before them (a week's
    closure, a surge that faded): those were excursions, not shifts, and are clipped again.

    A run (periods of ``shifted`` at most ``gap`` apart) that reaches the last period is still
    going and stays. Otherwise the median of up to ``run`` values after it (one is enough: a
    store that reopened yesterday) is compared with the medians of the ``run`` values before it
    and of the run itself: nearer the before, the run ended as an excursion; nearer the run, the
    shift lasted (its trailing reference caught up, or a day inside it was within bounds) and
    stays.
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
            if np.isfinite(before) and abs(after - before) < abs(after - during):
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
      off-season, a summer lull), which the features already carry;
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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for a, b in zip(starts[::-1], ends[::-1], strict=True):
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


def _winsorize(zc: np.ndarray, m: int, k: float, seasons: int = 4, shift_run: int = 0,
               shift_share: float = 0.8, reg: dict[str, np.ndarray] | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``winsorize_causal``, plus the masks of the periods let through as a level shift, of
    those replaced by their reference as an excursion that ended (a drop), and of every run
    that ended (drops and faded surges).

    A run that ended while a known-in-advance column of the series (``reg``) stood apart from
    its level before (``_moved_with``: paid visits at 0 in a week the paid spend was 0) is
    neither: it is let through as observed, for the trees to learn from the column. Cleaned
    as an unmarked closure, it had taught them that a week without spend brings the usual
    visits (a planned pause forecast 40% down, against 100% in the truth)."""
    n = len(zc)
    shifted = np.zeros(n, bool)
    excursion = np.zeros(n, bool)
    ended = np.zeros(n, bool)
    stack = np.column_stack([_take(zc, np.arange(n) - j * m) for j in range(1, seasons + 1)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = np.nanmedian(stack, axis=1)
    dev = zc - ref
    ok = np.isfinite(dev)
    if ok.sum() < 4 * m or not np.isfinite(k):
        return zc.copy(), ref, shifted, excursion, ended
    med = float(np.median(dev[ok]))
    scale = 1.4826 * float(np.median(np.abs(dev[ok] - med)))
    if scale <= 0:
        return zc.copy(), ref, shifted, excursion, ended
    lo, hi = med - k * scale, med + k * scale
    clipped = ref + np.clip(dev, lo, hi)
    if shift_run > 1:
        need = int(np.ceil(shift_share * shift_run))
        with np.errstate(invalid="ignore"):
            gap = shift_run - need + 1
            runs = [_shift_runs(ok & side, shift_run, need) for side in (dev > hi, dev < lo)]
            shifted = np.zeros(n, bool)
            for r, down in zip(runs, (False, True), strict=True):
                kept = _ended_excursions(r, zc, shift_run, gap)
                kept |= _explained(r & ~kept, reg, 2 * m, gap)
                shifted |= kept
                ended |= r & ~kept
                if down:  # a surge that faded was demand and stays clipped as before
                    excursion |= r & ~kept
        clipped = np.where(shifted, zc, clipped)
        # an excursion that ended is replaced by its reference, like a calendar event's days
        clipped = np.where(excursion, ref, clipped)
    return np.where(ok, clipped, zc), ref, shifted, excursion, ended


_H_EDGES = (7, 14, 28, 56)
"""Upper edges (days) of the horizon bands that get their own conformal adjustment."""
_MIN_CALIB = 200
"""Fewest calibration scores a band needs for its own adjustment (else the pooled one)."""
_MIN_SERIES_CALIB = 30
"""Fewest calibration scores of one series for its own conformal offset."""


def _conformal_quantile(score: np.ndarray, coverage: float = 0.8) -> float:
    """Split-conformal quantile of ``score`` with the finite-sample correction."""
    n = len(score)
    return float(np.quantile(score, min(1.0, np.ceil((n + 1) * coverage) / n)))


class _Ctx:
    """Per-series arrays the features are read from (all trailing, so causal at any origin).

    ``z``: values on the modelling scale (net of the series' response to its known-in-advance
    columns, ``LightGBMForecaster.response_``); ``zc``: the same with calendar-event days
    replaced by their local baseline (the target); ``zr``: ``zc`` with unannounced outliers clipped
    causally (``winsorize_causal``), which every level, seasonal and deviation feature reads so
    a one-off spike cannot inflate the forecast level for weeks. ``zc`` and ``zr`` have the
    periods before a lasting level shift moved to the new level by ``offset``
    (``_rebase_offsets``; ``rebased`` gives the context that knows only earlier shifts).
    """

    def __init__(self, z: np.ndarray, zc: np.ndarray, ds: pd.DatetimeIndex, m: int,
                 year: int, reg: dict[str, np.ndarray], clip_sd: float,
                 near_event: np.ndarray | None = None, shift_run: int = 0) -> None:
        self.z, self.ds, self.m, self.year, self.reg = z, ds, m, year, reg
        self.near_event = (np.zeros(len(z), bool) if near_event is None else near_event)
        self.half = m // 2
        # the periods the event model replaced by their baseline (event and shoulder days)
        self.cleaned = np.isfinite(z) & np.isfinite(zc) & (zc != z)
        zr, ref, shifted, excursion, ended = _winsorize(zc, m, clip_sd, shift_run=shift_run,
                                                        reg=reg)
        # an unmarked closure (a drop) that ended is cleaned from the target too, as if it
        # were in the calendar: the model neither learns from it nor carries it to other series
        # (kept for ``move_before``: a drop that looked as if it ended, because the event
        # days after it were cleaned to the level before it, may be a recent step)
        self._undo = np.where(excursion, zc - zr, 0.0)
        zc = np.where(excursion, zr, zc)
        # surprise: the value against its trailing same-phase median (what the season did not
        # explain); the linear short-memory term carries it forward. A level shift let
        # through is in the level features already, not a surprise.
        self.surprise = np.where(np.isfinite(ref) & ~shifted, zc - ref, 0.0)
        self._pre = (zc, zr, ref, shifted, ended)  # for ``rebased``; dropped after the fit
        self.recent_step: tuple[int, float] | None = None
        self._refit = np.zeros(len(z))  # re-based event days after a recent step
        self._set_level(None)

    def _set_level(self, until: int | None) -> None:
        """Offsets and the level features: the periods before a lasting level shift are moved
        to the new level, so no feature window and no training target straddles the step."""
        zc, zr, ref, shifted, ended = self._pre
        self.offset = _rebase_offsets(zc, ref, shifted, ended, self.m, self.year, until=until,
                                      reg=self.reg)
        fix = np.zeros(len(zc))
        step = getattr(self, "recent_step", None)
        if step is not None and until is None:  # a recent step the fit's back-test found
            self.offset[:step[0]] += step[1]
            fix = self._refit
        self.zc = zc + self.offset + fix
        self.zr = zr = zr + self.offset + fix
        m = self.m
        self.lvl = _rolling(zr, m, "mean")
        self.lvl4 = _rolling(zr, 4 * m, "mean")
        self.lvl13 = _rolling(zr, 13 * m, "mean")
        self.sd4 = _rolling(zr, 4 * m, "std")
        stack = np.column_stack([_take(zr, np.arange(len(zr)) - j * m) for j in range(4)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            self.phase4 = np.nanmean(stack, axis=1)
        self.smooth = _rolling(zr, m, "mean", center=True)

    def reg_ref(self, name: str) -> np.ndarray:
        """Trailing 4-week mean of known-in-advance column ``name`` (causal), cached."""
        cache: dict[str, np.ndarray] = self.__dict__.setdefault("_reg_ref", {})
        if name not in cache:
            cache[name] = _rolling(np.asarray(self.reg[name], dtype=float), 4 * self.m, "mean")
        return cache[name]

    def move_before(self, at: int, size: float) -> None:
        """Put the periods before ``at`` on the level from ``at`` on (``size`` added to their
        offset): a recent step found by the fit's back-test (``_forecast_recent``)."""
        at = int(at)
        self.recent_step = (at, float(size))
        self._refit = np.zeros(len(self.z))
        self._set_level(None)
        # event days from the step on were cleaned to a baseline of the same weekday in the
        # weeks around them, mostly before the step: on the old level. Their baseline is taken
        # again on the moved history (the median of the same phase up to 4 seasons either
        # side, other cleaned days left out), and the surprise from the step on is read
        # against the moved trailing reference: the step is in the level, not a surprise
        n, m = len(self.z), self.m
        # the periods from the step on that were taken for a drop that ended (the event
        # days after it, cleaned to the old level, looked like its end) are the new level
        self._refit[at:] = self._undo[at:]
        self._set_level(None)
        lags = np.r_[-4:0, 1:5] * m
        zc = self.zc
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for t in np.flatnonzero(self.cleaned[at:]) + at:
                idx = t + lags
                idx = idx[(idx >= 0) & (idx < n)]
                idx = idx[~self.cleaned[idx]]
                if len(idx):
                    base = float(np.nanmedian(zc[idx]))
                    if np.isfinite(base):
                        self._refit[t] += base - zc[t]
            self._set_level(None)
            zc = self.zc
            back = np.arange(at, n)[:, None] - np.arange(1, 5)[None, :] * m
            ref = np.nanmedian(np.where(back >= 0, zc[np.maximum(back, 0)], np.nan), axis=1)
        self.surprise = self.surprise.copy()
        self.surprise[at:] = np.where(np.isfinite(ref), zc[at:] - ref, 0.0)

    def rebased(self, until: int) -> _Ctx:
        """A copy that knows only the shifts before period ``until`` (the clipping and the
        surprise are shared: they do not depend on it)."""
        other = copy.copy(self)
        other._set_level(until)
        return other


def _graded(panel: Panel) -> list[str]:
    """Known-in-advance columns that also enter against the series' own last 4 weeks: those
    with values other than 0 and 1 (a price: one item's sale price is another's normal price).
    A 0/1 flag reads the same in every series, so it enters as it is."""
    out = []
    for name in panel.regressor_names:
        for g in panel.series.values():
            v = np.asarray(g.regressors.get(name, ()), dtype=float)
            v = v[np.isfinite(v)]
            if len(v) and not np.isin(v, (0.0, 1.0)).all():
                out.append(name)
                break
    return out


class LightGBMForecaster(BaseForecaster):
    """Direct multi-horizon global LightGBM quantile model plus learned event lifts.

    Args:
        max_horizon_days: longest horizon (in days) the model is trained for.
        n_estimators, learning_rate, num_leaves, min_child_samples: LightGBM settings.
        max_rows: training examples sampled (None: 20,000 + 1,000 per series, at most 200,000).
        horizons_per_origin: horizons sampled per origin.
        calibration_days: held-out span for conformal calibration (capped at 30% of history).
        shock_days: horizons (in days) that get the linear short-memory term.
        transform: 'auto' (log1p when y >= 0), 'log1p' or 'none'.
        events: settings for ``EventEffects`` (None: defaults).
        seed: random seed for sampling and LightGBM.
        n_jobs: LightGBM threads (1 avoids oversubscription on busy machines).
        clip_sd: unannounced outliers beyond this many robust standard deviations from the
            trailing same-phase median are clipped before the level and seasonal features are
            computed (``inf`` turns clipping off).
        yoy_guard_days, yoy_guard_lift: the year-over-year features skip last year's days
            within ``yoy_guard_days`` of a day whose learned event lift is at least
            ``yoy_guard_lift`` (log scale).
        level_shift_days: a run of 80% of this many days beyond the clipping bounds is a level
            shift and is let through; a drop that ended by returning to the level before it is
            cleaned like a calendar event (``_winsorize``). 0 turns both off.
        follow_recent_steps: a daily series whose last 14 days ran persistently off a
            forecast of them made the day before (``brain forecast check``'s rule, on the
            calibration fit) has the history before the step moved to the new level
            (``_follow_recent_steps``); steps inside the clipping bounds are followed too.
    """

    model_name = "lightgbm"

    def __init__(
        self,
        max_horizon_days: float = 90.0,
        n_estimators: int = 200,
        learning_rate: float = 0.07,
        num_leaves: int = 15,
        min_child_samples: int = 40,
        max_rows: int | None = None,
        horizons_per_origin: int = 16,
        calibration_days: float = 365.0,
        shock_days: float = 14.0,
        transform: str = "auto",
        events: dict[str, Any] | None = None,
        seed: int = 0,
        n_jobs: int = 1,
        clip_sd: float = 3.0,
        yoy_guard_days: float = 14.0,
        yoy_guard_lift: float = 1.0,
        level_shift_days: float = 5.0,
        follow_recent_steps: bool = True,
    ) -> None:
        self.level_shift_days = level_shift_days
        self.follow_recent_steps = follow_recent_steps
        self.yoy_guard_days = yoy_guard_days
        self.yoy_guard_lift = yoy_guard_lift
        self.max_horizon_days = max_horizon_days
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.max_rows = max_rows
        self.horizons_per_origin = horizons_per_origin
        self.calibration_days = calibration_days
        self.shock_days = shock_days
        self.clip_sd = clip_sd
        self.transform = transform
        self.events = events
        self.seed = seed
        self.n_jobs = n_jobs

    # ------------------------------------------------------------ features
    def _features(self, ctx: _Ctx, t: np.ndarray, h: np.ndarray,
                  target_ds: pd.DatetimeIndex, reg: dict[str, np.ndarray]) -> pd.DataFrame:
        m, year = ctx.m, ctx.year
        tau = t + h
        lvl = ctx.lvl[t]
        k = np.ceil(h / m).astype(int)
        feats: dict[str, np.ndarray] = {
            "h": h.astype(float),
            "level": lvl,
            "trend4": ctx.lvl4[t] - lvl,
            "trend13": ctx.lvl13[t] - lvl,
            "vol4": ctx.sd4[t],
            "dev0": ctx.zr[t] - lvl,
            "dev1": _take(ctx.zr, t - 1) - lvl,
            "snaive": _take(ctx.zr, tau - k * m) - lvl,
            "phase4": _take(ctx.phase4, tau - k * m) - lvl,
        }
        spd = m // 7
        if spd > 1:
            feats["dnaive"] = _take(ctx.zr, tau - np.ceil(h / spd).astype(int) * spd) - lvl
        for n_years, tag in ((1, "yr1"), (2, "yr2")):
            back = tau - n_years * year
            ok = back + ctx.half <= t
            base = _take(ctx.lvl, t - n_years * year)
            guard = _take(ctx.near_event, back) == 1.0  # bools read as 1.0/0.0, NaN outside
            feats[tag] = np.where(ok & ~guard, _take(ctx.smooth, back) - base, np.nan)
            feats[tag + "_raw"] = np.where((back <= t) & ~guard, _take(ctx.zr, back) - base,
                                           np.nan)
        feats["yoy"] = lvl - _take(ctx.lvl, t - year)
        doy = target_ds.day_of_year.to_numpy()
        feats["dow"] = target_ds.day_of_week.to_numpy().astype(float)
        feats["month"] = target_ds.month.to_numpy().astype(float)
        feats["dom"] = target_ds.day.to_numpy().astype(float)
        for j in (1, 2):
            feats[f"doy_sin{j}"] = np.sin(2 * np.pi * j * doy / 365.25)
            feats[f"doy_cos{j}"] = np.cos(2 * np.pi * j * doy / 365.25)
        if spd > 1:
            feats["hour"] = target_ds.hour.to_numpy().astype(float)
        # models saved before: raw values only
        relative = set(getattr(self, "reg_relative_", None) or ())
        for name, vals in reg.items():
            feats[f"reg_{name}"] = vals
            if name in relative:
                # the value against the series' own last 4 weeks at the origin: a 20% price
                # cut of one item among 200 priced 1-15 is invisible in the raw price
                ref = _take(ctx.reg_ref(name), t)
                feats[f"regd_{name}"] = vals - ref
                with np.errstate(divide="ignore", invalid="ignore"):
                    feats[f"regr_{name}"] = np.where(ref > 0, vals / ref - 1.0, np.nan)
        # unclipped surprises for the linear short-memory term (not a tree feature)
        feats["__s0"] = ctx.surprise[t]
        feats["__s1"] = _take(ctx.surprise, t - 1)
        return pd.DataFrame(feats)

    def _horizon_band(self, h: np.ndarray) -> np.ndarray:
        """Index of the ``_H_EDGES`` band (in days) each horizon ``h`` (in periods) falls in."""
        return np.searchsorted(np.asarray(_H_EDGES) * self.spd_, h, side="left")

    def _conformal_by_horizon(self, h: np.ndarray, score: np.ndarray) -> np.ndarray:
        """Conformal adjustment per horizon band; bands with few scores keep the pooled one."""
        band = self._horizon_band(h)
        out = np.full(len(_H_EDGES) + 1, self.conformal_[0])
        for b in range(len(out)):
            sel = band == b
            if sel.sum() >= _MIN_CALIB:
                out[b] = _conformal_quantile(score[sel])
        return out

    def _conformal_by_series(self, sid: np.ndarray, score: np.ndarray) -> dict[str, float]:
        """Per series, how far its own conformal quantile lies from the pooled one, shrunk
        towards 0 by ``_MIN_CALIB`` pseudo-scores (0 with one series).

        The quantile models are shared, and so was the adjustment: in a panel of a big site
        and two shops selling 0-5 orders a day, the shops' large scores (on the log scale)
        widened the big site's band on ordinary days by a third (log(P90/P10) 0.175 -> 0.235).
        """
        pooled = float(self.conformal_[0])
        out: dict[str, float] = {}
        for s in pd.unique(sid):
            sel = sid == s
            n = int(sel.sum())
            if n >= _MIN_SERIES_CALIB:
                out[str(s)] = n / (n + _MIN_CALIB) * (_conformal_quantile(score[sel]) - pooled)
        return out

    def _conformal_at(self, h: np.ndarray, sid: str | None = None) -> np.ndarray:
        """Conformal widening of the P10/P90 band at horizons ``h`` (periods) of series
        ``sid``: the horizon band's adjustment plus the series' own offset."""
        per_band = getattr(self, "conformal_h_", None)  # absent in models saved before it
        if per_band is None or per_band.size == 0:
            return np.full(len(h), self.conformal_[0])
        own = getattr(self, "conformal_series_", {}).get(sid, 0.0)  # absent in older models
        return per_band[self._horizon_band(h)] + own

    def _bucket(self, h: np.ndarray) -> np.ndarray:
        return np.where(h <= 7, h, 8 + np.floor(2 * np.log2(np.maximum(h, 8) / 8))).astype(int)

    def _examples(self, ctxs: dict[str, _Ctx], lo: dict[str, int], hi: dict[str, int],
                  n_rows: int, rng: np.random.Generator,
                  checkpoints: dict[str, tuple[np.ndarray, list[_Ctx]]] | None = None,
                  ) -> pd.DataFrame:
        """Sample (origin, horizon) pairs with origins in [lo, hi) and targets before ``hi``.

        ``checkpoints``: per series, period numbers and the contexts built with what was known
        at each (``_Ctx.rebased``); an origin reads the latest one at or before it, so a level
        shift is moved only from when the forecaster could have known it.
        """
        frames = []
        per_series = max(1, n_rows // max(1, len(ctxs)))
        for sid, ctx in ctxs.items():
            t0 = max(lo[sid], min(2 * ctx.m, hi[sid] // 4))
            if hi[sid] - 1 - t0 < 1:
                continue
            n_orig = max(1, per_series // self.horizons_per_origin)
            origins = np.arange(t0, hi[sid] - 1)
            if len(origins) > n_orig:
                origins = np.sort(rng.choice(origins, n_orig, replace=False))
            hmax = np.minimum(self.max_h_, hi[sid] - 1 - origins)
            t = np.repeat(origins, self.horizons_per_origin)
            hm = np.repeat(hmax, self.horizons_per_origin)
            h = 1 + np.floor(rng.random(len(t)) * hm).astype(int)
            if checkpoints is not None and sid in checkpoints:
                at, known = checkpoints[sid]
                which = np.clip(np.searchsorted(at, t, side="right") - 1, 0, len(known) - 1)
                parts = [(known[b], t[which == b], h[which == b]) for b in np.unique(which)]
            else:
                parts = [(ctx, t, h)]
            for c, tb, hb in parts:
                tau = tb + hb
                target = c.zc[tau] - c.lvl[tb]
                keep = np.isfinite(target) & np.isfinite(c.lvl[tb])
                tb, hb, tau, target = tb[keep], hb[keep], tau[keep], target[keep]
                reg = {k: v[tau] for k, v in c.reg.items()}
                x = self._features(c, tb, hb, c.ds[tau], reg)
                x["__y"] = target
                x["__sid"] = sid
                frames.append(x)
        if not frames:
            msg = ("LightGBMForecaster: the series are too short to build training examples "
                   f"(need more than {2 * 7} days of history); use SeasonalNaiveForecaster")
            raise ValueError(msg)
        return pd.concat(frames, ignore_index=True)

    # ------------------------------------------------------------ fitting
    def _near_event(self, ds: pd.DatetimeIndex, lift: np.ndarray | None) -> np.ndarray | None:
        """Periods within ``yoy_guard_days`` of a day whose learned event ``lift`` is at least
        ``yoy_guard_lift`` (None: no guard)."""
        g = float(self.yoy_guard_days)
        if g <= 0 or lift is None:
            return None
        big = np.abs(lift) >= self.yoy_guard_lift
        if not big.any():
            return None
        days = ds.normalize()
        hot = days[big].unique()
        span = pd.Timedelta(days=g)
        idx = np.searchsorted(hot.to_numpy(), days.to_numpy())
        before = np.abs(days - hot[np.clip(idx - 1, 0, len(hot) - 1)]) <= span
        after = np.abs(hot[np.clip(idx, 0, len(hot) - 1)] - days) <= span
        return np.asarray(before | after)

    def _fit_shock(self, x: pd.DataFrame, resid: np.ndarray) -> dict[int, tuple[float, float]]:
        """Per horizon bucket, how much of the last two surprises is left in the residual."""
        coefs: dict[int, tuple[float, float]] = {}
        b = self._bucket(x["h"].to_numpy().astype(int))
        short = x["h"].to_numpy() <= self.shock_steps_
        d0 = x["__s0"].fillna(0.0).to_numpy()
        d1 = x["__s1"].fillna(0.0).to_numpy()
        y = resid
        for bucket in np.unique(b[short]):
            sel = short & (b == bucket)
            if sel.sum() < 30:
                continue
            a = np.column_stack([d0[sel], d1[sel], np.ones(sel.sum())])
            coef, *_ = np.linalg.lstsq(a, y[sel], rcond=None)
            coefs[int(bucket)] = (float(np.clip(coef[0], -1, 1)), float(np.clip(coef[1], -1, 1)))
        return coefs

    def _shock(self, x: pd.DataFrame, coefs: dict[int, tuple[float, float]]) -> np.ndarray:
        b = self._bucket(x["h"].to_numpy().astype(int))
        a0 = np.array([coefs.get(int(v), (0.0, 0.0))[0] for v in b])
        a1 = np.array([coefs.get(int(v), (0.0, 0.0))[1] for v in b])
        short = x["h"].to_numpy() <= self.shock_steps_
        out = a0 * x["__s0"].fillna(0.0).to_numpy() + a1 * x["__s1"].fillna(0.0).to_numpy()
        return np.where(short, out, 0.0)

    def _fit_models(self, x: pd.DataFrame) -> tuple[list[lgb.LGBMRegressor], dict]:
        y = x["__y"].to_numpy()
        feats = x[[c for c in x.columns if not c.startswith("__")]]
        models = []
        for q in QUANTILES:
            mdl = lgb.LGBMRegressor(
                objective="quantile", alpha=q, n_estimators=self.n_estimators,
                learning_rate=self.learning_rate, num_leaves=self.num_leaves,
                min_child_samples=self.min_child_samples, subsample=0.8, subsample_freq=1,
                colsample_bytree=0.8, reg_lambda=1.0, max_bin=63, random_state=self.seed,
                n_jobs=self.n_jobs, verbose=-1)
            mdl.fit(feats, y)
            models.append(mdl)
        # the short-memory term is fitted on what the trees left (the trees see clipped
        # deviations only, so the excess of a large surprise is theirs to miss)
        short = x["h"].to_numpy() <= self.shock_steps_
        resid = np.zeros(len(x))
        if short.any():
            resid[short] = y[short] - models[1].predict(feats[short])
        return models, self._fit_shock(x, resid)

    def _raw_quantiles(self, models: list[lgb.LGBMRegressor], shock: dict,
                       x: pd.DataFrame) -> np.ndarray:
        feats = x[[c for c in x.columns if not c.startswith("__")]]
        s = self._shock(x, shock)
        return np.column_stack([m.predict(feats) + s for m in models])

    def fit(self, series: pd.DataFrame, calendar: pd.DataFrame | None = None) -> Self:
        """Clean events from history, learn their lifts, fit the quantile models."""
        panel = prepare_panel(series, self.transform)
        self.panel_: Panel = panel
        self.reg_relative_ = _graded(panel)
        self.calendar_ = self._fit_calendar(calendar)
        spd = steps_per_day(panel.freq)
        m, year = 7 * spd, 364 * spd
        self.max_h_ = round(self.max_horizon_days * spd)
        self.shock_steps_ = round(self.shock_days * spd)
        self.spd_ = spd
        run = round(self.level_shift_days * spd)
        # unmarked closures (drops that ended) are no event-free values for the event
        # baselines either: found on the raw values, as ``_Ctx`` finds them on the cleaned ones
        drops = {sid: _winsorize(panel.fwd(g.y), m, self.clip_sd, shift_run=run,
                                 reg=g.regressors)[3]
                 for sid, g in panel.series.items()} if run > 1 else None
        events = EventEffects(**(self.events or {}))
        offset = self._fit_responses(panel, events, drops, m)
        self.effects_ = events.fit(panel, self.calendar_, drops, offset)
        lifts = {} if float(self.yoy_guard_days) <= 0 or self.calendar_.empty else {
            sid: lift for sid, (lift, _, _) in self.effects_.lift_many(
                {sid: g.ds for sid, g in panel.series.items()}, self.calendar_).items()}
        self.ctx_ = {sid: _Ctx(panel.fwd(g.y) - offset.get(sid, 0.0), self.effects_.clean_[sid],
                               g.ds, m, year,
                               g.regressors, self.clip_sd,
                               self._near_event(g.ds, lifts.get(sid)), run)
                     for sid, g in panel.series.items()}
        rng = np.random.default_rng(self.seed)
        n_rows = self.max_rows or min(200_000, 20_000 + 1_000 * len(self.ctx_))
        full = {sid: len(c.z) for sid, c in self.ctx_.items()}
        zero = dict.fromkeys(full, 0)
        # split conformal: fit before the calibration span, score on it
        self.conformal_ = np.zeros(2)
        self.conformal_h_ = np.zeros(0)
        self.conformal_series_: dict[str, float] = {}
        self.recent_steps_: dict[str, tuple[pd.Timestamp, float]] = {}
        self.unmoved_: dict[str, _Ctx] = {}  # the contexts before a recent step moved them
        longest = max(full.values())
        cal_steps = int(min(self.calibration_days * spd, 0.3 * longest))
        if cal_steps >= 4 * m:
            cut = {sid: n - cal_steps for sid, n in full.items()}
            # the calibration fit knows only the shifts before its cut, and each calibration
            # origin those before it (checkpoints every two weeks): a step inside the
            # calibration span is moved only once a forecast could have known it (moving it
            # for every origin had narrowed the band: 80% coverage 94% -> 76% after a step)
            moved = [sid for sid, c in self.ctx_.items() if c.offset.any()]
            early = {sid: c.rebased(cut[sid]) if sid in moved else c
                     for sid, c in self.ctx_.items()}
            checkpoints = {}
            for sid in moved:
                at = np.arange(max(0, cut[sid]), full[sid], 2 * m)
                checkpoints[sid] = (at, [self.ctx_[sid].rebased(int(a) + 1) for a in at])
            train = self._examples(early, zero, cut, n_rows, rng)
            calib = self._examples(early, {s: max(0, c) for s, c in cut.items()}, full,
                                   max(5_000, n_rows // 4), rng, checkpoints)
            models, shock = self._fit_models(train)
            q = self._raw_quantiles(models, shock, calib)
            y = calib["__y"].to_numpy()
            lo_err, hi_err = q[:, 0] - y, y - q[:, 2]
            score = np.maximum(lo_err, hi_err)
            self.conformal_ = np.array([_conformal_quantile(score)] * 2)
            self.conformal_h_ = self._conformal_by_horizon(calib["h"].to_numpy(), score)
            self.conformal_series_ = self._conformal_by_series(calib["__sid"].to_numpy(), score)
            if self.follow_recent_steps:
                self.recent_steps_ = self._follow_recent_steps(models, shock)
        # origins from a recent step on read the history as it was then (not moved): what
        # a forecast made there saw, and the trees learn from them that such a step lasts
        before_step = {sid: (np.array([0, c.recent_step[0]]), [c, self.unmoved_.pop(sid)])
                       for sid, c in self.ctx_.items() if c.recent_step is not None}
        x = self._examples(self.ctx_, zero, full, n_rows, rng, before_step or None)
        del self.unmoved_
        self.models_, self.shock_ = self._fit_models(x)
        for c in self.ctx_.values():
            del c._pre  # only the fit rebases; a saved model does not carry the copies
            del c._refit, c.cleaned, c._undo
        self.n_train_rows_ = len(x)
        self.feature_names_ = [c for c in x.columns if not c.startswith("__")]
        return self

    def _backcast(self, models: list[lgb.LGBMRegressor], shock: dict,
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
            ctx = self.ctx_[sid]
            h = np.arange(1, n_h + 1)
            tau = t + h
            x = self._features(ctx, np.full(n_h, t), h, ctx.ds[tau],
                               {k: np.asarray(v)[tau] for k, v in ctx.reg.items()})
            parts.append(x)
            order.append((sid, t, h))
        if not parts:
            return {}
        raw = self._raw_quantiles(models, shock, pd.concat(parts, ignore_index=True))
        out, at = {}, 0
        for sid, t, h in order:
            q = raw[at:at + len(h)] + self.ctx_[sid].lvl[t]
            at += len(h)
            adj = self._conformal_at(h, sid)
            q[:, 0] -= adj
            q[:, 2] += adj
            q = np.sort(q, axis=1)
            lift, var_lo, var_hi = (v[len(v) - len(self.ctx_[sid].z) + t + h]
                                    for v in lifts[sid])
            lo = np.sqrt((q[:, 1] - q[:, 0]) ** 2 + _Z80**2 * var_lo)
            hi = np.sqrt((q[:, 2] - q[:, 1]) ** 2 + _Z80**2 * var_hi)
            mid = q[:, 1] + lift
            out[sid] = np.column_stack([mid - lo, mid, mid + hi])
        return out

    def _follow_recent_steps(self, models: list[lgb.LGBMRegressor], shock: dict
                             ) -> dict[str, tuple[pd.Timestamp, float]]:
        """Move the history before a lasting step of the last weeks that the clipping bounds
        do not catch (``_forecast_recent``): the calibration fit (which never saw the last
        year) forecasts each daily series' last ``RECENT_DAYS`` days from the day before them;
        when those days ran persistently off (``brain forecast check``'s rule), the step is
        placed within the last ``STEP_WINDOW_DAYS`` and sized by the median of its days
        against a forecast from the day before it, and the periods before it are put on the
        new level. Not moved: a step that no longer holds at the end, or one a known-in-advance
        column of the series explains (the trees learn that from the column).

        Returns the steps moved: series -> (first day of the new level, size on the
        modelling scale)."""
        if self.spd_ != 1:
            return {}  # the rule is for daily series, as the check's warning
        m = 7
        n_recent = min(RECENT_DAYS, self.max_h_)
        window = min(STEP_WINDOW_DAYS, self.max_h_)
        ready = {sid: c for sid, c in self.ctx_.items()
                 if len(c.z) > window + 8 * m and np.isfinite(c.lvl[len(c.z) - window - 1])}
        # the forecast as predict gives it, event lifts and their spread included, against
        # the values as they were (net of the known-in-advance columns' effect), as
        # ``brain forecast check`` reads a kept forecast against the actuals
        lifts = self.effects_.lift_many({sid: c.ds[-window:] for sid, c in ready.items()},
                                        self.calendar_)
        # where a step would start: the split of the last ``window`` days' errors of a
        # forecast made before them; then the days from it on against a forecast made the day
        # before it, by the check's rule on (at most) their last ``n_recent`` days: a step 12
        # days old in a window of the last 14 has two days of the old level in it
        early = self._backcast(models, shock, {sid: (len(c.z) - window - 1, window)
                                               for sid, c in ready.items()}, lifts)
        starts = {}
        for sid, q in early.items():
            c = ready[sid]
            k = locate_step(c.z[-window:] - q[:, 1], min_after=MIN_DAYS)
            if k is not None:
                starts[sid] = len(c.z) - window + k
        fresh = self._backcast(models, shock, {sid: (a - 1, len(self.ctx_[sid].z) - a)
                                               for sid, a in starts.items()}, lifts)
        moved = {}
        for sid, q in fresh.items():
            c, a = self.ctx_[sid], starts[sid]
            k = min(n_recent, len(q))
            side = ran_off(c.z[len(c.z) - k:], q[len(q) - k:])
            if side == 0:
                continue
            size = step_size(c.z[a:] - q[:, 1])
            if size is None or np.sign(size) != side:
                continue
            if _moved_with(c.reg, a, 2 * m, len(c.z), during=len(c.z) - a):
                continue  # a budget or price that moved with it: the trees learn it
            ended = np.flatnonzero(c._undo[a:] != 0) + a
            if len(ended) and ended[-1] + 1 < len(c.z) and not c.cleaned[ended[-1] + 1]:
                # a drop the clipping rule saw end on a day without an event (a closure that
                # reopened); only event days after it, cleaned to the level before the drop,
                # can have made a lasting step look ended
                continue
            self.unmoved_[sid] = copy.copy(c)
            c.move_before(a, size)
            moved[sid] = (pd.Timestamp(c.ds[a]), size)
        return moved

    def _fit_responses(self, panel: Panel, events: EventEffects,
                       drops: dict[str, np.ndarray] | None, m: int) -> dict[str, np.ndarray]:
        """Each series' own response to its known-in-advance columns (``fit_responses``,
        measured off event days and unmarked drops, recent periods weighted more with the
        event lifts' half-life or a shorter one), kept in ``response_``; returns the
        effect per series on its history (series with a response only), which the event
        lifts and the trees are fitted net of."""
        self.response_: dict[str, dict[str, ColumnResponse]] = {}
        if not panel.regressor_names:
            return {}
        skip = events.event_days(panel, self.calendar_)
        for sid, off in (drops or {}).items():
            skip[sid] = skip[sid] | np.asarray(off, bool)
        self.response_ = fit_responses(
            {sid: panel.fwd(g.y) for sid, g in panel.series.items()},
            {sid: g.regressors for sid, g in panel.series.items()}, skip, m,
            halflife=float(events.halflife_days) * steps_per_day(panel.freq))
        return {sid: self._response_effect(sid, panel.series[sid].regressors)
                for sid, own in self.response_.items() if own}

    def _response_effect(self, sid: str, reg: dict[str, np.ndarray]) -> np.ndarray:
        """Effect of the known-in-advance values ``reg`` on series ``sid`` (modelling scale;
        0 for models saved before responses were learned)."""
        own = getattr(self, "response_", {}).get(sid, {})
        n = len(next(iter(reg.values()))) if reg else 0
        out = np.zeros(n)
        for name, resp in own.items():
            if name in reg:
                out = out + resp.effect(reg[name])
        return out

    # ------------------------------------------------------------ predicting
    def _repeat_last(self, sid: str, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fallback baseline for a series the features cannot describe (one observed period):
        its last value repeated, and the half-width of the seasonal naive's band for an unknown
        spread (one unit on the modelling scale, its standard deviation when it has two values
        or more), widened by the square root of the seasons ahead. Event lifts are added on top
        as for any series (its kind's lift: a launch-day-old product still gets the sale)."""
        z = self.panel_.fwd(self.panel_.series[sid].y)
        z = z[np.isfinite(z)]
        last = float(z[-1]) if len(z) else 0.0
        spread = float(np.std(z)) if len(z) > 1 and np.std(z) > 0 else (
            1.0 if self.panel_.log else max(abs(last), 1.0))
        band = spread * _Z80 * np.sqrt(np.ceil(h / (7 * self.spd_)))
        return np.full(len(h), last), band

    def predict(
        self,
        horizon: int,
        future_calendar: pd.DataFrame | None = None,
        future_regressors: pd.DataFrame | None = None,
        series: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """P10/P50/P90 per period; event lifts from the (future) calendar are added.

        Direct multi-horizon, not recursive: every period's features are read at the series'
        last observation from its own history (level, seasonal lags, surprises, known-in-
        advance values) and the target's calendar; no series reads another's values or
        forecasts, so ``series`` forecasts only those, with the same rows as a full forecast.
        """
        self._check_fitted()
        horizon = self._check_horizon(horizon)
        if horizon > self.max_h_:
            msg = (f"predict: horizon {horizon} periods exceeds the {self.max_h_} the model was "
                   "trained for; refit with a larger max_horizon_days")
            raise ValueError(msg)
        sids = self._series_asked(series)
        index = {sid: self.panel_.future_index(sid, horizon) for sid in sids}
        lifts = self.effects_.lift_many(index, self._calendar_for_predict(future_calendar))
        h = np.arange(1, horizon + 1)
        # one LightGBM call per quantile for many series at once (a call per series and
        # quantile cost 1.7 ms each), in batches of at most 200,000 rows to bound memory
        per_batch = max(1, 200_000 // horizon)
        regs = {sid: future_regressor_values(self.panel_, sid, index[sid], future_regressors)
                for sid in sids}
        raw = np.concatenate([self._raw_quantiles(self.models_, self.shock_, pd.concat([
            self._features(self.ctx_[sid], np.full(horizon, len(self.ctx_[sid].z) - 1), h,
                           index[sid], regs[sid])
            for sid in sids[b:b + per_batch]], ignore_index=True))
            for b in range(0, len(sids), per_batch)])
        parts = []
        for j, sid in enumerate(sids):
            ctx, idx = self.ctx_[sid], index[sid]
            q = raw[j * horizon:(j + 1) * horizon] + ctx.lvl[len(ctx.z) - 1]
            if regs[sid]:  # the series' own response to its planned known-in-advance values
                q = q + self._response_effect(sid, regs[sid])[:, None]
            adj = self._conformal_at(h, sid)
            q[:, 0] -= adj
            q[:, 2] += adj
            q = np.sort(q, axis=1)
            lift, var_lo, var_hi = lifts[sid]
            if not np.isfinite(q).all():  # too short for the features (a single period)
                base, band = self._repeat_last(sid, h)
                q = np.column_stack([base - band, base, base + band])
            lo = np.sqrt((q[:, 1] - q[:, 0]) ** 2 + _Z80**2 * var_lo)
            hi = np.sqrt((q[:, 2] - q[:, 1]) ** 2 + _Z80**2 * var_hi)
            mid = q[:, 1] + lift
            inv = self.panel_.inv
            parts.append(pd.DataFrame({"series_id": sid, "ds": idx, "p10": inv(mid - lo),
                                       "p50": inv(mid), "p90": inv(mid + hi)}))
        return self._frame(parts)
