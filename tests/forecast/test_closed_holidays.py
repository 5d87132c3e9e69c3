"""A calendar event on which a series has been exactly 0 on every earlier occurrence (a store
closed on a public holiday the calendar marks) is forecast at exactly 0, as a weekday closed
in every recent week is. Such a holiday had been forecast at a P50 near 0.08, not 0."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training._forecast_base import SeriesGrid
from training._forecast_closed_phases import closed_event_days
from training._forecast_gbm import LightGBMForecaster

HOLIDAYS = pd.to_datetime(["2024-01-01", "2024-05-01", "2024-10-03", "2025-01-01",
                           "2025-05-01"])
FAIR = pd.to_datetime(["2024-05-15", "2025-05-14"])  # a trade fair: open, busier
HORIZON = 28


def _stores(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", "2025-04-20", freq="D")
    frames = []
    for k, level in enumerate((3000.0, 5000.0)):
        y = level * (1.1 - 0.05 * days.day_of_week.to_numpy()) * np.exp(
            rng.normal(0, 0.06, len(days)))
        y = np.where(days.isin(HOLIDAYS), 0.0, np.round(y))
        y = np.where(days.isin(FAIR), 1.5 * y, y)
        frames.append(pd.DataFrame({"series_id": f"store_{k + 1}", "ds": days, "y": y}))
    cal = pd.concat([
        pd.DataFrame({"name": [f"Feiertag {d:%Y}" for d in HOLIDAYS], "start": HOLIDAYS,
                      "end": HOLIDAYS, "kind": "holiday"}),
        pd.DataFrame({"name": "Messe", "start": FAIR, "end": FAIR, "kind": "fair"})],
        ignore_index=True)
    return pd.concat(frames, ignore_index=True), cal


def test_a_holiday_closed_on_every_earlier_occurrence_is_exactly_0() -> None:
    panel, cal = _stores()
    model = LightGBMForecaster(max_horizon_days=HORIZON).fit(panel, cal[cal["start"] < "2025-04"])
    fc = model.predict(HORIZON, cal)
    hol = fc[fc["ds"] == pd.Timestamp("2025-05-01")]
    assert len(hol) == 2
    assert (hol[["p10", "p50", "p90"]].to_numpy() == 0.0).all()
    fair = fc[fc["ds"] == pd.Timestamp("2025-05-14")]
    assert (fair["p50"] > 3000).all()  # an event the stores were open on keeps its forecast
    assert (fc.loc[~fc["ds"].isin(HOLIDAYS), "p50"] > 1000).all()


def test_an_event_open_once_or_before_a_launch_is_not_closed() -> None:
    days = pd.date_range("2024-01-01", "2025-04-30", freq="D")
    ahead = pd.date_range("2025-05-01", periods=7, freq="D")
    y = np.where(days.isin(HOLIDAYS), 0.0, 100.0)
    named = (np.asarray(HOLIDAYS, dtype="datetime64[D]"), np.full(len(HOLIDAYS), "Feiertag",
                                                                   dtype=object))
    assert list(closed_event_days(SeriesGrid("s", days, y), ahead, named)) == [
        True, False, False, False, False, False, False]
    y2 = y.copy()
    y2[days == pd.Timestamp("2024-10-03")] = 90.0  # open on one of them
    assert not closed_event_days(SeriesGrid("s", days, y2), ahead, named).any()
    # launched in March 2024: the zeros of 1 January before it are no closure; 1 May and
    # 3 October (closed) still are
    y3 = np.where(days < pd.Timestamp("2024-03-01"), 0.0, y)
    assert closed_event_days(SeriesGrid("s", days, y3), ahead, named)[0]
    y3[days == pd.Timestamp("2024-05-01")] = 90.0
    y3[days == pd.Timestamp("2024-10-03")] = 90.0
    assert not closed_event_days(SeriesGrid("s", days, y3), ahead, named).any()


def test_a_closed_peak_prints_as_0_not_minus_0() -> None:
    """The peak table had printed a closed holiday's P90 of -0.0 as '-0.00'."""
    from serving._cli_forecast_output import _amounts

    shown = _amounts(pd.Series({"peak_p10": 0.0, "peak_p50": 0.0, "peak_p90": -0.0}))
    assert list(shown) == ["0.00", "0.00", "0.00"]


def test_an_event_seen_only_on_a_closed_weekday_is_not_read_as_a_closure() -> None:
    """Halloween 2024 fell on a Thursday, a store's closed weekday: 0 then says nothing of
    Halloween 2025 (a Friday)."""
    days = pd.date_range("2024-09-01", "2025-10-20", freq="D")
    y = np.where(days.day_of_week == 3, 0.0, 100.0)
    ahead = pd.date_range("2025-10-21", periods=14, freq="D")
    when = pd.to_datetime(["2024-10-31", "2025-10-31"])
    named = (np.asarray(when, dtype="datetime64[D]"), np.array(["Halloween"] * 2, dtype=object))
    assert not closed_event_days(SeriesGrid("s", days, y), ahead, named).any()
    y[days == pd.Timestamp("2024-10-30")] = 0.0  # a 2-day event closed on its open day too
    named2 = (np.asarray(pd.to_datetime(["2024-10-30", "2024-10-31", "2025-10-30",
                                         "2025-10-31"]), dtype="datetime64[D]"),
              np.array(["Inventur"] * 4, dtype=object))
    assert closed_event_days(SeriesGrid("s", days, y), ahead, named2).sum() == 2

