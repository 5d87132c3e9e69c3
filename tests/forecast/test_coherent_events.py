"""A total answered from its channels (``training._forecast_coherent``) on days with events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features._calendar import normalize_calendar
from training._forecast_gbm import LightGBMForecaster

from .test_spend_response import _lever, assert_total_band_moves_with_p50

_NONE = normalize_calendar(None)
_FAST = {"n_estimators": 80, "max_rows": 9000, "horizons_per_origin": 8,
         "max_horizon_days": 28}
_HISTORY = pd.date_range("2024-01-01", "2025-10-31", freq="D")
_DAYS = pd.date_range("2025-11-01", periods=28, freq="D")


def _calendar(days: pd.DatetimeIndex) -> pd.DataFrame:
    """E-mail newsletters every other Tuesday (channel ``email``) and a site-wide payday
    promotion on the 25th, over ``days``."""
    tue = days[days.day_of_week == 1][::2]
    paydays = days[days.day == 25]
    return normalize_calendar(pd.DataFrame({
        "name": ["Newsletter"] * len(tue) + ["Payday promo"] * len(paydays),
        "start": [*tue, *paydays], "end": [*tue, *paydays],
        "kind": ["newsletter"] * len(tue) + ["promotion"] * len(paydays),
        "channel": ["email"] * len(tue) + [None] * len(paydays),
        "intensity": [0.05] * len(tue) + [0.1] * len(paydays)}))


def _world(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The lever world in small of ``test_spend_response._lever`` (paid search, e-mail,
    organic and their total) over ``_HISTORY``. A newsletter triples e-mail's visits and no
    other channel's (so it lifts the total by e-mail's share only); the payday promotion lifts
    every channel x1.3.
    Returns the history (with what each series' spend summed in its attrs), its calendar and
    the spend file."""
    cal = _calendar(_HISTORY)
    letter = _HISTORY.isin(cal.loc[cal["kind"] == "newsletter", "start"])
    series, spend_file = _lever(seed, days=_HISTORY, common=np.where(_HISTORY.day == 25, 1.3, 1.0),
                                own={"email": np.where(letter, 3.0, 1.0)})
    return series, cal, spend_file


@pytest.fixture(scope="module")
def lettered() -> tuple[LightGBMForecaster, pd.DataFrame]:
    from features._spend_series import SOURCES_ATTR

    series, cal, spend_file = _world(5)
    model = LightGBMForecaster(**_FAST).fit(series, cal)
    model.column_sources_ = series.attrs[SOURCES_ATTR]  # type: ignore[attr-defined]
    return model, spend_file


def _plan(model: LightGBMForecaster, spend_file: pd.DataFrame, paid: float = 1.0,
          at_reference: bool = False) -> pd.DataFrame:
    """Every series' ``future`` rows for the 28 days: each channel's mean spend of its last
    28 days (paid search's x ``paid``), or, ``at_reference``, each series' own reference."""
    from features._spend_series import spend_plan
    from training._forecast_coherent import reference_value

    usual = spend_file[spend_file["date"] > _HISTORY[-1] - pd.Timedelta(days=28)].groupby(
        "channel")["spend"].mean().round(2)
    plan = pd.DataFrame([(d, c, v * (paid if c == "paid_search" else 1.0)) for d in _DAYS
                         for c, v in usual.items()], columns=["date", "channel", "spend"])
    sids = [str(s) for s in model.panel_.series]
    rows = spend_plan(sids, dict.fromkeys(sids, _DAYS), plan, "plan.csv",
                      dict.fromkeys(usual.index, True))
    if at_reference:
        rows["spend"] = rows["series_id"].map(
            {s: reference_value(model, s, "spend") for s in sids})
    return rows


def _sum(fc: pd.DataFrame, sid: str, q: str = "p50") -> float:
    return float(fc.loc[fc["series_id"] == sid, q].sum())


def test_a_totals_change_on_event_days_is_its_channels_changes_with_their_own_lifts(
        lettered: tuple[LightGBMForecaster, pd.DataFrame]) -> None:
    """A newsletter lifts e-mail x3 and paid search not at all; the total's lift of that day
    is e-mail's share of it. The channels' changes had taken the total's lift: +20% on paid
    search moved the total more than paid search moved (by the newsletters' lift on the
    paid change). Now each channel's change carries its own lift of the day, so the total's
    change is its channels' summed, with the calendar as without it, on every day; its band
    moves with its P50 (the same relative width)."""
    model, spend_file = lettered
    cal = _calendar(_DAYS)
    lift = model.effects_.lift_many({"total": _DAYS, "channel=paid_search": _DAYS}, cal)
    # the world this is about: a day where the total's lift is not paid search's
    assert np.abs(lift["total"][0] - lift["channel=paid_search"][0]).max() > 0.1
    base = model.predict(28, cal, _plan(model, spend_file))
    chans = ("channel=paid_search", "channel=email", "channel=organic")
    for paid in (1.2, 0.8):
        moved = model.predict(28, cal, _plan(model, spend_file, paid))
        by_day = {s: (moved.loc[moved["series_id"] == s, "p50"].to_numpy()
                      - base.loc[base["series_id"] == s, "p50"].to_numpy())
                  for s in ("total", *chans)}
        channels = sum(by_day[s] for s in chans)
        assert abs(channels.sum()) > 500, by_day
        assert np.allclose(by_day["total"], channels, rtol=1e-9, atol=1e-6), (
            paid, by_day["total"].sum(), channels.sum())
        assert_total_band_moves_with_p50(moved, base)


