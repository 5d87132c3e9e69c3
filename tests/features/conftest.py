from __future__ import annotations

import pandas as pd
import pytest

import features as ft


@pytest.fixture(scope="session")
def small_world() -> ft.World:
    """A small seeded world shared by the features tests (about 2 s to generate)."""
    return ft.generate_world(n_users=3_000, n_days=400, seed=11)


@pytest.fixture
def tiny_events() -> pd.DataFrame:
    """Two users, hand-made, for golden feature values. Cutoff used with it: 2024-03-01."""
    rows = [
        # user 1: visits spread out, two orders
        (1, "2023-12-01 10:00", "visit", "email", 0.0, "books", None),
        (1, "2024-01-15 10:00", "visit", "organic", 0.0, "books", None),
        (1, "2024-01-15 10:05", "add_to_cart", "organic", 0.0, "books", None),
        (1, "2024-01-15 10:20", "purchase", "organic", 30.0, "books", "A1"),
        (1, "2024-02-20 21:00", "visit", "email", 0.0, "kids", None),
        (1, "2024-02-20 21:10", "purchase", "email", 50.0, "kids", "A2"),
        (1, "2024-02-20 21:10", "purchase", "email", 20.0, "kids", "A2"),  # line item
        # user 2: busy in January, quiet in February (visit drop)
        *[(2, f"2024-01-{d:02d} 12:00", "visit", "social", 0.0, "fashion", None)
          for d in range(2, 30, 3)],
        (2, "2024-02-25 03:00", "visit", "social", 0.0, "fashion", None),
        # after the cutoff: must never count
        (1, "2024-03-01 00:00", "purchase", "email", 999.0, "books", "A3"),
        (2, "2024-03-05 00:00", "visit", "social", 0.0, "fashion", None),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "ts", "event_type", "channel", "revenue",
                                     "category", "order_id"])
    return ft.validate_events(df, "tiny.csv")
