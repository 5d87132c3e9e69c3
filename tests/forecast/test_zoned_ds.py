"""A ``ds`` with a time zone through the forecasters' Python interface: modelled on the local
wall clock (as ``brain forecast --tz`` reads a file), forecasts given back in the zone."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest

from features._calendar import normalize_calendar
from training._forecast_mlflow import log_model
from training._forecast_models import make_forecaster
from training._forecast_panel import prepare_panel
from training._forecast_peaks import forecast_with_peaks

from .conftest import FAST_GBM, make_series

ZONE = "Europe/Berlin"


def _shop(start: str, end: str, zone: str | None = ZONE, seed: int = 0) -> pd.DataFrame:
    """Hourly visits of a shop open 09:00-19:59 on the local clock (Saturday busier, Sunday
    quiet), Poisson counts; with ``zone`` ``ds`` carries it (absolute hours, the autumn hour
    twice), else ``ds`` is the naive local time with the repeated hour averaged, as ``--tz``
    reads a file."""
    rng = np.random.default_rng(seed)
    utc = pd.date_range(start, end, freq="h", tz="UTC", inclusive="left")
    local = utc.tz_convert(ZONE)
    hour = local.hour.to_numpy()
    week = np.array([1.0, 1.0, 1.0, 1.0, 1.1, 1.4, 0.3])[local.day_of_week]
    mu = np.where((hour >= 9) & (hour < 20), 60.0, 1.0) * week
    frame = pd.DataFrame({"series_id": "shop", "ds": local, "y": rng.poisson(mu).astype(float)})
    if zone is None:
        frame = frame.assign(ds=local.tz_localize(None))
        frame = frame.groupby(["series_id", "ds"], as_index=False)["y"].mean()
    return frame


def _local_hour_of_jump(p: pd.DataFrame) -> set[int]:
    """The local hours where the forecast P50 steps up more than tenfold."""
    p50 = p["p50"].to_numpy()
    up = np.flatnonzero(p50[1:] > 10 * np.maximum(p50[:-1], 0.5)) + 1
    return {int(pd.Timestamp(p["ds"].iloc[i]).hour) for i in up}


def test_seasonal_naive_reads_last_week_on_the_local_clock_after_the_spring_change() -> None:
    """The week after 2024-03-31: 168 absolute hours back is an hour off on the clock, so the
    shop had been forecast to open at 10:00 (the seasonal naive repeated the week before
    the change shifted by an hour). On the local clock it opens at 09:00, in its zone."""
    shop = _shop("2024-02-01", "2024-04-01")  # ends at 2024-04-01 02:00 local
    p = make_forecaster("seasonal_naive").fit(shop).predict(120)
    assert str(p["ds"].dt.tz) == ZONE
    assert p["ds"].iloc[0] == shop["ds"].iloc[-1] + pd.Timedelta(hours=1)
    assert _local_hour_of_jump(p) == {9}


def test_lightgbm_answers_in_the_series_zone_with_hours_on_the_local_clock() -> None:
    """Before 2026-12-06 the LightGBM forecaster answered a zoned ``ds`` in naive UTC times
    ('2024-10-25 22:00' for a local midnight at +02:00) with a numpy warning, its lags an
    hour off for the weeks after a change."""
    shop = _shop("2024-09-01", "2024-10-26 22:00")  # ends at 2024-10-26 23:00 local
    p = make_forecaster("lightgbm", **FAST_GBM).fit(shop).predict(72)
    assert str(p["ds"].dt.tz) == ZONE
    first = pd.Timestamp("2024-10-27 00:00", tz=ZONE)
    assert p["ds"].iloc[0] == first
    # 72 local hours across the autumn change: 73 rows, 02:00 twice (+02:00, then +01:00)
    assert len(p) == 73
    assert p["ds"].is_monotonic_increasing
    assert p["ds"].is_unique
    twice = p[p["ds"].dt.tz_localize(None) == pd.Timestamp("2024-10-27 02:00")]
    assert [t.utcoffset() for t in twice["ds"]] == [pd.Timedelta(hours=2), pd.Timedelta(hours=1)]
    assert twice["p50"].nunique() == 1
    assert _local_hour_of_jump(p) == {9}


def test_a_zoned_series_is_forecast_as_the_same_series_read_with_tz() -> None:
    """One rule: a zoned ``ds`` gives the forecast of the same shop as naive local times
    with the repeated hour averaged (what ``brain forecast --tz`` reads), in its zone; the
    hour the clocks skip has no row (a horizon counts local hours: 168 across the spring
    change gives 167 rows) and nothing crashes on it."""
    zoned = _shop("2024-01-08", "2024-03-25")
    naive = _shop("2024-01-08", "2024-03-25", zone=None)
    for name, params in (("seasonal_naive", {}), ("seasonal_naive_events", {}),
                         ("lightgbm", FAST_GBM)):
        got = make_forecaster(name, **params).fit(zoned).predict(168)
        want = make_forecaster(name, **params).fit(naive).predict(168)
        skipped = want["ds"] == pd.Timestamp("2024-03-31 02:00")
        assert skipped.sum() == 1, name
        want = want[~skipped.to_numpy()].reset_index(drop=True)
        assert len(got) == 167, name
        pd.testing.assert_series_equal(got["ds"].dt.tz_localize(None).astype("datetime64[ns]"),
                                       want["ds"].astype("datetime64[ns]"), check_names=False)
        pd.testing.assert_frame_equal(got[["p10", "p50", "p90"]], want[["p10", "p50", "p90"]])


def test_the_repeated_autumn_hour_is_averaged_into_one_period_of_the_local_grid() -> None:
    """Two rows of a series at 02:00 on 2024-10-27 (+02:00 and +01:00), read on the local
    clock, are one period holding their mean, as ``--tz`` reads a file; rows at the same
    instant stay duplicates, and a naive series' grid is unchanged."""
    shop = _shop("2024-10-20", "2024-11-03").assign(promo=0.0)
    local = shop["ds"].dt.tz_localize(None)
    at = (local == pd.Timestamp("2024-10-27 02:00")).to_numpy()
    shop.loc[at, "y"] = [4.0, 6.0]
    shop.loc[at, "promo"] = [1.0, 0.0]
    panel = prepare_panel(shop, local=True)
    assert panel.tz == ZONE
    g = panel.series["shop"]
    assert g.ds.tz is None
    i = g.ds.get_loc(pd.Timestamp("2024-10-27 02:00"))
    assert g.y[i] == 5.0
    assert g.regressors["promo"][i] == 0.5
    assert len(g.ds) == len(pd.date_range(local.min(), local.max(), freq="h"))
    with pytest.raises(ValueError, match="duplicate"):
        prepare_panel(pd.concat([shop, shop.iloc[[5]]]), local=True)
    naive = _shop("2024-10-20", "2024-11-03", zone=None)
    plain = prepare_panel(naive)
    again = prepare_panel(naive, local=True)
    assert again.tz is None
    np.testing.assert_array_equal(again.series["shop"].y, plain.series["shop"].y)


