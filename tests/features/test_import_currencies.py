"""An order export whose lines are in several currencies (shops in several countries).

The import reads only the columns it is given, so a ``Currency`` column beside the amounts was
ignored and 30 EUR plus 30 GBP summed to 60 of one money without a word.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

import features as ft
from serving.cli import app

runner = CliRunner()


def _lines(currencies: list[str]) -> pd.DataFrame:
    n = len(currencies)
    return pd.DataFrame({
        "OrderNo": [f"SO{i}" for i in range(n)],
        "OrderDate": [f"2025-0{1 + i % 9}-1{i % 10} 10:00" for i in range(n)],
        "ClientRef": [f"CL-{i % 4}" for i in range(n)],
        "Qty": [1] * n, "UnitPrice": [10.0 * (1 + i % 3) for i in range(n)],
        "Currency": currencies, "Store": ["Berlin", "London"] * (n // 2) + ["Berlin"] * (n % 2)})


def _import(raw: pd.DataFrame) -> list[str]:
    ev = ft.orders_to_events(raw, customer="ClientRef", time="OrderDate", order="OrderNo",
                             quantity="Qty", price="UnitPrice", channel="Store",
                             source="export.csv")
    return [str(n) for n in ev.attrs["load_notes"]]


def test_a_column_of_several_currencies_is_named_with_each_ones_share() -> None:
    raw = _lines(["EUR", "GBP", "eur ", "EUR", "USD", "EUR", "GBP", "EUR"])
    notes = [n for n in _import(raw) if "currencies" in n]
    assert len(notes) == 1
    note = notes[0]
    assert "column 'Currency' holds 3 currencies" in note
    assert "EUR 5 lines" in note
    assert "GBP 2 lines" in note
    assert "USD 1 line " in note
    assert "first line not in EUR at row 2" in note  # the first GBP line, 1-based data row
    assert "not converted" in note
    assert ".map(rates)" in note
    shares = ft.mixed_currency_note(raw, pd.Series([10.0] * 8), skip={"OrderNo"})
    assert shares is not None
    assert "EUR 5 lines (62.5% of the purchase revenue)" in shares


def test_one_currency_or_a_column_of_other_codes_says_nothing() -> None:
    assert not [n for n in _import(_lines(["EUR"] * 8)) if "currencies" in n]
    stores = _lines(["BER", "LON", "BER", "MUC", "LON", "BER", "MUC", "BER"])  # not ISO 4217
    assert not [n for n in _import(stores) if "currencies" in n]


def test_import_orders_prints_the_currency_note(tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    _lines(["EUR", "GBP"] * 5).to_csv(src, index=False)
    out = tmp_path / "events.parquet"
    result = runner.invoke(app, [
        "data", "import-orders", str(src), "--out", str(out), "--customer-col", "ClientRef",
        "--time-col", "OrderDate", "--order-col", "OrderNo", "--quantity-col", "Qty",
        "--price-col", "UnitPrice", "--channel-col", "Store"], terminal_width=400)
    assert result.exit_code == 0, result.output
    assert "column 'Currency' holds 2 currencies" in " ".join(result.output.split())
