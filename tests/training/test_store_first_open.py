"""Two commands started together on a new local MLflow store both get it.

MLflow makes a new SQLite store's tables by running its schema migrations when a process first
opens it, with no lock between processes: the second of two commands started at once (two
terminals, a CI job launching both) died with a SQLAlchemy traceback ('table
_alembic_tmp_experiments already exists'). ``configure_mlflow`` now opens a local store first
under an OS lock beside it. The child processes here run MLflow's real migrations (the session
fixture that copies migrated tables only patches this test process)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from training._mlflow import StoreSetupError, configure_mlflow

REPO = Path(__file__).resolve().parents[2]

# waits for the go file, so both processes open the store at the same moment (importing MLflow
# takes seconds, and a process that started first would otherwise be done migrating)
_CHILD = """
import os, sys, time
from training._mlflow import get_or_create_experiment
go = sys.argv[1]
open(go + "." + sys.argv[2], "w").close()  # imported: ready
while not os.path.exists(go):
    time.sleep(0.005)
print(get_or_create_experiment(sys.argv[2]))
"""


def _open_together(home: Path) -> list[subprocess.CompletedProcess[str]]:
    home.mkdir(parents=True)
    env = {**os.environ, "BRAIN_HOME": str(home),
           "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow.db'}",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    go = home / "go"
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, str(go), name], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("forecast", "churn")]
    # both imported (or one died, which the caller reports), then both told to go at once
    while not all(Path(f"{go}.{n}").exists() for n in ("forecast", "churn")):
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.01)
    go.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


@pytest.mark.slow
def test_two_processes_opening_a_new_store_at_once_both_succeed(tmp_path: Path) -> None:
    for attempt in range(3):
        results = _open_together(tmp_path / f"home{attempt}")
        for result in results:
            assert result.returncode == 0, result.stderr[-2000:]
            assert result.stdout.strip(), result.stderr[-2000:]
        # the two experiments were made in the one store
        assert len({r.stdout.strip() for r in results}) == 2


def test_a_store_that_cannot_be_set_up_is_one_error_naming_it(tmp_path: Path) -> None:
    home = Path(os.environ["BRAIN_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "mlflow.db").write_text("not a database\n" * 200)
    with pytest.raises(StoreSetupError, match=r"the MLflow store sqlite:///.*mlflow\.db could "
                       r"not be opened or set up .*delete .*mlflow\.db"):
        configure_mlflow()

    from serving.cli import app

    result = CliRunner().invoke(app, ["models"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: the MLflow store sqlite:///"), lines
