"""An Instacart-style export without dates (``days_since_prior_order``, capped at 30, empty on
each customer's first order) given dates by counting back from one anchor per customer: every
last order lands on the anchor, no one lapses, and churn training had stopped with "only one
label value ... Use a longer horizon or more customers". The import and ``brain train`` now say
what happened to the dates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import features as ft
from serving.cli import app

runner = CliRunner()


def _true_orders(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Orders on their real days: shoppers every 7-30 days, a third lapsing half-way."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n):
        day = int(rng.integers(0, 200))
        stop = 400 if u % 3 else day + int(rng.integers(40, 200))
        gap = int(rng.choice([7, 14, 30]))
        while day < stop:
            rows.append((u + 1, day))
            day += max(1, gap + int(rng.integers(-2, 3)))
    out = pd.DataFrame(rows, columns=["user_id", "day"])
    out["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(out["day"], unit="D")
    return out


def _anchored(orders: pd.DataFrame, anchor: str = "2025-02-03") -> pd.DataFrame:
    """What the export lets an analyst rebuild: gaps capped at 30, last order on the anchor."""
    o = orders.sort_values(["user_id", "day"]).copy()
    gap = o.groupby("user_id")["day"].diff().clip(upper=30).fillna(0)
    back = gap.groupby(o["user_id"]).transform("sum") - gap.groupby(o["user_id"]).cumsum()
    o["date"] = pd.Timestamp(anchor) - pd.to_timedelta(back, unit="D")
    return o


def _import(orders: pd.DataFrame) -> pd.DataFrame:
    lines = pd.DataFrame({"user_id": orders["user_id"].astype(str),
                          "date": orders["date"].dt.strftime("%Y-%m-%d"), "items": "3"})
    return ft.orders_to_events(lines, customer="user_id", time="date", amount="items",
                               source="orders.csv")


def test_dates_counted_back_from_one_anchor_are_named_at_import() -> None:
    notes = " ".join(_import(_anchored(_true_orders())).attrs["load_notes"])
    assert "orders.csv: 300 of the 300 customers in 'user_id' with orders on two days or " \
           "more (100%) have their last order on 2025-02-03, the last day of the data" in notes
    assert "no gap between two orders is longer than 30 days" in notes
    assert "hide who lapsed" in notes


def test_a_log_whose_customers_lapse_gets_no_such_note() -> None:
    ev = _import(_true_orders())
    assert ft.common_last_day_note(ev) is None
    assert not any("last day of the data" in n for n in ev.attrs["load_notes"])
    assert ft.common_last_day_note(_import(_anchored(_true_orders(60)))) is None  # 60: small


def test_brain_train_names_the_common_last_day_before_the_labels(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAIN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    events = tmp_path / "events.parquet"
    ev = _import(_anchored(_true_orders()))
    ev.attrs.clear()
    ev.to_parquet(events)
    res = runner.invoke(app, ["train", "churn", "--events", str(events), "--no-register"])
    out = " ".join(res.output.split())
    assert "events.parquet: 300 of the 300 customers" in out, out
    assert out.index("last day of the data") < out.index("building features")


def _instacart_lines(orders: pd.DataFrame) -> pd.DataFrame:
    """The export's own columns joined to two lines per order: order_number (1, 2, 3 per
    customer) and days_since_prior_order (capped at 30, empty on each first order)."""
    o = orders.sort_values(["user_id", "day"]).reset_index(drop=True)
    o["order_id"] = (np.arange(len(o)) + 1000).astype(str)
    o["order_number"] = (o.groupby("user_id").cumcount() + 1).astype(str)
    gap = o.groupby("user_id")["day"].diff().clip(upper=30)
    o["days_since_prior_order"] = gap.map(lambda g: "" if pd.isna(g) else f"{g:.1f}")
    lines = o.loc[o.index.repeat(2)].reset_index(drop=True)
    return pd.DataFrame({"order_id": lines["order_id"], "user_id": lines["user_id"].astype(str),
                         "order_number": lines["order_number"],
                         "days_since_prior_order": lines["days_since_prior_order"],
                         "DAY": (lines["day"] + 1).astype(str), "items": "1"})


def _import_error(time: str, day_origin: str | None = None) -> str:
    raw = _instacart_lines(_true_orders())
    with pytest.raises(ft.DataContractError) as info:
        ft.orders_to_events(raw, customer="user_id", time=time, order="order_id",
                            amount="items", source="lines.csv", day_origin=day_origin)
    return str(info.value)


@pytest.mark.parametrize("day_origin", [None, "2024-01-01"])
def test_order_number_is_named_as_each_customers_order_sequence_not_days(
        day_origin: str | None) -> None:
    # it had been told it "looks like day numbers" and to pass --day-origin, which put every
    # customer's orders on days 1, 2, 3
    msg = _import_error("order_number", day_origin)
    assert ("lines.csv: column 'order_number' looks like each customer's order sequence "
            "(1, 2, 3 per customer), not days: for 300 of the 300 customers with two orders or "
            "more its values are exactly 1 to their number of orders") in msg
    assert "looks like day numbers" not in msg
    assert "column that holds each order's date" in msg
    assert ("would put every customer's first order on that day" in msg) == (
        day_origin is not None)


@pytest.mark.parametrize("day_origin", [None, "2024-01-01"])
def test_days_since_prior_order_is_named_as_a_gap_empty_once_per_customer(
        day_origin: str | None) -> None:
    # it had been told it "has missing values" with the fix "fill them in"
    msg = _import_error("days_since_prior_order", day_origin)
    assert ("lines.csv: column 'days_since_prior_order' is empty on exactly one order of each "
            "customer (300 of the 300 customers with two orders or more) and holds ") in msg
    assert "as if capped (Instacart caps it at 30)" in msg
    assert "the days since the customer's previous order" in msg
    assert "a gap, not a date (600 rows; first at row 1, 2, " in msg
    assert "fill them in or remove" not in msg
    assert "docs/data-contracts.md ('An export without dates or money')" in msg


def test_day_numbers_counted_from_one_day_for_everyone_still_read() -> None:
    raw = _instacart_lines(_true_orders())  # DAY: day 1 is the same day for every customer
    out = ft.orders_to_events(raw, customer="user_id", time="DAY", order="order_id",
                              amount="items", day_origin="2024-01-01")
    assert out["ts"].min() >= pd.Timestamp("2024-01-01")
    assert out["user_id"].nunique() == 300
