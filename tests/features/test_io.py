"""Data contracts: each defined behaviour for messy input, with the error text users will see."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import features as ft

GOOD = """user_id,ts,event_type,channel,revenue,category
1,2024-01-01 10:00:00,visit,email,,books
1,2024-01-01 10:05:00,purchase,email,20.5,books
2,2024-01-02 09:00:00,Visit ,organic,,kids
"""


def write(tmp_path: Path, text: str, name: str = "events.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_good_csv_and_parquet_load_the_same(tmp_path: Path) -> None:
    a = ft.load_events(write(tmp_path, GOOD))
    a.to_parquet(tmp_path / "events.parquet")
    b = ft.load_events(tmp_path / "events.parquet")
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_categorical=False)
    assert list(a["event_type"].astype(str)) == ["visit", "purchase", "visit"]
    assert a["revenue"].tolist() == [0.0, 20.5, 0.0]


def test_missing_column_names_the_column_and_suggests_the_rename(tmp_path: Path) -> None:
    text = GOOD.replace("ts,", "TS,", 1)
    with pytest.raises(ft.DataContractError, match=r"events.csv: column 'ts' is required but "
                       r"missing\. Fix: rename column 'TS' to 'ts'"):
        ft.load_events(write(tmp_path, text))


def test_export_column_names_get_their_renames(tmp_path: Path) -> None:
    header = "user_id,ts,event_type,channel,revenue,category"
    text = GOOD.replace(header, "CustomerID,Event Time,Type,Channel,Amount,category", 1)
    with pytest.raises(ft.DataContractError) as info:
        ft.load_events(write(tmp_path, text))
    msg = str(info.value)
    for old, new in (("CustomerID", "user_id"), ("Event Time", "ts"), ("Type", "event_type"),
                     ("Channel", "channel"), ("Amount", "revenue")):
        assert f"rename column '{old}' to '{new}'" in msg
    assert "frame.rename(columns={'CustomerID': 'user_id', 'Event Time': 'ts'" in msg
    assert "import-orders" not in msg  # 'Type' holds event types: an event log, renamed


def test_a_column_of_event_types_is_found_by_its_values(tmp_path: Path) -> None:
    text = GOOD.replace("event_type", "what_happened", 1)
    with pytest.raises(ft.DataContractError, match="rename column 'what_happened' to "
                       "'event_type'"):
        ft.load_events(write(tmp_path, text))


def test_bad_timestamps_report_count_rows_and_examples(tmp_path: Path) -> None:
    text = GOOD + "3,abc,visit,email,,books\n3,,visit,email,,books\n4,2024-13-45,visit,email,,\n"
    with pytest.raises(ft.DataContractError) as info:
        ft.load_events(write(tmp_path, text))
    msg = str(info.value)
    assert "column 'ts' has values that are not timestamps (2 rows; first at row 4: 'abc', " \
           "6: '2024-13-45')" in msg
    assert "column 'ts' has missing values (1 row; first at row 5)" in msg


def test_unknown_event_types_are_an_error_unless_allowed(tmp_path: Path) -> None:
    p = write(tmp_path, GOOD + "2,2024-01-03,wishlist,email,,kids\n")
    with pytest.raises(ft.DataContractError, match=r"unknown event types \['wishlist'\] \(1 row; "
                                                    r"first at row 4: 'wishlist'\)"):
        ft.load_events(p)
    ev = ft.load_events(p, extra_event_types=("wishlist",))
    assert "wishlist" in set(ev["event_type"].astype(str))


def test_negative_revenue_is_an_error_outside_refunds(tmp_path: Path) -> None:
    with pytest.raises(ft.DataContractError, match="negative outside refund rows"):
        ft.load_events(write(tmp_path, GOOD + "2,2024-01-03,purchase,email,-5,kids\n"))
    ev = ft.load_events(write(tmp_path, GOOD + "2,2024-01-03,refund,email,5,kids\n"))
    assert ev["revenue"].iloc[-1] == -5.0
    assert any("refund rows had positive revenue" in n for n in ev.attrs["load_notes"])


def test_purchase_without_revenue_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ft.DataContractError, match="revenue' is missing on purchase rows"):
        ft.load_events(write(tmp_path, GOOD + "2,2024-01-03,purchase,email,,kids\n"))


def test_revenue_on_a_visit_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ft.DataContractError, match="non-zero on rows that are not purchases"):
        ft.load_events(write(tmp_path, GOOD + "2,2024-01-03,visit,email,3,kids\n"))


def test_exact_duplicates_are_dropped_and_reported_or_rejected(tmp_path: Path) -> None:
    p = write(tmp_path, GOOD + GOOD.splitlines()[2] + "\n")
    ev = ft.load_events(p)
    assert len(ev) == 3
    assert any("dropped 1 exact duplicate rows" in n for n in ev.attrs["load_notes"])
    assert len(ft.load_events(p, on_duplicate="keep")) == 4
    with pytest.raises(ft.DataContractError, match="exact duplicate rows"):
        ft.load_events(p, on_duplicate="error")


def test_unsorted_timestamps_are_sorted_and_reported(tmp_path: Path) -> None:
    lines = GOOD.splitlines()
    ev = ft.load_events(write(tmp_path, "\n".join([lines[0], lines[3], lines[1], lines[2]])))
    assert ev["ts"].is_monotonic_increasing
    assert any("not sorted" in n for n in ev.attrs["load_notes"])


def test_offsets_are_converted_to_the_business_time_zone(tmp_path: Path) -> None:
    text = ("user_id,ts,event_type,channel,revenue\n"
            "1,2024-11-10T23:30:00+08:00,visit,email,\n1,2024-11-10T16:00:00Z,visit,email,\n")
    utc = ft.load_events(write(tmp_path, text))
    assert utc["ts"].tolist() == [pd.Timestamp("2024-11-10 15:30"),
                                  pd.Timestamp("2024-11-10 16:00")]
    shanghai = ft.load_events(write(tmp_path, text), tz="Asia/Shanghai")
    assert shanghai["ts"].iloc[0] == pd.Timestamp("2024-11-10 23:30")
    assert shanghai["ts"].dt.tz is None


def test_offsets_read_in_utc_that_move_events_to_another_day_are_noted(tmp_path: Path) -> None:
    # a web log written with Berlin offsets across the October clock change, read without --tz:
    # a visit at 00:30 local is 22:30 / 23:30 UTC the day before (it had been so in silence)
    text = ("user_id,ts,event_type,channel,revenue\n"
            "1,2024-10-26T00:30:00+02:00,visit,email,\n"
            "2,2024-10-26T12:00:00+02:00,visit,email,\n"
            "3,2024-10-28T00:30:00+01:00,visit,email,\n"
            "4,2024-10-28T12:00:00+01:00,visit,email,\n")
    utc = ft.load_events(write(tmp_path, text))
    assert utc["ts"].dt.day.tolist() == [25, 26, 27, 28]
    notes = [n for n in utc.attrs["load_notes"] if "on another day" in n]
    assert len(notes) == 1
    assert ("column 'ts' holds times with UTC offsets (+02:00, +01:00) and no --tz was given: "
            "they are converted to UTC, which puts 2 rows (50.0%) on another day than the one "
            "written (first at row 1: '2024-10-26T00:30:00+02:00'). Pass --tz") in notes[0]
    berlin = ft.load_events(write(tmp_path, text), tz="Europe/Berlin")
    assert berlin["ts"].dt.day.tolist() == [26, 26, 28, 28]
    assert not [n for n in berlin.attrs["load_notes"] if "on another day" in n]
    midday = "\n".join(r for r in text.splitlines() if "T00:30" not in r) + "\n"
    assert not [n for n in ft.load_events(write(tmp_path, midday)).attrs["load_notes"]
                if "on another day" in n]


def test_the_midnight_note_reads_every_form_of_offset() -> None:
    """``utc_day_note`` reads the offset from the value's last characters (no second parse of
    the times since 2026-12-07): '+01:00', '-0300', '+05:30', 'Z', '-00:00', a missing value and
    a time without an offset each count as before."""
    from features._times import utc_day_note

    raw = pd.Series(["2025-03-02T00:30:00+01:00", "2025-03-02T10:00:00Z",
                     "2025-03-01 23:30:00 -0300", None, "2025-03-01 10:00",
                     "2025-03-01T23:59:00-00:00", "2025-06-01T04:00:00+05:30",
                     "2025-06-01T02:00:00+05:30"], dtype=object)
    ts = pd.to_datetime(raw, utc=True, format="ISO8601").dt.tz_localize(None)
    note = utc_day_note(raw, ts, "ts", "UTC")
    assert note is not None
    assert note.startswith("column 'ts' holds times with UTC offsets (+05:30, +01:00, -0300) "
                           "and no --tz was given: they are converted to UTC, which puts 4 rows "
                           "(50.0%) on another day than the one written (first at row 1: "
                           "'2025-03-02T00:30:00+01:00')")
    assert utc_day_note(raw.iloc[[1, 3, 4, 5]], ts.iloc[[1, 3, 4, 5]], "ts", "UTC") is None
    assert utc_day_note(raw, ts, "ts", "Europe/Berlin") is None


def test_day_first_dates_are_not_read_as_times_with_an_offset(tmp_path: Path) -> None:
    """An events file of day-first dates ('01-03-2025') had been told it "holds times with UTC
    offsets (-2025)" that put every row on another day: the year read as an offset."""
    text = ("user_id,ts,event_type,channel,revenue\n"
            "1,01-03-2025,visit,email,\n"
            "2,15-03-2025,visit,email,\n")
    frame = ft.load_events(write(tmp_path, text))
    assert frame["ts"].tolist() == [pd.Timestamp("2025-03-01"), pd.Timestamp("2025-03-15")]
    assert not [n for n in frame.attrs["load_notes"] if "UTC offsets" in n]


