"""Split-conformal widening of ``LightGBMForecaster``'s P10/P90 band.

The quantile trees' band is widened by the conformal quantile of calibration scores (the
widening each held-out value needs, scored as ``predict`` builds the band, event lifts and their
spread included): per horizon band (``_H_EDGES``), plus each series' own offset shrunk towards
0 (``_conformal_by_series``), plus an offset for ordinary days and one for event days
(``_conformal_by_day_type``), the event days' read per event kind, shoulder days apart
(``_conformal_by_kind``). Each quantile weighs a calibration example by its recency
(``_RECENCY_HALF_LIFE_DAYS``, ``_recency_weights``). Zeros under a P10 of 0 (a closed day of
a non-negative series) are held by any band and score nothing (``_free_zeros``).
``ConformalBands`` is the part of ``training._forecast_gbm.LightGBMForecaster`` that computes
and applies them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._forecast_base import _Z80, Panel
from ._forecast_event_lifts import HALVES

__all__ = ["ConformalBands", "event_day_changes", "subday_edges"]


_H_EDGES = (7, 14, 28, 56)
"""Upper edges (days) of the horizon bands that get their own conformal adjustment."""
_SUBDAY_EDGES = 3
"""Sub-daily series (hourly) get two more bands before the first day's end: the first
``_SUBDAY_EDGES`` periods, then the rest of the first day (``ConformalBands.band_edges``),
calibrated on examples of their own (``LightGBMForecaster._short_calibration``)."""
_MIN_CALIB = 200
"""Fewest calibration scores a band needs for its own adjustment (else the pooled one); the
most pseudo-scores a group's offset is shrunk by (``_pseudo_counts``)."""
_MIN_HALF = _MIN_CALIB // 4
"""Calibration examples each half of a kind's long windows needs for offsets of its own
(``ConformalBands._conformal_by_kind``), and a group for its pseudo-count to be read from the
data (``_pseudo_counts``)."""
_MIN_SERIES_CALIB = 30
"""Fewest calibration scores of one series for its own conformal offset."""


_RECENCY_HALF_LIFE_DAYS = 180.0
"""Age (days from its target period to the history's end) at which a calibration example
weighs half as much as the latest in the conformal quantiles (non-exchangeable conformal
prediction, Barber et al. 2023): half the default 365-day calibration span, so the span's
oldest examples still weigh a quarter (and a shortened span's nearly as much as its latest)."""

_NO_DAY_TYPES = np.zeros(2)
"""Ordinary and event days' offsets of a model without them (saved before, or one type)."""


def _conformal_quantile(score: np.ndarray, coverage: float = 0.8,
                        weights: np.ndarray | None = None) -> float:
    """Split-conformal quantile of ``score`` with the finite-sample correction; with
    ``weights`` (one per score, at most 1), the weighted one of Barber et al. (2023): the
    smallest score whose cumulative weight reaches ``coverage`` of the total, the forecast
    period counted with weight 1 at +infinity (the largest score when none does). No scores
    (every calibration example a closed day, which any band holds: a series at 0 through the
    whole calibration span) need no widening: 0."""
    n = len(score)
    if n == 0:
        return 0.0
    if weights is None:
        return float(np.quantile(score, min(1.0, np.ceil((n + 1) * coverage) / n)))
    order = np.argsort(score, kind="stable")
    cum = np.cumsum(weights[order]) / (float(np.sum(weights)) + 1.0)
    return float(score[order][min(int(np.searchsorted(cum, coverage)), n - 1)])



