"""An event's lift on the weekday it falls on: a holiday that runs like a Sunday moves a
Saturday less than a weekday; a promotion that multiplies the day keeps its factor."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features._calendar import normalize_calendar
from training._forecast_event_weekdays import weekday_profile
from training._forecast_events import EventEffects
from training._forecast_panel import prepare_panel

WEEK = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.84, 0.72])  # Monday .. Sunday
HOLIDAY = 0.70  # a holiday's level, whatever the weekday (as a Sunday)
PROMO = 1.3  # a promotion's factor on the day's own level

# fixed-date holidays over two years: the weekday moves from one year to the next, and two of
# the second year's fall on a Saturday (2025-02-15, 2025-05-10)
HOLIDAYS = {"A": "02-15", "B": "03-19", "C": "05-10", "D": "06-11", "E": "09-03", "F": "10-15"}
PROMOS = ["2024-01-20", "2024-03-06", "2024-04-27", "2024-07-10", "2024-08-31", "2024-10-23",
          "2025-01-11", "2025-03-26", "2025-06-07", "2025-07-16", "2025-09-20", "2025-11-05"]


def _world(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", "2025-12-31", freq="D")
    hol = {pd.Timestamp(f"{y}-{md}") for md in HOLIDAYS.values() for y in (2024, 2025)}
    promo = {pd.Timestamp(d) for d in PROMOS}
    level = np.array([HOLIDAY if d in hol else WEEK[d.day_of_week] * (PROMO if d in promo else 1)
                      for d in ds])
    frames = [pd.DataFrame({"series_id": sid, "ds": ds,
                            "y": base * level * np.exp(0.02 * rng.standard_normal(len(ds)))})
              for sid, base in (("north", 5000.0), ("south", 3000.0), ("west", 800.0))]
    rows = [(n, f"{y}-{md}", "holiday") for n, md in HOLIDAYS.items() for y in (2024, 2025)]
    rows += [("promo", d, "promotion") for d in PROMOS]
    cal = pd.DataFrame(rows, columns=["name", "start", "kind"])
    return pd.concat(frames, ignore_index=True), normalize_calendar(cal)


def test_weekday_profile_reads_each_weekdays_offset_from_the_week() -> None:
    ds = pd.date_range("2024-01-01", periods=70, freq="D")
    base = np.log(WEEK[ds.day_of_week])
    got = weekday_profile(base, ds, np.zeros(len(ds), bool))
    expect = np.log(WEEK) - np.log(WEEK).mean()
    assert np.allclose(got, expect, atol=1e-9)
    # a closed weekday (a shop's Sundays at 0) has no offset and is no part of the week
    shut = ds.day_of_week == 6
    got = weekday_profile(np.where(shut, 0.0, base), ds, np.asarray(shut))
    assert got[6] == 0.0
    assert np.allclose(got[:6], np.log(WEEK[:6]) - np.log(WEEK[:6]).mean(), atol=1e-9)


def test_a_holiday_on_a_saturday_is_forecast_at_its_own_level_not_the_weekday_lift() -> None:
    series, cal = _world(0)
    eff = EventEffects().fit(prepare_panel(series), cal)
    future = normalize_calendar(pd.DataFrame(
        [("A", "2026-02-18", "holiday"), ("C", "2026-05-09", "holiday"),  # a Wednesday, a Saturday
         ("promo", "2026-03-04", "promotion"), ("promo", "2026-03-14", "promotion")],
        columns=["name", "start", "kind"]))
    days = pd.DatetimeIndex(["2026-02-18", "2026-03-04", "2026-03-14", "2026-05-09"])
    for sid in ("north", "south", "west"):
        lift = eff.lift_many({sid: days}, future)[sid][0][[0, 3, 1, 2]]
        # a weekday: -30%; a Saturday: 0.70 against 0.84 (-17%), where the weekdays' lift
        # had been applied (-30% on a Saturday's level)
        assert abs(lift[0] - np.log(HOLIDAY)) < 0.05, lift
        assert abs(lift[1] - np.log(HOLIDAY / WEEK[5])) < 0.05, lift
        # a promotion multiplies whatever day it falls on: +30% on a Wednesday and a Saturday
        assert abs(lift[2] - np.log(PROMO)) < 0.05, lift
        assert abs(lift[3] - np.log(PROMO)) < 0.05, lift


def test_a_kind_seen_on_weekdays_only_keeps_its_multiplier() -> None:
    """Without a weekend occurrence nothing says how a holiday moves a Saturday: the slope
    stays near 0 and a Saturday holiday gets the weekdays' lift, as before."""
    series, cal = _world(1)
    weekend = pd.to_datetime(cal["start"]).dt.day_of_week >= 5
    eff = EventEffects().fit(prepare_panel(series), cal[~weekend])
    holiday = eff.weekday_slope_.get("holiday")
    assert holiday is None or abs(holiday.mean) < 0.25
    future = normalize_calendar(pd.DataFrame(
        [("A", "2026-02-18", "holiday"), ("C", "2026-05-09", "holiday")],
        columns=["name", "start", "kind"]))
    lift = eff.lift_many({"north": pd.DatetimeIndex(["2026-02-18", "2026-05-09"])},
                         future)["north"][0]
    assert abs(lift[1] - lift[0]) < 0.05