def test_mixing_offsets_and_naive_times_is_an_error(tmp_path: Path) -> None:
    text = ("user_id,ts,event_type,channel,revenue\n"
            "1,2024-11-10T23:30:00+08:00,visit,email,\n1,2024-11-10 16:00:00,visit,email,\n")
    with pytest.raises(ft.DataContractError, match="mixes times with and without UTC offsets"):
        ft.load_events(write(tmp_path, text))


def test_mixed_offsets_name_the_fewer_kind_of_row(tmp_path: Path) -> None:
    naive = [f"1,2024-11-{d:02d} 10:00:00,visit,email," for d in range(1, 21)]
    stray = naive.copy()
    stray[14] = "1,2024-11-15T10:00:00+01:00,visit,email,"
    with pytest.raises(ft.DataContractError) as err:
        ft.load_events(write(tmp_path, "user_id,ts,event_type,channel,revenue\n"
                             + "\n".join(stray) + "\n"))
    assert "offsets; 19 rows have none, these have one (1 row; first at row 15: " in str(err.value)
    zoned = [r.replace(" 10:00:00", "T10:00:00+01:00") for r in naive]
    zoned[3] = naive[3]
    with pytest.raises(ft.DataContractError) as err:
        ft.load_events(write(tmp_path, "user_id,ts,event_type,channel,revenue\n"
                             + "\n".join(zoned) + "\n"))
    assert "offsets; 19 rows have one, these have none (1 row; first at row 4: " in str(err.value)


def test_a_value_that_is_no_time_among_times_with_offsets_is_named_as_such(
        tmp_path: Path) -> None:
    """An independent check's order lines with '2024-08-20T22:40:47+02:00' times and one 'not a
    date' cell were told the column "mixes times with and without UTC offsets", with the fix
    to give every value an offset: the cell is no time at all."""
    zoned = [f"1,2024-11-{d:02d}T10:00:00+01:00,visit,email," for d in range(1, 21)]
    zoned[5] = "1,not a date,visit,email,"
    with pytest.raises(ft.DataContractError) as err:
        ft.load_events(write(tmp_path, "user_id,ts,event_type,channel,revenue\n"
                             + "\n".join(zoned) + "\n"))
    text = str(err.value)
    assert ("column 'ts' has values that are not timestamps (1 row; first at row 6: "
            "'not a date')") in text
    assert "offsets" not in text


def test_tz_aware_parquet_is_converted(tmp_path: Path) -> None:
    df = pd.DataFrame({"user_id": [1], "ts": pd.to_datetime(["2024-01-01 12:00"]).tz_localize(
        "Europe/Berlin"), "event_type": ["visit"], "channel": ["email"], "revenue": [0.0]})
    df.to_parquet(tmp_path / "e.parquet")
    assert ft.load_events(tmp_path / "e.parquet")["ts"].iloc[0] == pd.Timestamp("2024-01-01 11:00")


def test_calendar_rules(tmp_path: Path) -> None:
    ok = ft.load_calendar(write(tmp_path, "name,start,end,kind\nD11,2024-11-11,2024-11-11,Sale\n",
                                "cal.csv"))
    assert ok["intensity"].iloc[0] == 1.0
    assert ok["kind"].iloc[0] == "sale"
    bad = ("name,start,end,kind,intensity\nA,2024-11-11,2024-11-01,sale,0.5\n"
           "B,2024-12-01,2024-12-02,sale,-1\nB,2024-12-01,2024-12-03,sale,0.1\n")
    with pytest.raises(ft.DataContractError) as info:
        ft.load_calendar(write(tmp_path, bad, "cal.csv"))
    msg = str(info.value)
    assert "cal.csv: 3 data contract problems" in msg
    assert ("column 'end' is before start (1 row; first at row 1: '2024-11-01 (start "
            "2024-11-11)')") in msg
    assert "column 'intensity' is negative" in msg
    assert "has duplicate keys (2 rows" in msg
    with pytest.raises(ft.DataContractError, match="column 'intensity' is infinite"):
        ft.load_calendar(write(tmp_path, "name,start,end,kind,intensity\n"
                               "A,2024-11-11,2024-11-11,sale,inf\n", "c.csv"))


def test_spend_duplicates_and_negatives(tmp_path: Path) -> None:
    text = "date,channel,spend\n2024-01-01,email,10\n2024-01-01,email,5\n2024-01-02,social,-3\n"
    with pytest.raises(ft.DataContractError) as info:
        ft.load_spend(write(tmp_path, text, "spend.csv"))
    assert "spend.csv" in str(info.value)
    assert "sum the rows" in str(info.value)
    assert "'spend' is negative" in str(info.value)


def test_series_contract(tmp_path: Path) -> None:
    s = ft.load_series(write(tmp_path, "ds,y,promo\n2024-01-02,5,0\n2024-01-01,3,1\n", "s.csv"))
    assert s["series_id"].unique().tolist() == ["total"]
    assert s["ds"].is_monotonic_increasing
    assert s["promo"].dtype == float
    with pytest.raises(ft.DataContractError, match="has duplicate keys"):
        ft.load_series(write(tmp_path, "series_id,ds,y\na,2024-01-01,1\na,2024-01-01,2\n", "s.csv"))
    with pytest.raises(ft.DataContractError, match="'y' has values that are not numbers"):
        ft.load_series(write(tmp_path, "series_id,ds,y\na,2024-01-01,many\n", "s.csv"))


