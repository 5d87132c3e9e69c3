"""The generated world's spend lever: paid visits follow a planned spend with a known truth."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import features as ft

_PAID = ("paid_search", "social", "email", "affiliate", "display")


@pytest.fixture(scope="module")
def lever_world() -> ft.World:
    return ft.generate_world(2000, 400, seed=5, spend_lever=True)


def test_the_default_world_is_the_same_with_the_option_off() -> None:
    """Golden hashes of a world from before the option (500 users, 120 days, seed 3): the
    demo's world, its figures and the tests built on generated worlds stay as they were."""
    world = ft.generate_world(500, 120, seed=3, spend_lever=False)
    got = [int(pd.util.hash_pandas_object(f).sum()) for f in (world.events, world.spend)]
    assert got == [13539403444105367087, 17889440774531015250]
    # the expectations are floats computed with exp and sin, whose last bits differ between
    # machines with the same packages (seen 2026-12-07): hashed at 6 decimals
    truth = world.daily_truth.round(6)
    assert int(pd.util.hash_pandas_object(truth).sum()) == 16541955412146806119
    assert "spend_lever" not in world.meta


def test_paid_visits_follow_the_planned_spend_with_the_recorded_truth(
        lever_world: ft.World, tmp_path: Path) -> None:
    truth = lever_world.meta["spend_response"]
    assert set(truth) == set(_PAID)
    sp = lever_world.spend.pivot(index="date", columns="channel", values="spend")
    ev = lever_world.events[lever_world.events["event_type"] == "visit"]
    visits = ev.groupby([ev["ts"].dt.normalize(), "channel"], observed=True).size().unstack()
    for channel, t in truth.items():
        paused = sp.index[sp[channel] == 0]
        assert 7 <= len(paused) <= 14, (channel, len(paused))  # one paused spell
        assert visits[channel].reindex(paused).fillna(0).sum() == 0
        assert sp[channel].max() / sp.loc[sp[channel] > 0, channel].min() > 2  # budgets move
        assert 0.55 <= t["b"] <= 0.85
    out = ft.write_world(lever_world, tmp_path / "w")
    table = pd.read_csv(out / "truth" / "spend_response.csv").set_index("channel")
    assert table.loc["paid_search", "b"] == 0.75
    assert json.loads((out / "truth" / "meta.json").read_text())["spend_lever"] is True
