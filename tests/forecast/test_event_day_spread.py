"""An event day's band is the trees' no-event band with the lift's spread added: that spread is
what the lift adds to the day's uncertainty (the estimate's error and how occurrences differ),
not the day's own noise, which the trees' band holds already."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features._calendar import normalize_calendar
from training._forecast_events import EventEffects
from training._forecast_panel import prepare_panel

WEEK = np.array([1.08, 1.04, 1.02, 1.0, 0.99, 0.99, 0.88])  # Monday .. Sunday
KEYS = ["d0", "d1", "d2", "d3", "d4", "d5", "d6+"]
NOISE_SD = 0.05  # the days' noise on the log scale


def _lift_variances(seed: int, lifts: tuple[float, float]) -> np.ndarray:
    """Per series of four (800 a day, the weekday shape ``WEEK``, iid noise ``NOISE_SD`` on
    the log scale), the mean over a week's sale's days of the lift's predictive variance
    (below), the sale seen twice with the factors ``lifts``."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-01-01", periods=800, freq="D")
    starts = [ds[200], ds[564]]
    frames = []
    for sid in ("a", "b", "c", "d"):
        y = np.log(800.0) + np.log(WEEK[ds.day_of_week]) + NOISE_SD * rng.standard_normal(len(ds))
        for start, lift in zip(starts, lifts, strict=True):
            at = ds.get_loc(start)
            y[at:at + 7] += np.log(lift)
        frames.append(pd.DataFrame({"series_id": sid, "ds": ds, "y": np.exp(y)}))
    cal = normalize_calendar(pd.DataFrame({
        "name": "Black Week", "kind": "sale", "start": starts,
        "end": [s + pd.Timedelta(days=6) for s in starts]}))
    eff = EventEffects().fit(prepare_panel(pd.concat(frames, ignore_index=True), "log1p"), cal)
    return np.array([np.mean([eff.effect(sid, "Black Week", "sale", k, 1.0)[1] for k in KEYS])
                     for sid in ("a", "b", "c", "d")])


@pytest.mark.slow
def test_a_flat_sales_lift_spread_leaves_out_the_days_own_noise() -> None:
    """x1.8 on every day, twice, no spread between the occurrences: the lift's spread had
    been the occurrences' dispersion around the lift, the days' noise included, plus the
    estimate's variance: 0.0044 on the log scale (more than the days' noise, 0.0025), so the
    noise was counted once in the trees' band and again here (generated 6-channel worlds:
    89.5% of a held-back Black Week's days in the 80% band). Now 0.0015."""
    got = np.concatenate([_lift_variances(seed, (1.8, 1.8)) for seed in range(3)])
    assert np.mean(got) < NOISE_SD**2, got


@pytest.mark.slow
def test_a_sale_whose_occurrences_differ_keeps_that_spread() -> None:
    """x1.5 once and x2.2 the next time: the occurrences differ by far more than the days'
    noise (their log lifts' variance 0.037), and the lift's spread keeps it (0.049 mean; it
    was 0.052 with the noise in it)."""
    spread = np.var(np.log([1.5, 2.2]))
    got = np.concatenate([_lift_variances(seed, (1.5, 2.2)) for seed in range(2)])
    assert np.mean(got) > spread, (np.mean(got), spread)