def test_unreadable_inputs(tmp_path: Path) -> None:
    with pytest.raises(ft.DataContractError, match="does not exist"):
        ft.load_events(tmp_path / "nope.csv")
    with pytest.raises(ft.DataContractError, match="unsupported extension"):
        ft.load_events(write(tmp_path, GOOD, "events.xlsx"))


def test_string_user_ids_stay_strings(tmp_path: Path) -> None:
    ev = ft.load_events(write(tmp_path, GOOD.replace("\n1,", "\nu-1,")))
    assert set(ev["user_id"]) == {"u-1", 2} or ev["user_id"].dtype == "string"


def test_day_first_dates_are_read_with_one_format_for_the_whole_column(tmp_path: Path) -> None:
    text = ("user_id,ts,event_type,channel,revenue\n1,03/04/2024 10:00,visit,email,\n"
            "2,21/04/2024 11:30,visit,email,\n")
    ev = ft.load_events(write(tmp_path, text))
    assert list(ev["ts"]) == [pd.Timestamp("2024-04-03 10:00"), pd.Timestamp("2024-04-21 11:30")]
    ambiguous = "user_id,ts,event_type,channel,revenue\n1,03/04/2024,visit,email,\n" \
                "2,05/06/2024,visit,email,\n"
    with pytest.raises(ft.DataContractError, match=r"day/month order is ambiguous.*ISO 8601"):
        ft.load_events(write(tmp_path, ambiguous, "amb.csv"))



def test_month_name_dates_such_as_oracles_dd_mon_yy_are_read(tmp_path: Path) -> None:
    text = ("user_id,ts,event_type,channel,revenue\n1,01-JAN-23,visit,email,\n"
            "2,15-feb-23,visit,email,\n3,31-DEC-24,visit,email,\n")
    ev = ft.load_events(write(tmp_path, text))
    assert sorted(ev["ts"]) == [pd.Timestamp("2023-01-01"), pd.Timestamp("2023-02-15"),
                                pd.Timestamp("2024-12-31")]
    assert not [n for n in ev.attrs["load_notes"] if "future" in n]
    old = text.replace("31-DEC-24", "28-FEB-68")  # Python's pivot: 2068, not 1968
    notes = ft.load_events(write(tmp_path, old, "old.csv")).attrs["load_notes"]
    assert any("1 events are dated in the future (first at row 3; earliest 2068-02-28)" in n
               for n in notes), notes


def test_future_note_counts_the_files_data_rows_after_duplicates_were_dropped(
        tmp_path: Path) -> None:
    text = ("user_id,ts,event_type,channel,revenue\n1,2023-01-01,visit,email,\n"
            "1,2023-01-01,visit,email,\n2,2023-02-15,visit,email,\n3,2068-02-28,visit,email,\n")
    notes = ft.load_events(write(tmp_path, text)).attrs["load_notes"]
    assert any("dropped 1 exact duplicate rows (first at row 2)" in n for n in notes), notes
    assert any("1 events are dated in the future (first at row 4;" in n for n in notes), notes

def test_a_misspelt_time_zone_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown time zone 'Europe/Berln'.*'Europe/Berlin'"):
        ft.load_events(write(tmp_path, GOOD), tz="Europe/Berln")


def test_bad_cells_in_a_non_iso_column_are_named_not_every_row(tmp_path: Path) -> None:
    rows = [f"{i},12/{1 + i % 28}/2009 7:00,visit,email," for i in range(40)]
    rows[10] = "10,13/45/2011 8:00,visit,email,"
    rows[20] = "20,yesterday,visit,email,"
    rows[30] = "30,2011-02-30 10:00,visit,email,"
    text = "user_id,ts,event_type,channel,revenue\n" + "\n".join(rows) + "\n"
    with pytest.raises(ft.DataContractError) as info:
        ft.load_events(write(tmp_path, text))
    assert str(info.value) == (
        "events.csv: column 'ts' has values that are not timestamps in the format most rows "
        "follow (%m/%d/%Y %H:%M) (3 rows; first at row 11: '13/45/2011 8:00', 21: 'yesterday', "
        "31: '2011-02-30 10:00'). Fix: use ISO 8601, e.g. 2024-11-11 20:15:00")


def test_integral_float_ids_read_back_as_integers(tmp_path: Path) -> None:
    text = GOOD.replace("\n1,", "\n1.0,").replace("\n2,", "\n2.0,")
    ev = ft.load_events(write(tmp_path, text))
    assert ev["user_id"].dtype == "int64"
    assert set(ev["user_id"]) == {1, 2}
    with_gaps = ft.validate_events(pd.DataFrame({
        "user_id": [16270.0, 16270.0], "ts": ["2024-01-01", "2024-01-02"],
        "event_type": ["purchase", "purchase"], "channel": ["store", "store"],
        "revenue": [1.0, 2.0], "order_id": [489623.0, None]}))
    assert with_gaps["user_id"].tolist() == [16270, 16270]
    assert with_gaps["order_id"].tolist()[0] == "489623"  # not '489623.0'


def test_series_with_unreadable_dates_gets_one_error_not_a_duplicate_one_too() -> None:
    df = pd.DataFrame({"series_id": ["a", "a", "b", "b"],
                       "ds": ["01.02.24", "02.02.24", "01.02.24", "02.02.24"], "y": [1, 2, 3, 4]})
    with pytest.raises(ft.DataContractError) as err:
        ft.validate_series(df, "s.csv")
    assert "not timestamps" in str(err.value)
    assert "duplicate" not in str(err.value)


def _berlin_hours(start: str, end: str) -> pd.Series:
    """Hourly times written in Berlin local time with their UTC offsets."""
    utc = pd.date_range(start, end, freq="h", tz="UTC")
    return pd.Series(utc.tz_convert("Europe/Berlin").strftime("%Y-%m-%dT%H:%M:%S%z"))


def test_hourly_series_in_a_zone_read_in_local_time_with_the_repeated_hour_averaged() -> None:
    ds = _berlin_hours("2024-10-26 20:00", "2024-10-27 06:00")  # clocks go back at 03:00
    df = pd.DataFrame({"series_id": "zone", "ds": ds, "y": [float(i) for i in range(len(ds))]})
    twice = ds.str.startswith("2024-10-27T02:00").to_numpy()
    assert twice.sum() == 2
    out = ft.validate_series(df, "s.csv", tz="Europe/Berlin")
    assert out["ds"].is_unique
    assert len(out) == len(df) - 1
    assert out["ds"].iloc[0] == pd.Timestamp("2024-10-26 22:00")  # local, not UTC
    two = out.set_index("ds").loc[pd.Timestamp("2024-10-27 02:00"), "y"]
    assert two == pytest.approx(df.loc[twice, "y"].mean())  # the two 02:00 hours, averaged
    assert any("hour repeated when clocks go back" in n for n in out.attrs["load_notes"])
    # read in UTC, the same file has one row per hour
    assert ft.validate_series(df, "s.csv")["ds"].is_unique
    # naive local times with the repeated hour need the zone, and the error says so
    naive = pd.DataFrame({"series_id": "zone", "y": 1.0, "ds": pd.to_datetime(
        ["2024-10-27 01:00", "2024-10-27 02:00", "2024-10-27 02:00", "2024-10-27 03:00"])})
    with pytest.raises(ft.DataContractError, match="pass --tz with the zone"):
        ft.validate_series(naive, "s.csv")
    assert len(ft.validate_series(naive, "s.csv", tz="Europe/Berlin")) == 3


