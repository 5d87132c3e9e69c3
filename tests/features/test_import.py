"""Order-line exports into events: ``orders_to_events`` and ``brain data import-orders``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import features as ft
from serving.cli import app


def _retail_export() -> pd.DataFrame:
    """Shaped like UCI Online Retail II: month-first times, float ids with guests, 'C' invoices
    with negative quantities, a bad-debt adjustment, postage, a free line, a currency sign."""
    return pd.DataFrame({
        "Invoice": ["489434", "489434", "489434", "C489449", "489450", "A506401", "489451",
                    "489452", "489452"],
        "StockCode": ["85048", "79323P", "79323P", "22087", "POST", "B", "22", "85048", "22"],
        "Quantity": [12, 12, 12, -12, 1, 1, 3, 2, 1],
        "InvoiceDate": ["12/1/2009 7:45", "12/1/2009 7:45", "12/1/2009 7:45", "12/1/2009 10:33",
                        "12/2/2009 9:00", "12/3/2009 9:00", "12/13/2009 9:00", "1/5/2010 14:02",
                        "1/5/2010 14:02"],
        "Price": ["6.95", "6.75", "6.75", "2.95", "£18.00", "-53594.36", "0", "7.00", "1.50"],
        "Customer ID": [13085.0, 13085.0, 13085.0, 16321.0, 13085.0, np.nan, 12346.0, np.nan,
                        np.nan],
        "Country": ["United Kingdom"] * 9,
    })


def _import(raw: pd.DataFrame, **kw: object) -> pd.DataFrame:
    args: dict[str, object] = {"customer": "Customer ID", "time": "InvoiceDate",
                               "order": "Invoice", "quantity": "Quantity", "price": "Price",
                               "source": "retail.csv"}
    args.update(kw)
    return ft.orders_to_events(raw, **args)  # type: ignore[arg-type]


def test_invoice_lines_become_one_purchase_and_cancellations_refunds() -> None:
    ev = _import(_retail_export())
    assert list(ev.columns) == ["user_id", "ts", "event_type", "channel", "revenue", "order_id"]
    assert ev["user_id"].dtype == "int64"  # 13085.0 -> 13085
    first = ev[ev["order_id"] == "489434"]
    assert len(first) == 1  # three lines, two of them identical: one order, nothing dropped
    assert first["revenue"].iloc[0] == pytest.approx(12 * 6.95 + 2 * 12 * 6.75)
    refund = ev[ev["order_id"] == "C489449"].iloc[0]
    assert refund["event_type"] == "refund"
    assert refund["revenue"] == pytest.approx(-12 * 2.95)
    assert ev.loc[ev["order_id"] == "489450", "revenue"].iloc[0] == 18.0  # '£18.00' read
    assert ev["ts"].iloc[0] == pd.Timestamp("2009-12-01 07:45")  # month first, whole column
    assert set(ev["channel"]) == {"unknown"}
    notes = "\n".join(ev.attrs["load_notes"])
    # three guest lines (the adjustment and one invoice of two lines): counted with their share
    assert "3 of 9 lines have no customer id in 'Customer ID'" in notes
    share = 100 * 15.5 / (12 * 6.95 + 24 * 6.75 + 18 + 15.5)
    assert f"{share:.1f}% of the purchase revenue" in notes
    assert "1 line has revenue 0" in notes
    s = ev.attrs["import_summary"]
    assert (s["lines"], s["guest_lines"], s["customers"], s["purchases"], s["refunds"]) == (
        9, 3, 3, 3, 1)


def test_the_import_meets_the_events_contract_and_counts_orders(tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    _import(_retail_export(), channel="Country", category="StockCode").to_csv(out, index=False)
    ev = ft.load_events(out)  # default on_duplicate='drop' finds nothing to drop
    assert not ev.attrs["load_notes"]
    feats = ft.user_features(ev, "2010-02-01").set_index("user_id")
    # invoice 489434 has two categories: two events of one order
    assert feats.loc[13085, "orders_total"] == 2
    assert feats.loc[16321, "orders_total"] == 0


def test_without_an_order_column_one_customer_time_is_one_order() -> None:
    raw = _retail_export().drop(columns="Invoice")
    ev = _import(raw, order=None, category="StockCode")
    buys = ev[(ev["user_id"] == 13085) & (ev["event_type"] == "purchase")]
    assert len(buys) == 3  # two categories at 07:45, postage the next day
    assert buys["order_id"].nunique() == 2
    assert ft.user_features(ev, "2010-02-01").set_index("user_id").loc[13085,
                                                                         "orders_total"] == 2


def test_a_return_written_with_a_negative_quantity_and_price_is_a_refund() -> None:
    """A till export writing a return as -1 x -2.50: the product is +2.50, and the line was a
    refund that added 2.50 to the revenue ("refunds 414.36 (-0.7% of purchases)", net above
    the purchases, in an independent check's grocery lines)."""
    raw = pd.DataFrame({"Invoice": ["1", "1", "R1"], "Customer ID": ["007", "007", "007"],
                        "InvoiceDate": ["2024-01-02 10:00", "2024-01-02 10:00",
                                        "2024-01-05 09:00"],
                        "Quantity": ["2", "1", "-1"], "Price": ["2.50", "4.00", "-2.50"]})
    events = _import(raw)
    refund = events[events["event_type"] == "refund"]
    assert refund["revenue"].tolist() == [-2.5]
    assert events.loc[events["event_type"] == "purchase", "revenue"].tolist() == [9.0]
    assert events["user_id"].tolist() == ["007", "007"]
    notes = " ".join(events.attrs["load_notes"])
    assert ("1 line has a negative 'Quantity' and a negative 'Price' (first at row 3): read as "
            "returns of quantity x unit price (2.50), not as revenue") in notes
    assert "adjustments such as bad-debt" not in notes


def test_amount_column_and_channel_gaps() -> None:
    raw = pd.DataFrame({"basket": ["b1", "b1", "b2", "b3"], "member": ["M-1", "M-1", "M-2", ""],
                        "when": ["2024-03-01T10:00:00+01:00"] * 2 + ["2024-03-02T09:00:00+01:00",
                                                                     "2024-03-02T09:30:00+01:00"],
                        "total": ["$4.50", "1,250.00", "-2.00", "3"],
                        "store": ["north", "north", None, "south"]})
    ev = ft.orders_to_events(raw, customer="member", time="when", order="basket", amount="total",
                             channel="store", default_channel="online", tz="Europe/Berlin")
    assert ev["user_id"].tolist() == ["M-1", "M-2"]  # the blank member is a guest
    assert ev["revenue"].tolist() == [1254.5, -2.0]
    assert ev["channel"].astype(str).tolist() == ["north", "online"]
    assert ev["ts"].iloc[0] == pd.Timestamp("2024-03-01 10:00")
    assert any("1 line has no 'store'; given channel 'online'" in n
               for n in ev.attrs["load_notes"])


def test_bad_exports_name_file_column_rows_and_fix() -> None:
    with pytest.raises(ft.DataContractError) as err:
        _import(_retail_export(), customer="customer id", time="InvoiceDat")
    msg = str(err.value)
    assert "retail.csv" in msg
    assert "'customer id' is not in the file" in msg
    assert "did you mean 'Customer ID'?" in msg
    assert "did you mean 'InvoiceDate'?" in msg
    bad = _retail_export()
    bad.loc[2, "Price"] = "abc"
    bad.loc[3, "Price"] = None
    bad.loc[4, "InvoiceDate"] = "soon"
    with pytest.raises(ft.DataContractError) as err:
        _import(bad)
    msg = str(err.value)
    assert "3 data contract problems" in msg
    assert "column 'Price' has values that are not numbers (1 row; first at row 3: 'abc')" in msg
    assert "column 'Price' has missing values (1 row; first at row 4)" in msg
    assert "column 'InvoiceDate' has values that are not timestamps" in msg
    assert "row 5: 'soon'" in msg
    with pytest.raises(ValueError, match=r"retail\.csv: give the line revenue .*; not both"):
        _import(_retail_export(), amount="Price")


def test_an_export_without_money_is_told_what_to_pass_and_what_value_then_means() -> None:
    # Instacart's order lines: no price, no amount; the error had named neither the file
    # nor what to do ("give the line revenue ...; not both, not neither")
    raw = pd.DataFrame({"order_id": ["1", "1", "2"], "user_id": ["7", "7", "7"],
                        "date": ["2025-03-01", "2025-03-01", "2025-03-08"],
                        "product_id": ["12", "40", "12"]})
    with pytest.raises(ValueError, match="no line revenue given") as err:
        ft.orders_to_events(raw, customer="user_id", time="date", order="order_id",
                            source="lines.csv")
    msg = str(err.value)
    assert msg.startswith("lines.csv: no line revenue given (no column looks like money (the "
                          "file's columns: order_id, user_id, date, product_id))")
    assert "add a column holding 1 on every line" in msg
    assert "the value model then predicts items bought, not money" in msg
    raw["items"] = "1"
    out = ft.orders_to_events(raw, customer="user_id", time="date", order="order_id",
                              amount="items", source="lines.csv")
    assert out["revenue"].tolist() == [2.0, 1.0]  # the fix imports: items per order
    with pytest.raises(ValueError, match=r"lines\.csv: --quantity-col needs --price-col too"):
        ft.orders_to_events(raw, customer="user_id", time="date", quantity="items",
                            source="lines.csv")
    raw = raw.rename(columns={"items": "Sales Value"})
    with pytest.raises(ValueError, match=r"columns that may hold it: Sales Value\)"):
        ft.orders_to_events(raw, customer="user_id", time="date", source="lines.csv")


def test_cli_import_then_validate(tmp_path: Path) -> None:
    src = tmp_path / "online_retail.csv"
    _retail_export().to_csv(src, index=False)
    out = tmp_path / "events.parquet"
    runner = CliRunner()
    res = runner.invoke(app, ["data", "import-orders", str(src), "--out", str(out),
                              "--customer-col", "Customer ID", "--time-col", "InvoiceDate",
                              "--order-col", "Invoice", "--quantity-col", "Quantity",
                              "--price-col", "Price", "--channel-col", "Country"])
    assert res.exit_code == 0, res.output
    # the 3 guest lines are not imported: the count says so (it had read "imported 9 lines"),
    # and the lines read are the lines kept and set aside (since 2026-12-07 one line each)
    said = " ".join(res.output.split())
    assert "read 9 lines of online_retail.csv" in said
    assert ("kept 6 lines: 3 orders and 1 refund (negative lines: returns, cancellations) of 3 "
            "customers") in said
    assert "set aside 3 lines: 3 without a customer id (guest checkouts" in said
    assert "wrote 4 events to" in said
    # 12 x 6.95 + 24 x 6.75 + 18.00 + 0 bought; 12 x 2.95 back
    assert ("revenue: purchases 263.40, refunds -35.40 (13.4% of purchases), net 228.00"
            in " ".join(res.output.split()))
    assert "guest checkouts" in res.output
    assert pd.read_parquet(out)["channel"].astype(str).unique().tolist() == ["United Kingdom"]
    res = runner.invoke(app, ["data", "validate", "--events", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["data", "import-orders", str(src), "--out", str(src),
                              "--customer-col", "Customer ID", "--time-col", "InvoiceDate",
                              "--amount-col", "Price"])
    assert res.exit_code == 2
    assert "is the export itself" in res.output
    assert src.read_text().startswith("Invoice,")  # untouched
    res = runner.invoke(app, ["data", "import-orders", str(src), "--out", str(out),
                              "--customer-col", "CustomerID", "--time-col", "InvoiceDate",
                              "--amount-col", "Price"])
    assert res.exit_code == 2
    assert "did you mean 'Customer ID'?" in res.output


def test_an_order_export_given_as_events_points_to_the_import() -> None:
    with pytest.raises(ft.DataContractError, match="brain data import-orders FILE"):
        ft.validate_events(_retail_export(), "online_retail.csv")


def test_a_zero_price_cancellation_is_a_refund_not_an_order() -> None:
    raw = pd.DataFrame({"Invoice": ["1", "1", "C2"], "Quantity": [2, 1, -1],
                        "InvoiceDate": ["2024-01-01 10:00"] * 2 + ["2024-01-02 10:00"],
                        "Price": [5.0, 0.0, 0.0], "Customer ID": [7, 7, 7],
                        "StockCode": ["a", "b", "b"]})
    ev = _import(raw, category="StockCode")
    refund = ev[ev["order_id"] == "C2"]
    assert refund["event_type"].tolist() == ["refund"]
    assert str(refund["revenue"].iloc[0]) == "0.0"  # not -0.0
    s = ev.attrs["import_summary"]
    assert (s["purchases"], s["refunds"]) == (1, 1)  # orders, not order x category events
    assert ft.user_features(ev, "2024-02-01").loc[0, "orders_total"] == 1


def test_ids_written_as_floats_join_in_a_mixed_column_and_short_names_get_a_hint() -> None:
    raw = pd.DataFrame({"Invoice": ["1", "2", "3"], "Qty": [1, 1, 1],
                        "InvoiceDate": ["2024-01-01", "2024-01-02", "2024-01-03"],
                        "Price": ["£3.00", "$4", "(1.50)"],
                        "Customer ID": ["12346.0", "12346", "ABC"]})
    ev = _import(raw, quantity="Qty")
    assert ev["user_id"].tolist() == ["12346", "12346", "ABC"]
    notes = " ".join(ev.attrs["load_notes"])
    assert "column 'Price' had currency symbols" in notes
    with pytest.raises(ft.DataContractError, match="did you mean 'Qty'"):
        _import(raw, quantity="Quantity")


def test_an_event_log_is_refused_rather_than_every_visit_made_a_purchase() -> None:
    log = pd.DataFrame({"CustomerID": ["a", "a", "b"], "EventTime": ["2024-01-01"] * 3,
                        "Type": ["visit", "purchase", "visit"], "Revenue": ["0", "20", "0"]})
    with pytest.raises(ft.DataContractError, match=r"column 'Type' holds event types \('visit' "
                       r"2, 'purchase' 1\): this is an event log, not an order export"):
        ft.orders_to_events(log, customer="CustomerID", time="EventTime", amount="Revenue",
                            source="log.csv")
    # a column of purchase and refund types is an order export's own and is fine
    orders = log.assign(Type=["purchase", "purchase", "refund"], Revenue=["5", "20", "-5"])
    out = ft.orders_to_events(orders, customer="CustomerID", time="EventTime",
                              amount="Revenue", source="orders.csv")
    assert len(out) == 2  # a's two same-time lines are one order, b's refund


def _import_error(frame: pd.DataFrame, customer: str) -> str:
    with pytest.raises(ft.DataContractError) as err:
        ft.orders_to_events(frame, customer=customer, time="ts", amount="revenue",
                            source="ev.csv")
    msg = str(err.value)
    assert "'event_type' to 'event_type'" not in msg
    return msg


def test_an_events_file_is_never_told_to_rename_event_type_to_itself() -> None:
    events = pd.DataFrame({"user_id": ["a", "a", "b"], "ts": ["2024-01-01"] * 3,
                           "event_type": ["visit", "purchase", "visit"], "channel": "email",
                           "revenue": ["", "20", ""]})
    msg = _import_error(events, "user_id")
    assert "looks like an events file already" in msg
    assert "brain data validate --events" in msg
    assert "docs/data-contracts.md" in msg
    partial = events.rename(columns={"user_id": "Customer", "channel": "source"})
    msg = _import_error(partial, "Customer")
    assert "'event_type' column already" in msg
    assert "user_id, channel are missing" in msg


def test_a_type_column_with_blanks_of_purchases_and_refunds_is_an_order_export() -> None:
    orders = pd.DataFrame({"CustomerID": ["a", "b", "c"], "EventTime": ["2024-01-01"] * 3,
                           "Type": ["purchase", None, "refund"], "Revenue": ["5", "7", "-5"]})
    out = ft.orders_to_events(orders, customer="CustomerID", time="EventTime",
                              amount="Revenue", source="orders.csv")
    assert len(out) == 3


def test_a_day_month_order_settled_by_one_row_is_named() -> None:
    """A month-first first-week export with one day-first stray read day-first: every date
    moved months, with only the format note to tell."""
    raw = _retail_export()
    days = ["9/1/2022 10:00", "9/2/2022 10:00", "9/3/2022 10:00", "9/4/2022 10:00",
            "9/5/2022 10:00", "9/6/2022 10:00", "13/09/2022 10:00", "9/7/2022 10:00",
            "9/7/2022 10:00"]
    raw["InvoiceDate"] = days
    notes = " ".join(_import(raw).attrs["load_notes"])
    assert "read as %d/%m/%Y %H:%M" in notes
    assert ("the day/month order rests on 1 of 9 values (row 7: '13/09/2022 10:00')"
            in notes)
    # a column whose order rests on more values says nothing more
    raw["InvoiceDate"] = [*days[:6], "13/09/2022 10:00", "14/09/2022 10:00", "15/09/2022 10:00"]
    notes = " ".join(_import(raw).attrs["load_notes"])
    assert "read as %d/%m/%Y %H:%M" in notes
    assert "rests on" not in notes


def test_a_small_guest_share_does_not_read_zero() -> None:
    """A grocery check's 300 card-less lines (1,350 of 4.0 million in sales) read '0.0% of the
    purchase revenue'."""
    from features._import import _share

    assert _share(1350.0, 4_042_908.0) == "under 0.1%"
    assert _share(0.0, 100.0) == "0.0%"
    assert _share(15.5, 100.0) == "15.5%"


def test_a_semicolon_export_with_decimal_commas_imports(tmp_path: Path) -> None:
    """A German till export (';'-separated, '3,61' prices, '1.234,50' amounts) is read as the
    events loader reads such a file's revenue; it had stopped with "not numbers ... use plain
    numbers with '.' as decimal point" on every line."""
    path = tmp_path / "kasse.csv"
    path.write_text("Bon;Zeit;Karte;Menge;Preis;Betrag\n"
                    "1;2025-06-01 08:00;0001;2;3,61;7,22\n"
                    "1;2025-06-01 08:00;0001;1;1.234,50;1.234,50\n"
                    "2;2025-06-02 09:00;0002;-1;2,21;-2,21\n", encoding="utf-8")
    raw = ft.read_table(path)
    ev = ft.orders_to_events(raw, customer="Karte", time="Zeit", order="Bon", quantity="Menge",
                             price="Preis", source="kasse.csv")
    assert sorted(ev["revenue"].round(2)) == [-2.21, 1241.72]
    assert any("',' as the decimal mark" in n for n in ev.attrs["load_notes"])
    ev = ft.orders_to_events(raw, customer="Karte", time="Zeit", order="Bon", amount="Betrag",
                             source="kasse.csv")
    assert sorted(ev["revenue"].round(2)) == [-2.21, 1241.72]
    out = tmp_path / "ev.csv"
    res = CliRunner().invoke(app, ["data", "import-orders", str(path), "--out", str(out),
                                   "--customer-col", "Karte", "--time-col", "Zeit",
                                   "--order-col", "Bon", "--amount-col", "Betrag"])
    assert res.exit_code == 0, res.output
    assert round(pd.read_csv(out)["revenue"].sum(), 2) == 1239.51


def test_exact_copies_of_a_line_are_counted_in_a_note() -> None:
    """Identical lines stay summed into their order (two scans of one item), but they are
    counted with their share of revenue: an export that repeats rows had added them in silence
    (a grocery check: 1% repeated rows, +1% revenue)."""
    ev = _import(_retail_export())
    notes = [n for n in ev.attrs["load_notes"] if "exact cop" in n]
    assert len(notes) == 1, ev.attrs["load_notes"]
    assert "1 line is an exact copy of an earlier line (every column equal" in notes[0]
    assert "first at row 3" in notes[0]
    assert ev.loc[ev["order_id"] == "489434", "revenue"].sum() == pytest.approx(12 * 6.95
                                                                               + 24 * 6.75)
    clean = _import(_retail_export().drop(index=2))
    assert not any("exact cop" in n for n in clean.attrs["load_notes"])


def test_loyalty_card_ids_with_leading_zeros_are_kept_as_written(tmp_path: Path) -> None:
    """A German till export's loyalty cards ('0049565435') had become integers (49565435)
    without a note: the scores no longer joined the CRM's ids, nor the API's requests."""
    path = tmp_path / "kasse.csv"
    path.write_text("Bon;Zeit;Karte;Betrag\n"
                    "1;2025-06-01 08:00;0049565435;7,22\n"
                    "2;2025-06-02 09:00;0000000042;2,21\n"
                    "3;2025-06-03 09:00;0049565435;1,00\n", encoding="utf-8")
    ev = ft.orders_to_events(ft.read_table(path), customer="Karte", time="Zeit", order="Bon",
                             amount="Betrag", source="kasse.csv")
    assert sorted(set(ev["user_id"])) == ["0000000042", "0049565435"]
    out = tmp_path / "ev.csv"
    ev.to_csv(out, index=False)
    assert sorted(set(ft.load_events(out)["user_id"])) == ["0000000042", "0049565435"]
    plain = ft.validate_events(pd.DataFrame({
        "user_id": ["42", "7"], "ts": ["2024-01-01", "2024-01-02"],
        "event_type": ["purchase", "purchase"], "channel": ["store", "store"],
        "revenue": [1.0, 2.0]}))
    assert plain["user_id"].tolist() == [42, 7]  # ids without leading zeros stay integers
