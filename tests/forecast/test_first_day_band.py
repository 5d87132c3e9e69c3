"""An hourly forecast's first hours get a band of their own.

The conformal adjustment was one per horizon band of 7 days or more, so an hourly forecast's
first week was one band: its first hours, whose errors are a fraction of the week's, were
widened as much as its last (on generated hourly load the 80% band held 85-91% of hours 1-3).
Sub-daily series now have two more bands, the first 3 periods and the rest of the first day,
calibrated on examples of those horizons of their own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training._forecast_conformal import _H_EDGES
from training._forecast_gbm import LightGBMForecaster

from .test_short_memory_hourly import _demand


def test_first_hours_band_is_narrower_than_the_weeks() -> None:
    hist, _ = _demand(3, weeks=30)
    model = LightGBMForecaster(n_estimators=60, calibration_days=28, max_rows=8_000)
    model.fit(hist)
    fc = model.predict(168)
    half = np.log(fc["p90"] / fc["p10"]).to_numpy() / 2
    # AR(1) noise, phi 0.97, steps 0.02: the true 80% half-width is 0.026-0.043 at hours 1-3,
    # 0.104 past a day; the band had been 0.09-0.14 at every hour (one adjustment for the week)
    assert half[:3].mean() < 0.75 * half[24:].mean(), (half[:3], half[24:].mean())
    np.testing.assert_array_equal(model._horizon_band(np.array([1, 3, 4, 24, 25, 168, 169])),
                                  [0, 0, 1, 1, 2, 2, 3])
    assert model.conformal_h_.shape == (len(_H_EDGES) + 3,)


def test_a_model_saved_before_the_first_days_bands_reads_the_days_bands() -> None:
    hist, _ = _demand(4, weeks=12)
    model = LightGBMForecaster(n_estimators=30, calibration_days=28, max_rows=4_000)
    model.fit(hist)
    del model.conformal_edges_
    model.conformal_h_ = model.conformal_h_[2:]  # as saved then: one per days' band
    np.testing.assert_array_equal(model._horizon_band(np.array([1, 168, 169, 336, 337])),
                                  [0, 0, 1, 1, 2])
    fc = model.predict(48)
    assert np.isfinite(fc[["p10", "p50", "p90"]].to_numpy()).all()
    assert (fc["p10"] <= fc["p50"]).all()


def test_daily_series_keep_the_days_bands() -> None:
    rng = np.random.default_rng(0)
    ds = pd.date_range("2022-01-01", periods=500, freq="D")
    daily = pd.DataFrame({"series_id": "site", "ds": ds,
                          "y": 100 * np.exp(0.1 * np.sin(np.arange(500) * 2 * np.pi / 7)
                                            + rng.normal(0, 0.05, 500))})
    model = LightGBMForecaster(n_estimators=30).fit(daily)
    assert model.conformal_edges_ is None
    assert model.conformal_h_.shape == (len(_H_EDGES) + 1,)


def test_the_first_days_added_examples_score_the_horizon_bands_only(monkeypatch) -> None:
    """The examples added for the first day's bands (``_short_calibration``) had been a
    third of the scores behind the pooled, series, day-type and kind offsets too, moving
    them at every horizon: the pooled offset is the same as fitted without them."""
    hist, _ = _demand(3, weeks=30)

    def fit() -> LightGBMForecaster:
        return LightGBMForecaster(n_estimators=30, calibration_days=28,
                                  max_rows=4_000).fit(hist)

    model = fit()
    monkeypatch.setattr(LightGBMForecaster, "_short_calibration",
                        lambda self, calib, *args: calib)
    without = fit()
    assert without.conformal_h_.shape == model.conformal_h_.shape
    np.testing.assert_array_equal(model.conformal_, without.conformal_)
    # the first day's bands are read from them (the rest of the day's band alone here)
    assert model.conformal_h_[1] != without.conformal_h_[1]