def test_hourly_series_from_events_read_in_a_zone_undo_the_clock_changes() -> None:
    """Events bucketed by local hour: the autumn hour holds two real hours (halved) and the
    spring hour never happened (a gap, not a closed hour at 0)."""
    from features._traffic import local_hours, traffic_series

    utc = pd.date_range("2024-03-30 20:00", "2024-03-31 04:00", freq="15min", tz="UTC").append(
        pd.date_range("2024-10-26 22:00", "2024-10-27 04:00", freq="15min", tz="UTC"))
    ev = ft.validate_events(pd.DataFrame({
        "user_id": [i % 7 for i in range(len(utc))], "ts": utc.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "event_type": "visit", "channel": "web", "revenue": float("nan")}), "e.csv",
        tz="Europe/Berlin")
    raw = traffic_series(ev, "h", by_channel=False).set_index("ds")["y"]
    assert raw[pd.Timestamp("2024-10-27 02:00")] == 8.0  # two real hours under one label
    assert raw[pd.Timestamp("2024-03-31 02:00")] == 0.0  # an hour that never happened
    out = local_hours(traffic_series(ev, "h", by_channel=False), "Europe/Berlin")
    y = out.set_index("ds")["y"]
    assert y[pd.Timestamp("2024-10-27 02:00")] == 4.0
    assert pd.Timestamp("2024-03-31 02:00") not in y.index
    assert y[pd.Timestamp("2024-03-31 03:00")] == 4.0
    assert sum("clocks go" in n for n in out.attrs["load_notes"]) == 2


def test_daily_rows_with_offsets_off_midnight_in_utc_are_an_error_naming_the_fix() -> None:
    local = pd.date_range("2024-03-20", "2024-04-05", freq="D", tz="Europe/Berlin")
    df = pd.DataFrame({"series_id": "store", "ds": local.strftime("%Y-%m-%dT%H:%M:%S%z"),
                       "y": 10.0})
    with pytest.raises(ft.DataContractError, match="--tz with the zone the file was written in"):
        ft.validate_series(df, "daily.csv")
    out = ft.validate_series(df, "daily.csv", tz="Europe/Berlin")
    assert (out["ds"] == out["ds"].dt.normalize()).all()
    assert out["ds"].diff().dropna().eq(pd.Timedelta(days=1)).all()


def test_series_text_column_error_says_to_drop_it_when_not_known_in_advance() -> None:
    df = pd.DataFrame({"series_id": "a", "ds": pd.date_range("2024-01-01", periods=3),
                       "y": [1.0, 2.0, 3.0], "store_name": ["x", "x", "x"]})
    with pytest.raises(ft.DataContractError, match="drop the column from the file"):
        ft.validate_series(df, "s.csv")


def test_a_non_iso_date_column_says_which_format_it_was_read_with() -> None:
    ev = ft.validate_events(pd.DataFrame({
        "user_id": [1, 2], "ts": ["12/13/2024 08:00", "1/2/2025 9:30"], "event_type": "visit",
        "channel": "web", "revenue": [None, None]}), "e.csv")
    assert ev["ts"].tolist() == [pd.Timestamp("2024-12-13 08:00"), pd.Timestamp("2025-01-02 09:30")]
    note = ("e.csv: column 'ts' is not ISO 8601: read as %m/%d/%Y %H:%M for the whole column "
            "(31 December 2024, 20:15 is written '12/31/2024 20:15')")
    assert any(n.startswith(note) for n in ev.attrs["load_notes"])


def test_a_calendar_date_column_takes_the_day_month_order_of_the_other() -> None:
    """'start' alone is ambiguous (no day above 12); 'end' says day first."""
    cal = pd.DataFrame({"name": ["A", "B"], "start": ["01/02/2025", "11/03/2025"],
                        "end": ["15/02/2025", "12/03/2025"], "kind": "sale"})
    got = ft.validate_calendar(cal, "cal.csv")
    assert got["start"].tolist() == [pd.Timestamp("2025-02-01"), pd.Timestamp("2025-03-11")]
    assert any("column 'start' is not ISO 8601: read as %d/%m/%Y" in n
               for n in got.attrs["load_notes"])
    with pytest.raises(ft.DataContractError, match="day/month order is ambiguous"):
        ft.validate_calendar(cal.assign(end=["03/02/2025", "12/03/2025"]), "cal.csv")


def test_currency_revenue_is_read_and_an_unreadable_one_is_reported_once() -> None:
    rows = {"user_id": [1, 1, 2], "ts": ["2024-01-01", "2024-01-02", "2024-01-03"],
            "event_type": ["visit", "purchase", "refund"], "channel": "web"}
    ev = ft.validate_events(pd.DataFrame({**rows, "revenue": ["", "£1,234.56", "-$4.50"]}),
                            "x.csv")
    assert ev["revenue"].tolist() == [0.0, 1234.56, -4.5]
    assert any("currency symbols, thousands separators" in n for n in ev.attrs["load_notes"])
    with pytest.raises(ft.DataContractError) as err:
        ft.validate_events(pd.DataFrame({**rows, "revenue": ["", "12,50", "-1"]}), "x.csv")
    msg = str(err.value)
    assert "has values that are not numbers (1 row; first at row 2: '12,50')" in msg
    assert "missing on purchase rows" not in msg  # not reported twice


def test_text_typed_on_a_mac_and_on_windows_is_one_name(tmp_path: Path) -> None:
    nfd, nfc = "Cafe\u0301 Berlin", "Caf\u00e9 Berlin"  # 'e' + combining accent, and one 'é'
    series = ft.load_series(write(tmp_path, f"series_id,ds,y\nchannel={nfd},2024-01-01,3\n",
                                  "series.csv"))
    cal = ft.load_calendar(write(tmp_path, f"name,start,end,kind,channel\nOpening,2024-01-05,"
                                 f"2024-01-05,launch,{nfd}\n", "calendar.csv"))
    assert series["series_id"].tolist() == [f"channel={nfc}"]
    assert cal["channel"].tolist() == [nfc]


def test_series_values_with_thousands_separators_are_read_with_a_note(tmp_path: Path) -> None:
    text = 'series_id,ds,y\ntotal,2024-01-01,"1,139.00"\ntotal,2024-01-02,980\n'
    frame = ft.load_series(write(tmp_path, text, "series.csv"))
    assert frame["y"].tolist() == [1139.0, 980.0]
    assert any("'1,139.00'" in n for n in frame.attrs["load_notes"])


def test_decimal_commas_are_never_read_as_thousands(tmp_path: Path) -> None:
    text = "series_id,ds,y\ntotal,2024-01-01,\"0,125\"\ntotal,2024-01-02,\"1,500\"\n"
    with pytest.raises(ft.DataContractError, match="column 'y'"):
        ft.load_series(write(tmp_path, text, "series.csv"))  # an error, never 125 and 1500


def test_one_series_typed_two_ways_is_a_duplicate_at_load(tmp_path: Path) -> None:
    nfd, nfc = "Cafe\u0301", "Caf\u00e9"
    text = f"series_id,ds,y\n{nfd},2024-01-01,3\n{nfc},2024-01-01,5\n"
    with pytest.raises(ft.DataContractError, match="duplicate keys"):
        ft.load_series(write(tmp_path, text, "series.csv"))


