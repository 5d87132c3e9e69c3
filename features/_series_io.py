"""Loading long-format series files (``series_id``, ``ds``, ``y`` plus known-in-advance columns).

Also the series-specific checks: a wide file (one column per series), daily rows off midnight,
mixed UTC offsets, and the repeated hour of a clock change in local time (summed into one
hour, noted).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ._contracts import (
    SERIES,
    DataContractError,
    LoadReport,
    Problem,
    problem_rows,
)
from ._parse import (
    _duplicate_key_problem,
    _finish,
    _money_column,
    _nfc,
    _numbers,
    _parse_columns,
    _parse_float,
)
from ._read import _read_notes, _rename_hint, read_table

__all__ = ["clock_change_hours", "load_series", "validate_series"]

# an offset follows a time of day: the "-2015" of 31-07-2015 is the year, not an offset
_OFFSET = re.compile(r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s?(?:Z|[+-]\d{2}:?\d{2})$")
PathLike = str | Path


def _names_series(df: pd.DataFrame) -> bool:
    """A file without series_id whose dates repeat and whose column named like a series
    ('Store', 'channel') tells the repeated rows apart: several series, not one 'total' with
    duplicate dates (whose fix, 'sum or average them', would merge the stores)."""
    other = _rename_hint(df, "series_id", {"ds", "y"})
    if other is None or not df["ds"].duplicated().any():
        return False
    return int(df.duplicated([other, "ds"]).sum()) < int(df["ds"].duplicated().sum())


def validate_series(df: pd.DataFrame, source: str = "series", *, tz: str = "UTC") -> pd.DataFrame:
    """Validate a long-format series frame: series_id, ds, y plus numeric known-in-advance columns.

    A file without ``series_id`` is taken as one series named 'total' (noted).
    """
    report = _read_notes(df, source)
    df = df.reset_index(drop=True)
    unnamed: Problem | None = None
    implicit = "series_id" not in df.columns
    if implicit and {"ds", "y"} <= set(df.columns) and not _names_series(df):
        df = df.assign(series_id="total")
        report.note("no series_id column: the file is one series named 'total'")
    elif "series_id" not in df.columns and _rename_hint(df, "series_id", set()) is None:
        # series_id is optional: only the columns really missing are named (ds, y), and a
        # wide file (one column per series) is told how to reshape it
        wide = _wide_problem(df)
        if wide is not None:
            raise DataContractError(source, [wide])
        date = "ds" if "ds" in df.columns else _rename_hint(df, "ds", set())
        if date is not None and df[date].duplicated().any() and not _clock_repeats(df[date]):
            # its dates repeat: several series, and none is named
            n = int(df[date].duplicated(keep=False).sum())
            unnamed = Problem(
                "series_id", f"is required: the dates in '{date}' repeat ({n:,} rows share a "
                "date), so the file holds several series and nothing names them", 0,
                fix=_name_series_fix(df, date))
            named = _series_column(df, date)
        else:
            named = None
        df = df.assign(series_id="total")
        df.attrs["added_columns"] = ("series_id",)
        if named is not None:  # in the line that renames every column at once too
            df.attrs["series_named_by"] = named
    probs: list[Problem] = []
    df = _nfc(df, ("series_id",))  # before the duplicate check: one name, however typed
    df = _money_column(df, "y", report)  # '1,139.00' from a spreadsheet export, with a note
    offsets = "ds" in df.columns and _has_offsets(df["ds"])
    try:
        frame = _parse_columns(df, SERIES, source, tz, probs, report=report)
    except DataContractError as exc:  # one error with every problem
        raise DataContractError(source, [*([unnamed] if unnamed else []), *exc.problems]
                                ) from None
    if unnamed is not None:
        raise DataContractError(source, [unnamed, *probs])
    if offsets:
        bad = _daily_rows_off_midnight(frame)
        if not bad.any() and tz == "UTC":
            note = _switching_offsets_note(df["ds"], frame["ds"])
            if note:
                report.note(note)
        if bad.any():
            n, rows, ex = problem_rows(bad, df["ds"])
            at = sorted({t.strftime("%H:%M") for t in frame.loc[bad, "ds"]})
            probs.append(Problem(
                "ds", f"has daily rows with UTC offsets that fall at {' / '.join(at[:3])} in "
                f"the business time zone {tz}, not at midnight, so a calendar day would not line "
                "up with them", n, rows, ex,
                fix="pass --tz with the zone the file was written in (e.g. --tz Europe/Berlin) "
                    "so each row reads as its local date, or write plain dates"))
    for col in [c for c in frame.columns if SERIES.column(str(c)) is None]:
        frame[col] = _bool_flag(frame[col], str(col), report)
        parsed = _parse_float(
            frame[col], str(col), probs,
            fix=(f"use plain numbers with '.' as decimal point for a known-in-advance column (a "
                 f"flag, a price); if '{col}' is not known in advance for every forecast period "
                 "(a store name, a label), drop the column from the file; holidays and "
                 "promotions written as labels belong in the --calendar file as events (name, "
                 "start, end, kind, and channel for one series' own)"))
        miss = parsed.isna() & frame[col].isna()
        if miss.any():
            n, rows, _ = problem_rows(miss)
            probs.append(Problem(str(col), "has missing values in a known-in-advance column", n,
                                 rows, fix="fill it for every row (0 when the flag is off)"))
        frame[col] = parsed
    # rows whose timestamp did not parse are reported above; as duplicates of each other
    # (every NaT the same key) they would only add a misleading second error
    repeated = _repeated_hour(frame, tz) if tz != "UTC" else np.zeros(len(frame), dtype=bool)
    ds = frame["ds"]
    timed = bool((ds.notna() & (ds != ds.dt.normalize())).any())
    valid = frame["ds"].notna().to_numpy() & ~repeated
    clock = _clock_zones(frame, valid) if timed and tz == "UTC" else []
    dup = _duplicate_key_problem(
        frame, SERIES.unique_key,
        _overlap_fix(frame, valid) or (
            f"they are the hour repeated when clocks go back in {', '.join(clock)}: the times "
            "are naive local times, so pass --tz with the zone they were written in (e.g. --tz "
            f"{clock[0]}): the two are then averaged" if clock else
            "keep one row per series and period (sum or average them)" + (
                "; the file has no series_id column, so every row is one series 'total': if "
                "it holds several series, add a series_id column naming each" if implicit
                else "") + (
                "; if they are the hour repeated when clocks go back, pass --tz with the zone "
                "(e.g. --tz Europe/Berlin): the two are then averaged" if timed and tz == "UTC"
                else "")),
        valid=valid)
    if dup:
        probs.append(dup)
    if not probs:
        frame = _merge_repeated_hour(frame, repeated, tz, report)
    if probs:
        raise DataContractError(source, probs)
    frame["series_id"] = frame["series_id"].astype(str)
    # (series_id, ds) is unique here, so the row order carries nothing: sort without a note
    frame = frame.sort_values(["series_id", "ds"], kind="stable")
    return _finish(frame.reset_index(drop=True), report)


def _wide_problem(df: pd.DataFrame) -> Problem | None:
    """The problem of a wide series file (a date column and one column of numbers per series,
    no ``y``), with the reshape into ``series_id, ds, y``; None for any other file."""
    if "y" in df.columns or _rename_hint(df, "y", set()) is not None:
        return None
    date = "ds" if "ds" in df.columns else _rename_hint(df, "ds", set())
    if date is None:
        return None
    # a wide file has each date once and only number columns beside it; a long file without
    # a recognised id (Favorita: id, date, store_nbr, family, sales) repeats its dates or
    # holds text, and melting it would scramble it (review)
    if df[date].duplicated().any():
        return None
    numbers = []
    for col in df.columns:
        if str(col) == date:
            continue
        sample = df[col].dropna().iloc[:200]
        if len(sample) and (pd.api.types.is_numeric_dtype(sample.dtype) or float(
                _numbers(sample.astype("string").str.strip())[0].notna().mean()) >= 0.9):
            numbers.append(str(col))
        elif len(sample):
            return None  # a text column: not one series per column
    if len(numbers) < 2:
        return None
    shown = ", ".join(numbers[:5]) + (f", ... ({len(numbers)} columns)" if len(numbers) > 5
                                      else "")
    rename = f".rename(columns={{{date!r}: 'ds'}})" if date != "ds" else ""
    return Problem("y", f"is required but missing: the file looks wide, one column of numbers "
                        f"per series ({shown}) beside the dates in '{date}'", 0,
                   fix=("reshape it to the long format series_id, ds, y, e.g. in Python: "
                        f"frame = frame.melt(id_vars=[{date!r}], var_name='series_id', "
                        f"value_name='y'){rename} (a column that is not a series, such as a "
                        "promo flag for all of them, goes into id_vars too)"))


def _switching_offsets_note(raw: pd.Series, ds: pd.Series) -> str:
    """A note for timed (hourly) rows whose UTC offsets switch, as in a zone with daylight
    saving, read in UTC: the daily shape moves by an hour twice a year. Empty otherwise."""
    if not bool((ds.notna() & (ds != ds.dt.normalize())).any()):
        return ""  # daily rows at midnight: no daily shape to move
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        zone = str(raw.dt.tz)
        if zone in ("UTC", "utc") or not zone or zone.startswith(("UTC", "+", "-")):
            return ""
        return (f"column 'ds' is in the time zone {zone} (a zone may switch offsets for "
                "daylight saving): it is read in UTC, so the daily shape moves by an hour twice "
                f"a year; pass --tz {zone} to read it in local time")
    found = raw.astype("string").str.strip().str.extract(
        r"(Z|[+-]\d{2}:?\d{2})$", expand=False).dropna()
    offsets = sorted(set(found.str.replace("Z", "+00:00").str.replace(
        r"^([+-]\d{2})(\d{2})$", r"\1:\2", regex=True)))
    if len(offsets) < 2:
        return ""
    return (f"column 'ds' has UTC offsets {' and '.join(offsets[:3])}"
            f"{' ...' if len(offsets) > 3 else ''}, switching like a zone with daylight saving: "
            "it is read in UTC, so the daily shape moves by an hour twice a year; pass --tz "
            "with that zone (e.g. --tz Europe/Berlin) to read it in local time")


def _has_offsets(s: pd.Series) -> bool:
    """Whether a time column carries UTC offsets (text like +02:00 or Z, or a zoned dtype)."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return True
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return False
    return bool(s.astype("string").str.strip().str.contains(_OFFSET, na=False).any())


