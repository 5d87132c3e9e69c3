"""Input defects found by the 2026-12-05 outside checks (forecasting and customers), each with
the message a user now sees: placeholder dates and whole-number time columns, day-number
grocery logs, ';'-separated CSVs, row order in table typing, series files without series_id,
Google Analytics and 12-hour dates, rename hints, and hourly files with switching offsets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import features as ft


def write(tmp_path: Path, text: str, name: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _events_text(ts: list[str]) -> str:
    rows = [f"{i % 3 + 1},{t},purchase,email,10.0" for i, t in enumerate(ts)]
    return "user_id,ts,event_type,channel,revenue\n" + "\n".join(rows) + "\n"


def _problems(exc: pytest.ExceptionInfo[ft.DataContractError]) -> str:
    return str(exc.value)


# 1. out-of-range timestamps and whole-number time columns


def test_placeholder_dates_are_a_contract_error_naming_file_column_and_rows(
        tmp_path: Path) -> None:
    ts = [f"2024-01-{d:02d} 10:00:00" for d in range(1, 21)]
    ts[10] = ts[15] = "0001-01-01 00:00:00"  # an ERP's "no date"
    with pytest.raises(ft.DataContractError) as info:
        ft.load_events(write(tmp_path, _events_text(ts), "events.csv"))
    assert _problems(info) == (
        "events.csv: column 'ts' has dates outside the years 1678-2261 (placeholders such as "
        "0001-01-01 for 'no date'?) (2 rows; first at row 11: '0001-01-01 00:00:00', 16: "
        "'0001-01-01 00:00:00'). Fix: give those rows their real time or remove them: a "
        "placeholder is no time")


def _series_text(ds: list[str]) -> str:
    return "series_id,ds,y\n" + "\n".join(f"a,{d},{i}" for i, d in enumerate(ds)) + "\n"


@pytest.mark.parametrize(("values", "words"), [
    ([str(1672527600 + 3600 * i) for i in range(30)], "looks like Unix seconds"),
    ([str(1672527 + i) for i in range(30)], "holds whole numbers only"),  # cut-off epoch
    ([str(hhmm) for hhmm in (705, 1000, 1230, 1759, 2359, 815)] * 5, "looks like times of day"),
    ([str(day) for day in range(1, 31)], "looks like day numbers"),
])
def test_whole_number_time_columns_say_what_they_look_like(
        tmp_path: Path, values: list[str], words: str) -> None:
    with pytest.raises(ft.DataContractError) as info:
        ft.load_series(write(tmp_path, _series_text(values), "series.csv"))
    msg = _problems(info)
    assert msg.startswith("series.csv: column 'ds' has values that are not timestamps")
    assert words in msg
    assert "(30 rows; first at row 1: " in msg  # every row: also those read as a year (1759)
    assert "Out of bounds" not in msg


def test_import_orders_names_a_till_time_column_instead_of_crashing() -> None:
    raw = pd.DataFrame({"household_key": [1, 1, 2], "BASKET_ID": [10, 10, 11],
                        "TRANS_TIME": ["1000", "1000", "705"], "SALES_VALUE": ["2.5", "1", "3"]})
    with pytest.raises(ft.DataContractError) as info:
        ft.orders_to_events(raw, customer="household_key", time="TRANS_TIME",
                            order="BASKET_ID", amount="SALES_VALUE", source="tx.csv")
    msg = _problems(info)
    assert msg.startswith("tx.csv: column 'TRANS_TIME' has values that are not timestamps; the "
                          "column looks like times of day (HHMM: 1000 is 10:00) without a date "
                          "(3 rows; first at row 1: '1000', 2: '1000', 3: '705')")
    assert "--time-of-day-col" in msg


# 6. Google Analytics and 12-hour dates


@pytest.mark.parametrize(("values", "fmt"), [
    (["Jan 01, 2022", "Jan 02, 2022", "Dec 31, 2022"], "%b %d, %Y"),
    (["01/01/2023 12:00 AM", "01/01/2023 01:00 PM", "01/13/2023 11:30 PM"],
     "%m/%d/%Y %I:%M %p"),
])
def test_google_analytics_and_12_hour_dates_are_read_with_one_format(
        tmp_path: Path, values: list[str], fmt: str) -> None:
    text = "series_id,ds,y\n" + "\n".join(f'a,"{v}",{i}' for i, v in enumerate(values)) + "\n"
    out = ft.load_series(write(tmp_path, text, "s.csv"))
    assert out["ds"].tolist() == [pd.to_datetime(v, format=fmt) for v in values]
    assert f"column 'ds' is not ISO 8601: read as {fmt} for the whole column" in "\n".join(
        out.attrs["load_notes"])
    if "%p" in fmt:
        assert out["ds"].iloc[0] == pd.Timestamp("2023-01-01 00:00")  # 12:00 AM is midnight
        assert "(31 December 2024, 20:15 is written '12/31/2024 08:15 PM')" in "\n".join(
            out.attrs["load_notes"])