def test_a_true_false_flag_in_a_series_file_reads_as_1_0(tmp_path: Path) -> None:
    """Walmart's IsHoliday (True/False, as pandas and Excel write flags) was refused as 'not
    numbers' in every row."""
    s = ft.load_series(write(tmp_path, "series_id,ds,y,IsHoliday\na,2024-01-01,5,False\n"
                                       "a,2024-01-02,6,TRUE\n", "s.csv"))
    assert s["IsHoliday"].tolist() == [0.0, 1.0]
    assert any("'IsHoliday' holds True/False: read as 1/0" in n for n in s.attrs["load_notes"])
    with pytest.raises(ft.DataContractError, match="IsHoliday"):  # yes/no stays an error
        ft.load_series(write(tmp_path, "series_id,ds,y,IsHoliday\na,2024-01-01,5,False\n"
                                       "a,2024-01-02,6,yes\n", "s.csv"))


def test_a_windows_1252_csv_names_its_rows_and_the_conversion(tmp_path: Path) -> None:
    # Excel's 'CSV (Comma delimited)' writes Windows-1252: the error had been the codec's
    # "can't decode byte 0xe9 in position 10", no row and no way to convert
    p = tmp_path / "excel.csv"
    p.write_bytes("user_id,ts,event_type,channel,revenue\n1,2024-11-01,visit,email,\n"
                  "2,2024-11-02,visit,café,\n".encode("cp1252"))
    with pytest.raises(ft.DataContractError) as err:
        ft.load_events(p)
    text = str(err.value)
    assert "excel.csv: file is not UTF-8 text" in text
    assert "(1 row; first at row 2: '2,2024-11-02,visit,café,')" in text
    assert "encoding='cp1252'" in text


def test_a_utf16_export_is_named_as_such_with_its_conversion(tmp_path: Path) -> None:
    # Excel's 'Unicode Text' (UTF-16, tabs): the error had shown the header as Windows-1252
    # ('\xff\xfec\x00u\x00...' at 'row 0') and told to read it with encoding='cp1252'
    p = tmp_path / "crm.txt"
    p.write_bytes("customer_id\tplan\tchurned\n0042\tbasic\tyes\n".encode("utf-16"))
    with pytest.raises(ft.DataContractError) as err:
        ft.read_table(p)
    text = str(err.value)
    assert "crm.txt: file is UTF-16 text (Excel's 'Unicode Text' writes it), not UTF-8" in text
    assert ("pd.read_csv('crm.txt', encoding='utf-16', sep='\\t', dtype=str).to_csv("
            "'utf8.csv', index=False)") in text
    assert "cp1252" not in text


def test_a_header_naming_a_column_twice_gets_a_note(tmp_path: Path) -> None:
    # a CRM export with two 'plan' columns: pandas reads the second as 'plan.1', which the
    # model then learned under that name, without a word
    text = ("user_id,ts,event_type,channel,revenue,revenue\n"
            "1,2024-11-01,purchase,email,10.5,9.0\n2,2024-11-02,visit,email,,\n")
    frame = ft.load_events(write(tmp_path, text))
    assert frame["revenue"].tolist()[0] == 10.5
    assert ("events.csv: the header names 'revenue' twice (columns 5 and 6, read as 'revenue' "
            "and 'revenue.1'); rename them if they are different columns, or drop the copy"
            ) in frame.attrs["load_notes"]
    table = ft.read_table(write(tmp_path, "id,plan,plan,plan\n1,a,b,c\n", "crm.csv"))
    assert ("crm.csv: the header names 'plan' three times (columns 2, 3 and 4, read as 'plan', "
            "'plan.1' and 'plan.2')") in table.attrs["load_notes"][0]


def test_a_row_with_an_unquoted_comma_names_its_rows_and_the_quoting(tmp_path: Path) -> None:
    # pandas' "Expected 5 fields in line 3, saw 6" named one line and told to save the file
    # as UTF-8 CSV, which it was
    p = write(tmp_path, "user_id,ts,event_type,channel,revenue\n1,2024-11-01,visit,email,\n"
              "2,2024-11-02,purchase,email,1,250.00\n3,2024-11-02,visit,email,\n"
              "4,2024-11-03,purchase,email,2,000.00\n")
    with pytest.raises(ft.DataContractError) as err:
        ft.load_events(p)
    text = str(err.value)
    assert ("events.csv: file has rows with more fields than the 5 columns of its header (a ',' "
            "inside a value that is not in quotes?) (2 rows; first at row 2: "
            "'2,2024-11-02,purchase,email,1,250.00', 4: ") in text
    assert 'Fix: put values that hold \',\' in double quotes ("1,250.00")' in text
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ft.DataContractError, match="file is empty: not even a header"):
        ft.load_events(tmp_path / "empty.csv")
    (tmp_path / "events.xlsx").write_bytes(b"PK")
    with pytest.raises(ft.DataContractError, match="'CSV UTF-8'"):
        ft.load_events(tmp_path / "events.xlsx")


def test_a_windows_1252_csv_with_an_unquoted_comma_is_a_contract_error(tmp_path: Path) -> None:
    # review: pandas met the extra field before the bad byte (far down a large file), and
    # the rows-with-more-fields check then re-read the file as UTF-8: a bare
    # "'utf-8' codec can't decode byte 0xe9 in position 5611" escaped
    rows = [f"{i},2024-11-01,visit,email," for i in range(60_000)]
    rows[2] = "2,2024-11-02,purchase,email,1,250.00"
    rows[50_000] = "50000,2024-11-02,visit,caf\xe9,"
    p = tmp_path / "big.csv"
    p.write_bytes(("user_id,ts,event_type,channel,revenue\n" + "\n".join(rows) + "\n")
                  .encode("latin-1"))
    with pytest.raises(ft.DataContractError) as err:
        ft.read_table(p)
    text = str(err.value)
    assert "more fields than the 5 columns of its header" in text
    assert "first at row 3: '2,2024-11-02,purchase,email,1,250.00'" in text
    assert "is not UTF-8 text" in text
    assert "first at row 50001: '50000,2024-11-02,visit,caf\xe9,'" in text


def test_an_events_file_with_only_a_header_is_an_error(tmp_path: Path) -> None:
    # 'ok: 0 rows' from validate, then a NaT traceback from features build, segments, snapshot
    p = write(tmp_path, "user_id,ts,event_type,channel,revenue\n")
    with pytest.raises(ft.DataContractError, match="file has no events: only a header"):
        ft.load_events(p)


def test_planned_events_without_intensity_get_their_kind_s_usual_one() -> None:
    plan = pd.DataFrame({"name": ["Summer sale", "Mailing", "Gala"],
                         "start": ["2026-07-01", "2026-07-03", "2026-07-05"],
                         "end": ["2026-07-02", "2026-07-03", "2026-07-05"],
                         "kind": ["Sale", "newsletter", "gala"],
                         "intensity": [None, 0.2, None]})
    usual = {"sale": 0.3, "newsletter": 0.05}
    cal = ft.validate_calendar(plan, "plan.csv", usual).set_index("name")
    assert cal.loc["Summer sale", "intensity"] == 0.3  # the kind's usual, not 1.0
    assert cal.loc["Mailing", "intensity"] == 0.2  # given values stay
    assert cal.loc["Gala", "intensity"] == 1.0  # a kind the model never had
    assert cal.attrs["load_notes"] == [
        "plan.csv: 2 events without intensity get their kind's usual intensity in the model's "
        "history ('sale' 0.3; other kinds 1.0)"]
    # no intensity column at all: the same; a training calendar (no defaults) reads 1.0
    bare = ft.validate_calendar(plan.drop(columns=["intensity"]), "plan.csv", usual)
    assert bare.set_index("name")["intensity"].to_dict() == {
        "Summer sale": 0.3, "Mailing": 0.05, "Gala": 1.0}
    assert ft.validate_calendar(plan.drop(columns=["intensity"]))["intensity"].eq(1.0).all()


