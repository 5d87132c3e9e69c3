"""Inputs of the forecast commands: the shared options, reading a series file or events
(aggregated into visits, orders and revenue series) with the calendar, checking the calendar's
channels against the series, and the notes on what a model will do with the data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from ._cli_common import print_notes, show_note

__all__ = ["CalendarOpt", "DataOpt", "EventsOpt", "FoldsOpt", "FreqOpt", "HorizonOpt",
           "ModelOpt", "OnlyOpt", "OriginsOpt", "OutOpt", "SeriesOpt", "StoresOpt", "TzOpt",
           "calendar_outside_note", "check_calendar_channels", "check_data_calendar",
           "load_inputs", "map_store_locales", "route_training_notes"]

_DEFAULT_SERIES = ("total", "orders:total", "revenue:total")


class _TrainingNotes(logging.Handler):
    """The forecasters' warnings (e.g. negative values) as ``note:`` lines, each once."""

    def emit(self, record: logging.LogRecord) -> None:
        show_note(record.getMessage())


def route_training_notes() -> None:
    """Show ``training``'s warnings once, as notes (fits log them on every fold otherwise)."""
    logger = logging.getLogger("training")
    if not any(isinstance(h, _TrainingNotes) for h in logger.handlers):
        logger.addHandler(_TrainingNotes(logging.WARNING))
    logger.propagate = False


def _data_notes(frame: pd.DataFrame, cal: pd.DataFrame | None = None, tz: str = "UTC") -> None:
    """Notes about the series that change what the model does, before any fitting."""
    from training._forecast_notes import series_notes

    for note in series_notes(frame, cal, tz=tz):
        show_note(note)


def calendar_outside_note(cal: pd.DataFrame | None, first: pd.Timestamp, last: pd.Timestamp,
                           source: str, span: str) -> None:
    """One note counting calendar events that lie entirely outside [first, last]."""
    if cal is None or not len(cal):
        return
    from features._calendar import normalize_calendar
    from training._forecast_text import listed, period_text

    c = normalize_calendar(cal)
    outside = c[(c["end"] < first.normalize()) | (c["start"] > last)]
    if len(outside):
        # a name that recurs inside (a yearly holiday) carries the day of the row outside
        inside = set(c.loc[~c.index.isin(outside.index), "name"].astype(str))
        shown = [f"{n} {d:%Y-%m-%d}" if n in inside else n
                 for n, d in zip(outside["name"].astype(str), outside["start"], strict=True)]
        names = listed(list(dict.fromkeys(shown)), 3)
        hourly = any(t != t.normalize() for t in (first, last))
        text = [t.strftime("%Y-%m-%d %H:%M") if hourly else period_text(t) for t in (first, last)]
        show_note(f"{source}: {len(outside)} of {len(c)} calendar events lie entirely outside "
                   f"{span} ({text[0]} .. {text[1]}) and change nothing ({names})")


def check_data_calendar(frame: pd.DataFrame, cal: pd.DataFrame | None, horizon: int,
                         calendar: Path | None) -> None:
    """Note calendar events outside the data and the horizon after it."""
    from training._forecast_panel import series_freq

    step_ = pd.Timedelta(days=1) if series_freq(frame) == "D" else pd.Timedelta(hours=1)
    ds = pd.to_datetime(frame["ds"])
    calendar_outside_note(cal, ds.min(), ds.max() + horizon * step_,
                           calendar.name if calendar else "calendar",
                           f"the data and the {horizon}-period horizon")


DataOpt = Annotated[Path | None, typer.Option(
    "--data", help="Folder with events.parquet|csv and calendar.csv (e.g. from 'brain data "
                   "generate').")]
SeriesOpt = Annotated[Path | None, typer.Option(
    "--series", help="Long series file (CSV/Parquet): series_id, ds, y plus optional numeric "
                     "known-in-advance columns.")]
EventsOpt = Annotated[Path | None, typer.Option(
    "--events", help="Events file; aggregated into visits/orders/revenue series.")]
CalendarOpt = Annotated[Path | None, typer.Option(
    "--calendar", help="Calendar file: name,start,end,kind[,channel,intensity].")]
StoresOpt = Annotated[Path | None, typer.Option(
    "--stores", help="Stores file (Favorita's stores.csv: a store column as the series were "
                     "imported from, city, state): a calendar's city and state holidays "
                     "(columns locale = Local/Regional, locale_name) apply to the series of "
                     "the stores there, not to every series.")]
FreqOpt = Annotated[str, typer.Option("--freq", help="Series frequency built from events: D or "
                                                     "h.")]
OnlyOpt = Annotated[str | None, typer.Option(
    "--only", help="Comma-separated series ids to use (default from events: total, "
                   "orders:total, revenue:total and the per-channel visit series; default from "
                   "--series: all).")]
