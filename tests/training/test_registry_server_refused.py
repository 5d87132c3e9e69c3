"""``BRAIN_REGISTRY_URI`` at an MLflow server other than the tracking store is refused before any
work starts: an MLflow server registers only models logged to its own tracking store, and the
refusal had come from ``register_model``, after the whole training run (30 s on a small file,
many minutes on a real one). Commands that only log runs keep working."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from serving._registry import Champions
from serving.cli import app

TEAM = "http://127.0.0.1:9"  # never asked: the refusal reads the settings only
RULE = "registers only models logged to its own tracking store"


@pytest.fixture
def separate_registry(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("BRAIN_REGISTRY_URI", TEAM)  # tracking stays the local SQLite store
    return TEAM


def _said(result) -> str:  # type: ignore[no-untyped-def]
    return " ".join(result.output.split())


@pytest.mark.parametrize(("args", "what"), [
    (["forecast", "train", "--series", "missing.csv"], "cannot register traffic_forecaster"),
    (["train", "churn", "--data", "missing-folder"], "cannot register churn"),
    (["train", "propensity", "--table", "missing.csv", "--label-col", "y"],
     "cannot register purchase_propensity"),
    (["score", "churn", "--data", "missing-folder", "--asof", "2025-01-01", "--out", "x.csv"],
     "cannot read churn from the model registry"),
    (["uplift", "train", "--data", "missing.csv", "--outcome", "y", "--features", "a"],
     "cannot register uplift_y"),
    (["uplift", "score", "--data", "missing.csv", "--out", "x.csv"],
     "cannot use the model registry"),
    (["models"], "cannot use the model registry"),
    (["models", "churn"], "cannot use the model registry"),
    (["promote", "churn", "1"], "cannot use the model registry"),
    (["serve", "--port", "1"], "cannot use the model registry"),
])
def test_a_separate_registry_server_is_refused_before_any_work(
        separate_registry: str, args: list[str], what: str) -> None:
    """The files named do not exist: a command that read its data first would say so instead."""
    result = CliRunner().invoke(app, args)
    text = _said(result)
    assert result.exit_code == 2, text
    assert f"{what}: BRAIN_REGISTRY_URI={TEAM} is an MLflow server" in text, text
    assert RULE in text, text
    assert "sqlite:///path/registry.db" in text, text
    assert "Traceback" not in text, text
    assert "missing" not in text, text


def test_the_same_server_for_tracking_and_registry_is_accepted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from training._mlflow import check_registry_uri

    monkeypatch.setenv("MLFLOW_TRACKING_URI", TEAM)
    monkeypatch.setenv("BRAIN_REGISTRY_URI", TEAM + "/")
    check_registry_uri()  # no error, no request
    monkeypatch.setenv("BRAIN_REGISTRY_URI", "sqlite:///elsewhere/registry.db")
    check_registry_uri()


def test_the_library_refuses_before_the_backtest(separate_registry: str) -> None:
    from training._forecast_mlflow import train_and_register
    from training._mlflow import RegistryServerError

    series = pd.DataFrame({"series_id": "shop", "ds": pd.date_range("2025-01-01", periods=70),
                           "y": 100.0})
    with pytest.raises(RegistryServerError, match="cannot register traffic_forecaster"):
        # a model name that does not exist: reached only if the check came after the fit
        train_and_register("no_such_model", series)


def test_a_backtest_logs_its_run_with_a_separate_registry_set(
        separate_registry: str, tmp_path: Path) -> None:
    """A backtest only logs a run: the registry setting is not its business."""
    days = pd.date_range("2025-01-01", periods=70, freq="D")
    path = tmp_path / "series.csv"
    pd.DataFrame({"series_id": "shop", "ds": days.strftime("%Y-%m-%d"),
                  "y": [100 + 10 * (d.day_of_week == 5) for d in days]}).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["forecast", "backtest", "--series", str(path), "--model",
                                      "seasonal_naive", "--horizon", "7", "--folds", "1"])
    assert result.exit_code == 0, result.output


def test_the_api_reports_the_refused_registry_and_starts(separate_registry: str) -> None:
    champions = Champions(names=("churn",))
    assert champions.refresh() == {}
    assert f"BRAIN_REGISTRY_URI={TEAM} is an MLflow server" in str(champions.registry_error)
    assert "no model loaded" in str(champions.registry_error)
