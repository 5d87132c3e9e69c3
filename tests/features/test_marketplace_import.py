"""A marketplace export (Olist's layout) through ``import-orders`` and ``brain train``.

Olist writes a new ``customer_id`` for every order and the person as ``customer_unique_id`` in
its customers file. Imported under the per-order id, no customer ever buys twice: the import
and the training must say so, not stop later with "Use a longer horizon or more customers"
(churn, propensity) or a LightGBM traceback (value).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import features as ft
from serving.cli import app
from training._customer_models import CustomerModel

runner = CliRunner()


def _marketplace_lines(n_people: int = 300, seed: int = 0) -> pd.DataFrame:
    """Order lines joined from orders, items and customers as an Olist user joins them: a
    third of the people order again; each order gets its own ``customer_id``."""
    rng = np.random.default_rng(seed)
    rows = []
    order = 0
    for person in range(n_people):
        n_orders = 1 + (rng.random() < 0.33) * rng.integers(1, 4)
        for _ in range(n_orders):
            day = pd.Timestamp("2017-01-01") + pd.Timedelta(days=int(rng.integers(0, 600)))
            rows.extend({"order_id": f"o{order:05d}", "order_item_id": item + 1,
                         "customer_id": f"c{order:05d}",  # one per order
                         "customer_unique_id": f"u{person:05d}",
                         "order_purchase_timestamp": f"{day:%Y-%m-%d} 14:05:00-03:00",
                         "price": round(float(rng.gamma(2, 40)), 2),
                         "freight_value": round(float(rng.gamma(4, 4)), 2)}
                        for item in range(1 + int(rng.random() < 0.1)))
            order += 1
    lines = pd.DataFrame(rows)
    lines["amount"] = (lines["price"] + lines["freight_value"]).round(2)
    return lines


def _import(lines: pd.DataFrame, customer: str) -> pd.DataFrame:
    return ft.orders_to_events(lines, customer=customer, time="order_purchase_timestamp",
                               order="order_id", amount="amount", source="lines.csv",
                               tz="America/Sao_Paulo")


def test_import_under_a_per_order_customer_id_says_no_customer_bought_twice() -> None:
    lines = _marketplace_lines()
    notes = "\n".join(_import(lines, "customer_id").attrs["load_notes"])
    assert "every one of the" in notes
    assert "customers in 'customer_id' has exactly one order" in notes
    assert "customer_unique_id" in notes  # the fix names the person's id
    # the person's id: a third came back, nothing to say
    person = "\n".join(_import(lines, "customer_unique_id").attrs["load_notes"])
    assert "exactly one order" not in person


def test_single_order_note_needs_enough_customers_and_counts_orders_not_events() -> None:
    ev = pd.DataFrame({"user_id": [f"u{i}" for i in range(150)] * 2,
                       "event_type": ["purchase"] * 300,
                       "order_id": [f"o{i}" for i in range(150)] * 2,  # one order, 2 categories
                       "category": ["a"] * 150 + ["b"] * 150})
    assert ft.single_order_note(ev) is not None
    assert ft.single_order_note(ev.iloc[::3]) is None  # 50 customers: a small shop
    again = pd.concat([ev, ev.iloc[:1].assign(order_id="o-again")])
    assert ft.single_order_note(again) is None  # one customer bought twice


def test_brain_train_refuses_a_log_where_nobody_buys_twice_before_building_features(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAIN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    events = tmp_path / "events.parquet"
    ev = _import(_marketplace_lines(), "customer_id")
    ev.attrs.clear()  # as the CLI writes it: the notes are printed, not stored
    ev.to_parquet(events)
    for task in ("churn", "value"):
        res = runner.invoke(app, ["train", task, "--events", str(events), "--no-register"])
        assert res.exit_code != 0
        out = " ".join(res.output.split())
        assert "events.parquet: every one of the" in out, out
        assert "customer_unique_id" in out
        assert "building features" not in out  # stopped before the feature build
        assert "Traceback" not in out
        assert "sum of labels is zero" not in out


def test_value_model_on_all_zero_revenue_is_a_clear_error_not_a_lightgbm_one() -> None:
    rng = np.random.default_rng(0)
    frame = pd.concat([pd.DataFrame({
        "user_id": [f"u{i}" for i in range(400)],
        "cutoff": pd.Timestamp("2024-01-31") + pd.DateOffset(months=k),
        "recency_days": rng.exponential(40, 400), "orders_total": rng.poisson(3, 400),
        "label_value": 0.0}) for k in range(4)], ignore_index=True)
    with pytest.raises(ValueError, match=r"is 0 for every one of the .* no value to learn"):
        CustomerModel("value", horizon_days=90).fit(frame)


def test_offsets_read_without_tz_get_a_note_counting_the_lines_moved_to_another_day() -> None:
    lines = pd.DataFrame({"buyer": ["a", "b", "c", "d"], "order": ["1", "2", "3", "4"],
                          "amount": [10.0, 20.0, 30.0, 40.0],
                          "when": ["2018-03-01 22:30:00-03:00", "2018-03-02 10:00:00-03:00",
                                   "2018-11-20 23:10:00-02:00", "2018-11-21 09:00:00-02:00"]})

    def notes(tz: str, frame: pd.DataFrame = lines) -> str:
        ev = ft.orders_to_events(frame, customer="buyer", time="when", order="order",
                                 amount="amount", source="lines.csv", tz=tz)
        return "\n".join(ev.attrs["load_notes"])

    utc = notes("UTC")
    assert "holds times with UTC offsets (-03:00, -02:00) and no --tz was given" in utc
    assert "2 lines (50.0%) on another day" in utc
    assert "UTC offsets" not in notes("America/Sao_Paulo")
    noon = lines.assign(when=lines["when"].str.replace(r" \d\d:", " 12:", regex=True))
    assert "UTC offsets" not in notes("UTC", noon)  # no line changes its day
    zulu = lines.assign(when=lines["when"].str.replace(r"-0[23]:00$", "Z", regex=True))
    assert "UTC offsets" not in notes("UTC", zulu)
