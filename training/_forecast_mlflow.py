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

Models logged since 2026-12-07 also take optional ``locale`` and ``locale_name`` columns
(Favorita's holidays file: ``National``/``Regional``/``Local`` and the state or city): a
``Local`` or ``Regional`` row without a channel goes to the series of the stores in that city
or state by the stores file the model was trained with (``train_and_register(stores=...)``,
``brain forecast train --stores``). A model trained without one refuses such a row when it
learned that holiday on some series only (on every series, the others would take its lift),
and otherwise reads it on every series, as a national one. Older models' signatures drop the
columns (every row then applies to every series, as before).
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
from mlflow import MlflowClient
from mlflow.models import infer_signature
from mlflow.pyfunc import PythonModel, PythonModelContext

from features._calendar import normalize_calendar

from ._forecast_backtest import START_METRICS, BacktestResult, backtest
from ._forecast_backtest_folds import backtest_origins, cover_horizon
from ._forecast_backtest_metrics import METRICS
from ._forecast_base import BaseForecaster, steps_per_day
from ._forecast_champion import (
    REGISTERED_NAME,
    SERIES_TAG_MAX,
    data_summary,
    decide_champion,
    known_inputs,
    series_data_key,
)
from ._forecast_future import check_future_regressors
from ._forecast_models import make_forecaster
from ._forecast_panel import series_freq
from ._forecast_recent import STEP_WINDOW_DAYS, recent_step_note
from ._forecast_stages import fit_stages
from ._forecast_window_bands import window_band_train_note, window_bands
from ._mlflow import (
    Promotion,
    check_registry_uri,
    get_or_create_experiment,
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

EXPERIMENT = "traffic_forecasting"
"""MLflow experiment of forecasting runs."""

MODEL_DESCRIPTION = (
    "Traffic forecaster: P10/P50/P90 per series and period (day or hour) from a calendar of "
    "planned events; pyfunc input: calendar rows (name, start, end, kind, channel, intensity), "
    "params horizon and use_stored_calendar. The series, data span and backtest of each "
    "version are on the version. 'brain forecast predict' and the API forecast with the "
    "version that has the alias `champion`; it moves only when a new version has a lower mean "
    "MASE on the same backtest (or beats the champion's recipe re-scored on its backtest; the "
    "version's `promotion` tag says why; 'brain models traffic_forecaster' lists the moves).")
"""The registered model's own description in the MLflow UI (``register_model``)."""


_CALENDAR_INPUT = ("name", "start", "end", "kind", "channel", "intensity")
_LOCALE_INPUT = ("locale", "locale_name")
"""Optional pyfunc input columns: where a holiday is kept (see the module docstring)."""


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
    from features._stores import _column

    # where a holiday is kept (``locale``, ``locale_name``, in any case): until 2026-12-07
    # they were left out, and a city's holiday lifted every series without a word
    src = None if calendar is None else calendar.reset_index(drop=True)
    where = {} if src is None else {
        c: found for c in _LOCALE_INPUT if (found := _column(src, (c,))) is not None}
    full = None if src is None else normalize_calendar(src)
    if src is not None and where:  # normalize_calendar sorts and keeps its columns only:
        # each row's number rides in its name, to take its locale along
        tag = src.assign(name=src["name"].astype("string").fillna("") + "\x1f"
                         + pd.Series(range(len(src)), dtype="string"))
        full = normalize_calendar(tag)
        idx = full["name"].str.rsplit("\x1f", n=1).str[1].astype(int).to_numpy()
        full["name"] = src["name"].astype("string").to_numpy()[idx]
        for col, found in where.items():
            full[col] = src[found].astype("string").fillna("").str.strip().to_numpy()[idx]
    cal = (pd.DataFrame(columns=list(_CALENDAR_INPUT)) if full is None
           else full[[*_CALENDAR_INPUT, *where]])
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
    text = ["name", "start", "end", "kind", "channel", *where, "series_id", "ds"]
    out = pd.concat([cal.astype({c: object for c in text if c in cal}),
                     reg.astype({"series_id": object, "ds": object})], ignore_index=True)
    out[text] = out[text].astype(object).where(out[text].notna(), None)
    return out[[*_CALENDAR_INPUT, *where, "series_id", "ds", *cols]]


def _split_input(frame: pd.DataFrame, regressors: list[str]
                 ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Calendar rows and known-in-advance rows of a pyfunc input frame."""
    is_reg = np.zeros(len(frame), dtype=bool)
    if "series_id" in frame.columns:
        sid = frame["series_id"].astype("string").str.strip()
        is_reg = (sid.notna() & (sid != "")).to_numpy(dtype=bool)
    cal_cols = [c for c in frame.columns if c in (*_CALENDAR_INPUT, *_LOCALE_INPUT)]
    cal = frame.loc[~is_reg, cal_cols]
    reg = frame.loc[is_reg] if is_reg.any() else None
    if regressors and reg is None:
        msg = (f"pyfunc input: the model was fitted with known-in-advance columns {regressors}; "
               "add one row per series and forecast period with series_id, ds and those "
               "columns (calendar columns empty); see docs/forecasting-reference.md, 'MLflow'")
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
        events = _placed_locales(events, model)
        given = (normalize_calendar(events) if len(events) else normalize_calendar(None))
        if use_stored:
            cal = pd.concat([model.calendar_, given], ignore_index=True)  # type: ignore[attr-defined]
            cal = cal.drop_duplicates(["name", "start", "channel"], keep="last")
        else:
            cal = given
        future = check_future_regressors(model.panel_, horizon, reg,  # type: ignore[attr-defined]
                                         "pyfunc input") if names else None
        return model.predict(horizon, normalize_calendar(cal), future_regressors=future)


def _placed_locales(events: pd.DataFrame, model: BaseForecaster) -> pd.DataFrame:
    """The pyfunc input's calendar rows with their ``locale`` columns read by
    ``features._store_map.place_planned_locales`` (the rule of ``brain forecast predict``
    and the API): half a locale, or a holiday a model without a stores file learned on some
    series only, is a ``ValueError`` (``DataContractError``) naming the rows; a city's or a
    state's holiday goes to the stores there by the model's stores (``store_locales_``); a
    model without them reads it on every series. Without the columns (or with none filled)
    the rows as given."""
    from features._calendar import expand_store_channels
    from features._store_map import KEPT_ATTR, place_planned_locales

    cols = [c for c in events.columns
            if str(c).strip().lower().replace(" ", "_") in _LOCALE_INPUT]
    if not cols:
        return events
    filled = events[cols].astype("string").fillna("").apply(lambda c: c.str.strip()).ne("")
    if not filled.to_numpy().any():
        return events.drop(columns=cols)
    if "channel" in events.columns:  # the input's empty channel is '' (``pyfunc_input``)
        chan = events["channel"].astype("string").str.strip()
        events = events.assign(channel=chan.mask(chan == ""))
    series = [str(s) for s in model.panel_.series]  # type: ignore[attr-defined]
    placed, _notes = place_planned_locales(events.reset_index(drop=True), model, series,
                                           "pyfunc input", cli=False)
    if getattr(model, KEPT_ATTR, None):
        return expand_store_channels(placed, series)[0]
    return placed.drop(columns=cols)  # each on every series, as a national one


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
    # the signature's type of ds; a model of a zoned ds answers in its zone (``Panel.tz``),
    # its wall-clock times here (``astype`` refuses a zone: logging had stopped with a TypeError)
    ds = pd.DatetimeIndex(out["ds"])
    out["ds"] = (ds if ds.tz is None else ds.tz_localize(None)).astype("datetime64[ns]")
    signature = infer_signature(example, out, params=params)
    if signature.inputs is not None:  # where a holiday is kept: optional (module docstring)
        from mlflow.types import ColSpec

        signature.inputs.inputs.extend(ColSpec("string", c, required=False)
                                       for c in _LOCALE_INPUT)
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


def _log_result(result: BacktestResult, series: pd.DataFrame) -> None:
    # the data span on the run itself (not only on a registered version), so runs of a monthly
    # retrain can be told apart and compared in the MLflow UI's run table
    mlflow.set_tags({"data.summary": data_summary(series),
                     "data.start": str(pd.to_datetime(series["ds"]).min().date()),
                     "data.end": str(pd.to_datetime(series["ds"]).max().date()),
                     **_data_tags(series)})
    mlflow.log_param("known_in_advance", known_inputs(series) or "(none)")
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
    # the series that start inside a fold (a launch), scored apart: their means, and per fold
    # at the step of that fold among all origins (a fold without a start logs no value)
    mlflow.log_metrics({f"mean_{k}": v for k, v in result.start_mean.items() if np.isfinite(v)})
    if len(result.starts):
        mlflow.log_metric("start_n", len(result.starts))
        steps = {o: k + 1 for k, o in enumerate(result.origins)}
        start_by_fold = result.starts.groupby("origin", sort=True)[list(START_METRICS)].mean()
        for origin, row in start_by_fold.iterrows():
            mlflow.log_metrics({f"fold_{m}": float(row[m]) for m in START_METRICS
                                if np.isfinite(row[m])}, step=steps[origin])
    mlflow.log_metric("backtest_seconds", result.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "backtest_folds.csv"
        result.folds.to_csv(path, index=False)
        mlflow.log_artifact(str(path), "backtest")
        if len(result.starts):
            path = Path(tmp) / "backtest_starts.csv"
            result.starts.to_csv(path, index=False)
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


def _log_kept_stores(kept: dict[str, Any], tmp: Path) -> None:
    """The model's copy of its stores file as ``stores/stores_kept.csv`` of the run (each
    row's store as written, as the series write it, its city, state and series count) and a
    tag ``stores`` with its counts, for a data scientist in the MLflow UI."""
    from features._store_map import kept_stores_text

    rows = pd.DataFrame(kept["stores"]).assign(
        series=lambda f: f["key"].map(lambda k: len(kept["series"].get(k, [])) if k else 0))
    path = tmp / "stores_kept.csv"
    rows.to_csv(path, index=False)
    mlflow.log_artifact(str(path), "stores")
    mlflow.set_tag("stores", kept_stores_text(kept))


def _data_tags(series: pd.DataFrame) -> dict[str, str]:
    """``DATA_TAGS`` of a forecaster: its first and last observed period (``data.start``,
    ``data_cutoff``; with the time for hourly series) and its series count."""
    ds = pd.to_datetime(series["ds"])
    fmt = "%Y-%m-%d" if (ds == ds.dt.normalize()).all() else "%Y-%m-%d %H:%M"
    return {"data.start": ds.min().strftime(fmt), "data_cutoff": ds.max().strftime(fmt),
            "data.n_series": str(series["series_id"].nunique())}


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
    column_sources: dict[str, Any] | None = None,
    stores: pd.DataFrame | None = None,
) -> TrainOutcome:
    """Backtest, fit on all data, log the pyfunc, register it and move ``champion`` if better.

    On the same backtest (evaluation key of data, origins and horizon) the candidate must have a
    strictly lower mean MASE. A champion evaluated elsewhere is re-scored here; see
    ``decide_champion`` for why a tie then goes to the candidate. A forecaster with
    ``max_horizon_days`` gets it raised to cover ``horizon`` (``predict`` cannot go further).
    ``time_zone``: the business time zone the series were read in (their times are local):
    the model's forecasts then leave out the hour the clocks skip there.
    ``column_sources``: what known-in-advance columns were built from (``features.
    _spend_series.spend_sources`` per column, as ``join_spend`` records it), kept in the
    model as ``column_sources_``: a spend plan is checked against the channels each series'
    column summed, and ``GET /models`` says which series respond to which channels.
    ``stores``: the stores file the calendar's city and state holidays were placed with
    (``features.load_stores``), kept in the model as ``store_locales_``
    (``features._store_map.remember_stores``; checked against the series before the
    backtest): ``predict`` without it, the API and the pyfunc place planned ones alike. The
    run gets it as ``stores/stores_kept.csv`` and the version a tag ``inputs.stores``.
    """
    if register:  # a registry that cannot take the model: said before the backtest
        check_registry_uri(f"register {REGISTERED_NAME}")
    proto = make_forecaster(model) if isinstance(model, str) else model
    proto, raised = cover_horizon(proto, horizon, series_freq(series))
    backtest_origins(series, horizon, origins, n_folds)  # a bad origin: no empty FAILED run
    kept = None
    if stores is not None:  # a stores file that does not cover the series: before the backtest
        from features._store_map import remember_stores

        kept = remember_stores(stores, series["series_id"].astype(str).unique())
    exp = get_or_create_experiment(EXPERIMENT)
    with mlflow.start_run(experiment_id=exp, run_name=f"train-{proto.model_name}") as run, \
            tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tag("kind", "train")
        result = backtest(proto, series, calendar, horizon=horizon, origins=origins,
                          n_folds=n_folds, plot_dir=Path(tmp), progress=progress)
        _log_result(result, series)
        with fit_stages(progress, "final model on all data: ", series["series_id"].nunique()):
            final = type(proto)(**proto.get_params()).fit(series, calendar)
        final.default_horizon_ = horizon  # type: ignore[attr-defined]
        # the window totals' 80% band, from the backtest's folds (``window_bands``)
        final.window_bands_ = window_bands(  # type: ignore[attr-defined]
            result.forecasts, steps_per_day(series_freq(series)), result.starts)
        if time_zone:
            final.time_zone_ = time_zone  # type: ignore[attr-defined]
        if column_sources:
            final.column_sources_ = column_sources  # type: ignore[attr-defined]
        if kept is not None:
            final.store_locales_ = kept  # type: ignore[attr-defined]
            _log_kept_stores(kept, Path(tmp))
        info = log_model(final)
        model_uri = info.model_uri
        mlflow.log_metric("train_rows", len(series))
    version, promotion = None, None
    notes = [raised] if raised else []
    panel = getattr(final, "panel_", None)
    followed = recent_step_note(getattr(final, "recent_steps_", {}),
                                bool(panel is not None and panel.log),
                                min(STEP_WINDOW_DAYS, getattr(final, "max_h_", STEP_WINDOW_DAYS)))
    if followed:
        notes.append(followed)
    too_few = window_band_train_note(final)
    if too_few:
        notes.append(too_few)
    if register:
        mv = register_model(run.info.run_id, "model", REGISTERED_NAME,
                            {**result.mean, **result.start_mean}, result.evaluation,
                            model_uri=model_uri, description=MODEL_DESCRIPTION)
        version = str(mv.version)
        client = MlflowClient()
        client.set_model_version_tag(REGISTERED_NAME, version, "data.summary",
                                     data_summary(series))
        client.set_model_version_tag(REGISTERED_NAME, version, "data.key", series_data_key(series))
        client.set_model_version_tag(REGISTERED_NAME, version, "inputs.known_in_advance",
                                     known_inputs(series))
        for key, value in _data_tags(series).items():  # version_data, as every model kind
            client.set_model_version_tag(REGISTERED_NAME, version, key, value)
        if kept is not None:
            from features._store_map import kept_stores_text

            client.set_model_version_tag(REGISTERED_NAME, version, "inputs.stores",
                                         kept_stores_text(kept))
        ids = json.dumps(sorted(series["series_id"].astype(str).unique()))
        if len(ids) <= SERIES_TAG_MAX:  # longer lists are read from the model when needed
            client.set_model_version_tag(REGISTERED_NAME, version, "data.series", ids)
        promotion, more = decide_champion(version, result, series, calendar)
        notes += more
    return TrainOutcome(run.info.run_id, model_uri, version, result, promotion, final,
                        tuple(notes))
