"""The season of the scored window as numbers, and the notes of live rows.

The shared served world (420 days) is too short to read a season (its answers say
'history_too_short'); this module trains value and propensity champions on a 600-day world of
its own, whose last year holds both windows with 90 days of purchases before them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import features as ft
from serving._core import Brain
from serving._schemas import ChannelValueRequest, UsersRequest
from serving._score_notes import SEASON_PENDING
from serving.service import build_brain

from .conftest import cli_notes, point_at

SEED, USERS, DAYS = 5, 1_000, 600


@pytest.fixture(scope="module")
def seasonal(tmp_path_factory: pytest.TempPathFactory, served_env: Path):
    """(brain, data folder) of a 600-day world with value and propensity champions (60-day
    windows) and its snapshot; the environment points at it for the module's tests."""
    from serving._snapshot import write_snapshot
    from training._customer_mlflow import train_and_register
    from training._customer_models import CustomerModel

    home = tmp_path_factory.mktemp("seasonal") / "brain-home"
    world = ft.generate_world(USERS, DAYS, seed=SEED)
    data = ft.write_world(world, tmp_path_factory.mktemp("seasonal-world"))
    with pytest.MonkeyPatch.context() as mp:
        point_at(mp, home)
        ev = world.events
        cuts = ft.cutoff_schedule(ev, 60, n_cutoffs=3, step_days=30)
        frame = ft.build_training_set(ev, cuts, 60, calendar=world.calendar)
        for task in ("propensity", "value"):
            train_and_register(task, frame, evaluation_tag="serving-season-test",
                               model=CustomerModel(task, n_estimators=30, horizon_days=60))
        write_snapshot(ev, ev["ts"].max().normalize(), calendar=world.calendar,
                       spend=world.spend, source="serving-season-test", out=home / "snapshots")
        brain = build_brain()
        brain.warm()
        yield brain, data, home


@pytest.fixture
def here(seasonal, monkeypatch: pytest.MonkeyPatch) -> tuple[Brain, Path]:
    brain, data, home = seasonal
    point_at(monkeypatch, home)
    return brain, data


def _cli_scores(args: list[str], out: Path) -> pd.Series:
    """``brain score`` run with ``args`` writing ``out``: its scores by user id."""
    cli_notes([*args, "--out", str(out)])
    frame = pd.read_parquet(out)
    return pd.Series(frame["score"].to_numpy(dtype=float), index=frame["user_id"].astype(str))


def _rows(brain: Brain, ids: list) -> list[dict[str, Any]]:
    rows = brain.snapshot.features.loc[ids].drop(columns=["cutoff"]).to_dict("records")
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
            for r in rows]


@pytest.mark.parametrize(("endpoint", "task"), [("purchase_propensity", "propensity"),
                                                ("customer_value", "value")])
def test_the_season_by_id_is_the_factor_brain_score_season_adjust_applies(
        here, tmp_path: Path, endpoint: str, task: str) -> None:
    """Independent check: a budget allocator had to parse 'its total for this window is likely
    13% high' out of a note to correct a total; the answers carried no number. Moving the
    answer's scores by its season as 'rule' says gives brain score --season-adjust's scores of
    the same champion, snapshot and date, customer by customer."""
    brain, data = here
    day = str(brain.snapshot.cutoff.date())
    ids = list(brain.snapshot.features.index)
    out = brain.score(endpoint, UsersRequest(user_ids=ids, top_reasons=0))
    season = out["season"]
    assert season is not None, out["season_unknown_reason"]
    assert out["season_unknown_reason"] is None
    common = ["score", task, "--asof", day, "--data", str(data), "--jobs", "1",
              "--no-outcomes"]
    plain = _cli_scores(common, tmp_path / "plain.parquet")
    adjusted = _cli_scores([*common, "--season-adjust"], tmp_path / "adjusted.parquet")
    api = pd.Series([r["score"] for r in out["results"]],
                    index=[str(r["user_id"]) for r in out["results"]], dtype=float)
    np.testing.assert_allclose(api.to_numpy(), plain.loc[api.index].to_numpy(), rtol=1e-9)
    moved = eval(season["rule"], {}, {"score": api.to_numpy(), "applied": season["applied"]})
    np.testing.assert_allclose(moved, adjusted.loc[api.index].to_numpy(), rtol=1e-9)
    assert not np.allclose(moved, api.to_numpy())  # a season that moves the scores
    assert season["window_start"] == day
    assert season["window_days"] == 60
    assert season["measure"] == ("revenue_per_customer" if task == "value"
                                 else "purchase_hazard")
    assert season["lookback_days"] >= 90
    assert 0 <= season["returning"] <= 1
    if season["lookback_days"] < 365 and task == "value":
        assert season["applied"] == pytest.approx(1 + (season["factor"] - 1) * season["returning"])
    # the note's words carry the same number, when the gap is large enough for a note
    if abs(season["applied"] - 1) >= 0.1:
        assert any(f"{season['factor']:.2f}x" in n for n in out["notes"]), out["notes"]
    # scored live by id (more than 3 reasons): the same season
    assert brain.score(endpoint, UsersRequest(user_ids=ids[:3], top_reasons=5))[
        "season"] == season


