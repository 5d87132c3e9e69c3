"""Loading user files (CSV or Parquet) under the data contracts in ``_contracts``.

This module loads events, calendars and spend; files are read by ``_read``, values parsed by
``_parse``, and series files loaded by ``_series_io`` (``load_series`` is re-exported here, so
every loader is importable from one place).

Defined behaviour for messy input (documented in docs/data-contracts.md, tested in
tests/features/test_io.py):

- missing required column or value, unparseable value, unknown event type, negative revenue
  outside refunds, end before start, duplicate keys in calendar/spend/series: one
  ``DataContractError`` listing every problem with row numbers and examples;
- exact duplicate event rows: dropped and reported (``on_duplicate="drop"``), or kept, or an error;
- a CSV separated by ';' or tabs (its header read as one column) is read again with that
  separator, with a note;
- unsorted timestamps: sorted (stable) and reported;
- time zones: values with UTC offsets are converted to the business time zone ``tz`` and stored
  naive; naive values are taken as already in ``tz``; a column mixing both is an error;
- every change is listed in ``frame.attrs["load_notes"]`` and logged at WARNING.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ._calendar import _ZONE_END, base_names, channel_text
from ._contracts import (
    CALENDAR,
    EVENTS,
    KNOWN_EVENT_TYPES,
    SPEND,
    DataContractError,
    LoadReport,
    Problem,
    problem_rows,
)
from ._parse import (
    _OFFSET,
    _blank,
    _duplicate_key_problem,
    _finish,
    _money_column,
    _nfc,
    _parse_columns,
    _parse_time,
    _percent_column,
)
from ._read import _read_notes, read_table
from ._series_io import load_series, validate_series
from ._stores import LOCALE_ROW, _column, locale_columns, locale_note, locale_pair
from ._times import utc_day_note

__all__ = ["load_calendar", "load_events", "load_series", "load_spend", "read_table",
           "validate_calendar", "validate_events", "validate_series", "validate_spend"]

PathLike = str | Path


def validate_events(df: pd.DataFrame, source: str = "events", *, tz: str = "UTC",
                    extra_event_types: tuple[str, ...] = (),
                    on_duplicate: Literal["drop", "keep", "error"] = "drop") -> pd.DataFrame:
    """Validate and normalise an events frame already in memory (see module docstring)."""
    report = _read_notes(df, source)
    probs: list[Problem] = []
    df = _money_column(df.reset_index(drop=True), "revenue", report)
    frame = _parse_columns(df, EVENTS, source, tz, probs, lower_cols=("event_type",),
                           report=report)
    if not probs and "ts" in df.columns:
        # offsets read in UTC move visits near midnight to another day: say so
        moved = utc_day_note(df["ts"], frame["ts"], "ts", tz)
        if moved:
            report.note(moved)
    et = frame["event_type"]
    known = set(KNOWN_EVENT_TYPES) | {e.strip().lower() for e in extra_event_types}
    unknown = ~et.isin(list(known)).to_numpy() & et.notna().to_numpy()
    if unknown.any():
        n, rows, ex = problem_rows(unknown, et)
        kinds = sorted(set(et[unknown].astype(str)))[:5]
        probs.append(Problem("event_type", f"has unknown event types {kinds}", n, rows, ex,
                             fix="map them to one of " + ", ".join(KNOWN_EVENT_TYPES) +
                                 " or allow them explicitly (--allow-event-types)"))
    rev = frame["revenue"]
    is_purchase = (et == "purchase").to_numpy()
    is_refund = (et == "refund").to_numpy()
    # cells that do not read as numbers are reported above, not again as missing
    miss = _blank(df["revenue"]) if "revenue" in df.columns else rev.isna().to_numpy()
    if (miss & is_purchase).any():
        n, rows, _ = problem_rows(miss & is_purchase)
        probs.append(Problem("revenue", "is missing on purchase rows", n, rows,
                             fix="give every purchase its revenue (0 for free orders)"))
    neg = (rev < 0).to_numpy() & ~is_refund
    if neg.any():
        n, rows, ex = problem_rows(neg, rev)
        probs.append(Problem("revenue", "is negative outside refund rows", n, rows, ex,
                             fix="record returns as event_type 'refund'"))
    stray = (rev.fillna(0) != 0).to_numpy() & ~is_purchase & ~is_refund
    if stray.any():
        n, rows, ex = problem_rows(stray, rev)
        probs.append(Problem("revenue", "is non-zero on rows that are not purchases or refunds",
                             n, rows, ex, fix="put revenue on purchase rows only"))
    if probs:
        raise DataContractError(source, probs)
    pos_refund = (rev > 0).to_numpy() & is_refund
    if pos_refund.any():
        report.note(f"{int(pos_refund.sum())} refund rows had positive revenue; stored as "
                    "negative amounts (refunds reduce revenue)")
        frame.loc[pos_refund, "revenue"] = -frame.loc[pos_refund, "revenue"]
    frame["revenue"] = frame["revenue"].fillna(0.0)
    if on_duplicate != "keep":
        dup = frame.duplicated(keep="first").to_numpy()
        if dup.any():
            n, rows, _ = problem_rows(dup)
            if on_duplicate == "error":
                raise DataContractError(source, [Problem(
                    "", "has exact duplicate rows", n, rows,
                    fix="remove them, or drop them with --on-duplicate drop (Python: "
                        "on_duplicate='drop')")])
            with_order = ("order_id" in frame.columns
                          and bool(frame.loc[dup, "order_id"].notna().any()))
            hint = (" (they carry order ids: lines of one order are better summed by "
                    "'brain data import-orders' from the raw export)" if with_order else "")
            ts = frame["ts"]
            if not with_order and len(ts) and bool(
                    (ts.dt.second == 0).all() and (ts.dt.microsecond == 0).all()):
                # an export that dropped the seconds makes two visits of one minute identical
                # (a check's re-export lost 19 distinct visits this way)
                whole = ("days" if bool((ts == ts.dt.normalize()).all()) else "minutes")
                hint += (f" (the timestamps are whole {whole}: distinct events of one user in "
                         f"the same {whole[:-1]} read as identical rows; if the source records "
                         "finer times, export them)")
            report.note(f"dropped {n} exact duplicate rows (first at row {rows[0]}); if "
                        "identical rows are genuine (e.g. two equal lines of one invoice) keep "
                        f"them with --on-duplicate keep (Python: on_duplicate='keep'){hint}")
            frame = frame.loc[~dup]
    future = (frame["ts"] > pd.Timestamp.now() + pd.Timedelta(days=1)).to_numpy()
    if future.any():
        n = int(future.sum())
        # the frame's index is the data row's position in the file (0-based), also after
        # exact duplicates were dropped above
        at = int(frame.index[future][0]) + 1
        first = frame["ts"][future].min()
        report.note(f"{n} events are dated in the future (first at row {at}; earliest "
                    f"{first:%Y-%m-%d}); a two-digit year 00-68 reads as 2000-2068 (28-FEB-68 "
                    "is 2068): export four-digit years if they are older")
    ts = frame["ts"].to_numpy()
    if len(ts) > 1 and (ts[1:] < ts[:-1]).any():
        n_bad = int((ts[1:] < ts[:-1]).sum())
        report.note(f"timestamps were not sorted ({n_bad} rows earlier than the row before); "
                    "sorted by ts")
        frame = frame.sort_values("ts", kind="stable")
    for col in ("event_type", "channel", "category", "acquisition_channel"):
        if col in frame.columns and not isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype("category")
    for col in ("channel", "category", "acquisition_channel"):
        if col in frame.columns:
            note = spelling_variants_note(frame[col], col)
            if note:
                report.note(note)
    return _finish(frame.reset_index(drop=True), report)


def spelling_groups(values: list[str]) -> list[list[str]]:
    """Groups (sorted, in order of their first member) of distinct ``values`` that differ only
    in case, spaces, '_' or '-' ('Store_003' and 'store 003'); values alone in their group are
    left out before grouping (a group per value had cost 2.5 s for 100,000 series ids)."""
    text = pd.Series(list(dict.fromkeys(values)), dtype=object).astype(str)
    if len(text) < 2:
        return []
    key = text.str.replace(r"[\s_\-]", "", regex=True).str.casefold()
    alike = key.duplicated(keep=False).to_numpy()
    if not alike.any():
        return []
    return sorted((sorted(g) for _, g in text[alike].groupby(key[alike].to_numpy())),
                  key=lambda g: g[0])


def spelling_variants_note(col: pd.Series, name: str) -> str | None:
    """The note for values of a label column that differ only in case, spaces, '_' or '-'
    ('united kingdom' and 'United Kingdom'), with their row counts, or None: they count as
    separate channels (or categories) in every feature and series. An export that spelled one
    country both ways had made two channels of it."""
    counts = col.value_counts(dropna=True)
    counts = counts[counts > 0]
    if len(counts) < 2:
        return None
    by_text = dict(zip(counts.index.astype(str), counts.index, strict=True))
    groups = [[by_text[t] for t in g] for g in spelling_groups(list(by_text))]
    if not groups:
        return None

    def rows(v: object) -> str:
        n = int(counts[v])
        return f"{v!r} ({n:,} row{'' if n == 1 else 's'})"

    shown = "; ".join(" and ".join(rows(v) for v in g) for g in groups[:3])
    more = f"; +{len(groups) - 3} more groups" if len(groups) > 3 else ""
    return (f"column '{name}' has {len(groups)} group(s) of values that differ only in case, "
            f"spaces, '_' or '-', counted as separate values: {shown}{more}. If they are one, "
            "write it one way in the file")


def load_events(path: PathLike, *, tz: str = "UTC", extra_event_types: tuple[str, ...] = (),
                on_duplicate: Literal["drop", "keep", "error"] = "drop") -> pd.DataFrame:
    """Load an events file under the events contract (CSV or Parquet); a file without rows is
    an error (every command needs events: a header-only export ended in a traceback)."""
    frame = validate_events(read_table(path), Path(path).name, tz=tz,
                            extra_event_types=extra_event_types, on_duplicate=on_duplicate)
    if frame.empty:
        raise DataContractError(Path(path).name, [Problem(
            "", "has no events: only a header", 0,
            fix="export the events again; check the export's date range and filters")])
    return frame


END_OF_DAY = pd.Timedelta(hours=23, minutes=59)
"""An event's ``end`` at this time of day or later ('23:59', '23:59:59.999', the end of day
exports write) ends on that day, as a date would: no time-of-day note, and the API takes it."""


def _time_of_day_note(df: pd.DataFrame, frame: pd.DataFrame, tz: str,
                      report: LoadReport) -> None:
    """Note the events whose ``start`` or ``end`` holds a time of day in ``tz`` (not a local
    midnight): events are whole days, so each is read as the days it falls on. A 6-hour flash
    sale written ``2024-03-14 12:00 .. 17:00`` for an hourly shop had been read as the whole
    day without a word (an independent check, 2026-12-06); the API answers such a value
    with a 400."""
    timed = np.zeros(len(frame), dtype=bool)
    for col in ("start", "end"):
        if col not in df.columns:
            continue
        cells = df[col]
        at = np.arange(len(cells))
        if not pd.api.types.is_datetime64_any_dtype(cells.dtype):
            # a time of day is written with ':' ('12:00', '+02:00'): only those cells are
            # parsed again (every cell had been, a third of a 100,000-event calendar's check)
            at = np.flatnonzero(cells.astype("string").str.contains(":", regex=False)
                                .fillna(False).to_numpy(dtype=bool))
            if not len(at):
                continue
            cells = cells.iloc[at]
        times = _parse_time(cells, col, tz, [], date_only=False)
        within = times - times.dt.normalize()
        odd = times.notna() & (within != pd.Timedelta(0))
        if col == "end":  # '23:59:59', an export's end of day, is the whole day as written
            odd &= within < END_OF_DAY
        timed[at] |= odd.to_numpy(dtype=bool)
    if not timed.any():
        return
    row = int(np.flatnonzero(timed)[0])
    n = int(timed.sum())
    shown = (f"{frame['name'].iloc[row]!r} {str(df['start'].iloc[row]).strip()} .. "
             f"{str(df['end'].iloc[row]).strip()}")
    report.note(f"{n} event{'s have' if n != 1 else ' has'} a time of day in 'start' or 'end' "
                f"(first at row {row + 1}: {shown}): events are whole days: each is read as the "
                "days it falls on, so a 6-hour sale is an event of its whole day; on hourly "
                "series the forecaster learns each kind's shape within its days from its past "
                "events (give a sale that runs at other hours than the kind's past ones a kind "
                "of its own)")


def _mixed_offsets_note(df: pd.DataFrame, tz: str, report: LoadReport,
                        cols: tuple[str, ...] = ("start", "end")) -> None:
    """Note a calendar column whose values mix plain dates and times with a UTC offset: each
    is read as its day in ``tz`` (an offset converted to it; ``_off_day_problems`` names one
    that lands off the day written). Until 2026-12-07 such a column was an error."""
    for col in cols:
        if col not in df.columns or pd.api.types.is_datetime64_any_dtype(df[col].dtype):
            continue
        text = df[col].astype("string").str.strip()
        zoned = text.str.contains(_OFFSET, na=False).to_numpy(dtype=bool)
        n, total = int(zoned.sum()), int(text.notna().sum())
        if 0 < n < total:
            row = int(np.flatnonzero(zoned)[0])
            report.note(f"column '{col}' mixes plain dates ({total - n:,} rows) and times with a "
                        f"UTC offset ({n:,} rows; first at row {row + 1}: {text.iloc[row]!r}): "
                        f"each is read as its day in the business time zone {tz}, the offsets "
                        "converted to it")


def _off_day_problems(df: pd.DataFrame, tz: str, probs: list[Problem],
                      cols: tuple[str, ...] = ("start", "end"), what: str = "the event",
                      fix: str | None = None) -> None:
    """Calendar days written as times with a UTC offset that are neither a midnight in the
    business time zone ``tz`` nor on the day written there (a Berlin midnight
    ``2024-05-15T00:00+02:00`` read in UTC is 14 May 22:00): which day is meant is not
    known, so each such column is a problem naming the rows and the fix. ``cols``, ``what``
    (is on that day) and ``fix`` (after the plain-date example) for another file's days (a spend
    file's ``date``, since 2026-12-07)."""
    for col in cols:
        if col not in df.columns or any(p.column == col for p in probs):
            continue  # a column already named (mixed offsets, unreadable dates) is told once
        raw = df[col]
        if isinstance(raw.dtype, pd.DatetimeTZDtype):
            written, moved = raw.dt.tz_localize(None), raw.dt.tz_convert(tz).dt.tz_localize(None)
        elif pd.api.types.is_datetime64_any_dtype(raw.dtype):
            continue
        else:
            text = raw.astype("string").str.strip()
            zoned = text.str.contains(_OFFSET, na=False)
            if not zoned.any():
                continue
            text = text.where(zoned)
            moved = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
            moved = moved.dt.tz_convert(tz).dt.tz_localize(None)
            written = pd.to_datetime(text.str.replace(_ZONE_END, r"\1", regex=True),
                                     format="ISO8601", errors="coerce")
        day = moved.dt.normalize()
        off = (moved.notna() & written.notna() & (moved != day)
               & (day != written.dt.normalize())).to_numpy(dtype=bool)
        if not off.any():
            continue
        shown = (raw.astype("string").str.strip() + " is "
                 + moved.dt.strftime("%Y-%m-%d %H:%M") + f" in {tz}")
        n, rows, ex = problem_rows(off, shown)
        first = pd.Timestamp(written[off].iloc[0]).strftime("%Y-%m-%d")
        probs.append(Problem(
            col, f"has times with a UTC offset that fall on another day in the business time "
                 f"zone {tz} than the day written, and not at its midnight: which day "
                 f"{what} is on is not known", n, rows, ex,
            fix=(f"write the days as plain dates (e.g. '{first}', the local day)" + (
                fix if fix is not None else
                ", or read the calendar in the time zone its times were written in, as the "
                "series (brain forecast backtest|train --tz ZONE; predict reads it in the "
                "model's zone; Python: tz=)"))))


