"""MLflow for traffic forecasters: backtest runs, the pyfunc model, registration and promotion.

The logged model is an MLflow pyfunc. Its input is a *future calendar* frame (columns ``name``,
``start``, ``end``, ``kind``, ``channel``, ``intensity``; dates as ``YYYY-MM-DD`` strings; zero
rows allowed) and its params are ``horizon`` (periods) and ``use_stored_calendar`` (add the input
events to the calendar the model was fitted with, default true; false uses only the input, so an
empty input gives the no-event baseline). The output is the forecast frame ``series_id``, ``ds``,
``p10``, ``p50``, ``p90``, ``model``.

A model fitted with known-in-advance columns (e.g. ``promo``) also needs their future values, in
the same frame: one more row per (series, forecast period) with ``series_id``, ``ds`` (a
``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM:SS`` string) and every such column, the calendar columns
left empty; calendar rows leave ``series_id``, ``ds`` and those columns empty. Every period of the
horizon is required (nothing is filled in). ``pyfunc_input`` builds this frame. A model without
such columns takes the calendar frame exactly as before.
"""

from __future__ import annotations

import inspect
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
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.pyfunc import PythonModel, PythonModelContext

from features._calendar import normalize_calendar

from ._forecast_backtest import (
    METRICS,
    BacktestResult,
    backtest,
    backtest_origins,
    cover_horizon,
    data_hash,
    earlier_evaluation_keys,
)
from ._forecast_base import (
    BaseForecaster,
    check_future_regressors,
    period_text,
    series_freq,
)
from ._forecast_models import FORECASTERS, make_forecaster
from ._forecast_recent import recent_step_note
from ._mlflow import (
    CHAMPION,
    Promotion,
    Rescored,
    check_registry_uri,
    get_or_create_experiment,
    promote_if_better,
    register_model,
)

__all__ = [
    "EXPERIMENT",
    "REGISTERED_NAME",
    "TrafficForecasterModel",
    "TrainOutcome",
    "data_summary",
    "log_backtest",
    "pyfunc_input",
    "regressor_names",
    "train_and_register",
]

REGISTERED_NAME = "traffic_forecaster"
"""Registry name of the traffic forecaster."""
EXPERIMENT = "traffic_forecasting"
"""MLflow experiment of forecasting runs."""
_PRIMARY = "mase"


_CALENDAR_INPUT = ("name", "start", "end", "kind", "channel", "intensity")


def regressor_names(model: BaseForecaster) -> list[str]:
    """Known-in-advance columns a fitted forecaster needs for every forecast period."""
    return list(model.panel_.regressor_names)  # type: ignore[attr-defined]


def _ds_text(ds: pd.Series) -> pd.Series:
    """Timestamps as text: ``YYYY-MM-DD`` when all are midnight, else with the time."""
    ds = pd.to_datetime(ds)
    fmt = "%Y-%m-%d" if (ds == ds.dt.normalize()).all() else "%Y-%m-%d %H:%M:%S"
    return ds.dt.strftime(fmt)


