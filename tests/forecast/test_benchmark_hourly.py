"""The hourly benchmark's generated sets are seeded, and its scores by hours ahead are right on
a hand-made forecast (benchmarks/forecast_hourly.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "forecast_hourly.py"


@pytest.fixture(scope="module")
def bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("forecast_hourly_bench", _PATH)
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", ["pjm", "grid"])
def test_same_seed_same_data_other_seed_other_data(bench, name: str) -> None:  # type: ignore[no-untyped-def]
    a_series, a_cal, tz = bench.MAKERS[name](11)
    b_series, b_cal, _ = bench.MAKERS[name](11)
    c_series, _, _ = bench.MAKERS[name](12)
    pd.testing.assert_frame_equal(a_series, b_series)
    pd.testing.assert_frame_equal(a_cal, b_cal)
    assert not np.allclose(a_series["y"].to_numpy(), c_series["y"].to_numpy())
    assert tz in ("America/New_York", "Europe/Berlin")
    assert (a_cal["kind"] == "holiday").all()
    assert len(a_cal) >= 18


def test_grid_written_in_local_time_with_offsets_across_clock_changes(bench) -> None:  # type: ignore[no-untyped-def]
    series, _, _ = bench.make_grid(11)
    one = series[series["series_id"] == "city"]["ds"]
    # the autumn hour twice (two offsets), the spring hour absent
    assert {"2024-10-27T02:00:00+02:00", "2024-10-27T02:00:00+01:00"} <= set(one)
    assert not one.str.startswith("2024-03-31T02:").any()
    assert series["series_id"].nunique() == 4


def test_hourly_scores_by_hours_ahead_and_holiday_on_a_hand_made_forecast(bench) -> None:  # type: ignore[no-untyped-def]
    ds = pd.date_range("2024-12-24 22:00", periods=30, freq="h")
    y = np.full(30, 100.0)
    p50 = np.full(30, 100.0)
    p50[:3] = 100.0 * np.exp(-0.1)  # log(y/p50) = 0.1 in hours 1-3
    fc = pd.DataFrame({"origin": ds[0], "series_id": "a", "ds": ds, "y": y, "p50": p50,
                       "p10": p50 * 0.8, "p90": p50 * 1.2})
    fc.loc[3:23, "p90"] = 99.0  # hours 4-24 miss above
    out = bench.hourly_scores(fc, {pd.Timestamp("2024-12-25")})
    assert out["rms_1-3h"] == pytest.approx(0.1)
    assert out["cov_1-3h"] == 100.0
    assert out["cov_4-24h"] == 0.0
    assert out["cov_25-168h"] == 100.0
    assert out["n_holiday"] == 24.0  # 2024-12-25 00:00 .. 23:00
    assert out["cov_holiday"] == pytest.approx(100 * 3 / 24)  # held 3, 25 and 26 hours ahead