def test_switching_offsets_without_a_zone_are_an_error_naming_the_fix() -> None:
    """Text with +01:00 and +02:00 names no zone: the message says how to give one (pandas
    had raised 'Mixed timezones detected' with a fix for its own call)."""
    shop = _shop("2024-03-29", "2024-04-02")
    text = shop.assign(ds=shop["ds"].map(lambda t: t.isoformat()))
    with pytest.raises(ValueError, match=r"'ds' mixes UTC offsets.*tz_convert\('Europe/Berlin'\)"):
        make_forecaster("seasonal_naive").fit(text)


def test_calendar_times_with_a_zone_are_read_in_the_series_zone() -> None:
    """A calendar's zoned times: a local midnight written in UTC ('2024-03-04T23:00Z', Berlin's
    5 March) is the local day it falls on for a zoned series, as a naive '2024-03-05' is;
    ``normalize_calendar`` reads a zoned time as the day written (it had stopped with a
    TypeError on a zoned column, or 'Mixed timezones detected' on mixed offsets)."""
    shop = _shop("2024-01-01", "2024-03-25")
    mu = shop["ds"].dt.date.astype(str).isin(["2024-02-06", "2024-03-05"]).to_numpy()
    shop.loc[mu, "y"] *= 3
    naive_cal = pd.DataFrame({"name": ["sale", "sale"], "start": ["2024-02-06", "2024-03-05"]})
    utc_cal = naive_cal.assign(start=["2024-02-05T23:00:00Z", "2024-03-04T23:00:00Z"])
    zoned_cal = naive_cal.assign(start=pd.to_datetime(naive_cal["start"]).dt.tz_localize(ZONE))
    future = pd.DataFrame({"name": ["sale"], "start": ["2024-03-26"]})
    want = make_forecaster("seasonal_naive_events").fit(shop, naive_cal).predict(72, future)
    for cal in (utc_cal, zoned_cal):
        got = make_forecaster("seasonal_naive_events").fit(shop, cal).predict(72, future)
        pd.testing.assert_frame_equal(got, want)
    mixed = pd.DataFrame({"name": ["a", "b"], "start": ["2024-05-15T00:00:00+02:00",
                                                        "2024-12-01T00:00:00+01:00"]})
    assert normalize_calendar(mixed)["start"].tolist() == [pd.Timestamp("2024-05-15"),
                                                           pd.Timestamp("2024-12-01")]
    assert normalize_calendar(zoned_cal)["start"].tolist() == [pd.Timestamp("2024-02-06"),
                                                               pd.Timestamp("2024-03-05")]


