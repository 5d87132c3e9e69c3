"""``brain data import-series``: a store-by-day export into the forecaster's series and calendar,
and (``--like DIR``) the shop's plan for the coming days into ``predict``'s future values and
calendar, read as the history imported to DIR was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from ._cli_common import console, print_notes, show_note, step, write_frame

__all__ = ["data_import_series"]

SETTINGS = "import.json"
"""The file beside series.csv holding how the history was read (``ImportedSeries.settings``),
for ``--like``."""


def _pairs(items: list[str], option: str) -> dict[str, str]:
    """``['a=Public holiday']`` -> ``{'a': 'Public holiday'}``; a ValueError naming the option
    for an item without '='."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{option} {item!r}: write VALUE=NAME, e.g. {option} "
                             "'a=Public holiday'")
        out[key.strip()] = value.strip()
    return out


def _whole(frame: pd.DataFrame) -> pd.DataFrame:
    """Number columns holding whole numbers only written without '.0' (4477, not 4477.0)."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_float_dtype(s.dtype) and s.notna().all() and (s == s.round()).all():
            out[col] = s.astype("int64")
    return out


def data_import_series(
    file: Annotated[Path, typer.Argument(help="Store-by-day export (CSV or Parquet): one row "
                                              "per store and day, with flag columns.")],
    out: Annotated[Path, typer.Option(help="Folder to write series.csv and calendar.csv to.")],
    id_col: Annotated[list[str] | None, typer.Option(
        help="Column with the store (series) id. Default: detected (Store, shop, ...). "
             "Repeat for one series per combination, e.g. --id-col store_nbr --id-col family "
             "(ids 'store_nbr_01 / GROCERY I': split on ' / ' to get the columns back).")
    ] = None,
    date_col: Annotated[str | None, typer.Option(
        help="Column with the day. Default: detected (Date, ds, day).")] = None,
    value_col: Annotated[list[str] | None, typer.Option(
        help="Column to forecast (repeat for more: the first gives store_07, each other a "
             "metric-prefixed series such as customers:store_07). Default: detected (Sales).")
    ] = None,
    known_col: Annotated[list[str] | None, typer.Option(
        help="Known-in-advance flag column kept as a numeric column (Promo -> promo); repeat "
             "for more. Default: detected (Promo, SchoolHoliday).")] = None,
    event_col: Annotated[list[str] | None, typer.Option(
        help="Event flag column: a value other than 0 or empty is a calendar event on the "
             "row's store; repeat for more. Default: detected (StateHoliday).")] = None,
    event_name: Annotated[list[str] | None, typer.Option(
        help="Name of the events of a flag value, VALUE=NAME (e.g. 'a=Public holiday'); "
             "repeat for more.")] = None,
    event_kind: Annotated[list[str] | None, typer.Option(
        help="Calendar kind of an event column's events, COLUMN=KIND (default holiday for a "
             "column with 'holiday' in its name, else event).")] = None,
    open_col: Annotated[str | None, typer.Option(
        help="Column that is 0 on closed days. Default: detected (Open).")] = None,
    id_prefix: Annotated[str | None, typer.Option(
        help="Text before each id (its first id column's part). Default: the id column's "
             "name and '_' for whole-number ids (store_07), nothing for text ids.")] = None,
    detect: Annotated[bool, typer.Option(
        "--detect/--no-detect", help="Detect the known-in-advance, event and open columns by "
                                     "name when they are not given.")] = True,
    like: Annotated[Path | None, typer.Option(
        help="Import a plan (the export's shape without the value, such as Kaggle's test.csv) "
             "the way the history imported to this folder was: same columns, store ids, "
             "flags and event names; writes future.csv and calendar.csv for brain forecast "
             "predict.")] = None,
    tz: Annotated[str | None, typer.Option(
        "--tz", help="Time zone to convert dates with UTC offsets to (as import-orders --tz). "
                     "Default: a date with an offset is the day written "
                     "(2015-07-31T00:00:00+02:00 is 2015-07-31).")] = None,
) -> None:
    """Turn a store-by-day export with flag columns (Rossmann's Store, Date, Sales, Open, Promo,
    StateHoliday) into series.csv and calendar.csv for brain forecast."""
    import features as ft

    if like is not None:
        given = {"--id-col": id_col, "--date-col": date_col, "--value-col": value_col,
                 "--known-col": known_col, "--event-col": event_col, "--event-name": event_name,
                 "--event-kind": event_kind, "--open-col": open_col, "--id-prefix": id_prefix,
                 "--no-detect": None if detect else True}
        extra = [k for k, v in given.items() if v]
        if extra:
            raise ValueError(f"--like {like}: the plan is read with the history's columns, ids "
                             f"and event names; {', '.join(extra)} cannot change them (rename "
                             "the plan's columns to the history's, or import the history "
                             "again with the option)")
        _import_plan(file, out, like, tz)
        return
    series_path, calendar_path = out / "series.csv", out / "calendar.csv"
    for path in (series_path, calendar_path):
        if path.resolve() == file.resolve():
            raise ValueError(f"--out {out} would replace the export itself ({path.name}); "
                             "write to another folder (the export would be lost)")
    step(f"reading {file}")
    raw = ft.read_table(file)
    got = ft.store_days_to_series(
        raw, id_col=id_col, date_col=date_col, value_cols=value_col or (),
        known_cols=known_col, event_cols=event_col, open_col=open_col,
        event_names=_pairs(event_name or [], "--event-name"),
        event_kinds=_pairs(event_kind or [], "--event-kind"), id_prefix=id_prefix,
        detect=detect, tz=tz, source=file.name)
    for role, cols in got.columns.items():
        console.print(f"  {role + ':':<18} {', '.join(cols) if cols else '-'}", highlight=False)
    for note in got.notes:
        show_note(note)
    print_notes(got.series)
    s = got.summary
    write_frame(_whole(got.series), series_path)
    (out / SETTINGS).write_text(json.dumps(got.settings, indent=1) + "\n", encoding="utf-8")
    calendar = got.calendar[["name", "start", "end", "kind", "channel"]]
    if len(calendar):
        write_frame(calendar, calendar_path)
    elif calendar_path.exists():
        show_note(f"{calendar_path} is left as it was: this export has no events")
    known = [str(c) for c in got.series.columns[3:]]  # after series_id, ds, y
    console.print(
        f"[green]imported[/] {s['rows']:,} rows of {s['stores']:,} stores, {s['first']:%Y-%m-%d}"
        f" to {s['last']:%Y-%m-%d} -> {series_path} ({len(got.series):,} rows, {s['series']:,}"
        f" series{', known in advance: ' + ', '.join(known) if known else ''})",
        highlight=False)
    if len(calendar):
        _print_events(s["events"], calendar_path)
    if s.get("closed_days"):
        weekly = s.get("weekly_closures") or {}
        assert isinstance(weekly, dict)
        rule = "; ".join(f"{n} store{'s' if n != 1 else ''} closed on {d} as a rule" for d, n
                         in weekly.items())
        kinds = s["events"]
        assert isinstance(kinds, dict)
        n_closed = kinds.get("closed", 0)
        console.print(f"closed days: {s['closed_days']:,}, kept as rows at the reported value "
                      f"(0){'; ' + rule + ' (no event)' if rule else ''}; "
                      f"{s['unexplained_closed_days']:,} other closed days without an event "
                      f"flag -> {n_closed:,} 'closed' event{'s' if n_closed != 1 else ''} "
                      "(give planned closures in the forecast's calendar too)", highlight=False)
    cal = f" --calendar {calendar_path}" if len(calendar) else ""
    console.print(f"next: brain data validate --series {series_path}{cal}\n"
                  f"      brain forecast backtest --series {series_path}{cal} --horizon 42 "
                  "--folds 3", highlight=False)
    if known:
        console.print("      brain forecast predict needs --future FILE with series_id, ds, "
                      f"{', '.join(known)} for each forecast day (docs/forecasting.md, "
                      "'Known-in-advance values')", highlight=False)
    console.print(f"      brain data import-series PLAN --like {out} --out PLAN_DIR reads the "
                  "plan of the coming days (these columns without the value) into predict's "
                  "--future and --calendar", highlight=False)


def _import_plan(file: Path, out: Path, like: Path, tz: str | None) -> None:
    """``import-series PLAN --like DIR --out OUT``: OUT/future.csv and OUT/calendar.csv."""
    import features as ft

    settings_path = like / SETTINGS
    if not settings_path.exists():
        raise ValueError(f"--like {like}: no {SETTINGS} there (written by 'brain data "
                         "import-series EXPORT --out DIR' since 2026-12-06); import the "
                         f"history to that folder again first (brain data import-series "
                         f"EXPORT --out {like})")
    if out.resolve() == like.resolve():
        raise ValueError(f"--out {out} is the history's folder: its calendar.csv would be "
                         "replaced by the plan's; write the plan to another folder")
    future_path, calendar_path = out / "future.csv", out / "calendar.csv"
    for path in (future_path, calendar_path):
        if path.resolve() == file.resolve():
            raise ValueError(f"--out {out} would replace the plan itself ({path.name}); "
                             "write to another folder (the plan would be lost)")
    settings = json.loads(settings_path.read_text(encoding="utf-8"))
    step(f"reading {file} as a plan of the history in {like}")
    raw = ft.read_table(file)
    got = ft.store_plan_to_future(raw, settings, tz=tz, source=file.name,
                                  history=f"the history in {like}")
    for role, cols in got.columns.items():
        console.print(f"  {role + ':':<18} {', '.join(cols) if cols else '-'}", highlight=False)
    for note in got.notes:
        show_note(note)
    s = got.summary
    known = [str(c) for c in got.future.columns[2:]]  # after series_id, ds
    if known:
        write_frame(_whole(got.future), future_path)
    elif future_path.exists():
        future_path.unlink()  # an earlier plan's known-in-advance values are not this one's
        show_note(f"{future_path} removed: the history has no known-in-advance columns")
    calendar = got.calendar[["name", "start", "end", "kind", "channel"]]
    if len(calendar):
        write_frame(calendar, calendar_path)
    elif calendar_path.exists():
        calendar_path.unlink()  # a calendar of an earlier plan would be read as this one's
        show_note(f"{calendar_path} removed: this plan has no events")
    series = s["series"]
    assert isinstance(series, list)
    console.print(
        f"[green]imported[/] the plan's {s['rows']:,} rows of {s['stores']:,} store"
        f"{'s' if s['stores'] != 1 else ''}, {s['first']:%Y-%m-%d} to {s['last']:%Y-%m-%d}"
        + (f" ({len(series):,} series)" if len(series) != s["stores"] else "")
        + (f" -> {future_path} ({len(got.future):,} rows: {', '.join(known)})" if known else ""),
        highlight=False)
    if len(calendar):
        _print_events(s["events"], calendar_path)
    if s["closed_days"]:
        weekly = s["weekly_closed_days"]
        assert isinstance(weekly, list)
        on_rule = s["weekly_closed"]
        assert isinstance(on_rule, int)
        console.print(f"closed days: {s['closed_days']:,}"
                      + (f", {on_rule:,} of them on the stores' weekly closed day "
                         f"({', '.join(weekly)}: no event, as in the history)" if on_rule
                         else ""), highlight=False)
    only = ""
    if s["unplanned"]:
        series = s["series"]
        assert isinstance(series, list)
        only = f" --series {','.join(series)}"
    cal = f" --calendar {calendar_path}" if len(calendar) else ""
    fut = f" --future {future_path}" if known else ""
    console.print(f"next: brain forecast predict --horizon {s['horizon']}{cal}{fut}{only}",
                  highlight=False)


def _print_events(kinds: object, calendar_path: Path) -> None:
    """'events: 1,341 holiday, 18 closed -> DIR/calendar.csv (each on its store's channel)'."""
    assert isinstance(kinds, dict)
    shown = ", ".join(f"{n:,} {k}" for k, n in kinds.items())
    console.print(f"events: {shown} -> {calendar_path} (each on its store's channel)",
                  highlight=False)
