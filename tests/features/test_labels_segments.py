"""Labels, stacked training sets and RFM segments."""

from __future__ import annotations

import pandas as pd
import pytest

import features as ft


def test_labels_golden(tiny_events: pd.DataFrame) -> None:
    pad = ft.validate_events(pd.DataFrame({
        "user_id": [3], "ts": ["2024-06-30"], "event_type": ["visit"], "channel": ["email"],
        "revenue": [0.0]}), "pad")
    ev = ft.validate_events(pd.concat([tiny_events, pad], ignore_index=True).astype(
        {"event_type": "string", "channel": "string", "category": "string"}), "ev")
    lab = ft.make_labels(ev, "2024-03-01", 30).set_index("user_id")
    assert lab.loc[1, "label_purchase"] == 1
    assert lab.loc[1, "label_value"] == 999.0
    assert lab.loc[2, "label_churn"] == 1
    assert lab.loc[2, "label_value"] == 0.0
    strict = ft.make_labels(ev, "2024-03-01", 30, churn_needs_no_visit=True).set_index("user_id")
    assert strict.loc[2, "label_churn"] == 0  # user 2 still visits on 2024-03-05
    assert set(lab.index) == {1, 2}  # user 3 has no history before the cutoff


def test_label_window_past_the_data_is_an_error(tiny_events: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"ends after the last event .* Use a cutoff on or before"):
        ft.make_labels(tiny_events, "2024-03-01", 90)


def test_training_set_stacks_cutoffs_with_identical_columns(small_world: ft.World) -> None:
    ev = small_world.events
    cuts = ft.cutoff_schedule(ev, horizon_days=60, n_cutoffs=3, step_days=30)
    assert cuts == sorted(cuts)
    assert (cuts[1] - cuts[0]).days == 30
    ts = ft.build_training_set(ev, cuts, 60)
    assert set(ft.LABELS) <= set(ts.columns)
    assert not ts.duplicated(["user_id", "cutoff"]).any()
    per_cut = ts.groupby("cutoff").size()
    for c in cuts:
        assert per_cut[c] == ev.loc[ev["ts"] < c, "user_id"].nunique()
    assert (ts["label_churn"] + ts["label_purchase"] == 1).all()


def test_synthetic_churners_have_higher_churn_labels(small_world: ft.World) -> None:
    ev = small_world.events
    truth = small_world.users.set_index("user_id")
    cut = pd.Timestamp("2024-09-01")
    lab = ft.make_labels(ev, cut, 90, churn_needs_no_visit=True).set_index("user_id")
    gone = truth["churn_date"] < cut
    churned_before = lab.index.intersection(truth.index[gone])
    assert lab.loc[churned_before, "label_churn"].mean() == 1.0


def _feature_row(**kw: float) -> dict:
    base = {"user_id": 0, "cutoff": pd.Timestamp("2024-01-01"), "orders_total": 0.0,
            "revenue_total": 0.0, "days_since_last_purchase": float("nan"),
            "days_since_last_event": 1.0, "tenure_days": 400.0, "visit_drop_50": 0.0,
            "cat_share_office": 0.0, "cat_share_kids": 0.0, "cat_share_surfing": 0.0}
    return base | kw


def test_segment_rules() -> None:
    rows = [
        _feature_row(user_id=1, tenure_days=10, orders_total=1, revenue_total=10,
                     days_since_last_purchase=5, cat_share_kids=1.0),
        _feature_row(user_id=2, days_since_last_event=200, cat_share_office=1.0),
        _feature_row(user_id=3, orders_total=2, revenue_total=50, days_since_last_purchase=120),
        _feature_row(user_id=4, orders_total=2, revenue_total=50, days_since_last_purchase=10,
                     visit_drop_50=1.0),
        *[_feature_row(user_id=10 + i, orders_total=6, revenue_total=500,
                       days_since_last_purchase=2, cat_share_surfing=1.0) for i in range(4)],
        *[_feature_row(user_id=30 + i, orders_total=1, revenue_total=20,
                       days_since_last_purchase=60) for i in range(10)],
        _feature_row(user_id=20, days_since_last_event=3),
    ]
    seg = ft.rfm_segments(pd.DataFrame(rows)).set_index("user_id")
    assert seg.loc[1, "segment"] == "new"
    assert seg.loc[1, "scene"] == "family"
    assert seg.loc[2, "segment"] == "lost"
    assert seg.loc[2, "scene"] == "office"
    assert seg.loc[3, "segment"] == "at_risk"
    assert seg.loc[4, "segment"] == "at_risk"
    assert (seg.loc[10:13, "segment"] == "loyal").all()
    assert (seg.loc[10:13, "scene"] == "general").all()  # unmapped category
    assert seg.loc[20, "segment"] == "active"
    assert seg.loc[20, "rfm"] == "111"
    assert (seg.loc[30:39, "segment"] == "active").all()


def test_pooled_categories_count_as_no_scene_even_if_a_map_names_other() -> None:
    rows = [_feature_row(user_id=1, cat_share_office=0.3, cat_share_other=0.7),
            _feature_row(user_id=2, cat_share_office=0.6, cat_share_other=0.4)]
    seg = ft.rfm_segments(pd.DataFrame(rows), scene_groups={"office": "office",
                                                             "other": "family"})
    assert seg.set_index("user_id")["scene"].to_dict() == {1: "general", 2: "office"}


def test_rfm_scores_are_quintiles_over_buyers(small_world: ft.World) -> None:
    seg = ft.rfm_segments(ft.user_features(small_world.events, "2024-10-01"))
    assert seg[["r_score", "f_score", "m_score"]].isin([1, 2, 3, 4, 5]).all().all()
    assert set(seg["segment"].astype(str)) == set(ft.SEGMENTS)


def test_rfm_ties_get_one_score_whatever_the_row_order() -> None:
    # 8 one-order buyers, 2 with three orders: identical customers must score alike (row order
    # had spread the one-order buyers over F = 1..4)
    rows = [_feature_row(user_id=i, orders_total=1, revenue_total=20, days_since_last_purchase=40)
            for i in range(8)]
    rows += [_feature_row(user_id=100 + i, orders_total=3, revenue_total=90,
                          days_since_last_purchase=5) for i in range(2)]
    seg = ft.rfm_segments(pd.DataFrame(rows)).set_index("user_id")
    assert (seg.loc[0:7, "rfm"] == "111").all()
    assert (seg.loc[100:101, "rfm"] == "555").all()
    assert (seg.loc[100:101, "segment"] == "loyal").all()
    flipped = ft.rfm_segments(pd.DataFrame(rows[::-1])).set_index("user_id")
    assert flipped.loc[seg.index, "rfm"].equals(seg["rfm"])


def test_value_label_is_floored_at_zero_when_refunds_exceed_purchases() -> None:
    ev = pd.DataFrame({
        "user_id": ["a", "a", "a", "b", "b", "b"],
        "ts": pd.to_datetime(["2024-01-02", "2024-02-05", "2024-02-10", "2024-01-03",
                              "2024-02-04", "2024-03-15"]),
        "event_type": ["purchase", "refund", "purchase", "purchase", "purchase", "visit"],
        "revenue": [80.0, -80.0, 30.0, 10.0, 25.0, 0.0]})
    labels = ft.make_labels(ev, "2024-02-01", 30).set_index("user_id")
    assert labels.loc["a", "label_value"] == 0.0  # 30 bought, 80 refunded from January
    assert labels.loc["b", "label_value"] == 25.0
    assert labels.loc["a", "label_purchase"] == 1
