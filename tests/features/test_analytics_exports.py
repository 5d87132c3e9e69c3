"""Web-analytics exports as analysts download them (Google Analytics 4 reports, a marketing
team's campaign list, two downloads that overlap)."""

from __future__ import annotations

from pathlib import Path

import pytest

import features as ft

GA4_HEAD = ("# ----------------------------------------\n"
            "# Traffic acquisition: Session default channel group\n"
            "# Account: Shop GmbH\n"
            "# Property: www.shop.example - GA4\n"
            "# ----------------------------------------\n"
            "#\n"
            "# Start date: 20240101\n"
            "# End date: 20240103\n")


def test_a_ga4_download_reads_past_its_comment_block_with_a_note(tmp_path: Path) -> None:
    # a GA4 report download starts with '#' lines: the error had been "rows with more fields
    # than the 1 columns of its header (a ',' inside a value that is not in quotes?)" on every
    # data row, and its fix (quote the values) was wrong
    p = tmp_path / "ga4.csv"
    p.write_text(GA4_HEAD + "series_id,ds,y\nEmail,20240101,650\nEmail,20240102,700\n"
                 "Email,20240103,640\n")
    s = ft.load_series(p)
    assert s["y"].tolist() == [650.0, 700.0, 640.0]
    assert s["ds"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-01-02", "2024-01-03"]
    notes = " ".join(s.attrs["load_notes"])
    assert "ga4.csv: the first 8 lines are a heading of '#' lines" in notes
    assert "'# Traffic acquisition: Session default channel group'" in notes
    assert "header on line 9" in notes


def test_a_first_line_starting_with_hash_that_is_the_header_is_kept(tmp_path: Path) -> None:
    # a header whose first column is named '#' (a row number) is a header, not a comment
    p = tmp_path / "numbered.csv"
    p.write_text("#,series_id,ds,y\n1,a,2024-01-01,5\n2,a,2024-01-02,6\n")
    frame = ft.read_table(p)
    assert list(frame.columns) == ["#", "series_id", "ds", "y"]
    assert "read_notes" not in frame.attrs


def test_rows_with_more_fields_after_a_comment_block_count_from_the_header(
        tmp_path: Path) -> None:
    p = tmp_path / "ga4.csv"
    p.write_text(GA4_HEAD + "\nseries_id,ds,y\nEmail,20240101,650\nEmail,20240102,1,250.00\n")
    with pytest.raises(ft.DataContractError) as err:
        ft.load_series(p)
    assert "(1 row; first at row 2: 'Email,20240102,1,250.00')" in str(err.value)


def _validate(tmp_path: Path, calendar: str) -> str:
    from typer.testing import CliRunner

    from serving.cli import app

    series = "series_id,ds,y\n" + "".join(
        f"{ch},2024-01-{d:02d},{100 + d}\n" for ch in ("Email", "Paid Search", "Paid Social")
        for d in range(1, 29))
    (tmp_path / "series.csv").write_text(series)
    (tmp_path / "promos.csv").write_text(calendar)
    res = CliRunner().invoke(app, ["data", "validate", "--series", str(tmp_path / "series.csv"),
                                   "--calendar", str(tmp_path / "promos.csv")])
    assert res.exit_code == 2, res.output
    return " ".join(res.output.split())


def test_a_calendar_cell_listing_several_channels_is_told_to_take_one_row_each(
        tmp_path: Path) -> None:
    # a marketing team's list writes 'Email, Paid Social' in one cell: the error had said
    # "Did you mean 'Paid Social' for 'Email, Paid Social'?", which drops the e-mail half
    text = _validate(tmp_path, "name,start,end,kind,channel\n"
                     "Spring Sale,2024-01-10,2024-01-12,sale,\"Email, Paid Social\"\n"
                     "Newsletter,2024-01-16,2024-01-16,newsletter,Email\n"
                     "Promo,2024-01-20,2024-01-21,sale,Emial\n")
    assert ("1 event(s) list several channels in one cell: 'Spring Sale' (2024-01-10, "
            "channel 'Email, Paid Social')") in text
    assert "explode('channel')" in text
    assert "'Paid Social' for 'Email, Paid Social'" not in text
    # a misspelling beside it is still named, with its close match
    assert "'Promo' (2024-01-20, channel 'Emial')" in text
    assert "Did you mean 'Email' for 'Emial'?" in text
    only_lists = _validate(tmp_path, "name,start,end,kind,channel\n"
                           "Spring Sale,2024-01-10,2024-01-12,sale,Email; Paid Social\n")
    assert "list several channels in one cell" in only_lists
    assert "name a channel no series has" not in only_lists
    assert "A store or page that is not in the data yet" not in only_lists


def test_two_exports_that_overlap_are_told_to_keep_one_not_to_sum(tmp_path: Path) -> None:
    # a first download to 2024-01-14 and a second from 2024-01-01 stacked: the fix had said
    # "keep one row per series and period (sum or average them)"; summed, the two weeks
    # count twice
    first = [f"{ch},2024-01-{d:02d},{100 + d}\n" for ch in ("Email", "Direct")
             for d in range(1, 15)]
    second = [f"{ch},2024-01-{d:02d},{101 + d}\n" for ch in ("Email", "Direct")
              for d in range(8, 29)]
    p = tmp_path / "series.csv"
    p.write_text("series_id,ds,y\n" + "".join(first + second))
    with pytest.raises(ft.DataContractError) as err:
        ft.load_series(p)
    text = " ".join(str(err.value).split())
    assert ("the repeated keys fill every day of 2024-01-08 .. 2024-01-14 (7 days) in 2 of "
            "the 2 series, two rows each: two exports that overlap?") in text
    assert "do not sum them" in text
    assert "sum or average" not in text
    # repeats scattered over a few days of one series keep the general fix
    p.write_text("series_id,ds,y\nEmail,2024-01-01,5\nEmail,2024-01-01,6\nEmail,2024-01-02,7\n"
                 "Direct,2024-01-01,5\nDirect,2024-01-02,6\n")
    with pytest.raises(ft.DataContractError, match=r"sum or average them"):
        ft.load_series(p)
