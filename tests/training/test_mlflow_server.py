"""A shared MLflow tracking server (``MLFLOW_TRACKING_URI=http://host:port``) that is down, hangs
or goes away: every command says so within seconds, and the API keeps its loaded champions.

MLflow's own client retries a refused request 7 times with a backoff of up to 2 minutes: 'brain
forecast predict' against a stopped server printed nothing for 8 min 19 s and then a traceback,
and a started API answered nothing (not even /readyz) for over 11 minutes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import mlflow
import pytest
from typer.testing import CliRunner

from serving._registry import Champions
from training import get_or_create_experiment, promote_if_better, register_model
from training._mlflow import MlflowUnreachableError, configure_mlflow

QUICK = 30.0  # seconds: the fixed code answers in well under this; MLflow's retries take minutes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _within(seconds: float, fn: Callable[[], Any]) -> Any:
    """``fn()``, failing the test (instead of hanging it) when it takes over ``seconds``."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the test's thread
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    start = time.monotonic()
    t.start()
    t.join(seconds)
    if t.is_alive():
        pytest.fail(f"still waiting for the MLflow server after {seconds:g} s")
    box["elapsed"] = time.monotonic() - start
    if "error" in box:
        raise box["error"]
    return box


def test_a_stopped_tracking_server_is_one_clear_error_within_seconds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from serving.cli import app

    uri = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    got = _within(QUICK, lambda: CliRunner().invoke(app, ["promote", "churn", "1"]))
    result = got["value"]
    assert result.exit_code == 2, result.output
    assert f"the MLflow server {uri} (MLFLOW_TRACKING_URI) is not reachable" in result.output
    assert "connection refused" in result.output
    assert "Traceback" not in result.output


def test_a_server_that_accepts_but_never_answers_is_reported_after_the_timeout(
        monkeypatch: pytest.MonkeyPatch, free_port: Callable[[], int]) -> None:
    with socket.socket() as hung:  # accepts connections (the backlog), never answers
        hung.bind(("127.0.0.1", free_port()))
        hung.listen(8)
        uri = f"http://127.0.0.1:{hung.getsockname()[1]}"
        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
        monkeypatch.setenv("BRAIN_MLFLOW_TIMEOUT", "1")
        with pytest.raises(MlflowUnreachableError, match=r"no answer within 1 s"):
            _within(QUICK, configure_mlflow)


@pytest.mark.parametrize("value", ["0", "-1", "nan", "ten"])
def test_a_timeout_that_is_no_positive_number_is_named(
        monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """BRAIN_MLFLOW_TIMEOUT=0 (or -1, nan) ended in requests' own 'Invalid timeout (0.0,
    0.0). Pass a (connect, read) timeout tuple...', which named no setting."""
    from serving.cli import app

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("BRAIN_MLFLOW_TIMEOUT", value)
    result = CliRunner().invoke(app, ["promote", "churn", "1"])
    assert result.exit_code == 2, result.output
    assert f"BRAIN_MLFLOW_TIMEOUT='{value}' is not a positive number of seconds" in " ".join(
        result.output.split())


def test_a_local_store_does_not_read_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The setting is about a server: a local store's commands do not depend on it."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("BRAIN_REGISTRY_URI", raising=False)
    monkeypatch.setenv("BRAIN_MLFLOW_TIMEOUT", "ten")
    assert configure_mlflow().startswith("sqlite:///")


class _Const(mlflow.pyfunc.PythonModel):
    def __init__(self, value: float) -> None:
        self.value = value

    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        return [self.value] * len(model_input)


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory, free_port: Callable[[], int],
                  ) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``mlflow server`` on loopback as a team runs it: SQLite backend, proxied artifacts. One
    per module (it takes 10-25 s to start); the last test stops it."""
    tmp_path = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "mlflow-server.log").open("w")
    exe = str(Path(sys.executable).with_name("mlflow"))
    proc = subprocess.Popen(
        [exe, "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}", "--serve-artifacts",
         "--artifacts-destination", str(tmp_path / "server-artifacts")],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True,
        # without its job runner (7 task consumers): starts and stops in seconds
        env={**{k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")},
             "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})
    deadline = time.time() + 90
    while time.time() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        _stop(proc)
        pytest.fail("mlflow server did not start:\n"
                    + (tmp_path / "mlflow-server.log").read_text()[-3000:])
    try:
        yield url, proc
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and its uvicorn workers (its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _log_toy(value: float) -> Any:
    exp = get_or_create_experiment("server-test")
    with mlflow.start_run(experiment_id=exp) as run:
        info = mlflow.pyfunc.log_model(name="model", python_model=_Const(value),
                                       pip_requirements=["mlflow"])  # no inference: quick
    return run, info


@pytest.mark.server
def test_a_separate_registry_server_is_refused_before_it_fails(
        mlflow_server: tuple[str, subprocess.Popen[bytes]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An MLflow server registers only models logged to its own tracking store: with the runs
    in the local store and BRAIN_REGISTRY_URI at a server, it answered 500 to every try and the
    command ended (after MLflow's retries) in a traceback, leaving the name without a version."""
    url, proc = mlflow_server
    assert proc.poll() is None, "the server was stopped by an earlier test"
    monkeypatch.setenv("BRAIN_REGISTRY_URI", url)  # runs stay in the local SQLite store
    run, info = _log_toy(1.0)
    with pytest.raises(ValueError, match=r"registers only models logged to its own tracking "
                                         r"store.*sqlite:///path/registry.db"):
        _within(QUICK, lambda: register_model(run.info.run_id, "model", "toy_sep",
                                              {"mae": 1.0}, "eval-A", model_uri=info.model_uri))
    names = [m.name for m in mlflow.MlflowClient(registry_uri=url).search_registered_models()]
    assert "toy_sep" not in names


