"""Fixtures for the customer-model tests: a small generic feature frame with known truth."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import features as ft


@pytest.fixture(scope="session")
def write_world_dir(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int, int, int], Path]:
    """``(users, days, seed) -> folder`` with a generated world written as files (events,
    calendar, ...), for the CLI tests' module-scoped ``world_dir`` fixtures."""

    def write(users: int, days: int, seed: int) -> Path:
        out = tmp_path_factory.mktemp("world")
        ft.write_world(ft.generate_world(users, days, seed), out)
        return out

    return write


def toy_frame(n_users: int = 1500, n_cutoffs: int = 4, seed: int = 0,
              levels: tuple[float, ...] = ()) -> pd.DataFrame:
    """Stacked (user_id, cutoff) frame whose labels follow a known logistic model.

    ``true_p`` holds each row's true purchase probability (not a feature: tests drop it).
    ``levels``: a log-odds shift per cutoff (a sale month, a season; none by default).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_cutoffs):
        cutoff = pd.Timestamp("2024-01-31") + pd.DateOffset(months=k)
        recency = rng.exponential(40, n_users)
        freq = rng.poisson(3, n_users).astype(float)
        plan = rng.choice(["basic", "plus", "pro"], n_users)
        noise = rng.normal(size=n_users)
        logit = 0.8 - 0.04 * recency + 0.35 * freq + np.where(plan == "pro", 0.7, 0.0) - 1.0
        logit += levels[k] if k < len(levels) else 0.0
        p = 1 / (1 + np.exp(-logit))
        buy = rng.random(n_users) < p
        value = np.where(buy, rng.gamma(2.0, 20 + 5 * freq), 0.0)
        rows.append(pd.DataFrame({
            "user_id": [f"u{i}" for i in range(n_users)],
            "cutoff": cutoff,
            "recency_days": recency,
            "orders_total": freq,
            "plan": plan,
            "noise": noise,
            "label_purchase": buy.astype(int),
            "label_churn": (~buy).astype(int),
            "label_value": value,
            "true_p": p,
        }))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="session")
def toy() -> pd.DataFrame:
    return toy_frame()