def test_zoned_known_in_advance_rows_are_read_on_the_models_local_clock() -> None:
    """``future_regressors`` with a zoned ``ds`` match the zoned model's periods (they had
    matched none: 'lack a value')."""
    shop = _shop("2024-09-02", "2024-10-25 22:00").assign(promo=0.0)
    model = make_forecaster("lightgbm", **FAST_GBM).fit(shop)
    ds = pd.date_range("2024-10-26 00:00", periods=60, freq="h", tz=ZONE)
    plan = pd.DataFrame({"series_id": "shop", "ds": ds, "promo": 0.0})
    got = model.predict(48, future_regressors=plan)
    naive = plan.assign(ds=ds.tz_localize(None)).drop_duplicates(["series_id", "ds"])
    want = model.predict(48, future_regressors=naive)
    pd.testing.assert_frame_equal(got, want)
    assert got["ds"].iloc[0] == ds[0]
    assert len(got) == 49


def test_prophet_fits_a_zoned_series_and_answers_in_its_zone() -> None:
    """Prophet refuses a zoned ``ds`` ('Column ds has timezone specified'); it is given the
    local clock and answers in the zone."""
    shop = _shop("2024-03-11", "2024-03-30")
    p = make_forecaster("prophet", uncertainty_samples=20).fit(shop).predict(48)
    assert str(p["ds"].dt.tz) == ZONE
    assert len(p) == 47  # 02:00 on 2024-03-31 does not exist
    assert p["ds"].iloc[0] == shop["ds"].iloc[-1] + pd.Timedelta(hours=1)