def test_at_the_reference_a_coherent_total_is_its_own_forecast_with_events(
        lettered: tuple[LightGBMForecaster, pd.DataFrame]) -> None:
    """A plan equal to the reference moves no channel: the total's forecast is the one of its
    own response, to the digit, with the calendar's lifts as without them."""
    model, spend_file = lettered
    at_ref = _plan(model, spend_file, at_reference=True)
    cal = _calendar(_DAYS)
    saved = model.column_sources_  # type: ignore[attr-defined]
    del model.column_sources_  # type: ignore[attr-defined]
    try:
        own = model.predict(28, cal, at_ref)
        own_none = model.predict(28, _NONE, at_ref)
    finally:
        model.column_sources_ = saved  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(model.predict(28, cal, at_ref), own)
    pd.testing.assert_frame_equal(model.predict(28, _NONE, at_ref), own_none)


def test_without_events_a_totals_peaks_without_an_event_are_its_channels_changes(
        lettered: tuple[LightGBMForecaster, pd.DataFrame]) -> None:
    """``predict_without`` (the peak table's forecasts without an event) answers a coherent
    total as ``predict`` does on the calendar without those rows."""
    model, spend_file = lettered
    cal = _calendar(_DAYS)
    plan = _plan(model, spend_file, 1.2)
    letters = np.flatnonzero((cal["kind"] == "newsletter").to_numpy()).tolist()
    got = model.predict_without(28, cal, [(letters, ["total"]), ([], ["total"])], plan)
    want = model.predict(28, cal.drop(index=letters).reset_index(drop=True), plan,
                         series=["total"])
    assert np.allclose(got[0]["p50"], want["p50"], rtol=1e-12)
    assert np.allclose(got[1]["p50"], model.predict(28, cal, plan, series=["total"])["p50"],
                       rtol=1e-12)


def test_a_totals_return_per_unit_of_a_channel_is_the_channels_own_with_events(
        lettered: tuple[LightGBMForecaster, pd.DataFrame]) -> None:
    """A coherent total's marginal return per unit of a channel's spend is the derivative of
    its answer: the channel's own (its change is the channel's change, with the channel's
    lifts), with the calendar. It had taken the total's lift of each day instead (e-mail's
    newsletters counted at the total's share of them, paid search's days at the total's)."""
    from training._forecast_plan_response import plan_responses

    model, spend_file = lettered
    cal = _calendar(_DAYS)
    plan = _plan(model, spend_file)
    fc = model.predict(28, cal, plan)
    got = plan_responses(model, 28, plan, fc, cal).set_index(
        ["series_id", "channel"])
    for channel in ("paid_search", "email"):
        own = got.loc[(f"channel={channel}", ""), "d_p50_sum_per_unit"]
        assert got.loc[("total", channel), "d_p50_sum_per_unit"] == pytest.approx(
            own, rel=1e-9), channel
    # asked for the total alone (the API), the channels' forecasts are made with the calendar
    alone = plan_responses(model, 28, plan, fc[fc["series_id"] == "total"], cal, ["total"]
                           ).set_index(["series_id", "channel"])
    for channel in ("paid_search", "email"):
        assert alone.loc[("total", channel), "d_p50_sum_per_unit"] == pytest.approx(
            got.loc[(f"channel={channel}", ""), "d_p50_sum_per_unit"], rel=1e-9)
    # and it equals a finite difference of the total's forecasts (+0.1% on e-mail)
    up = plan.copy()
    up.loc[up["series_id"].isin(["channel=email", "total"]), "spend"] += (
        0.001 * plan.loc[plan["series_id"] == "channel=email", "spend"].iloc[0])
    unit = 0.001 * plan.loc[plan["series_id"] == "channel=email", "spend"].sum()
    diff = (_sum(model.predict(28, cal, up), "total") - _sum(fc, "total")) / unit
    assert got.loc[("total", "email"), "d_p50_sum_per_unit"] == pytest.approx(diff, rel=0.02)
