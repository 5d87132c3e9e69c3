"""An order export whose lines are in several currencies (shops in several countries).

The import reads only the columns it is given, so a ``Currency`` column beside the amounts was
ignored and 30 EUR plus 30 GBP summed to 60 of one money without a word.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
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


def _fx_import(raw: pd.DataFrame, rates: dict[str, float], **kw: str) -> pd.DataFrame:
    return ft.orders_to_events(raw, customer="ClientRef", time="OrderDate", order="OrderNo",
                               quantity="Qty", price="UnitPrice", channel="Store",
                               source="export.csv", fx=rates, fx_source="rates.csv", **kw)


def test_fx_rates_convert_each_line_by_its_currency() -> None:
    raw = _lines(["EUR", "GBP", "gbp ", "EUR"])  # prices 10, 20, 30, 10
    ev = _fx_import(raw, {"EUR": 1.0, "GBP": 1.17})
    assert ev.sort_values("order_id")["revenue"].round(2).tolist() == [10.0, 23.4, 35.1, 10.0]
    notes = [str(n) for n in ev.attrs["load_notes"]]
    assert not [n for n in notes if "holds 2 currencies" in n]  # converted: no longer mixed
    assert ("export.csv: amounts converted to the base currency by 'Currency' with the rates "
            "of rates.csv: EUR x 1 (2 lines), GBP x 1.17 (2 lines)") in notes
    assert ev.attrs["import_summary"]["converted"] == {"EUR": (2, 1.0), "GBP": (2, 1.17)}


def test_a_currency_without_a_rate_is_an_error_naming_it() -> None:
    raw = _lines(["EUR", "GBP", "EUR", "USD", "GBP"])
    with pytest.raises(ft.DataContractError) as err:
        _fx_import(raw, {"EUR": 1.0})
    msg = str(err.value)
    assert ("export.csv: column 'Currency' holds currencies with no rate in rates.csv: GBP (2 "
            "lines), USD (1 line) (3 rows; first at row 2: 'GBP', 4: 'USD', 5: 'GBP')") in msg
    assert "Fix: add a row such as 'GBP,<rate>' to rates.csv" in msg
    # a guest line (no customer) is not imported, so its currency needs no rate
    guest = _lines(["EUR", "USD"]).assign(ClientRef=["CL-1", ""])
    assert len(_fx_import(guest, {"EUR": 1.0})) == 1


def test_import_orders_fx_reads_a_rates_file(tmp_path: Path) -> None:
    src, rates = tmp_path / "export.csv", tmp_path / "rates.csv"
    _lines(["EUR", "GBP"] * 5).to_csv(src, index=False)
    rates.write_text("currency;rate\nEUR;1\nGBP;1,17\n")  # a ';' file's decimal comma
    args = ["data", "import-orders", str(src), "--out", str(tmp_path / "e.csv"),
            "--customer-col", "ClientRef", "--time-col", "OrderDate", "--order-col", "OrderNo",
            "--quantity-col", "Qty", "--price-col", "UnitPrice", "--channel-col", "Store"]
    res = runner.invoke(app, [*args, "--fx", str(rates)], terminal_width=400)
    said = " ".join(res.output.split())
    assert res.exit_code == 0, said
    # EUR 10 + 30 + 20 + 10 + 30 = 100, GBP (20 + 10 + 30 + 20 + 10) x 1.17 = 105.30
    assert ("revenue (converted to the base currency of rates.csv): purchases 205.30" in said)
    rates.write_text("currency,rate\nEUR,1\n")
    res = runner.invoke(app, [*args, "--fx", str(rates)], terminal_width=400)
    said = " ".join(res.output.split())
    assert res.exit_code != 0
    assert "holds a currency with no rate in rates.csv: GBP (5 rows" in said
    rates.write_text("devise;taux de change\nEUR;1\nGBP;1,17\n")  # French names
    res = runner.invoke(app, [*args, "--fx", str(rates)], terminal_width=400)
    said = " ".join(res.output.split())
    assert res.exit_code == 0, said
    assert "revenue (converted to the base currency of rates.csv): purchases 205.30" in said
    rates.write_text("code_x,factor\nEUR,1\n")
    res = runner.invoke(app, [*args, "--fx", str(rates)], terminal_width=400)
    assert "rates.csv: file needs the columns 'currency' and 'rate'" in " ".join(
        res.output.split())
    res = runner.invoke(app, args, terminal_width=400)  # without rates: the note, naming --fx
    assert "Convert them with --fx rates.csv" in " ".join(res.output.split())


@pytest.mark.parametrize("text", [
    "Währung;Kurs\nEUR;1\nGBP;1,17\nJPY;0,0061\n",
    "Devise,Taux de change\nEUR,1\nGBP,\"1,17\"\nJPY,\"0,0061\"\n",
    "Valuta,Koers\nEUR,€1\nGBP,1.17\nJPY,0.0061\n",
    "Moneda;Tipo de cambio\nEUR;1\nGBP;1,17\nJPY;0,0061\n",
])
def test_rates_files_named_in_other_languages_are_read(tmp_path: Path, text: str) -> None:
    """A rates file's columns named in German, French, Dutch or Spanish are read, and its
    numbers as the importer reads amounts (decimal commas, currency signs); until 2026-12-07
    only 'currency' and 'rate' were, and '€1' was no number."""
    from features._import_fx import read_fx_rates

    path = tmp_path / "kurse.csv"
    path.write_text(text, encoding="utf-8")
    assert read_fx_rates(path) == {"EUR": 1.0, "GBP": 1.17, "JPY": 0.0061}


def test_the_currency_column_named_in_another_language_wins_over_a_code_column(
        tmp_path: Path) -> None:
    """A rates file with a country 'Code' beside its 'Währung': the currency codes are read
    from 'Währung' (the English 'code' had been taken first, and the rates came out keyed
    by country, {'DE': 1.0, 'GB': 1.17}, for the import to fail on every currency)."""
    from features._import_fx import read_fx_rates

    path = tmp_path / "kurse.csv"
    path.write_text("Land;Code;Währung;Kurs\nDeutschland;DE;EUR;1\n"
                    "Vereinigtes Königreich;GB;GBP;1,17\n", encoding="utf-8")
    assert read_fx_rates(path) == {"EUR": 1.0, "GBP": 1.17}
