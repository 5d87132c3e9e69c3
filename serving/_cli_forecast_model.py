"""What ``brain forecast predict`` reads and writes besides the forecast itself: the model
(``_load_model``, with what is registered when it cannot be loaded), what it forecasts
(``_describe_model``, ``_check_model_horizon``, ``_time_zone_note``), the future known-in-advance
values (``load_future``) and the CSV files as planners read them (``_csv_ready``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features._calendar import aggregates_first

from ._cli_common import console, print_notes, registered_ref, show_note

__all__ = ["load_future"]


def _registry_listing() -> str:
    """What is registered (names, versions, aliases) and how to name a model."""
    from mlflow import MlflowClient

    client = MlflowClient()
    models = client.search_registered_models()
    if not models:
        from training._mlflow import store_note

        return (f"nothing is registered yet ({store_note()}); train a model first, e.g. "
                "'brain forecast train --series FILE'")
    parts = []
    for rm in models:
        versions = sorted(int(v.version) for v in
                          client.search_model_versions(f"name='{rm.name}'"))
        shown = ", ".join(f"v{v}" for v in versions[-8:])
        more = f" (+{len(versions) - 8} older)" if len(versions) > 8 else ""
        aliases = ", ".join(f"@{a} = v{v}" for a, v in sorted(rm.aliases.items()))
        parts.append(f"{rm.name}: {shown}{more}" + (f"; {aliases}" if aliases else ""))
    return ("registered: " + " | ".join(parts) + ". Pass e.g. --model-uri "
            "models:/traffic_forecaster@champion or models:/traffic_forecaster/3")


def _versions_with_columns(model_uri: str) -> str:
    """'; models:/traffic_forecaster/3 reads ['promo']: ...' for the newest registered version
    of the model's name that reads known-in-advance columns ('' when none does): after a
    forecaster with a promo column is trained beside a champion of other series it is
    registered but not promoted, and ``predict --future`` had said only that the file is not
    used."""
    from mlflow import MlflowClient

    reg = registered_ref(model_uri)
    if reg is None:
        return ""
    try:
        versions = MlflowClient().search_model_versions(f"name = '{reg[0]}'")
    except Exception:  # a hint only
        return ""
    reading = sorted((int(v.version), v.tags.get("inputs.known_in_advance", ""))
                     for v in versions if v.tags.get("inputs.known_in_advance"))
    if not reading:
        return ""
    version, columns = reading[-1]
    uri = f"models:/{reg[0]}/{version}"
    return (f"; {uri} reads {columns.split(',')}: to forecast with it, pass --model-uri {uri} "
            f"(or make it the champion: brain promote {reg[0]} {version})")


def _load_model(model_uri: str) -> Any:
    """The pyfunc at ``model_uri``, or a ValueError listing what is registered."""
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        return mlflow.pyfunc.load_model(model_uri)
    except (MlflowException, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"predict: cannot load --model-uri {model_uri!r} ({first}); "
                         f"{_registry_listing()}") from None


def _describe_model(label: str, inner: Any, horizon: int,
                    series: list[str] | None = None) -> pd.Timestamp:
    """Print which model forecasts which series (``series``: the ones asked for, of its
    series) and periods; note ragged series.

    Returns the last forecast period over all series.
    """
    panel = inner.panel_
    lasts = {sid: g.ds[-1] for sid, g in panel.series.items()}
    first_ds = min(g.ds[0] for g in panel.series.values())
    latest = max(lasts.values())
    fmt = "%Y-%m-%d" if panel.freq == "D" else "%Y-%m-%d %H:%M"
    ids = aggregates_first(panel.series)
    count = f"{len(ids)} series"
    if series is not None:  # --series store_3 forecasts that one, not "5 series (store_0, ...)"
        asked = set(series)
        count = f"{sum(i in asked for i in ids)} of its {len(ids)} series"
        ids = [i for i in ids if i in asked]
    shown = ", ".join(ids[:5]) + (f" (+{len(ids) - 5} more)" if len(ids) > 5 else "")
    start, end = latest + panel.step, latest + horizon * panel.step
    console.print(f"forecasting with {label} ({inner.model_name}): {count} "
                  f"({shown}), history {first_ds.strftime(fmt)} .. {latest.strftime(fmt)}; "
                  f"forecast {start.strftime(fmt)} .. {end.strftime(fmt)}", highlight=False)
    early = {sid: last for sid, last in lasts.items() if last < latest}
    if early:
        items = sorted(early.items(), key=lambda kv: kv[1])
        named = ", ".join(f"{sid!r} (last {last.strftime(fmt)})" for sid, last in items[:5])
        more = f" and {len(items) - 5} more" if len(items) > 5 else ""
        show_note(f"{len(early)} series end before the latest period {latest.strftime(fmt)}: "
                   f"{named}{more}. Each series is forecast for the {horizon} periods after its "
                   "own last period, so theirs start earlier; update those series or leave "
                   "them out (--only) and retrain")
    from training._forecast_notes import (
        clip_settings,
        ended_series_note,
        level_shift_note,
        short_history_note,
        sparse_series_note,
        spike_share_note,
    )

    stored = getattr(inner, "calendar_", None)  # the history's events, as the model has them
    for note in (short_history_note(panel),
                 level_shift_note(panel, calendar=stored, model=inner),
                 # a series of zeros only: ``start_notes`` names it for a model that
                 # forecasts starts; for any other model this note still does
                 sparse_series_note(panel, skip_zeros=hasattr(inner, "starts_")),
                 ended_series_note(panel),
                 # large orders again and again: summed P50 leaves them out
                 spike_share_note(panel, clip_settings(inner)[0])):
        if note:
            show_note(note)
    return end


def _check_model_horizon(label: str, inner: Any, horizon: int) -> None:
    """A clear error when ``horizon`` exceeds what the model was trained for."""
    limit = getattr(inner, "max_h_", None)
    if limit is not None and horizon > limit:
        msg = (f"predict: --horizon {horizon} exceeds the {limit} periods {label} was trained "
               f"for (max_horizon_days={inner.max_horizon_days:g}); ask for at most {limit}, or "
               f"retrain with 'brain forecast train ... --horizon {horizon}' (train raises the "
               "model's longest horizon to cover --horizon)")
        raise ValueError(msg)


def load_future(path: Path) -> pd.DataFrame:
    """Load a file of future known-in-advance values: series_id, ds and numeric columns.

    CSV or Parquet, under the series contract without ``y`` (a file without ``series_id`` is one
    series named 'total'; timestamps parsed and zoned the same way; every value required; one row
    per series and period). Whether it covers the model's columns and periods is checked when
    predicting (``training._forecast_future.check_future_regressors``).

    Raises:
        DataContractError: the file breaks the contract (names the file, column and rows).
    """
    from features._io import read_table, validate_series

    raw = read_table(path)
    if "y" in raw.columns:
        raw = raw.drop(columns="y")
    frame = validate_series(raw.assign(y=0.0), Path(path).name).drop(columns="y")
    print_notes(frame)
    return frame


def _csv_ready(frame: pd.DataFrame, digits: int = 6) -> pd.DataFrame:
    """``frame`` as planners read it in a spreadsheet: every date column in one format (dates
    alone when all are midnights, else date and minute: an hourly peaks file had '2024-12-21'
    beside '2024-12-27 23:00:00'), and numbers to ``digits`` significant digits of the
    series' largest in that column (34198.100069485605 -> 34198.1), never '-0.0'."""
    out = frame.copy()
    dates = [c for c in out.columns if pd.api.types.is_datetime64_any_dtype(out[c])]
    stamps = pd.concat([out[c] for c in dates]) if dates else pd.Series(dtype="datetime64[ns]")
    fmt = "%Y-%m-%d" if (stamps.dropna() == stamps.dropna().dt.normalize()).all() else (
        "%Y-%m-%d %H:%M")
    for c in dates:
        out[c] = out[c].dt.strftime(fmt)
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            # per series: a channel of 2.49 a day beside a 1.2M total keeps its decimals
            mag = out[c].abs()
            top = (mag.groupby(out["series_id"]).transform("max") if "series_id" in out
                   else pd.Series(mag.max(), index=out.index)).to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                places = np.where(top > 0, digits - np.ceil(np.log10(top)), 2)
            places = np.clip(np.nan_to_num(places, nan=2), 0, 8).astype(int)
            col = out[c].astype(float)
            for k in np.unique(places):
                on = places == k
                col[on] = col[on].round(int(k))
            out[c] = col + 0.0
    return out


def _time_zone_note(inner: Any, horizon: int) -> None:
    """Say which clock the forecast's times are on (``time_zone_note``)."""
    from training._forecast_peak_notes import time_zone_note

    note = time_zone_note(inner, horizon)
    if note:
        show_note(note)
