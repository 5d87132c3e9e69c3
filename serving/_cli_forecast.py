"""CLI for traffic forecasting: ``brain forecast backtest | train | predict | check`` and the demo
step.

Thin wrappers over ``training``'s forecasting functions; the lead mounts ``forecast_app``.
Inputs are either a long series file (``--series``: series_id, ds, y [+ known-in-advance
columns]) or an events file (``--events`` / ``--data``), which is aggregated into visits, orders
and revenue series per channel and in total.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer

from features._calendar import aggregates_first

from ._cli_common import (
    console,
    err_console,
    frame_table,
    friendly_errors,
    model_label,
    note_replaced,
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
    TzOpt,
    calendar_outside_note,
    check_data_calendar,
    load_inputs,
)
from ._cli_forecast_model import (
    _check_model_horizon,
    _csv_ready,
    _describe_model,
    _load_model,
    _time_zone_note,
    _versions_with_columns,
    load_future,
)

__all__ = ["demo_step", "forecast_app"]

forecast_app = typer.Typer(help="Forecast traffic peaks around promotions: backtest, train, "
                                "predict.", no_args_is_help=True)

DEFAULT_URI = "models:/traffic_forecaster@champion"
_PEAK_ROWS = 40
"""Peak rows printed; the rest are in peaks.csv."""
_CHART_SERIES = 6
"""Series drawn in forecast.png; all are in forecast.csv."""


def _show_result_notes(notes: tuple[str, ...] | list[str]) -> None:
    for note in notes:
        show_note(note)

def _record_run(run_id: str, what: str, frame: pd.DataFrame, sources: dict[str, Path | None],
                result: Any, tz: str, outcome: str = "", version: str | None = None) -> None:
    """What a reader of the MLflow UI needs without the code: the time zone the series were
    read in (their times and the forecasts' are local), the input files (``source.*`` tags),
    the series and their span, and a description (the run's and the registered version's)
    with the backtest means and ``outcome``; prints where the fold plots went."""
    from mlflow import MlflowClient

    from training._mlflow import artifacts_where

    client = MlflowClient()
    client.set_tag(run_id, "time_zone", tz)
    info = client.get_run(run_id).info
    where = artifacts_where(run_id, info.experiment_id, info.artifact_uri)
    plots = f"{where}/plots" if "#/" not in where else f"{where} (folder plots)"
    console.print(f"fold plots: {plots} (MLflow run {run_id}, artifacts)", highlight=False)
    m = result.mean
    summary = (f"Backtest ({len(result.origins)} origins, horizon {result.horizon}): mean MASE "
               f"{m.get('mase', float('nan')):.3f}, peak error "
               f"{m.get('peak_err_pct', float('nan')):.1f}%, 80% coverage "
               f"{m.get('coverage80_pct', float('nan')):.1f}%.{_starts_summary(result)} "
               f"{outcome}").rstrip()
    # absolute paths: the run is read later from anywhere (the UI, another folder)
    sources = {k: (Path(v).resolve() if v is not None else None) for k, v in sources.items()}
    for key, path in sources.items():
        if path is not None:
            client.set_tag(run_id, f"source.{key}", str(path))
    ids = aggregates_first(frame["series_id"])
    ds = pd.to_datetime(frame["ds"])
    shown = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
    client.set_tag(run_id, "source.series_ids", shown[:5000])
    given = ", ".join(f"{k} {v}" for k, v in sources.items() if v is not None) or "no file"
    text = (f"{what} on {len(ids)} series ({shown}) from {given}; history "
            f"{ds.min():%Y-%m-%d} .. {ds.max():%Y-%m-%d}. {summary}")
    client.set_tag(run_id, "mlflow.note.content", text)
    # a name that tells reruns apart in the runs list: the series and the last day seen
    name = info.run_name or "run"
    client.set_tag(run_id, "mlflow.runName",
                   f"{name.split(' ')[0]} {len(ids)} series to {ds.max():%Y-%m-%d}")
    if version is not None:
        from training._forecast_mlflow import REGISTERED_NAME

        client.update_model_version(REGISTERED_NAME, version, description=text)


def _starts_summary(result: Any) -> str:
    """The start scores for a run's description ('' when no fold holds a start)."""
    sm = getattr(result, "start_mean", {})
    if not sm:
        return ""
    return (f" Series starting inside a fold ({len(result.starts)}): summed P50 off by "
            f"{sm['start_sum_err_pct']:.1f}% (bias {sm['start_bias_pct']:+.1f}%), pinball / "
            f"mean {sm['start_pinball']:.3f}, 80% coverage {sm['start_coverage80_pct']:.1f}%.")


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


def _mean_table(mean: dict[str, float], title: str) -> None:
    console.print(frame_table(pd.DataFrame([mean]), title=title))


def _starts_table(result: Any) -> None:
    """The series that start inside a fold (a launch), scored apart from the live series: one
    row per (fold, series) and their mean; nothing when no fold holds a start."""
    from training._forecast_backtest_starts import START_METRICS

    if not len(result.starts):
        return
    rows = result.starts.copy()
    for col in ("origin", "event_start"):
        rows[col] = pd.to_datetime(rows[col]).dt.date.astype(str)
    # the event's name and the first value's day are in the run's backtest_starts.csv
    shown = rows[["origin", "series_id", "event_start", "periods", "sum_p50", "sum_y",
                  *START_METRICS]].rename(columns=lambda c: c.removeprefix("start_"))
    console.print(frame_table(shown, title=f"{result.model}: series that start inside a fold "
                                           "(only zeros before the origin; scored from their "
                                           "start to the fold's end, not in the MASE)"))
    _mean_table(result.start_mean, f"{result.model}: mean over the {len(rows)} starts")


@forecast_app.command("backtest")
@friendly_errors
def backtest_cmd(data: DataOpt = None, series: SeriesOpt = None, events: EventsOpt = None,
                 calendar: CalendarOpt = None, freq: FreqOpt = "D", only: OnlyOpt = None,
                 model: ModelOpt = "lightgbm", horizon: HorizonOpt = 60, folds: FoldsOpt = 3,
                 origins: OriginsOpt = None, tz: TzOpt = "UTC", spend: SpendOpt = None) -> None:
    """Rolling-origin backtest logged to MLflow (metrics per fold, one plot per fold)."""
    from training._forecast_mlflow import log_backtest

    frame, cal = load_inputs(data, series, events, calendar, freq, only, tz, spend=spend)
    check_data_calendar(frame, cal, horizon, calendar)
    _earlier_forecasts(frame)
    step(f"backtesting {model} on {frame['series_id'].nunique()} series, horizon {horizon}")
    run_id, result = log_backtest(model, frame, cal, horizon=horizon, origins=_origins(origins),
                                  n_folds=folds, progress=step)
    _show_result_notes(result.notes)
    by_fold = result.folds.groupby("origin")[list(result.mean)].mean().reset_index()
    by_fold["origin"] = by_fold["origin"].dt.date.astype(str)
    console.print(frame_table(by_fold, title=f"{result.model}: mean over series per fold"))
    _mean_table(result.mean, f"{result.model}: mean over folds ({result.seconds:.1f} s)")
    _starts_table(result)
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

        naive = backtest(make_forecaster(yardstick), frame, cal, horizon=horizon,
                         origins=list(result.origins))
        _mean_table(naive.mean, f"{what} on the same origins (logged as {prefix}_mean_*)")
        if naive.start_mean:
            _mean_table(naive.start_mean, f"{what}: mean over the {len(naive.starts)} starts")
        for k, v in {**naive.mean, **naive.start_mean}.items():
            if np.isfinite(v):
                MlflowClient().log_metric(run_id, f"{prefix}_mean_{k}", float(v))
    _record_run(run_id, f"Backtest of {result.model}", frame,
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
              tz: TzOpt = "UTC", spend: SpendOpt = None) -> None:
    """Backtest, fit on all data, log the pyfunc model, register and maybe promote it."""
    from features._spend_series import SOURCES_ATTR
    from training._forecast_mlflow import REGISTERED_NAME, train_and_register
    from training._mlflow import check_registry_uri

    if register:  # before the data is read and the backtest runs
        check_registry_uri(f"register {REGISTERED_NAME}")
    frame, cal = load_inputs(data, series, events, calendar, freq, only, tz, spend=spend)
    check_data_calendar(frame, cal, horizon, calendar)
    _earlier_forecasts(frame)
    step(f"training {model} on {frame['series_id'].nunique()} series, horizon {horizon}")
    out = train_and_register(model, frame, cal, horizon=horizon, origins=_origins(origins),
                             n_folds=folds, register=register, progress=step, time_zone=tz,
                             column_sources=frame.attrs.get(SOURCES_ATTR))
    _show_result_notes(out.backtest.notes)
    _record_run(out.run_id, f"{out.backtest.model} forecaster", frame,
                {"data": data, "series": series, "events": events, "calendar": calendar},
                out.backtest, tz,
                f"Champion: {out.promotion.reason}" if out.promotion else "Not registered.",
                out.version)
    _mean_table(out.backtest.mean, f"{out.backtest.model}: backtest mean")
    _starts_table(out.backtest)
    console.print(f"MLflow run {out.run_id}; model {out.model_uri}")
    if out.promotion is not None:
        console.print(f"traffic_forecaster v{out.version}: {out.promotion.reason}",
                      highlight=False)
    for note in out.notes:
        err_console.print(f"[yellow]warning:[/] {note}", highlight=False)


def _plot_forecast(history: pd.DataFrame, fc: pd.DataFrame, cal: pd.DataFrame | None,
                   path: Path) -> Path:
    from training._forecast_plots import plot_fold

    return plot_fold(history, fc, cal, "forecast", path, max_series=_CHART_SERIES,
                     all_in="forecast.csv", last_year=True)


def run_predict(model_uri: str, horizon: int, calendar: pd.DataFrame | None,
                out: Path, future: pd.DataFrame | None = None,
                future_source: str = "future regressors",
                calendar_source: str | None = None,
                series: list[str] | None = None,
                spend_plan: pd.DataFrame | None = None,
                spend_source: str = "spend plan") -> tuple[dict[str, Path], pd.DataFrame]:
    """Forecast with a logged model, write forecast/peaks CSVs and a PNG.

    ``series``: forecast only these series of the model (None: all). Each series' rows are
    those of a forecast of every series (each reads its own history, events and plan), as
    ``POST /forecast_traffic`` answers one series; one store of a 60-store ensemble had cost
    the full forecast of every store (41 s).

    ``future`` holds the known-in-advance values (series_id, ds and the model's columns) for
    every forecast period; required when the model was fitted with such columns, ignored (with a
    note) otherwise. ``future_source`` names it in errors. With ``calendar_source``,
    ``calendar`` is the file as read, validated here once the model is loaded: events without
    an intensity get their name's usual one in the model's history, else their kind's
    (``kind_intensities``). ``spend_plan`` (the spend contract: date, channel, spend for the
    forecast days) gives a model trained with ``--spend`` its ``future`` rows instead
    (``plan_future``).

    Returns the written paths by label and the peak summary.
    """
    from features._calendar import natural_key, normalize_calendar
    from training._forecast_future import check_future_regressors, plan_range_notes
    from training._forecast_ids import check_calendar_channels
    from training._forecast_mlflow import pyfunc_input, regressor_names
    from training._forecast_peak_notes import (
        beyond_history_note,
        calendar_novelty_notes,
        known_in_advance_lift_note,
        withheld_lift_note,
    )
    from training._forecast_peaks import (
        event_reach,
        forecast_with_peaks,
        forecasts_without,
        overlap_note,
        peak_summary,
        series_levels,
    )
    from training._forecast_plan_response import plan_responses
    from training._forecast_starts import start_notes
    from training._mlflow import configure_mlflow

    configure_mlflow(registry_needed=model_uri.startswith("models:"))
    loaded = _load_model(model_uri)
    inner = getattr(loaded.unwrap_python_model(), "forecaster", None)
    if inner is None:
        kind = type(loaded.unwrap_python_model()).__name__
        raise ValueError(f"{model_uri} is not a traffic forecaster (it holds a {kind}); pass a "
                         "forecaster, e.g. --model-uri models:/traffic_forecaster@champion")
    label = model_label(model_uri)
    _check_model_horizon(label, inner, horizon)
    if calendar is not None and calendar_source is not None:
        from features._io import validate_calendar
        from training._forecast_base import kind_intensities

        # times with an offset in the zone the model's series were read in (train --tz)
        calendar = validate_calendar(calendar, calendar_source, kind_intensities(inner),
                                     name_intensity=kind_intensities(inner, "name"),
                                     tz=getattr(inner, "time_zone_", None) or "UTC")
    series_ids = [str(s) for s in inner.panel_.series]
    if series is not None:
        series = list(dict.fromkeys(s.strip() for s in series if s.strip()))
        unknown = [s for s in series if s not in set(series_ids)]
        if unknown or not series:
            shown = ", ".join(sorted(series_ids, key=natural_key)[:10])
            more = f" and {len(series_ids) - 10} more" if len(series_ids) > 10 else ""
            what = (f"{label} forecasts no series {', '.join(map(repr, unknown))}" if unknown
                    else "names no series")
            raise ValueError(f"--series: {what}; its series: {shown}{more}")
    # checked before any model runs: the seasonal naive ignores calendars when it forecasts
    if calendar is not None:  # (and the channels of the model's own calendar, as the API)
        extra = (inner.calendar_only_channels()
                 if callable(getattr(inner, "calendar_only_channels", None)) else [])
        check_calendar_channels(calendar, series_ids, extra)
    names = regressor_names(inner)
    if spend_plan is not None:
        if future is not None:
            raise ValueError(f"predict: give the planned spend once: {spend_source} or "
                             f"{future_source}, not both")
        future = plan_future(inner, horizon, spend_plan, spend_source, label, series)
        future_source = spend_source
    if names and future is None:
        try:
            check_future_regressors(inner.panel_, horizon, None, "predict")
        except ValueError as exc:
            plan = (" (a spend read by --spend: its planned spend per day and channel with "
                    "--spend-plan FILE)" if names == ["spend"] else "")
            raise ValueError(f"{exc}; pass them with --future FILE{plan}") from None
    if names:
        from training._forecast_coherent import channels_hint, check_total_rows, plan_series

        # the asked series' rows, or a coherent total's channels' (its response is the sum
        # of theirs), as the API reads them: a file of the total's rows alone had been an
        # error about 'predict: future_regressors' and the first channel, naming no file
        reads = plan_series(inner, series) if series is not None else None
        try:
            future = check_future_regressors(inner.panel_, horizon, future, future_source,
                                             only=reads)
            check_total_rows(inner, future, horizon, series or series_ids, future_source)
        except ValueError as exc:
            text, hint = str(exc), channels_hint(inner, series) if series is not None else ""
            if hint and "answered from its channels' plans" not in text:
                # what to send first, then what lacks a value
                text = (f"{future_source}: {hint} (or --spend-plan FILE: date, channel, "
                        f"spend); {text}")
            raise ValueError(text) from None
        # planned values a series never saw (its response extrapolated), or a column it
        # never moved with (the plan's value not read), as the API's notes say
        for note in plan_range_notes(inner.panel_, future, horizon, None if series is None
                                     else list(dict.fromkeys([*series, *(reads or [])]))):
            show_note(note)
    elif future is not None:
        err_console.print(f"[yellow]note:[/] {future_source}: {label} has no known-in-advance "
                          f"columns; the file is not used{_versions_with_columns(model_uri)}",
                          highlight=False)
    _describe_model(label, inner, horizon, series)
    # the forecast periods of the newest histories among the series forecast: a series that
    # ended early (a page renamed a year ago; named in its own note) had moved the notes'
    # start back to its end, so every event since was 'planned' and its kind 'never had';
    # and with --series naming only such a series, the notes' end (the newest series' last
    # period) had made the year since part of its forecast periods, where the API reads the
    # series' own
    newest = max(inner.panel_.series[s].ds[-1] for s in (series or inner.panel_.series))
    begin, end = newest + inner.panel_.step, newest + horizon * inner.panel_.step
    _time_zone_note(inner, horizon)
    calendar_outside_note(calendar, begin, end, "--calendar", "the forecast periods")
    full_cal = pd.concat([inner.calendar_, normalize_calendar(calendar)], ignore_index=True
                         ).drop_duplicates(["name", "start", "channel"], keep="last")
    if series is None:
        events = pyfunc_input(calendar, future, names)
        fc = loaded.predict(events, params={"horizon": horizon, "use_stored_calendar": True})
        base = loaded.predict(pyfunc_input(None, future, names),
                              params={"horizon": horizon, "use_stored_calendar": False})
        # each event that shares days with others: the forecast without it, for its lift
        without = forecasts_without(
            full_cal, fc, lambda c, jobs: inner.predict_without(horizon, c, jobs, future),
            event_reach(inner), batched=not inner.cheap_without)
        peaks = peak_summary(fc, full_cal, base, None, series_levels(inner), without)
    else:  # the asked series only, as the API forecasts one
        res = forecast_with_peaks(inner, horizon, normalize_calendar(full_cal), future,
                                  series=series)
        fc, peaks, base = res.forecast, res.peaks, res.baseline
    # each series' response at the plan (elasticity, marginal P50 per unit), as the API's
    # response_at_plan
    at_plan = (plan_responses(inner, horizon, future, fc, normalize_calendar(full_cal), series)
               if names else None)
    _unplanned_kinds_note(inner, full_cal, begin, end)
    for note in calendar_novelty_notes(inner, full_cal, begin, end, series=series):
        show_note(note)
    for note in start_notes(inner, full_cal, begin, end, series=series):
        show_note(note)
    # the sums over every channel lead the files, the table and the chart
    order = {sid: i for i, sid in enumerate(aggregates_first(fc["series_id"]))}
    fc = fc.sort_values("series_id", key=lambda s: s.map(order), kind="stable",
                        ignore_index=True)
    peaks = peaks.sort_values("series_id", key=lambda s: s.map(order), kind="stable",
                              ignore_index=True)
    withheld = withheld_lift_note(peaks)
    if withheld:
        show_note(withheld)
    shared = overlap_note(full_cal, fc, event_reach(inner))
    if shared:
        show_note(shared)
    beyond = beyond_history_note(inner, fc)
    if beyond:
        show_note(beyond)
    kia = known_in_advance_lift_note(list(names))
    if kia:
        show_note(kia)
    fc_path, pk_path, png = out / "forecast.csv", out / "peaks.csv", out / "forecast.png"
    for path in (fc_path, pk_path, png):
        note_replaced(path)
    _csv_ready(fc).to_csv(fc_path, index=False)
    _csv_ready(peaks).to_csv(pk_path, index=False)
    paths = {"forecast": fc_path, "peaks": pk_path, "chart": png}
    if at_plan is not None:
        paths["response_at_plan"] = out / "response_at_plan.csv"
        note_replaced(paths["response_at_plan"])
        at_plan.to_csv(paths["response_at_plan"], index=False)
    history = pd.concat([pd.DataFrame({"series_id": sid, "ds": g.ds, "y": g.y})
                         for sid, g in inner.panel_.series.items()
                         if series is None or str(sid) in series], ignore_index=True)
    _plot_forecast(history, fc, full_cal, png)
    n_series = fc["series_id"].nunique()
    if n_series > _CHART_SERIES:
        show_note(f"{png.name} shows the first {_CHART_SERIES} of {n_series} series; all are in "
                   f"{fc_path.name}")
    peaks.attrs["unit"] = "hours" if inner.panel_.freq == "h" else "days"
    from training._forecast_check import FORECASTS_EXPERIMENT, log_forecast

    # kept so that 'brain forecast check' can score it on the actuals that arrive; the files
    # are written: a store that refuses the run (the experiment deleted in the MLflow UI)
    # is said, it does not take the forecast away
    pruned: list[str] = []  # on a tracking server: what its admin runs to remove old forecasts
    try:
        peaks.attrs["run_id"] = log_forecast(
            fc, label, model_uri, max(g.ds[-1] for g in inner.panel_.series.values()),
            notes=pruned)
        for note in pruned:
            show_note(note)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        show_note(f"the forecast could not be kept for 'brain forecast check' "
                  f"({type(exc).__name__}: {first}); check it later with --forecast "
                  f"{fc_path} (a deleted experiment '{FORECASTS_EXPERIMENT}' can be restored "
                  "in the MLflow UI)")
    return paths, peaks


def plan_future(inner: Any, horizon: int, plan: pd.DataFrame, source: str, label: str,
                series: list[str] | None = None) -> pd.DataFrame:
    """The ``future`` rows of a model trained with ``--spend`` from a spend plan (date,
    channel, spend), by the rules its history's column was built with
    (``features._spend_series``)."""
    from features._spend_series import SPEND_COLUMN, spend_channel
    from features._spend_series import spend_plan as plan_rows

    names = list(inner.panel_.regressor_names)
    if names != [SPEND_COLUMN]:
        what = f"reads {names}" if names else "has no known-in-advance columns"
        raise ValueError(f"{source}: a spend plan is for a model trained with --spend (its "
                         f"only known-in-advance column 'spend'); {label} {what}: give "
                         "--future FILE with series_id, ds and those columns instead")
    if inner.panel_.freq != "D":
        raise ValueError(f"{source}: a spend plan is per day; {label} forecasts hourly series")
    from training._forecast_coherent import plan_series

    grids = inner.panel_.series
    wanted = [str(s) for s in (series or grids)]
    # a total answered from its channels (its response is the sum of theirs) reads their rows
    wanted = list(dict.fromkeys([*wanted, *plan_series(inner, wanted)]))
    had: dict[str, bool] = {}
    for sid, grid in grids.items():
        channel = spend_channel(str(sid))
        if channel not in (None, "*"):
            had[channel] = had.get(channel, False) or bool(
                np.nanmax(np.abs(grid.regressors[SPEND_COLUMN]), initial=0.0) > 0)
    days = {sid: inner.panel_.future_index(sid, horizon) for sid in wanted}
    recorded = (getattr(inner, "column_sources_", None) or {}).get(SPEND_COLUMN)
    if recorded:  # trained since 2026-12-06: the channels each series' spend was built from
        _recorded_channels(recorded, wanted, plan, source, label)
    else:
        _new_channels(grids, wanted, had, plan, source, label)
    return plan_rows(wanted, days, plan, source, had)


def _recorded_channels(recorded: dict[str, Any], wanted: list[str], plan: pd.DataFrame,
                       source: str, label: str) -> None:
    """Refuse a plan that leaves out a channel whose spend a series of the model was built
    from (a total's spend summed it: left out, the total's planned spend drops by that
    channel's, read as a cut), or that adds a channel the spend file never had while a total
    is forecast (its spend would count in the total's, read as the others')."""
    from features._spend_series import spend_channel

    built: dict[str, list[str]] = recorded.get("series", {})
    read = sorted({c for chans in built.values() for c in chans})
    given = set(plan["channel"].astype(str))
    missing = [c for c in read if c not in given]
    sums = [s for s, chans in built.items() if spend_channel(s) == "*" and chans]
    if missing:
        how = f" (the 'spend' of {sums} summed them)" if sums else ""
        raise ValueError(f"{source}: {label} was trained on the spend of channel(s) {read}"
                         f"{how}; the plan leaves out {missing}: add their planned spend for "
                         "every forecast day (0 to pause them)")
    totals = [s for s in wanted if spend_channel(s) == "*"]
    new = sorted(given - set(recorded.get("channels", read)))
    if new and totals:
        raise ValueError(f"{source}: the plan gives channel(s) {new}, whose spend {label} "
                         f"never read (it was trained on {sorted(recorded.get('channels', read))}"
                         f"); their spend would count in the 'spend' of {totals}, read as if "
                         "it were those channels'. Drop them from the plan, or retrain with "
                         "them in --spend")


def _new_channels(grids: dict[str, Any], wanted: list[str], had: dict[str, bool],
                  plan: pd.DataFrame, source: str, label: str) -> None:
    """Refuse plan channels the model's history never had spend for, where they would move a
    total forecast: its 'spend' sums every channel of the plan. Told only when the model's
    channel series hold all of its totals' spend (a model whose totals read channels
    without a series of their own, e.g. --only total, cannot tell a new channel from them)."""
    from features._spend_series import SPEND_COLUMN, spend_channel

    new = sorted(set(plan["channel"].astype(str)) - set(had))
    totals = [s for s in wanted if spend_channel(s) == "*"]
    if not new or not totals:
        return
    for sid in totals:
        grid = grids[sid]
        summed = np.zeros(len(grid.ds))
        for other, g in grids.items():
            if spend_channel(str(other)) in had and str(other).startswith("channel="):
                summed += pd.Series(g.regressors[SPEND_COLUMN], index=g.ds).reindex(
                    grid.ds).fillna(0.0).to_numpy(dtype=float)
        if not np.allclose(summed, np.nan_to_num(grid.regressors[SPEND_COLUMN]), rtol=1e-9,
                           atol=1e-6):
            return  # channels without a series of their own fed the totals
    read = sorted(c for c, spent in had.items() if spent)
    raise ValueError(f"{source}: the plan gives channel(s) {new}, whose spend {label} never "
                     f"read (it read {read}); their spend would count in the "
                     f"'spend' of {totals}, read as if it were those channels'. Drop them "
                     "from the plan, or retrain with them in --spend")


def _unplanned_kinds_note(model: Any, calendar: pd.DataFrame, begin: pd.Timestamp,
                          end: pd.Timestamp) -> None:
    """Note the event kinds the model learned a sizeable lift for that no calendar event in the
    forecast periods has (``unplanned_kinds_notes``; the API gives the same notes)."""
    from training._forecast_peak_notes import unplanned_kinds_notes

    for note in unplanned_kinds_notes(model, calendar, begin, end):
        show_note(note)


def _amounts(row: pd.Series) -> pd.Series:
    """Forecast magnitudes with one precision (from the largest): thousands separators,
    none from 100 up, one decimal from 10, two below (a peak's '45.6 / 67.2 / 97.1', not
    '46 / 67.23 / 97')."""
    top = float(np.nanmax(np.abs(row.to_numpy(dtype=float)))) if row.notna().any() else 0.0
    places = 0 if top >= 100 else 1 if top >= 10 else 2
    return row.map(lambda v: "" if pd.isna(v) else f"{v:,.{places}f}")


def _peaks_table(peaks: pd.DataFrame, horizon: int, unit: str, path: Path) -> None:
    """Print the peaks with readable numbers (lifts as percentages), the rest in ``path``."""
    # an hourly peak keeps its hour even at midnight (astype(str) wrote a lone midnight peak
    # as a date)
    fmt = "%Y-%m-%d %H:%M" if unit == "hours" else "%Y-%m-%d"
    show = peaks.assign(peak_ds=pd.to_datetime(peaks["peak_ds"]).dt.strftime(fmt),
                        start=peaks["start"].dt.date.astype(str),
                        end=peaks["end"].dt.date.astype(str))
    interval = ["peak_p10", "peak_p50", "peak_p90"]
    amounts = [*interval, "baseline_p50"]
    show[interval] = show[interval].apply(_amounts, axis=1)
    show["baseline_p50"] = show[["baseline_p50"]].apply(_amounts, axis=1)
    show["lift_pct"] = show["lift_pct"].map(lambda v: "" if pd.isna(v) else f"{v:+.1f}%")
    show = show.rename(columns={"lift_pct": "lift"})
    table = frame_table(show, title=f"Peaks over the next {horizon} {unit}",
                        max_rows=_PEAK_ROWS)
    for column in table.columns:
        if column.header in (*amounts, "lift"):
            column.justify = "right"
    console.print(table)
    if len(peaks) > _PEAK_ROWS:
        console.print(f"… {len(peaks) - _PEAK_ROWS} more rows in {path}", highlight=False)


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
                out: OutOpt = None) -> None:
    """Forecast P10/P50/P90 with peaks per event; print a table, write CSV and a PNG chart."""
    from features._io import read_table

    if horizon < 1:  # before the model's summary ('forecast 2025-12-31 .. 2025-12-30')
        raise ValueError(f"predict: --horizon must be 1 or more periods; received {horizon}")
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
                                   plan, spend_plan.name if spend_plan is not None else "")
    except ValueError as exc:
        if calendar is not None and str(exc).startswith("calendar "):
            raise ValueError(f"{calendar}: {exc}") from None  # name the file
        raise
    _peaks_table(peaks, horizon, peaks.attrs.get("unit", "periods"), paths["peaks"])
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
                                     "of a kept one.")] = None) -> None:
    """Score an earlier forecast on the actuals that arrived since: bias, MAPE, MASE, 80%
    coverage per series, and a warning when the error is persistent. The calendar places a
    page's launch: its MASE scale is read from it, as the backtest's."""
    from ._cli_forecast_check import pick_forecast, print_check

    if run is not None and forecast is not None:
        raise ValueError("forecast check: pass --run or --forecast, not both")
    # no notes on what a model would learn: check fits nothing, and a store's renovation in
    # the planner's calendar had been called "a drop ... not in the calendar, left out of
    # learning"; the calendar only places each series' start for its MASE scale
    frame, cal = load_inputs(data, series, events, calendar, freq, only, tz, model_notes=False)
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