def test_a_planned_event_without_intensity_gets_its_own_name_s_usual_one_first() -> None:
    # review: a planned 'Black Friday 2025' without an intensity got the kind's median (0.2,
    # the monthly flash sales) instead of its own past 0.5: forecast 1,665 against 3,167
    plan = pd.DataFrame({"name": ["Black Friday 2025", "Flash sale 40", "Gala"],
                         "start": ["2025-11-28", "2025-12-10", "2025-12-12"],
                         "end": ["2025-11-28", "2025-12-10", "2025-12-12"],
                         "kind": ["sale", "sale", "gala"], "intensity": [None, None, 0.0]})
    cal = ft.validate_calendar(plan, "plan.csv", {"sale": 0.2},
                               name_intensity={"Black Friday": 0.5, "Gala": 0.7})
    assert cal.set_index("name")["intensity"].to_dict() == {
        "Black Friday 2025": 0.5, "Flash sale 40": 0.2, "Gala": 0.7}
    notes = cal.attrs["load_notes"]
    assert ("plan.csv: 1 event without intensity gets the usual intensity of its name in "
            "the model's history ('Black Friday' 0.5)") in notes, notes
    # 'Gala' was given 0: its one note is the one on intensity 0, which names what it got
    assert [n for n in notes if "'Gala'" in n] == [
        "plan.csv: 1 event with intensity 0: 0 means 'not given' to the model, as in its "
        "history (a holiday has no discount depth), so it is read as empty and given the "
        "usual intensity in the model's history: 'Gala' 0.7 (its name's usual); give a "
        "positive intensity for a smaller event"], notes
    assert ("plan.csv: 1 event without intensity gets its kind's usual intensity in the "
            "model's history ('sale' 0.2; other kinds 1.0)") in notes, notes


def test_a_planned_intensity_of_0_is_read_as_not_given_and_said() -> None:
    """The event model reads 0 as "not given" (1.0): a planned sale typed with intensity 0 had
    been forecast at 1.0, capped at the largest intensity its kind had (+298% where the usual
    sale gave +129%), without a note."""
    plan = pd.DataFrame({"name": ["Zero sale", "Usual sale", "Small sale"],
                         "start": ["2026-07-01", "2026-07-03", "2026-07-05"],
                         "end": ["2026-07-01", "2026-07-03", "2026-07-05"],
                         "kind": ["sale", "sale", "sale"],
                         "intensity": [0.0, None, 0.1]})
    cal = ft.validate_calendar(plan, "plan.csv", {"sale": 0.3}).set_index("name")
    assert cal["intensity"].to_dict() == {"Zero sale": 0.3, "Usual sale": 0.3, "Small sale": 0.1}
    notes = cal.attrs["load_notes"]
    assert any("1 event with intensity 0:" in n and "'not given'" in n
               and "'Zero sale' 0.3 (its kind's usual)" in n for n in notes), notes
    # without a model's usual intensities (a training calendar) 0 stays as the model reads it
    assert ft.validate_calendar(plan)["intensity"].tolist() == [0.0, 1.0, 0.1]


def test_an_event_given_intensity_0_gets_one_note() -> None:
    """Independent check: the world's own New Year sent with intensity 0 got two notes on the
    one event, "0 means not given" and "gets its name's usual intensity 1"."""
    plan = pd.DataFrame({"name": ["New Year 2026", "Spring sale", "Mailing"],
                         "start": ["2026-01-01", "2026-03-01", "2026-03-05"],
                         "end": ["2026-01-01", "2026-03-02", "2026-03-05"],
                         "kind": ["holiday", "sale", "newsletter"],
                         "intensity": [0.0, 0.0, None]})
    cal = ft.validate_calendar(plan, "plan.csv", {"sale": 0.3, "newsletter": 0.05},
                               name_intensity={"New Year": 1.0})
    assert cal.set_index("name")["intensity"].to_dict() == {
        "New Year 2026": 1.0, "Spring sale": 0.3, "Mailing": 0.05}
    notes = cal.attrs["load_notes"]
    assert ("2 events with intensity 0: 0 means 'not given' to the model, as in its history "
            "(a holiday has no discount depth), so they are read as empty and given the usual "
            "intensity in the model's history: 'New Year 2026' 1 (its name's usual), "
            "'Spring sale' 0.3 (its kind's usual); give a positive intensity for a smaller "
            "event") in [n.removeprefix("plan.csv: ") for n in notes], notes
    assert not any("usual intensity of its name" in n for n in notes), notes  # said once
    # the event left empty keeps its own note
    assert any("1 event without intensity gets its kind's usual intensity" in n
               and "'newsletter' 0.05" in n for n in notes), notes


def test_channels_spelled_two_ways_are_named() -> None:
    """Independent check: an export with 'united kingdom' beside 'United Kingdom' made two
    channels of one country without a word."""
    df = pd.DataFrame({"user_id": [1, 2, 3, 4, 5], "ts": ["2024-01-01"] * 5,
                       "event_type": "visit", "revenue": 0.0,
                       "channel": ["United Kingdom", "united kingdom", "United Kingdom",
                                   "France", " France "],
                       "category": ["toys", "Toys", "home", "home", "garden"]})
    notes = ft.validate_events(df, "orders.csv").attrs["load_notes"]
    chan = next(n for n in notes if "column 'channel'" in n)
    assert "'United Kingdom' (2 rows) and 'united kingdom' (1 row)" in chan
    assert "'France'" not in chan  # surrounding spaces are stripped on reading: one value
    assert any("column 'category'" in n and "'Toys'" in n for n in notes)
    same = df.assign(channel="web", category="toys")
    assert not any("differ only in case" in n
                   for n in ft.validate_events(same, "orders.csv").attrs["load_notes"])


def test_duplicates_of_an_export_without_seconds_say_so() -> None:
    """Independent check: a re-export that wrote dates to the minute turned 19 distinct
    visits into identical rows, dropped without a word about the lost precision."""
    df = pd.DataFrame({"user_id": [1, 1, 2], "ts": ["2024-01-01 10:05"] * 3,
                       "event_type": "visit", "revenue": 0.0, "channel": "web"})
    note = next(n for n in ft.validate_events(df, "e.csv").attrs["load_notes"]
                if "duplicate" in n)
    assert "the timestamps are whole minutes" in note
    fine = df.assign(ts=["2024-01-01 10:05:07"] * 3)
    note = next(n for n in ft.validate_events(fine, "e.csv").attrs["load_notes"]
                if "duplicate" in n)
    assert "whole" not in note


def test_duplicate_rows_that_repeat_every_column_are_told_to_be_dropped(tmp_path: Path) -> None:
    # an export that repeated rows: the fix had said 'sum or average them', which would count
    # each repeated day twice
    text = ("series_id,ds,y,promo\nstore_15,2024-06-19,1375.0,1\nstore_15,2024-06-20,1402.0,1\n"
            "store_15,2024-06-19,1375.0,1\n")
    with pytest.raises(ft.DataContractError) as info:
        ft.load_series(write(tmp_path, text, "s.csv"))
    msg = str(info.value)
    assert "1 row(s) repeat another row in every column" in msg
    assert "drop those copies (pandas: frame.drop_duplicates()), do not sum them; otherwise" in msg
    # rows of one key that differ keep the old advice, beside the copies' own
    text += "store_15,2024-06-20,1399.0,1\n"
    with pytest.raises(ft.DataContractError) as info:
        ft.load_series(write(tmp_path, text, "s.csv"))
    assert "do not sum them; for the others: keep one row per series" in str(info.value)
    # spend: the copies are named too
    spend = "date,channel,spend\n2024-01-01,tv,100\n2024-01-01,tv,100\n"
    with pytest.raises(ft.DataContractError, match="repeat another row in every column"):
        ft.load_spend(write(tmp_path, spend, "spend.csv"))


