"""A holidays file's city and state holidays (Favorita's ``locale`` Local / Regional and
``locale_name``) given to the stores there by a stores file (``--stores``), and the calendar
row counts ``brain data validate`` prints."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import features as ft
from features._contracts import DataContractError
from features._stores import apply_store_locales
from serving import _cli_common
from serving.cli import app

FAMILIES = ("GROCERY I", "BREAD/BAKERY")


@pytest.fixture(autouse=True)
def _fresh_notes() -> None:
    _cli_common._shown_notes.clear()


def _series(days: int = 150) -> pd.DataFrame:
    """Series per store and family (ids as ``--id-col store_nbr --id-col family`` write them)
    of stores 1 and 12 in Quito and 2 in Guayaquil; Quito's holiday lifts its stores x3."""
    dates = pd.date_range("2017-01-01", periods=days, freq="D")
    rows = []
    for s in (1, 2, 12):
        for i, f in enumerate(FAMILIES):
            for d in dates:
                y = (10.0 * s + i) * (1.2 if d.day_of_week == 5 else 1.0)
                if s != 2 and d in pd.to_datetime(["2017-02-10", "2017-04-11"]):
                    y *= 3
                rows.append((f"store_nbr_{s:02d} / {f}", d.strftime("%Y-%m-%d"), y))
    return pd.DataFrame(rows, columns=["series_id", "ds", "y"])


def _stores() -> pd.DataFrame:
    return pd.DataFrame({"store_nbr": [1, 2, 12], "city": ["Quito", "Guayaquil", "Quito"],
                         "state": ["Pichincha", "Guayas", "Pichincha"], "type": list("ABC"),
                         "cluster": [12, 2, 1]})


def _holidays(place: str = "Quito", locale: str = "Local") -> pd.DataFrame:
    """Favorita's holidays_events.csv renamed to the calendar's columns: a national holiday and
    a city's one each year, one marked transferred."""
    days = ["2017-02-10", "2017-04-11", "2017-06-01"]
    rows = [("Dia del Trabajo", "2017-05-01", "Holiday", "National", "Ecuador", False),
            ("Batalla de Pichincha", "2017-05-24", "Holiday", "National", "Ecuador", True),
            ("Traslado Batalla de Pichincha", "2017-05-26", "Transfer", "National", "Ecuador",
             False)]
    rows += [(f"Fundacion {d[5:7]}", d, "Holiday", locale, place, False) for d in days]
    frame = pd.DataFrame(rows, columns=["name", "start", "kind", "locale", "locale_name",
                                        "transferred"])
    return frame.assign(end=frame["start"])


def _by_hand() -> pd.DataFrame:
    """The same calendar with the city's holiday written on each series of its stores."""
    cal = _holidays()
    cal = cal[~cal["transferred"]].drop(columns=["transferred", "locale", "locale_name"])
    quito = [f"store_nbr_{s:02d} / {f}" for s in (1, 12) for f in FAMILIES]
    city = cal["name"].str.startswith("Fundacion")
    rows = [cal[~city].assign(channel=pd.NA)]
    rows += [cal[city].assign(channel=c) for c in quito]
    return pd.concat(rows, ignore_index=True)


def test_a_city_holiday_applies_to_its_stores_series_as_rows_written_by_hand() -> None:
    """A Local holiday had applied to every series (its 'locale' not read). With the stores
    file it is given to the series of the city's stores only: the forecasts are those of the
    calendar written per series by hand; without it a note says how to map it."""
    from training._forecast_gbm import LightGBMForecaster

    series = _series()
    ids = sorted(series["series_id"].unique())
    raw = ft.validate_calendar(_holidays(), "h.csv", locales=True)
    cal, notes = apply_store_locales(raw, _stores(), ids, calendar_source="h.csv",
                                     stores_source="stores.csv")
    text = " ".join(notes)
    assert "3 holiday rows of a city or state" in text, text
    assert "stores from column 'store_nbr'" in text  # not 'cluster', numbered alike
    assert "'Fundacion 02' (Quito) on 2 stores" in text
    assert "locale" not in cal.columns
    assert "locale_name" not in cal.columns
    city = cal[cal["name"].str.startswith("Fundacion")]
    assert sorted(city["channel"].unique()) == ["store_nbr_01", "store_nbr_12"]
    assert cal.loc[cal["name"] == "Dia del Trabajo", "channel"].isna().all()
    kw = {"max_horizon_days": 7, "n_estimators": 40}
    train = series[series["ds"] < "2017-05-25"]
    a = LightGBMForecaster(**kw).fit(train, cal)
    b = LightGBMForecaster(**kw).fit(train, _by_hand())
    pd.testing.assert_frame_equal(a.predict(7), b.predict(7))
    plain = ft.validate_calendar(_holidays(), "h.csv")
    said = " ".join(plain.attrs["load_notes"])
    assert "3 rows are holidays of one city or state" in said, said
    assert "--stores stores.csv" in said
    assert "'locale', 'locale_name' are not read" not in said


