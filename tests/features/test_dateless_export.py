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
