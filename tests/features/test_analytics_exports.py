"""Web-analytics exports as analysts download them (Google Analytics 4 reports, a marketing
team's campaign list, two downloads that overlap)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
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


def test_a_campaign_discount_written_as_a_percentage_is_read_as_a_fraction(
        tmp_path: Path) -> None:
    # a campaign list writes the discount as '30%': the error had been "has values that are
    # not numbers ... use plain numbers with '.' as decimal point". Intensity is a discount
    # depth (docs: 0.3 = 30% off), so '30%' is 0.3
    p = tmp_path / "promos.csv"
    p.write_text("name,start,end,kind,intensity\nSpring Sale,2024-03-18,2024-03-21,sale,15%\n"
                 "Black Friday,2024-11-29,2024-11-29,sale,30 %\nSummer,2024-07-03,2024-07-09,"
                 "sale,0.2\nNewsletter,2024-07-16,2024-07-16,newsletter,\n")
    cal = ft.load_calendar(p)
    got = cal.set_index("name")["intensity"]
    assert got[["Spring Sale", "Black Friday", "Summer", "Newsletter"]].tolist() == pytest.approx(
        [0.15, 0.3, 0.2, 1.0])
    notes = " ".join(cal.attrs["load_notes"])
    assert "column 'intensity' has 2 values written as a percentage (first '15%')" in notes
    assert "(15% -> 0.15)" in notes
    assert "0.3 = 30% off" in notes
    # a cell that is no number stays an error
    p.write_text("name,start,end,kind,intensity\nSpring Sale,2024-03-18,2024-03-21,sale,big\n")
    with pytest.raises(ft.DataContractError, match="not numbers"):
        ft.load_calendar(p)


@pytest.mark.parametrize(("header", "loader", "old", "new"), [
    ("Campaign,start,end,kind\nSale,2024-01-01,2024-01-02,sale\n", "load_calendar",
     "Campaign", "name"),
    ("date,channel,Cost\n2024-01-01,Paid Search,120.5\n", "load_spend", "Cost", "spend"),
    ("Date,Session default channel group,Cost\n2024-01-01,Paid Search,120.5\n", "load_spend",
     "Session default channel group", "channel"),
])
def test_common_export_names_get_a_rename_hint(tmp_path: Path, header: str, loader: str,
                                               old: str, new: str) -> None:
    # a campaign list's 'Campaign' and an ads export's 'Cost' had been told "add it"
    p = tmp_path / "file.csv"
    p.write_text(header)
    with pytest.raises(ft.DataContractError) as err:
        getattr(ft, loader)(p)
    text = " ".join(str(err.value).split())
    assert f"rename column '{old}' to '{new}'" in text
    assert "add it" not in text


def test_a_series_file_without_series_id_is_told_its_one_text_column(tmp_path: Path) -> None:
    # the example had joined 'store' and 'family' columns that an analytics export does not
    # have; its one text column that no two rows of a date share names the series
    p = tmp_path / "series.csv"
    p.write_text("Segment,Date,Sessions\n" + "".join(f"{s},2024-01-{d:02d},{100 + d}\n"
                                           for s in ("Email", "Direct") for d in range(1, 9)))
    with pytest.raises(ft.DataContractError) as err:
        ft.load_series(p)
    text = " ".join(str(err.value).split())
    assert "column 'Segment' names one series per date" in text
    assert "frame.rename(columns={'Segment': 'series_id'})" in text
    assert "'family'" not in text
    # two text columns that tell the series apart together: joined, with their names
    p.write_text("Region,Segment,Date,Sessions\n" + "".join(
        f"{r},{c},2024-01-{d:02d},{d}\n" for r in ("EU", "US") for c in ("Email", "Direct")
        for d in range(1, 9)))
    with pytest.raises(ft.DataContractError) as err:
        ft.load_series(p)
    text = " ".join(str(err.value).split())
    assert "frame[['Region', 'Segment']].astype(str).agg(' '.join, axis=1)" in text


def test_the_rename_all_line_names_the_series_column_too(tmp_path: Path) -> None:
    """A GA4 pages export ('Page path and screen class, Date, Views') was told to rename the
    three columns, but its one rename-all line left the series column out: applied as given,
    the file came back with "column 'series_id' is required"."""
    p = tmp_path / "pages.csv"
    p.write_text("Page path and screen class,Date,Views\n" + "".join(
        f"{s},202401{d:02d},{100 + d}\n" for s in ("/", "/pricing") for d in range(1, 9)))
    with pytest.raises(ft.DataContractError) as err:
        ft.load_series(p)
    text = " ".join(str(err.value).split())
    assert ("frame.rename(columns={'Page path and screen class': 'series_id', 'Date': 'ds', "
            "'Views': 'y'})") in text
    # applied as given, the file reads
    frame = pd.read_csv(p).rename(columns={"Page path and screen class": "series_id",
                                           "Date": "ds", "Views": "y"})
    frame.to_csv(p, index=False)
    assert len(ft.load_series(p)) == 16
