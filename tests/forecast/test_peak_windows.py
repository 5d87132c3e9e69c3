"""Each peak row's window-level effect: the P50 summed over the row's window with and without
its event (``window_p50``, ``window_baseline_p50``, ``window_lift_pct``).

An independent check (2026-12-07) of regions with their own school holidays found a six-week
holiday's row reading the holiday's effect on its peak day only: the window peaked on a sale's
first day inside the holiday, where the holiday's one-day lift was +7.9%, while it took 10.2%
off the window's sum. A planner sizing the holiday needs the sum.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features._calendar import normalize_calendar
from training._forecast_peak_overlaps import _event_key
from training._forecast_peaks import PEAK_COLUMNS, peak_summary

DAYS = pd.date_range("2025-07-01", periods=60, freq="D")
HOLIDAY = (DAYS[5], DAYS[46])  # 42 days
SALE = (DAYS[9], DAYS[15])  # 7 days inside the holiday


def _frame(p50: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"series_id": "BE", "ds": DAYS, "p10": 0.9 * p50, "p50": p50,
                         "p90": 1.1 * p50})


def _on(span: tuple[pd.Timestamp, pd.Timestamp]) -> np.ndarray:
    return np.asarray((span[0] <= DAYS) & (span[1] >= DAYS))


def _world() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[tuple, pd.DataFrame]]:
    """A flat 1,000 a day; the holiday x0.9 every day but the sale's first, where it is
    x1.079 (as the Berlin model's one-day lift); the sale x1.4."""
    level = np.full(len(DAYS), 1_000.0)
    hol = np.where(_on(HOLIDAY), 0.9, 1.0)
    hol[DAYS.get_loc(SALE[0])] = 1.079
    sale = np.where(_on(SALE), 1.4, 1.0)
    cal = normalize_calendar(pd.DataFrame({
        "name": ["Summer holidays BE", "Summer sale"], "start": [HOLIDAY[0], SALE[0]],
        "end": [HOLIDAY[1], SALE[1]], "kind": ["school_holiday", "sale"],
        "channel": [None, None]}))
    without = {_event_key("Summer holidays BE", HOLIDAY[0], None): _frame(level * sale),
               _event_key("Summer sale", SALE[0], None): _frame(level * hol)}
    return _frame(level * hol * sale), cal, _frame(level), without


def test_a_long_event_row_gives_its_effect_over_the_whole_window() -> None:
    fc, cal, base, without = _world()
    rows = peak_summary(fc, cal, base, None, {"BE": 1_000.0}, without)
    assert list(rows.columns) == list(PEAK_COLUMNS)
    peaks = rows.set_index("window")
    hol = peaks.loc["Summer holidays BE"]
    # the peak row still reads the peak day: the sale's first day, the holiday's +7.9% there
    assert hol["peak_ds"] == SALE[0]
    assert hol["lift_pct"] == pytest.approx(7.9)
    # the window: every day with both events over every day without the holiday, sale kept
    on = _on(HOLIDAY)
    assert hol["window_p50"] == pytest.approx(fc["p50"][on].sum())
    assert hol["window_baseline_p50"] == pytest.approx(
        without[_event_key("Summer holidays BE", HOLIDAY[0], None)]["p50"][on].sum())
    expected = 100 * ((0.9 * 42 * 1_000 + 0.9 * 7 * 400 + 0.179 * 1_400)
                      / (42 * 1_000 + 7 * 400) - 1)
    assert hol["window_lift_pct"] == pytest.approx(expected)
    assert -10.5 < hol["window_lift_pct"] < -9.0
    # the sale's window: over the holiday, its own +40% on each of its days
    assert peaks.loc["Summer sale", "window_lift_pct"] == pytest.approx(40.0)
    # the horizon row: all of the calendar's events over the no-event forecast
    assert peaks.loc["horizon", "window_baseline_p50"] == pytest.approx(60_000.0)
    assert peaks.loc["horizon", "window_p50"] == pytest.approx(fc["p50"].sum())


def test_no_window_lift_without_a_baseline_or_over_almost_nothing() -> None:
    fc, cal, base, _ = _world()
    none = peak_summary(fc, cal)
    assert none["window_p50"].notna().all()
    assert none[["window_baseline_p50", "window_lift_pct"]].isna().all().all()
    # a baseline under LIFT_FLOOR (5%) of the series' average per day says nothing
    tiny = peak_summary(fc, cal, base.assign(p50=0.01 * base["p50"]), None, {"BE": 1_000.0})
    assert tiny["window_lift_pct"].isna().all()
    assert tiny["window_baseline_p50"].notna().all()
