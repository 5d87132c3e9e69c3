"""A weekday a store has been closed on in all its recent weeks (rows with y = 0 every
Sunday) is forecast at exactly 0, unless a planned event opens it of a kind the store was
open on before (a Sunday shopping event). Sundays had been forecast at 0.01-0.08 (P50) and
about 1 (P90): sMAPE counted each as 200% (on a generated store panel 25.5% -> 10.0%)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training._forecast_base import SeriesGrid
from training._forecast_gbm import LightGBMForecaster

SHOPPING = pd.to_datetime(["2024-05-05", "2024-10-06", "2025-05-04"])  # Sundays, store_1 open
HORIZON = 28


def _stores(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", "2025-04-30", freq="D")
    frames = []
    for k, level in enumerate((3000.0, 5000.0)):
        y = level * (1.1 - 0.05 * days.day_of_week.to_numpy()) * np.exp(
            rng.normal(0, 0.06, len(days)))
        y = np.where(days.day_of_week == 6, 0.0, np.round(y))
        frames.append(pd.DataFrame({"series_id": f"store_{k + 1}", "ds": days, "y": y}))
    panel = pd.concat(frames, ignore_index=True)
    opened = (panel["series_id"] == "store_1") & panel["ds"].isin(SHOPPING)
    panel.loc[opened, "y"] = 4000.0
    cal = pd.DataFrame({"name": "Verkaufsoffener Sonntag", "start": SHOPPING, "end": SHOPPING,
                        "kind": "sunday_shopping", "channel": "store_1"})
    return panel, cal


def test_closed_sundays_are_exactly_0_and_a_sunday_shopping_event_keeps_its_forecast() -> None:
    panel, cal = _stores()
    model = LightGBMForecaster(max_horizon_days=HORIZON).fit(panel, cal[cal["start"] < "2025-05"])
    fc = model.predict(HORIZON, cal)
    sun = fc[fc["ds"].dt.day_of_week == 6]
    shop = (sun["series_id"] == "store_1") & sun["ds"].isin(SHOPPING)
    closed = sun[~shop]
    assert len(closed) == 7  # 4 Sundays of store_2, 3 of store_1
    assert (closed[["p10", "p50", "p90"]].to_numpy() == 0.0).all()
    (opened,) = sun[shop].itertuples()
    assert opened.p50 > 2000  # open as on its earlier shopping Sundays
    # the same event on store_2, which never opened on one: closed as every Sunday
    other = model.predict(HORIZON, cal.assign(channel="store_2"))
    sun2 = other[(other["series_id"] == "store_2") & other["ds"].isin(SHOPPING)]
    assert (sun2[["p10", "p50", "p90"]].to_numpy() == 0.0).all()
    # open days keep their forecast
    assert (fc.loc[fc["ds"].dt.day_of_week != 6, "p50"] > 1000).all()


def test_a_sparse_count_series_and_a_weekday_open_lately_are_not_closed() -> None:
    from training._forecast_closed_phases import closed_phases

    days = pd.date_range("2025-01-06", periods=69, freq="D")  # Monday .. Saturday
    rng = np.random.default_rng(1)
    y = rng.poisson(0.3, len(days)).astype(float)
    y[days.day_of_week == 2] = 0.0  # Wednesdays 0 by chance
    assert len(closed_phases(SeriesGrid("orders", days, y), 1)) == 0  # sparse: left alone
    y = np.where(days.day_of_week == 6, 0.0, 100.0)
    assert list(closed_phases(SeriesGrid("store", days, y), 1)) == [6]
    y[days == pd.Timestamp("2025-03-02")] = 80.0  # a Sunday open in the last 8 weeks
    assert len(closed_phases(SeriesGrid("store", days, y), 1)) == 0
    # that Sunday was an event's (a shopping Sunday): Sundays are still closed
    event = pd.DatetimeIndex(["2025-03-02"])
    assert list(closed_phases(SeriesGrid("store", days, y), 1, event)) == [6]