def validate_calendar(df: pd.DataFrame, source: str = "calendar",
                      default_intensity: Mapping[str, float] | None = None, *,
                      name_intensity: Mapping[str, float] | None = None,
                      tz: str = "UTC", locales: bool = False) -> pd.DataFrame:
    """Validate a calendar frame: name, start, end (inclusive), kind, channel?, intensity?.

    A holidays file's ``locale`` / ``locale_name`` columns (Favorita's: National, Regional,
    Local and the place) are kept: without ``locales`` a note says its city and state holidays
    apply to every series and how to map them (a stores file); with it (a stores file will map
    them, ``features._stores.apply_store_locales``) each row's number in the file is kept in a
    column ``LOCALE_ROW`` for its errors. ``attrs['rows_in_file']``: the rows given, before
    the transferred holidays are left out (``_without_transferred``).

    ``tz``: the business time zone, the series' (``--tz``, default UTC). Days are local days
    in it: ``start``/``end`` times with a UTC offset are converted to it and floored to the
    day (``2024-05-14T22:00Z`` is Berlin's 15 May); one that lands neither at a local
    midnight nor on the day written (``2024-05-15T00:00+02:00`` read in UTC) is an error
    (``_off_day_problems``). Until 2026-12-06 offsets were always converted to UTC, so a
    calendar of Berlin midnights given with ``--tz Europe/Berlin`` had every event a day
    early while the series file was read on the Berlin clock.

    Events without an intensity get 1.0, or, with ``default_intensity`` (a forecaster's usual
    intensity per kind, ``training.kind_intensities``), their kind's usual one: a planned sale
    left empty is a sale like the past ones, not one at intensity 1.0 (on a calendar of 30-50%
    discounts that is a 100% discount, forecast beyond anything the history sized). Noted.
    ``name_intensity`` (the usual intensity per event name without its year,
    ``kind_intensities(model, by="name")``) comes first: a planned 'Black Friday 2025' is a
    Black Friday like the past ones, not the kind's usual sale.
    """
    planned = bool(default_intensity or name_intensity)
    report = _read_notes(df, source)
    probs: list[Problem] = []
    df = _nfc(df.reset_index(drop=True), ("name", "kind", "channel"))  # before duplicates
    # a campaign list's discount '30%' is the intensity 0.3 (a discount depth: 0.3 = 30% off)
    df = _percent_column(df, "intensity", report,
                         "intensity is a discount depth of 0..1 (0.3 = 30% off)")
    frame = _parse_columns(df, CALENDAR, source, tz, probs, lower_cols=("kind",),
                           report=report)
    _mixed_offsets_note(df, tz, report)
    _off_day_problems(df, tz, probs)
    if "channel" not in frame.columns:
        frame["channel"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame["channel"], whole = channel_text(frame["channel"])
    if whole.any():
        n, rows, ex = problem_rows(whole.to_numpy(), df["channel"].astype("string").str.strip())
        first = str(ex[0]) if ex else ""
        report.note(f"column 'channel' has whole numbers written with a decimal ({n} rows; first "
                    f"at row {rows[0]}: {first!r}), as pandas writes a store column with empty "
                    f"cells: read {first!r} as {first.split('.')[0]!r}, as a series file writes "
                    "that store's id")
    if "intensity" not in frame.columns:
        frame["intensity"] = np.nan if planned else 1.0
    back = (frame["end"] < frame["start"]).to_numpy()
    if back.any():
        n, rows, ex = problem_rows(back, frame["end"].dt.strftime("%Y-%m-%d") + " (start "
                                   + frame["start"].dt.strftime("%Y-%m-%d") + ")")
        probs.append(Problem("end", "is before start", n, rows, ex,
                             fix="swap start and end, or correct the dates"))
    neg = (frame["intensity"] < 0).to_numpy()
    if neg.any():
        n, rows, ex = problem_rows(neg, frame["intensity"])
        probs.append(Problem("intensity", "is negative", n, rows, ex,
                             fix="use 0..1 for a discount depth, or leave it empty"))
    inf = np.isinf(pd.to_numeric(frame["intensity"], errors="coerce").to_numpy(dtype=float))
    if inf.any():  # 'inf' parses as a number; a lift per unit of it means nothing
        n, rows, ex = problem_rows(inf, frame["intensity"])
        probs.append(Problem("intensity", "is infinite", n, rows, ex,
                             fix="use 0..1 for a discount depth, or leave it empty"))
    dup = _duplicate_key_problem(frame, CALENDAR.unique_key,
                                 "give repeated events distinct names or dates")
    if dup:
        probs.append(dup)
    if probs:
        raise DataContractError(source, probs)
    _time_of_day_note(df, frame, tz, report)
    if locales and locale_pair(frame) is not None:  # rows named in the stores file's errors
        frame[LOCALE_ROW] = np.arange(1, len(frame) + 1)
    frame = _without_transferred(frame, report)
    _unread_columns_note(frame, report)
    if not locales:
        place = locale_note(frame)
        if place:
            report.note(place)
    zero = (frame["intensity"] == 0).to_numpy() & planned
    if zero.any():
        # the event model reads an intensity of 0 as "not given" (1.0, as its training calendar
        # means it: a holiday has no discount depth), so a planned sale at 0 was forecast at
        # intensity 1.0, i.e. at the largest lift its kind had, without a word: read it as
        # empty, the usual intensity below, and say so in one note with what each one got
        frame["intensity"] = frame["intensity"].mask(zero)
    empty = frame["intensity"].isna()
    if empty.any():
        usual = {str(k): float(v) for k, v in (default_intensity or {}).items()}
        named = {str(k): float(v) for k, v in (name_intensity or {}).items()}
        kinds = frame["kind"].astype(str)
        base = base_names(frame["name"])
        known = base.isin(list(named)).to_numpy()
        fill = kinds.map(usual).where(kinds.isin(list(usual)), 1.0).astype(float)
        fill = base.map(named).where(known, fill).astype(float)
        frame["intensity"] = frame["intensity"].fillna(fill)
        if zero.any():
            report.note(_zero_intensity_note(frame, zero, known, kinds.isin(list(usual))))
        empty = empty & ~zero  # said once, in that note
        own = empty.to_numpy() & known
        if own.any():
            shown = [f"{b!r} {named[b]:g}" for b in pd.unique(base[own])]
            n = int(own.sum())
            report.note(f"{n} event{'s' if n != 1 else ''} without intensity get"
                        f"{'s' if n == 1 else ''} the usual intensity of "
                        f"{'their names' if n != 1 else 'its name'} in the model's history "
                        f"({', '.join(shown[:5])}{', ...' if len(shown) > 5 else ''})")
            empty = empty & ~own
        by_kind = [f"{k!r} {usual[k]:g}" for k in pd.unique(kinds[empty]) if k in usual
                   and usual[k] != 1.0]
        n = int(empty.sum())
        what = f"{n} event{'s' if n != 1 else ''} without intensity get{'s' if n == 1 else ''}"
        if not planned:  # no intensity of 0 was read as empty: n > 0
            report.note(f"{what} 1.0")
        elif by_kind:
            report.note(f"{what} {'their' if n != 1 else 'its'} kind's usual intensity in the "
                        f"model's history ({', '.join(by_kind)}; other kinds 1.0)")
    frame = frame.sort_values(["start", "name"], kind="stable").reset_index(drop=True)
    frame.attrs["rows_in_file"] = len(df)
    return _finish(frame, report)




_TRUE = frozenset({"true", "1", "1.0", "yes", "y", "t", "x"})
_FALSE = frozenset({"false", "0", "0.0", "no", "n", "f", ""})


TRANSFERRED = "transferred"
"""A calendar column of this name (any case, spaces or '_') holding yes/no marks holidays moved
off their date: Favorita's ``holidays_events.csv``, where a holiday with ``transferred`` True
was not observed on that date and a row of type ``Transfer`` is the day it was."""


def _without_transferred(frame: pd.DataFrame, report: LoadReport) -> pd.DataFrame:
    """The calendar without its rows marked yes in a ``transferred`` column (``TRANSFERRED``),
    named in a note with the row their day off moved to and how to keep them. Such a row is a
    holiday that did not take place on its date: as an event it taught the model a holiday on
    a normal day and forecast one (a grocery chain's 2017-08-10 at -82.6%, 2026-12-07). Only a
    column of yes/no values with some yes and some no is read so; another is named as not
    read (``_unread_columns_note``)."""
    col = _column(frame[[c for c in frame.columns if CALENDAR.column(str(c)) is None]],
                  (TRANSFERRED,))
    if col is None:
        return frame
    text = frame[col].astype("string").fillna("").str.strip().str.lower()
    marked = text.isin(_TRUE).to_numpy()
    if not (set(text.unique()) <= _TRUE | _FALSE and marked.any() and not marked.all()):
        return frame
    n = int(marked.sum())
    kept = frame.loc[~marked]
    moved, lost = [], []
    for name, start in zip(frame.loc[marked, "name"].astype(str), frame.loc[marked, "start"],
                           strict=True):
        near = _observed_row(kept, name, start)
        if near is not None:
            moved.append(f"{name} {start:%Y-%m-%d} -> {near[0]} {near[1]:%Y-%m-%d}")
        else:
            lost.append(f"{name} {start:%Y-%m-%d}")
    shown = moved[:3] + lost[: max(0, 3 - len(moved))]
    report.note(
        f"column '{col}' is true on {n:,} row{'s' if n != 1 else ''}: "
        f"{'they are' if n != 1 else 'it is'} left out of the events (a holiday marked "
        "transferred was moved off its date, and that date was a normal day): "
        f"{', '.join(shown)}{', ...' if n > len(shown) else ''}"
        + (f"; {len(lost)} of them name{'s' if len(lost) == 1 else ''} no row for the day "
           f"{'it was' if len(lost) == 1 else 'they were'} observed instead ({', '.join(lost[:3])}"
           f"{', ...' if len(lost) > 3 else ''}): add that day as its own row"
           if lost else "")
        + f". To keep them as events on their dates, rename the column '{col}' (it is then "
        "not read) or write false in it")
    return kept.drop(columns=[col]).reset_index(drop=True)


TRANSFER_DAYS = 31
"""Farthest a transferred holiday's own name is looked for as the day it was observed: beyond
it, a row of the same name is the holiday of another year."""


def _observed_row(kept: pd.DataFrame, name: str, start: pd.Timestamp
                  ) -> tuple[str, pd.Timestamp] | None:
    """The kept row that is the day a holiday marked transferred (``name`` on ``start``) was
    observed: a row whose name holds ``name`` within a year, of kind ``Transfer`` first, then
    within ``TRANSFER_DAYS``, then on or after ``start``, then the nearest; a row named exactly
    ``name`` more than ``TRANSFER_DAYS`` away is another year's holiday, not its day. None
    without one. Until 2026-12-07 the first such row in file order was named, often the same
    holiday a year earlier (Batalla de Pichincha 2016-05-24 -> Batalla de Pichincha 2015-05-24)."""
    names = kept["name"].astype(str)
    gap = (kept["start"] - start).dt.days
    same = names.str.strip().str.lower() == name.strip().lower()
    near = (names.str.contains(name, case=False, regex=False) & (gap.abs() <= 366)
            & ~(same & (gap.abs() > TRANSFER_DAYS))).to_numpy(dtype=bool)
    if not near.any():
        return None
    kind = kept["kind"].astype("string").fillna("").str.lower() if "kind" in kept else None
    transfer = (kind.str.contains("transfer", regex=False).to_numpy(dtype=bool)
                if kind is not None else np.zeros(len(kept), dtype=bool))
    g = gap.to_numpy()
    # a row more than ``TRANSFER_DAYS`` away is another year's (a 'Traslado X' or 'X-1' a
    # year later had been named before the one a day earlier)
    order = sorted(np.flatnonzero(near), key=lambda i: (
        not transfer[i], abs(g[i]) > TRANSFER_DAYS, g[i] < 0, abs(g[i])))
    return str(names.iloc[order[0]]), kept["start"].iloc[order[0]]


def _unread_columns_note(frame: pd.DataFrame, report: LoadReport) -> None:
    """Name the calendar's columns beyond the contract's, which nothing reads: every row is an
    event on its days whatever they say. A yes/no column's rows marked yes are named (a
    holidays file's 'transferred': a holiday not kept on that date), and the column for an
    event of one store or region is named ('channel'). Until 2026-12-07 they were dropped in
    silence, so a holidays file's transferred holidays were events on the day they were not
    taken and a city's holiday applied to every store."""
    # named by their own note (``locale_note``), or read by a stores file (``LOCALE_ROW``)
    place = (locale_columns(frame) or (locale_pair(frame) if LOCALE_ROW in frame.columns
                                       else None) or ())
    extra = [str(c) for c in frame.columns if CALENDAR.column(str(c)) is None
             and str(c) not in place and str(c) != LOCALE_ROW]
    if not extra:
        return
    shown = ", ".join(f"'{c}'" for c in extra)
    flags = []
    for c in extra:
        text = frame[c].astype("string").fillna("").str.strip().str.lower()
        values = set(text.unique())
        marked = text.isin(_TRUE).to_numpy()
        if values <= _TRUE | _FALSE and marked.any() and not marked.all():
            n, _rows, ex = problem_rows(marked, frame["name"].astype(str) + " "
                                        + frame["start"].dt.strftime("%Y-%m-%d"))
            flags.append(f"'{c}' is true on {n:,} row{'s' if n != 1 else ''} ("
                         f"{', '.join(map(str, ex[:3]))}{', ...' if n > 3 else ''}): if such a "
                         "row did not take place on its dates (moved, cancelled), remove it")
    verb = "is" if len(extra) == 1 else "are"
    report.note(f"column{'s' if len(extra) != 1 else ''} {shown} {verb} not read: every row is "
                "an event on every day from start to end, on every series or on those its "
                "'channel' names (write an event of one store or region's series there)"
                + ("; " + "; ".join(flags) if flags else ""))


def _zero_intensity_note(frame: pd.DataFrame, zero: np.ndarray, by_name: np.ndarray,
                         by_kind: pd.Series) -> str:
    """One note for planned events given intensity 0: read as not given, and the intensity each
    got instead (its name's usual, its kind's usual, or 1.0). They had two notes each, one
    saying 0 means not given and one on the usual intensity they got."""
    rows = np.flatnonzero(zero)
    n = len(rows)
    shown = []
    for r in rows[:3]:
        why = ("its name's usual" if by_name[r] else
               "its kind's usual" if bool(by_kind.iloc[r]) else "no usual one known")
        shown.append(f"{str(frame['name'].iloc[r])!r} {float(frame['intensity'].iloc[r]):g} "
                     f"({why})")
    it = "they are" if n != 1 else "it is"
    return (f"{n} event{'s' if n != 1 else ''} with intensity 0: 0 means 'not given' to the "
            f"model, as in its history (a holiday has no discount depth), so {it} read as "
            f"empty and given the usual intensity in the model's history: "
            f"{', '.join(shown)}{', ...' if n > 3 else ''}; give a positive intensity for a "
            "smaller event")


def load_calendar(path: PathLike,
                  default_intensity: Mapping[str, float] | None = None, *,
                  tz: str = "UTC", locales: bool = False) -> pd.DataFrame:
    """Load a promotion/holiday/launch calendar under the calendar contract (events without
    an intensity, times with a UTC offset read in the business time zone ``tz``: see
    ``validate_calendar``)."""
    return validate_calendar(read_table(path), Path(path).name, default_intensity, tz=tz,
                             locales=locales)


def validate_spend(df: pd.DataFrame, source: str = "spend") -> pd.DataFrame:
    """Validate a channel spend frame: date, channel, spend (>= 0), unique per (date, channel)."""
    report = _read_notes(df, source)
    probs: list[Problem] = []
    df = _money_column(df.reset_index(drop=True), "spend", report)
    frame = _parse_columns(df, SPEND, source, "UTC", probs, report=report)
    # days written as times with an offset are read in UTC: a mix with plain dates is named,
    # and one that lands off the day written is an error (until 2026-12-07 such a day moved to
    # the day before in silence, e.g. '2025-11-24T00:00:00+01:00' spent on 23 November)
    _mixed_offsets_note(df, "UTC", report, ("date",))
    _off_day_problems(df, "UTC", probs, ("date",), "the spend",
                      ": a spend file's days are read in UTC, without a time zone")
    neg = (frame["spend"] < 0).to_numpy()
    if neg.any():
        n, rows, ex = problem_rows(neg, frame["spend"])
        probs.append(Problem("spend", "is negative", n, rows, ex,
                             fix="record refunds from ad platforms as a lower spend"))
    dup = _duplicate_key_problem(frame, SPEND.unique_key,
                                 "sum the rows of each (date, channel) into one")
    if dup:
        probs.append(_sub_daily_problem(df, frame) or dup)
    if probs:
        raise DataContractError(source, probs)
    return _finish(frame.sort_values(["date", "channel"]).reset_index(drop=True), report)


def _sub_daily_problem(raw: pd.DataFrame, frame: pd.DataFrame) -> Problem | None:
    """Rows of one (day, channel) at different times of day (an hourly export), else None.

    Spend is per day. Such rows had been told they were copies to drop (equal hourly amounts
    repeat every column once the times are read as days), which would keep one hour of each
    day. They are not summed here: an export that writes the day's budget on each hour's row
    would count it 24 times, and only the user knows which one the file is."""
    times = _parse_time(raw["date"], "date", "UTC", [], date_only=False)
    key = pd.DataFrame({"day": frame["date"], "channel": frame["channel"], "t": times})
    several = key.groupby(["day", "channel"], observed=True, dropna=True)["t"].transform(
        "nunique") > 1
    mask = several.to_numpy(dtype=bool)
    if not mask.any():
        return None
    n, rows, ex = problem_rows(mask, raw["date"])
    return Problem("date", "holds several times of day for one day and channel (hourly rows?); "
                   "spend is per day, one row per date and channel", n, rows, ex,
                   fix="sum each day's rows of a channel into one row (pandas: frame.groupby("
                       "[pd.to_datetime(frame['date']).dt.date, 'channel'], as_index=False)"
                       "['spend'].sum()); if each row repeats the day's amount instead, keep "
                       "one row per day")


def load_spend(path: PathLike) -> pd.DataFrame:
    """Load channel spend under the spend contract."""
    return validate_spend(read_table(path), Path(path).name)
