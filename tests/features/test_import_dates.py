"""A short export whose dates read both day-first and month-first (no day above 12): the error
counts its rows with thousands separators and points to ``--date-format``, which reads it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import features as ft
from serving.cli import app


def _first_fortnight(n: int = 1_200) -> pd.DataFrame:
    """``n`` lines of December 2009's first 12 days, month first (``12/3/2009 9:00``)."""
    days = [f"12/{1 + (i // 3) % 12}/2009 9:00" for i in range(n)]  # one day per invoice
    return pd.DataFrame({"Invoice": [str(500 + i // 3) for i in range(n)], "InvoiceDate": days,
                         "Quantity": [2] * n, "Price": [1.25] * n,
                         "Customer ID": [float(13000 + i // 30) for i in range(n)]})


ROLES = {"customer": "Customer ID", "time": "InvoiceDate", "order": "Invoice",
         "quantity": "Quantity", "price": "Price", "source": "retail.csv"}


def test_the_ambiguous_date_error_counts_with_separators_and_names_date_format() -> None:
    with pytest.raises(ft.DataContractError) as err:
        ft.orders_to_events(_first_fortnight(), **ROLES)  # type: ignore[arg-type]
    text = str(err.value)
    assert "day/month order is ambiguous" in text
    assert "(1,200 rows;" in text
    assert "--date-format '%m/%d/%Y %H:%M' (month first)" in text
    assert "--date-format '%d/%m/%Y %H:%M' (day first)" in text
    assert "ISO 8601" in text


def test_date_format_reads_the_ambiguous_dates_in_the_order_given() -> None:
    raw = _first_fortnight()
    month = ft.orders_to_events(raw, **ROLES, date_format="%m/%d/%Y %H:%M")  # type: ignore[arg-type]
    assert month["ts"].min() == pd.Timestamp("2009-12-01 09:00")
    assert month["ts"].max() == pd.Timestamp("2009-12-12 09:00")
    assert any("read as %m/%d/%Y %H:%M (--date-format)" in n for n in month.attrs["load_notes"])
    day = ft.orders_to_events(raw, **ROLES, date_format="%d/%m/%Y %H:%M")  # type: ignore[arg-type]
    assert set(day["ts"].dt.month) == set(range(1, 13))  # '12/3/2009' as 12 March


def test_values_that_do_not_read_as_the_given_format_are_error_rows() -> None:
    raw = _first_fortnight(30)
    raw.loc[4, "InvoiceDate"] = "2009-12-05 09:00"
    with pytest.raises(ft.DataContractError, match=r"do not read as --date-format %m/%d/%Y "
                       r"%H:%M \(1 row; first at row 5: '2009-12-05 09:00'\)"):
        ft.orders_to_events(raw, **ROLES, date_format="%m/%d/%Y %H:%M")  # type: ignore[arg-type]


def test_the_cli_takes_date_format(tmp_path: Path) -> None:
    src, out = tmp_path / "retail.csv", tmp_path / "events.csv"
    _first_fortnight(60).to_csv(src, index=False)
    args = ["data", "import-orders", str(src), "--out", str(out), "--customer-col",
            "Customer ID", "--time-col", "InvoiceDate", "--order-col", "Invoice",
            "--quantity-col", "Quantity", "--price-col", "Price"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code != 0
    assert "--date-format" in " ".join(res.output.split())
    res = CliRunner().invoke(app, [*args, "--date-format", "%m/%d/%Y %H:%M"])
    assert res.exit_code == 0, res.output
    assert "2009-12-01 to 2009-12-12" in " ".join(res.output.split())


def test_date_format_with_offsets_converts_to_the_business_time_zone() -> None:
    """'%z' in the format (winter and summer offsets in one column) and a zoned datetime column
    had raised TypeError (tz-aware to naive); they are converted to ``tz`` as without a format."""
    raw = pd.DataFrame({"Invoice": ["1", "2"], "Amount": [5.0, 6.0], "Customer ID": [1, 2],
                        "InvoiceDate": ["01/02/2024 23:30+0100", "01/07/2024 10:00+0200"]})
    roles = {"customer": "Customer ID", "time": "InvoiceDate", "order": "Invoice",
             "amount": "Amount"}
    ev = ft.orders_to_events(raw, **roles, date_format="%d/%m/%Y %H:%M%z",  # type: ignore[arg-type]
                             tz="Europe/London")
    assert sorted(ev["ts"]) == [pd.Timestamp("2024-02-01 22:30"), pd.Timestamp("2024-07-01 09:00")]
    zoned = raw.assign(InvoiceDate=pd.to_datetime(raw["InvoiceDate"], format="%d/%m/%Y %H:%M%z",
                                                  utc=True))
    ev = ft.orders_to_events(zoned, **roles, date_format="%d/%m/%Y",  # type: ignore[arg-type]
                             tz="Europe/Berlin")
    assert sorted(ev["ts"]) == [pd.Timestamp("2024-02-01 23:30"), pd.Timestamp("2024-07-01 10:00")]
