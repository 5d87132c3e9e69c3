"""Lines that are not products (postage, fees, manual lines) in an order-line export are named
by ``brain data import-orders``, with their revenue: they are imported as sales."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

import features as ft
from serving.cli import app


def _export() -> pd.DataFrame:
    """Online Retail II shape: products, postage and a manual line of known customers, a manual
    credit on a 'C' invoice, and guest lines (a dotcom postage, a bad-debt adjustment)."""
    return pd.DataFrame({
        "Invoice": ["489434", "489434", "489434", "489435", "C489436", "489437", "489437",
                    "A506401"],
        "StockCode": ["85048", "POST", "79323P", "M", "M", "22087", "DOT", "B"],
        "Description": ["CANDLE", "POSTAGE", "LIGHTS", "Manual", "Manual", "TIN", "DOTCOM POSTAGE",
                        "Adjust bad debt"],
        "Quantity": [12, 2, 6, 1, -1, 3, 1, 1],
        "InvoiceDate": ["12/1/2009 7:45", "12/1/2009 7:45", "12/1/2009 7:45", "12/2/2009 9:00",
                        "12/3/2009 9:00", "12/13/2009 9:00", "12/13/2009 9:00",
                        "12/14/2009 9:00"],
        "Price": ["2.50", "18.00", "1.00", "400.00", "25.00", "3.00", "90.00", "-500.00"],
        "Customer ID": [13085.0, 13085.0, 13085.0, 16321.0, 16321.0, np.nan, np.nan, np.nan],
        "Country": ["Germany"] * 3 + ["United Kingdom"] * 5,
    })


ROLES = {"customer": "Customer ID", "quantity": "Quantity", "price": "Price",
         "skip": {"InvoiceDate", "Invoice", "Quantity", "Price", "Country"}, "source": "retail.csv"}


def test_postage_and_manual_lines_of_customers_are_counted_with_their_revenue() -> None:
    note = ft.non_product_note(_export(), **ROLES)  # type: ignore[arg-type]
    assert note is not None
    # the guest lines (DOT, B) are left out by the import anyway and are not counted here
    assert note.startswith("retail.csv: 3 lines of customers with an id are not products by "
                           "column 'StockCode': M (2 lines), POST (1 line)")
    purchases = 12 * 2.5 + 2 * 18 + 6 * 1 + 400  # the customers' positive lines
    assert f"436.00 of the purchase revenue ({100 * 436 / purchases:.1f}%)" in note
    assert "-25.00 on negative lines" in note
    assert "first at row 2" in note
    assert "df[~df['StockCode'].astype(str).str.strip().isin(['M', 'POST'])]" in note


def test_the_filter_the_note_gives_drops_exactly_those_lines() -> None:
    raw = _export()
    kept = raw[~raw["StockCode"].astype(str).str.strip().isin(["M", "POST"])]
    assert kept["StockCode"].tolist() == ["85048", "79323P", "22087", "DOT", "B"]
    assert ft.non_product_note(kept, **ROLES) is None  # type: ignore[arg-type]


def test_the_filter_the_note_gives_lists_every_value_when_there_are_many() -> None:
    """With more than eight codes the filter had ended in '...' (Python's Ellipsis): pasted,
    it kept every line of the codes cut off (POST among them)."""
    codes = ["POST", "DOT", "C2", "BANK CHARGES", "AMAZONFEE", "CRUK", "ADJUST", "ADJUST2",
             "PADS", "M", "D", "S", "B"]
    raw = pd.DataFrame({"StockCode": [*codes, "85048"], "Quantity": 1, "Price": "3.00",
                        "Customer ID": 13085.0, "InvoiceDate": "12/1/2009 7:45",
                        "Invoice": "489434", "Country": "Germany"})
    note = ft.non_product_note(raw, **ROLES)  # type: ignore[arg-type]
    assert note is not None
    line = note[note.index("df[~df["):]
    kept = eval(line, {"df": raw})  # the line as the user would paste it
    assert kept["StockCode"].tolist() == ["85048"]
    assert ft.non_product_note(kept, **ROLES) is None  # type: ignore[arg-type]


def test_one_letter_codes_alone_are_products() -> None:
    """A size column's M and S are not manual lines or samples: without a distinctive code
    (POST, a description such as 'Manual') in the same column nothing is flagged."""
    raw = pd.DataFrame({"order": ["1", "1", "2"], "size": ["M", "S", "L"],
                        "customer": ["a", "a", "b"], "amount": [10.0, 12.0, 9.0]})
    assert ft.non_product_note(raw, customer="customer", amount="amount",
                               skip={"order", "amount"}) is None


def test_import_orders_names_the_lines_that_are_not_products(tmp_path: Path) -> None:
    src, out = tmp_path / "retail.csv", tmp_path / "events.csv"
    _export().to_csv(src, index=False)
    res = CliRunner().invoke(app, ["data", "import-orders", str(src), "--out", str(out),
                                   "--customer-col", "Customer ID", "--time-col", "InvoiceDate",
                                   "--order-col", "Invoice", "--quantity-col", "Quantity",
                                   "--price-col", "Price", "--channel-col", "Country"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ("3 lines of customers with an id are not products by column 'StockCode': M (2 "
            "lines), POST (1 line)") in text
    # the events are as before: the lines are named, not dropped
    ev = pd.read_csv(out)
    assert round(ev.loc[ev["event_type"] == "purchase", "revenue"].sum(), 2) == 472.0