def _daily_rows_off_midnight(frame: pd.DataFrame) -> np.ndarray:
    """Rows of daily series (no two rows under 20 hours apart) whose time is not midnight."""
    ds = frame["ds"]
    ok = ds.notna()
    if not ok.any():
        return np.zeros(len(frame), dtype=bool)
    gaps = ds[ok].groupby(frame.loc[ok, "series_id"].astype(str)).transform(
        lambda t: t.sort_values().diff().min())
    daily = pd.Series(False, index=frame.index)
    daily[ok] = gaps.fillna(pd.Timedelta(days=1)) >= pd.Timedelta(hours=20)
    return (daily & ok & (ds != ds.dt.normalize())).to_numpy()


def _repeated_hour(frame: pd.DataFrame, tz: str) -> np.ndarray:
    """Rows sharing their series and local time inside the hour repeated when clocks go back
    in ``tz`` (two real hours under one wall-clock label)."""
    ds = frame["ds"]
    dup = (frame.duplicated(["series_id", "ds"], keep=False) & ds.notna()).to_numpy()
    out = np.zeros(len(frame), dtype=bool)
    if not dup.any():
        return out
    changes = clock_change_hours(pd.DatetimeIndex(ds[dup]), tz)
    if changes is not None:
        out[np.flatnonzero(dup)] = changes[0]
    return out


