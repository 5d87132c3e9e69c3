"""CLI for traffic forecasting: ``brain forecast backtest | train | predict | check`` and the demo
step.

Thin wrappers over ``training``'s forecasting functions; the lead mounts ``forecast_app``.
Inputs are either a long series file (``--series``: series_id, ds, y [+ known-in-advance
columns]) or an events file (``--events`` / ``--data``), which is aggregated into visits, orders
and revenue series per channel and in total.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from ._cli_common import (
    console,
    err_console,
    frame_table,
    friendly_errors,
    show_note,
    step,
)
from ._cli_forecast_inputs import (
    CalendarOpt,
    DataOpt,
    EventsOpt,
    FoldsOpt,
    FreqOpt,
    HorizonOpt,
    ModelOpt,
    OnlyOpt,
    OriginsOpt,
    OutOpt,
    SeriesOpt,
    SpendOpt,
    StoresOpt,
    TzOpt,
    check_data_calendar,
    load_inputs,
)
from ._cli_forecast_model import load_future
from ._cli_forecast_output import peaks_table
from ._cli_forecast_predict import run_predict
from ._cli_forecast_runs import mean_table, record_run, starts_table

__all__ = ["demo_step", "forecast_app"]

forecast_app = typer.Typer(help="Forecast traffic peaks around promotions: backtest, train, "
                                "predict.", no_args_is_help=True)

DEFAULT_URI = "models:/traffic_forecaster@champion"


def _show_result_notes(notes: tuple[str, ...] | list[str]) -> None:
    for note in notes:
        show_note(note)

def _earlier_forecasts(frame: pd.DataFrame) -> None:
    """Warn when the newest kept forecast these data reach ran persistently off."""
    from ._cli_forecast_check import earlier_forecast_warnings

    earlier_forecast_warnings(frame)


def _origins(text: str | None) -> list[pd.Timestamp] | None:
    if not text:
        return None
    return [pd.Timestamp(t.strip()) for t in text.split(",") if t.strip()]


def _out_dir(out: Path | None) -> Path:
    from training._mlflow import brain_home

    path = out or brain_home() / "forecasts"
    path.mkdir(parents=True, exist_ok=True)
    return path


@forecast_app.command("backtest")
@friendly_errors
def backtest_cmd(data: DataOpt = None, series: SeriesOpt = None, events: EventsOpt = None,
                 calendar: CalendarOpt = None, freq: FreqOpt = "D", only: OnlyOpt = None,
                 model: ModelOpt = "lightgbm", horizon: HorizonOpt = 60, folds: FoldsOpt = 3,
                 origins: OriginsOpt = None, tz: TzOpt = "UTC", spend: SpendOpt = None,
                 stores: StoresOpt = None) -> None:
    """Rolling-origin backtest logged to MLflow (metrics per fold, one plot per fold)."""
    from training._forecast_mlflow import log_backtest

    frame, cal = load_inputs(data, series, events, calendar, freq, only, tz, spend=spend,
                             stores=stores)
    check_data_calendar(frame, cal, horizon, calendar)
    _earlier_forecasts(frame)
    step(f"backtesting {model} on {frame['series_id'].nunique()} series, horizon {horizon}")
    run_id, result = log_backtest(model, frame, cal, horizon=horizon, origins=_origins(origins),
                                  n_folds=folds, progress=step)
    _show_result_notes(result.notes)
    by_fold = result.folds.groupby("origin")[list(result.mean)].mean().reset_index()
    by_fold["origin"] = by_fold["origin"].dt.date.astype(str)
    console.print(frame_table(by_fold, title=f"{result.model}: mean over series per fold"))
    mean_table(result.mean, f"{result.model}: mean over folds ({result.seconds:.1f} s)")
    starts_table(result)
    # the yardsticks on the same origins (seconds): last week repeated, and last weeks (cleaned
    # of events) plus the calendar's learned event lifts; the plain one repeats last week's
    # promotion into a week without one, so a model that only learned the calendar beats it
    # by a wide margin (stores with weekly promotions: 0.727 against 0.330, where the
    # calendar-aware one reached 0.348)
    for yardstick, prefix, what in (
            ("seasonal_naive", "naive", "seasonal naive"),
            ("seasonal_naive_events", "naive_events", "seasonal naive + event lifts")):
        if model == yardstick:
            continue
        from mlflow import MlflowClient

        from training._forecast_backtest import backtest
        from training._forecast_models import make_forecaster

        # a line per fold as the model's: on 1,782 series the two yardsticks had run 6 min
        # after the model's table without a line
        step(f"backtesting {what} on the same origins")

        def fold_line(line: str, what: str = what) -> None:
            step(f"{what}: {line}")

        naive = backtest(make_forecaster(yardstick), frame, cal, horizon=horizon,
                         origins=list(result.origins), progress=fold_line)
        mean_table(naive.mean, f"{what} on the same origins (logged as {prefix}_mean_*)")
        if naive.start_mean:
            mean_table(naive.start_mean, f"{what}: mean over the {len(naive.starts)} starts")
        for k, v in {**naive.mean, **naive.start_mean}.items():
            if np.isfinite(v):
                MlflowClient().log_metric(run_id, f"{prefix}_mean_{k}", float(v))
    record_run(run_id, f"Backtest of {result.model}", frame,
               {"data": data, "series": series, "events": events, "calendar": calendar},
               result, tz)
    console.print(f"MLflow run {run_id} (evaluation {result.evaluation})")


@forecast_app.command("train")
@friendly_errors
def train_cmd(data: DataOpt = None, series: SeriesOpt = None, events: EventsOpt = None,
              calendar: CalendarOpt = None, freq: FreqOpt = "D", only: OnlyOpt = None,
              model: ModelOpt = "lightgbm", horizon: HorizonOpt = 60, folds: FoldsOpt = 3,
              origins: OriginsOpt = None,
              register: Annotated[bool, typer.Option(
                  help="Register as traffic_forecaster and move champion if better.")] = True,
              tz: TzOpt = "UTC", spend: SpendOpt = None, stores: StoresOpt = None) -> None:
    """Backtest, fit on all data, log the pyfunc model, register and maybe promote it."""
    from features._spend_series import SOURCES_ATTR
    from training._forecast_mlflow import REGISTERED_NAME, train_and_register
    from training._mlflow import check_registry_uri

    if register:  # before the data is read and the backtest runs
        check_registry_uri(f"register {REGISTERED_NAME}")
    frame, cal = load_inputs(data, series, events, calendar, freq, only, tz, spend=spend,
                             stores=stores, keep_stores=True)
    check_data_calendar(frame, cal, horizon, calendar)
    _earlier_forecasts(frame)
    step(f"training {model} on {frame['series_id'].nunique()} series, horizon {horizon}")
    kept = None
    if stores is not None:  # kept with the model: predict, the API and the pyfunc read it
        from features._stores import load_stores

        kept = load_stores(stores)
    out = train_and_register(model, frame, cal, horizon=horizon, origins=_origins(origins),
                             n_folds=folds, register=register, progress=step, time_zone=tz,
                             column_sources=frame.attrs.get(SOURCES_ATTR), stores=kept)
    from features._store_map import KEPT_ATTR, kept_stores_text

    placed = getattr(out.model, KEPT_ATTR, None)
    if placed:
        show_note(f"{kept_stores_text(placed)}: kept with the model; predict without "
                  "--stores, the API and the MLflow pyfunc give planned city and state "
                  "holidays (locale Local/Regional) to these stores")
    _show_result_notes(out.backtest.notes)
    record_run(out.run_id, f"{out.backtest.model} forecaster", frame,
               {"data": data, "series": series, "events": events, "calendar": calendar},
               out.backtest, tz,
               f"Champion: {out.promotion.reason}" if out.promotion else "Not registered.",
               out.version)
    mean_table(out.backtest.mean, f"{out.backtest.model}: backtest mean")
    starts_table(out.backtest)
    console.print(f"MLflow run {out.run_id}; model {out.model_uri}")
    if out.promotion is not None:
        console.print(f"traffic_forecaster v{out.version}: {out.promotion.reason}",
                      highlight=False)
        uri = f"--model-uri models:/{REGISTERED_NAME}/{out.version}"
        kept = out.promotion.previous_version
        if not out.promotion.promoted and kept and not any(uri in n for n in out.notes):
            # as brain train churn says: which model still answers, and how to use this one
            console.print(f"'brain forecast predict' and the API keep forecasting with "
                          f"{REGISTERED_NAME}@champion (v{kept}); to forecast with "
                          f"v{out.version} pass {uri}", highlight=False)
    for note in out.notes:
        err_console.print(f"[yellow]warning:[/] {note}", highlight=False)


@forecast_app.command("predict")
@friendly_errors
def predict_cmd(horizon: HorizonOpt = 60,
                calendar: Annotated[Path | None, typer.Option(
                    "--calendar", help="Future calendar (name,start,end,kind[,channel,"
                                       "intensity]) added to the model's own.")] = None,
                future: Annotated[Path | None, typer.Option(
                    "--future", help="Future known-in-advance values (CSV/Parquet): series_id, "
                                     "ds and every such column the model was trained with "
                                     "(e.g. promo), one row per series and forecast period. "
                                     "Required for such a model.")] = None,
                model_uri: Annotated[str, typer.Option(
                    "--model-uri", help="Model to load.")] = DEFAULT_URI,
                spend_plan: Annotated[Path | None, typer.Option(
                    "--spend-plan", help="Planned spend per day and channel (date, channel, "
                                         "spend; the shape of spend.csv) for a model trained "
                                         "with --spend: its future rows, built as its history's "
                                         "spend column was.")] = None,
                series: Annotated[str | None, typer.Option(
                    "--series", help="Forecast only these series of the model, comma-"
                                     "separated (e.g. total,store_7); default: all. The rows "
                                     "are those of a forecast of every series.")] = None,
                stores: StoresOpt = None, out: OutOpt = None) -> None:
    """Forecast P10/P50/P90 with peaks per event; print a table, write CSV and a PNG chart."""
    from features._io import read_table

    if horizon < 1:  # before the model's summary ('forecast 2025-12-31 .. 2025-12-30')
        raise ValueError(f"predict: --horizon must be 1 or more periods; received {horizon}")
    if stores is not None and calendar is None:
        raise ValueError(f"predict: --stores {stores} maps a calendar's city and state "
                         "holidays to their stores: give the calendar too (--calendar FILE)")
    # validated once the model is loaded: an event without an intensity gets its kind's usual
    cal = read_table(calendar) if calendar is not None else None
    fut = load_future(future) if future is not None else None
    source = future.name if future is not None else "future regressors"
    plan = None
    if spend_plan is not None:
        from features._io import load_spend

        plan = load_spend(spend_plan)
    try:
        paths, peaks = run_predict(model_uri, horizon, cal, _out_dir(out), fut, source,
                                   calendar.name if calendar is not None else None,
                                   series.split(",") if series is not None else None,
                                   plan, spend_plan.name if spend_plan is not None else "",
                                   stores=stores)
    except ValueError as exc:
        if calendar is not None and str(exc).startswith("calendar "):
            raise ValueError(f"{calendar}: {exc}") from None  # name the file
        raise
    peaks_table(peaks, horizon, peaks.attrs.get("unit", "periods"), paths["peaks"])
    for label, path in paths.items():
        console.print(f"{label}: {path}")
    if peaks.attrs.get("run_id"):
        console.print(f"kept as MLflow run {peaks.attrs['run_id']} (experiment "
                      "traffic_forecasts): 'brain forecast check' scores it on the actuals that "
                      "arrive", highlight=False)


@forecast_app.command("check")
@friendly_errors
def check_cmd(data: DataOpt = None, series: SeriesOpt = None, events: EventsOpt = None,
              calendar: CalendarOpt = None, freq: FreqOpt = "D", only: OnlyOpt = None,
              tz: TzOpt = "UTC",
              run: Annotated[str | None, typer.Option(
                  "--run", help="MLflow run id (or its first characters) of a kept forecast; "
                                "default: the newest one these actuals reach.")] = None,
              forecast: Annotated[Path | None, typer.Option(
                  "--forecast", help="A forecast file (series_id, ds, p10, p50, p90) instead "
                                     "of a kept one.")] = None,
              stores: StoresOpt = None) -> None:
    """Score an earlier forecast on the actuals that arrived since: bias, MAPE, MASE, 80%
    coverage per series, and a warning when the error is persistent. The calendar places a
    page's launch: its MASE scale is read from it, as the backtest's."""
    from ._cli_forecast_check import pick_forecast, print_check

    if run is not None and forecast is not None:
        raise ValueError("forecast check: pass --run or --forecast, not both")
    # no notes on what a model would learn: check fits nothing, and a store's renovation in
    # the planner's calendar had been called "a drop ... not in the calendar, left out of
    # learning"; the calendar only places each series' start for its MASE scale
    frame, cal = load_inputs(data, series, events, calendar, freq, only, tz, model_notes=False,
                             stores=stores)
    fc, what = pick_forecast(frame, run, forecast, tz)
    print_check(fc, frame, what, cal)


def demo_step(data_dir: Path) -> dict[str, str]:
    """Backtest, train and register the forecaster on a generated world; forecast 60 days.

    Uses total visits, orders and revenue and the per-channel visit series (daily).
    """
    from training._forecast_mlflow import train_and_register

    frame, cal = load_inputs(Path(data_dir), None, None, None, "D", None)
    outcome = train_and_register("lightgbm", frame, cal, horizon=60, n_folds=2)
    out = _out_dir(None)
    paths, peaks = run_predict(f"models:/traffic_forecaster/{outcome.version}", 60, None, out)
    top = peaks[peaks["series_id"] == "total"].sort_values("peak_p50").tail(1)
    reason = outcome.promotion.reason if outcome.promotion else "not registered"
    lines = {
        "forecast backtest MASE": f"{outcome.backtest.mean['mase']:.3f} "
                                  f"(coverage80 {outcome.backtest.mean['coverage80_pct']:.0f}%)",
        "forecast model": f"traffic_forecaster v{outcome.version} ({reason})",
        "forecast CSV": str(paths["forecast"]),
        "forecast chart": str(paths["chart"]),
        "forecast peaks": str(paths["peaks"]),
    }
    if not top.empty:
        r = top.iloc[0]
        lines["next traffic peak"] = (f"{pd.Timestamp(r['peak_ds']).date()} ({r['window']}): "
                                      f"{r['peak_p50']:,.0f} visits "
                                      f"[{r['peak_p10']:,.0f}-{r['peak_p90']:,.0f}]")
    return lines
