"""The final model's band is as wide as the band the calibration fit was calibrated on.

Split-conformal widening is measured on the calibration fit's band; the final model (refit on
the whole history) had a narrower raw band on the same examples, and the added widening alone
left it too narrow (hourly demand with AR(1) noise: 70% inside the 80% band)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import training._forecast_conformal as conformal
from training._forecast_gbm import LightGBMForecaster


def _wandering_hourly(seed: int, days: int = 700) -> pd.DataFrame:
    """Hourly demand-like series: daily and weekly shape, a winter peak, AR(1) noise across
    hours (a level that wanders for about a day) and independent noise."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-12-01", periods=days * 24, freq="h")
    hour, dow = ds.hour.to_numpy(), ds.day_of_week.to_numpy()
    shape = (0.75 + 0.25 * np.exp(-((hour - 11) / 3.5) ** 2)
             + 0.3 * np.exp(-((hour - 19) / 2.5) ** 2))
    week = np.where(dow == 6, 0.72, np.where(dow == 5, 0.84, 1.0))
    season = 1 + 0.18 * np.cos(2 * np.pi * (ds.day_of_year.to_numpy() - 15) / 365.25)
    frames = []
    for sid, base in (("north", 5200.0), ("west", 4300.0)):
        eps = rng.normal(0, 0.0075, len(ds))
        ar = np.zeros(len(ds))
        for t in range(1, len(ds)):
            ar[t] = 0.95 * ar[t - 1] + eps[t]
        y = base * shape * week * season * np.exp(ar + rng.normal(0, 0.02, len(ds)))
        frames.append(pd.DataFrame({"series_id": sid, "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


def _weights(model: LightGBMForecaster,
             calib: pd.DataFrame | dict[str, np.ndarray]) -> np.ndarray:
    """The recency weights the fit gave the calibration examples."""
    sid, tau = (np.asarray(calib[c]) for c in (("__sid", "__tau") if isinstance(
        calib, pd.DataFrame) else ("sid", "tau")))
    return model._recency_weights(sid, tau, {s: len(c.z) for s, c in model.ctx_.items()})


@pytest.mark.slow
def test_the_refit_models_band_is_no_narrower_than_the_calibrated_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}
    score_of = conformal.ConformalBands._calibration_scores

    def keep(self: conformal.ConformalBands, calib: pd.DataFrame, q: np.ndarray,
             lifts: dict) -> np.ndarray:
        score = score_of(self, calib, q, lifts)
        seen.update(calib=calib, q=q, score=score)
        return score

    monkeypatch.setattr(conformal.ConformalBands, "_calibration_scores", keep)
    model = LightGBMForecaster(max_horizon_days=14).fit(_wandering_hourly(0))
    calib, q, score = seen["calib"], seen["q"], seen["score"]
    assert isinstance(calib, pd.DataFrame)
    assert isinstance(q, np.ndarray)
    assert isinstance(score, np.ndarray)
    h = calib["h"].to_numpy()
    band = model._horizon_band(h)
    calibrated = model._conformal_by_horizon(h, score, _weights(model, calib))
    final = model._raw_quantiles(model.models_, model.shock_, calib)
    for b in np.unique(band):
        sel = band == b
        # the half-width the calibration fit's band was calibrated to hold 80% with ...
        wanted = np.mean(q[sel, 2] - q[sel, 0]) / 2 + calibrated[b]
        # ... and the refit model's on the same examples, with the adjustment it applies
        has = np.mean(final[sel, 2] - final[sel, 0]) / 2 + model.conformal_h_[b]
        assert has >= wanted - 1e-9, (b, has, wanted)


def test_a_daily_models_band_keeps_the_calibrated_adjustment_alone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Daily series already held more than 80% (Peyton Manning 87.3%, the stores benchmark
    84.0%), and the refit's gap widened them towards 88%: the gap is added for sub-daily
    series only."""
    seen: dict[str, np.ndarray] = {}
    score_of = conformal.ConformalBands._calibration_scores

    def keep(self: conformal.ConformalBands, calib: pd.DataFrame, q: np.ndarray,
             lifts: dict) -> np.ndarray:
        score = score_of(self, calib, q, lifts)
        seen.update(h=calib["h"].to_numpy(), score=score, sid=calib["__sid"].to_numpy(),
                    tau=calib["__tau"].to_numpy())
        return score

    monkeypatch.setattr(conformal.ConformalBands, "_calibration_scores", keep)
    hourly = _wandering_hourly(1, days=500)
    daily = (hourly.assign(ds=hourly["ds"].dt.normalize())
             .groupby(["series_id", "ds"], as_index=False)["y"].sum())
    model = LightGBMForecaster(max_horizon_days=14).fit(daily)
    np.testing.assert_array_equal(model.conformal_h_,
                                  model._conformal_by_horizon(seen["h"], seen["score"],
                                                              _weights(model, seen)))