CLOCK_ZONES = ("Europe/London", "Europe/Berlin", "Europe/Helsinki", "America/New_York",
               "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Sao_Paulo",
               "America/Santiago", "Australia/Sydney", "Pacific/Auckland")
"""Zones tried when naming the clock change that repeated hourly times without --tz fit."""


def _clock_repeats(raw: pd.Series) -> bool:
    """Whether the repeated values of a date column without series_id are a one-series
    file's clock-change hours, not several series: each repeated value is a time of day
    written exactly twice, and there are at most about two a year. A utility's hourly export
    in naive local time (PJM's) had been told it holds several series and to add a series_id
    joining 'store' and 'family'."""
    dup = raw[raw.duplicated(keep=False)]
    if dup.empty or len(raw) < 48 or dup.nunique() > max(10, len(raw) // 1000) or bool(
            (dup.value_counts() != 2).any()):
        return False  # (a file of several series repeats most dates: no parsing needed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        times = pd.to_datetime(raw.astype("string"), errors="coerce")
    rep = times[dup.index]
    if rep.isna().any() or bool((rep == rep.dt.normalize()).any()):
        return False
    span_days = (times.max() - times.min()).days
    return rep.nunique() <= span_days // 150 + 1


def _clock_zones(frame: pd.DataFrame, valid: np.ndarray) -> list[str]:
    """For duplicate hourly keys read in UTC: the zones of ``CLOCK_ZONES`` in whose autumn
    clock change every duplicated time falls (empty when none does)."""
    dup = (frame.duplicated(["series_id", "ds"], keep=False).to_numpy() & valid)
    times = pd.DatetimeIndex(frame.loc[dup, "ds"].drop_duplicates())
    zones = []
    for zone in CLOCK_ZONES if len(times) else ():
        hours = clock_change_hours(times, zone)
        if hours is not None and bool(hours[0].all()):
            zones.append(zone)
    return zones


