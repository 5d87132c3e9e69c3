"""A grocery chain's store x family export (one row per store, product family and day) imported
with several id columns, and a holidays file whose transferred holidays are left out of the
events (2026-12-07)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import features as ft
from serving import _cli_common
from serving.cli import app

FAMILIES = ("GROCERY I", "BREAD/BAKERY", "LIQUOR,WINE,BEER")


@pytest.fixture(autouse=True)
def _fresh_notes() -> None:
    _cli_common._shown_notes.clear()


def _store_family(first: str = "2017-01-01", days: int = 20) -> pd.DataFrame:
    """Favorita's train.csv shape: id, date, store_nbr, family, sales, onpromotion."""
    dates = pd.date_range(first, periods=days, freq="D").strftime("%Y-%m-%d")
    rows = [(d, s, f, 10.0 * s + i, i % 3) for d in dates for s in (1, 2, 12)
            for i, f in enumerate(FAMILIES)]
    frame = pd.DataFrame(rows, columns=["date", "store_nbr", "family", "sales", "onpromotion"])
    return frame.rename_axis("id").reset_index()


def test_several_id_columns_make_one_series_per_store_and_family_reversibly() -> None:
    """``--id-col`` took one column: a store x family export stopped at duplicate store-days
    and needed hand-written pandas. Two id columns make one series per pair, its id the
    store's id and the family joined with ' / ', which splits back into the columns."""
    got = ft.store_days_to_series(_store_family(), id_col=["store_nbr", "family"],
                                  source="train.csv")
    ids = sorted(got.series["series_id"].unique())
    assert len(ids) == 9
    assert "store_nbr_01 / GROCERY I" in ids
    assert "store_nbr_12 / BREAD/BAKERY" in ids
    assert "store_nbr_02 / LIQUOR,WINE,BEER" in ids
    back = got.series["series_id"].str.split(" / ", expand=True)
    assert set(back[1]) == set(FAMILIES)
    assert set(back[0].str.removeprefix("store_nbr_").astype(int)) == {1, 2, 12}
    assert got.summary["stores"] == 3
    assert got.summary["series"] == 9
    notes = " ".join(got.notes)
    assert "series ids join 'store_nbr' and 'family' with ' / '" in notes
    assert "str.split(' / ', expand=True)" in notes
    assert list(got.series.columns) == ["series_id", "ds", "y", "onpromotion"]
    one = got.series[got.series["series_id"] == "store_nbr_12 / GROCERY I"]
    assert len(one) == 20
    assert float(one["y"].iloc[0]) == 120.0


def test_an_id_value_holding_the_separator_is_an_error_naming_its_rows() -> None:
    raw = _store_family()
    raw.loc[4, "family"] = "HOME / KITCHEN"
    with pytest.raises(ft.DataContractError) as err:
        ft.store_days_to_series(raw, id_col=["store_nbr", "family"], source="train.csv")
    text = str(err.value)
    assert "'family'" in text
    assert "' / '" in text
    assert "row 5" in text


def test_the_duplicate_store_days_error_points_at_the_id_column_option() -> None:
    with pytest.raises(ft.DataContractError) as err:
        ft.store_days_to_series(_store_family(), source="train.csv")
    text = str(err.value)
    assert "differ in 'family'" in text
    assert "--id-col store_nbr --id-col family" in text


