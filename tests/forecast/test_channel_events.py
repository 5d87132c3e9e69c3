"""Calendar events with a channel: the event moves its channel's series and the aggregate
(``total``), nothing else; the peak summary has the event's window exactly on those series; a
channel no series has is an error with a close match, in the library and in
``brain forecast predict`` alike (the API's side: tests/serving/test_forecast_channels.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from features._calendar import normalize_calendar
from serving import _cli_common
from serving._cli_forecast import forecast_app
from training._forecast_events import EventEffects
from training._forecast_gbm import LightGBMForecaster
from training._forecast_ids import check_calendar_channels
from training._forecast_mlflow import train_and_register
from training._forecast_models import SeasonalNaiveForecaster
from training._forecast_panel import prepare_panel
from training._forecast_peak_notes import channel_scope_note
from training._forecast_peaks import forecast_with_peaks

NEWSLETTERS = pd.date_range("2023-01-10", "2024-12-30", freq="28D")
FUTURE = pd.DataFrame({"name": ["Newsletter", "Winter sale"],
                       "start": ["2025-01-07", "2025-01-14"], "end": ["2025-01-07", "2025-01-15"],
                       "kind": ["newsletter", "sale"], "channel": ["email", pd.NA],
                       "intensity": [1.0, 0.5]})
"""A newsletter on the e-mail channel and a sale for every series, both in the 21 days after
the data (which end on 2024-12-30)."""


@pytest.fixture(autouse=True)
def _fresh_notes() -> Iterator[None]:
    """Each CLI call shows its notes (the CLI prints a note once per command)."""
    _cli_common._shown_notes.clear()
    yield
    _cli_common._shown_notes.clear()


def _world(series_maker: Callable) -> tuple[pd.DataFrame, pd.DataFrame]:
    """E-mail visits triple on newsletter days; social ignores them; total is both plus the
    rest. Every series has the yearly 'Big sale' (no channel)."""
    email, cal = series_maker(n_days=730, seed=1, level=100.0, series_id="channel=email")
    social, _ = series_maker(n_days=730, seed=2, level=100.0, series_id="channel=social")
    rest, _ = series_maker(n_days=730, seed=3, level=200.0, series_id="rest")
    email.loc[email["ds"].isin(NEWSLETTERS), "y"] *= 3
    total = email.assign(series_id="total",
                         y=email["y"].to_numpy() + social["y"].to_numpy() + rest["y"].to_numpy())
    news = pd.DataFrame({"name": "Newsletter", "start": NEWSLETTERS, "end": NEWSLETTERS,
                         "kind": "newsletter", "channel": "email", "intensity": 1.0})
    return pd.concat([total, email, social], ignore_index=True), pd.concat([cal, news])


EXPECTED_WINDOWS = {
    ("total", "horizon"), ("total", "Newsletter"), ("total", "Winter sale"),
    ("channel=email", "horizon"), ("channel=email", "Newsletter"),
    ("channel=email", "Winter sale"),
    ("channel=social", "horizon"), ("channel=social", "Winter sale")}
"""The rows of the peak summary: every series has the horizon and the sale (no channel); the
newsletter's window is on the e-mail series and on total, the series it applies to."""


def test_a_channel_event_lifts_and_has_a_row_only_where_it_applies(
        series_maker: Callable, fast_gbm: dict) -> None:
    series, cal = _world(series_maker)
    model = LightGBMForecaster(**fast_gbm).fit(series, cal)
    res = forecast_with_peaks(model, 21, FUTURE)
    assert set(zip(res.peaks["series_id"], res.peaks["window"], strict=True)) == EXPECTED_WINDOWS
    lift = res.peaks.set_index(["series_id", "window"])["lift_pct"]
    assert lift["channel=email", "Newsletter"] > 100  # x3 on the day
    assert 10 < lift["total", "Newsletter"] < lift["channel=email", "Newsletter"]  # diluted
    # the newsletter changes nothing on the social series: same forecast without it
    without = model.predict(21, FUTURE[FUTURE["channel"].isna()])
    social = res.forecast["series_id"] == "channel=social"
    pd.testing.assert_frame_equal(res.forecast[social].reset_index(drop=True),
                                  without[without["series_id"] == "channel=social"]
                                  .reset_index(drop=True))


