"""The two linear terms beside ``LightGBMForecaster``'s quantile trees.

- The short-memory term (``_fit_shock``, ``_shock``): per horizon bucket (``_bucket``: each of
  the first 7 periods, then half-octaves), a line fitted on the trees' residuals that carries
  the unclipped surprise of the last two periods (value minus its trailing same-phase median),
  read at most at the edge of the surprises it was fitted on. Since 2026-12-07 it is fitted on
  examples of its own horizons too (``LightGBMForecaster._short_examples``), so each of the
  first buckets has one on hourly series.
- Each series' own response to its known-in-advance columns (``_fit_responses``,
  ``_response_effect``: ``fit_responses``), taken off the history before the event lifts and
  the trees are fitted and added back for the planned values.

``LinearTerms`` is the part of ``training._forecast_gbm.LightGBMForecaster`` that fits and reads
them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._forecast_base import Panel, steps_per_day
from ._forecast_events import EventEffects
from ._forecast_response import ColumnResponse, fit_responses

__all__ = ["LinearTerms"]


class LinearTerms:
    """The short-memory term and the series' column responses (see the module docstring);
    ``LightGBMForecaster`` extends it and sets the state it reads: ``shock_steps_`` (the
    horizons, in periods, the short-memory term covers) and ``calendar_``."""

    shock_steps_: int
    calendar_: Any

    def _bucket(self, h: np.ndarray) -> np.ndarray:
        return np.where(h <= 7, h, 8 + np.floor(2 * np.log2(np.maximum(h, 8) / 8))).astype(int)

    def _fit_shock(self, x: pd.DataFrame, resid: np.ndarray
                   ) -> dict[int, tuple[float, ...]]:
        """Per horizon bucket, how much of the last two surprises is left in the residual, and
        the range (0.5% .. 99.5%) of the surprises it was fitted on: ``_shock`` reads a
        surprise beyond it at the range's edge. A line fitted on ordinary days' surprises
        says nothing of a news spike 50 times the level on the last day (a surprise of 3.9 on
        the log scale, beyond every one it saw): its coefficient (up to 1) had carried the
        spike into the next two weeks, the first day forecast at 95x and the second week at
        up to 30x a 300- to 500-day series' level."""
        coefs: dict[int, tuple[float, ...]] = {}
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
            lo, hi = np.quantile(np.concatenate([d0[sel], d1[sel]]), [0.005, 0.995])
            coefs[int(bucket)] = (float(np.clip(coef[0], -1, 1)), float(np.clip(coef[1], -1, 1)),
                                  float(lo), float(hi))
        return coefs

    def _shock(self, x: pd.DataFrame, coefs: dict[int, tuple[float, ...]]) -> np.ndarray:
        b = self._bucket(x["h"].to_numpy().astype(int))
        # per bucket (a0, a1), and since 2026-12-06 the surprises' range (older models have
        # none): one row per distinct bucket, gathered for every example
        keys, at = np.unique(b, return_inverse=True)
        table = np.array([(*c[:2], *(c[2:4] if len(c) > 3 else (-np.inf, np.inf)))
                          for c in (coefs.get(int(k), (0.0, 0.0)) for k in keys)],
                         dtype=float).reshape(-1, 4)
        a0, a1, lo, hi = table[at].T
        short = x["h"].to_numpy() <= self.shock_steps_
        s0 = np.clip(x["__s0"].fillna(0.0).to_numpy(), lo, hi)
        s1 = np.clip(x["__s1"].fillna(0.0).to_numpy(), lo, hi)
        return np.where(short, a0 * s0 + a1 * s1, 0.0)

    def _fit_responses(self, panel: Panel, events: EventEffects,
                       drops: dict[str, np.ndarray] | None, m: int,
                       sitewide: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Each series' own response to its known-in-advance columns (``fit_responses``,
        measured off event days, unmarked drops and the site-wide outages of ``sitewide``,
        recent periods weighted more with the event lifts' half-life or a shorter one), kept
        in ``response_``; returns the effect per series on its history (series with a
        response only), which the event lifts and the trees are fitted net of."""
        self.response_: dict[str, dict[str, ColumnResponse]] = {}
        if not panel.regressor_names:
            return {}
        skip = events.event_days(panel, self.calendar_)
        # an outage's days (visits at 3% while the spend went on) are no response to it
        for mask in (drops or {}, sitewide or {}):
            for sid, off in mask.items():
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
