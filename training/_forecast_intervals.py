"""Whether a forecast's 80% band held the actuals as it should: too narrow, too wide, lopsided.

Read by the backtest (over all its folds) and by ``brain forecast check`` (over the periods
checked). A calibrated P10-P90 band holds 80% of the actuals with 10% above P90 and 10% below
P10. ``interval_notes`` names a band that holds far fewer (too narrow), far more with few misses
on either side (too wide), or whose misses fall on one side (``lopsided_note``): there the P50
runs high or low against the actuals, and the coverage alone can read right (an independent
check's hourly regions: 86.8% over a backtest, 1.6% above P90 and 11.6% below P10).

Two things the pooled coverage hides are said as well. Zero actuals under a P10 of 0 (a
store's closed days) are inside any band, so the share on the other periods is given when it
is lower (``free_zeros_note``; generated stores: 83.3% of a 42-day hold-out, 79.9% of the open
days). And a backtest's folds are single windows whose coverage moves with what they hold (a
season turning, events): the folds' range is named when it is wide (``fold_spread_note``;
generated stores, 42-day windows from eight origins: 71.0% .. 88.3%), since a hold-out is one
more such window and lands anywhere in it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom

from ._forecast_text import listed

__all__ = ["FOLD_SPREAD", "LOPSIDED_ALPHA", "LOPSIDED_RATIO", "fold_spread_note",
           "free_zeros_note", "interval_notes", "lopsided_note"]

LOPSIDED_RATIO = 3.0
"""The larger side's share of misses (at least the 10% a calibrated band has there) is at
least this many times the smaller side's for a band to be lopsided."""
LOPSIDED_ALPHA = 0.01
"""Level of the binomial test (one side's share of the series-days with a miss, against an
even split) a lopsided band must also pass: the hours of one day miss together, so they are
counted as one."""
FOLD_SPREAD = 6.0
"""Points between the backtest folds' lowest and highest coverage from which the range is
named (``fold_spread_note``)."""
FREE_ZEROS_SHARE = 0.05
"""Share of the scored periods that are zeros under a P10 of 0 from which the other periods'
coverage is named when it is lower (``free_zeros_note``)."""
FREE_ZEROS_GAP = 2.0
"""Points the other periods' coverage must lie under the pooled one to be named."""


def interval_notes(forecasts: pd.DataFrame, *, low: float = 70.0, high: float = 92.0,
                   series_low: float = 65.0, min_periods: int = 30,
                   over: str = "over all folds") -> list[str]:
    """Notes when the 80% band misses far more or far fewer actuals than it should.

    Over every scored period (``over`` names them: 'over all folds' in a backtest): coverage
    under ``low`` % (too narrow) or over ``high`` % with under 5% on each side (too wide), with
    the share above P90 and below P10 (which side misses); misses on one side
    (``lopsided_note``). Per series (with at least ``min_periods`` scored periods): those under
    ``series_low`` %. An independent check's Prophet bands covered 64-74% of the actuals per
    store (16 stores had over 20% of them above P90) and nothing said so.
    """
    scored = forecasts.dropna(subset=["y", "p10", "p90"])
    if len(scored) < min_periods:
        return []
    y = scored["y"].to_numpy(dtype=float)
    above = y > scored["p90"].to_numpy(dtype=float)
    below = y < scored["p10"].to_numpy(dtype=float)
    cov = 100 * float(np.mean(~above & ~below))
    notes = []
    sides = f"{100 * above.mean():.1f}% above P90, {100 * below.mean():.1f}% below P10"
    if cov < low:
        notes.append(f"the 80% interval held {cov:.1f}% of the actuals {over} ({sides}): "
                     "it is too narrow; read P10-P90 as a narrower range than 80%, and size "
                     "stock and staff with room beyond it")
    elif cov > high and above.mean() < 0.05 and below.mean() < 0.05:
        # both sides: a count series with many zero days has none below a P10 of 0 and
        # covers 90%+ with a right band (its share above P90 is then about 10%)
        notes.append(f"the 80% interval held {cov:.1f}% of the actuals {over} ({sides}): "
                     "it is wider than it needs to be on both sides")
    zeros = free_zeros_note(scored, over=over)
    if zeros:
        notes.append(zeros)
    side = lopsided_note(scored, over=over)
    if side:
        notes.append(side)
    per = pd.DataFrame({"sid": scored["series_id"].astype(str).to_numpy(),
                        "inside": ~above & ~below, "above": above})
    by = per.groupby("sid").agg(n=("inside", "size"), cov=("inside", "mean"),
                                above=("above", "mean"))
    by = by[by["n"] >= min_periods]
    bad = by[100 * by["cov"] < series_low].sort_values("cov")
    if len(by) > 1 and len(bad):
        worst = listed([f"{sid!r} {100 * r['cov']:.1f}% ({100 * r['above']:.1f}% above P90)"
                        for sid, r in bad.iterrows()], 3)
        notes.append(f"{len(bad)} of {len(by)} series had under {series_low:.0f}% of their "
                     f"actuals inside the 80% interval: {worst}; their bands are too narrow")
    return notes


