"""The page-launch benchmark's generator and segments (benchmarks/forecast_launches.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "forecast_launches.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("forecast_launches", PATH)
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_same_seed_gives_the_same_pages_and_another_seed_other_ones(bench: ModuleType) -> None:
    a, b, c = bench.make_pages(3), bench.make_pages(3), bench.make_pages(4)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y)
    assert not a[0]["y"].equals(c[0]["y"])


def test_the_generator_draws_the_documented_launches(bench: ModuleType) -> None:
    panel, cal, truth = bench.make_pages(0, promo=True)
    assert len(truth) == 41
    assert truth["name"].is_unique
    assert truth["peak"].between(2, 12).all()
    assert truth["fade_days"].between(2, 6).all()
    launches = cal[cal["kind"] == "launch"]
    assert ((launches["end"] - launches["start"]).dt.days == 13).all()
    assert (cal["kind"] == "promotion").any()
    # the launch day stands out of its page's week before
    for r in truth.itertuples():
        g = panel[panel["series_id"] == r.series_id].set_index("ds")["y"]
        before = g[r.start - pd.Timedelta(days=7):r.start - pd.Timedelta(days=1)].median()
        assert g[r.start] > 1.3 * before


def test_each_day_is_segmented_by_its_pages_latest_launch(bench: ModuleType) -> None:
    truth = pd.DataFrame({"series_id": ["a", "a", "b"],
                          "start": pd.to_datetime(["2024-01-10", "2024-01-30", "2024-01-20"])})
    ds = pd.date_range("2024-01-08", "2024-02-14", freq="D")
    fc = pd.DataFrame({"series_id": np.repeat(["a", "b"], len(ds)), "ds": np.tile(ds, 2)})
    day = bench.segment_days(fc, truth).to_numpy()
    a, b = day[: len(ds)], day[len(ds):]
    at = dict(zip(ds, a, strict=True))
    assert at[pd.Timestamp("2024-01-09")] == -1  # before the first launch
    assert at[pd.Timestamp("2024-01-10")] == 0
    assert at[pd.Timestamp("2024-01-11")] == 1
    assert at[pd.Timestamp("2024-01-23")] == 13
    assert at[pd.Timestamp("2024-01-24")] == -1
    assert at[pd.Timestamp("2024-01-30")] == 0  # the later launch takes over
    assert at[pd.Timestamp("2024-02-12")] == 13
    assert at[pd.Timestamp("2024-02-13")] == -1
    assert (b[ds < pd.Timestamp("2024-01-20")] == -1).all()
    assert b[ds == pd.Timestamp("2024-01-20")][0] == 0


def test_segment_table_counts_the_misses_on_each_side(bench: ModuleType) -> None:
    truth = pd.DataFrame({"series_id": ["a"], "start": [pd.Timestamp("2024-03-01")]})
    hist = pd.DataFrame({"series_id": "a", "ds": pd.date_range("2024-01-01", periods=60),
                         "y": np.tile([10.0, 12.0], 30)})
    ds = pd.date_range("2024-02-29", periods=4)
    fc = pd.DataFrame({"series_id": "a", "ds": ds, "origin": pd.Timestamp("2024-02-29"),
                       "p10": 5.0, "p50": 10.0, "p90": 15.0, "y": [10.0, 4.0, 16.0, 10.0]})
    t = bench.segment_table(fc, truth, hist).set_index("segment")
    assert t.loc["day 0", "below_p10"] == 1
    assert t.loc["day 0", "days"] == 1
    assert t.loc["day 1", "above_p90"] == 1
    assert t.loc["days 0-5", "days"] == 3
    assert t.loc["other days", "days"] == 1
    assert t.loc["all", "coverage80_pct"] == pytest.approx(50.0)
