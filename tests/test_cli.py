"""The `brain` command line: help everywhere, data/features/segments commands, clear errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from serving.cli import app

runner = CliRunner()


def _all_commands(cmd: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [path]
    if hasattr(cmd, "commands"):
        for name, sub in cmd.commands.items():
            out += _all_commands(sub, (*path, name))
    return out


COMMANDS = _all_commands(typer.main.get_command(app))


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "brain")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    res = runner.invoke(app, [*path, "--help"])
    assert res.exit_code == 0, res.output
    assert "Usage" in res.output


@pytest.mark.parametrize("columns", ["80", "140"])
def test_help_in_a_narrow_terminal_keeps_every_name_and_default_whole(columns: str) -> None:
    """Audit finding: at 80 columns the boxed help left 22 characters for the text and cut the
    default model URI to 'models:/churn@champ...'; narrow terminals get the plain layout."""
    env = {**os.environ, "COLUMNS": columns}
    res = subprocess.run([sys.executable, "-m", "serving.cli", "score", "churn", "--help"],
                         capture_output=True, text=True, env=env, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    text = " ".join(res.stdout.replace("│", " ").split())
    assert "(default: models:/churn@champion)" in text
    assert "…" not in res.stdout
    assert ("--season-adjust / --no-season-adjust" in text) == (columns == "80")


def test_version_on_its_own_prints_the_version_and_no_arguments_show_help() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("marketing-brain ")
    bare = runner.invoke(app, [])
    assert "Usage" in bare.output
    assert "--version" in bare.output


def test_version_names_the_commit_of_a_checkout() -> None:
    """Upgrade check: the version stays 0.1.0 from one change to the next and --version
    added today's date, so an installation printed the same line before and after pulling
    main. From a git checkout it names the commit and its date."""
    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    head = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h %cs"],
                          capture_output=True, text=True, check=True).stdout.split()
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0, res.output
    assert f"(commit {head[0]} of {head[1]}, {root})" in " ".join(res.output.split())


def test_core_commands_exist() -> None:
    names = {" ".join(p) for p in COMMANDS}
    assert {"data generate", "data validate", "features build", "segments", "demo"} <= names


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    res = runner.invoke(app, ["data", "generate", "--users", "800", "--days", "200", "--seed",
                              "5", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_generate_writes_the_world(world_dir: Path) -> None:
    assert (world_dir / "events.parquet").exists()
    assert (world_dir / "truth" / "users.parquet").exists()


def test_features_build_with_labels(world_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "train.parquet"
    res = runner.invoke(app, ["features", "build", "--data", str(world_dir), "--cutoff",
                              "2024-04-01", "--cutoff", "2024-05-01", "--horizon", "30",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(out)
    assert df["cutoff"].nunique() == 2
    assert "label_churn" in df.columns


def test_features_build_refuses_a_cutoff_before_the_data(tmp_path: Path) -> None:
    # a mistyped year wrote "0 rows" to the file without a word
    ev = tmp_path / "events.csv"
    ev.write_text("user_id,ts,event_type,channel,revenue\n1,2024-03-01,visit,email,\n"
                  "1,2024-03-05,purchase,email,10\n")
    out = tmp_path / "f.csv"
    res = runner.invoke(app, ["features", "build", "--events", str(ev), "--cutoff", "2024-04-01",
                              "--cutoff", "2014-04-01", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "--cutoff 2014-04-01 is not after the first event (2024-03-01 00:00:00)" in res.output
    assert not out.exists()
    res = runner.invoke(app, ["features", "build", "--events", str(ev), "--cutoff", "2024-4-01",
                              "--out", str(out)])
    assert res.exit_code == 2
    assert "--cutoff: '2024-4-01' is not an ISO date" in res.output


def test_features_build_error_before_the_first_step_shows_no_none_count(tmp_path: Path) -> None:
    # a label window past the last event stopped the bar at "0/None" above the error
    ev = tmp_path / "events.csv"
    ev.write_text("user_id,ts,event_type,channel,revenue\n1,2024-03-01,visit,email,\n"
                  "1,2024-03-05,purchase,email,10\n")
    res = runner.invoke(app, ["features", "build", "--events", str(ev), "--cutoff", "2024-03-04",
                              "--horizon", "90", "--out", str(tmp_path / "f.csv")])
    assert res.exit_code == 2, res.output
    assert "ends after the last event" in res.output
    assert "None" not in res.output


def test_segments_prints_sizes_and_writes(world_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "seg.csv"
    res = runner.invoke(app, ["segments", "--data", str(world_dir), "--asof", "2024-06-01",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "at_risk" in res.output
    assert set(pd.read_csv(out)["segment"]) <= {"new", "active", "loyal", "at_risk", "lost"}


def test_broken_csv_gives_one_clear_error_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "events.csv"
    bad.write_text("user_id,ts,event_type,channel,revenue\n1,yesterday,visit,email,\n"
                   "2,2024-01-01,purchase,email,-3\n")
    res = runner.invoke(app, ["features", "build", "--events", str(bad), "--cutoff",
                              "2024-02-01", "--out", str(tmp_path / "f.parquet")])
    assert res.exit_code == 2
    assert "events.csv" in res.output
    assert "column 'ts'" in res.output
    assert "negative outside refund rows" in res.output
    assert "Traceback" not in res.output


def test_validate_reports_ok(world_dir: Path) -> None:
    res = runner.invoke(app, ["data", "validate", "--events", str(world_dir / "events.parquet"),
                              "--calendar", str(world_dir / "calendar.csv"), "--spend",
                              str(world_dir / "spend.csv")])
    assert res.exit_code == 0, res.output
    assert res.output.count("ok") == 3


def test_generate_and_segments_check_their_options_first(tmp_path: Path) -> None:
    """Independent check: generate showed a '0/None' progress bar, then an error naming
    n_users/n_days; segments labelled everyone 'lost' 26 years after the data without a word."""
    bad = runner.invoke(app, ["data", "generate", "--users", "100", "--days", "59",
                              "--out", str(tmp_path / "w")])
    assert bad.exit_code == 2
    assert "need --users 1 or more and --days 60 or more" in bad.output
    assert "n_users" not in bad.output
    ok = runner.invoke(app, ["data", "generate", "--users", "200", "--days", "90",
                             "--out", str(tmp_path / "w")])
    assert ok.exit_code == 0, ok.output
    late = runner.invoke(app, ["segments", "--data", str(tmp_path / "w"), "--asof",
                               "2030-01-01"])
    assert late.exit_code == 0, late.output
    assert "customers are segmented as if nobody bought or visited since" in " ".join(
        late.output.split())


def test_predict_with_horizon_zero_stops_before_describing_the_model() -> None:
    res = runner.invoke(app, ["forecast", "predict", "--horizon", "0"])
    assert res.exit_code == 2
    assert "--horizon must be 1 or more periods; received 0" in res.output
    assert "forecast" not in res.output.split("error")[0]  # no backwards summary first


def test_model_not_found_names_the_store_and_brain_home(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # run from another folder than the demo's, a command read ./brain-home there and said only
    # "nothing is registered yet: train a model first"
    monkeypatch.delenv("BRAIN_HOME")
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    monkeypatch.chdir(tmp_path)
    store = f"sqlite:///{tmp_path.resolve() / 'brain-home' / 'mlflow.db'}"
    res = runner.invoke(app, ["forecast", "predict", "--out", str(tmp_path / "fc")])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert f"nothing is registered yet (store {store}: BRAIN_HOME is not set" in text
    assert "set BRAIN_HOME to the brain-home folder your models were trained in" in text
    ev = tmp_path / "events.csv"
    ev.write_text("user_id,ts,event_type,channel,revenue\n1,2024-03-01,visit,email,\n")
    res = runner.invoke(app, ["score", "churn", "--events", str(ev), "--asof", "2024-03-02",
                              "--out", str(tmp_path / "s.csv")])
    assert res.exit_code == 2
    assert f"(store {store}: BRAIN_HOME is not set" in " ".join(res.output.split())
    monkeypatch.setenv("BRAIN_HOME", str(tmp_path / "other"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI")  # mlflow exported the first store (one process)
    res = runner.invoke(app, ["forecast", "predict", "--out", str(tmp_path / "fc")])
    other = f"sqlite:///{(tmp_path / 'other').resolve() / 'mlflow.db'}"
    assert f"(store {other} (BRAIN_HOME))" in " ".join(res.output.split())


def test_demo_hints_are_commands_that_run_from_any_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # after `.venv/bin/brain demo` (README) `brain` is not on the PATH, and `brain serve` from
    # another folder read an empty ./brain-home there
    from serving.cli import command, serve_command

    monkeypatch.setenv("PATH", str(tmp_path))  # nothing of this installation on the PATH
    venv_brain = Path(sys.executable).parent / "brain"
    assert venv_brain.exists()
    assert command("brain") == str(venv_brain)
    assert (serve_command(tmp_path / "my home")
            == f"BRAIN_HOME='{tmp_path}/my home' {venv_brain} serve")
    monkeypatch.setenv("PATH", str(venv_brain.parent))
    assert command("brain") == "brain"
    assert command("no-such-tool") == "no-such-tool"


def test_model_not_found_names_the_separate_registry_it_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # with BRAIN_REGISTRY_URI the models are looked up in that registry: the message named the
    # tracking store under BRAIN_HOME, which holds no registered model then
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    monkeypatch.setenv("BRAIN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("BRAIN_REGISTRY_URI", registry)
    res = runner.invoke(app, ["forecast", "predict", "--out", str(tmp_path / "fc")])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert f"(registry {registry} (BRAIN_REGISTRY_URI))" in text, text
    assert "mlflow.db" not in text