def test_a_misspelt_channel_names_the_close_match_and_the_series(series_maker: Callable,
                                                                 fast_gbm: dict) -> None:
    series, cal = _world(series_maker)
    ids = ["total", "channel=email", "channel=social"]
    bad = FUTURE.assign(channel=["emial", pd.NA])
    with pytest.raises(ValueError, match="Did you mean 'email' for 'emial'") as err:
        check_calendar_channels(bad, ids)
    assert "'Newsletter' (2025-01-07, channel 'emial')" in str(err.value)
    assert "The series are 'channel=email', 'channel=social', 'total'" in str(err.value)
    check_calendar_channels(FUTURE, ids)  # known channels and empty ones pass
    check_calendar_channels(bad, ["total"])  # an aggregate takes every channel's events
    model = LightGBMForecaster(**{**fast_gbm, "n_estimators": 10}).fit(series.head(1000), cal)
    with pytest.raises(ValueError, match="Did you mean 'email' for 'emial'"):
        model.predict(7, bad)  # the forecasters' own check gives the same message


def test_channel_scope_note_only_when_no_event_applies() -> None:
    email = FUTURE[FUTURE["channel"].notna()]
    assert channel_scope_note(email, "channel=social") == (
        "1 calendar event(s) with a channel do not apply to series 'channel=social', so they "
        "change nothing on it and have no peak row: 'Newsletter' (channel 'email'). An event "
        "with a channel applies to that channel's series and to the aggregate series (total) "
        "only; leave channel empty for an event that concerns every series.")
    # the sale applies to every series: a shared calendar, whose e-mail event is not noted
    assert channel_scope_note(FUTURE, "channel=social") is None
    assert channel_scope_note(email, "channel=social", whole=FUTURE) is None
    assert channel_scope_note(FUTURE, "total") is None
    assert channel_scope_note(FUTURE, "channel=email") is None
    # a store calendar lists every store's promotions: one that applies means no note
    stores = pd.DataFrame({"name": ["Promo", "Promo"], "start": ["2025-03-03"] * 2,
                           "end": ["2025-03-03"] * 2, "kind": "promotion",
                           "channel": ["store_1", "store_2"], "intensity": 1.0})
    assert channel_scope_note(stores, "store_1") is None
    assert "'Promo' (channel 'store_1'), 'Promo' (channel 'store_2')" in (
        channel_scope_note(stores, "store_3") or "")
    assert channel_scope_note(FUTURE[FUTURE["channel"].isna()], "channel=social") is None
    assert channel_scope_note(None, "channel=social") is None


def _text(res: object) -> str:
    return " ".join(res.output.split())  # type: ignore[attr-defined]