def _quantile_variance(score: np.ndarray, coverage: float = 0.8,
                       weights: np.ndarray | None = None) -> float:
    """Sampling variance of the (weighted) ``coverage`` quantile of ``score``, asymptotic:
    ``coverage (1 - coverage) / (n f(q)^2)``, ``n`` the scores' effective count
    ((sum w)^2 / sum w^2), ``f(q)`` their density at the quantile by a Gaussian kernel of
    Silverman's bandwidth. NaN where it cannot be read: fewer than two scores, or all alike."""
    n = len(score)
    if n < 2:
        return float("nan")
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    p = w / float(np.sum(w))
    n_eff = 1.0 / float(np.sum(p * p))
    order = np.argsort(score, kind="stable")
    cum = np.cumsum(p[order])
    q25, q75, q = (score[order][min(int(np.searchsorted(cum, c)), n - 1)]
                   for c in (0.25, 0.75, coverage))
    mean = float(np.sum(p * score))
    sd = np.sqrt(float(np.sum(p * (score - mean) ** 2)))
    spread = min(sd, (q75 - q25) / 1.34) or sd
    if not spread > 0.0:
        return float("nan")
    bw = 0.9 * spread * n_eff ** -0.2
    density = float(np.sum(p * np.exp(-0.5 * ((score - q) / bw) ** 2))) / (
        bw * np.sqrt(2.0 * np.pi))
    return coverage * (1.0 - coverage) / (n_eff * density**2)


def _pseudo_counts(raw: list[float], var: list[float], n: list[int],
                   towards: list[float]) -> list[float]:
    """Empirical-Bayes pseudo-count of each of sibling groups' offsets (raw quantiles
    ``raw`` of ``n`` scores, sampling variances ``var``, each shrunk towards its parent
    ``towards``): the groups' spread about their parents beyond their sampling noise,
    ``tau2`` = mean((raw - towards)^2 - var) (method of moments) over the groups of
    ``_MIN_HALF`` scores or more, sets each such group's pseudo-count to its per-score
    variance over it, ``n * var / tau2``, so its share is ``tau2 / (tau2 + var)``: groups
    that differ more than their noise are shrunk less, scattered ones still pulled in.
    ``_MIN_CALIB`` (the former fixed count, and the most) for a smaller group and wherever it
    cannot be estimated: fewer than two such groups, a variance unknown, no spread beyond
    the noise.

    A small group's variance is not read: its examples are few target days scored at many
    horizons, far fewer independent values than scores. Peyton Manning's playoff days (29
    scores, quantile +2.4) had been taken nearly whole, their band widened e^2.4-fold, and the
    benchmark's pinball loss rose from 0.52 to 0.63 at the same coverage."""
    fixed = [float(_MIN_CALIB)] * len(raw)
    big = [m >= _MIN_HALF and bool(np.isfinite(v)) for m, v in zip(n, var, strict=True)]
    if sum(big) < 2:
        return fixed
    d2 = [(r - t) ** 2 - v for r, t, v, b in zip(raw, towards, var, big, strict=True) if b]
    tau2 = float(np.mean(d2))
    if not tau2 > 0.0:
        return fixed
    return [min(float(_MIN_CALIB), m * v / tau2) if b else float(_MIN_CALIB)
            for m, v, b in zip(n, var, big, strict=True)]


def _shrunk_offsets(own: np.ndarray, groups: list[np.ndarray], towards: list[float],
                    w: np.ndarray | None = None) -> list[float]:
    """Offsets of sibling groups (``groups``: each a selection of ``own``, the calibration
    scores net of the adjustments above them): each group's conformal quantile shrunk
    towards its parent's offset (``towards``) by its empirical-Bayes pseudo-count
    (``_pseudo_counts``)."""
    raw = [_conformal_quantile(own[sel], weights=None if w is None else w[sel])
           for sel in groups]
    n = [int(sel.sum()) for sel in groups]
    var = [_quantile_variance(own[sel], weights=None if w is None else w[sel])
           for sel in groups]
    k = _pseudo_counts(raw, var, n, towards)
    return [float(m / (m + c) * r + c / (m + c) * t)
            for m, c, r, t in zip(n, k, raw, towards, strict=True)]


def subday_edges(spd: int) -> np.ndarray | None:
    """The horizon bands' upper edges (periods) of a series of ``spd`` periods a day: None
    for daily series (``_H_EDGES`` days), else the first ``_SUBDAY_EDGES`` periods and the
    first day before them."""
    if spd <= 1:
        return None
    return np.array([min(_SUBDAY_EDGES, spd - 1), spd, *(np.asarray(_H_EDGES) * spd)])