def test_live_rows_carry_the_season_and_its_notes_not_the_population_s(here) -> None:
    """Live rows had no notes and no season: a client sending its own features of the
    snapshot's customers got the value model's scores without the season gap, which depends
    on the champion and the window, not on the rows. The notes on the scored population (a
    crowded tier, long-gone customers, in-sample dates) are not carried: they describe the
    customers sent, which a request chooses."""
    brain, _ = here
    ids = list(brain.snapshot.features.index[:40])
    rows = _rows(brain, ids)
    for endpoint in ("purchase_propensity", "customer_value"):
        by_id = brain.score(endpoint, UsersRequest(user_ids=ids))
        live = brain.score(endpoint, UsersRequest(rows=rows))
        assert live["features_asof"] is None
        assert live["season"] is not None
        assert (live["season"], live["season_unknown_reason"]) == (
            by_id["season"], by_id["season_unknown_reason"]), endpoint
        season_words = [n for n in by_id["notes"] if n.startswith("last year,")]
        gap = [n.split(": the model does not know")[0] for n in season_words]
        assert [n.split(": the model does not know")[0] for n in live["notes"]] == gap
        if endpoint == "customer_value":  # its note does not depend on the scores
            assert live["notes"] == season_words
        elif live["notes"]:  # the probability note gives the means of the rows sent
            p = np.array([r["score"] for r in live["results"]], dtype=float)
            assert f"(mean {p.mean():.3f};" in live["notes"][0], live["notes"]
        assert not any(n in live["notes"] for n in by_id["notes"]
                       if not n.startswith("last year,")), live["notes"]
    # rows of the snapshot's own date have its season; another date is another window
    same = [{**r, "cutoff": str(brain.snapshot.cutoff.date())} for r in rows[:2]]
    assert brain.score("customer_value", UsersRequest(rows=same))["season"] is not None
    other = [*same, {**rows[2], "cutoff": "2025-01-15"}]
    out = brain.score("customer_value", UsersRequest(rows=other))
    assert (out["season"], out["season_unknown_reason"]) == (None, "other_window")
    assert len(out["notes"]) == 1
    assert "'2025-01-15' (rows[2])" in out["notes"][0]


def test_live_rows_before_the_season_is_read_say_it_is_pending(here) -> None:
    brain, _ = here
    kept = brain._seasons
    try:
        brain._seasons = {}
        out = brain.score("customer_value", UsersRequest(rows=_rows(
            brain, list(brain.snapshot.features.index[:2]))))
        assert (out["season"], out["season_unknown_reason"]) == (None, "pending")
        assert out["notes"] == [SEASON_PENDING]
    finally:
        brain._seasons = kept


def test_the_served_world_says_why_it_has_no_season(served_env: Path) -> None:
    """The shared served world's 420 days hold no 90 days of purchases before last year's
    copies of the windows: no season, the reason as a code and the note in words, by id, for
    live rows and in /channel_value."""
    brain = build_brain()
    brain.warm()
    ids = list(brain.snapshot.features.index[:3])
    for endpoint in ("churn_risk", "purchase_propensity", "customer_value"):
        for req in (UsersRequest(user_ids=ids), UsersRequest(rows=_rows(brain, ids))):
            out = brain.score(endpoint, req)
            assert (out["season"], out["season_unknown_reason"]) == (None, "history_too_short")
            assert any("could not be checked" in n for n in out["notes"]), out["notes"]
    cv = brain.channel_value(ChannelValueRequest(start="2024-01-01", end="2024-12-31"))
    assert cv["value_model"]["season_unknown_reason"] == "history_too_short"
    assert cv["churn_model"]["season_unknown_reason"] == "history_too_short"