def pyfunc_input(calendar: pd.DataFrame | None,
                 future_regressors: pd.DataFrame | None = None,
                 regressors: Sequence[str] = ()) -> pd.DataFrame:
    """The pyfunc input frame: calendar rows, then known-in-advance rows (see module docstring).

    Args:
        calendar: future events (None or empty: none).
        future_regressors: ``series_id``, ``ds`` and the ``regressors`` columns (ignored when
            ``regressors`` is empty).
        regressors: the model's known-in-advance columns (``regressor_names``).

    Returns:
        Without ``regressors``, the calendar columns only (the input of a model without
        known-in-advance columns); otherwise those plus ``series_id``, ``ds`` and ``regressors``.
    """
    cal = (pd.DataFrame(columns=list(_CALENDAR_INPUT)) if calendar is None
           else normalize_calendar(calendar)[list(_CALENDAR_INPUT)])
    cal = cal.assign(start=pd.to_datetime(cal["start"]).dt.strftime("%Y-%m-%d"),
                     end=pd.to_datetime(cal["end"]).dt.strftime("%Y-%m-%d"),
                     channel=cal["channel"].astype("string").fillna(""),
                     intensity=cal["intensity"].astype(float))
    cols = list(regressors)
    if not cols:
        return cal.reset_index(drop=True)
    if future_regressors is None:
        future_regressors = pd.DataFrame(columns=["series_id", "ds", *cols])
    missing = [c for c in ("series_id", "ds", *cols) if c not in future_regressors.columns]
    if missing:
        msg = (f"future regressors: column(s) {missing} missing (columns received: "
               f"{list(future_regressors.columns)}); give series_id, ds and {cols}")
        raise ValueError(msg)
    reg = future_regressors[["series_id", "ds", *cols]].copy()
    reg["series_id"] = reg["series_id"].astype(str)
    reg["ds"] = _ds_text(reg["ds"]) if len(reg) else reg["ds"].astype(str)
    for col in cols:
        vals = pd.to_numeric(reg[col], errors="coerce")
        if (vals.isna() & reg[col].notna()).any():
            msg = (f"future regressors: column {col!r} has non-numeric values; known-in-advance "
                   "values must be numbers (flags as 0/1)")
            raise ValueError(msg)
        reg[col] = vals.astype(float)
    text = ["name", "start", "end", "kind", "channel", "series_id", "ds"]
    out = pd.concat([cal.astype({c: object for c in text if c in cal}),
                     reg.astype({"series_id": object, "ds": object})], ignore_index=True)
    out[text] = out[text].astype(object).where(out[text].notna(), None)
    return out[[*_CALENDAR_INPUT, "series_id", "ds", *cols]]


