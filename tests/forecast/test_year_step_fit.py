"""A daily history of a year to a year and 4 weeks with a lasting step.

Its final model reads the dates (day of year, month, day of month) and its calibration fit,
under a year, does not; with a lasting step the refit's raw band is compared with the
calibration fit's on the calibration examples, which had been built without the dates:
``fit`` stopped with a LightGBM error (15 features against 21). ``brain forecast train``
met it on a store panel without its Sunday rows whose third fold had 367 days of history.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training._forecast_gbm import LightGBMForecaster


def test_a_year_of_history_with_a_lasting_step_fits_and_forecasts() -> None:
    rng = np.random.default_rng(0)
    ds = pd.date_range("2024-01-01", periods=370, freq="D")
    rows = []
    for s in range(2):
        level = (np.where(np.arange(370) >= 180, 0.88, 1.0) * 1000
                 * (1 + 0.2 * (ds.day_of_week < 5)))
        rows.append(pd.DataFrame({"series_id": f"s{s}", "ds": ds,
                                  "y": np.round(level * np.exp(rng.normal(0, 0.03, 370)))}))
    m = LightGBMForecaster(max_horizon_days=14, n_estimators=20).fit(pd.concat(rows))
    assert m.lasting_steps_  # the step the band's check reads
    assert m.date_features_  # the final model reads the dates
    fc = m.predict(14)
    assert len(fc) == 28
    assert (fc["p10"] <= fc["p50"]).all()
    assert (fc["p50"] <= fc["p90"]).all()