def lopsided_note(scored: pd.DataFrame, *, over: str = "over all folds",
                  ratio: float = LOPSIDED_RATIO, alpha: float = LOPSIDED_ALPHA) -> str | None:
    """The note when the band's misses fall on one side, or None.

    Lopsided: the larger side's share (above P90 or below P10) is at least 10% and at least
    ``ratio`` times the smaller one's, and the split is unlikely for a centred band: among the
    (series, day) pairs with a miss on one side only, the smaller side's count has a binomial
    (p = 1/2) lower tail of at most ``alpha``. Days, not periods, are the units: an hourly
    series misses for hours on end when its level is off for the day, and 24 such hours are not
    24 pieces of evidence. Periods whose P10 is at most 0 are left out when no actual is
    negative (nothing can fall below them: a count series' days at 0).
    """
    y = scored["y"].to_numpy(dtype=float)
    p10 = scored["p10"].to_numpy(dtype=float)
    keep = p10 > 0 if (y >= 0).all() else np.ones(len(y), dtype=bool)
    if not keep.any():
        return None
    part = scored[keep]
    y = y[keep]
    above = y > part["p90"].to_numpy(dtype=float)
    below = y < p10[keep]
    hi, lo = float(above.mean()), float(below.mean())
    big, small = max(hi, lo), min(hi, lo)
    if big < 0.10 or big < ratio * small:
        return None
    day = (pd.to_datetime(part["ds"]).dt.normalize().to_numpy() if "ds" in part
           else np.arange(len(part)))
    units = pd.DataFrame({"sid": part["series_id"].astype(str).to_numpy(), "day": day,
                          "above": above, "below": below}).groupby(["sid", "day"]).any()
    n_hi = int((units["above"] & ~units["below"]).sum())
    n_lo = int((units["below"] & ~units["above"]).sum())
    if binom.cdf(min(n_hi, n_lo), n_hi + n_lo, 0.5) > alpha:
        return None
    p50 = part["p50"].to_numpy(dtype=float) if "p50" in part else None
    high = lo > hi  # actuals under P10: the forecast ran high
    run = ""
    if p50 is not None and y.sum() > 0:
        run = f" (the P50 sum {100 * (p50.sum() / y.sum() - 1):+.1f}% against the actuals')"
    where, more, less = ("high", "below P10", "above P90") if high else (
        "low", "above P90", "below P10")
    return (f"the 80% interval's misses fell on one side {over}: {100 * hi:.1f}% of the "
            f"actuals above P90 against {100 * lo:.1f}% below P10, on {n_hi} against {n_lo} "
            f"series-days with a miss: the forecast ran {where}{run}, with actuals {more} "
            f"far more often than {less} (10% each for a centred band), which the coverage "
            "alone does not show; look for what moved the level (a season turning, a trend, "
            "a step) before sizing on P50 or on one side of the band")


def free_zeros_note(scored: pd.DataFrame, *, over: str = "over all folds") -> str | None:
    """The coverage of the periods other than zeros under a P10 of 0, when those zeros are a
    notable share (``FREE_ZEROS_SHARE``) and the others held ``FREE_ZEROS_GAP`` points fewer.

    A closed day (actual 0, P10 0) is inside any band: in a panel of stores closed on Sundays
    and holidays such days were a sixth of a hold-out and lifted its coverage from 79.9% (open
    days) to 83.3%; an independent check's 300 stores, 70.8% to 75.5%. A planner sizing an open
    day reads the first figure.
    """
    y = scored["y"].to_numpy(dtype=float)
    if len(y) == 0 or (y < 0).any():
        return None
    p10 = scored["p10"].to_numpy(dtype=float)
    inside = (y >= p10) & (y <= scored["p90"].to_numpy(dtype=float))
    free = (y == 0) & (p10 <= 0)
    if free.mean() < FREE_ZEROS_SHARE or free.all():
        return None
    cov, rest = 100 * float(inside.mean()), 100 * float(inside[~free].mean())
    if rest > cov - FREE_ZEROS_GAP:
        return None
    return (f"{100 * free.mean():.1f}% of the actuals {over} were zeros under a P10 of 0 (closed "
            f"days, empty hours), inside any band; the other periods' coverage was {rest:.1f}% "
            f"against {cov:.1f}% over all: read {rest:.1f}% for a period that is open")


def fold_spread_note(forecasts: pd.DataFrame, *, spread: float = FOLD_SPREAD) -> str | None:
    """The range of the folds' coverage when it spans at least ``spread`` points, or None.

    ``forecasts``: a backtest's ``series_id``, ``ds``, ``p10``, ``p90``, ``y``, ``origin``
    rows. Each fold is one window; its coverage moves with the season and the events it holds,
    and a hold-out (the forecast the backtest vouches for) is one more window. Two independent
    checks read a backtest's mean as the hold-out's: 80.5% against 75.5% (300 stores, 2 folds)
    and 82.9% against 71-77% (an hourly shop, 2 folds, its hold-out holding Black Friday).
    Generated stores, 42-day windows from eight origins: 71.0% (the December ramp) .. 88.3%; a
    2-fold backtest minus the next window's coverage ran -9.8 .. +13.6 points over six origins
    (mean +0.1): the mean is no biased estimate, a single window is far from it.
    """
    scored = forecasts.dropna(subset=["y", "p10", "p90"])
    if "origin" not in scored or scored["origin"].nunique() < 2:
        return None
    inside = ((scored["y"] >= scored["p10"]) & (scored["y"] <= scored["p90"])).to_numpy()
    by = pd.Series(inside, index=scored["origin"].to_numpy()).groupby(level=0).mean() * 100
    lo, hi = by.idxmin(), by.idxmax()
    if by[hi] - by[lo] < spread:
        return None
    return (f"the 80% interval held {by[lo]:.1f}% of the actuals in the fold from "
            f"{pd.Timestamp(lo).date()} and {by[hi]:.1f}% in the fold from "
            f"{pd.Timestamp(hi).date()} ({len(by)} folds, {100 * inside.mean():.1f}% over all): "
            "each fold is one window, its coverage moves with the season and the events it "
            "holds, and a forecast of the same length is one more such window; expect its "
            f"coverage anywhere from {by[lo]:.0f}% to {by[hi]:.0f}%, not at the mean; more "
            "folds (--folds) make the mean surer but not one window, and origins like the "
            "window to come (--origins: the same season, the same events) say more of it")
