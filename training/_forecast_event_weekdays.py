"""How an event's lift depends on the weekday it falls on (``EventEffects``' weekday slope).

A lift is measured against the same weekday's usual level (``EventEffects._baseline``). Some
events move a day by the same factor whatever the weekday (a promotion: +20% on a Tuesday or on
a Saturday); others set the day to a level of their own (a public holiday runs like a Sunday:
-30% on a weekday, little on a Saturday of a series with a weekend dip). Per kind, the lift per
unit of intensity is ``a + b * d``, where ``d`` is the weekday's usual offset from the series'
weekly level (``weekday_profile``): ``b = 0`` is a multiplier, ``b = -1`` a level of its own.
``b`` is learned from the occurrences of one name (in one series, on one relative day) that fell
on weekdays of different levels (``weekday_slopes``: a within-group regression shrunk towards
0 with the spread of a group around its parent, ``group_sd``), so a kind whose occurrences
all fell on like weekdays keeps ``b`` near 0, the multiplier it had. An independent check's
hourly demand: holidays seen on weekdays at -30%, a holiday on a Saturday had been forecast at
-30% on a Saturday's level (the day's sum 14-17% under the actual, which ran like a Sunday).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._forecast_event_pool import _Estimate

__all__ = ["weekday_profile", "weekday_slopes", "weekday_term"]

_MIN_OBS = 3
"""Fewest residual degrees of freedom for the slope's own noise estimate."""


def weekday_profile(base: np.ndarray, days: pd.DatetimeIndex, shut: np.ndarray) -> np.ndarray:
    """Each weekday's (Monday = 0) usual offset from the series' weekly level, on the modelling
    scale: the median over days of the day's mean baseline (``base``, the same-phase no-event
    value of each period) less the mean of the 7 days centred on it. Periods of a closed phase
    (``shut``: a shop's Sundays, its nights) are left out; a weekday with no open period has
    offset 0 (no weekday term: a closed day stays what its baseline is)."""
    val = np.where(shut | ~np.isfinite(base), np.nan, base)
    day = pd.Series(val).groupby(np.asarray(days)).mean()
    day.index = pd.DatetimeIndex(day.index)
    day = day.reindex(pd.date_range(day.index.min(), day.index.max(), freq="D"))
    wd = day.index.day_of_week.to_numpy()
    open_days = int(np.unique(wd[np.isfinite(day.to_numpy())]).size)
    if open_days < 2:
        return np.zeros(7)
    level = day.rolling(7, center=True, min_periods=open_days).mean()
    off = (day - level).to_numpy()
    out = np.zeros(7)
    for w in range(7):
        v = off[(wd == w) & np.isfinite(off)]
        if len(v):
            out[w] = float(np.median(v))
    return out


def _intensity(obs: pd.DataFrame) -> np.ndarray:
    i = pd.to_numeric(obs["intensity"], errors="coerce").astype(float).to_numpy()
    return np.where(np.isfinite(i) & (i != 0), i, 1.0)


def weekday_slopes(obs: pd.DataFrame, d: np.ndarray, *, group_sd: float,
                   halflife_days: float) -> dict[str, _Estimate]:
    """Per kind, the slope ``b`` of the event days' lift per unit of intensity (``obs['r']``
    over the intensity) on the weekday offset ``d`` of each observation's day, within groups
    of one series, name and relative day (their own lifts taken out), recent occurrences
    weighted more; shrunk towards 0 under N(0, ``group_sd``²): a slope of -1 (a level of its
    own) is two such spreads away, and a slope read from the noise of the weekdays' offsets
    alone (holidays seen on Mondays to Fridays only, whose levels differ by that noise) stays
    near 0. The residual variance is the groups' spread around their fitted lines; with
    under ``_MIN_OBS`` degrees of freedom it is the days' noise plus ``group_sd``² (too few
    occurrences to tell how they spread). Kinds whose groups never saw two weekday levels get
    no slope. Shoulder days (the days before and after) are not read: they are ordinary days
    of their weekday around the event, and had pulled a holiday's slope from -1.0 to -0.06.
    """
    out: dict[str, _Estimate] = {}
    on = obs["in_window"].to_numpy(dtype=bool)
    if not on.any():
        return out
    obs, d = obs[on], d[on]
    i = _intensity(obs)
    frame = pd.DataFrame({
        "kind": obs["kind"].astype(str).to_numpy(),
        "g": obs.groupby(["series_id", "name", "key"], sort=False).ngroup().to_numpy(),
        "x": d, "y": obs["r"].to_numpy(dtype=float) / i,
        "w": 0.5 ** (obs["age"].to_numpy(dtype=float) / halflife_days),
        "noise": obs["noise"].to_numpy(dtype=float) / i**2})
    frame = frame[np.isfinite(frame["x"]) & np.isfinite(frame["y"])]
    for kind, f in frame.groupby("kind", sort=False):
        w = f["w"].to_numpy()
        sw = f.groupby("g")["w"].transform("sum").to_numpy()
        xt = f["x"].to_numpy() - (f["x"] * f["w"]).groupby(f["g"]).transform("sum").to_numpy() / sw
        yt = f["y"].to_numpy() - (f["y"] * f["w"]).groupby(f["g"]).transform("sum").to_numpy() / sw
        sxx = float(np.sum(w * xt * xt))
        if sxx <= 1e-12:
            continue
        b = float(np.sum(w * xt * yt)) / sxx
        dof = len(f) - f["g"].nunique() - 1
        floor = float(np.mean(f["noise"]))
        if dof >= _MIN_OBS:
            s2 = max(float(np.sum(w * (yt - b * xt) ** 2) / np.sum(w)) * len(f) / dof, floor)
        else:
            s2 = floor + group_sd**2
        var_b = s2 * float(np.sum(w * w * xt * xt)) / sxx**2
        post_var = 1.0 / (1.0 / var_b + 1.0 / group_sd**2)
        out[str(kind)] = _Estimate(post_var * b / var_b, post_var)
    return out


def weekday_term(occ: pd.DataFrame, series: list[str], profiles: dict[str, np.ndarray],
                 slopes: dict[str, _Estimate], caps: dict[str, float]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Per event day of ``occ`` (``sid`` indexing ``series``, ``kind``, ``date``,
    ``intensity``, ``in_window``; shoulder days get none): the weekday term of its lift,
    ``b * d * i``, and its variance (``var(b) * (d * i)²``); the intensity capped at the
    largest the kind was seen with (``caps``), as the lift is."""
    add, var = np.zeros(len(occ)), np.zeros(len(occ))
    if not slopes or occ.empty:
        return add, var
    kinds = occ["kind"].astype(str).to_numpy()
    has = np.isin(kinds, list(slopes)) & occ["in_window"].to_numpy(dtype=bool)
    if not has.any():
        return add, var
    sub = occ[has]
    wd = pd.DatetimeIndex(sub["date"]).day_of_week.to_numpy()
    d = np.array([profiles.get(series[int(j)], np.zeros(7))[w]
                  for j, w in zip(sub["sid"].tolist(), wd, strict=True)])
    i = _intensity(sub)
    cap = np.array([caps.get(k, np.inf) for k in kinds[has]])
    x = d * np.minimum(i, cap)
    b = np.array([slopes[k].mean for k in kinds[has]])
    vb = np.array([slopes[k].var for k in kinds[has]])
    add[has], var[has] = b * x, vb * x * x
    return add, var