def test_a_regional_holiday_applies_to_the_stores_of_its_state() -> None:
    ids = sorted(_series(20)["series_id"].unique())
    raw = ft.validate_calendar(_holidays("Guayas", "Regional"), "h.csv", locales=True)
    cal, notes = apply_store_locales(raw, _stores(), ids, calendar_source="h.csv")
    assert list(cal.loc[cal["name"].str.startswith("Fundacion"), "channel"].unique()) == [
        "store_nbr_02"]
    assert "places from 'state'" in " ".join(notes)


def test_a_city_whose_stores_have_no_series_is_left_out_with_a_note() -> None:
    ids = sorted(_series(20)["series_id"].unique())
    stores = pd.concat([_stores(), pd.DataFrame({"store_nbr": [40], "city": ["Cuenca"],
                                                  "state": ["Azuay"]})], ignore_index=True)
    raw = ft.validate_calendar(_holidays("Cuenca"), "h.csv", locales=True)
    cal, notes = apply_store_locales(raw, stores, ids, calendar_source="h.csv")
    assert not cal["name"].str.startswith("Fundacion").any()
    assert "3 holiday row(s) of a city or state whose stores have no series here are not " \
           "used: 'Fundacion 02' (Cuenca)" in " ".join(notes)
    assert len(cal) == 2  # the national holiday and the transfer day


def test_bad_stores_or_places_are_errors_naming_file_column_rows_and_fix() -> None:
    ids = sorted(_series(20)["series_id"].unique())
    raw = ft.validate_calendar(_holidays("Quitto"), "h.csv", locales=True)
    with pytest.raises(DataContractError) as err:
        apply_store_locales(raw, _stores(), ids, calendar_source="h.csv",
                            stores_source="stores.csv")
    msg = str(err.value)
    # the file's rows: 4, 5, 6 (row 2 is the transferred holiday, left out)
    assert msg.startswith("h.csv: column 'locale_name' names a city no store of stores.csv"), msg
    assert "'Quitto'" in msg
    assert "first at row 4: 'Fundacion 02 (Quitto)'" in msg
    assert "Fix: correct the spelling" in msg
    raw = ft.validate_calendar(_holidays(), "h.csv", locales=True)
    with pytest.raises(DataContractError, match=r"stores.csv: column 'city' is required.*"
                                                r"Fix: add a column 'city'"):
        apply_store_locales(raw, _stores().drop(columns="city"), ids,
                            stores_source="stores.csv")
    with pytest.raises(DataContractError, match=r"column 'store_nbr' lacks 1 of the series' 3 "
                                                r"stores \(store_nbr_12\).*Fix: add a row"):
        apply_store_locales(raw, _stores().iloc[:2], ids, stores_source="stores.csv")
    with pytest.raises(DataContractError, match="no column holding the series' stores"):
        apply_store_locales(raw, _stores()[["city", "state"]], ids,
                            stores_source="stores.csv")
    twice = pd.concat([_stores(), _stores().iloc[[0]]], ignore_index=True)
    with pytest.raises(DataContractError, match=r"'store_nbr' repeats a store \(2 rows; "
                                                r"first at row 1"):
        apply_store_locales(raw, twice, ids, stores_source="stores.csv")
    blank = _holidays().assign(locale_name=lambda f: f["locale_name"].where(
        f["locale"] == "National", ""))
    with pytest.raises(DataContractError, match="'locale_name' is empty on rows whose locale"):
        apply_store_locales(ft.validate_calendar(blank, "h.csv", locales=True), _stores(), ids)


