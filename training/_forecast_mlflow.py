"""MLflow for traffic forecasters: backtest runs, the pyfunc model, registration and promotion.

The logged model is an MLflow pyfunc. Its input is a *future calendar* frame (columns ``name``,
``start``, ``end``, ``kind``, ``channel``, ``intensity``; dates as ``YYYY-MM-DD`` strings; zero
rows allowed) and its params are ``horizon`` (periods) and ``use_stored_calendar`` (add the input
events to the calendar the model was fitted with, default true; false uses only the input, so an
empty input gives the no-event baseline). The output is the forecast frame ``series_id``, ``ds``,
``p10``, ``p50``, ``p90``, ``model``.
"""

from __future__ import annotations

import json
import pickle
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from mlflow.pyfunc import PythonModel, PythonModelContext

from features._calendar import normalize_calendar

from ._forecast_backtest import METRICS, BacktestResult, backtest
from ._forecast_base import BaseForecaster
from ._forecast_models import make_forecaster
from ._mlflow import Promotion, get_or_create_experiment, promote_if_better, register_model

__all__ = [
    "EXPERIMENT",
    "REGISTERED_NAME",
    "TrafficForecasterModel",
    "TrainOutcome",
    "log_backtest",
    "train_and_register",
]

REGISTERED_NAME = "traffic_forecaster"
"""Registry name of the traffic forecaster."""
EXPERIMENT = "traffic_forecasting"
"""MLflow experiment of forecasting runs."""
_PRIMARY = "mase"


def _calendar_example(model: BaseForecaster) -> pd.DataFrame:
    last = max(g.ds[-1] for g in model.panel_.series.values())  # type: ignore[attr-defined]
    day = (last + pd.Timedelta(days=14)).strftime("%Y-%m-%d")
    return pd.DataFrame({"name": ["Example promotion"], "start": [day], "end": [day],
                         "kind": ["promotion"], "channel": [""], "intensity": [0.3]})


