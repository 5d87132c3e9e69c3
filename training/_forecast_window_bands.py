"""An 80% interval on each peak row's window total (``window_p10``, ``window_p90``).

The forecast has P10 and P90 per period, not how the periods' misses go together: the periods'
P10s summed are the total's P10 only if every period missed the same way at once (the
comonotone band, far too wide for a week: it held 99.5% of generated 7-day totals). So the
band is calibrated on the rolling-origin backtest that ``train`` runs before the final fit
(``window_bands``, kept in the model as ``window_bands_``): for each window length in
``WINDOW_DAYS`` (periods: days times the periods per day; and the folds' full length), every
run of that many consecutive scored periods of every (fold, series) gives a score, the actual
total's distance from the P50 total in units of the summed band's half on that side:
``(Y - P) / (sum P90 - P)`` above, ``(Y - P) / (P - sum P10)`` below. The band of a window of
that length is ``P + low * (P - sum P10)`` .. ``P + high * (sum P90 - P)`` with ``low`` and
``high`` the scores' split-conformal 10% and 90% quantiles (``low <= 0 <= high``, so the band
holds the P50 total and is ordered), the finite-sample level read from the number of (fold,
series) blocks, not of windows: a fold's overlapping windows and a series' days miss together.
Scaling by the summed band carries each series' and window's own spread (an event's wider
days, a quiet channel) into its total. Between grid lengths the scores are interpolated on
the log length. The series of a fold share its level miss (the longer the window, the more
of its miss that is), so the blocks are not independent and a few folds decide a long
window's band: since 2026-12-07 each length's band is widened, where it is narrower, to the
scores a new fold's level miss gives as the folds' mean scores predict it (``_fold_scores``;
28-day totals held 77.5% of generated hold-outs on whole panels, 44% on one 3-series panel).

A window with a missing actual is skipped, but the phases (weekdays; hours for sub-daily
series) none of a series' backtest actuals falls on (``off_phases``: closed days left out of
the file, forecast like open days) are no gap: they count at their P50 with no spread, in the
calibration and in the peak rows' bands (``on_schedule``). Until 2026-12-07 every 7-day
window of a store exported without its Sundays was skipped, and it got no band of a week.

Left empty (NaN): windows longer than ``MAX_DAYS`` (measured 2026-12-07: 42-day totals held
67% of generated hold-outs, the folds' level misses are too few to calibrate), or than the
backtest's folds, or lengths with under ``MIN_BLOCKS`` blocks; models trained before
2026-12-07 (no ``window_bands_``: ``window_band_note`` says to retrain; for a calibrated
model it names the rows left empty and why).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["MAX_DAYS", "MIN_BLOCKS", "MIN_FOLDS", "MIN_PHASE_DAYS", "WINDOW_DAYS", "WindowBands",
           "off_phases", "on_schedule", "window_band_note", "window_band_train_note",
           "window_bands", "window_interval"]

WINDOW_DAYS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 10, 14, 21, 28)
"""Window lengths (days) calibrated; hourly series also get 1, 3, 6 and 12 hours."""
MAX_DAYS = 28
"""Longest window (days) given an interval: longer totals are ruled by the folds' level
misses, a handful per series, and their bands held too few (42 days: 67%)."""
MIN_BLOCKS = 10
"""Fewest (fold, series) blocks with a window of a length for that length's band."""
MIN_FOLDS = 3
"""Fewest backtest folds to read the spread of the folds' shared level misses from (fewer:
the windows' band alone)."""
FOLD_POINTS = 19
"""Quantiles of a new fold's level miss each window's score is shifted by (``_fold_scores``)."""


