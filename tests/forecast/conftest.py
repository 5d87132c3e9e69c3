"""Small synthetic series and calendars shared by the forecasting tests."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from serving import _cli_common


@pytest.fixture(autouse=True)
def _fresh_notes() -> Iterator[None]:
    """Each CLI call shows its notes (the CLI prints a note once per command)."""
    _cli_common._shown_notes.clear()
    yield
    _cli_common._shown_notes.clear()


def make_series(n_days: int = 730, seed: int = 0, lift: float = 3.0, level: float = 200.0,
                series_id: str = "total") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily Poisson counts with weekly and yearly seasonality and a yearly 'Big sale' (x lift)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-01-01", periods=n_days, freq="D")
    weekly = np.array([1.0, 0.9, 0.9, 0.95, 1.05, 1.3, 1.25])[ds.day_of_week]
    yearly = 1 + 0.2 * np.sin(2 * np.pi * ds.day_of_year / 365.25)
    mu = level * weekly * yearly
    sale_days = [pd.Timestamp(f"{y}-09-15") for y in (2023, 2024, 2025)]
    mu = np.where(ds.isin(sale_days), mu * lift, mu)
    y = rng.poisson(mu).astype(float)
    series = pd.DataFrame({"series_id": series_id, "ds": ds, "y": y})
    cal = pd.DataFrame({"name": "Big sale", "start": sale_days, "end": sale_days,
                        "kind": "sale", "channel": pd.NA, "intensity": 0.5})
    return series, cal


FAST_GBM = {"n_estimators": 60, "max_rows": 4000, "horizons_per_origin": 8}
"""Small LightGBM settings that keep tests fast."""


@pytest.fixture
def daily() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_series()


@pytest.fixture
def series_maker():
    """The ``make_series`` builder."""
    return make_series


@pytest.fixture
def fast_gbm() -> dict[str, int]:
    return dict(FAST_GBM)
