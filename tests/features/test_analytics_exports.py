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
