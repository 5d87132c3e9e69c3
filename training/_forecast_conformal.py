"""Split-conformal widening of ``LightGBMForecaster``'s P10/P90 band.

The quantile trees' band is widened by the conformal quantile of calibration scores (the
widening each held-out value needs, scored as ``predict`` builds the band, event lifts and their
spread included): per horizon band (``_H_EDGES``), plus each series' own offset shrunk towards
0 (``_conformal_by_series``). ``ConformalBands`` is the part of
``training._forecast_gbm.LightGBMForecaster`` that computes and applies them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._forecast_base import _Z80

__all__ = ["ConformalBands"]


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




class ConformalBands:
    """Conformal adjustments of the band (see the module docstring); ``LightGBMForecaster``
    extends it and sets the state it reads: ``spd_`` (periods per day), ``conformal_``
    (pooled), ``conformal_h_`` (per horizon band), ``conformal_series_``, ``ctx_`` and
    ``effects_``."""

    spd_: int
    conformal_: np.ndarray
    conformal_h_: np.ndarray
    ctx_: dict[str, Any]
    effects_: Any

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

    def _conformal_by_series(self, sid: np.ndarray, score: np.ndarray,
                             h: np.ndarray) -> dict[str, float]:
        """Per series, how far its scores lie beyond their horizon bands' adjustments
        (``conformal_h_`` at ``h``): the conformal quantile of its scores less their band's,
        shrunk towards 0 by ``_MIN_CALIB`` pseudo-scores (0 with one series).

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
        for s in ids:
            sel = sid == s
            n = int(sel.sum())
            if n >= _MIN_SERIES_CALIB:
                out[str(s)] = n / (n + _MIN_CALIB) * _conformal_quantile(own[sel])
        return out

    def _conformal_at(self, h: np.ndarray, sid: str | None = None) -> np.ndarray:
        """Conformal widening of the P10/P90 band at horizons ``h`` (periods) of series
        ``sid``: the horizon band's adjustment plus the series' own offset."""
        per_band = getattr(self, "conformal_h_", None)  # absent in models saved before it
        if per_band is None or per_band.size == 0:
            return np.full(len(h), self.conformal_[0])
        own = getattr(self, "conformal_series_", {}).get(sid, 0.0)  # absent in older models
        return per_band[self._horizon_band(h)] + own

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
        y = calib["__y"].to_numpy()
        sids = calib["__sid"].to_numpy()
        tau = calib["__tau"].to_numpy().astype(int)
        back = np.zeros(len(y))
        lift, var_lo, var_hi = np.zeros(len(y)), np.zeros(len(y)), np.zeros(len(y))
        for sid in (str(s) for s in pd.unique(sids)):
            sel = sids == sid
            at = tau[sel]
            # what the event cleaning took off the value (0 where no event was cleaned)
            took = self.ctx_[sid].z[at] - self.effects_.clean_[sid][at]
            back[sel] = np.nan_to_num(took)
            if sid in lifts:
                lift[sel], var_lo[sel], var_hi[sel] = (v[at] for v in lifts[sid])
        err = y + back - (q[:, 1] + lift)
        need_lo = np.sqrt(np.maximum(np.maximum(-err, 0.0) ** 2 - _Z80**2 * var_lo, 0.0))
        need_hi = np.sqrt(np.maximum(np.maximum(err, 0.0) ** 2 - _Z80**2 * var_hi, 0.0))
        return np.maximum(need_lo - (q[:, 1] - q[:, 0]), need_hi - (q[:, 2] - q[:, 1]))
