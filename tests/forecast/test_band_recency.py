"""The conformal quantiles weigh the calibration examples by their recency
(``training._forecast_conformal._recency_weights``, Barber et al. 2023)."""

from __future__ import annotations

import numpy as np
import pytest

from training._forecast_conformal import _RECENCY_HALF_LIFE_DAYS, _conformal_quantile
from training._forecast_gbm import LightGBMForecaster


def test_a_noisy_quarter_a_year_ago_no_longer_sizes_the_band() -> None:
    """A year of calibration examples whose oldest quarter needed a wide band (0.5 on the
    log scale) and the rest a narrow one (0.1): weighed alike, the quarter is over a fifth
    of the scores and sets the 80% quantile; weighed by recency it is under a sixth."""
    model = LightGBMForecaster()
    model.spd_ = 1
    model.conformal_ = np.zeros(2)
    rng = np.random.default_rng(0)
    end = 1_000
    tau = np.sort(rng.integers(end - 365, end, 2_000))
    h = 1 + rng.integers(0, 7, len(tau))  # one horizon band
    old = end - tau > 270
    score = np.where(old, 0.5, 0.1) + rng.normal(0, 0.01, len(tau))
    w = model._recency_weights(np.array(["s"] * len(tau)), tau, {"s": end})
    assert np.isclose(np.quantile(score, 0.8), 0.5, atol=0.05)  # alike: the old quarter's
    assert model._conformal_by_horizon(h, score)[0] == pytest.approx(0.5, abs=0.05)
    assert model._conformal_by_horizon(h, score, w)[0] == pytest.approx(0.1, abs=0.05)
    # the weights halve every half-life of the target's age
    assert w[tau == end - 1].max() == pytest.approx(0.5 ** (1 / _RECENCY_HALF_LIFE_DAYS))
    sel = tau == end - 181
    if sel.any():
        assert w[sel][0] == pytest.approx(0.5 ** (181 / _RECENCY_HALF_LIFE_DAYS))


def test_the_weighted_quantile_counts_the_forecast_period_at_infinity() -> None:
    """Equal weights give the split-conformal rank ceil((n + 1) 0.8): 9 scores -> the 8th."""
    score = np.arange(1.0, 10.0)
    assert _conformal_quantile(score, weights=np.ones(9)) == 8.0
    # with 3 scores no score reaches 80% of the weight (3 of 4): the largest is used
    assert _conformal_quantile(np.array([1.0, 2.0, 3.0]), weights=np.ones(3)) == 3.0
    # a score weighing nothing is not counted
    assert _conformal_quantile(np.array([5.0, 1.0, 2.0, 3.0, 4.0]),
                               weights=np.array([0.0, 1, 1, 1, 1])) == 4.0


def test_a_series_at_zero_through_the_calibration_span_is_forecast_not_a_crash() -> None:
    """Every calibration example a closed day (the series at 0 for its last 420 days): none
    is scored, and the band needs no widening. fit had raised IndexError (weighted quantile)
    or ValueError (unweighted) on the empty scores."""
    import pandas as pd

    assert _conformal_quantile(np.zeros(0)) == 0.0
    assert _conformal_quantile(np.zeros(0), weights=np.zeros(0)) == 0.0
    rng = np.random.default_rng(0)
    ds = pd.date_range("2021-01-01", periods=1_100, freq="D")
    y = rng.poisson(50, len(ds)).astype(float)
    y[-420:] = 0
    model = LightGBMForecaster(n_estimators=30)
    model.fit(pd.DataFrame({"series_id": "s", "ds": ds, "y": y}))
    out = model.predict(horizon=14)
    assert len(out) == 14
    assert (out["p50"] == 0).all()