class TrafficForecasterModel(PythonModel):
    """Pyfunc wrapper: future calendar in, P10/P50/P90 forecast out (see module docstring)."""

    def load_context(self, context: PythonModelContext) -> None:
        """Unpickle the fitted forecaster from the model's artifacts."""
        with Path(context.artifacts["forecaster"]).open("rb") as fh:
            self.forecaster = pickle.load(fh)

    def predict(self, context: Any, model_input: pd.DataFrame,
                params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Forecast ``params['horizon']`` periods with the input events (see module docstring)."""
        params = params or {}
        model: BaseForecaster = self.forecaster
        horizon = int(params.get("horizon", getattr(model, "default_horizon_", 60)))
        use_stored = bool(params.get("use_stored_calendar", True))
        frame = pd.DataFrame(model_input).copy()
        given = (normalize_calendar(frame) if len(frame) else normalize_calendar(None))
        if use_stored:
            cal = pd.concat([model.calendar_, given], ignore_index=True)  # type: ignore[attr-defined]
            cal = cal.drop_duplicates(["name", "start", "channel"], keep="last")
        else:
            cal = given
        return model.predict(horizon, normalize_calendar(cal))


def log_model(model: BaseForecaster, artifact_path: str = "model") -> Any:
    """Log a fitted forecaster as a pyfunc with signature and input example (active run)."""
    example = _calendar_example(model)
    params = {"horizon": 30, "use_stored_calendar": True}
    output = TrafficForecasterModel()
    output.forecaster = model
    out = output.predict(None, example, params)
    out["ds"] = out["ds"].astype("datetime64[ns]")
    signature = infer_signature(example, out, params=params)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "forecaster.pkl"
        with path.open("wb") as fh:
            pickle.dump(model, fh)
        return mlflow.pyfunc.log_model(
            name=artifact_path, python_model=TrafficForecasterModel(),
            artifacts={"forecaster": str(path)}, signature=signature,
            input_example=example, pip_requirements=_requirements())


def _requirements() -> list[str]:
    import importlib.metadata as md

    pkgs = ["pandas", "numpy", "lightgbm", "prophet", "scikit-learn", "mlflow"]
    out = []
    for p in pkgs:
        try:
            out.append(f"{p}=={md.version(p)}")
        except md.PackageNotFoundError:
            continue
    return out


def _log_result(result: BacktestResult) -> None:
    mlflow.log_params({
        "model_name": result.model,
        "model_params": json.dumps(result.params, default=str, sort_keys=True)[:6000],
        "horizon": result.horizon,
        "origins": ",".join(str(o.date()) for o in result.origins),
        "n_series": result.folds["series_id"].nunique() if len(result.folds) else 0,
        "evaluation": result.evaluation,
    })
    mlflow.log_metrics({f"mean_{k}": v for k, v in result.mean.items() if np.isfinite(v)})
    by_fold = result.folds.groupby("origin", sort=True)[list(METRICS)].mean()
    for k, (_, row) in enumerate(by_fold.iterrows()):
        mlflow.log_metrics({f"fold_{m}": float(row[m]) for m in METRICS if np.isfinite(row[m])},
                           step=k + 1)
    mlflow.log_metric("backtest_seconds", result.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "backtest_folds.csv"
        result.folds.to_csv(path, index=False)
        mlflow.log_artifact(str(path), "backtest")
    for p in result.plots:
        mlflow.log_artifact(str(p), "plots")


def log_backtest(
    model: BaseForecaster | str,
    series: pd.DataFrame,
    calendar: pd.DataFrame | None = None,
    *,
    horizon: int = 60,
    origins: Sequence[str | pd.Timestamp] | None = None,
    n_folds: int = 5,
    progress: Callable[[str], None] | None = None,
    run_name: str | None = None,
) -> tuple[str, BacktestResult]:
    """Backtest ``model`` in a new MLflow run (params, per-fold and mean metrics, plots).

    Returns the run id and the result.
    """
    proto = make_forecaster(model) if isinstance(model, str) else model
    exp = get_or_create_experiment(EXPERIMENT)
    with mlflow.start_run(experiment_id=exp, run_name=run_name or f"backtest-{proto.model_name}"
                          ) as run, tempfile.TemporaryDirectory() as tmp:
        result = backtest(proto, series, calendar, horizon=horizon, origins=origins,
                          n_folds=n_folds, plot_dir=Path(tmp), progress=progress)
        mlflow.set_tag("kind", "backtest")
        _log_result(result)
    return run.info.run_id, result


@dataclass(frozen=True)
class TrainOutcome:
    """What ``train_and_register`` did.

    Attributes:
        run_id: MLflow run holding the backtest, the final fit and the model.
        model_uri: URI of the logged pyfunc model.
        version: registered version of ``traffic_forecaster`` (None when not registered).
        backtest: the backtest that scored the candidate.
        promotion: the champion decision (None when not registered).
        model: the forecaster fitted on all data.
    """

    run_id: str
    model_uri: str
    version: str | None
    backtest: BacktestResult
    promotion: Promotion | None
    model: BaseForecaster


def _rescorer(series: pd.DataFrame, calendar: pd.DataFrame | None, horizon: int,
              origins: Sequence[pd.Timestamp]) -> Callable[[str], float]:
    """Re-run the candidate's backtest with the champion's model class and settings."""

    def rescore(model_uri: str) -> float:
        client = mlflow.MlflowClient()
        name, version = model_uri.removeprefix("models:/").split("/")
        run_id = client.get_model_version(name, version).run_id
        if run_id is None:
            raise ValueError(f"{model_uri} has no run to re-score from")
        run = client.get_run(run_id)
        params = json.loads(run.data.params["model_params"])
        champion = make_forecaster(run.data.params["model_name"], **params)
        return backtest(champion, series, calendar, horizon=horizon, origins=origins).mean[_PRIMARY]

    return rescore


def train_and_register(
    model: BaseForecaster | str,
    series: pd.DataFrame,
    calendar: pd.DataFrame | None = None,
    *,
    horizon: int = 60,
    origins: Sequence[str | pd.Timestamp] | None = None,
    n_folds: int = 3,
    register: bool = True,
    progress: Callable[[str], None] | None = None,
) -> TrainOutcome:
    """Backtest, fit on all data, log the pyfunc, register it and move ``champion`` if better.

    The champion alias moves only through ``promote_if_better`` on the same backtest
    (evaluation key of data, origins and horizon; lower mean MASE wins).
    """
    proto = make_forecaster(model) if isinstance(model, str) else model
    exp = get_or_create_experiment(EXPERIMENT)
    with mlflow.start_run(experiment_id=exp, run_name=f"train-{proto.model_name}") as run, \
            tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tag("kind", "train")
        result = backtest(proto, series, calendar, horizon=horizon, origins=origins,
                          n_folds=n_folds, plot_dir=Path(tmp), progress=progress)
        _log_result(result)
        final = type(proto)(**proto.get_params()).fit(series, calendar)
        final.default_horizon_ = horizon  # type: ignore[attr-defined]
        info = log_model(final)
        model_uri = info.model_uri
        mlflow.log_metric("train_rows", len(series))
    version, promotion = None, None
    if register:
        mv = register_model(run.info.run_id, "model", REGISTERED_NAME, result.mean,
                            result.evaluation, model_uri=model_uri)
        version = str(mv.version)
        promotion = promote_if_better(
            REGISTERED_NAME, version, _PRIMARY, result.mean[_PRIMARY], higher_is_better=False,
            evaluation=result.evaluation,
            rescore_champion=_rescorer(series, calendar, horizon, result.origins))
    return TrainOutcome(run.info.run_id, model_uri, version, result, promotion, final)