def test_duplicate_copies_say_for_the_others_only_when_other_rows_of_a_key_differ(
        tmp_path: Path) -> None:
    # one row three times and nothing else repeated: nothing is left to sum once the copies
    # are dropped (the message had said 'for the others: ... sum or average them')
    head = "series_id,ds,y\n"
    text = head + "a,2024-06-19,5\n" * 3 + "a,2024-06-20,6\n"
    with pytest.raises(ft.DataContractError) as info:
        ft.load_series(write(tmp_path, text, "s.csv"))
    assert "2 row(s) repeat another row in every column" in str(info.value)
    assert "do not sum them; otherwise" in str(info.value)
    # a row four times (3 copies, 2 x 3 = the 6 rows) beside two rows of a key that differ:
    # those are the others (the message had said 'otherwise')
    text = head + "a,2024-06-19,5\n" * 4 + "a,2024-06-20,6\na,2024-06-20,7\n"
    with pytest.raises(ft.DataContractError) as info:
        ft.load_series(write(tmp_path, text, "s.csv"))
    assert "do not sum them; for the others: keep one row" in str(info.value)


def test_calendar_channels_of_whole_numbers_written_with_a_decimal_match_integer_series_ids(
        tmp_path: Path) -> None:
    # pandas writes an integer store column with empty cells (chain-wide events beside each
    # store's own) as 44.0; the series file writes the same stores as 44
    text = ("name,start,end,kind,channel\nHoliday,2015-05-25,2015-05-25,holiday,44.0\n"
            "Holiday,2015-05-25,2015-05-25,holiday,7.0\nSale,2015-06-01,2015-06-03,sale,\n"
            "Mail,2015-06-02,2015-06-02,newsletter,email\n")
    cal = ft.load_calendar(write(tmp_path, text, "cal.csv"))
    assert cal["channel"].tolist()[:2] == ["44", "7"]
    assert cal["channel"].iloc[2] is pd.NA
    assert cal["channel"].iloc[3] == "email"
    note = " ".join(cal.attrs["load_notes"])
    assert "column 'channel'" in note
    assert "'44.0' as '44'" in note
    from features._calendar import check_channels, normalize_calendar
    check_channels(normalize_calendar(cal), ["7", "44", "channel=email"])
    # a frame given to the library: a float column with gaps reads the same
    frame = pd.DataFrame({"name": ["A", "B"], "start": ["2015-05-25", "2015-05-26"],
                          "channel": [44.0, None]})
    assert normalize_calendar(frame)["channel"].tolist()[0] == "44"


def test_calendar_times_with_offsets_are_days_in_the_business_time_zone(tmp_path: Path) -> None:
    """A calendar's times with a UTC offset are read in ``tz`` (the series' ``--tz``), as the
    series file is: a Berlin midnight is 15 May in Berlin (it had been converted to UTC, 14
    May, while the series was on the Berlin clock). One that lands on another day than written
    and not at a midnight (the Berlin midnight read in UTC) is an error naming the fix."""
    text = ("name,start,end,kind\n"
            "sale,2024-05-15T00:00:00+02:00,2024-05-16T00:00:00+02:00,sale\n"
            "fair,2024-05-19T22:00:00Z,2024-05-19T22:00:00Z,holiday\n"
            "demo,2024-05-25T12:00:00+02:00,2024-05-25T12:00:00+02:00,promotion\n")
    path = write(tmp_path, text, "calendar.csv")
    berlin = ft.load_calendar(path, tz="Europe/Berlin")
    days = {r.name: (r.start, r.end) for r in berlin.itertuples()}
    assert days == {"sale": (pd.Timestamp("2024-05-15"), pd.Timestamp("2024-05-16")),
                    "fair": (pd.Timestamp("2024-05-20"), pd.Timestamp("2024-05-20")),
                    "demo": (pd.Timestamp("2024-05-25"), pd.Timestamp("2024-05-25"))}
    with pytest.raises(ft.DataContractError) as err:
        ft.load_calendar(path)  # UTC
    msg = " ".join(str(err.value).split())
    assert ("calendar.csv: column 'start' has times with a UTC offset that fall on another day "
            "in the business time zone UTC than the day written") in msg
    assert "(1 row; first at row 1: '2024-05-15T00:00:00+02:00 is 2024-05-14 22:00 in UTC')" in msg
    assert "column 'end'" in msg
    assert "write the days as plain dates (e.g. '2024-05-15', the local day)" in msg
    assert "--tz ZONE" in msg
    # UTC midnights, and a time of day on the day written, are that day in UTC
    utc = ft.load_calendar(write(tmp_path, text.replace("+02:00", "Z"), "calendar.csv"))
    assert utc["start"].tolist() == [pd.Timestamp("2024-05-15"), pd.Timestamp("2024-05-19"),
                                     pd.Timestamp("2024-05-25")]


def test_a_calendar_mixing_plain_dates_and_offsets_reads_each_as_its_day(tmp_path: Path) -> None:
    """A campaign calendar pasted together from two tools (plain dates, a pandas export's
    '2025-11-28 00:00:00', local midnights with '+01:00' / '+02:00') had been refused as
    mixing times with and without offsets: whole days are unambiguous either way. Each is read
    as its day in ``tz``, with a note; an offset that lands off the day written is still the
    error it is in a column of offsets only. Times (events' ``ts``) still may not mix."""
    text = ("name,start,end,kind\n"
            "summer,2025-07-07,2025-07-13,sale\n"
            "black week,2025-11-24 00:00:00,2025-11-30 00:00:00,sale\n"
            "cyber,2025-11-28T00:00:00+01:00,2025-12-01T00:00:00+01:00,promotion\n"
            "spring,2025-03-28T00:00:00+01:00,2025-04-02T00:00:00+02:00,sale\n")
    path = write(tmp_path, text, "calendar.csv")
    cal = ft.load_calendar(path, tz="Europe/Berlin")
    days = {r.name: (r.start, r.end) for r in cal.itertuples()}
    assert days == {"summer": (pd.Timestamp("2025-07-07"), pd.Timestamp("2025-07-13")),
                    "black week": (pd.Timestamp("2025-11-24"), pd.Timestamp("2025-11-30")),
                    "cyber": (pd.Timestamp("2025-11-28"), pd.Timestamp("2025-12-01")),
                    "spring": (pd.Timestamp("2025-03-28"), pd.Timestamp("2025-04-02"))}
    notes = " ".join(cal.attrs["load_notes"])
    assert ("column 'start' mixes plain dates (2 rows) and times with a UTC offset (2 rows; "
            "first at row 3: '2025-11-28T00:00:00+01:00'): each is read as its day in the "
            "business time zone Europe/Berlin") in notes
    with pytest.raises(ft.DataContractError) as err:
        ft.load_calendar(path)  # UTC: the Berlin midnights are 23:00 the day before
    msg = " ".join(str(err.value).split())
    assert "column 'start' has times with a UTC offset that fall on another day" in msg
    assert "mixes times" not in msg