def clock_change_hours(ds: pd.DatetimeIndex, tz: str) -> tuple[np.ndarray, np.ndarray] | None:
    """For local times ``ds`` in ``tz``: which fall in the hour repeated when clocks go back,
    and which in the hour skipped when they go forward; None for a zone pandas does not know
    (reported where the times are parsed)."""
    try:
        either = np.asarray(ds.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").isna())
        repeated = np.asarray(ds.tz_localize(tz, ambiguous="NaT",
                                             nonexistent="shift_forward").isna())
    except (TypeError, ValueError):
        return None
    return repeated, either & ~repeated


def _merge_repeated_hour(frame: pd.DataFrame, repeated: np.ndarray, tz: str,
                         report: LoadReport) -> pd.DataFrame:
    """``_repeated_hour`` rows of one series averaged into one, with a note."""
    if not repeated.any():
        return frame
    key = ["series_id", "ds"]
    rows = frame[repeated]
    values = [c for c in rows.columns if c not in key]
    merged = rows.groupby(key, sort=False, as_index=False)[values].mean()
    hours = sorted({t.strftime("%Y-%m-%d %H:%M") for t in rows["ds"]})
    report.note(f"{int(repeated.sum())} rows fall in the hour repeated when clocks go back in "
                f"{tz} ({', '.join(hours[:3])}{' ...' if len(hours) > 3 else ''}): rows of one "
                "series at the same local time are averaged into one (the series is read in "
                "local time; the hour skipped in spring is left as a gap)")
    return pd.concat([frame[~repeated], merged], ignore_index=True)


def _bool_flag(col: pd.Series, name: str, report: LoadReport) -> pd.Series:
    """A known-in-advance column written as ``True``/``False`` (pandas, Excel, a Parquet bool:
    Walmart's ``IsHoliday``) as 1.0/0.0, with a note; any other column as it is."""
    if pd.api.types.is_bool_dtype(col):
        report.note(f"column '{name}' holds True/False: read as 1/0")
        return col.astype(float)
    if col.dtype != object and not pd.api.types.is_string_dtype(col):
        return col
    text = col.dropna().astype(str).str.strip().str.lower()
    if text.empty or not text.isin(["true", "false"]).all():
        return col
    report.note(f"column '{name}' holds True/False: read as 1/0")
    return col.astype("string").str.strip().str.lower().map({"true": 1.0, "false": 0.0})


def _overlap_fix(frame: pd.DataFrame, valid: np.ndarray) -> str | None:
    """The fix for repeated (series_id, ds) keys that are two downloads stacked, else None.

    They are when the repeated keys fill every period of one span of three or more, two rows
    each, in half the series or more: a second export that starts before the first one ends
    (an analytics tool's downloads of consecutive date ranges). Summing them, the general
    fix, counts those periods twice."""
    if "series_id" not in frame.columns or not valid.any():
        return None
    rows = frame.loc[valid, ["series_id", "ds"]]
    counts = rows.groupby(["series_id", "ds"], sort=False).size()
    twice = counts[counts > 1]
    if twice.empty or (twice != 2).any():
        return None
    days = pd.DatetimeIndex(sorted(set(twice.index.get_level_values("ds"))))
    step = days.to_series().diff().dropna()
    if len(days) < 3 or step.nunique() != 1:  # two repeated days could be anything
        return None
    hit = twice.index.get_level_values("series_id").unique()
    n_series = rows["series_id"].nunique()
    if 2 * len(hit) < n_series:
        return None
    # every repeated series repeats every period of the span
    if len(twice) != len(hit) * len(days):
        return None
    daily = step.iloc[0] == pd.Timedelta(days=1)
    fmt = "%Y-%m-%d" if daily else "%Y-%m-%d %H:%M"
    unit = "days" if daily else "periods"
    return (f"the repeated keys fill every {'day' if daily else 'period'} of "
            f"{days[0]:{fmt}} .. {days[-1]:{fmt}} ({len(days)} {unit}) in {len(hit)} of the "
            f"{n_series} series, two rows each: two exports that overlap? Keep one export's rows "
            "for those periods (the later one: analytics tools revise recent days), e.g. in "
            "Python: pd.concat([old[old['ds'] < new['ds'].min()], new]); do not sum them: "
            "that counts those periods twice")


def _text_columns(df: pd.DataFrame, date: str) -> list[str]:
    """The columns other than ``date`` that are mostly not numbers (a reader may hand every
    column over as text)."""
    return [str(c) for c in df.columns if str(c) != date
            and not pd.api.types.is_datetime64_any_dtype(df[c].dtype)
            and float(pd.to_numeric(df[c], errors="coerce").notna().mean()) < 0.5]


def _series_column(df: pd.DataFrame, date: str) -> str | None:
    """The one text column that no two rows of a date share (``_name_series_fix``'s rename),
    else None."""
    alone = [c for c in _text_columns(df, date) if not df[[c, date]].duplicated().any()]
    return alone[0] if len(alone) == 1 else None


def _name_series_fix(df: pd.DataFrame, date: str) -> str:
    """How to name the series of a file whose dates repeat and that has no series_id: its one
    text column that no two rows of a date share ('Session default channel group' of an
    analytics export), or its text columns that do so together, else a general example. The
    example had named 'store' and 'family' columns the file did not have."""
    # text: mostly not numbers (a reader may hand every column over as text)
    text = _text_columns(df, date)
    cols = [str(c) for c in df.columns]
    alone = [c for c in text if not df[[c, date]].duplicated().any()]
    if len(alone) == 1:
        return (f"column '{alone[0]}' names one series per date: rename it to series_id, e.g. "
                f"in Python: frame = frame.rename(columns={{'{alone[0]}': 'series_id'}}); the "
                f"file has columns {cols}")
    if len(alone) > 1:
        shown = ", ".join(f"'{c}'" for c in alone)
        return (f"columns {shown} each name one series per date: rename the one that names "
                f"the series to series_id, e.g. in Python: frame = frame.rename(columns="
                f"{{'{alone[0]}': 'series_id'}}); the file has columns {cols}")
    if len(text) > 1 and not alone and not df[[*text, date]].duplicated().any():
        return ("add a series_id column joining the columns that tell the series apart, e.g. "
                f"in Python: frame['series_id'] = frame[{text!r}].astype(str).agg(' '.join, "
                f"axis=1); the file has columns {cols}")
    return ("add a series_id column naming each series, e.g. in Python joining the columns "
            "that tell them apart: frame['series_id'] = frame[['store', "
            "'family']].astype(str).agg(' '.join, axis=1); the file has columns "
            f"{cols}")


def load_series(path: PathLike, *, tz: str = "UTC") -> pd.DataFrame:
    """Load a traffic series file under the series contract."""
    return validate_series(read_table(path), Path(path).name, tz=tz)
