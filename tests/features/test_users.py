"""User features: golden values on hand-made events, and structural invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import features as ft

CUTOFF = "2024-03-01"


def test_golden_values_on_tiny_events(tiny_events: pd.DataFrame) -> None:
    f = ft.user_features(tiny_events, CUTOFF).set_index("user_id")
    u1, u2 = f.loc[1], f.loc[2]
    assert u1["visits_total"] == 3
    assert u1["orders_total"] == 2  # A2's two line items are one order
    assert u1["revenue_total"] == pytest.approx(100.0)
    assert u1["aov"] == pytest.approx(50.0)
    assert u1["max_order_value"] == pytest.approx(70.0)
    assert u1["days_since_last_purchase"] == pytest.approx((pd.Timestamp(CUTOFF) - pd.Timestamp(
        "2024-02-20 21:10")) / pd.Timedelta(days=1))
    assert u1["tenure_days"] == pytest.approx(91 - 10 / 24)
    assert u1["visits_30d"] == 1
    assert u1["visits_90d"] == 2
    assert u1["visits_180d"] == 3
    assert u1["orders_30d"] == 1
    assert u1["revenue_30d"] == pytest.approx(70.0)
    assert u1["mean_days_between_orders"] == pytest.approx(36 + (21 + 10 / 60 - 10 - 20 / 60) / 24)
    assert u1["ch_share_email"] == pytest.approx(2 / 3)
    assert u1["top_purchase_category"] == "kids"
    # user 2: 10 visits in January (all 30-60 days before the cutoff), 1 in February
    assert u2["visits_30d"] == 1
    assert u2["visits_prev_30d"] == 10
    assert u2["visit_drop_50"] == 1
    assert u2["visit_trend_30d"] == pytest.approx(2 / 11)
    assert u2["night_visit_share"] == pytest.approx(1 / 11)
    assert np.isnan(u2["days_since_last_purchase"])
    assert u2["orders_total"] == 0


def test_catalogue_documents_every_column_and_reaches_80(small_world: ft.World) -> None:
    f = ft.user_features(small_world.events, "2024-10-01")
    cols = [c for c in f.columns if c not in ("user_id", "cutoff")]
    described = ft.describe(cols)
    assert set(described) == set(cols), set(cols) - set(described)
    assert len(cols) >= 80


def test_one_row_per_user_with_history(small_world: ft.World) -> None:
    ev = small_world.events
    f = ft.user_features(ev, "2024-10-01")
    assert f["user_id"].is_unique
    assert set(f["user_id"]) == set(ev.loc[ev["ts"] < "2024-10-01", "user_id"])


def test_partitions_give_the_same_rows_as_one_pass(small_world: ft.World) -> None:
    ev = small_world.events
    whole = ft.user_features(ev, "2024-10-01")
    parts = ft.user_features_partitioned(ev, "2024-10-01", n_partitions=5)
    pd.testing.assert_frame_equal(whole, parts, check_categorical=False)


def test_unsorted_frames_give_the_same_features(small_world: ft.World) -> None:
    ev = small_world.events
    shuffled = ev.sample(frac=1.0, random_state=0)
    a = ft.user_features(ev, "2024-10-01")
    b = ft.user_features(shuffled, "2024-10-01").sort_values("user_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_categorical=False)


def test_window_counts_are_nested(small_world: ft.World) -> None:
    f = ft.user_features(small_world.events, "2024-10-01")
    for kind in ("visits", "orders", "revenue"):
        prev = f[f"{kind}_7d"]
        for w in (30, 90, 180, 365):
            assert (f[f"{kind}_{w}d"] >= prev - 1e-9).all()
            prev = f[f"{kind}_{w}d"]
        assert (f[f"{kind}_total"] >= prev - 1e-9).all()


def test_shares_sum_to_one(small_world: ft.World) -> None:
    f = ft.user_features(small_world.events, "2024-10-01")
    ch = f[[c for c in f.columns if c.startswith("ch_share_")]].sum(axis=1)
    assert np.allclose(ch[f["visits_total"] > 0], 1.0)