def test_predict_peaks_and_note_follow_the_series_an_event_applies_to(
        tmp_path: Path, series_maker: Callable) -> None:
    series, cal = _world(series_maker)
    train_and_register(SeasonalNaiveForecaster(), series, cal, horizon=21, n_folds=1)
    f_path, out = tmp_path / "future.csv", tmp_path / "out"
    FUTURE.to_csv(f_path, index=False)
    res = CliRunner().invoke(forecast_app, ["predict", "--horizon", "21", "--calendar",
                                            str(f_path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    peaks = pd.read_csv(out / "peaks.csv")
    assert set(zip(peaks["series_id"], peaks["window"], strict=True)) == EXPECTED_WINDOWS
    # every series is listed in peaks.csv with the windows that apply to it; the CLI says
    # nothing more (a store calendar would name every store's promotion for every other store)
    assert "do not apply" not in _text(res)
    bad = tmp_path / "bad.csv"
    FUTURE.assign(channel=["emial", pd.NA]).to_csv(bad, index=False)
    res = CliRunner().invoke(forecast_app, ["predict", "--horizon", "21", "--calendar",
                                            str(bad), "--out", str(out)])
    assert res.exit_code == 2, res.output  # the seasonal naive ignores calendars: checked first
    text = _text(res)
    assert f"{bad}: calendar column 'channel': 1 event(s) name a channel no series has" in text
    assert "Did you mean 'email' for 'emial'?" in text
    assert "The series are 'channel=email', 'channel=social', 'total'" in text


def test_a_channel_behind_the_metric_or_not_in_the_data_says_how_to_name_or_leave_it() -> None:
    """'store_17' in the calendar and 'store_17:orders' in the file: the error listed the
    channels 'orders, revenue' and stopped there; and a planned page with no history at all
    was offered a close spelling ('prod-kite' for 'prod-mistral') only."""
    cal = pd.DataFrame({"name": ["Renovation"], "start": ["2025-11-03"], "end": ["2025-11-23"],
                        "kind": ["closed"], "channel": ["store_17"], "intensity": [None]})
    with pytest.raises(ValueError, match="name a channel no series has") as err:
        check_calendar_channels(cal, ["store_17:orders", "store_17:revenue", "store_18:orders"])
    assert "'store_17:orders' reads 'store_17' as a metric; name it 'orders:store_17'" in str(
        err.value)
    check_calendar_channels(cal, ["orders:store_17", "revenue:store_17"])  # accepted
    launch = cal.assign(name="Launch", kind="launch", channel="prod-mistral")
    with pytest.raises(ValueError, match="name a channel no series has") as err:
        check_calendar_channels(launch, ["prod-kite", "prod-lumen"])
    assert "not in the data yet (a planned opening or launch) cannot be forecast" in str(err.value)
    assert "as a metric" not in str(err.value)


def test_a_store_number_without_its_leading_zero_is_matched_to_the_padded_store() -> None:
    # 60 stores 'store_01' .. 'store_60'; a planner types 'store_7': difflib alone had
    # offered 'store_57' (one letter closer than 'store_07')
    ids = [f"store_{i:02d}" for i in range(1, 61)]
    cal = pd.DataFrame({"name": ["Promo"], "start": ["2026-11-02"], "end": ["2026-11-07"],
                        "kind": ["promotion"], "channel": ["store_7"], "intensity": [0.2]})
    with pytest.raises(ValueError, match="Did you mean 'store_07' for 'store_7'"):
        check_calendar_channels(cal, ids)
    with pytest.raises(ValueError, match="Did you mean 'store_07' for 'Store_007'"):
        check_calendar_channels(cal.assign(channel=["Store_007"]), ids)


def _regional_chain(promotions: bool = True
                    ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """12 stores in 3 regions and their total; each region's holidays close its 4 stores and
    are entered once per store (channel = the store); each store runs a 6-day promotion every
    24 days, staggered, so every day of the total lies inside some store's promotion (without
    ``promotions``, none). Also returns each region's share of the total."""
    rng = np.random.default_rng(7)
    days = pd.date_range("2023-01-02", "2025-06-29")
    regions = {"north": ["2023-03-15", "2023-10-31", "2024-03-15", "2024-10-31",
                         "2025-03-14"],
               "east": ["2023-05-10", "2023-11-20", "2024-05-10", "2024-11-20"],
               "west": ["2023-06-01", "2024-06-03"]}
    frames, cal, level_of = [], [], {}
    for s in range(12):
        sid, region = f"store_{s + 1:02d}", list(regions)[s // 4]
        level = 400.0 + 150.0 * s
        y = level * np.exp(rng.normal(0, 0.05, len(days)))
        for k, start in enumerate(pd.date_range(days[0] + pd.Timedelta(days=2 * s), days[-1],
                                                freq="24D") if promotions else []):
            on = (days >= start) & (days <= start + pd.Timedelta(days=5))
            y[on] *= 1.3
            cal.append({"name": f"Promo {sid} {k}", "start": start,
                        "end": start + pd.Timedelta(days=5), "kind": "promotion",
                        "channel": sid})
        for day in regions[region]:
            y[days == pd.Timestamp(day)] = 0.0
            cal.append({"name": f"{region} holiday {day[:4]}", "start": day, "end": day,
                        "kind": "holiday", "channel": sid})
        level_of[region] = level_of.get(region, 0.0) + level
        frames.append(pd.DataFrame({"series_id": sid, "ds": days, "y": np.round(y)}))
    stores = pd.concat(frames, ignore_index=True)
    total = stores.groupby("ds", as_index=False)["y"].sum().assign(series_id="total")
    share = {r: v / sum(level_of.values()) for r, v in level_of.items()}
    return pd.concat([stores, total], ignore_index=True), pd.DataFrame(cal), share


def _north_holiday(series: pd.DataFrame, cal: pd.DataFrame
                   ) -> tuple[EventEffects, pd.DatetimeIndex, pd.DataFrame]:
    eff = EventEffects().fit(prepare_panel(series), normalize_calendar(cal))
    plan = normalize_calendar(pd.DataFrame([
        {"name": "north holiday 2025", "start": "2025-10-31", "end": "2025-10-31",
         "kind": "holiday", "channel": f"store_{s:02d}"} for s in range(1, 5)]))
    return eff, pd.DatetimeIndex(["2025-10-31"]), plan


def test_a_regional_closure_entered_per_store_is_diluted_on_the_total() -> None:
    """A regional holiday closes its region's stores, not the chain: the total, which has no
    lift of its own for it (no day of it outside some store's promotion), moves by the share
    of it the closed stores carry, where it had taken a store's -100% (a P50 near 0)."""
    series, cal, share = _regional_chain()
    eff, day, plan = _north_holiday(series, cal)
    assert ("total", "north holiday", "d0") not in eff.estimates_[("series_id", "name", "key")]
    lift, _, hi = eff.lift("total", day, plan)
    assert abs(lift[0] - np.log(1 - share["north"])) < 0.1  # about -0.19, was -6.4
    assert np.sqrt(hi[0]) < 0.5
    assert eff.lift("store_01", day, plan)[0][0] < -5  # the store itself still shuts
    assert eff.lift("store_12", day, plan)[0][0] == 0.0  # a store of another region


def test_a_total_keeps_the_lift_it_measured_on_past_regional_closures() -> None:
    """With days free of events, the total measures the regional holiday itself (a partial
    closure of the chain) and keeps that lift."""
    series, cal, share = _regional_chain(promotions=False)
    eff, day, plan = _north_holiday(series, cal)
    own = eff.estimates_[("series_id", "name", "key")][("total", "north holiday", "d0")]
    lift, _, _ = eff.lift("total", day, plan)
    # its own lift, plus the holidays' weekday term on that day (``weekday_slope_``)
    slope = eff.weekday_slope_["holiday"].mean if "holiday" in eff.weekday_slope_ else 0.0
    term = slope * eff.weekday_["total"][day[0].day_of_week]
    assert lift[0] == pytest.approx(own.mean + term)
    assert abs(lift[0] - np.log(1 - share["north"])) < 0.1


def test_page_style_ids_are_listed_once_in_the_misspelt_channel_message() -> None:
    """On ids that are their own channels ('page_01'), the message had listed them twice: "The
    series' channels are page_01, ..., page_21" then "The series are 'page_01', ..." (an
    independent check, 2026-12-06)."""
    ids = ["total"] + [f"page_{i:02d}" for i in range(1, 22)]
    cal = pd.DataFrame({"name": ["Typo promo"], "start": ["2026-07-15"], "end": ["2026-07-15"],
                        "kind": ["sale"], "channel": ["page_3"], "intensity": [1.0]})
    with pytest.raises(ValueError, match="Did you mean 'page_03' for 'page_3'") as err:
        check_calendar_channels(cal, ids)
    text = str(err.value)
    assert text.count("page_21") == 1, text
    assert "The series' channels are page_01, page_02, " in text
    assert "The series are those channels, and 'total' (channel 'c' is" in text
    # no aggregate: nothing more to name
    with pytest.raises(ValueError, match=r"The series are those channels \(channel 'c' is"):
        check_calendar_channels(cal, ids[1:])


def test_a_total_moves_by_its_channels_weekday_lifts_of_a_regional_holiday() -> None:
    """Stores with a weekend dip whose regional holidays run at a level of their own (70% of
    a weekday, entered per store, on weekdays and Saturdays); the total measures none of
    them (every day inside some store's promotion) and moves by its channels' lifts. Those
    carry the holidays' weekday term (a Saturday holiday: 0.70 / 0.84), and so does the
    total: it had taken the weekday lift on a Saturday (-0.095 on Friday and Saturday alike,
    truth -0.117 and -0.063)."""
    week = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.84, 0.72])
    rng = np.random.default_rng(7)
    days = pd.date_range("2023-01-02", "2025-06-29")
    holidays = {"north": ["2023-03-15", "2023-05-13", "2023-10-31", "2024-03-16",
                          "2024-05-13", "2024-10-31", "2025-03-15", "2025-05-13"],
                "east": ["2023-04-12", "2023-09-23", "2024-04-13", "2024-09-23",
                         "2025-04-12"]}
    frames, rows, level_of = [], [], {}
    for s in range(8):
        sid, region = f"store_{s + 1:02d}", list(holidays)[s // 4]
        level = 400.0 + 100.0 * s
        y = level * week[days.day_of_week] * np.exp(rng.normal(0, 0.03, len(days)))
        for k, start in enumerate(pd.date_range(days[0] + pd.Timedelta(days=3 * s), days[-1],
                                                freq="24D")):
            y[(days >= start) & (days <= start + pd.Timedelta(days=5))] *= 1.3
            rows.append({"name": f"Promo {sid} {k}", "start": start,
                         "end": start + pd.Timedelta(days=5), "kind": "promotion",
                         "channel": sid})
        for day in holidays[region]:
            y[days == pd.Timestamp(day)] = level * 0.70 * np.exp(rng.normal(0, 0.03))
            rows.append({"name": f"{region} holiday", "start": day, "end": day,
                         "kind": "holiday", "channel": sid})
        level_of[region] = level_of.get(region, 0.0) + level
        frames.append(pd.DataFrame({"series_id": sid, "ds": days, "y": np.round(y)}))
    stores = pd.concat(frames, ignore_index=True)
    total = stores.groupby("ds", as_index=False)["y"].sum().assign(series_id="total")
    share = level_of["north"] / sum(level_of.values())
    eff = EventEffects().fit(prepare_panel(pd.concat([stores, total], ignore_index=True)),
                             normalize_calendar(pd.DataFrame(rows)))
    assert ("total", "north holiday", "d0") not in eff.estimates_[("series_id", "name", "key")]
    for day in ("2025-10-31", "2025-11-01"):  # a Friday, a Saturday
        plan = normalize_calendar(pd.DataFrame([
            {"name": "north holiday", "start": day, "end": day, "kind": "holiday",
             "channel": f"store_{s:02d}"} for s in range(1, 5)]))
        at = pd.DatetimeIndex([day])
        truth = np.log1p(share * (0.70 / week[at[0].day_of_week] - 1))
        assert abs(eff.lift("total", at, plan)[0][0] - truth) < 0.01, day


def test_a_misspelt_store_channel_names_a_few_channels_not_every_store() -> None:
    """A chain of 300 stores whose ids are their channels: a planner's typo 'S0001' was
    answered with every store's id (a 2,603-character message, the API's `error` too; an
    independent check's allocator, 2026-12-06). The message names the first 30 in natural
    order and how many more, with the close match."""
    ids = [f"S{i:03d}" for i in range(1, 301)]
    cal = pd.DataFrame({"name": ["Refit"], "start": ["2025-05-20"], "end": ["2025-05-21"],
                        "kind": ["closed"], "channel": ["S0001"], "intensity": [1.0]})
    with pytest.raises(ValueError, match="Did you mean 'S001' for 'S0001'") as err:
        check_calendar_channels(cal, ids)
    text = str(err.value)
    assert "The series' channels are S001, S002, " in text
    assert "S030 and 270 more." in text
    assert "S031" not in text
    assert "S300" not in text
    assert len(text) < 1500, len(text)