ModelOpt = Annotated[str, typer.Option(
    "--model", help="Forecaster: lightgbm, prophet, seasonal_naive, seasonal_naive_events or "
                    "ensemble.")]
HorizonOpt = Annotated[int, typer.Option("--horizon", help="Periods to forecast (days for daily "
                                                           "series, hours for hourly).")]
FoldsOpt = Annotated[int, typer.Option("--folds", help="Backtest origins, one horizon apart, "
                                                       "ending at the last observation.")]
OriginsOpt = Annotated[str | None, typer.Option(
    "--origins", help="Comma-separated backtest origins (first forecast day), e.g. "
                      "2025-09-01,2025-10-01; overrides --folds.")]
TzOpt = Annotated[str, typer.Option(
    "--tz", help="Business time zone the series are read in (e.g. Europe/Berlin): times with "
                 "UTC offsets are converted to its local time, the hour repeated when clocks go "
                 "back is averaged, and forecasts are in its local time. Default UTC.")]
SpendOpt = Annotated[Path | None, typer.Option(
    "--spend", help="Channel spend file (date, channel, spend; e.g. the --data folder's "
                    "spend.csv) read as a known-in-advance 'spend' column of the series built "
                    "from events: each channel's series take its spend, the totals the sum, "
                    "the others 0. predict then needs the planned spend (--spend-plan FILE).")]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", help="Output folder (default <BRAIN_HOME>/forecasts).")]