@pytest.mark.server
def test_backtest_on_a_server_points_at_its_plots_in_the_ui(
        mlflow_server: tuple[str, subprocess.Popen[bytes]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The plots are proxied artifacts: 'fold plots: mlflow-artifacts:/1/<run>/artifacts/plots'
    was no place a person could open."""
    import pandas as pd

    from serving.cli import app

    url, proc = mlflow_server
    assert proc.poll() is None, "the server was stopped by an earlier test"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    days = pd.date_range("2025-01-01", periods=70, freq="D")
    series = tmp_path / "series.csv"
    pd.DataFrame({"series_id": "shop", "ds": days.strftime("%Y-%m-%d"),
                  "y": [100 + 10 * (d.day_of_week == 5) for d in days]}).to_csv(series,
                                                                               index=False)
    res = CliRunner().invoke(app, ["forecast", "backtest", "--series", str(series), "--model",
                                   "seasonal_naive", "--horizon", "7", "--folds", "1"])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.output.splitlines() if ln.startswith("fold plots: "))
    assert line.startswith(f"fold plots: {url}/#/experiments/"), line
    assert "/artifacts (folder plots)" in line
    assert "mlflow-artifacts:" not in line


@pytest.mark.server
def test_pruned_forecasts_on_a_server_are_marked_deleted_and_the_admins_gc_is_named(
        mlflow_server: tuple[str, subprocess.Popen[bytes]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A server takes no permanent delete through its API: the pruned forecasts stay as
    deleted records (and artifacts) there, which had gone unsaid."""
    import pandas as pd

    from training._forecast_check import log_forecast, logged_forecasts

    url, proc = mlflow_server
    assert proc.poll() is None, "the server was stopped by an earlier test"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    fc = pd.DataFrame({"series_id": "s", "ds": pd.date_range("2026-01-01", periods=3),
                       "p10": 1.0, "p50": 2.0, "p90": 3.0})
    notes: list[str] = []
    first = log_forecast(fc, "m v1", "models:/m/1", pd.Timestamp("2025-12-31"), keep=1,
                         notes=notes)
    assert notes == []  # nothing pruned yet
    log_forecast(fc, "m v2", "models:/m/1", pd.Timestamp("2025-12-31"), keep=1, notes=notes)
    assert [k.model for k in logged_forecasts()] == ["m v2"]
    assert mlflow.MlflowClient().get_run(first).info.lifecycle_stage == "deleted"
    assert len(notes) == 1
    assert f"MLFLOW_TRACKING_URI={url} mlflow gc --backend-store-uri" in notes[0]
    assert f"--run-ids {first}" in notes[0]


@pytest.mark.server
def test_api_keeps_its_champions_and_says_why_when_the_server_goes_down(
        mlflow_server: tuple[str, subprocess.Popen[bytes]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, proc = mlflow_server  # runs last: it stops the server
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    run, info = _log_toy(3.0)
    mv = register_model(run.info.run_id, "model", "churn", {"brier": 0.1}, "eval-A",
                        model_uri=info.model_uri)
    assert promote_if_better("churn", mv.version, "brier", 0.1, False, "eval-A").promoted

    champions = Champions(names=("churn",))
    assert champions.refresh() == {"churn": "loaded v1"}  # read through the server
    assert list(champions.get("churn").model.predict([[0], [1]])) == [3.0, 3.0]

    _stop(proc)
    got = _within(QUICK, champions.refresh)
    assert got["value"] == {}
    assert champions.get("churn") is not None  # still served
    assert f"the MLflow server {url} (MLFLOW_TRACKING_URI) is not reachable" in str(
        champions.registry_error)
    assert "still serving churn v1" in str(champions.registry_error)


def test_the_demo_keeps_its_models_out_of_a_teams_server(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """README: the demo writes its own store in BRAIN_HOME. With a team's server exported, its
    synthetic churn and propensity versions had beaten the team's champions there (customer
    ids 1..N overlap) and taken the aliases the API serves."""
    import typer

    import serving.cli as cli

    team = "http://127.0.0.1:9"  # never asked: the demo does not use it
    monkeypatch.setenv("MLFLOW_TRACKING_URI", team)
    monkeypatch.setenv("BRAIN_REGISTRY_URI", team)
    seen: dict[str, str | None] = {}

    def generate(**kwargs: Any) -> None:  # the demo's first step: stop there
        seen.update({k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI",
                                                    "BRAIN_REGISTRY_URI")})
        raise typer.Exit(0)

    monkeypatch.setattr(cli, "data_generate", generate)
    res = CliRunner().invoke(cli.app, ["demo", "--users", "100"])
    assert res.exit_code == 0, res.output
    local = f"sqlite:///{Path(os.environ['BRAIN_HOME']).resolve() / 'mlflow.db'}"
    assert seen == {"MLFLOW_TRACKING_URI": local, "BRAIN_REGISTRY_URI": None}
    assert f"keeps its synthetic world's runs and models in its own store {local}" in " ".join(
        res.output.split())


def test_the_demo_prints_a_serve_command_on_its_own_store_when_a_server_is_exported(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo kept its models out of the team's server exported in the shell, but told the
    user to run 'BRAIN_HOME=... brain serve' in that same shell: that API serves the team's
    champions (beside the demo's snapshot), not the demo's."""
    import serving.cli as cli

    team = "http://127.0.0.1:9"  # never asked
    monkeypatch.setenv("MLFLOW_TRACKING_URI", team)
    monkeypatch.setenv("BRAIN_REGISTRY_URI", team)
    monkeypatch.setattr(cli, "_DEMO_MODULES", ())  # no models: only what the demo prints
    res = CliRunner().invoke(cli.app, ["demo", "--users", "60", "--days", "60"])
    assert res.exit_code == 0, res.output
    local = f"sqlite:///{Path(os.environ['BRAIN_HOME']).resolve() / 'mlflow.db'}"
    where = json.loads(
        (Path(os.environ["BRAIN_HOME"]) / "demo-out" / "where.json").read_text())
    assert where["prediction API"].startswith(
        f"MLFLOW_TRACKING_URI={local} BRAIN_REGISTRY_URI= BRAIN_HOME="), where["prediction API"]
    # run in the team's shell, that command reads the demo's store
    env = {"MLFLOW_TRACKING_URI": team, "BRAIN_REGISTRY_URI": team}
    for part in where["prediction API"].split(" BRAIN_HOME=")[0].split():
        key, _, value = part.partition("=")
        env[key] = value
    assert env["MLFLOW_TRACKING_URI"] == local
    assert not env["BRAIN_REGISTRY_URI"]


def test_the_demo_prints_a_plain_serve_command_without_a_server(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import serving.cli as cli

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("BRAIN_REGISTRY_URI", raising=False)
    monkeypatch.setattr(cli, "_DEMO_MODULES", ())
    res = CliRunner().invoke(cli.app, ["demo", "--users", "60", "--days", "60"])
    assert res.exit_code == 0, res.output
    where = json.loads(
        (Path(os.environ["BRAIN_HOME"]) / "demo-out" / "where.json").read_text())
    assert where["prediction API"].startswith("BRAIN_HOME="), where["prediction API"]
