"""What ``brain forecast backtest`` and ``train`` report about a backtest: the score tables
(``mean_table``, and ``starts_table`` for the series that start inside a fold) and the MLflow
run's description, tags and name (``record_run``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from features._calendar import aggregates_first

from ._cli_common import console, frame_table

__all__ = ["mean_table", "record_run", "starts_table"]


def record_run(run_id: str, what: str, frame: pd.DataFrame, sources: dict[str, Path | None],
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


def mean_table(mean: dict[str, float], title: str) -> None:
    console.print(frame_table(pd.DataFrame([mean]), title=title))


def starts_table(result: Any) -> None:
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
    mean_table(result.start_mean, f"{result.model}: mean over the {len(rows)} starts")
