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


def _many_categories(n_rare: int = 30) -> pd.DataFrame:
    """User 1 buys mostly 'top' items; user 2 spreads over many rare categories; user 3 buys
    one rare category most often; user 4 visits one pooled category."""
    rows = [(1, "2024-01-02", "purchase", "email", 5.0, "top", f"o{i}") for i in range(3)]
    rows += [(2, f"2024-01-{3 + d // 20:02d} {d % 20:02d}:00", "visit", "organic", 0.0,
              f"rare{d:02d}", None) for d in range(n_rare)]
    rows += [(2, "2024-01-03", "visit", "organic", 0.0, "top", None)]
    rows += [(3, "2024-02-01", "purchase", "social", 5.0, "rare00", f"p{i}") for i in range(2)]
    rows += [(3, "2024-02-02", "purchase", "social", 5.0, "top", "p9")]
    rows += [(4, f"2024-02-03 0{h}:00", "visit", "social", 0.0, "rare07", None)
             for h in (1, 2)]
    df = pd.DataFrame(rows, columns=["user_id", "ts", "event_type", "channel", "revenue",
                                     "category", "order_id"])
    return ft.validate_events(df, "many.csv")


def test_share_columns_are_capped_and_the_rest_pooled_into_other(
        caplog: pytest.LogCaptureFixture) -> None:
    ev = _many_categories()
    with caplog.at_level("WARNING", logger="features.users"):
        vocab = ft.Vocabulary.from_events(ev, CUTOFF, max_categories=2)
    assert vocab.categories == ("rare00", "top")  # most events: top (5), rare00 (3)
    assert vocab.other_categories
    assert not vocab.other_channels
    assert "category: 31 distinct values before 2024-03-01" in caplog.text
    assert "the other 29 (79.5% of events with a category)" in caplog.text
    assert "max_categories=" in caplog.text
    f = ft.user_features(ev, CUTOFF, vocabulary=vocab).set_index("user_id")
    shares = [c for c in f.columns if c.startswith("cat_share_")]
    assert shares == ["cat_share_rare00", "cat_share_top", "cat_share_other"]
    assert np.allclose(f[shares].sum(axis=1), 1.0)
    assert f.loc[2, "cat_share_other"] == pytest.approx(29 / 31)
    assert f.loc[3, "purchase_cat_share_other"] == 0
    # counts, entropy and the top category read every category, not only the kept ones
    assert f.loc[2, "category_count"] == 31
    assert f.loc[2, "category_entropy"] == pytest.approx(np.log(31))
    assert f.loc[2, "top_category"] == "rare00"  # one event each: ties go to the first name
    assert f.loc[4, "top_category"] == "other"
    assert f.loc[3, "top_purchase_category"] == "rare00"
    assert f.loc[1, "top_category"] == "top"


def test_default_vocabulary_caps_at_max_categories() -> None:
    ev = _many_categories(n_rare=ft.MAX_CATEGORIES + 5)
    f = ft.user_features(ev, CUTOFF)
    shares = [c for c in f.columns if c.startswith("cat_share_")]
    assert len(shares) == ft.MAX_CATEGORIES + 1
    assert shares[-1] == "cat_share_other"
    assert set(ft.describe(list(f.columns[2:]))) == set(f.columns[2:])
    assert "pooled" in ft.describe(["cat_share_other"])["cat_share_other"]


def test_channels_are_capped_like_categories() -> None:
    ev = _many_categories()
    vocab = ft.Vocabulary.from_events(ev, CUTOFF, max_channels=1)
    assert vocab.channels == ("organic",)
    assert vocab.other_channels
    f = ft.user_features(ev, CUTOFF, vocabulary=vocab).set_index("user_id")
    assert [c for c in f.columns if c.startswith("ch_share_")] == ["ch_share_organic",
                                                                    "ch_share_other"]
    assert f.loc[2, "channel_count"] == 1
    assert f.loc[4, "top_channel"] == "other"


def test_vocabulary_from_columns_rebuilds_the_training_vocabulary() -> None:
    ev = _many_categories()
    vocab = ft.Vocabulary.from_events(ev, CUTOFF, max_categories=2, max_channels=None)
    cols = ft.user_features(ev, CUTOFF, vocabulary=vocab).columns
    assert ft.Vocabulary.from_columns(cols) == vocab
    later = ft.user_features(ev, "2024-02-02", vocabulary=ft.Vocabulary.from_columns(cols))
    assert list(later.columns) == list(cols)


def test_a_refund_of_several_lines_counts_once() -> None:
    """A three-line cancellation invoice is one refund, as a three-line order is one order."""
    rows = [(7, "2024-01-05", "purchase", "web", 10.0, f"o{i}") for i in range(4)]
    rows += [(7, "2024-01-06", "refund", "web", -2.0, "C1") for _ in range(3)]
    rows += [(7, "2024-01-08", "refund", "web", -5.0, None), (8, "2024-01-09", "refund",
                                                              "web", -1.0, None)]
    rows += [(8, "2024-01-09", "refund", "web", -1.0, None)]
    ev = ft.validate_events(pd.DataFrame(rows, columns=["user_id", "ts", "event_type",
                                                        "channel", "revenue", "order_id"]),
                            on_duplicate="keep")
    f = ft.user_features(ev, CUTOFF).set_index("user_id")
    assert f.loc[7, "refunds_total"] == 2  # invoice C1 (3 lines) and one refund without an id
    assert f.loc[7, "refund_amount_total"] == pytest.approx(11.0)
    assert f.loc[7, "refund_rate"] == pytest.approx(2 / 4)
    assert f.loc[8, "refunds_total"] == 2  # without order ids every row is a refund


