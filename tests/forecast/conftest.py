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


def launch_pages(n: int = 6, days: int = 820, seed: int = 3, promotion: bool = False
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Page views with a weekday shape, a random-walk level and AR(1) noise; each page has 4
    launches of its own name, 2x-12x, fading over 2-6 days (kind ``launch``, a 14-day
    window), and with ``promotion`` a steady +30% promotion of one name every three weeks
    (kind ``promotion``, Tuesday to Thursday), both on the page's channel. The promotions
    draw nothing from the generator: the pages are the same with and without them."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-01-01", periods=days, freq="D")
    wk = np.log(np.array([1.08, 1.1, 1.08, 1.05, 0.98, 0.85, 0.86]))[ds.day_of_week]
    rows, cal = [], []
    for s in range(n):
        eps = rng.normal(0, 0.1, days)
        ar = np.zeros(days)
        for t in range(1, days):
            ar[t] = 0.5 * ar[t - 1] + eps[t]
        logy = np.log(rng.lognormal(np.log(3000), 0.8)) + np.cumsum(
            rng.normal(0, 0.01, days)) + wk + ar
        lift = np.zeros(days)
        starts = 60 + np.sort(rng.choice(np.arange(0, days - 80, 40), 4, replace=False))
        for j, st in enumerate(starts):
            k = np.arange(min(21, days - st))
            lift[st:st + len(k)] += rng.uniform(2.0, 12.0) * np.exp(-k / rng.uniform(2.0, 6.0))
            cal.append({"name": f"p{s} launch {j}", "start": ds[st],
                        "end": ds[min(st + 13, days - 1)], "kind": "launch",
                        "channel": f"p{s}"})
        promo = np.zeros(days)
        for st in (range(10 + (s % 3) * 7, days - 3, 21) if promotion else ()):
            st += (1 - ds[st].day_of_week) % 7  # a Tuesday
            if st + 2 >= days or lift[st:st + 3].any():
                continue
            promo[st:st + 3] = np.log(1.3)
            cal.append({"name": "Promo", "start": ds[st], "end": ds[st + 2],
                        "kind": "promotion", "channel": f"p{s}"})
        rows.append(pd.DataFrame({"series_id": f"p{s}", "ds": ds,
                                  "y": np.round(np.exp(logy + promo) * (1 + lift))}))
    return pd.concat(rows, ignore_index=True), pd.DataFrame(cal)