def test_cli_validate_backtest_and_predict_read_the_stores_file(tmp_path: Path) -> None:
    """``--stores`` on data validate, forecast backtest, train and predict: a note names what
    was mapped; data validate counts the calendar file's rows and the events read."""
    _series().to_csv(tmp_path / "series.csv", index=False)
    _holidays().to_csv(tmp_path / "h.csv", index=False)
    _stores().to_csv(tmp_path / "stores.csv", index=False)
    s, h, st = (str(tmp_path / n) for n in ("series.csv", "h.csv", "stores.csv"))
    runner = CliRunner()
    for args in (["data", "validate", "--series", s, "--calendar", h, "--stores", st],
                 ["forecast", "backtest", "--series", s, "--calendar", h, "--stores", st,
                  "--horizon", "7", "--folds", "1"],
                 ["forecast", "train", "--series", s, "--calendar", h, "--stores", st,
                  "--horizon", "7", "--folds", "1"],
                 ["forecast", "predict", "--horizon", "7", "--calendar", h, "--stores", st,
                  "--out", str(tmp_path / "pred")]):
        _cli_common._shown_notes.clear()
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        text = " ".join(res.output.split())
        assert "(Quito) on 2 stores" in text, (args[:2], text)
        assert "apply to every series, as a national one" not in text
    # the same calendar planned without --stores: the model kept the stores file it was
    # trained with (since 2026-12-07; it had been the error below)
    _cli_common._shown_notes.clear()
    res = runner.invoke(app, ["forecast", "predict", "--horizon", "7", "--calendar", h,
                              "--out", str(tmp_path / "pred2")])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "given to the stores the model was trained with (stores.csv: 3 stores" in text, text
    assert "(Quito) on 2 stores" in text
    # a model that learned the city's holiday on its stores' series from a calendar written
    # per series keeps no stores file: on every series it would lift the other stores too
    _by_hand().to_csv(tmp_path / "hand.csv", index=False)
    res = runner.invoke(app, ["forecast", "train", "--series", s, "--calendar",
                              str(tmp_path / "hand.csv"), "--horizon", "7", "--folds", "1",
                              "--no-register"])
    assert res.exit_code == 0, res.output
    uri = re.search(r"model (models:/m-[0-9a-f]+)", " ".join(res.output.split()))
    assert uri is not None, res.output
    res = runner.invoke(app, ["forecast", "predict", "--horizon", "7", "--calendar", h,
                              "--model-uri", uri.group(1), "--out", str(tmp_path / "pred2")])
    assert res.exit_code != 0, res.output
    text = " ".join(res.output.split())
    assert "'Fundacion 02' (Quito) on 4 of 6 series" in text, text
    assert "Fix: give --stores FILE as to train" in text
    # trained without --stores, the model's own rows give the holiday to every series:
    # mapping the planned ones changes nothing, and a note says so
    res = runner.invoke(app, ["forecast", "train", "--series", s, "--calendar", h, "--horizon",
                              "7", "--folds", "1", "--no-register"])
    assert res.exit_code == 0, res.output
    uri = re.search(r"model (models:/m-[0-9a-f]+)", " ".join(res.output.split()))
    assert uri is not None, res.output
    _cli_common._shown_notes.clear()
    res = runner.invoke(app, ["forecast", "predict", "--horizon", "7", "--calendar", h,
                              "--stores", st, "--model-uri", uri.group(1), "--out",
                              str(tmp_path / "pred3")])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "the model learned 3 of the city or state holidays --stores maps on every series" \
        in text, text
    assert "train with --stores" in text
    bad = _stores().assign(city=["Quito", "Guayaquil", ""])
    bad.to_csv(tmp_path / "bad.csv", index=False)
    res = runner.invoke(app, ["data", "validate", "--series", s, "--calendar", h, "--stores",
                              str(tmp_path / "bad.csv")])
    assert res.exit_code == 2
    assert "bad.csv: column 'city' is empty for stores of the series" in " ".join(
        res.output.split())