def event_day_changes(model: Any, kinds: np.ndarray) -> np.ndarray:
    """``model.event_day_change`` of each day of ``kinds`` (the kind standing for the day,
    its shoulder days and the halves of its long windows apart: ``EventLifts.day_kinds``):
    its group's offset (``ConformalBands._conformal_by_kind``) less the ordinary days'; a
    half without one reads its kind's; the pooled event days' for a kind without one (not in
    the calibration span, a model saved before the table)."""
    ordinary, event = getattr(model, "conformal_day_", _NO_DAY_TYPES)  # older: none
    table = getattr(model, "conformal_kind_", {})  # absent in older models
    kinds = np.asarray(kinds, dtype=object)
    out = np.full(len(kinds), float(event - ordinary))
    for label in {k for k in kinds if isinstance(k, str)}:
        # a half of a window without its own offset (too few examples, a model saved
        # before the halves) reads its kind's
        offset = table.get(label, table.get(_without_half(label)))
        if offset is not None:
            out[kinds == label] = offset - ordinary
    return out


def _without_half(label: str) -> str:
    """The kind of a window day's group (``EventLifts.day_kinds``) without its half."""
    for suffix in HALVES:
        if label.endswith(suffix):
            return label[:-len(suffix)]
    return label


class ConformalBands:
    """Conformal adjustments of the band (see the module docstring); ``LightGBMForecaster``
    extends it and sets the state it reads: ``spd_`` (periods per day), ``conformal_``
    (pooled), ``conformal_h_`` (per horizon band), ``conformal_series_``, ``conformal_day_``
    (ordinary and event days), ``conformal_kind_`` (event days per kind), ``ctx_``,
    ``effects_`` and ``panel_``."""

    spd_: int
    panel_: Panel
    conformal_: np.ndarray
    conformal_h_: np.ndarray
    conformal_series_: dict[str, float]
    conformal_day_: np.ndarray
    ctx_: dict[str, Any]
    effects_: Any

    def band_edges(self) -> np.ndarray:
        """Upper edges (periods) of the horizon bands: ``_H_EDGES`` days, and on sub-daily
        series first ``_SUBDAY_EDGES`` periods and one day (``conformal_edges_``, set by
        ``fit``; a model saved before it has the days' bands only).

        With the days' bands only, an hourly forecast's first week was one band: its
        first hours (one-hour errors a third of the week's) were widened as much as its
        last, and a week's scores set the first hours' band (a generated hourly load's 80%
        band held 85-91% of its hours 1-3) (docs/forecasting-reference.md, "The band of an
        hourly forecast's first day")."""
        edges = getattr(self, "conformal_edges_", None)
        if edges is None:
            return np.asarray(_H_EDGES) * self.spd_
        return np.asarray(edges)

    def _horizon_band(self, h: np.ndarray) -> np.ndarray:
        """Index of the band (``band_edges``) each horizon ``h`` (in periods) falls in."""
        return np.searchsorted(self.band_edges(), h, side="left")

    def _recency_weights(self, sid: np.ndarray, tau: np.ndarray,
                         end: dict[str, int]) -> np.ndarray:
        """Weight of each calibration example (series ``sid``, target period ``tau``) in the
        conformal quantiles: halved every ``_RECENCY_HALF_LIFE_DAYS`` of its target's age
        before its series' ``end`` (periods of the history).

        The 365-day calibration span weighed alike had sized the band of a forecast from
        mid-December on the whole year's scores: Peyton Manning's five December origins held
        88.1% in their 80% band (per origin 86.7 to 96.7%); weighted by recency 86.4%, the
        year's 29 origins 77.7 -> 77.3%, 200 generated stores 83.0 -> 82.1%, MASE unchanged
        (docs/forecasting-reference.md, "Recency-weighted calibration").
        """
        age = (np.array([end[str(s)] for s in sid], float) - tau) / self.spd_
        return np.power(0.5, np.maximum(age, 0.0) / _RECENCY_HALF_LIFE_DAYS)

    def _conformal_by_horizon(self, h: np.ndarray, score: np.ndarray,
                              w: np.ndarray | None = None) -> np.ndarray:
        """Conformal adjustment per horizon band (scores weighted by ``w``, if given); bands
        with few scores keep the pooled one."""
        band = self._horizon_band(h)
        out = np.full(len(self.band_edges()) + 1, self.conformal_[0])
        for b in range(len(out)):
            sel = band == b
            if sel.sum() >= _MIN_CALIB:
                out[b] = _conformal_quantile(score[sel], weights=None if w is None else w[sel])
        return out

    def _conformal_by_series(self, sid: np.ndarray, score: np.ndarray,
                             h: np.ndarray, w: np.ndarray | None = None) -> dict[str, float]:
        """Per series, how far its scores lie beyond their horizon bands' adjustments
        (``conformal_h_`` at ``h``): the conformal quantile of its scores less their band's,
        shrunk towards 0 by its empirical-Bayes pseudo-count (``_pseudo_counts``; 0 with one
        series).

        The quantile models are shared, and so was the adjustment: in a panel of a big site
        and two shops selling 0-5 orders a day, the shops' large scores (on the log scale)
        widened the big site's band on ordinary days by a third (log(P90/P10) 0.175 -> 0.235).
        Each score is read against its own horizon band: against the pooled quantile (made
        by the horizons up to ``max_horizon_days``, 90 days: two thirds of the scores of a
        14-day forecast's calibration) a series scored at short horizons only (a young one)
        was narrowed at every horizon, and one whose long-horizon scores run high widened
        at short ones (hourly web sites' offsets -0.031 .. +0.019, read by band -0.022 ..
        +0.021; a calibration fit that ran off at long horizons: -0.046 .. +0.055 against
        -0.016 .. +0.012).
        """
        out: dict[str, float] = {}
        ids = pd.unique(sid)
        if len(ids) < 2:
            return {str(s): 0.0 for s in ids}
        own = score - self.conformal_h_[self._horizon_band(h)]
        kept = [s for s in ids if int((sid == s).sum()) >= _MIN_SERIES_CALIB]
        offsets = _shrunk_offsets(own, [sid == s for s in kept], [0.0] * len(kept), w)
        for s, offset in zip(kept, offsets, strict=True):
            out[str(s)] = offset
        return out

    def _conformal_at(self, h: np.ndarray, sid: str | None = None) -> np.ndarray:
        """Conformal widening of the P10/P90 band at horizons ``h`` (periods) of series
        ``sid`` on an ordinary day: the horizon band's adjustment plus the series' own offset
        and the ordinary days' (an event day's is ``event_day_change`` more)."""
        per_band = getattr(self, "conformal_h_", None)  # absent in models saved before it
        if per_band is None or per_band.size == 0:
            return np.full(len(h), self.conformal_[0])
        own = getattr(self, "conformal_series_", {}).get(sid, 0.0)  # absent in older models
        ordinary = float(getattr(self, "conformal_day_", _NO_DAY_TYPES)[0])  # older: none
        return per_band[self._horizon_band(h)] + own + ordinary

    @property
    def event_day_change(self) -> float:
        """How much more an event day's band is widened than an ordinary day's (each side,
        before the event lift's spread is added; ``_conformal_by_day_type``)."""
        ordinary, event = getattr(self, "conformal_day_", _NO_DAY_TYPES)  # older: none
        return float(event - ordinary)

    def _net_of_band_and_series(self, score: np.ndarray, sid: np.ndarray,
                                h: np.ndarray) -> np.ndarray:
        """Calibration scores less their horizon band's and series' adjustments: what the
        offsets by day type and by event kind are read from."""
        return (score - self.conformal_h_[self._horizon_band(h)]
                - np.array([self.conformal_series_.get(str(s), 0.0) for s in sid]))

    def _conformal_by_day_type(self, score: np.ndarray, sid: np.ndarray, h: np.ndarray,
                               event: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
        """Offsets of ordinary days and of event days (``event``: a lift or its spread on the
        day, as ``predict`` adds them): the conformal quantile of each type's scores less
        their horizon band's and series' adjustments, shrunk towards 0 (the pooled
        adjustment) by its empirical-Bayes pseudo-count (``_pseudo_counts``); none without
        both types.

        Pooled, the quantile is right on average over the calibration days and not on either
        type: event days carry the lift's spread on top of the trees' band, and generated
        stores with promotions every other week held 91.7% of a 42-day hold-out's promotion
        days in the 80% band, 71.6% of its other open days. An event day's offset is added
        where the ordinary day's is, before the lift's spread: added after it, where it can
        narrow the band below the spread, it narrowed the shoulder days' band too (a lift,
        small, on the days around a promotion) and 8 generated stores' other open days held
        fewer than with the pooled offset.
        """
        if not event.any() or event.all():
            return _NO_DAY_TYPES.copy()
        own = self._net_of_band_and_series(score, sid, h)
        return np.array(_shrunk_offsets(own, [~event, event], [0.0, 0.0], w))

    def _conformal_by_kind(self, score: np.ndarray, sid: np.ndarray, h: np.ndarray,
                           kinds: np.ndarray, event: np.ndarray,
                           w: np.ndarray | None = None) -> dict[str, float]:
        """Event-day offset per event kind, its shoulder days apart (``kinds``: the group
        standing for each example's day, ``EventLifts.day_kinds``), where the event days
        fall in two groups or more: the conformal quantile of the group's scores less their
        horizon band's and series' adjustments, shrunk towards the pooled event days' offset
        (``conformal_day_[1]``) by its empirical-Bayes pseudo-count (``_pseudo_counts``);
        none with one group (its
        offset is the pooled one). The halves of a kind's windows of ``SPLIT_SPAN`` days or
        more (``"<kind> (first half)"``, ``"(second half)"``) count as the kind's days there,
        and where each half has ``_MIN_HALF`` examples or more each gets its own offset too,
        shrunk towards the kind's likewise (day half -> kind -> pooled).

        A fixed 200 pseudo-scores had shrunk every group alike: the launch's halves on
        generated page views (raw +0.43 and +0.21, 159 and 163 scores, sampling sd 0.03 and
        0.05) came out +0.37 and +0.27, the pooled event days' (+0.34, 442 scores) +0.235.

        One offset per kind had served its whole window: a page launch's first days (quantile
        +0.43 on generated page views) and its last (+0.21) were widened alike, the launch's
        first six days held 69.1% in the 80% band and its later ones 78.2%.

        One offset had served every event day of a model: the days the lifts forecast well
        (shoulders, a fortnightly promotion) and those they cannot (a launch of a new name,
        2x to 12x) were widened alike, the one too much and the other too little.
        """
        kinds = np.asarray(kinds, dtype=object)
        on = event & pd.notna(kinds)
        # each example's kind, its window's half left out
        labels = pd.Series(kinds, dtype=object).map(
            {k: _without_half(str(k)) for k in pd.unique(kinds[on])}).to_numpy(dtype=object)
        names = sorted({str(k) for k in labels[on]})
        own = self._net_of_band_and_series(score, sid, h)
        pooled = float(self.conformal_day_[1])

        out: dict[str, float] = dict.fromkeys(names, pooled)
        if len(names) > 1:
            out.update(zip(names, _shrunk_offsets(
                own, [on & (labels == kind) for kind in names], [pooled] * len(names), w),
                strict=True))
        for kind in names:
            # the two halves of the kind's long windows, each shrunk towards the kind's
            # offset, where each has ``_MIN_HALF`` examples
            halves = [on & (kinds == kind + suffix) for suffix in HALVES]
            if all(int(sel.sum()) >= _MIN_HALF for sel in halves):
                out.update(zip((kind + suffix for suffix in HALVES), _shrunk_offsets(
                    own, halves, [out[kind]] * 2, w), strict=True))
        if len(out) < 2:
            return {}  # one group: its offset is the pooled one
        return out

    def _free_zeros(self, calib: pd.DataFrame, q: np.ndarray,
                    lifts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                    ) -> np.ndarray:
        """Calibration examples whose value is 0 under a band reaching down to 0 before any
        widening: a closed day (a Sunday, a holiday) of a non-negative series. Any band holds
        them, so they tell nothing of its width; scored with the others they were a sixth of
        a store panel's scores, all far below the quantile, and the open days' band came out
        narrower than their 80% (71.6% of a hold-out's ordinary open days)."""
        if not self.panel_.log:
            return np.zeros(len(calib), bool)
        sids = calib["__sid"].to_numpy()
        tau = calib["__tau"].to_numpy().astype(int)
        zero = np.zeros(len(calib), bool)
        for sid in (str(s) for s in pd.unique(sids)):
            sel = sids == sid
            zero[sel] = self.panel_.series[sid].y[tau[sel]] == 0
        # the examples' values and quantiles are read against the level at their origin: the
        # value at 0 lies on or above the band's raw lower edge
        lift, var_lo, _ = self._calibration_lifts(calib, lifts)
        low = q[:, 1] + lift - np.sqrt((q[:, 1] - q[:, 0]) ** 2 + _Z80**2 * var_lo)
        return zero & (self._calibration_errors(calib, q, lifts) + q[:, 1] + lift >= low)

    def _calibration_scores(self, calib: pd.DataFrame, q: np.ndarray,
                            lifts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                            ) -> np.ndarray:
        """Conformity score of each calibration example: the widening the P10/P90 band
        needs to hold the value as observed, the band built as ``predict`` builds it.

        The quantile trees learn and forecast the history cleaned of calendar events (event
        and shoulder days replaced by a local same-phase baseline); ``predict`` adds the
        event lift and widens by its spread. Scored against the cleaned values, the band was
        calibrated on a smoothed target wherever the calendar covers the days.
        """
        _, var_lo, var_hi = self._calibration_lifts(calib, lifts)
        err = self._calibration_errors(calib, q, lifts)
        need_lo = np.sqrt(np.maximum(np.maximum(-err, 0.0) ** 2 - _Z80**2 * var_lo, 0.0))
        need_hi = np.sqrt(np.maximum(np.maximum(err, 0.0) ** 2 - _Z80**2 * var_hi, 0.0))
        return np.maximum(need_lo - (q[:, 1] - q[:, 0]), need_hi - (q[:, 2] - q[:, 1]))

    def _calibration_errors(self, calib: pd.DataFrame, q: np.ndarray,
                            lifts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                            ) -> np.ndarray:
        """Each calibration example's value as observed less its P50 with the event lift."""
        lift = self._calibration_lifts(calib, lifts)[0]
        return calib["__y"].to_numpy() + self._calibration_back(calib) - (q[:, 1] + lift)

    def _calibration_back(self, calib: pd.DataFrame) -> np.ndarray:
        """Per calibration example, what the event cleaning took off its value (0 where no
        event was cleaned): ``__y`` plus it is the value as observed."""
        sids = calib["__sid"].to_numpy()
        tau = calib["__tau"].to_numpy().astype(int)
        back = np.zeros(len(calib))
        for sid in (str(s) for s in pd.unique(sids)):
            sel = sids == sid
            at = tau[sel]
            back[sel] = np.nan_to_num(self.ctx_[sid].z[at] - self.effects_.clean_[sid][at])
        return back

    @staticmethod
    def _calibration_kinds(calib: pd.DataFrame, kinds: dict[str, np.ndarray]) -> np.ndarray:
        """Per calibration example, the kind standing for its day (``kinds``: per series, of
        each history period; None off events)."""
        sids = calib["__sid"].to_numpy()
        tau = calib["__tau"].to_numpy().astype(int)
        out = np.full(len(calib), None, dtype=object)
        for sid in (str(s) for s in pd.unique(sids)):
            if sid in kinds:
                sel = sids == sid
                out[sel] = kinds[sid][tau[sel]]
        return out

    @staticmethod
    def _calibration_lifts(calib: pd.DataFrame,
                           lifts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per calibration example, the event lift of its day and the lift's variance below
        and above (0 on a day without one)."""
        sids = calib["__sid"].to_numpy()
        tau = calib["__tau"].to_numpy().astype(int)
        out = np.zeros((3, len(calib)))
        for sid in (str(s) for s in pd.unique(sids)):
            if sid in lifts:
                sel = sids == sid
                out[:, sel] = [v[tau[sel]] for v in lifts[sid]]
        return out[0], out[1], out[2]
