"""Shared fixtures: every test gets its own MLflow store and BRAIN_HOME."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# The CLI's consoles are made at import, and off a terminal rich wraps at 80 columns, cutting
# any word longer than that: a temporary path (longer under pytest-xdist's per-worker folders,
# or a long user name) then breaks inside the output the tests read. Set before serving loads.
os.environ["COLUMNS"] = "200"


@pytest.fixture(autouse=True)
def _isolated_brain_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "brain-home"
    monkeypatch.setenv("BRAIN_HOME", str(home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    monkeypatch.delenv("BRAIN_REGISTRY_URI", raising=False)
    monkeypatch.delenv("BRAIN_API_TOKEN", raising=False)
    # mlflow.set_experiment keeps the experiment in a module global and in the environment:
    # a later test's start_run in its own, empty store would look for that id there
    # ("No Experiment with id=2 exists"; which test came before decided it)
    import mlflow.tracking.fluent as fluent

    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    monkeypatch.setattr(fluent, "_active_experiment_id", None)
    return home


@pytest.fixture(scope="session", autouse=True)
def _mlflow_tables_made_once(tmp_path_factory: pytest.TempPathFactory):
    """Every test has its own, new MLflow store; MLflow makes a new SQLite store's tables by
    running its schema migrations (about 1.5 s of CPU each time, for each of the hundreds of
    tests that train or read a model). The first new store of a test process is migrated by
    MLflow as usual and copied; a later new, empty SQLite store gets that copy (SQLite's backup
    API), the same tables and schema version, before MLflow goes on as it does on a migrated
    store. A store that has some tables already is left to MLflow."""
    import sqlite3
    import warnings
    from contextlib import closing

    import mlflow.store.db.utils as db_utils
    import sqlalchemy

    with warnings.catch_warnings():
        # SQLAlchemy's deprecation of a loader MLflow's mappers use, said at their first
        # configuration: ignored as training._mlflow ignores MLflow's warnings
        warnings.filterwarnings("ignore", module="mlflow.*")
        import mlflow.store.model_registry.sqlalchemy_store as registry_store

    made = db_utils._initialize_tables
    copy = tmp_path_factory.getbasetemp() / "mlflow-tables.db"

    def initialize(engine: sqlalchemy.engine.Engine) -> None:
        if (engine.url.get_backend_name() != "sqlite"
                or sqlalchemy.inspect(engine).get_table_names()):
            made(engine)
            return
        first = not copy.exists()
        if first:
            made(engine)
        raw = engine.raw_connection()
        try:
            if first:
                part = copy.with_suffix(".part")
                with closing(sqlite3.connect(part)) as other:
                    raw.driver_connection.backup(other)
                part.rename(copy)
            else:
                with closing(sqlite3.connect(copy)) as other:
                    other.backup(raw.driver_connection)
        finally:
            raw.close()

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(db_utils, "_initialize_tables", initialize)
        mp.setattr(registry_store, "_initialize_tables", initialize)
        yield


@pytest.fixture(scope="session")
def free_port() -> Callable[[], int]:
    """``() -> port``: a free loopback port for a server a test starts; within
    ``BRAIN_TEST_PORTS`` (e.g. ``3850-3899``) when that is set, as the page's servers are, for
    machines where only some ports may be used. There each xdist worker starts its scan at its
    own share of the range and skips ports it has handed out before: all scanning from the
    range's first port, two workers could take the same one before either server bound it
    (seen as 'Address already in use' from ``bentoml serve``)."""
    import socket

    given: set[int] = set()

    def pick() -> int:
        span = os.environ.get("BRAIN_TEST_PORTS", "")
        lo, _, hi = span.partition("-")
        ports = list(range(int(lo), int(hi or lo) + 1)) if lo else [0]
        for port in _worker_order(ports):
            if port in given:
                continue
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                got = int(s.getsockname()[1])
                if port:
                    given.add(got)
                return got
        raise RuntimeError(f"no free port in BRAIN_TEST_PORTS={span!r} (this worker has "
                           f"taken {len(given)})")

    return pick


def _worker_order(ports: list[int]) -> list[int]:
    """``ports`` rotated to start at this xdist worker's share of them (``gw1`` of 2 workers
    at the middle); unchanged outside xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    start = (index % max(count, 1)) * len(ports) // max(count, 1)
    return ports[start:] + ports[:start]


def shared_file(name: str) -> Path:
    """Path of a real dataset in ../shared/data, or skip the test saying why."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real dataset {name} not found at {path} (the shared data folder sits beside "
                    "the repository in CI; copy it there to run real-data tests)")
    return path



@pytest.fixture(scope="session")
def service_app():
    """The service's ASGI app, built once per test session: BentoML registers Prometheus metrics
    globally, so a second app in one process would collide. Each TestClient context starts it
    anew, building the service from the environment of that moment."""
    from serving.service import MarketingBrain

    return MarketingBrain.to_asgi()