def _split_input(frame: pd.DataFrame, regressors: list[str]
                 ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Calendar rows and known-in-advance rows of a pyfunc input frame."""
    is_reg = np.zeros(len(frame), dtype=bool)
    if "series_id" in frame.columns:
        sid = frame["series_id"].astype("string").str.strip()
        is_reg = (sid.notna() & (sid != "")).to_numpy(dtype=bool)
    cal_cols = [c for c in frame.columns if c in _CALENDAR_INPUT]
    cal = frame.loc[~is_reg, cal_cols]
    reg = frame.loc[is_reg] if is_reg.any() else None
    if regressors and reg is None:
        msg = (f"pyfunc input: the model was fitted with known-in-advance columns {regressors}; "
               "add one row per series and forecast period with series_id, ds and those "
               "columns (calendar columns empty); see docs/forecasting.md")
        raise ValueError(msg)
    return cal, reg


def _example(model: BaseForecaster, horizon: int) -> pd.DataFrame:
    """Input example: one promotion two weeks out and, when needed, the regressor rows."""
    panel = model.panel_  # type: ignore[attr-defined]
    last = max(g.ds[-1] for g in panel.series.values())
    day = (last + pd.Timedelta(days=14)).strftime("%Y-%m-%d")
    cal = pd.DataFrame({"name": ["Example promotion"], "start": [day], "end": [day],
                        "kind": ["promotion"], "channel": [""], "intensity": [0.3]})
    names = regressor_names(model)
    if not names:
        return cal
    rows = []
    for sid, g in panel.series.items():
        # the series' last known values, held over the horizon
        vals = {c: pd.Series(g.regressors[c]).ffill().fillna(0.0).iloc[-1] for c in names}
        rows.append(pd.DataFrame({"series_id": sid, "ds": panel.future_index(sid, horizon),
                                  **vals}))
    return pyfunc_input(cal, pd.concat(rows, ignore_index=True), names)


class TrafficForecasterModel(PythonModel):
    """Pyfunc wrapper: future calendar (+ known-in-advance values) in, P10/P50/P90 out.

    See the module docstring for the input format.
    """

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
        names = regressor_names(model)
        events, reg = _split_input(pd.DataFrame(model_input).copy(), names)
        given = (normalize_calendar(events) if len(events) else normalize_calendar(None))
        if use_stored:
            cal = pd.concat([model.calendar_, given], ignore_index=True)  # type: ignore[attr-defined]
            cal = cal.drop_duplicates(["name", "start", "channel"], keep="last")
        else:
            cal = given
        future = check_future_regressors(model.panel_, horizon, reg,  # type: ignore[attr-defined]
                                         "pyfunc input") if names else None
        return model.predict(horizon, normalize_calendar(cal), future_regressors=future)


def log_model(model: BaseForecaster, artifact_path: str = "model") -> Any:
    """Log a fitted forecaster as a pyfunc with signature and input example (active run).

    The signature's default ``horizon`` is the one the model was trained for
    (``default_horizon_``, set by ``train_and_register``; else 30 periods), within what it can
    forecast (LightGBM's ``max_h_``): a client that sends no params gets the trained horizon.
    A model with known-in-advance columns gets them in its signature and example, one row per
    series and period of that horizon (30 periods when that would pass 50,000 rows).
    """
    longest = int(getattr(model, "max_h_", 10**9))
    horizon = min(int(getattr(model, "default_horizon_", 30)), longest)
    if regressor_names(model) and horizon * len(model.panel_.series) > 50_000:  # type: ignore[attr-defined]
        horizon = min(30, longest)
    params = {"horizon": horizon, "use_stored_calendar": True}
    example = _example(model, params["horizon"])
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


def _inputs(series: pd.DataFrame) -> str:
    """The known-in-advance columns of a long frame, comma-separated ('' for none)."""
    return ",".join(str(c) for c in series.columns if c not in ("series_id", "ds", "y"))


def _log_result(result: BacktestResult, series: pd.DataFrame) -> None:
    # the data span on the run itself (not only on a registered version), so runs of a monthly
    # retrain can be told apart and compared in the MLflow UI's run table
    mlflow.set_tags({"data.summary": data_summary(series),
                     "data.start": str(pd.to_datetime(series["ds"]).min().date()),
                     "data.end": str(pd.to_datetime(series["ds"]).max().date()),
                     **_data_tags(series)})
    mlflow.log_param("known_in_advance", _inputs(series) or "(none)")
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
    backtest_origins(series, horizon, origins, n_folds)  # a bad origin: no empty FAILED run
    exp = get_or_create_experiment(EXPERIMENT)
    with mlflow.start_run(experiment_id=exp, run_name=run_name or f"backtest-{proto.model_name}"
                          ) as run, tempfile.TemporaryDirectory() as tmp:
        result = backtest(proto, series, calendar, horizon=horizon, origins=origins,
                          n_folds=n_folds, plot_dir=Path(tmp), progress=progress)
        mlflow.set_tag("kind", "backtest")
        _log_result(result, series)
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
        notes: what the caller should print: settings dropped when re-scoring the champion, a
            champion fitted on other data, a raised ``max_horizon_days``.
    """

    run_id: str
    model_uri: str
    version: str | None
    backtest: BacktestResult
    promotion: Promotion | None
    model: BaseForecaster
    notes: tuple[str, ...] = ()


def data_summary(series: pd.DataFrame) -> str:
    """Series count and date range of a long frame, for messages (e.g. '3 series, 2019-01-01
    .. 2021-11-01')."""
    ds = pd.to_datetime(series["ds"])
    fmt = "%Y-%m-%d" if (ds == ds.dt.normalize()).all() else "%Y-%m-%d %H:%M"
    return (f"{series['series_id'].nunique()} series, {ds.min().strftime(fmt)} .. "
            f"{ds.max().strftime(fmt)}")


def _data_tags(series: pd.DataFrame) -> dict[str, str]:
    """``DATA_TAGS`` of a forecaster: its first and last observed period (``data.start``,
    ``data_cutoff``; with the time for hourly series) and its series count."""
    ds = pd.to_datetime(series["ds"])
    fmt = "%Y-%m-%d" if (ds == ds.dt.normalize()).all() else "%Y-%m-%d %H:%M"
    return {"data.start": ds.min().strftime(fmt), "data_cutoff": ds.max().strftime(fmt),
            "data.n_series": str(series["series_id"].nunique())}


def _data_key(series: pd.DataFrame) -> str:
    """Hash of the training data (series_id, ds, y and the known-in-advance columns): equal
    keys mean the same data."""
    return data_hash(series).hexdigest()[:16]


def _known_params(name: str, params: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``params`` the forecaster ``name`` still accepts, and the names it does not."""
    if name not in FORECASTERS:
        msg = f"model {name!r} is not a forecaster any more (known: {sorted(FORECASTERS)})"
        raise ValueError(msg)
    accepted = inspect.signature(FORECASTERS[name].__init__).parameters
    dropped = sorted(k for k in params if k not in accepted)
    return {k: v for k, v in params.items() if k in accepted}, dropped


def _rescore(version: Any, series: pd.DataFrame, calendar: pd.DataFrame | None, horizon: int,
             origins: Sequence[pd.Timestamp]) -> tuple[float, list[str]]:
    """Backtest the champion's model class and settings on the candidate's evaluation.

    Returns the mean MASE and the saved settings the current code no longer accepts (left out).
    """
    run_id = version.run_id or version.tags.get("run_id")
    if not run_id:
        raise ValueError(f"v{version.version} has no run to re-score from")
    params = MlflowClient().get_run(run_id).data.params
    name = params["model_name"]
    settings, dropped = _known_params(name, json.loads(params["model_params"]))
    champion = make_forecaster(name, **settings)
    result = backtest(champion, series, calendar, horizon=horizon, origins=origins)
    return result.mean[_PRIMARY], dropped


def _fitted_on(version: ModelVersion, series: pd.DataFrame, data_key: str,
               earlier: dict[str, str] | None = None) -> str:
    """What ``version`` was fitted on, against ``series`` (whose key is ``data_key``);
    ``earlier``: the keys earlier versions gave this backtest (``earlier_evaluation_keys``)."""
    tags = version.tags
    if tags.get("data.key") == data_key:
        why = (earlier or {}).get(str(tags.get("eval.key")))
        if why:
            return ("the same data, origins and horizon, evaluated by an earlier version "
                    f"{why}, so its recorded score is not comparable")
        return "the same data with other origins, horizon or calendar"
    summary = tags.get("data.summary") or "data not recorded"
    was, now = tags.get("inputs.known_in_advance"), _inputs(series)
    if summary == data_summary(series) and was is not None and was != now:
        return (f"the same span of series with other known-in-advance columns "
                f"({was or 'none'}; now {now or 'none'})")
    return f"other data ({summary})"


_SERIES_TAG_MAX = 4000
"""Longest ``data.series`` tag (a JSON list of the version's series ids) a version carries."""


def _served_series(mv: ModelVersion) -> set[str] | None:
    """The series a registered forecaster forecasts: its ``data.series`` tag, else its model's
    panel (versions before 2026-12-05, or many series); None when neither can be read."""
    if "data.series" in mv.tags:
        return set(json.loads(mv.tags["data.series"]))
    try:
        loaded = mlflow.pyfunc.load_model(f"models:/{REGISTERED_NAME}/{mv.version}")
        return {str(s) for s in loaded.unwrap_python_model().forecaster.panel_.series}
    except Exception:  # an unreadable champion is judged by the other rules
        return None


def _lost_series_veto(champion: ModelVersion | None, version: str,
                      series: pd.DataFrame) -> str | None:
    """Why ``version`` must not replace ``champion`` automatically: it does not forecast every
    series the champion serves (the API, the planner's page and the budget allocator would
    lose them); None when it does. A check had trained one shop's file with a promo column:
    it tied the re-scored recipe of the demo's 9-series champion, became champion, and the API
    answered 'unknown series_id total'."""
    if champion is None or str(champion.version) == version:
        return None
    served = _served_series(champion)
    if not served:
        return None
    lost = sorted(served - set(series["series_id"].astype(str)))
    if not lost:
        return None
    shown = ", ".join(repr(s) for s in lost[:5]) + (" ..." if len(lost) > 5 else "")
    return (f"it does not forecast {len(lost)} of the {len(served)} series champion "
            f"v{champion.version} serves ({shown}): the API, the planner's page and the budget "
            "allocator would lose them. To make it the champion anyway: brain promote "
            f"{REGISTERED_NAME} {version} --reason 'replaces the served series'")


def _data_end(mv: ModelVersion | None) -> pd.Timestamp | None:
    """The last period of the data ``mv`` was fitted on (the end of its ``data.summary`` tag,
    '60 series, 2022-11-01 .. 2025-05-18'); None when it is not recorded."""
    summary = mv.tags.get("data.summary", "") if mv is not None else ""
    if " .. " not in summary:
        return None
    try:
        return pd.Timestamp(summary.rsplit(" .. ", 1)[1])
    except ValueError:
        return None


def _champion_version() -> ModelVersion | None:
    """The current ``traffic_forecaster@champion``, or None."""
    try:
        return MlflowClient().get_model_version_by_alias(REGISTERED_NAME, CHAMPION)
    except MlflowException:
        return None


def _decide_champion(version: str, result: BacktestResult, series: pd.DataFrame,
                     calendar: pd.DataFrame | None) -> tuple[Promotion, list[str]]:
    """The champion decision for a newly registered ``version``, and notes for the user.

    ``promote_if_better`` decides. On the same evaluation (same data, origins and horizon) the
    candidate must strictly beat the champion. A champion evaluated elsewhere has its recipe
    (model class and settings) re-scored on this evaluation. If that recipe strictly wins, the
    alias stays, with a note when the champion was fitted on other data (``predict`` forecasts
    that data by default). Otherwise the candidate, a fresh fit of an at-least-as-good recipe on
    this data, becomes champion (``tie_to_candidate_when_rescored``): keeping a champion whose
    equal recipe was fitted on other data would leave ``predict`` forecasting series the user no
    longer trains on. Unless the candidate's data ends before the champion's (an older or
    cut-short export): a tie then keeps the champion, whose fit knows the later periods.
    """
    cand = float(result.mean[_PRIMARY])
    data_key = _data_key(series)
    rescored: list[ModelVersion] = []  # the champion whose recipe was re-scored, if any
    notes: list[str] = []

    def rescore_recipe(uri: str) -> Rescored:
        current = MlflowClient().get_model_version(REGISTERED_NAME, uri.rsplit("/", 1)[-1])
        rescored.append(current)
        prev = current.version
        where = _fitted_on(current, series, data_key, earlier_evaluation_keys(
            series, result.origins, result.horizon, calendar))
        try:
            champ, dropped = _rescore(current, series, calendar, result.horizon, result.origins)
        except (ValueError, KeyError, TypeError, MlflowException) as exc:
            return None, cand, (f"v{prev} was fitted on {where}; re-backtesting its recipe "
                                f"on this data failed: {exc}")
        if dropped:
            notes.append(f"champion v{prev}'s saved settings {dropped} are not accepted by the "
                         "current code; its recipe was re-scored without them (their defaults)")
        tie = (f"; this data ends {period_text(end)}, before v{prev}'s "
               f"{period_text(champion_end)}, so a tie keeps the champion (only a fit on "
               "newer data takes a tie)") if older else ""
        return champ, cand, (f"v{prev}'s recipe re-scored on this data; v{prev} was fitted "
                             f"on {where}{tie}")

    before = _champion_version()
    veto = _lost_series_veto(before, version, series)
    # a tie goes to the fit on newer data only: a file that ends before the champion's (an
    # old or cut-short export of the same stores) had tied the champion's re-scored recipe and
    # taken the alias, and predict forecast from five months before the latest data
    champion_end, end = _data_end(before), pd.to_datetime(series["ds"]).max()
    older = champion_end is not None and end < champion_end
    promotion = promote_if_better(REGISTERED_NAME, version, _PRIMARY, cand,
                                  higher_is_better=False, evaluation=result.evaluation,
                                  rescore_champion=rescore_recipe,
                                  tie_to_candidate_when_rescored=not older, veto=veto)
    if older and promotion.promoted and before is not None:
        notes.append(f"v{version}'s data ends {period_text(end)}, before the data of the "
                     f"previous champion v{before.version} ({period_text(champion_end)}): "
                     "'brain forecast predict' now forecasts the periods after "
                     f"{period_text(end)}")
    if veto and before is not None:
        notes.append(f"'brain forecast predict' and the API keep forecasting with "
                     f"traffic_forecaster@champion (v{before.version}); to forecast with this "
                     f"fit pass --model-uri models:/{REGISTERED_NAME}/{version}")
    if promotion.promoted and before is not None and "inputs.known_in_advance" in before.tags:
        # (a champion registered before 2026-12-05 has no such tag: nothing to compare)
        was = {c for c in before.tags["inputs.known_in_advance"].split(",") if c}
        new = [c for c in _inputs(series).split(",") if c and c not in was]
        if new:
            notes.append(f"the new champion v{version} reads known-in-advance columns "
                         f"champion v{before.version} did not ({', '.join(map(repr, new))}): "
                         "'brain forecast predict' now needs their future values (--future "
                         "FILE)")
    if rescored and not promotion.promoted and rescored[0].tags.get("data.key") != data_key:
        prev = rescored[0].version
        notes.append(f"predict's default model, traffic_forecaster@champion (v{prev}), was "
                     f"fitted on {_fitted_on(rescored[0], series, data_key)}, not on this data "
                     f"({data_summary(series)}): 'brain forecast predict' forecasts with it. "
                     f"To forecast with this fit pass --model-uri "
                     f"models:/{REGISTERED_NAME}/{version}")
    return promotion, notes


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
    time_zone: str | None = None,
) -> TrainOutcome:
    """Backtest, fit on all data, log the pyfunc, register it and move ``champion`` if better.

    On the same backtest (evaluation key of data, origins and horizon) the candidate must have a
    strictly lower mean MASE. A champion evaluated elsewhere is re-scored here; see
    ``_decide_champion`` for why a tie then goes to the candidate. A forecaster with
    ``max_horizon_days`` gets it raised to cover ``horizon`` (``predict`` cannot go further).
    ``time_zone``: the business time zone the series were read in (their times are local):
    the model's forecasts then leave out the hour the clocks skip there.
    """
    if register:  # a registry that cannot take the model: said before the backtest
        check_registry_uri(f"register {REGISTERED_NAME}")
    proto = make_forecaster(model) if isinstance(model, str) else model
    proto, raised = cover_horizon(proto, horizon, series_freq(series))
    backtest_origins(series, horizon, origins, n_folds)  # a bad origin: no empty FAILED run
    exp = get_or_create_experiment(EXPERIMENT)
    with mlflow.start_run(experiment_id=exp, run_name=f"train-{proto.model_name}") as run, \
            tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tag("kind", "train")
        result = backtest(proto, series, calendar, horizon=horizon, origins=origins,
                          n_folds=n_folds, plot_dir=Path(tmp), progress=progress)
        _log_result(result, series)
        final = type(proto)(**proto.get_params()).fit(series, calendar)
        final.default_horizon_ = horizon  # type: ignore[attr-defined]
        if time_zone:
            final.time_zone_ = time_zone  # type: ignore[attr-defined]
        info = log_model(final)
        model_uri = info.model_uri
        mlflow.log_metric("train_rows", len(series))
    version, promotion = None, None
    notes = [raised] if raised else []
    panel = getattr(final, "panel_", None)
    followed = recent_step_note(getattr(final, "recent_steps_", {}),
                                bool(panel is not None and panel.log))
    if followed:
        notes.append(followed)
    if register:
        mv = register_model(run.info.run_id, "model", REGISTERED_NAME, result.mean,
                            result.evaluation, model_uri=model_uri)
        version = str(mv.version)
        client = MlflowClient()
        client.set_model_version_tag(REGISTERED_NAME, version, "data.summary",
                                     data_summary(series))
        client.set_model_version_tag(REGISTERED_NAME, version, "data.key", _data_key(series))
        client.set_model_version_tag(REGISTERED_NAME, version, "inputs.known_in_advance",
                                     _inputs(series))
        for key, value in _data_tags(series).items():  # version_data, as every model kind
            client.set_model_version_tag(REGISTERED_NAME, version, key, value)
        ids = json.dumps(sorted(series["series_id"].astype(str).unique()))
        if len(ids) <= _SERIES_TAG_MAX:  # longer lists are read from the model when needed
            client.set_model_version_tag(REGISTERED_NAME, version, "data.series", ids)
        promotion, more = _decide_champion(version, result, series, calendar)
        notes += more
    return TrainOutcome(run.info.run_id, model_uri, version, result, promotion, final,
                        tuple(notes))