@dataclass(frozen=True)
class WindowBands:
    """Backtest-calibrated scores of window totals (see the module docstring).

    Attributes:
        lengths: window lengths in periods, ascending.
        low: per length, the 10% score (<= 0): the band's lower end is ``P + low * (P -
            sum P10)``.
        high: per length, the 90% score (>= 0): the upper end is ``P + high * (sum P90 - P)``.
        blocks: per length, the (fold, series) blocks that had a window of it.
        folds: the backtest folds read.
    """

    lengths: tuple[int, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    blocks: tuple[int, ...]
    folds: int
    off_schedule: tuple[tuple[str, tuple[int, ...]], ...] = ()
    """Per series, the phases (weekdays; hours of the day for sub-daily series) it never had
    an actual on in the backtest (closed days left out of the file: ``off_phases``)."""
    spd: int = 1
    """Periods per day of the series calibrated."""
    longest: int = 0
    """The backtest's longest (fold, series) block, in periods (its folds' length)."""


MIN_PHASE_DAYS = 14
"""Fewest days of a series' backtest forecasts before the phases none of its actuals fall on
are read as off its schedule (as ``missing_phase_notes`` reads the history)."""


def _phase(ds: pd.Series | pd.DatetimeIndex, spd: int) -> np.ndarray:
    d = pd.DatetimeIndex(ds)
    return np.asarray(d.hour if spd > 1 else d.day_of_week)


def off_phases(forecasts: pd.DataFrame, spd: int) -> dict[str, tuple[int, ...]]:
    """Per series, the phases (weekdays, or hours for sub-daily series) that none of the
    backtest ``forecasts``' actuals falls on, for series with ``MIN_PHASE_DAYS`` days of them:
    a store whose Sundays are left out of the file. Those periods are forecast like open
    ones, but no actual ever comes for them: they are not gaps."""
    out: dict[str, tuple[int, ...]] = {}
    n = 24 if spd > 1 else 7
    for sid, g in forecasts.groupby(forecasts["series_id"].astype(str), sort=False):
        if g["ds"].nunique() < MIN_PHASE_DAYS * spd:
            continue
        seen = set(_phase(g["ds"][g["y"].notna()], spd).tolist())
        never = tuple(sorted(set(range(n)) - seen))
        if never and len(never) < n:
            out[str(sid)] = never
    return out


def on_schedule(bands: WindowBands | None, sid: str, ds: pd.Series | pd.DatetimeIndex
                ) -> np.ndarray:
    """Whether each period ``ds`` of series ``sid`` lies on its schedule (not on a phase it
    never had an actual on in ``bands``' backtest)."""
    off = dict(bands.off_schedule).get(str(sid), ()) if bands is not None else ()
    ph = _phase(ds, bands.spd if bands is not None else 1)
    return ~np.isin(ph, off) if off else np.ones(len(ph), dtype=bool)


def _grid(spd: int, longest: int) -> list[int]:
    hours = [1, 3, 6, 12] if spd == 24 else []
    days = [d * spd for d in WINDOW_DAYS if d <= MAX_DAYS]
    full = [longest] if longest <= MAX_DAYS * spd else []
    return sorted({n for n in [*hours, *days, *full] if n <= longest})


def _fold_scores(score: np.ndarray, fold: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The scores of a new fold's windows when the series of a fold share its level miss:
    each window's score less its fold's mean, plus a new fold's mean as the ``folds`` means
    predict it (normal theory: their mean, their standard deviation times ``sqrt(1 + 1 /
    folds)``, Student's t with ``folds - 1`` degrees of freedom, read at ``FOLD_POINTS``
    evenly spaced quantiles). The (fold, series) blocks count one fold's shared miss as
    many: on a long window a few folds decide the band. Given as the two parts, the windows'
    residuals and the new fold's means, whose every sum is one score (``_sum_quantiles``
    reads them without writing the ``FOLD_POINTS`` times larger set out). None under
    ``MIN_FOLDS`` folds."""
    folds, idx = np.unique(fold, return_inverse=True)
    n = len(folds)
    if n < MIN_FOLDS:
        return None
    means = np.bincount(idx, score) / np.bincount(idx)
    spread = float(means.std(ddof=1)) * np.sqrt(1 + 1 / n)
    t = stats.t.ppf((np.arange(FOLD_POINTS) + 0.5) / FOLD_POINTS, n - 1)
    return score - means[idx], means.mean() + spread * t


def _sum_quantiles(a: np.ndarray, b: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """``np.quantile`` (linear) of every sum ``a[i] + b[j]`` at ``qs``, without the
    ``len(a) * len(b)`` array: each order statistic is found by bisection on the value,
    counting the sums at or under it with one ``searchsorted`` per step (2,000 series x 5
    folds of 60 days: the set had taken 150 MB and most of the bands' time)."""
    a, b = np.sort(a), np.sort(b)
    m = len(a) * len(b)

    def kth(k: int) -> float:
        # the smallest value with more than k sums at or under it
        lo = float(np.nextafter(a[0] + b[0], -np.inf))
        hi = float(a[-1] + b[-1])
        while True:
            mid = lo + (hi - lo) / 2
            if mid <= lo or mid >= hi:
                return hi
            if int(np.searchsorted(a, mid - b, side="right").sum()) > k:
                hi = mid
            else:
                lo = mid

    out = []
    for q in qs:
        h = (m - 1) * q
        k = int(np.floor(h))
        low = kth(k)
        out.append(low if h == k else low + (h - k) * (kth(min(k + 1, m - 1)) - low))
    return out


def window_bands(forecasts: pd.DataFrame, spd: int, starts: pd.DataFrame | None = None
                 ) -> WindowBands | None:
    """Calibrate window-total scores on a backtest's ``forecasts`` (``series_id``, ``ds``,
    ``p10``, ``p50``, ``p90``, ``y``, ``origin``); ``spd``: periods per day. None when no
    length has ``MIN_BLOCKS`` blocks. ``starts``: the (``origin``, ``series_id``) blocks of
    series that start inside their fold (``BacktestResult.starts``), left out: forecast
    from only zeros (a page's launch at about 0 when no earlier start of its kind exists),
    their scores ran to thousands (a band's half of 1 against thousands of views), and the
    folds' shared level miss (``_fold_scores``) carried that fold's mean to every window of
    every series (an independent check's GA4 pages: a one-day window's band 0 .. 1,136,444
    for a P50 of 4,979)."""
    if starts is not None and len(starts):
        gone = pd.MultiIndex.from_arrays([pd.to_datetime(starts["origin"]),
                                          starts["series_id"].astype(str)])
        here = pd.MultiIndex.from_arrays([pd.to_datetime(forecasts["origin"]),
                                          forecasts["series_id"].astype(str)])
        forecasts = forecasts[~here.isin(gone)]
    f = forecasts.dropna(subset=["p10", "p50", "p90"]).sort_values(["origin", "series_id", "ds"])
    if f.empty:
        return None
    key = f["origin"].astype(str) + "\x00" + f["series_id"].astype(str)
    block = pd.factorize(key)[0]
    fold_of = pd.Series(pd.factorize(f["origin"])[0]).groupby(block).first().to_numpy()
    vals = f[["p10", "p50", "p90", "y"]].to_numpy(dtype=float, copy=True)
    # periods off a series' schedule (its omitted closed days) are no gap: they count at
    # their P50, with no spread and no miss, as the peak rows' bands count them
    off = off_phases(f, spd)
    if off:
        # one (series, phase) table of the periods off schedule, the phases read once
        n_ph = 24 if spd > 1 else 7
        codes, names = pd.factorize(f["series_id"].astype(str))
        table = np.zeros((len(names), n_ph), dtype=bool)
        for sid, never in off.items():
            table[names.get_loc(sid), list(never)] = True
        rows = table[codes, _phase(f["ds"], spd)]
        vals[rows, 0] = vals[rows, 2] = vals[rows, 3] = vals[rows, 1]
    missing = np.isnan(vals[:, 3])
    csum = np.vstack([np.zeros((1, 4)), np.cumsum(np.nan_to_num(vals), axis=0)])
    cmiss = np.concatenate([[0], np.cumsum(missing)])
    sizes = np.bincount(block)
    longest = int(sizes.max())
    out: list[tuple[int, float, float, int]] = []
    for n in _grid(spd, longest):
        if n > len(vals):
            break
        same = block[: len(block) - n + 1] == block[n - 1:]
        full = (cmiss[n:] - cmiss[:-n]) == 0
        s = (csum[n:] - csum[:-n])[same & full]
        lo, p, hi, y = s.T
        ok = (p > 0) & (hi > p) & (p > lo)
        if not ok.any():
            continue
        lo, p, hi, y = lo[ok], p[ok], hi[ok], y[ok]
        score = np.where(y >= p, (y - p) / (hi - p), (y - p) / (p - lo))
        used = np.unique(block[: len(block) - n + 1][same & full][ok])
        k = len(used)
        if k < MIN_BLOCKS:
            continue
        # the finite-sample level counts windows half as long apart in each block (at least
        # one per block): counted by blocks, the level was 1 up to 18 blocks and a one-day
        # band of 6 series x 3 folds 2.5 times the day's own; by non-overlapping windows,
        # 7-day windows held 80% at every panel size but 15 of 100 small panels fell under
        # 75% (docs/forecasting-reference.md, window_p10, measured 2026-12-07)
        k_eff = int(np.maximum(1, sizes[used] // (2 * n)).sum())
        # the quantile of all the windows' scores is read at the coverage the split-conformal
        # order statistic of k_eff scores holds (``ceil((k + 1) q) / (k + 1)``), not at its
        # rank among k_eff (``/ k``): up to 18 units that rank is the largest, and the largest
        # of every overlapping window of the backtest is far more than the largest of k_eff
        # draws (6 series x 3 folds: 14-28-day totals held 95-99% of new folds, now 86-88%;
        # docs/forecasting-reference.md, window_p10, 2026-12-07)
        level = min(1.0, np.ceil((k_eff + 1) * 0.9) / (k_eff + 1))
        low, high = float(np.quantile(score, 1 - level)), float(np.quantile(score, level))
        # the series of a fold share its level miss, the more so the longer the window: the
        # windows' band is widened to the folds' (``_fold_scores``) where that is wider
        shared = _fold_scores(score, fold_of[block[: len(block) - n + 1][same & full][ok]])
        if shared is not None:
            q10, q90 = _sum_quantiles(*shared, (0.1, 0.9))
            low, high = min(low, q10), max(high, q90)
        out.append((n, min(0.0, low), max(0.0, high), k))
    if not out:
        return None
    n_, lo_, hi_, k_ = zip(*out, strict=True)
    return WindowBands(tuple(n_), tuple(lo_), tuple(hi_), tuple(k_),
                       int(f["origin"].nunique()), tuple(sorted(off.items())), spd, longest)


def window_interval(bands: WindowBands | None, periods: int, p10: float, p50: float,
                    p90: float, floor: float | None = 0.0) -> tuple[float, float]:
    """``(window_p10, window_p90)`` of a window of ``periods`` periods whose P10s, P50s and
    P90s sum to ``p10``, ``p50``, ``p90``; NaN when ``bands`` has no such length (None,
    shorter than its first or longer than its last). ``floor``: the lowest value (0 for a
    series that is never negative; None for none)."""
    if bands is None or not bands.lengths or not np.isfinite(p50):
        return np.nan, np.nan
    n = np.asarray(bands.lengths, dtype=float)
    if periods < n[0] or periods > n[-1]:
        return np.nan, np.nan
    x = np.log(n)
    low = float(np.interp(np.log(periods), x, bands.low))
    high = float(np.interp(np.log(periods), x, bands.high))
    lo = p50 + low * max(p50 - p10, 0.0)
    hi = p50 + high * max(p90 - p50, 0.0)
    if floor is not None:
        lo = max(lo, min(floor, p50))
    return float(lo), float(hi)


def window_band_note(model: object, peaks: pd.DataFrame | None = None) -> str | None:
    """``predict``'s and the API's note for a model trained before 2026-12-07 (no
    ``window_bands_``): its rows' window_p10/window_p90 are empty, and retraining gives them.
    A model whose backtest was too small for them (``window_bands_`` None) was told so once, by
    ``train`` (``window_band_train_note``): retraining the same way would not help, and a
    note on every forecast of a one-series model would be noise. With ``peaks``, the rows of
    a calibrated model left without a band are named with why (``_unbanded_note``)."""
    if hasattr(model, "window_bands_"):
        bands = model.window_bands_
        return _unbanded_note(bands, peaks) if bands is not None and peaks is not None else None
    return ("window_p10 and window_p90 are empty: the model was trained before they existed "
            "(2026-12-07); run brain forecast train again to get them")


def window_band_train_note(model: object) -> str | None:
    """``train``'s note when its backtest had too few (fold, series) blocks for any window
    length (``window_bands_`` None): the peak rows' window_p10/window_p90 will be empty."""
    if getattr(model, "window_bands_", 0) is not None:
        return None
    return ("window_p10 and window_p90 (the window totals' 80% interval) will be empty: the "
            f"backtest had fewer than {MIN_BLOCKS} (fold, series) pairs to size them from; "
            "more --folds (or more series) give them")


def _unbanded_note(bands: WindowBands, peaks: pd.DataFrame) -> str | None:
    """The note naming the peak rows with a window total but no window_p10/window_p90, and
    why: over ``MAX_DAYS`` days, longer than the backtest's folds, or a length too few (fold,
    series) pairs had a complete window of (gaps: missing actuals on days the series has)."""
    if peaks.empty or "window_p10" not in peaks:
        return None
    empty = peaks[peaks["window_p10"].isna() & peaks["window_p50"].notna()]
    if empty.empty:
        return None
    spd = bands.spd
    if not bands.longest and 12 in bands.lengths and 2 not in bands.lengths:
        spd = 24  # calibrated before ``spd`` was kept (2026-12-07): an hourly grid
    step = pd.Timedelta(days=1) / spd
    n = ((pd.to_datetime(empty["end"]) - pd.to_datetime(empty["start"])) / step).round() + 1
    unit = "hours" if spd > 1 else "days"
    folds = bands.longest or bands.lengths[-1]
    reasons = np.where(n > MAX_DAYS * spd, f"over {MAX_DAYS} days",
                       np.where(n > folds, f"longer than the backtest's folds ({folds} {unit}; "
                                "train with a longer --horizon)",
                                f"fewer than {MIN_BLOCKS} (fold, series) pairs had a complete "
                                f"window of over {bands.lengths[-1]} {unit} in the backtest "
                                "(missing actuals on days the series has values)"))
    parts: dict[str, list[str]] = {}
    for (sid, win), why in zip(empty[["series_id", "window"]].itertuples(index=False),
                               reasons, strict=True):
        parts.setdefault(str(why), []).append(f"{sid} {win}")
    said = "; ".join(f"{', '.join(rows[:3])}{f' (+{len(rows) - 3} more)' if len(rows) > 3 else ''}"
                     f": {why}" for why, rows in parts.items())
    return f"window_p10 and window_p90 are empty for {len(empty)} peak row(s): {said}"