def test_data_validate_counts_the_calendar_files_rows_and_the_events_read(tmp_path: Path
                                                                         ) -> None:
    """The 'ok' line had counted the calendar after its transferred holidays were left out
    ('5 rows' of a 6-row file): it counts the file's rows and says how many events are read."""
    _holidays().to_csv(tmp_path / "h.csv", index=False)
    res = CliRunner().invoke(app, ["data", "validate", "--calendar", str(tmp_path / "h.csv")])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "h.csv: 6 rows, 5 events read (1 marked transferred left out)" in text, text


def test_the_store_column_is_the_one_matching_distinct_stores_not_cluster() -> None:
    """A stores file of more stores than the series (20, series of 1, 2 and 12): 'cluster'
    (1..13 repeated) matched more rows than 'store_nbr' and was taken, every command failing
    with "column 'cluster' repeats a store"."""
    ids = sorted(_series(20)["series_id"].unique())
    stores = pd.DataFrame({"cluster": [i % 13 + 1 for i in range(1, 21)],
                           "store_nbr": range(1, 21),
                           "city": ["Quito"] + ["Guayaquil"] + ["Quito"] * 18,
                           "state": ["Pichincha", "Guayas"] + ["Pichincha"] * 18})
    raw = ft.validate_calendar(_holidays(), "h.csv", locales=True)
    cal, notes = apply_store_locales(raw, stores, ids, calendar_source="h.csv")
    assert "stores from column 'store_nbr'" in " ".join(notes), notes
    assert sorted(cal.loc[cal["name"] == "Fundacion 02", "channel"]) == [
        "store_nbr_01", "store_nbr_12"]


def test_a_files_row_number_is_never_the_store_column() -> None:
    """pandas' written index ('Unnamed: 0', 0..n-1) is unique and matched stores too: with
    one store written twice in 'store_nbr' it won on uniqueness, the keys moved by a row and
    Quito's holiday went to other stores in silence. Now the repeated store is the error; and
    with ids whose prefix does not name the column ('store_1 / A' against 'store_nbr'), the
    index no longer wins the tie by coming first."""
    ids = sorted(_series(20)["series_id"].unique())
    stores = pd.DataFrame({"Unnamed: 0": range(21),
                           "store_nbr": [*range(1, 21), 12],
                           "city": ["Quito", "Guayaquil"] + ["Quito"] * 19,
                           "state": ["Pichincha", "Guayas"] + ["Pichincha"] * 19})
    raw = ft.validate_calendar(_holidays(), "h.csv", locales=True)
    with pytest.raises(DataContractError, match=r"column 'store_nbr' repeats a store"):
        apply_store_locales(raw, stores, ids, calendar_source="h.csv")
    ids = [i.replace("store_nbr_", "store_") for i in ids]
    stores = stores.iloc[:20].assign(city=["Cuenca"] + ["Guayaquil"] + ["Quito"] * 18)
    cal, notes = apply_store_locales(raw, stores, ids, calendar_source="h.csv")
    assert "stores from column 'store_nbr'" in " ".join(notes), notes
    assert sorted(cal.loc[cal["name"] == "Fundacion 02", "channel"]) == ["store_12"]


def test_a_mistyped_locale_is_an_error_not_a_mapping_turned_off() -> None:
    """One 'Locale' among Local rows had turned the whole mapping off (every city's holiday
    on every series, exit 0) with a note saying the columns were missing."""
    ids = sorted(_series(20)["series_id"].unique())
    typo = _holidays().assign(locale=lambda f: f["locale"].where(f.index != 4, "Locale"))
    raw = ft.validate_calendar(typo.assign(locale=lambda f: f["locale"].where(
        f.index != 3, " local ")), "h.csv", locales=True)
    with pytest.raises(DataContractError) as err:
        apply_store_locales(raw, _stores(), ids, calendar_source="h.csv",
                            stores_source="stores.csv")
    msg = str(err.value)
    assert msg.startswith("h.csv: column 'locale' holds a value other than National, "
                          "Regional or Local"), msg
    assert "(1 row; first at row 5: 'Locale')" in msg, msg  # ' local ' is read as Local
    assert "Fix: write National, Regional" in msg