def test_recent_refunds_are_counted_by_window() -> None:
    """revenue_90d counts purchases only; what came back in the window is its own column."""
    rows = [(1, "2023-03-01", "purchase", 100.0), (1, "2023-06-01", "refund", -40.0),
            (1, "2023-11-03", "refund", -5.0),  # 119 days before: 365d, not 90d
            (1, "2024-01-20", "purchase", 50.0), (1, "2024-01-25", "refund", -30.0),
            (2, "2024-01-10", "purchase", 20.0)]
    ev = ft.validate_events(pd.DataFrame(rows, columns=["user_id", "ts", "event_type",
                                                        "revenue"]).assign(channel="web"))
    f = ft.user_features(ev, CUTOFF).set_index("user_id")
    assert f.loc[1, "revenue_90d"] == pytest.approx(50.0)
    assert f.loc[1, "refund_amount_90d"] == pytest.approx(30.0)
    assert f.loc[1, "refund_amount_365d"] == pytest.approx(75.0)
    assert f.loc[1, "refund_amount_total"] == pytest.approx(75.0)
    assert f.loc[2, "refund_amount_90d"] == 0


def test_long_run_refund_share_is_shrunk_towards_the_base_and_point_in_time() -> None:
    """refund_share_total: refunded / purchased money over the history before the cutoff, pulled
    towards the base's share by K / (orders + K); a refund at or after the cutoff does not count
    (a heavy returner's 90- and 365-day windows can be empty while the habit persists)."""
    rows = [(1, "2022-03-01", "purchase", 100.0, "a1"), (1, "2022-04-01", "purchase", 100.0, "a2"),
            (1, "2022-04-20", "refund", -50.0, "r1"),  # 2 years before: in no refund window
            (1, "2024-03-01", "refund", -30.0, "r2"),  # at the cutoff: not seen
            (1, "2024-03-05", "refund", -60.0, "r3"),  # after it
            (2, "2024-01-10", "purchase", 200.0, "b1"), (3, "2024-02-01", "purchase", 50.0, "c1"),
            (4, "2024-02-10", "refund", -20.0, "d1")]  # a refund with no purchase seen
    ev = ft.validate_events(pd.DataFrame(rows, columns=["user_id", "ts", "event_type", "revenue",
                                                        "order_id"]).assign(channel="web"))
    f = ft.user_features(ev, CUTOFF).set_index("user_id")
    base = 50 / 450  # over the buyers; fewer than 30 of them: K = 2 orders
    assert ft.refund_prior(ev, CUTOFF) == ft.RefundPrior(pytest.approx(base), 2.0)
    assert f.loc[1, "refund_amount_365d"] == 0
    assert f.loc[1, "refund_share_total"] == pytest.approx((2 * 50 / 200 + 2 * base) / 4)
    assert f.loc[2, "refund_share_total"] == pytest.approx((1 * 0 + 2 * base) / 3)
    assert f.loc[4, "refund_share_total"] == pytest.approx(base)  # never bought: the base's
    # the refunds at and after the cutoff count from a later cutoff on
    later = ft.user_features(ev, "2024-03-06").set_index("user_id")
    assert later.loc[1, "refund_share_total"] > f.loc[1, "refund_share_total"]
    # a base given by the caller (one per partition) is used as given
    given = ft.user_features(ev, CUTOFF, refund_base=ft.RefundPrior(0.2, 1.0)).set_index(
        "user_id")
    assert given.loc[1, "refund_share_total"] == pytest.approx((2 * 0.25 + 0.2) / 3)


def test_refund_prior_recovers_the_spread_of_customers_shares() -> None:
    """Method of moments against a simulation with known parts: true shares uniform on
    0.3-0.5 (tau^2 = 0.2^2 / 12), one order's noise sigma = 0.1: K = sigma^2 / tau^2 = 3."""
    from features._refunds import RefundPrior

    rng = np.random.default_rng(3)
    n = rng.integers(1, 11, 40_000).astype(float)
    theta = rng.uniform(0.3, 0.5, len(n))
    own = theta + rng.normal(0, 0.1, len(n)) / np.sqrt(n)
    bought = 100.0 * n
    prior = RefundPrior.fit(bought, own * bought, n)
    assert prior.share == pytest.approx(float((own * bought).sum() / bought.sum()))
    assert prior.orders == pytest.approx(3.0, rel=0.2)
    # no spread between customers beyond the noise: everyone gets (nearly) the base share
    flat = RefundPrior.fit(bought, (0.4 + rng.normal(0, 0.1, len(n)) / np.sqrt(n)) * bought, n)
    assert flat.orders == 50.0


def test_vocabulary_codes_of_plain_text_match_those_of_a_categorical() -> None:
    # plain text with a value outside the vocabulary went through a Categorical built from
    # values outside its categories (deprecated in pandas 3.1: a warning, an error under the
    # suite's filter, and an exception in a later pandas)
    from features._users import _codes

    s = pd.Series(["web", "app", "fax", None, "web"])
    for other in (False, True):
        plain = _codes(s, ("app", "web"), other=other)
        cat = _codes(s.astype("category"), ("app", "web"), other=other)
        np.testing.assert_array_equal(plain, cat)
    np.testing.assert_array_equal(_codes(s, ("app", "web"), other=True), [1, 0, 2, -1, 1])
