"""Synthetic check: the big annual sale's peak, forecast 30 days ahead, on the generated world."""

from __future__ import annotations

import pandas as pd
import pytest

from features._synthetic import generate_world
from features._traffic import traffic_series
from training._forecast_gbm import LightGBMForecaster


@pytest.mark.parametrize("seed", [0, 1])
def test_double_11_peak_within_10pct_and_1_day_from_30_days_before(seed: int) -> None:
    world = generate_world(n_users=20_000, n_days=730, seed=seed)
    series = traffic_series(world.events, "D", metrics=("visits",), by_channel=False)
    sale = world.calendar[world.calendar["name"] == "Double 11"]["start"].max()
    origin = sale - pd.Timedelta(days=30)
    model = LightGBMForecaster().fit(series[series["ds"] < origin], world.calendar)
    fc = model.predict(45).merge(series, on=["series_id", "ds"])
    near = (fc["ds"] - sale).abs() <= pd.Timedelta(days=14)
    window = fc[near]
    f_peak = window.loc[window["p50"].idxmax()]
    a_peak = window.loc[window["y"].idxmax()]
    assert a_peak["ds"] == sale
    assert abs((f_peak["ds"] - a_peak["ds"]).days) <= 1
    assert abs(f_peak["p50"] - a_peak["y"]) / a_peak["y"] <= 0.10