@pytest.mark.parametrize("name", ["lightgbm", "seasonal_naive_events"])
def test_forecasts_without_events_read_calendar_times_in_the_series_zone(name: str) -> None:
    """``predict_without`` reads a planned sale written as the UTC time of a Berlin midnight
    ('2025-01-09T23:00:00Z', 10 January) as ``predict`` does (it had read 9 January, the day
    written), its rows being positions in the calendar as the model reads it; and the peak
    table of a zoned series is that of the same series as naive local days, its times in the
    zone (it had stopped with 'Invalid comparison between dtype=datetime64[ns] and
    Timestamp')."""
    naive, cal = make_series()
    zoned = naive.assign(ds=naive["ds"].dt.tz_localize(ZONE))
    params = FAST_GBM if name == "lightgbm" else {}
    model = make_forecaster(name, **params).fit(zoned, cal)
    plan = pd.DataFrame({"name": ["Big sale", "Promo"],
                         "start": ["2025-01-09T23:00:00Z", "2025-01-10"],
                         "end": ["2025-01-09T23:00:00Z", "2025-01-11"],
                         "kind": ["sale", "promotion"], "intensity": [0.5, 1.0]})
    plain = plan.assign(start=["2025-01-10", "2025-01-10"], end=["2025-01-10", "2025-01-11"])
    read = normalize_calendar(plain)  # the calendar as the model reads it
    promo = int(np.flatnonzero(read["name"] == "Promo")[0])
    got = model.predict_without(20, plan, [([], None), ([promo], None)])
    pd.testing.assert_frame_equal(got[0], model.predict(20, plan))
    pd.testing.assert_frame_equal(got[1], model.predict(20, plain.iloc[[0]]))
    pd.testing.assert_frame_equal(model._read_calendar(plan), read)
    peaks = forecast_with_peaks(model, 20, plan).peaks
    local = make_forecaster(name, **params).fit(naive, cal)
    want = forecast_with_peaks(local, 20, plain).peaks
    assert str(peaks["peak_ds"].dt.tz) == ZONE
    for col in ("start", "end", "peak_ds"):
        want[col] = want[col].dt.tz_localize(ZONE)
    pd.testing.assert_frame_equal(peaks, want)
    assert "Big sale" in set(peaks["window"])


def test_a_model_of_a_zoned_ds_logs_to_mlflow_and_its_pyfunc_answers_in_the_zone() -> None:
    """``log_model`` had stopped with a TypeError ('Cannot use .astype to convert from
    timezone-aware dtype to timezone-naive dtype') on a forecaster fitted on a zoned ``ds``."""
    shop = _shop("2024-09-01", "2024-10-26 22:00")
    model = make_forecaster("lightgbm", **FAST_GBM).fit(shop)
    mlflow.set_experiment("zoned-ds")
    with mlflow.start_run():
        info = log_model(model)
    got = mlflow.pyfunc.load_model(info.model_uri).predict(
        pd.DataFrame({"name": ["Sale"], "start": ["2024-10-28"], "end": ["2024-10-28"],
                      "kind": ["promotion"], "channel": [""], "intensity": [1.0]}),
        params={"horizon": 48})
    assert str(got["ds"].dt.tz) == ZONE
    assert len(got) == 49  # 48 local hours from 00:00 on the change day, the repeated one twice


def test_a_daily_series_in_a_zone_whose_clocks_skip_midnight_is_a_daily_grid() -> None:
    """America/Santiago moves its clocks from 00:00 to 01:00 (2023-09-03, 2024-09-08): that
    day's period starts at 01:00. The daily series had stopped with 'periods must be daily
    or hourly; the smallest gap between rows is 23 hours'; now it is read as days and that
    day is answered at its first time."""
    zone = "America/Santiago"
    ds = pd.date_range("2023-01-01", "2024-08-31", freq="D", tz=zone, nonexistent="shift_forward")
    assert (ds.hour == 1).sum() == 1
    rng = np.random.default_rng(0)
    week = np.array([1.0, 1.0, 1.0, 1.0, 1.2, 1.5, 0.5])[ds.day_of_week]
    shop = pd.DataFrame({"series_id": "shop", "ds": ds, "y": rng.poisson(100 * week) * 1.0})
    for name in ("seasonal_naive", "lightgbm"):
        model = make_forecaster(name, **(FAST_GBM if name == "lightgbm" else {})).fit(shop)
        assert model.panel_.freq == "D"
        p = model.predict(14)
        assert str(p["ds"].dt.tz) == zone
        assert len(p) == 14
        assert p["ds"].iloc[7] == pd.Timestamp("2024-09-08 01:00", tz=zone)
        assert (p["ds"].dt.hour.drop(7) == 0).all()