def load_inputs(data: Path | None, series: Path | None, events: Path | None,
                 calendar: Path | None, freq: str, only: str | None, tz: str = "UTC",
                 model_notes: bool = True, spend: Path | None = None,
                 stores: Path | None = None, keep_stores: bool = False
                 ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The series (and calendar) of a forecast command, with the loaders' notes and, unless
    ``model_notes`` is false (``brain forecast check``, which fits nothing and reads the
    calendar only for where each series starts), the notes on what a model would do with
    them. ``spend``: a spend file joined as a ``spend`` column
    (``features._spend_series.join_spend``). ``stores``: a stores file giving the calendar's
    city and state holidays to their stores (``map_store_locales``); ``keep_stores`` (train,
    which keeps the file with the model): it is checked against the series first
    (``remember_stores``), may come without a calendar, and no "not used" note is given."""
    from features._io import load_calendar, load_events, load_series
    from features._traffic import local_hours, traffic_series
    from training._forecast_panel import series_freq

    if calendar is None and data is not None:
        for name in ("calendar.csv", "calendar.parquet"):
            if (data / name).exists():
                calendar = data / name
    # in the series' zone: a calendar time with an offset is the local day it falls on there
    if stores is not None and calendar is None and not keep_stores:
        raise ValueError(f"forecast: --stores {stores} maps a calendar's city and state "
                         "holidays to their stores: give the calendar too (--calendar FILE)")
    cal = (load_calendar(calendar, tz=tz, locales=stores is not None) if calendar is not None
           else None)
    if series is not None:
        frame = load_series(series, tz=tz)
        print_notes(frame)
        try:
            series_freq(frame)
        except ValueError as exc:  # name the file, as every other input error does
            raise ValueError(f"{series.name}: {exc}") from None
        wanted = None
    else:
        if events is None and data is not None:
            for name in ("events.parquet", "events.csv"):
                if (data / name).exists():
                    events = data / name
        if events is None and data is not None:
            what = ("does not exist" if not data.exists()
                    else "holds no events.parquet or events.csv")
            msg = (f"forecast: --data {data} {what}; give the folder 'brain data generate' or "
                   "'brain demo' wrote (brain-home/data, brain-home/demo-data), or --series FILE / "
                   "--events FILE")
            raise ValueError(msg)
        if events is None:
            msg = "forecast: give --series FILE, --events FILE or --data DIR (with events.*)"
            raise ValueError(msg)
        ev = load_events(events, tz=tz)
        print_notes(ev)
        frame = local_hours(traffic_series(ev, freq), tz)
        print_notes(frame)
        wanted = [s for s in frame["series_id"].unique()
                  if s in _DEFAULT_SERIES or s.startswith("channel=")]
    if stores is not None and keep_stores:  # before any training step: kept, it must fit
        from features._store_map import remember_stores
        from features._stores import load_stores

        remember_stores(load_stores(stores), frame["series_id"].astype(str).unique())
    if cal is not None and calendar is not None and stores is not None:
        cal = map_store_locales(cal, stores, frame["series_id"].astype(str).unique(), calendar,
                                quiet_unused=keep_stores)
    if cal is not None and calendar is not None:  # against every series of the data
        cal = check_calendar_channels(cal, list(frame["series_id"].astype(str).unique()),
                                      calendar)
    if only:
        wanted = [s.strip() for s in only.split(",") if s.strip()]
    if wanted is not None:
        missing = sorted(set(wanted) - set(frame["series_id"].astype(str)))
        if missing:
            msg = (f"forecast: --only names series {missing} that are not in the data; "
                   f"available: {sorted(frame['series_id'].astype(str).unique())[:20]}")
            raise ValueError(msg)
        frame = frame[frame["series_id"].isin(wanted)].reset_index(drop=True)
        if cal is not None:
            cal = _calendar_of_kept(cal, wanted, calendar, bool(only))
    if spend is not None:
        frame = _with_spend(frame, spend, series is not None)
    elif data is not None and series is None and model_notes:
        _spend_lever_note(data)
    route_training_notes()
    if model_notes:
        _data_notes(frame, cal, tz)
    return frame, cal


def _with_spend(frame: pd.DataFrame, path: Path, from_series: bool) -> pd.DataFrame:
    """``frame`` (series built from events) with the spend file's ``spend`` column."""
    from features._io import load_spend
    from features._spend_series import join_spend, spend_channel

    if from_series:
        raise ValueError(f"forecast: --spend {path} is for series built from events (--data "
                         "DIR or --events FILE); a --series file gives its spend as a column "
                         "of its own rows")
    if not path.exists():
        raise ValueError(f"forecast: --spend {path} does not exist (date, channel, spend; one "
                         "row per day and paid channel, as 'brain data generate' writes "
                         "spend.csv)")
    sp = load_spend(path)
    print_notes(sp)
    out = join_spend(frame, sp, path.name)
    # the channels whose spend a kept series reads as its own ('*': a total, which reads all)
    read = {spend_channel(str(s)) for s in frame["series_id"].unique()}
    alone = sorted(set(sp["channel"].astype(str)) - read)
    if alone:  # (with --only orders:channel=c, c's spend had been called unread, and the
        # others' said to count in totals that --only had left out)
        where = ("their spend counts in the totals' 'spend' only" if "*" in read else
                 "no series kept reads their spend (no total among them)")
        show_note(f"{path.name}: channel(s) {alone} have no series of their own; {where}")
    return out


def _spend_lever_note(data: Path) -> None:
    """Say when a generated world's spend drives its visits but is not read (no --spend)."""
    import json

    meta = data / "truth" / "meta.json"
    try:
        lever = bool(json.loads(meta.read_text()).get("spend_lever"))
    except (OSError, ValueError, AttributeError):
        return
    if lever:
        show_note(f"{meta}: in this generated world each paid channel's visits follow its "
                  f"planned spend; add --spend {data / 'spend.csv'} to read it as a "
                  "known-in-advance column")


def _calendar_of_kept(cal: pd.DataFrame, kept: list[str], path: Path | None, said: bool
                      ) -> pd.DataFrame:
    """The calendar without the events of series left out (``--only``): they concern no
    series of the fit. Counted in a note when the user chose the series."""
    from training._forecast_ids import calendar_for_series

    out = calendar_for_series(cal, kept)
    dropped = len(cal) - len(out)
    if dropped and said:
        names = sorted(set(cal["name"].astype(str)) - set(out["name"].astype(str)))
        show_note(f"{path}: {dropped} event(s) run only on series left out by --only "
                  f"({', '.join(repr(n) for n in names[:5])}{' ...' if len(names) > 5 else ''})"
                  "; not used")
    return out


def map_store_locales(cal: pd.DataFrame, stores: Path, series_ids: Iterable[str] | None,
                      calendar: Path, quiet_unused: bool = False) -> pd.DataFrame:
    """``cal`` (read with ``locales=True``) with its city and state holidays given to the
    stores there by the stores file (``features._stores.apply_store_locales``), the notes
    shown. ``series_ids`` None: the two files checked against each other only."""
    from features._stores import apply_store_locales, load_stores

    out, notes = apply_store_locales(cal, load_stores(stores), series_ids,
                                     calendar_source=calendar.name, stores_source=stores.name)
    for note in notes:
        if not (quiet_unused and note.startswith(f"{stores.name}: not used")):
            show_note(note)
    return out


def check_calendar_channels(cal: pd.DataFrame, series_ids: list[str], path: Path
                            ) -> pd.DataFrame:
    """The forecasters' channel check (``check_calendar_channels``), with the file named.

    Returns ``cal`` with a store's events given per series of the store
    (``expand_store_channels``: channel ``store_nbr_01`` on series ``store_nbr_01 / GROCERY
    I``, ...), said in a note; other rows as given."""
    from features._calendar import expand_store_channels
    from training._forecast_ids import check_calendar_channels

    cal, notes = expand_store_channels(cal, series_ids)
    for note in notes:
        show_note(f"{path.name}: {note}")
    try:
        check_calendar_channels(cal, series_ids)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    return cal
