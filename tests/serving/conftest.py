"""One small trained world shared by the serving tests: registry with four champions + snapshot."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import features as ft


def _build(home: Path) -> None:
    from serving._snapshot import write_snapshot
    from training._customer_mlflow import train_and_register as train_customer
    from training._customer_models import CustomerModel
    from training._forecast_mlflow import train_and_register as train_forecaster

    world = ft.generate_world(1_500, 420, seed=21)
    ev, cal = world.events, world.calendar
    cuts = ft.cutoff_schedule(ev, 60, n_cutoffs=3, step_days=30)
    frame = ft.build_training_set(ev, cuts, 60, calendar=cal)
    for task in ("churn", "propensity", "value"):
        train_customer(task, frame, model=CustomerModel(task, n_estimators=40, horizon_days=60),
                       evaluation_tag="serving-test")
    series = ft.traffic_series(ev)
    # two channels: an event of one channel applies to its series and total, not the other's
    series = series[series["series_id"].isin(["total", "channel=email", "channel=social"])]
    train_forecaster("seasonal_naive", series[["series_id", "ds", "y"]], cal, horizon=30,
                     n_folds=2)
    asof = ev["ts"].max().normalize()
    write_snapshot(ev, asof, calendar=cal, spend=world.spend, source="serving-test",
                   out=home / "snapshots")


@pytest.fixture(scope="session")
def served_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("served") / "brain-home"
    mp = pytest.MonkeyPatch()
    mp.setenv("BRAIN_HOME", str(home))
    mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
    mp.delenv("MLFLOW_REGISTRY_URI", raising=False)
    try:
        _build(home)
    finally:
        mp.undo()
    return home


def point_at(mp: pytest.MonkeyPatch, home: Path) -> None:
    """Point BRAIN_HOME and MLflow at ``home`` (no token, quiet plots)."""
    mp.setenv("BRAIN_HOME", str(home))
    mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
    mp.delenv("MLFLOW_REGISTRY_URI", raising=False)
    mp.delenv("BRAIN_API_TOKEN", raising=False)
    mp.setenv("MPLBACKEND", "Agg")


@pytest.fixture(scope="module")
def served_env(served_home: Path):
    """Module-wide environment pointing at the served home (for module-scoped fixtures)."""
    with pytest.MonkeyPatch.context() as mp:
        point_at(mp, served_home)
        yield served_home


@pytest.fixture(autouse=True)
def _isolated_brain_home(served_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    point_at(monkeypatch, served_env)
    return served_env


def run_async(coro: Any) -> Any:
    """Run ``coro`` on a fresh event loop in its own thread.

    ``asyncio.run`` refuses to start when the main thread already has a running loop (Playwright's
    sync API leaves one there while a browser is open), so the async tests never rely on it.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture
def aio() -> Callable[[Any], Any]:
    return run_async


def cli_notes(args: list[str]) -> list[str]:
    """The 'note:' lines a brain command prints, in order (on a console wide enough for one
    line each)."""
    import io

    from typer.testing import CliRunner

    from serving import _cli_common
    from serving.cli import app

    buf = io.StringIO()
    # the console object itself is redirected, not replaced: modules bind it by name at their
    # first import (``from ._cli_common import err_console``), and one first imported under a
    # replacement kept writing into this buffer for the rest of the process (a later test's
    # outcome check printed nowhere)
    mp = pytest.MonkeyPatch()
    mp.setattr(_cli_common.err_console, "_file", buf)
    mp.setattr(_cli_common.err_console, "_width", 100_000)
    try:
        res = CliRunner().invoke(app, args)
    finally:
        mp.undo()
    assert res.exit_code == 0, (res.output, res.exception)
    return [line.removeprefix("note: ") for line in buf.getvalue().splitlines()
            if line.startswith("note: ")]