def test_calendar_times_of_day_are_read_as_whole_days_with_a_note(tmp_path: Path) -> None:
    """Events are whole days: a 6-hour flash sale written 12:00 .. 17:00 is read as its day.
    A planner of an hourly shop had no word of it (an independent check's New York shop,
    2026-12-06); the note names the events and says how the hours within the day are
    learned. Midnights, plain dates and offsets landing on a local midnight get no note."""
    text = ("name,start,end,kind\n"
            "Flash sale 1,2024-03-14 12:00,2024-03-14 17:00,flash_sale\n"
            "Flash sale 2,2024-05-02 12:00,2024-05-02 17:59,flash_sale\n"
            "Sale,2024-06-01,2024-06-03,sale\n"
            "Night,2024-06-10 00:00,2024-06-11 00:00,sale\n")
    cal = ft.load_calendar(write(tmp_path, text, "calendar.csv"), tz="America/New_York")
    assert cal["start"].tolist()[:2] == [pd.Timestamp("2024-03-14"), pd.Timestamp("2024-05-02")]
    assert cal["end"].tolist()[:2] == [pd.Timestamp("2024-03-14"), pd.Timestamp("2024-05-02")]
    notes = [n for n in cal.attrs["load_notes"] if "time of day" in n]
    assert len(notes) == 1
    note = " ".join(notes[0].split())
    assert note.startswith("calendar.csv: 2 events have a time of day in 'start' or 'end' "
                           "(first at row 1: 'Flash sale 1' 2024-03-14 12:00 .. 2024-03-14 "
                           "17:00)")
    assert "events are whole days: each is read as the days it falls on" in note
    assert "hour_profile" not in note
    # the API refuses such times: the note says where the hours go
    assert "learns each kind's shape within its days from its past events" in note
    plain = ft.load_calendar(write(tmp_path, text.split("Flash sale 2")[0].replace(
        "2024-03-14 12:00,2024-03-14 17:00", "2024-03-14,2024-03-14"), "plain.csv"))
    assert not [n for n in plain.attrs["load_notes"] if "time of day" in n]
    # a New York midnight written in UTC is that day, not a time of day
    utc = ft.load_calendar(write(tmp_path, "name,start,end,kind\n"
                                 "Fair,2024-05-19T04:00:00Z,2024-05-19T04:00:00Z,holiday\n",
                                 "utc.csv"), tz="America/New_York")
    assert not [n for n in utc.attrs["load_notes"] if "time of day" in n]
    # an end at the day's last minute is how exports write a day's end: that day, no note
    ends = ft.load_calendar(write(tmp_path, "name,start,end,kind\n"
                                  "Sale,2024-06-01,2024-06-03 23:59:59,sale\n"
                                  "Fair,2024-07-01,2024-07-02 23:59,sale\n", "ends.csv"))
    assert ends["end"].tolist() == [pd.Timestamp("2024-06-03"), pd.Timestamp("2024-07-02")]
    assert not [n for n in ends.attrs["load_notes"] if "time of day" in n]


def test_the_time_of_day_note_parses_again_only_cells_written_with_a_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The note on times of day read every calendar cell a second time (a quarter of the
    check of a 100,000-event calendar of plain dates); a time of day is written with ':', so
    only such cells are parsed again, and the note is the same."""
    import features._io as io_mod

    parsed: list[int] = []
    real = io_mod._parse_time

    def counting(s: pd.Series, *args: object, **kwargs: object) -> pd.Series:
        parsed.append(len(s))
        return real(s, *args, **kwargs)  # type: ignore[arg-type]

    days = [f"2024-01-{d:02d}" for d in range(1, 29)]
    rows = [f"Promo {d},{d},{d},promotion" for d in days]
    rows[5] = "Flash,2024-01-06 12:00,2024-01-06 17:00,flash_sale"
    path = write(tmp_path, "name,start,end,kind\n" + "\n".join(rows) + "\n", "calendar.csv")
    frame = pd.read_csv(path, dtype=str)
    cal = ft.load_calendar(path, tz="America/New_York")
    monkeypatch.setattr(io_mod, "_parse_time", counting)
    notes: list[str] = []
    io_mod._time_of_day_note(frame, cal, "America/New_York",
                             type("Report", (), {"note": lambda self, m: notes.append(m)})())
    assert parsed == [1, 1]  # the one cell with a time, in 'start' and in 'end'
    assert len(notes) == 1
    assert "1 event has a time of day" in notes[0]
    assert "(first at row 6: 'Flash' 2024-01-06 12:00 .. 2024-01-06 17:00)" in notes[0]


def test_the_conversion_offered_for_a_windows_1252_semicolon_export_reads_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A German Excel export (';', decimal commas, 'Süßwaren' in cp1252) had been offered
    pd.read_csv(..., encoding='cp1252', dtype=str): read with commas, its '29,51' split the
    rows and pandas stopped with "Expected 3 fields in line 3, saw 4"."""
    p = tmp_path / "kasse.csv"
    p.write_bytes("Bon;Zeit;Karte;Warengruppe;Betrag\n1;01.06.2025 08:00;0042;Obst;7,22\n"
                  "2;02.06.2025 09:00;0042;Süßwaren;29,51\n".encode("cp1252"))
    with pytest.raises(ft.DataContractError) as err:
        ft.read_table(p)
    code = re.search(r"in Python: (pd\.read_csv\(.*?\)\.to_csv\(.*?\))", str(err.value))
    assert code is not None, str(err.value)
    monkeypatch.chdir(tmp_path)
    eval(code.group(1), {"pd": pd})
    ev = ft.orders_to_events(ft.read_table(tmp_path / "utf8.csv"), customer="Karte",
                             time="Zeit", order="Bon", amount="Betrag", category="Warengruppe",
                             source="utf8.csv")
    assert sorted(ev["revenue"].round(2)) == [7.22, 29.51]
    assert "Süßwaren" in set(ev["category"])


def test_a_spend_date_with_an_offset_is_not_moved_to_the_day_before(tmp_path: Path) -> None:
    """Since the mix of plain dates and offset times became readable (2026-12-07), a spend file
    pasted as '2025-11-24', '2025-11-25T00:00:00+01:00' put the second day's spend on 24
    November in silence (read in UTC: 23:00 the day before). A spend day that lands off the day
    written is an error naming it, as in a calendar; one on the day written is read, with the
    mix's note."""
    text = ("date,channel,spend\n"
            "2025-11-23,search,10\n"
            "2025-11-25T00:00:00+01:00,search,20\n")
    with pytest.raises(ft.DataContractError) as err:
        ft.load_spend(write(tmp_path, text, "spend.csv"))
    msg = " ".join(str(err.value).split())
    assert ("spend.csv: column 'date' has times with a UTC offset that fall on another day "
            "in the business time zone UTC than the day written") in msg
    assert "'2025-11-25T00:00:00+01:00 is 2025-11-24 23:00 in UTC'" in msg
    assert "write the days as plain dates (e.g. '2025-11-25', the local day)" in msg
    noon = ft.load_spend(write(tmp_path, text.replace("T00:00", "T12:00"), "spend.csv"))
    assert noon["date"].tolist() == [pd.Timestamp("2025-11-23"), pd.Timestamp("2025-11-25")]
    assert any("column 'date' mixes plain dates (1 rows) and times with a UTC offset (1 rows"
               in n for n in noon.attrs["load_notes"])


def test_a_customer_tables_cutoff_mixing_offsets_is_still_an_error() -> None:
    """The mix of plain dates and offset times read value by value (2026-12-07) is for the
    files whose days are checked (calendar, spend): a customer table's cutoff
    '2025-01-02T00:00:00+01:00' among plain dates had become 1 January in silence."""
    from features._tables import parse_table_cutoff

    with pytest.raises(ft.DataContractError, match="mixes times with and without UTC offsets"):
        parse_table_cutoff(pd.Series(["2025-01-01", "2025-01-02T00:00:00+01:00"]))
