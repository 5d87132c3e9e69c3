"""No user feature may see events at or after the cutoff.

For every feature column: removing all events at/after the cutoff, adding events there (also
exactly at the cutoff, for known and new users, with new categories and channels) and changing
events there leaves every value unchanged. ``test_the_check_catches_a_peeking_feature`` shows the
check fails when a feature looks one second past the cutoff.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import features as ft

CUTOFFS = ["2024-06-01", "2024-11-11"]  # the second is the big sale day itself


def _future_variants(events: pd.DataFrame, cutoff: pd.Timestamp, seed: int
                     ) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    past = events.loc[events["ts"] < cutoff]
    future = events.loc[events["ts"] >= cutoff]
    users = past["user_id"].to_numpy()
    n = 500
    extra = pd.DataFrame({
        "user_id": np.concatenate([rng.choice(users, n - 5), [10**9 + i for i in range(5)]]),
        "ts": cutoff + pd.to_timedelta(np.concatenate([np.zeros(50), rng.uniform(
            0, 40 * 86400, n - 50)]), unit="s"),
        "event_type": rng.choice(["visit", "purchase", "add_to_cart", "refund"], n),
        "channel": rng.choice(["email", "brand_new_channel"], n),
        "category": rng.choice(["books", "brand_new_category"], n),
    })
    extra["revenue"] = np.where(extra["event_type"] == "purchase", 25.0,
                                np.where(extra["event_type"] == "refund", -5.0, 0.0))
    extra["order_id"] = [f"x{i}" for i in range(n)]
    changed = future.copy()
    changed["revenue"] = np.where(changed["event_type"] == "purchase",
                                  changed["revenue"] * 3, 0.0)
    changed["channel"] = changed["channel"].astype(str).map(lambda c: "display" if c !=
                                                            "display" else "email")
    changed["category"] = "books"

    def norm(df: pd.DataFrame) -> pd.DataFrame:
        return ft.validate_events(df.astype({c: "string" for c in (
            "event_type", "channel", "category", "acquisition_channel", "order_id")
            if c in df.columns}), "variant")

    return {
        "removed": norm(past),
        "added": norm(pd.concat([events, extra], ignore_index=True)),
        "changed": norm(pd.concat([past, changed], ignore_index=True)),
    }


def assert_no_leakage(compute: Callable[[pd.DataFrame, pd.Timestamp], pd.DataFrame],
                      events: pd.DataFrame, cutoff: str, seed: int = 0) -> None:
    cut = pd.Timestamp(cutoff)
    base = compute(events, cut).set_index("user_id").sort_index()
    for name, variant in _future_variants(events, cut, seed).items():
        other = compute(variant, cut).set_index("user_id").sort_index()
        assert list(other.columns) == list(base.columns), (
            f"feature columns changed when events at/after the cutoff were {name}")
        assert other.index.equals(base.index), (
            f"population changed when events at/after the cutoff were {name}")
        for col in base.columns:
            a, b = base[col], other[col]
            if isinstance(a.dtype, pd.CategoricalDtype) or a.dtype == object:
                same = (a.astype(str).where(a.notna(), "NA").to_numpy()
                        == b.astype(str).where(b.notna(), "NA").to_numpy()).all()
            else:
                same = np.allclose(a.to_numpy(float), b.to_numpy(float), equal_nan=True,
                                   rtol=1e-12, atol=1e-9)
            assert same, f"feature {col!r} changed when events at/after the cutoff were {name}"


@pytest.mark.parametrize("cutoff", CUTOFFS)
def test_no_feature_sees_events_at_or_after_the_cutoff(small_world: ft.World,
                                                       cutoff: str) -> None:
    cal = small_world.calendar
    assert_no_leakage(lambda ev, c: ft.user_features(ev, c, calendar=cal), small_world.events,
                      cutoff)


def test_the_check_catches_a_peeking_feature(small_world: ft.World) -> None:
    def peeking(ev: pd.DataFrame, c: pd.Timestamp) -> pd.DataFrame:
        return ft.user_features(ev, c + pd.Timedelta(seconds=1))  # reads events at the cutoff

    with pytest.raises(AssertionError, match="changed when events"):
        assert_no_leakage(peeking, small_world.events, "2024-06-01")


def test_labels_use_only_the_window(small_world: ft.World) -> None:
    ev = small_world.events
    cut = pd.Timestamp("2024-06-01")
    a = ft.make_labels(ev, cut, 30)
    later = ev.loc[ev["ts"] < cut + pd.Timedelta(days=30)]
    end_pad = pd.DataFrame({"user_id": [1], "ts": [ev["ts"].max()], "event_type": ["visit"],
                            "channel": ["email"], "revenue": [0.0]})
    b = ft.make_labels(pd.concat([later, end_pad], ignore_index=True), cut, 30)
    pd.testing.assert_frame_equal(a, b)
