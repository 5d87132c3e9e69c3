"""How far one series' lift of an event may stray from the event's lift pooled over series:
estimated from the series' raw lifts against their noise (method of moments), so series that
agree share the pooled lift and series that differ keep their own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features._calendar import normalize_calendar
from training._forecast_event_pool import _SERIES_SPREAD_FLOOR
from training._forecast_events import EventEffects
from training._forecast_panel import prepare_panel


def _learned(lifts: dict[str, float], seed: int) -> tuple[EventEffects, dict[str, float]]:
    """Three daily series with a sale three times (log lift per series in ``lifts``), each
    occurrence off its lift by N(0, 0.12) on its own (one draw per series and occurrence)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2022-01-01", periods=900, freq="D")
    starts = [ds[60 + 280 * k] for k in range(3)]
    frames = []
    for sid, lift in lifts.items():
        y = np.log(5000) + 0.05 * rng.standard_normal(len(ds))
        for start in starts:
            y[ds.get_loc(start)] += lift + 0.12 * rng.standard_normal()
        frames.append(pd.DataFrame({"series_id": sid, "ds": ds, "y": np.exp(y)}))
    cal = normalize_calendar(pd.DataFrame({"name": "sale", "start": starts, "kind": "sale"}))
    eff = EventEffects().fit(prepare_panel(pd.concat(frames, ignore_index=True), "log1p"), cal)
    return eff, {sid: eff.effect(sid, "sale", "sale", "d0", 1.0)[0] for sid in lifts}


def test_series_with_one_true_lift_are_pulled_to_the_pooled_lift() -> None:
    """Same true lift (1.0) everywhere: with a fixed spread of 0.5 each series kept its own
    noisy mean (over seeds 0-5: mean |error| 0.050, mean range 0.115); now 0.035 and 0.067."""
    errors, ranges = [], []
    for seed in range(6):
        eff, lifts = _learned({"app": 1.0, "desktop": 1.0, "mobile": 1.0}, seed)
        v = np.array(list(lifts.values()))
        errors.append(np.mean(np.abs(v - 1.0)))
        ranges.append(np.ptp(v))
        assert _SERIES_SPREAD_FLOOR <= eff.series_spread_[("sale", "d0")] < 0.05
    assert np.mean(errors) < 0.042
    assert np.mean(ranges) < 0.09


def test_series_with_their_own_lifts_keep_them() -> None:
    """Stores with promotion effects of their own (0.4, 1.0, 1.6): the spread estimated is
    near the lifts' variance (0.36), not the floor, and each series keeps its own lift."""
    eff, lifts = _learned({"s1": 0.4, "s2": 1.0, "s3": 1.6}, seed=0)
    assert eff.series_spread_[("sale", "d0")] > 0.1
    for sid, truth in {"s1": 0.4, "s2": 1.0, "s3": 1.6}.items():
        assert lifts[sid] == pytest.approx(truth, abs=0.1), sid


def test_series_spread_matches_a_hand_computed_dersimonian_laird_estimate() -> None:
    """Raw lifts 1.0, 1.2, 1.6 with variances 0.01, 0.02, 0.04: weights 100, 50, 25, weighted
    mean 200/175 = 8/7, Q = 100/49 + 50 (2/35)² + 25 (16/35)² = 52/7, C = 175 - 13125/175
    = 100, so tau² = (52/7 - 2) / 100 = 38/700."""
    sums = pd.DataFrame({"_wir": [1.0, 1.2, 1.6], "_wii": 1.0, "_wwiis": [0.01, 0.02, 0.04]},
                        index=pd.MultiIndex.from_tuples(
                            [("a", "sale", "d0"), ("b", "sale", "d0"), ("c", "sale", "d0")],
                            names=["series_id", "name", "key"]))
    eff = EventEffects()
    assert eff._series_spread(sums)[("sale", "d0")] == pytest.approx(38 / 700, rel=1e-12)
    # series that agree better than their noise: the floor; a name in one series: no figure
    flat = sums.assign(_wir=[1.0, 1.0, 1.01])
    assert eff._series_spread(flat)[("sale", "d0")] == _SERIES_SPREAD_FLOOR
    assert eff._series_spread(sums.iloc[:1]) == {}


def test_an_event_seen_once_keeps_each_series_offset_from_its_kind() -> None:
    """A shop's visits (the total and three channels) rise by 0.59 (x1.8) in a sale and its
    orders by 0.99 (conversion 3% -> 4.5%), in eight season sales and one Black Week of the
    same kind. The four visit series agree, so the spread between series read from their raw
    lifts was near the floor, and the orders' one Black Week was shrunk towards the visits'
    lift: 0.712 over d0-d4 (truth 0.99), a channel's visits 0.632 (truth 0.59). A series' lift
    of a name is now expected at the name's lift plus the series' offset from its kind on the
    kind's other names (the season sales): orders 0.959, visits 0.568 .. 0.605."""
    rng = np.random.default_rng(3)
    ds = pd.date_range("2023-01-01", periods=700, freq="D")
    starts = [ds[30 + 75 * k] for k in range(9)]
    names = ["Season sale"] * 8 + ["Black Week"]
    lifts = {"total": 0.59, "channel=a": 0.59, "channel=b": 0.59, "channel=c": 0.59,
             "orders:total": 0.99}
    noise = {"total": 0.03, "channel=a": 0.04, "channel=b": 0.05, "channel=c": 0.06,
             "orders:total": 0.15}
    frames = []
    for sid, lift in lifts.items():
        y = np.log(1500.0) + noise[sid] * rng.standard_normal(len(ds))
        for start in starts:
            at = ds.get_loc(start)
            y[at:at + 7] += lift
        frames.append(pd.DataFrame({"series_id": sid, "ds": ds, "y": np.exp(y)}))
    cal = normalize_calendar(pd.DataFrame({
        "name": names, "start": starts, "end": [s + pd.Timedelta(days=6) for s in starts],
        "kind": "sale"}))
    eff = EventEffects().fit(prepare_panel(pd.concat(frames, ignore_index=True), "log1p"), cal)
    for sid, truth in lifts.items():
        got = np.mean([eff.effect(sid, "Black Week", "sale", f"d{d}", 1.0)[0]
                       for d in range(5)])
        assert got == pytest.approx(truth, abs=0.04), sid
