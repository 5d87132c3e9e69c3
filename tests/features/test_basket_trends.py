"""Basket trends (``features._baskets``): the last month of orders against the 11 months before,
on hand-made baskets, and only from events before the cutoff."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import features as ft

CUTOFF = pd.Timestamp("2024-12-01")


def _basket(user: int, days_before: float, order: str, lines: list[tuple[str, float]]
            ) -> list[dict[str, object]]:
    ts = CUTOFF - pd.Timedelta(days=days_before)
    return [{"user_id": user, "ts": ts, "event_type": "purchase", "channel": "store",
             "category": c, "revenue": v, "order_id": order} for c, v in lines]


def _events() -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    # household 1: 4 lines in 3 departments for 40 a basket from days 335 to 35 before, then
    # two baskets of 1 line for 10 in the last month (the switch); every basket weekly
    for i, d in enumerate(np.arange(335, 30, -7.0)):
        rows += _basket(1, d, f"a{i}", [("dairy", 10.0), ("dairy", 10.0), ("meat", 10.0),
                                        ("produce", 10.0)])
    rows += _basket(1, 20, "r1", [("dairy", 10.0)]) + _basket(1, 5, "r2", [("dairy", 10.0)])
    # household 2: only recent baskets (nothing to compare with); 3: nothing recent
    rows += _basket(2, 3, "n1", [("dairy", 5.0)])
    rows += _basket(3, 100, "o1", [("dairy", 5.0)])
    rows += _basket(1, -1, "future", [("meat", 500.0)] * 9)  # after the cutoff: never read
    ev = pd.DataFrame(rows).sort_values("ts", kind="stable")
    return ft.validate_events(ev, "baskets", on_duplicate="keep")


def test_basket_trends_compare_the_last_month_with_the_months_before() -> None:
    f = ft.user_features(_events(), CUTOFF).set_index("user_id")
    h = f.loc[1]
    assert h["order_value_trend_30d"] == pytest.approx(10 / 40)
    assert h["basket_categories_trend_30d"] == pytest.approx(1 / 3)
    # 44 baskets in days 30-335: a customer of 335 days has 305 earlier days, not 335
    assert h["revenue_trend_30d"] == pytest.approx(20 / (44 * 40.0 * 30 / 305))
    # nothing to compare: no order before the last month, or none in it
    for col in ("order_value_trend_30d", "basket_categories_trend_30d", "revenue_trend_30d"):
        assert np.isnan(f.loc[2, col])
    assert np.isnan(f.loc[3, "order_value_trend_30d"])
    assert f.loc[3, "revenue_trend_30d"] == 0


def test_basket_trends_without_order_ids_or_categories() -> None:
    ev = _events()
    f = ft.user_features(ev.drop(columns=["order_id"]), CUTOFF).set_index("user_id")
    # every line is an order: a line was worth 10 before and is now; one category each
    assert f.loc[1, "order_value_trend_30d"] == pytest.approx(1.0)
    assert f.loc[1, "basket_categories_trend_30d"] == pytest.approx(1.0)
    assert "basket_categories_trend_30d" in ft.describe(list(f.columns))
    assert "basket_size_trend_30d" not in f.columns
    # a log without categories (CDNOW's orders) keeps the columns it had
    plain = ft.user_features(ev.drop(columns=["category"]), CUTOFF)
    assert not {"revenue_trend_30d", "order_value_trend_30d"} & set(plain.columns)
