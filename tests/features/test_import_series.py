"""Store-by-day exports into series and calendar: ``store_days_to_series`` and ``brain data
import-series``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import features as ft
from serving import _cli_common
from serving.cli import app

STORES = (1, 2, 10)
STATION = 10  # open on Sundays and holidays, as Rossmann's station stores
REFIT = (pd.Timestamp("2024-06-03"), pd.Timestamp("2024-06-15"))  # store 2 closed, Mon..Sat


@pytest.fixture(autouse=True)
def _fresh_notes() -> None:
    _cli_common._shown_notes.clear()


def _holiday(store: int, day: pd.Timestamp) -> str:
    """Rossmann's StateHoliday: 'a' public, 'c' Christmas; 6 January only in store 1's state."""
    if day in (pd.Timestamp("2024-01-01"), pd.Timestamp("2025-01-01")):
        return "a"
    if day == pd.Timestamp("2024-01-06") and store == 1:
        return "a"
    if day.month == 12 and day.day in (25, 26):
        return "c"
    return "0"


def _export(n_days: int = 420, seed: int = 0) -> pd.DataFrame:
    """A Rossmann-shaped export (Kaggle's columns, date descending): three stores closed on
    Sundays and holidays except the station store, Monday-Friday promotions every other week
    (+30%), store 2 closed for a refit from Monday 3 June to Saturday 15 June 2024."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=n_days, freq="D")
    rows = []
    for k, store in enumerate(STORES):
        for day in days:
            wd = day.day_of_week
            hol = _holiday(store, day)
            promo = int((day.isocalendar().week % 2 == 0) and wd < 5 and hol == "0")
            open_ = int(store == STATION or (wd != 6 and hol == "0"))
            if store == 2 and REFIT[0] <= day <= REFIT[1]:
                open_ = 0
            school = int(day.month == 8)
            sales = 0
            if open_:
                mu = (4000 + 1500 * k) * (1.3 if promo else 1.0) * (1.15 if wd == 0 else 1.0)
                sales = int(mu * np.exp(rng.normal(0, 0.05)))
            rows.append((store, wd + 1, day.strftime("%Y-%m-%d"), sales, sales // 9, open_,
                         promo, hol, school))
    frame = pd.DataFrame(rows, columns=["Store", "DayOfWeek", "Date", "Sales", "Customers",
                                        "Open", "Promo", "StateHoliday", "SchoolHoliday"])
    return frame.sort_values(["Date", "Store"], ascending=[False, True], ignore_index=True)


def _as_read(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as ``read_table`` gives a CSV: every cell text, empty cells missing."""
    return frame.astype(str).replace({"nan": np.nan})


def _events(cal: pd.DataFrame) -> set[tuple[str, str, str, str, str]]:
    return {(r.name, f"{r.start:%Y-%m-%d}", f"{r.end:%Y-%m-%d}", r.kind,
             "" if pd.isna(r.channel) else r.channel) for r in cal.itertuples(index=False)}


def test_flags_become_a_promo_column_and_events_per_store_and_run_of_days() -> None:
    got = ft.store_days_to_series(_as_read(_export()), source="train.csv")
    s = got.series
    assert list(s.columns) == ["series_id", "ds", "y", "promo", "school_holiday"]
    assert sorted(s["series_id"].unique()) == ["store_01", "store_02", "store_10"]
    promo = s.set_index(["series_id", "ds"])["promo"]
    assert promo[("store_01", pd.Timestamp("2024-01-08"))] == 1.0  # ISO week 2: promotion
    assert promo[("store_01", pd.Timestamp("2024-01-15"))] == 0.0  # week 3: none
    assert got.columns["values"] == ["Sales (detected)"]
    assert got.columns["not imported"] == ["DayOfWeek", "Customers"]
    holidays = got.calendar[got.calendar["kind"] == "holiday"]
    stores = ("store_01", "store_02", "store_10")
    assert _events(holidays) == {
        # a national holiday on every store's channel, as a regional one (the forecaster reads
        # an event with an empty channel otherwise)
        *(("Public holiday 2024-01-01", "2024-01-01", "2024-01-01", "holiday", s)
          for s in stores),
        *(("Public holiday 2025-01-01", "2025-01-01", "2025-01-01", "holiday", s)
          for s in stores),
        # a holiday is its day: Christmas Day and Boxing Day are two
        *(("Christmas 2024-12-25", "2024-12-25", "2024-12-25", "holiday", s) for s in stores),
        *(("Christmas 2024-12-26", "2024-12-26", "2024-12-26", "holiday", s) for s in stores),
        # a regional holiday: on the stores that have it
        ("Public holiday 2024-01-06", "2024-01-06", "2024-01-06", "holiday", "store_01"),
    }


def test_other_flags_on_consecutive_days_are_one_event_with_that_window() -> None:
    got = ft.store_days_to_series(_as_read(_export()), known_cols=["Promo"],
                                  event_cols=["StateHoliday", "SchoolHoliday"],
                                  event_kinds={"SchoolHoliday": "school_break"},
                                  event_names={"1": "Summer break"}, source="train.csv")
    assert list(got.series.columns) == ["series_id", "ds", "y", "promo"]
    breaks = got.calendar[got.calendar["kind"] == "school_break"]
    assert _events(breaks) == {("Summer break 2024-08-01", "2024-08-01", "2024-08-31",
                                "school_break", s) for s in ("store_01", "store_02", "store_10")}
    # unmapped values name the event by the column (and the value when it is not 1)
    raw = _as_read(_export(10)).rename(columns={"StateHoliday": "Anlass"})
    got = ft.store_days_to_series(raw, event_cols=["Anlass"], known_cols=[], open_col="Open",
                                  detect=False, source="train.csv")
    assert set(got.calendar["name"]) == {"Anlass a 2024-01-01", "Anlass a 2024-01-06"}
    assert set(got.calendar["kind"]) == {"event"}
    assert list(got.series.columns) == ["series_id", "ds", "y"]


@pytest.mark.parametrize("column", ["Feiertag", "Gesetzlicher Feiertag", "Jour férié",
                                    "Festivo", "Día festivo", "Giorno festivo", "Feestdag",
                                    "Bank holiday"])
def test_a_holiday_column_in_another_language_is_detected_and_of_kind_holiday(
        column: str) -> None:
    """A German export's 'Feiertag' column (Neujahr, Karfreitag, ...) had imported as kind
    'event' (only a name with 'holiday' in it was a holiday) and was not detected; the note
    says which kind each event column got and how to give another."""
    names = {"a": "Neujahr", "c": "Weihnachten"}
    raw = _as_read(_export(10)).rename(columns={"StateHoliday": column})
    raw[column] = raw[column].map(lambda v: names.get(v, ""))
    got = ft.store_days_to_series(raw, source="export.csv")
    assert got.columns["events"] == [f"{column} (detected)"]
    assert set(got.calendar["kind"]) == {"holiday"}
    assert "Neujahr 2024-01-01" in set(got.calendar["name"])  # as written, no column
    note = next(n for n in got.notes if f"column '{column}'" in n and "kind" in n)
    assert "kind 'holiday'" in note
    assert f"--event-kind '{column}=KIND'" in note
    # the kind given wins, without the note
    got = ft.store_days_to_series(raw, event_cols=[column], event_kinds={column: "event"},
                                  source="export.csv")
    assert set(got.calendar["kind"]) == {"event"}
    assert not any(f"column '{column}':" in n for n in got.notes)


def test_an_event_column_named_as_no_holiday_stays_kind_event_and_says_how_to_change_it(
        ) -> None:
    raw = _as_read(_export(10)).rename(columns={"StateHoliday": "Festival"})
    got = ft.store_days_to_series(raw, event_cols=["Festival"], source="export.csv")
    assert set(got.calendar["kind"]) == {"event"}
    note = next(n for n in got.notes if "column 'Festival'" in n)
    assert "kind 'event'" in note
    assert "--event-kind 'Festival=holiday'" in note


def test_closed_runs_outside_weekly_closures_and_holidays_become_closed_events() -> None:
    raw = _export()
    # the refit's rows exported without sales (empty cells), as some tills write closed days
    refit = (raw["Store"] == 2) & (raw["Open"] == 0) & (raw["Date"] >= "2024-06-03") & (
        raw["Date"] <= "2024-06-15")
    raw = _as_read(raw)
    raw.loc[refit, "Sales"] = np.nan
    got = ft.store_days_to_series(raw, source="train.csv")
    closed = got.calendar[got.calendar["kind"] == "closed"]
    # one event from the first to the last closed day of the run (its Sunday inside it); the
    # closed Sundays of stores 1 and 2 and their closed holidays get none
    assert _events(closed) == {("Closed 2024-06-03", "2024-06-03", "2024-06-15", "closed",
                                "store_02")}
    s = got.series.set_index(["series_id", "ds"])["y"]
    assert s[("store_02", pd.Timestamp("2024-06-05"))] == 0.0  # a row at 0, not a gap
    assert s[("store_01", pd.Timestamp("2024-01-07"))] == 0.0  # a closed Sunday
    assert s[("store_10", pd.Timestamp("2024-01-07"))] > 0  # the station store
    assert len(got.series) == len(raw)
    notes = " ".join(got.notes)
    assert "column 'Sales' is empty on 13 closed days" in notes
    assert got.summary["weekly_closures"] == {"Sundays": 2}
    assert got.summary["unexplained_closed_days"] == 12  # 3-15 June less the Sunday 9 June


def test_second_value_column_is_a_metric_prefixed_series_on_the_same_channels() -> None:
    got = ft.store_days_to_series(_as_read(_export(120)), value_cols=["Sales", "Customers"],
                                  event_names={"a": "Neujahr"}, id_prefix="shop-",
                                  source="train.csv")
    ids = set(got.series["series_id"])
    assert ids == {"shop-01", "shop-02", "shop-10", "customers:shop-01", "customers:shop-02",
                   "customers:shop-10"}
    assert "Neujahr 2024-01-06" in set(got.calendar["name"])
    # the store's events reach its customers series too (a metric prefix names no channel)
    cal = ft.normalize_calendar(got.calendar)
    assert ft.applies_to(cal, "customers:shop-01")[cal["name"] == "Neujahr 2024-01-06"].all()
    assert not ft.applies_to(cal, "customers:shop-02")[cal["name"] == "Neujahr 2024-01-06"].any()


def test_cli_import_then_backtest_reads_the_files(tmp_path: Path) -> None:
    src = tmp_path / "train.csv"
    _export().to_csv(src, index=False)
    out = tmp_path / "brain_in"
    runner = CliRunner()
    res = runner.invoke(app, ["data", "import-series", str(src), "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    # the detected columns are printed, and the next commands
    assert "id: Store (detected)" in text
    assert "known in advance: Promo (detected), SchoolHoliday (detected)" in text
    assert "not imported: DayOfWeek, Customers" in text
    assert "2 stores closed on Sundays as a rule" in text
    assert f"brain forecast backtest --series {out / 'series.csv'}" in text
    assert (out / "series.csv").read_text().startswith(
        "series_id,ds,y,promo,school_holiday\nstore_01,2024-01-01,0,0,0\n")
    res = runner.invoke(app, ["data", "validate", "--series", str(out / "series.csv"),
                              "--calendar", str(out / "calendar.csv")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["forecast", "backtest", "--series", str(out / "series.csv"),
                              "--calendar", str(out / "calendar.csv"), "--horizon", "14",
                              "--folds", "2"])
    assert res.exit_code == 0, res.output
    assert "mase" in res.output
    # the export is never overwritten
    res = runner.invoke(app, ["data", "import-series", str(out / "series.csv"), "--out",
                              str(out), "--id-col", "series_id", "--date-col", "ds"])
    assert res.exit_code == 2
    assert "would replace the export itself" in res.output


def test_errors_name_the_file_column_rows_and_fix() -> None:
    raw = _as_read(_export(30))
    with pytest.raises(ft.DataContractError) as err:
        ft.store_days_to_series(raw, id_col="store", event_cols=["State Holiday"],
                                source="train.csv")
    msg = str(err.value)
    assert "column 'store' is not in the file (named as the id)" in msg
    assert "did you mean 'Store'?" in msg
    assert "did you mean 'StateHoliday'?" in msg

    bad = raw.copy()
    bad.loc[4, "Date"] = "31.02.2024"
    bad.loc[7, "Sales"] = "n.a."
    bad.loc[8, "Promo"] = "yes please"
    bad.loc[9, "Open"] = "?"
    bad.loc[10, "Sales"] = np.nan  # an open day without sales
    with pytest.raises(ft.DataContractError) as err:
        ft.store_days_to_series(bad, source="train.csv")
    msg = str(err.value)
    assert "train.csv: column 'Date' has values that are not timestamps" in msg
    assert "row 5: '31.02.2024'" in msg
    assert "column 'Sales' has values that are not numbers (1 row; first at row 8: 'n.a.')" in msg
    assert ("column 'Promo' has values that are not numbers (0/1 flags) (1 row; first at row "
            "9: 'yes please')") in msg
    assert ("column 'Open' has values that are not numbers (0/1 flags) (1 row; first at row "
            "10: '?'). Fix: write 1 for open days and 0 for closed ones") in msg
    assert ("column 'Sales' has missing values on open days (1 row; first at row 11). Fix: "
            "fill them in, or remove those rows") in msg

    dup = pd.concat([raw, raw.iloc[[3]].assign(Sales="1")], ignore_index=True)
    with pytest.raises(ft.DataContractError, match=r"column 'Store\+Date' has duplicate keys "
                                                   r"\(2 rows; first at row 4: '\(store_01, "
                                                   r"2024-01-29\)'.*one row per store and day"):
        ft.store_days_to_series(dup, source="train.csv")

    with pytest.raises(ft.DataContractError, match=r"no column detected as the value to "
                                                   r"forecast .*name it with --value-col"):
        ft.store_days_to_series(raw.rename(columns={"Sales": "Amount"}), source="train.csv")


def test_a_header_without_rows_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    """It had written an empty series.csv, then stopped with 'NaTType does not support
    strftime'."""
    src = tmp_path / "train.csv"
    _export().iloc[:0].to_csv(src, index=False)
    out = tmp_path / "brain_in"
    res = CliRunner().invoke(app, ["data", "import-series", str(src), "--out", str(out)])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "train.csv: file has no rows: only a header" in text
    assert "export the store days again" in text
    assert not (out / "series.csv").exists()


def test_a_closure_of_weeks_is_a_closed_event_not_a_weekly_closure() -> None:
    """A 5-week refurbishment in an 8-week export had made every weekday a 'weekly closure'
    of the store (closed on 5 of its 8 Mondays, ...) and got no event; the other store's
    Sundays stay its weekly closure."""
    days = pd.date_range("2024-01-01", periods=56)
    raw = pd.DataFrame({"Store": np.repeat([1, 2], 56),
                        "Date": np.tile(days.strftime("%Y-%m-%d"), 2), "Sales": 100.0,
                        "Open": 1, "Promo": 0, "StateHoliday": "0"})
    ds = pd.to_datetime(raw["Date"])
    shut = (raw["Store"] == 2) & (ds >= "2024-01-15") & (ds < "2024-02-19")
    sundays = (raw["Store"] == 1) & (ds.dt.day_of_week == 6)
    raw.loc[shut | sundays, ["Open", "Sales"]] = [0, 0.0]
    got = ft.store_days_to_series(raw, source="train.csv")
    assert got.summary["weekly_closures"] == {"Sundays": 1}
    assert got.summary["weekly_closed_days"] == 8
    closed = got.calendar[got.calendar["kind"] == "closed"]
    assert closed[["channel", "start", "end"]].astype(str).values.tolist() == [
        ["store_2", "2024-01-15", "2024-02-18"]]


def test_dates_with_utc_offsets_are_the_days_written_and_times_of_day_are_refused() -> None:
    """Local midnights with offsets (+01:00 and +02:00 across a clock change, 'Z', some
    without) had been refused as 'holds times of day'; they are the stores' days as written.
    Midnights written in UTC need --tz; hourly rows are refused with the fix."""
    raw = _as_read(_export(100)).sort_values(["Store", "Date"], ignore_index=True)
    plain = ft.store_days_to_series(raw, source="train.csv")
    zoned = raw.copy()
    day = pd.to_datetime(zoned["Date"])
    summer = (day >= "2024-03-31") & (day < "2024-10-27")
    zoned["Date"] = zoned["Date"] + "T00:00:00" + np.where(summer, "+02:00", "+01:00")
    zoned.loc[zoned["Store"] == "10", "Date"] = raw["Date"]  # one store without offsets
    zoned.loc[5, "Date"] = raw.loc[5, "Date"] + "T00:00:00Z"
    got = ft.store_days_to_series(zoned, source="train.csv")
    pd.testing.assert_frame_equal(got.series, plain.series)
    pd.testing.assert_frame_equal(got.calendar, plain.calendar)
    assert any("holds 200 dates with UTC offsets (+01:00, +02:00, Z): each is read as the day "
               "written" in n for n in got.notes)

    # local midnights written in UTC: 23:00 / 22:00 the day before
    utc = raw.copy()
    local = pd.to_datetime(raw["Date"]).dt.tz_localize("Europe/Berlin")
    utc["Date"] = local.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(ft.DataContractError) as err:
        ft.store_days_to_series(utc, source="train.csv")
    msg = str(err.value)
    assert ("train.csv: column 'Date' holds times of day (22:00 / 23:00), not midnights: "
            "import-series reads one row per store and day (300 rows; first at row 1: "
            "'2023-12-31T23:00:00Z'") in msg
    assert "Fix: pass --tz with the stores' time zone (e.g. --tz Europe/Berlin)" in msg
    berlin = ft.store_days_to_series(utc, tz="Europe/Berlin", source="train.csv")
    pd.testing.assert_frame_equal(berlin.series, plain.series)
    with pytest.raises(ft.DataContractError, match="check that Asia/Tokyo is the stores'"):
        ft.store_days_to_series(utc, tz="Asia/Tokyo", source="train.csv")
    with pytest.raises(ValueError, match="Did you mean 'Europe/Berlin'"):
        ft.store_days_to_series(utc, tz="Europe/Berlinn", source="train.csv")

    hourly = raw.iloc[:4].copy()
    hourly["Store"] = "1"
    hourly["Date"] = [f"2024-05-02T{h:02d}:00:00+02:00" for h in (9, 10, 11, 12)]
    with pytest.raises(ft.DataContractError) as err:
        ft.store_days_to_series(hourly, source="hours.csv")
    msg = str(err.value)
    assert "column 'Date' holds times of day (09:00, 10:00, 11:00, ...)" in msg
    assert ("for an hourly forecast write the series file (series_id, ds, y) directly and pass "
            "--tz with the stores' zone") in msg


def test_day_first_dates_with_dashes_are_not_read_as_utc_offsets() -> None:
    """'31-07-2015' ends in '-2015', which the offset rule had taken for a UTC offset: the
    column was refused quoting '31-07' (not in the file); in import-orders and the events and
    calendar readers the same dates were 'not timestamps'. An offset follows a time of day."""
    days = pd.date_range("2015-01-01", periods=40)
    raw = pd.DataFrame({"Store": [1] * 40, "Date": days.strftime("%d-%m-%Y"),
                        "Sales": np.arange(40.0), "Open": 1})
    got = ft.store_days_to_series(raw, source="train.csv")
    assert got.series["ds"].min() == days[0]
    assert got.series["ds"].max() == days[-1]
    orders = pd.DataFrame({"Invoice": ["1", "2"], "Customer ID": [1, 2], "Amount": [5.0, 6.0],
                           "InvoiceDate": ["31-07-2015 10:00", "01-08-2015 09:30"]})
    ev = ft.orders_to_events(orders, customer="Customer ID", time="InvoiceDate",
                             order="Invoice", amount="Amount")
    assert sorted(ev["ts"]) == [pd.Timestamp("2015-07-31 10:00"), pd.Timestamp("2015-08-01 09:30")]


@pytest.mark.parametrize("column", ["Filiale", "FilialNr", "Filial-Nr.", "Markt", "Standort",
                                    "Magasin", "Winkel", "Tienda", "Negozio", "Punto vendita",
                                    "Store ID", "store_nbr"])
def test_a_store_column_in_another_language_is_the_series_id_with_a_note(column: str) -> None:
    """A German export's 'Filiale' column (and 'Markt', French 'magasin', Dutch 'winkel', ...)
    had stopped the import with 'no column detected as the store (series) id'; the note names
    the column taken and how to give another."""
    raw = _as_read(_export(10)).rename(columns={"Store": column})
    got = ft.store_days_to_series(raw, source="export.csv")
    assert got.columns["id"] == [f"{column} (detected)"]
    assert got.summary["stores"] == len(STORES)
    note = next(n for n in got.notes if "store (series) id" in n)
    assert note.startswith(f"export.csv: column '{column}' is read as the store (series) id")
    assert "--id-col COLUMN" in note
    # given with --id-col: no note
    got = ft.store_days_to_series(raw, id_col=column, source="export.csv")
    assert not any("store (series) id" in n for n in got.notes)


def test_no_store_column_names_the_words_read_in_every_language() -> None:
    raw = _as_read(_export(10)).rename(columns={"Store": "Kasse"})
    with pytest.raises(ft.DataContractError) as err:
        ft.store_days_to_series(raw, source="export.csv")
    text = str(err.value)
    assert "filiale" in text
    assert "magasin" in text
    assert "--id-col" in text


def test_holiday_names_are_the_values_as_written_codes_keep_their_column() -> None:
    """A 'Feiertag' column's values had named events 'Feiertag Neujahr 2024-01-01' (the
    column before each name, in peaks.csv too); a name written in two event columns keeps its
    column so the two stay apart; a code ('a') and a mark ('ja') are named by the column."""
    raw = _as_read(_export(10)).rename(columns={"StateHoliday": "Feiertag"})
    raw["Feiertag"] = raw["Feiertag"].map({"a": "Neujahr", "0": ""})
    raw["Aktion"] = np.where(raw["Date"] == "2024-01-03", "Neujahr", "")
    raw["Markiert"] = np.where(raw["Date"] == "2024-01-04", "ja", "")
    got = ft.store_days_to_series(raw, event_cols=["Feiertag", "Aktion", "Markiert"],
                                  source="export.csv")
    names = set(got.calendar["name"])
    assert names == {"Feiertag Neujahr 2024-01-01", "Feiertag Neujahr 2024-01-06",
                     "Aktion Neujahr 2024-01-03", "Markiert 2024-01-04"}
    raw = raw.drop(columns=["Aktion", "Markiert"])
    got = ft.store_days_to_series(raw, source="export.csv")
    assert set(got.calendar["name"]) == {"Neujahr 2024-01-01", "Neujahr 2024-01-06"}



def test_yes_and_no_in_other_languages_mark_an_event_or_none() -> None:
    """A flag column of 'ja' / 'nein' (German): 'nein' had been an event named 'nein'."""
    raw = _as_read(_export(10)).rename(columns={"StateHoliday": "Feiertag"})
    raw["Feiertag"] = np.where(raw["Date"] == "2024-01-01", "ja", "nein")
    got = ft.store_days_to_series(raw, event_cols=["Feiertag"], source="export.csv")
    assert set(got.calendar["name"]) == {"Feiertag 2024-01-01"}
