"""The rows ``LightGBMForecaster``'s quantile trees read: features and sampled training examples.

- ``_features``: the feature row of each (origin ``t``, horizon ``h``) pair of one series, read
  from its context (``_Ctx``) at or before ``t`` (level, trend, volatility, the last two
  observations, seasonal lags, last year's seasonal change over the same horizon, guarded
  around large learned event lifts) plus what is known in advance about the target period
  (its calendar position, the known-in-advance values and, for graded columns, those values
  against the series' own last 4 weeks), and the unclipped surprises the short-memory term
  reads. ``fit`` and ``predict`` build their rows with it.
- ``_examples``: the training examples, (origin, horizon) pairs sampled per series with their
  target (the value at ``t + h`` minus the level at ``t``).
- ``_near_event``: the periods the year-over-year features skip (within ``yoy_guard_days``
  of a large learned event lift).
- ``_graded``: the known-in-advance columns that also enter against the series' own recent
  values.

``FeatureRows`` is the part of ``training._forecast_gbm.LightGBMForecaster`` that builds them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._forecast_base import Panel
from ._forecast_clip import _take
from ._forecast_ctx import _Ctx

__all__ = ["FeatureRows"]


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


class FeatureRows:
    """The trees' feature rows and training examples (see the module docstring);
    ``LightGBMForecaster`` extends it and sets the settings and state they read:
    ``horizons_per_origin``, ``yoy_guard_days``, ``yoy_guard_lift``, ``max_h_`` (the longest
    horizon, in periods), and ``date_features_`` and ``reg_relative_`` (absent in models saved
    before them)."""

    horizons_per_origin: int
    yoy_guard_days: float
    yoy_guard_lift: float
    max_h_: int

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
        # the date within the year only with a year of history (``date_features_``; models
        # saved before it have them)
        if getattr(self, "date_features_", True):
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

    def _examples(self, ctxs: dict[str, _Ctx], lo: dict[str, int], hi: dict[str, int],
                  n_rows: int, rng: np.random.Generator,
                  checkpoints: dict[str, tuple[np.ndarray, list[_Ctx]]] | None = None,
                  h_cap: int | None = None, h_even: int | None = None) -> pd.DataFrame:
        """Sample (origin, horizon) pairs with origins in [lo, hi) and targets before ``hi``.

        ``checkpoints``: per series, period numbers and the contexts built with what was known
        at each (``_Ctx.rebased``); an origin reads the latest one at or before it, so a level
        shift is moved only from when the forecaster could have known it.

        ``h_cap``: horizons up to ``h_cap`` only, drawn evenly on the log scale (the examples
        the short-memory term is fitted on: each of its first buckets gets its share).
        ``h_even``: horizons up to ``h_even`` only, drawn evenly (the first day's calibration
        examples of a sub-daily series: each hour as often as a forecast scores it).
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
            reach = self.max_h_ if h_even is None else min(h_even, self.max_h_)
            hmax = np.minimum(reach, hi[sid] - 1 - origins)
            t = np.repeat(origins, self.horizons_per_origin)
            hm = np.repeat(hmax, self.horizons_per_origin)
            if h_cap is None:
                h = 1 + np.floor(rng.random(len(t)) * hm).astype(int)
            else:
                hm = np.minimum(hm, h_cap)
                h = np.minimum(np.floor(np.exp(rng.random(len(t)) * np.log(hm + 1))), hm)
                h = np.maximum(h, 1).astype(int)
            if checkpoints is not None and sid in checkpoints:
                at, known = checkpoints[sid]
                which = np.clip(np.searchsorted(at, t, side="right") - 1, 0, len(known) - 1)
                parts = [(known[b], t[which == b], h[which == b]) for b in np.unique(which)]
            else:
                parts = [(ctx, t, h)]
            for c, tb, hb in parts:
                tau = tb + hb
                target = c.target()[tau] - c.lvl[tb]
                keep = np.isfinite(target) & np.isfinite(c.lvl[tb])
                tb, hb, tau, target = tb[keep], hb[keep], tau[keep], target[keep]
                reg = {k: v[tau] for k, v in c.reg.items()}
                x = self._features(c, tb, hb, c.ds[tau], reg)
                x["__y"] = target
                x["__sid"] = sid
                x["__tau"] = tau
                frames.append(x)
        if not frames:
            msg = ("LightGBMForecaster: the series are too short to build training examples "
                   f"(need more than {2 * 7} days of history); use SeasonalNaiveForecaster")
            raise ValueError(msg)
        return pd.concat(frames, ignore_index=True)

    def _near_event(self, ds: pd.DatetimeIndex, lift: np.ndarray | None,
                    after_only: bool = False) -> np.ndarray | None:
        """Periods within ``yoy_guard_days`` of a day whose learned event ``lift`` is at least
        ``yoy_guard_lift`` (None: no guard); ``after_only``: only those after such a day (the
        tail an event that multiplies traffic leaves past its window, ``_Ctx``'s
        ``after_event``)."""
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
        if after_only:  # the last such day at or before each period
            last = np.searchsorted(hot.to_numpy(), days.to_numpy(), side="right") - 1
            gap = days - hot[np.clip(last, 0, len(hot) - 1)]
            return np.asarray((last >= 0) & (gap <= span))
        return np.asarray(before | after)