def test_cli_imports_a_store_family_export_and_its_plan(tmp_path: Path) -> None:
    """``--id-col`` repeated on the command line, and the plan (test.csv: the same columns
    without sales) read with both id columns by ``--like``."""
    full = _store_family(days=30)
    hist, plan = full[full["date"] < "2017-01-21"], full[full["date"] >= "2017-01-21"]
    hist.to_csv(tmp_path / "train.csv", index=False)
    plan.drop(columns="sales").to_csv(tmp_path / "test.csv", index=False)
    runner = CliRunner()
    res = runner.invoke(app, ["data", "import-series", str(tmp_path / "train.csv"), "--out",
                              str(tmp_path / "imp"), "--id-col", "store_nbr", "--id-col",
                              "family"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "rows of 3 stores" in text
    assert "9 series" in text
    series = pd.read_csv(tmp_path / "imp" / "series.csv")
    assert series["series_id"].nunique() == 9
    settings = json.loads((tmp_path / "imp" / "import.json").read_text())
    assert settings["id_columns"] == ["store_nbr", "family"]
    res = runner.invoke(app, ["data", "import-series", str(tmp_path / "test.csv"), "--like",
                              str(tmp_path / "imp"), "--out", str(tmp_path / "plan")])
    assert res.exit_code == 0, res.output
    assert "(9 series)" in " ".join(res.output.split())
    future = pd.read_csv(tmp_path / "plan" / "future.csv")
    assert set(future["series_id"]) == set(series["series_id"])
    assert len(future) == 9 * 10


def _holidays(transferred: list[object]) -> pd.DataFrame:
    """Favorita's holidays_events.csv renamed to the calendar's columns: the holiday of
    2017-08-10 marked transferred (not observed that day), its 'Transfer' row 2017-08-11."""
    frame = pd.DataFrame({
        "start": ["2017-01-01", "2017-08-10", "2017-08-11", "2016-05-24"],
        "kind": ["Holiday", "Holiday", "Transfer", "Holiday"],
        "locale": "National",
        "name": ["Primer dia del ano", "Primer Grito de Independencia",
                 "Traslado Primer Grito de Independencia", "Batalla de Pichincha"],
        "transferred": transferred})
    return frame.assign(end=frame["start"])


def test_transferred_holidays_are_left_out_of_the_events_with_a_note() -> None:
    """A holiday marked transferred was moved off its date, which was a normal day: it had been
    an event on that date (a note only said to remove it by hand), and a grocery chain's
    forecast of 2017-08-10 was 82.6% under its sales."""
    cal = ft.validate_calendar(_holidays([False, True, False, True]), "holidays_events.csv")
    assert "Primer Grito de Independencia" not in set(cal["name"])
    assert "Batalla de Pichincha" not in set(cal["name"])
    assert "Traslado Primer Grito de Independencia" in set(cal["name"])
    assert len(cal) == 2
    notes = " ".join(cal.attrs["load_notes"])
    assert "'transferred' is true on 2 rows: they are left out of the events" in notes
    assert ("Primer Grito de Independencia 2017-08-10 -> Traslado Primer Grito de "
            "Independencia 2017-08-11") in notes
    # the one without a row for the day it moved to is named
    assert "1 of them names no row for the day it was observed instead (Batalla de " \
           "Pichincha 2016-05-24)" in notes
    assert "rename the column 'transferred'" in notes
    assert "'locale' is not read" in notes


def test_the_transferred_note_names_the_day_observed_not_another_years_holiday() -> None:
    """The note named the first row in file order whose name held the holiday's within a
    year: the same holiday a year earlier (Favorita's 2016 Batalla de Pichincha, 366 days after
    2015's), or the year before's transfer row. It names the row of kind Transfer nearest
    after the date."""
    cal = pd.DataFrame({
        "name": ["Batalla de Pichincha", "Batalla de Pichincha", "Traslado Batalla de Pichincha",
                 "Batalla de Pichincha", "Traslado Batalla de Pichincha"],
        "start": ["2015-05-24", "2016-05-24", "2016-05-27", "2017-05-24", "2017-05-26"],
        "kind": ["Holiday", "Holiday", "Transfer", "Holiday", "Transfer"],
        "transferred": [False, True, False, True, False]})
    out = ft.validate_calendar(cal.assign(end=cal["start"]), "holidays_events.csv")
    notes = " ".join(out.attrs["load_notes"])
    assert ("Batalla de Pichincha 2016-05-24 -> Traslado Batalla de Pichincha 2016-05-27, "
            "Batalla de Pichincha 2017-05-24 -> Traslado Batalla de Pichincha 2017-05-26"
            ) in notes
    assert "-> Batalla de Pichincha 2015" not in notes


def test_the_transferred_note_prefers_this_years_day_to_next_years_row() -> None:
    """A holiday moved a day earlier: the row observed the day before is named, not a row
    holding its name a year later ('... -1' of the next year, or next year's transfer row),
    which had come first for being after the date; also where no row's kind says Transfer."""
    cal = pd.DataFrame({
        "name": ["Fundacion de Guayaquil", "Traslado Fundacion de Guayaquil",
                 "Fundacion de Guayaquil-1", "Traslado Fundacion de Guayaquil"],
        "start": ["2016-07-25", "2016-07-24", "2017-07-24", "2017-07-23"],
        "kind": ["Holiday", "Transfer", "Additional", "Transfer"],
        "transferred": [True, False, False, False]})
    notes = " ".join(ft.validate_calendar(cal.assign(end=cal["start"]), "h.csv")
                     .attrs["load_notes"])
    assert ("Fundacion de Guayaquil 2016-07-25 -> Traslado Fundacion de Guayaquil 2016-07-24"
            in notes)
    one_kind = " ".join(ft.validate_calendar(
        cal.assign(end=cal["start"], kind="holiday"), "h.csv").attrs["load_notes"])
    assert "2016-07-25 -> Traslado Fundacion de Guayaquil 2016-07-24" in one_kind


def test_transferred_written_as_text_or_renamed_and_an_all_true_column() -> None:
    """'yes'/'no' reads as true/false; a renamed column keeps every row (the way back); a
    column true on every row is not read as transfers (nothing would be left)."""
    cal = ft.validate_calendar(_holidays(["no", "yes", "no", "no"]), "h.csv")
    assert len(cal) == 3
    kept = ft.validate_calendar(_holidays([False, True, False, True]).rename(
        columns={"transferred": "was_transferred"}), "h.csv")
    assert len(kept) == 4
    assert "'was_transferred' is true on 2 rows" in " ".join(kept.attrs["load_notes"])
    every = ft.validate_calendar(_holidays([True, True, True, True]), "h.csv")
    assert len(every) == 4


def _panel_with_offsets() -> pd.DataFrame:
    """60 stores x 3 families x 30 days (5,400 rows): each day on 180 rows, written with a UTC
    offset."""
    frame = pd.concat([_store_family(days=30).assign(store_nbr=lambda f, k=k: f["store_nbr"]
                                                     + 100 * k) for k in range(20)])
    return frame.assign(date=frame["date"] + "T00:00:00+02:00").reset_index(drop=True)


def test_a_panel_read_once_per_distinct_value_gives_what_row_by_row_reading_gives(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Dates and ids of a large panel are read once per distinct value (a 3.0M-row import
    took 55 s, 21 s so); the series, calendar and notes are the same as read row by row, and
    a note that counts rows (dates with offsets) still counts the file's rows."""
    from features import _import_series

    raw = _panel_with_offsets()
    fast = ft.store_days_to_series(raw, id_col=["store_nbr", "family"], source="t.csv")
    monkeypatch.setattr(_import_series, "_distinct", lambda col: None)
    slow = ft.store_days_to_series(raw, id_col=["store_nbr", "family"], source="t.csv")
    pd.testing.assert_frame_equal(fast.series, slow.series)
    assert fast.notes == slow.notes
    assert any("holds 5,400 dates with UTC offsets" in n for n in fast.notes)
    assert fast.series["series_id"].nunique() == 180


def test_backtest_prints_a_line_per_fold_of_the_yardsticks_too(tmp_path: Path) -> None:
    """After the model's table the two yardsticks (seasonal naive, and with event lifts) ran
    without a line: 6 min on 1,782 series. Each now says it starts and prints its folds."""
    full = _store_family(days=120)
    series = pd.DataFrame({"series_id": "store_" + full["store_nbr"].astype(str) + " / "
                           + full["family"], "ds": full["date"], "y": full["sales"]})
    series.to_csv(tmp_path / "series.csv", index=False)
    runner = CliRunner()
    res = runner.invoke(app, ["forecast", "backtest", "--series", str(tmp_path / "series.csv"),
                              "--horizon", "7", "--folds", "2"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "> backtesting seasonal naive on the same origins" in text
    assert "> seasonal naive: fold 2/2 origin" in text
    assert "> seasonal naive + event lifts: fold 1/2 origin" in text


def test_a_store_channel_checked_by_itself_is_told_of_the_expansion() -> None:
    """A city's holiday on 'store_nbr_01' with series per store and family, given to
    ``check_channels`` without the expansion the forecasters apply: the error had said a
    store's event needs one row per series written by hand (untrue since the forecasters give
    it to each series of the store). It says how to expand it."""
    from features._calendar import check_channels, expand_store_channels, normalize_calendar

    ids = [f"store_nbr_0{s} / {f}" for s in (1, 2) for f in FAMILIES]
    cal = normalize_calendar(pd.DataFrame({
        "name": ["Fundacion de Quito"], "start": ["2016-12-06"], "end": ["2016-12-06"],
        "kind": ["holiday"], "channel": ["store_nbr_01"]}))
    with pytest.raises(ValueError, match="name a channel no series has") as err:
        check_channels(cal, ids)
    text = str(err.value)
    assert "'store_nbr_01' is the first part of 3 series ids" in text
    assert "one row per series" not in text
    assert "expand_store_channels(calendar, series_ids)" in text
    check_channels(expand_store_channels(cal, ids)[0], ids)  # expanded: accepted


def _store_family_series(days: int = 150) -> pd.DataFrame:
    """Series per store and family (ids as two ``--id-col`` give them), a city holiday on day
    100 lifting store 1's families x3 and store 2's not."""
    full = _store_family(days=days)
    ids = "store_nbr_" + full["store_nbr"].map("{:02d}".format) + " / " + full["family"]
    y = full["sales"].astype(float) * (1 + 0.2 * (pd.to_datetime(full["date"]).dt.day_of_week == 5))
    day = pd.to_datetime(full["date"])
    hit = (full["store_nbr"] == 1) & day.isin(pd.to_datetime(["2017-02-10", "2017-04-11"]))
    return pd.DataFrame({"series_id": ids, "ds": full["date"], "y": y.where(~hit, y * 3)})


def _city_holiday(channel: list[str]) -> pd.DataFrame:
    days = ["2017-02-10", "2017-04-11", "2017-06-01"]
    return pd.DataFrame([(f"Fundacion {d[:4]}", d, d, "holiday", c) for d in days for c in channel],
                        columns=["name", "start", "end", "kind", "channel"])


def test_a_store_channel_applies_to_every_series_of_the_store_as_rows_written_by_hand() -> None:
    """A city's holiday on channel 'store_nbr_01' with series per store and family was an
    error (a channel names one series). It applies to each series of the store: the forecasts
    are those of a calendar written with one row per series of the store; a channel that is a
    full series id keeps its meaning, and one matching nothing stays an error."""
    from training._forecast_gbm import LightGBMForecaster
    from training._forecast_ids import check_calendar_channels

    series = _store_family_series()
    ids = sorted(series["series_id"].unique())
    by_hand = [s for s in ids if s.startswith("store_nbr_01 / ")]
    kw = {"max_horizon_days": 7, "n_estimators": 40}
    train = series[series["ds"] < "2017-05-25"]
    a = LightGBMForecaster(**kw).fit(train, _city_holiday(["store_nbr_01"]))
    b = LightGBMForecaster(**kw).fit(train, _city_holiday(by_hand))
    pd.testing.assert_frame_equal(a.predict(7), b.predict(7))
    cal = check_calendar_channels(_city_holiday(["store_nbr_01"]), ids)
    assert len(cal) == 9
    assert set(cal["channel"]) == set(by_hand)
    assert "'store_nbr_01' on its 3 series" in " ".join(cal.attrs["load_notes"])
    one = check_calendar_channels(_city_holiday(["store_nbr_02 / GROCERY I"]), ids)
    assert list(one["channel"].unique()) == ["store_nbr_02 / GROCERY I"]
    with pytest.raises(ValueError, match="name a channel no series has"):
        check_calendar_channels(_city_holiday(["store_nbr_07"]), ids)


def test_cli_backtests_trains_and_validates_with_a_store_channel(tmp_path: Path) -> None:
    """The CLI path: data validate, forecast backtest and train read a store's holiday on its
    series per family, with a note naming the channel and how many series it reached."""
    _store_family_series().to_csv(tmp_path / "series.csv", index=False)
    _city_holiday(["store_nbr_01"]).to_csv(tmp_path / "cal.csv", index=False)
    runner = CliRunner()
    for args in (["data", "validate", "--series", str(tmp_path / "series.csv"), "--calendar",
                  str(tmp_path / "cal.csv")],
                 ["forecast", "backtest", "--series", str(tmp_path / "series.csv"),
                  "--calendar", str(tmp_path / "cal.csv"), "--horizon", "7", "--folds", "2"]):
        _cli_common._shown_notes.clear()
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        text = " ".join(res.output.split())
        assert "'store_nbr_01' on its 3 series" in text, text


def test_a_large_panel_prints_the_stages_of_each_fit(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """On 1,782 series a backtest fold ran 5-8 min without a line. From ``STAGE_SERIES``
    series each fold and the final fit say each stage (cleaned history, features, trees per
    quantile, calibration) with seconds elapsed; a small panel keeps one line per fold."""
    from training import _forecast_stages

    _store_family_series().to_csv(tmp_path / "series.csv", index=False)
    args = ["--series", str(tmp_path / "series.csv"), "--horizon", "7", "--folds", "2"]
    runner = CliRunner()
    res = runner.invoke(app, ["forecast", "backtest", *args])
    assert res.exit_code == 0, res.output
    assert "trees fitted" not in res.output
    monkeypatch.setattr(_forecast_stages, "STAGE_SERIES", 9)  # as if 9 series were many
    for cmd in (["forecast", "backtest"], ["forecast", "train", "--no-register"]):
        _cli_common._shown_notes.clear()
        res = runner.invoke(app, [*cmd, *args])
        assert res.exit_code == 0, res.output
        text = " ".join(res.output.split())
        for line in ("fold 1/2: event lifts of 9 series learned (",
                     "fold 1/2: history of 9 series cleaned of events and steps (",
                     "fold 1/2: calibration fit: features built (",
                     "fold 2/2: calibration fit: P10 trees fitted on",
                     "fold 2/2: calibration: band offsets scored (",
                     "fold 2/2: final fit: P90 trees fitted on",
                     "fold 2/2: forecast of 9 series made, scoring ("):
            assert line in text, (line, text)
        assert text.index("fold 1/2: final fit: P50") < text.index("> fold 1/2 origin")
    assert "final model on all data: final fit: P90 trees fitted on" in text


def test_the_api_reads_a_store_channel_on_each_series_of_the_store() -> None:
    """POST /forecast_traffic with an event on 'store_nbr_01': the model's forecast read it on
    the store's series, but the answer said it changed nothing on them and gave it no peak
    window. It now answers as for the event on the series' own id, with the note."""
    from types import SimpleNamespace

    from serving._forecast_answer import forecast_answer
    from serving._schemas import ForecastRequest
    from training._forecast_gbm import LightGBMForecaster

    series = _store_family_series()
    model = LightGBMForecaster(max_horizon_days=7, n_estimators=40).fit(
        series[series["ds"] < "2017-05-26"], _city_holiday(["store_nbr_01"]).iloc[:2])
    loaded = SimpleNamespace(model=SimpleNamespace(forecaster=model), version=1,
                             name="traffic_forecaster")
    answers = {}
    for channel in ("store_nbr_01", "store_nbr_01 / GROCERY I"):
        req = ForecastRequest(series_id="store_nbr_01 / GROCERY I", horizon=7, calendar=[{
            "name": "Fundacion 2017", "start": "2017-06-01", "end": "2017-06-01",
            "kind": "holiday", "channel": channel}])
        answers[channel] = forecast_answer(loaded, req)  # type: ignore[arg-type]
    store, own = answers["store_nbr_01"], answers["store_nbr_01 / GROCERY I"]
    assert [p["window"] for p in store["peaks"]] == [p["window"] for p in own["peaks"]]
    assert "Fundacion 2017" in [p["window"] for p in store["peaks"]]
    assert store["forecast"] == own["forecast"]
    notes = " ".join(store["notes"])
    assert "do not apply to series" not in notes
    assert "'store_nbr_01' on its 3 series" in notes


def test_forecast_with_peaks_reads_a_store_channel_as_the_rows_it_expands_to() -> None:
    """``forecast_with_peaks(model, h, calendar)`` from Python with an event on 'store_nbr_01':
    the forecast read it on each series of the store, but the peak rows and the forecasts
    "without event X" read the calendar as given, so the store's event had no peak rows on
    its series and every later row was shifted (another event was left out: a sale's lift
    read +0.0% where the expanded calendar gives +87%)."""
    from features._calendar import expand_store_channels
    from training._forecast_gbm import LightGBMForecaster
    from training._forecast_peaks import forecast_with_peaks

    series = _store_family_series()
    ids = sorted(series["series_id"].unique())
    model = LightGBMForecaster(max_horizon_days=14, n_estimators=40).fit(
        series[series["ds"] < "2017-05-26"], _city_holiday(["store_nbr_01"]).iloc[:2])
    future = pd.DataFrame([
        ("Fundacion 2017", "2017-05-28", "2017-05-28", "holiday", "store_nbr_01"),
        ("Sale X", "2017-06-01", "2017-06-03", "sale", "store_nbr_02 / GROCERY I"),
        ("Sale Y", "2017-06-02", "2017-06-04", "sale", "store_nbr_02 / GROCERY I")],
        columns=["name", "start", "end", "kind", "channel"])
    raw = forecast_with_peaks(model, 14, future)
    expanded = forecast_with_peaks(model, 14, expand_store_channels(future, ids)[0])
    pd.testing.assert_frame_equal(raw.forecast, expanded.forecast)
    pd.testing.assert_frame_equal(raw.peaks, expanded.peaks)
    store = raw.peaks[raw.peaks["window"] == "Fundacion 2017"]
    assert sorted(store["series_id"]) == [s for s in ids if s.startswith("store_nbr_01 / ")]


def test_an_event_on_a_store_and_on_one_of_its_series_is_read_once_there() -> None:
    """'Fundacion' on 'store_nbr_01' and again on 'store_nbr_01 / GROCERY I' (its own
    intensity): after the store's row was given to each series of the store, that series held
    the event twice (one event, two occurrences on the same day). The series' own row wins,
    and a note names both."""
    from training._forecast_ids import check_calendar_channels

    ids = [f"store_nbr_0{s} / {f}" for s in (1, 2) for f in FAMILIES]
    cal = pd.DataFrame({"name": ["Fundacion", "Fundacion"], "start": ["2017-06-01"] * 2,
                        "end": ["2017-06-01"] * 2, "kind": ["holiday"] * 2,
                        "channel": ["store_nbr_01", "store_nbr_01 / GROCERY I"],
                        "intensity": [1.0, 0.5]})
    out = check_calendar_channels(cal, ids)
    assert sorted(out["channel"]) == sorted(s for s in ids if s.startswith("store_nbr_01 / "))
    assert float(out.loc[out["channel"] == "store_nbr_01 / GROCERY I", "intensity"].iloc[0]) \
        == 0.5
    notes = " ".join(out.attrs["load_notes"])
    assert ("'Fundacion' 2017-06-01 on 'store_nbr_01' and on 'store_nbr_01 / GROCERY I'"
            in notes)
    assert "read once on that series, from its own row" in notes


def test_a_store_and_a_series_row_written_differently_are_still_read_once() -> None:
    """``expand_store_channels`` given a calendar not normalized yet: the series' own row with
    its channel padded and its date written with a time is the same event as the store's
    copy (they had been compared as written, and the series read the event twice)."""
    from features._calendar import expand_store_channels

    ids = [f"store_nbr_0{s} / {f}" for s in (1, 2) for f in FAMILIES]
    cal = pd.DataFrame({"name": ["Fundacion", "Fundacion"],
                        "start": ["2017-06-01", "2017-06-01 00:00:00"],
                        "end": ["2017-06-01"] * 2, "kind": ["holiday"] * 2,
                        "channel": ["store_nbr_01", " store_nbr_01 / GROCERY I"]})
    out, notes = expand_store_channels(cal, ids)
    assert len(out) == sum(s.startswith("store_nbr_01 / ") for s in ids)
    assert "read once on that series" in " ".join(notes)
