"""Calendar features: channel rules, in-event flags and distances against hand computations."""

from __future__ import annotations

import pandas as pd
import pytest

from features._calendar import (
    calendar_features,
    check_channels,
    event_days,
    normalize_calendar,
    series_channel,
)


def _cal() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["Sale", "Mail"], "start": ["2024-01-05", "2024-01-10"],
        "end": ["2024-01-06", "2024-01-10"], "kind": ["sale", "newsletter"],
        "channel": [None, "email"], "intensity": [0.5, None]})


def test_series_channel_parses_ids() -> None:
    assert series_channel("channel=email") == "email"
    assert series_channel("orders:channel=email") == "email"
    assert series_channel("total") is None
    assert series_channel("store_7") == "store_7"


def test_channel_events_apply_to_their_channel_and_the_total() -> None:
    days = event_days(_cal(), ["total", "orders:total", "channel=email", "channel=social"])
    names = days.groupby("series_id")["name"].unique().apply(sorted).to_dict()
    assert names["total"] == ["Mail", "Sale"]  # e-mail visits are part of the total
    assert names["orders:total"] == ["Mail", "Sale"]
    assert names["channel=email"] == ["Mail", "Sale"]
    assert names["channel=social"] == ["Sale"]


def test_calendar_features_match_hand_computation() -> None:
    frame = pd.DataFrame({"series_id": "channel=email",
                          "ds": pd.date_range("2024-01-03", "2024-01-12")})
    out = calendar_features(frame, _cal(), cap_days=30).set_index("ds")
    assert out.loc["2024-01-05", "ev_in_event"] == 1
    assert out.loc["2024-01-06", "ev_intensity"] == 0.5
    assert out.loc["2024-01-03", "ev_days_to_next"] == 2
    assert out.loc["2024-01-08", "ev_days_since_last"] == 2
    assert out.loc["2024-01-08", "ev_days_to_next"] == 2
    assert out.loc["2024-01-10", "ev_kind_newsletter"] == 1
    assert out.loc["2024-01-10", "ev_intensity"] == 1.0  # empty intensity means 1.0
    assert out.loc["2024-01-12", "ev_days_to_next"] == 30  # capped: no later event
    assert out.loc["2024-01-05", "cal_dow"] == 4  # a Friday


def test_total_series_sees_channel_events_other_channels_do_not() -> None:
    frame = pd.DataFrame({"series_id": ["total", "channel=social"],
                          "ds": [pd.Timestamp("2024-01-10")] * 2})
    out = calendar_features(frame, _cal())
    assert out["ev_in_event"].tolist() == [1, 0]


def test_hourly_frames_get_hour() -> None:
    frame = pd.DataFrame({"series_id": "total",
                          "ds": pd.date_range("2024-01-05", periods=30, freq="h")})
    out = calendar_features(frame, _cal())
    assert out["cal_hour"].tolist()[:3] == [0, 1, 2]
    assert out["ev_in_event"].iloc[:24].eq(1).all()


def test_end_before_start_is_rejected_with_fix() -> None:
    bad = pd.DataFrame({"name": ["x"], "start": ["2024-01-05"], "end": ["2024-01-01"]})
    with pytest.raises(ValueError, match="end before they start"):
        normalize_calendar(bad)


def test_misspelt_channel_is_an_error_naming_the_event_and_the_known_channels() -> None:
    cal = normalize_calendar(_cal().assign(channel=[None, "emial"]))
    with pytest.raises(ValueError, match=r"'Mail' \(2024-01-10, channel 'emial'\).*email, social"):
        check_channels(cal, ["total", "channel=email", "channel=social"])
    check_channels(cal, ["total", "orders:total"])  # aggregates only: any channel is theirs
    check_channels(normalize_calendar(_cal()), ["channel=email", "channel=social"])


def test_forecaster_rejects_a_calendar_channel_no_series_has() -> None:
    from training._forecast_gbm import LightGBMForecaster
    from training._forecast_models import SeasonalNaiveForecaster

    ds = pd.date_range("2024-01-01", periods=120)
    series = pd.DataFrame({"series_id": "store_01", "ds": ds, "y": 10.0})
    cal = _cal().assign(channel=[None, "store_02"])
    with pytest.raises(ValueError, match=r"store_02.*store_01"):
        SeasonalNaiveForecaster().fit(series, cal)
    model = LightGBMForecaster(n_estimators=5).fit(
        series, _cal().assign(channel=[None, "store_01"]))
    with pytest.raises(ValueError, match="store_02"):
        model.predict(7, cal)