def _swapped(brain: Brain, name: str, version: str, model: Any) -> Any:
    """A copy of the ``name`` champion served as ``version`` holding ``model``."""
    from dataclasses import replace
    from types import SimpleNamespace

    loaded = brain.champions.get(name)
    assert loaded is not None
    return replace(loaded, version=version, model=SimpleNamespace(model=model))


def test_each_season_unknown_reason_is_answered_where_it_applies(
        served_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The codes no other test made happen: 'label_not_on_purchases' (a churn label of no
    order and no visit), 'snapshot_without_purchases' (a snapshot written before snapshots
    kept the purchases), 'no_snapshot' (live rows without a snapshot) and 'customer_table'.

    A customer-table champion's live rows had answered 'no_snapshot' with a note to build a
    snapshot (brain snapshot --data DIR), and rows carrying the table's 'cutoff' column of
    another day 'other_window' with a note to read the season with brain score --asof: no
    snapshot and no date gives a table model a season (brain score --table reads none)."""
    import copy
    import dataclasses

    brain = build_brain()
    brain.warm()
    snap = brain.snapshot
    ids = list(snap.features.index[:3])
    rows = _rows(brain, ids)
    real_get = brain.champions.get

    # churn = no order and no visit: the season is read on purchases alone
    visit = copy.copy(real_get("churn").model.model)
    visit.labels_ = {"task": "churn", "label_col": "label_churn", "horizon_days": 60,
                     "churn_rule": "no_order_no_visit"}
    swapped = _swapped(brain, "churn", "97", visit)
    monkeypatch.setattr(brain.champions, "get",
                        lambda name: swapped if name == "churn" else real_get(name))
    brain.warm()
    for req in (UsersRequest(user_ids=ids), UsersRequest(rows=rows)):
        out = brain.score("churn_risk", req)
        assert (out["season"], out["season_unknown_reason"]) == (None, "label_not_on_purchases")
        assert any("season of the scored window is not checked" in n and "no visit" in n
                   for n in out["notes"]), out["notes"]
    monkeypatch.setattr(brain.champions, "get", real_get)

    # a snapshot without the events' purchases
    monkeypatch.setattr(brain, "snapshot", dataclasses.replace(snap, purchases=None))
    brain.warm()
    for req in (UsersRequest(user_ids=ids), UsersRequest(rows=rows)):
        out = brain.score("customer_value", req)
        assert (out["season"], out["season_unknown_reason"]) == (
            None, "snapshot_without_purchases")
        assert any("rebuild" in n for n in out["notes"]), out["notes"]

    # live rows without a snapshot
    monkeypatch.setattr(brain, "snapshot", None)
    out = brain.score("customer_value", UsersRequest(rows=rows))
    assert (out["season"], out["season_unknown_reason"]) == (None, "no_snapshot")
    assert any("brain snapshot --data DIR" in n for n in out["notes"]), out["notes"]

    # a champion trained on a customer table: no season, whatever the snapshot or the rows
    value = real_get("customer_value").model.model
    table = copy.copy(value)
    table.id_col_ = "customer_id"
    swapped = _swapped(brain, "customer_value", "96", table)
    monkeypatch.setattr(brain.champions, "get",
                        lambda name: swapped if name == "customer_value" else real_get(name))
    dated = [{**r, "customer_id": f"c{i}", "cutoff": "2024-06-30"} for i, r in enumerate(rows)]
    for current in (None, snap):
        monkeypatch.setattr(brain, "snapshot", current)
        for sent in (rows, dated):
            out = brain.score("customer_value", UsersRequest(rows=sent))
            assert (out["season"], out["season_unknown_reason"]) == (None, "customer_table")
            assert out["notes"] == [], out["notes"]


def test_a_cutoff_with_a_utc_offset_is_read_on_the_snapshot_events_clock(
        here, monkeypatch: pytest.MonkeyPatch) -> None:
    """Live rows whose cutoff carried a UTC offset had been another window whatever it said:
    '2025-12-31T00:00:00Z' on a snapshot as of 2025-12-31 in UTC answered season null,
    'other_window'. A cutoff with an offset is the instant on the snapshot's events' clock
    (Snapshot.tz), as the forecaster reads a future row's ds: the snapshot's day there has its
    season; a local midnight of another zone that is the day before in the events' zone is
    another window, and the note says what it is there."""
    import dataclasses

    brain, _ = here
    snap = brain.snapshot
    day = str(snap.cutoff.date())
    rows = _rows(brain, list(snap.features.index[:3]))
    season = brain.score("customer_value", UsersRequest(rows=rows))["season"]
    assert season is not None
    for sent in (f"{day}T00:00:00Z", f"{day}T00:00:00+00:00", f"{day} 00:00:00+0000",
                 f"{day}T09:30:00-05:00", f"{day}T10:00"):
        out = brain.score("customer_value", UsersRequest(
            rows=[{**r, "cutoff": sent} for r in rows]))
        assert (out["season"], out["season_unknown_reason"]) == (season, None), sent
    assert snap.tz == "UTC"
    berlin = f"{day}T00:00:00+01:00"
    out = brain.score("customer_value", UsersRequest(
        rows=[rows[0], {**rows[1], "cutoff": berlin}]))
    assert (out["season"], out["season_unknown_reason"]) == (None, "other_window")
    before = (snap.cutoff - pd.Timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    assert f"{berlin!r} (rows[1], {before} in the events' time zone UTC)" in out["notes"][0]
    # the same rows against the same events read in Europe/Berlin: the snapshot's day
    there = dataclasses.replace(snap, tz="Europe/Berlin")
    monkeypatch.setattr(brain, "snapshot", there)
    monkeypatch.setattr(brain, "_seasons", {(*k[:2], id(there)): v
                                            for k, v in brain._seasons.items()
                                            if k[2] == id(snap)})
    out = brain.score("customer_value", UsersRequest(
        rows=[rows[0], {**rows[1], "cutoff": berlin}]))
    assert (out["season"], out["season_unknown_reason"]) == (season, None)


def test_a_snapshot_records_the_time_zone_its_events_were_read_in(
        tmp_path: Path) -> None:
    """brain snapshot --tz converts the events to that zone; the snapshot did not say which,
    so a cutoff with a UTC offset could not be read on its clock."""
    from serving._snapshot import Snapshot, write_snapshot

    world = ft.generate_world(50, 60, seed=3)
    ev = world.events
    write_snapshot(ev, ev["ts"].max().normalize(), out=tmp_path / "a", tz="Europe/Berlin")
    write_snapshot(ev, ev["ts"].max().normalize(), out=tmp_path / "b")
    assert Snapshot.load(tmp_path / "a").tz == "Europe/Berlin"
    assert Snapshot.load(tmp_path / "b").tz == "UTC"


def test_a_customer_table_rows_cutoff_is_the_tables_own_column_in_any_date_form(
        served_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A champion trained on a customer table reads no season from its rows' 'cutoff' (its
    table's own column, which brain score --table and brain train --table read with
    pandas, '06/30/2024' as well as '2024-06-30'). The check that a live row's cutoff is an
    ISO date had answered such rows a 400 invalid_rows, where brain score --table scores
    them."""
    import copy

    brain = build_brain()
    snap = brain.snapshot
    rows = _rows(brain, list(snap.features.index[:3]))
    real_get = brain.champions.get
    table = copy.copy(real_get("customer_value").model.model)
    table.id_col_ = "customer_id"
    swapped = _swapped(brain, "customer_value", "96", table)
    monkeypatch.setattr(brain.champions, "get",
                        lambda name: swapped if name == "customer_value" else real_get(name))
    for cutoff in ("06/30/2024", "30.06.2024", 20240630):
        sent = [{**r, "customer_id": f"c{i}", "cutoff": cutoff} for i, r in enumerate(rows)]
        out = brain.score("customer_value", UsersRequest(rows=sent))
        assert (out["season"], out["season_unknown_reason"]) == (None, "customer_table")
        assert len(out["results"]) == 3, out["errors"]
