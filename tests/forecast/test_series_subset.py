"""Forecasting some series of a panel gives those series' rows of a forecast of every series.

The API answers one series: it forecast all of them (twice, with and without events), 23-25 s a
request for one store of a 60-store ensemble. Each series' forecast reads only its own history,
events and known-in-advance values (LightGBM is a global model, but direct multi-horizon: its
features at the origin are the series' own), so the subset must be identical, for every model,
daily and hourly, with channel events, a background campaign and a known-in-advance column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training._forecast_gbm import LightGBMForecaster
from training._forecast_models import (
    EnsembleForecaster,
    EventNaiveForecaster,
    ProphetForecaster,
    SeasonalNaiveForecaster,
)
from training._forecast_peaks import forecast_with_peaks

SERIES = ("total", "channel=email", "channel=social", "channel=paid")


def _panel(freq: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """Four series with a weekly (and daily) cycle, a known-in-advance promo flag, a calendar
    with an every-series sale, e-mail pushes (channel events) and a month-long campaign that a
    future sale lies inside (the background baseline); the plan for the next ``horizon``."""
    rng = np.random.default_rng(5)
    hourly = freq == "h"
    n_days = 70 if hourly else 420
    ds = pd.date_range("2024-01-01", periods=n_days * (24 if hourly else 1), freq=freq)
    day = ds.normalize()
    horizon = 72 if hourly else 28
    future_ds = pd.date_range(ds[-1] + ds.freq, periods=horizon, freq=freq)
    sale = [day[len(day) // 3], day[2 * len(day) // 3], future_ds[len(future_ds) // 2].normalize()]
    pushes = pd.date_range(day[0] + pd.Timedelta(days=3), future_ds[-1], freq="10D")
    rows, plan = [], []
    for k, sid in enumerate(SERIES):
        level = 400.0 if sid == "total" else 60.0 + 30 * k
        weekly = np.array([1.0, 0.9, 0.95, 1.0, 1.1, 1.3, 1.2])[ds.day_of_week]
        daily = (1 + 0.6 * np.sin(2 * np.pi * ds.hour / 24)) if hourly else 1.0
        promo = ((day - day[0]).days % 14 < 3 + k).astype(float)
        mu = level * weekly * daily * (1 + 0.3 * promo)
        mu = np.where(day.isin(sale), mu * 2.0, mu)
        if sid in ("total", "channel=email"):
            mu = np.where(day.isin(pushes), mu * 1.5, mu)
        rows.append(pd.DataFrame({"series_id": sid, "ds": ds,
                                  "y": rng.poisson(mu).astype(float), "promo": promo}))
        fday = future_ds.normalize()
        plan.append(pd.DataFrame({"series_id": sid, "ds": future_ds,
                                  "promo": ((fday - day[0]).days % 14 < 3 + k).astype(float)}))
    cal = pd.concat([
        pd.DataFrame({"name": [f"Sale {d:%Y-%m-%d}" for d in sale], "start": sale, "end": sale,
                      "kind": "sale", "channel": None, "intensity": 0.5}),
        pd.DataFrame({"name": "E-mail push", "start": pushes, "end": pushes, "kind": "email",
                      "channel": "email", "intensity": 0.3}),
        pd.DataFrame({"name": ["Campaign"], "start": [sale[-1] - pd.Timedelta(days=12)],
                      "end": [sale[-1] + pd.Timedelta(days=20)], "kind": ["campaign"],
                      "channel": ["social"], "intensity": [0.3]}),
    ], ignore_index=True)
    return pd.concat(rows, ignore_index=True), cal, pd.concat(plan, ignore_index=True), horizon


def _models(freq: str) -> dict[str, object]:
    gbm = {"n_estimators": 40, "max_rows": 3000, "horizons_per_origin": 8,
           "max_horizon_days": 3 if freq == "h" else 28}
    return {
        "seasonal_naive": SeasonalNaiveForecaster(),
        "seasonal_naive_events": EventNaiveForecaster(),
        "lightgbm": LightGBMForecaster(**gbm),
        "prophet": ProphetForecaster(uncertainty_samples=40),
        "ensemble": EnsembleForecaster(members=(LightGBMForecaster(**gbm),
                                                ProphetForecaster(uncertainty_samples=40))),
    }


@pytest.mark.slow
@pytest.mark.parametrize("freq", ["D", "h"])
def test_one_series_is_forecast_alone_with_the_rows_of_a_full_forecast(freq: str) -> None:
    series, cal, plan, horizon = _panel(freq)
    for name, model in _models(freq).items():
        model.fit(series, cal)  # type: ignore[attr-defined]
        full = forecast_with_peaks(model, horizon, None, plan)  # type: ignore[arg-type]
        assert (full.peaks["window"] == "Campaign").any(), name  # the background path runs
        for sid in ("channel=email", "channel=social", "total"):
            asked: list[list[str]] = []
            original = model.predict  # type: ignore[attr-defined]

            def spy(*args: object, _orig=original, _seen=asked, **kw: object) -> pd.DataFrame:
                out = _orig(*args, **kw)
                _seen.append(sorted(set(out["series_id"])))
                return out

            model.predict = spy  # type: ignore[attr-defined]
            try:
                one = forecast_with_peaks(model, horizon, None,  # type: ignore[arg-type]
                                          plan[plan["series_id"] == sid], series=[sid])
            finally:
                del model.predict  # type: ignore[attr-defined]
            # every forecast made for the answer is of the asked series only
            assert asked, (name, sid)
            assert all(s == [sid] for s in asked), (name, sid, asked)
            for part in ("forecast", "baseline", "peaks"):
                want = getattr(full, part)
                want = want[want["series_id"] == sid].reset_index(drop=True)
                got = getattr(one, part).reset_index(drop=True)
                pd.testing.assert_frame_equal(got, want, check_exact=True,
                                              obj=f"{name} {freq} {sid} {part}")


def test_unknown_series_are_named() -> None:
    series, cal, _, _ = _panel("D")
    model = SeasonalNaiveForecaster().fit(series[["series_id", "ds", "y"]], cal)
    with pytest.raises(ValueError, match="store_9"):
        model.predict(7, series=["store_9"])
    with pytest.raises(ValueError, match="series is empty"):
        model.predict(7, series=[])
    assert set(model.predict(7, series=["total"])["series_id"]) == {"total"}


def test_an_unknown_series_is_answered_with_the_one_it_most_likely_meant() -> None:
    """The API listed a chain's first 20 ids in sort order (all 'orders:...') for 'Store_07',
    without a suggestion; now the likeliest id (case, unpadded numbers, spelling) and the
    model's series, the sums over every channel first."""
    from training._forecast_ids import unknown_series_text

    own = ["orders:store_07", "orders:store_57", "orders:total", "store_07", "store_57",
           "total"]
    text = unknown_series_text(["Store_7"], own, "unknown series_id")
    assert text.startswith("unknown series_id 'Store_7' (did you mean 'store_07'?); this model "
                           "forecasts 6 series: 'total', 'orders:total', ")
    assert unknown_series_text(["mars"], own) == (
        "'mars' is not a series of this model; it forecasts 6 series: 'total', 'orders:total', "
        "'orders:store_07', 'orders:store_57', 'store_07', 'store_57'")
    many = unknown_series_text(["x"], [f"store_{k}" for k in range(12)])
    assert many.endswith("'store_7' (+4 more)")