def test_nothing_to_map_runs_no_store_checks() -> None:
    """Every city holiday with a channel of its own: the stores file maps nothing, so a
    store missing from it is no error (it had been one, with an empty column list)."""
    ids = sorted(_series(20)["series_id"].unique())
    own = _holidays().assign(channel=lambda f: f["locale"].map(
        {"Local": "store_nbr_01"}).astype("string"))
    raw = ft.validate_calendar(own, "h.csv", locales=True)
    cal, notes = apply_store_locales(raw, _stores().iloc[:2], ids, calendar_source="h.csv",
                                     stores_source="stores.csv")
    assert notes == ["stores.csv: not used: every Local or Regional row of h.csv has a "
                     "channel of its own"]
    assert list(cal.loc[cal["name"] == "Fundacion 02", "channel"]) == ["store_nbr_01"]


def test_a_stores_own_row_wins_over_its_mapped_copy() -> None:
    """A city's holiday mapped to store 1 and a row written by hand on store 1 (same name and
    start): the series of store 1 had read it twice."""
    from features._calendar import expand_store_channels

    ids = sorted(_series(20)["series_id"].unique())
    hol = _holidays()
    hand = hol[hol["name"] == "Fundacion 02"].assign(locale="", locale_name="",
                                                     channel="store_nbr_01", intensity=0.5)
    cal = pd.concat([hol.assign(channel=pd.NA), hand], ignore_index=True)
    raw = ft.validate_calendar(cal, "h.csv", locales=True)
    out, notes = apply_store_locales(raw, _stores(), ids, calendar_source="h.csv")
    out, _ = expand_store_channels(out, ids)
    one = out[(out["name"] == "Fundacion 02")
              & (out["channel"] == "store_nbr_01 / GROCERY I")]
    assert list(one["intensity"]) == [0.5]
    assert "'Fundacion 02' (Quito) on 'store_nbr_01'" in " ".join(notes), notes


def test_predict_refuses_only_holidays_learned_on_some_series() -> None:
    """A holiday the model learned on every series (its stores cover them all) is no reason to
    refuse predict without --stores; it had been refused "on 2 of 2 series"."""
    from features._stores import trained_on_some_stores

    raw = ft.validate_calendar(_holidays(), "h.csv", locales=True)
    trained = pd.DataFrame({"name": ["Fundacion 02"] * 2,
                            "channel": ["store_nbr_01 / A", "store_nbr_12 / A"]})
    assert trained_on_some_stores(raw, trained, 2) == []
    assert trained_on_some_stores(raw, trained, 3) == ["'Fundacion 02' (Quito) on 2 of 3 series"]


def test_validate_does_not_say_ok_for_a_calendar_its_stores_check_fails(tmp_path: Path
                                                                        ) -> None:
    """data validate --series --stores said "ok h.csv" and then an error on h.csv's city."""
    _series(20).to_csv(tmp_path / "series.csv", index=False)
    _holidays("Quitto").to_csv(tmp_path / "h.csv", index=False)
    _stores().to_csv(tmp_path / "stores.csv", index=False)
    res = CliRunner().invoke(app, ["data", "validate", "--series", str(tmp_path / "series.csv"),
                                   "--calendar", str(tmp_path / "h.csv"), "--stores",
                                   str(tmp_path / "stores.csv")])
    text = " ".join(res.output.split())
    assert res.exit_code == 2, text
    assert "ok " + str(tmp_path / "h.csv") not in text, text
    assert text.count("names a city no store of stores.csv is in") == 1, text


def test_forecast_check_takes_the_stores_file(tmp_path: Path) -> None:
    """The calendar note names --stores for brain forecast; forecast check lacked it."""
    series = _series(30)
    series.to_csv(tmp_path / "series.csv", index=False)
    _holidays().to_csv(tmp_path / "h.csv", index=False)
    _stores().to_csv(tmp_path / "stores.csv", index=False)
    last = series[series["ds"] >= "2017-01-24"]
    last.assign(p10=last["y"] * 0.9, p50=last["y"], p90=last["y"] * 1.1).drop(
        columns="y").to_csv(tmp_path / "fc.csv", index=False)
    res = CliRunner().invoke(app, ["forecast", "check", "--series", str(tmp_path / "series.csv"),
                                   "--calendar", str(tmp_path / "h.csv"), "--stores",
                                   str(tmp_path / "stores.csv"), "--forecast",
                                   str(tmp_path / "fc.csv")])
    text = " ".join(res.output.split())
    assert res.exit_code == 0, text
    assert "(Quito) on 2 stores" in text, text
