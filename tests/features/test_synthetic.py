"""The synthetic world: determinism, realism the models rely on, ground truth on disk."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

import features as ft


def test_same_seed_same_world_and_other_seed_differs() -> None:
    a = ft.generate_world(500, 120, seed=3)
    b = ft.generate_world(500, 120, seed=3)
    c = ft.generate_world(500, 120, seed=4)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.users, b.users)
    assert a.effects == b.effects
    assert not a.events["ts"].equals(c.events["ts"])


def test_no_event_after_the_last_day() -> None:
    # 2,000 users x 60 days, seed 0: a purchase of the last evening fell at 00:06:10 the day
    # after (790 days of the demo's seed: 00:12:02), a partial last day for every series
    world = ft.generate_world(2000, 60, seed=0)
    end = pd.Timestamp("2024-01-01") + pd.Timedelta(days=60)
    assert world.events["ts"].max() < end
    assert world.events["ts"].max() >= end - pd.Timedelta(hours=1)


def test_events_follow_the_contract(small_world: ft.World) -> None:
    ev = small_world.events
    again = ft.validate_events(ev, "world")
    assert len(again) == len(ev)
    assert not again.attrs["load_notes"]
    ft.validate_calendar(small_world.calendar)
    ft.validate_spend(small_world.spend)


def test_double_11_is_the_traffic_peak_of_the_year(small_world: ft.World) -> None:
    ev = small_world.events
    daily = ev.loc[ev["event_type"] == "visit"].groupby(ev["ts"].dt.normalize()).size()
    assert daily.idxmax() == pd.Timestamp("2024-11-11")
    assert daily.max() > 3 * daily.median()
    orders = ev.loc[ev["event_type"] == "purchase"].groupby(ev["ts"].dt.normalize()).size()
    assert orders.idxmax() == pd.Timestamp("2024-11-11")


def test_weekly_seasonality_weekends_are_busier(small_world: ft.World) -> None:
    truth = small_world.daily_truth.set_index("date")["expected_visits"]
    dow = truth.groupby(truth.index.day_of_week).median()
    assert dow[5] > dow[1]


def test_churners_decline_before_they_leave(small_world: ft.World) -> None:
    ev, users = small_world.events, small_world.users
    gone = users.loc[users["churned"] & (users["churn_date"] - users["signup_date"]
                                         > pd.Timedelta(days=150))]
    visits = ev.loc[ev["event_type"] == "visit", ["user_id", "ts"]].merge(
        gone[["user_id", "churn_date"]], on="user_id")
    age = (visits["churn_date"] - visits["ts"]).dt.days
    last30 = (age.between(0, 29)).sum()
    before = (age.between(90, 119)).sum()
    after = (age < 0).sum()
    assert last30 < 0.7 * before
    assert after == 0


def test_acquisition_channels_differ_in_value(small_world: ft.World) -> None:
    ev = small_world.events
    rev = ev.groupby("user_id")["revenue"].sum()
    users = small_world.users.set_index("user_id")
    per = rev.reindex(users.index, fill_value=0).groupby(users["acquisition_channel"],
                                                           observed=True).mean()
    assert per["organic"] > per["display"]


def test_experiment_has_known_positive_effect(small_world: ft.World) -> None:
    exp, eff = small_world.experiment, small_world.effects
    assert set(exp["variant"]) == {"control", "treatment"}
    share = (exp["variant"] == "treatment").mean()
    assert 0.45 < share < 0.55
    assert eff["true_conversion"]["absolute_effect"] > 0
    assert np.isclose(eff["true_revenue_per_user"]["treatment"] /
                      eff["true_revenue_per_user"]["control"], 1.10)


def test_written_world_has_truth_beside_the_data(small_world: ft.World, tmp_path: Path) -> None:
    out = ft.write_world(small_world, tmp_path / "w")
    for name in ("events.parquet", "calendar.csv", "spend.csv", "experiment.csv",
                 "truth/users.parquet", "truth/effects.json", "truth/meta.json",
                 "truth/calendar_effects.csv", "truth/daily.csv"):
        assert (out / name).exists(), name
    assert json.loads((out / "truth/meta.json").read_text())["seed"] == 11
    assert len(ft.load_events(out / "events.parquet")) == len(small_world.events)
    cal = ft.load_calendar(out / "calendar.csv")
    assert "Double 11" in set(cal["name"])
