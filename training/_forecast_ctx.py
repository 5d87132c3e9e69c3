"""The per-series context the LightGBM forecaster reads its features from (``_Ctx``).

Built once per series by ``LightGBMForecaster.fit`` and pickled with the model (saved models
reference it as ``training._forecast_gbm._Ctx``, which re-exports it).
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd

from ._forecast_clip import _lull_periods, _rebase_offsets, _take, _winsorize
from ._forecast_steps import lasting_steps

__all__: list[str] = []


def _rolling(x: np.ndarray, window: int, how: str, center: bool = False) -> np.ndarray:
    s = pd.Series(x).rolling(window, min_periods=max(1, window // 3), center=center)
    return (s.mean() if how == "mean" else s.std()).to_numpy()


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
                 near_event: np.ndarray | None = None, shift_run: int = 0,
                 after_event: np.ndarray | None = None) -> None:
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
        # the last periods beyond the clip bound that no later value has shown to be a step
        # or a one-off (the ``shift_run`` last periods, not let through as a shift) are read
        # at the bound as training targets (``target``): a news spike 50x the level on the
        # last day was the target of every example ending there, and trees that read the
        # date within the year gave its leaf to the days after it (first day forecast at 5x,
        # weeks 2-4 at 1.3x, a 500-day series)
        tail = np.zeros(len(zc), dtype=bool)
        tail[max(0, len(zc) - shift_run):] = shift_run > 0
        self.unsettled = tail & ~shifted & np.isfinite(zr) & (zr != zc)
        self._pre = (zc, zr, ref, shifted, ended)  # for ``rebased``; dropped after the fit
        self._lasting = shift_run > 0  # older lasting steps inside the bounds too
        # the tail an event that multiplies traffic leaves past its cleaned window (a launch):
        # no level reading for those steps
        self._after_event = after_event
        self._no_level = (None if after_event is None
                          else np.asarray(after_event, bool) & ~self.cleaned)
        self.recent_step: tuple[int, float] | None = None
        self._refit = np.zeros(len(z))  # re-based event days after a recent step
        self._set_level(None)

    def target(self) -> np.ndarray:
        """The training target on the modelling scale: ``zc``, read at the clip bound
        (``zr``) over the unsettled last periods (``unsettled``)."""
        return np.where(self.unsettled, self.zr, self.zc)

    def _set_level(self, until: int | None) -> None:
        """Offsets and the level features: the periods before a lasting level shift are moved
        to the new level, so no feature window and no training target straddles the step."""
        zc, zr, ref, shifted, ended = self._pre
        self.offset = _rebase_offsets(zc, ref, shifted, ended, self.m, self.year, until=until,
                                      reg=self.reg)
        # a lasting step of the weekly level inside the bounds, a quarter old or more: moved
        # too, or the date and year-over-year features replay it a year later as a season
        # (none read in a seasonal lull seen once: the rise that ends it is the season's)
        skip = _lull_periods(zc, ref, shifted, self.m, self.year, until)
        if self._no_level is not None:
            skip |= self._no_level
        self.lasting = (lasting_steps(zr + self.offset, self.m, self.year, until, self.reg,
                                      ended, skip if skip.any() else None)
                        if self._lasting else [])
        for a, size in self.lasting:
            self.offset[:a] += size
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


# saved models pickle their contexts by this path (the class lived in ``_forecast_gbm``, which
# re-exports it): models saved now load with code from before the move too
_Ctx.__module__ = "training._forecast_gbm"
