"""Loading user files (CSV or Parquet) under the data contracts in ``_contracts``.

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

import csv
import gzip
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ._calendar import base_names
from ._contracts import (
    CALENDAR,
    EVENTS,
    KNOWN_EVENT_TYPES,
    SERIES,
    SPEND,
    Column,
    Contract,
    DataContractError,
    LoadReport,
    Problem,
    problem_rows,
)
from ._times import _FAR_FIX, _FAR_RULE, _far, _time_problems, _to_datetime

__all__ = ["load_calendar", "load_events", "load_series", "load_spend", "read_table",
           "validate_calendar", "validate_events", "validate_series", "validate_spend"]

_log = logging.getLogger("features.io")
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
PathLike = str | Path


def read_table(path: PathLike) -> pd.DataFrame:
    """Read a CSV (optionally compressed) or Parquet file; unreadable files are contract errors."""
    p = Path(path)
    name = p.name
    if not p.exists():
        raise DataContractError(name, [Problem("", f"does not exist (looked at {p.resolve()})", 0,
                                               fix="check the path")])
    suffixes = "".join(p.suffixes[-2:]).lower()
    used = ","
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(p)
            frame.attrs["source"] = name
            return frame
        if ".csv" in suffixes or ".txt" in suffixes or ".tsv" in suffixes:
            sep = "\t" if ".tsv" in suffixes else ","
            header = [str(c) for c in pd.read_csv(p, sep=sep, dtype=str, nrows=0).columns]
            other = _other_separator(header, sep)
            used = other or sep
            frame = pd.read_csv(p, sep=used, dtype=str, keep_default_na=False,
                                na_values=[""])
            frame.attrs["source"] = name
            if other:
                frame.attrs["separator"] = other
                shown = {";": "';'", "\t": "tabs"}[other]
                head = header[0] if len(header[0]) <= 40 else header[0][:37] + "..."
                note = (f"{name}: the file is separated by {shown}, not {_SEP_NAMES[sep]} (its "
                        f"header read as one column {head!r}, as German and Excel exports "
                        f"write it): read with {shown} ({len(frame.columns)} columns)")
                _log.warning(note)
                frame.attrs["read_notes"] = [note]
                frame.attrs["load_notes"] = [note]
            return frame
    except UnicodeDecodeError as exc:  # Excel's 'CSV (Comma delimited)' writes Windows-1252
        raise DataContractError(name, [_encoding_problem(p)]) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataContractError(name, [Problem("", "is empty: not even a header row", 0,
                                               fix="export it again with its header and rows")]
                                ) from exc
    except Exception as exc:  # parser errors come in many types; report them all the same way
        wide = _too_many_fields(p, used) if isinstance(exc, pd.errors.ParserError) else None
        # pandas may meet the extra field before a byte that is not UTF-8 further down: both
        coding = _encoding_problem(p) if wide is not None else None
        raise DataContractError(name, [wide, *([coding] if coding and coding.n_rows else [])]
                                if wide is not None else [Problem(
            "", f"could not be read: {str(exc).strip()}", 0,
            fix="save it as UTF-8 CSV or Parquet")]) from exc
    fix = "use .csv, .csv.gz, .tsv or .parquet"
    if p.suffix.lower() in (".xlsx", ".xls", ".xlsm", ".ods"):
        fix = ("save the sheet as CSV (Excel: Save As > 'CSV UTF-8') or Parquet, e.g. in Python: "
               f"pd.read_excel({name!r}).to_csv('{p.stem}.csv', index=False)")
    raise DataContractError(name, [Problem("", f"has unsupported extension '{p.suffix}'", 0,
                                           fix=fix)])


def _too_many_fields(p: Path, sep: str) -> Problem | None:
    """The rows holding more fields than the header (a ',' inside an unquoted value such as
    1,250.00): pandas' 'Expected 5 fields in line 3, saw 6' named one line and told to save the
    file as UTF-8 CSV, which it was."""
    opener = gzip.open if p.suffix.lower() == ".gz" else open
    # bytes that are not UTF-8 are replaced here (they are reported on their own): this
    # counts fields only
    with opener(p, "rt", encoding="utf-8-sig", errors="replace", newline="") as fh:
        records = csv.reader(fh, delimiter=sep)
        header = next(records, None)
        if not header:
            return None
        bad: list[tuple[int, str]] = []
        n = 0
        for i, rec in enumerate(records, start=1):
            if len(rec) > len(header):
                n += 1
                if len(bad) < 3:
                    text = sep.join(rec)
                    bad.append((i, text if len(text) <= 60 else text[:57] + "..."))
    if not n:
        return None
    shown = {",": "','", ";": "';'", "\t": "a tab"}.get(sep, repr(sep))
    return Problem("", f"has rows with more fields than the {len(header)} columns of its header "
                   f"(a {shown} inside a value that is not in quotes?)", n,
                   tuple(i for i, _ in bad), tuple(t for _, t in bad),
                   fix=f"put values that hold {shown} in double quotes (\"1,250.00\"), or write "
                       "numbers without thousands separators")


def _encoding_problem(p: Path) -> Problem:
    """The rows of a CSV that are not UTF-8 (the error had said 'position 10' of a chunk), as
    they read in Windows-1252, the encoding Excel's 'CSV (Comma delimited)' writes."""
    opener = gzip.open if p.suffix.lower() == ".gz" else open
    bad: list[tuple[int, str]] = []
    n = 0
    with opener(p, "rb") as fh:
        for i, raw in enumerate(fh):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                n += 1
                if len(bad) < 3:
                    text = raw.decode("cp1252", errors="replace").rstrip("\r\n")
                    bad.append((i, text if len(text) <= 60 else text[:57] + "..."))
    rows = tuple(i for i, _ in bad)  # line 1 is the header: line i + 1 is data row i
    return Problem("", "is not UTF-8 text (shown as Windows-1252, which Excel's 'CSV (Comma "
                   "delimited)' writes, would read it)", n, rows, tuple(t for _, t in bad),
                   fix="save it as 'CSV UTF-8' (Excel: Save As) or Parquet, or convert it, e.g. "
                       f"in Python: pd.read_csv({p.name!r}, encoding='cp1252', dtype=str)"
                       ".to_csv('utf8.csv', index=False)")


_SEP_NAMES = {",": "commas", "\t": "tabs", ";": "';'"}


def _other_separator(header: list[str], sep: str) -> str | None:
    """The separator a CSV really uses when its header read as one column holding ';' or a tab
    (a German or Excel export: 'series_id;ds;y'), else None."""
    if len(header) != 1:
        return None
    for other in (";", "\t"):
        if other != sep and other in header[0]:
            return other
    return None


def _read_notes(df: pd.DataFrame, source: str) -> LoadReport:
    """A load report for ``df``, starting with the notes ``read_table`` made reading it."""
    report = LoadReport(source, rows_read=len(df))
    report.notes.extend(df.attrs.get("read_notes", []))
    return report


_SYNONYMS: dict[str, tuple[str, ...]] = {
    "user_id": ("customerid", "customer", "userid", "user", "clientid", "client", "memberid",
                "member", "visitorid", "accountid", "householdkey", "cardid", "shopperid"),
    "ts": ("timestamp", "time", "eventtime", "datetime", "date", "eventdate", "createdat",
           "occurredat", "eventtimestamp", "invoicedate", "orderdate", "orderdatetime",
           "ordertime", "purchasedate", "transactiondate", "transactiontime", "saledate",
           "invoicetime", "createddate", "createdtime"),
    "event_type": ("eventtype", "type", "event", "action", "eventname", "activity"),
    "revenue": ("amount", "value", "sales", "ordervalue", "revenueamount"),
    "ds": ("date", "day", "timestamp", "period", "datetime"),
    "y": ("value", "visits", "sessions", "count", "traffic", "sales", "pageviews", "views",
          "demand", "load", "orders", "units", "quantity"),
    "series_id": ("series", "seriesname", "store", "channel"),
    "start": ("date", "startdate", "day", "from", "begin", "begindate", "holidaydate",
              "eventdate"),
    "end": ("enddate", "to", "until", "finish"),
    "name": ("holiday", "holidayname", "event", "eventname", "title", "description"),
    "kind": ("type", "eventtype", "category", "holidaytype"),
}
"""Column names a required column often has in exports (compared without case, spaces,
underscores or hyphens): the error suggests the rename."""


def _squash(name: object) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def _looks_like_event_types(values: pd.Series) -> bool:
    """Most of a text column's (sampled) values are known event types ('visit', 'purchase')."""
    sample = values.dropna().iloc[:5000].astype(str).str.strip().str.lower()
    return bool(len(sample)) and float(sample.isin(KNOWN_EVENT_TYPES).mean()) >= 0.9


def _rename_hint(df: pd.DataFrame, col: str, taken: set[str]) -> str | None:
    """The file's column that is most likely ``col`` under another name, else None."""
    by_squash: dict[str, str] = {}
    for c in map(str, df.columns):
        by_squash.setdefault(_squash(c), c)
    if _squash(col) in by_squash and by_squash[_squash(col)] not in taken:
        return by_squash[_squash(col)]
    if col == "event_type":  # judged by its values: the column holding 'visit', 'purchase'
        for c in df.columns:
            if str(c) not in taken and _looks_like_event_types(df[c]):
                return str(c)
    for alias in _SYNONYMS.get(col, ()):
        if alias in by_squash and by_squash[alias] not in taken:
            return by_squash[alias]
    return None


def _series_key_hint(df: pd.DataFrame, other: str, hint: str) -> str:
    """``hint`` (rename ``other`` to series_id), or, when ``other`` and the date repeat
    together, how to join it with the column that tells its series apart: Walmart's 'Store'
    names 45 stores of ~80 departments each, and renaming it led straight into a duplicate
    (series_id, ds) error."""
    date = "ds" if "ds" in df.columns else _rename_hint(df, "ds", {other})
    if date is None or not df[[other, date]].duplicated().any():
        return hint
    y = "y" if "y" in df.columns else _rename_hint(df, "y", {other, date})
    for c in map(str, df.columns):
        if c in (other, date, y) or pd.api.types.is_float_dtype(df[c].dtype):
            continue
        if not df[[other, c, date]].duplicated().any():
            return (f"'{other}' alone does not name a series (its rows repeat on one date); "
                    f"name each series by '{other}' and '{c}' together, e.g. in Python: "
                    f"frame['series_id'] = frame['{other}'].astype(str) + '-' + "
                    f"frame['{c}'].astype(str)")
    return (f"'{other}' alone does not name a series (its rows repeat on one date): add a "
            "series_id column joining the columns that tell the series apart")


def _check_columns(df: pd.DataFrame, contract: Contract, source: str) -> None:
    missing = [c for c in contract.required if c not in df.columns]
    if not missing:
        return
    taken = {str(c) for c in df.columns if c in contract.required}
    probs = []
    renames = {}
    for col in missing:
        other = _rename_hint(df, col, taken)
        if other is not None:
            renames[other] = col
            taken.add(other)
        # (a series file without series_id got one named 'total' here: not the user's)
        shown = [str(c) for c in df.columns if c not in df.attrs.get("added_columns", ())]
        hint = f"rename column '{other}' to '{col}'" if other is not None else (
            f"add it; the file has columns {shown}")
        if contract.name == "series" and col == "series_id" and other is not None:
            hint = _series_key_hint(df, other, hint)
            if not hint.startswith("rename"):  # not a rename: nor in the rename-all line
                renames.pop(other, None)
        if contract.name == "series" and col == "y" and other is None:
            hint += ("; y is the number to forecast (visits, orders, sales), one row per "
                     "series and period")
        if contract.name == "calendar" and col == "end" and other is None:
            hint = ("add it, and set end = start for one-day events (e.g. in Python: "
                    "frame['end'] = frame['start'])")
        probs.append(Problem(col, "is required but missing", 0, fix=hint))
    if len(renames) > 1:
        probs.append(Problem("", "uses other names for the required columns", 0, fix=(
            "rename them all at once, e.g. in Python: frame.rename(columns="
            f"{renames!r})")))
    if (contract.name == "events" and "event_type" in missing
            and "event_type" not in renames.values()):
        probs.append(Problem("", "has no 'event_type' column, so it is not an event log", 0, fix=(
            "if it is an order-line export (one row per order line: customer, time, amount or "
            "quantity and price), 'brain data import-orders FILE --out events.csv "
            "--customer-col ... --time-col ...' maps its columns (Python: "
            "features.orders_to_events)")))
    raise DataContractError(source, probs)


_DATE_FORMATS = ("%Y/%m/%d", "%Y%m%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y",
                 "%m-%d-%Y", "%d/%m/%y", "%m/%d/%y",
                 # month names, any case: Oracle's default DD-MON-YY (01-JAN-23), 01 Jan 2023,
                 # Google Analytics' Jan 01, 2022
                 "%d-%b-%y", "%d-%b-%Y", "%d %b %Y", "%d %b %y", "%b %d, %Y")
_TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S")
_TIME_SUFFIXES_12H = (" %I:%M %p", " %I:%M:%S %p")  # 12-hour clock: 01/01/2023 12:00 AM
_AM_PM = re.compile(r"\d\s*[AaPp][Mm]$")

def _one_format(text: pd.Series, notna: pd.Series) -> tuple[str | None, pd.Series, str]:
    """The explicit format that most values of a non-ISO column follow.

    Values are never guessed one by one (pandas' ``format="mixed"`` reads 03/04 as March and
    13/04 as April in the same column): the column is read with the one format that reads the
    most values, and the values it does not read are the bad rows. Returns
    ``(format, parsed, "")``; when several formats read that many values but disagree (no day
    above 12), ``(None, parsed, "<the formats>")``; when none reads any, ``(None, NaT, "")``.
    """
    sample = text[notna].iloc[:5000]  # rank the formats here: no pass over a big column each
    counts: dict[str, int] = {}
    # AM/PM times only when the sample has them (twice as many formats to try otherwise)
    suffixes = _TIME_SUFFIXES + (
        _TIME_SUFFIXES_12H if bool(sample.str.contains(_AM_PM).any()) else ())
    for date_fmt in _DATE_FORMATS:
        for suffix in suffixes:
            fmt = date_fmt + suffix
            counts[fmt] = int(_to_datetime(sample, format=fmt).notna().sum())
    best = max(counts.values(), default=0)
    if best == 0:
        return None, pd.Series(pd.NaT, index=text.index), ""
    read = {f: _to_datetime(text, format=f) for f, n in counts.items() if n == best}
    most = max(int(p.notna().sum()) for p in read.values())
    full = [(f, p) for f, p in read.items() if int(p.notna().sum()) == most]
    first_fmt, first = full[0]
    differ = [f for f, p in full[1:] if not p.equals(first)]
    if differ:
        return None, first, " or ".join([first_fmt, *differ])
    return first_fmt, first, ""


def _parse_time(s: pd.Series, col: str, tz: str, probs: list[Problem], *,
                date_only: bool, formats: dict[str, str] | None = None,
                prefer: str | None = None) -> pd.Series:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_convert(tz).dt.tz_localize(None)
    elif pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s
    else:
        text = s.astype("string").str.strip()
        has_off = text.str.contains(_OFFSET, na=False)
        n_off = int(has_off.sum())
        notna = text.notna()
        if 0 < n_off < int(notna.sum()):
            # the rows named are the fewer kind: one stray '+01:00' among 2,000 naive times is
            # the row to fix (listing the 1,999 others hid it)
            n_naive = int(notna.sum()) - n_off
            few = has_off if n_off <= n_naive else notna & ~has_off
            shown = (f"{n_naive:,} rows have none, these have one" if n_off <= n_naive
                     else f"{n_off:,} rows have one, these have none")
            n, rows, ex = problem_rows(few, s)
            probs.append(Problem(col, f"mixes times with and without UTC offsets; {shown}",
                                 n, rows, ex,
                                 fix="give every value an offset, or none (then all are read in "
                                     f"the business time zone {tz})"))
            return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        used = ""
        if n_off:
            out = _to_datetime(text, utc=True, format="ISO8601")
            out = out.dt.tz_convert(tz).dt.tz_localize(None)
        else:
            out = _to_datetime(text, format="ISO8601")
            bad = out.isna() & notna
            if bad.any():  # not all ISO: read with the one format most rows follow
                fmt, parsed, ambiguous = _one_format(text, notna)
                better = parsed.notna().sum() > out.notna().sum()
                if fmt is not None and better:
                    out, used = parsed, fmt  # else the ISO reading's failures are the bad rows
                    if formats is not None:
                        formats[col] = fmt
                if ambiguous and better and prefer in ambiguous.split(" or "):
                    # another date column of the file settles the order (its days go past 12)
                    out = _to_datetime(text, format=prefer)
                    used, ambiguous = str(prefer), ""
                    if formats is not None:
                        formats[col] = used
                if ambiguous and better:
                    n, rows, ex = problem_rows(notna, s)
                    probs.append(Problem(col, f"has dates whose day/month order is ambiguous "
                                              f"(they read as {ambiguous})", n, rows, ex,
                                         fix="write them as ISO 8601, e.g. 2024-11-11"))
                    return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        bad = out.isna() & notna
        if bad.any() and _time_problems(text, s, col, bad, used, date_only, probs):
            out = out.mask(notna)  # every value is wrong, also those read (1759 as a year)
    far = _far(out)
    if far.any():  # a datetime column (Parquet) holding placeholder years
        n, rows, ex = problem_rows(far, s)
        probs.append(Problem(col, _FAR_RULE, n, rows, ex, fix=_FAR_FIX))
        out = out.mask(far)
    out = out.astype("datetime64[ns]")
    if date_only:
        out = out.dt.normalize()
    return out


MISSING_SPELLINGS = frozenset({"", "n/a", "na", "nan", "null", "none", "-", "?", "#n/a"})
"""Cells that mean "no value" in number and date columns (compared trimmed, in any case)."""

_MONEY = re.compile(r"^(-?)\s*[$€£¥₹]\s*|\s*[$€£¥₹]$")
_THOUSANDS = re.compile(r"^-?[1-9]\d{0,2}(,\d{3})+(\.\d+)?$")  # '0,125' is not 125
_DECIMAL_COMMA = re.compile(r"^-?(\d+,\d{1,2}|0,\d+)$")


_COMMA_DECIMAL_ANY = re.compile(r"^-?[1-9]\d{0,2}(\.\d{3})+(,\d+)?$|^-?\d+(,\d+)?$")
"""A number written with ',' as the decimal mark and '.' between thousands (1.234,50). A
leading group of 0 is no thousands group: '0.125' is a decimal written with a point (it had
been read as 125), so a column holding one is not read this way."""


def _numbers(present: pd.Series, decimal_comma: bool = False) -> tuple[pd.Series, bool]:
    """Numbers read from text cells (NaN where not), and whether currency symbols or thousands
    separators had to be removed to read them. ``decimal_comma``: the file writes numbers
    with ',' as the decimal mark (it is ';'-separated, as German and Excel exports are):
    '1,250' is 1.25 and '1.234,50' is 1234.5, never 1250."""
    num = pd.to_numeric(present.astype(object), errors="coerce")
    if num.notna().all() and not (decimal_comma and present.str.contains(",").any()):
        return num, False
    clean = present.str.replace(r"^\((.+)\)$", r"-\1", regex=True)  # accounting (4.50)
    clean = clean.str.replace(_MONEY, r"\1", regex=True)
    if decimal_comma:
        ok = clean.str.match(_COMMA_DECIMAL_ANY)
        clean = clean.mask(ok, clean.str.replace(".", "", regex=False).str.replace(
            ",", ".", regex=False))
        return pd.to_numeric(clean.astype(object), errors="coerce"), True
    # a column with decimal commas ('12,50') has no thousands separators: '1,500' there is
    # ambiguous and stays unread (an error names it), never 1500
    grouped = clean.str.match(_THOUSANDS) & ~clean.str.match(_DECIMAL_COMMA).any()
    clean = clean.mask(grouped, clean.str.replace(",", "", regex=False))
    if clean.equals(present):
        return num, False
    return pd.to_numeric(clean.astype(object), errors="coerce"), True


def _blank(s: pd.Series) -> np.ndarray:
    """Missing cells: NaN, and for text columns empty or spaces-only strings (the string test
    only runs on text: it took 1.4 s of 1.7 s validating 1M numeric revenues)."""
    miss = s.isna().to_numpy(dtype=bool)
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        miss = miss | (s.astype("string").str.strip() == "").fillna(True).to_numpy(dtype=bool)
    return miss


def _money_column(df: pd.DataFrame, col: str, report: LoadReport) -> pd.DataFrame:
    """``df`` with text amounts such as ``£1,234.56`` or ``-$4.50`` in ``col`` read as numbers
    (a note says so); unchanged when the column is numeric, absent, or not read that way."""
    if col not in df.columns or pd.api.types.is_numeric_dtype(df[col].dtype):
        return df
    text = df[col].astype("string").str.strip()
    present = text.notna() & (text != "")
    decimal_comma = df.attrs.get("separator") == ";"
    num, cleaned = _numbers(text[present], decimal_comma)
    if not cleaned:
        return df
    if decimal_comma:
        report.note(f"column '{col}' is read with ',' as the decimal mark, as ';'-separated "
                    f"files write numbers (e.g. {text[present].iloc[0]!r} -> "
                    f"{num.iloc[0]:g}); '.' between thousands is dropped")
    out = df.copy()
    # the cells read become numbers; the others stay as written, for the contract's parse to
    # name (only them: '£3.00' is not listed beside an unreadable '12,50')
    read = num.notna()
    col_out = text.astype(object)
    col_out.loc[read[read].index] = num[read].astype("float64").to_numpy()
    out[col] = col_out
    if not decimal_comma or text[present].str.contains(r"[$€£¥₹]").any():
        for note in money_notes(col, text[present], read):
            report.note(note)
    return out


def money_notes(col: str, text: pd.Series, read: pd.Series) -> list[str]:
    """Notes for a column whose cells ``text`` (``read``: those ``_numbers`` read) needed
    currency signs, separators or brackets removed: one naming a cell that needed it, and one
    when the cells mix currency signs (amounts are not converted)."""
    plain = pd.to_numeric(text.astype(object), errors="coerce").notna()
    cleaned = text[~plain & read]
    notes = [f"column '{col}' had currency symbols, thousands separators or bracketed "
             f"negatives (e.g. {cleaned.iloc[0] if len(cleaned) else ''!r}); read as numbers"]
    signs = sorted(set(text.str.findall(r"[$€£¥₹]").explode().dropna()))
    if len(signs) > 1:
        notes.append(f"column '{col}' mixes currencies ({' '.join(signs)}): the amounts are "
                     "used as written, not converted; convert them to one currency first")
    return notes


def _parse_float(s: pd.Series, col: str, probs: list[Problem],
                 fix: str = "use plain numbers with '.' as decimal point") -> pd.Series:
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype("float64")
    text = s.astype("string").str.strip()
    out = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = out.isna() & text.notna() & (text != "")  # an empty cell is missing, not a bad number
    if bad.any():
        n, rows, ex = problem_rows(bad, s)
        probs.append(Problem(col, "has values that are not numbers", n, rows, ex, fix=fix))
    return out


def _parse_id(s: pd.Series) -> pd.Series:
    """Identifiers: integers stay integers, anything else is a string.

    Integral floats (``16270.0``, from a spreadsheet or a float column with gaps) are integers
    written as floats: a complete column becomes int64, one with missing values becomes
    strings without the ``.0`` (``'16270'``), so the ids join back to integer ids either way.
    """
    if pd.api.types.is_integer_dtype(s.dtype):
        return s
    if pd.api.types.is_float_dtype(s.dtype):
        whole = bool((s.dropna() == np.floor(s.dropna())).all())
        if whole and s.notna().all():
            return s.astype("int64")
        if whole:
            return s.astype("Int64").astype("string")
        return s.astype("string")
    text = s.astype("string").str.strip()
    # '12346.0' is the id 12346 even in a column that also holds 'ABC' (one customer, not two)
    text = text.str.replace(r"^(-?\d{1,18})\.0*$", r"\1", regex=True)
    present = text.dropna()
    if bool(present.str.fullmatch(r"-?\d{1,18}").all()) and text.notna().all():
        return text.astype("int64")
    return text


def _parse_string(s: pd.Series, lower: bool = False) -> pd.Series:
    if isinstance(s.dtype, pd.CategoricalDtype) and not lower:
        return s
    text = s.astype("string").str.strip()
    if lower:
        text = text.str.lower()
    return text.mask(text == "")


def check_time_zone(tz: str) -> str:
    """``tz`` if it is an IANA time zone name (``Europe/Berlin``, ``UTC``), else a ValueError."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        import difflib

        close = difflib.get_close_matches(tz, sorted(zoneinfo.available_timezones()), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown time zone {tz!r}: use an IANA name such as 'UTC', "
                         f"'Europe/Berlin' or 'Asia/Shanghai'.{hint}") from None
    return tz


def _swapped(fmt: str) -> str | None:
    """``fmt`` with day and month exchanged (None when it has not both)."""
    if "%d" not in fmt or "%m" not in fmt:
        return None
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def order_decided_by(s: pd.Series, fmt: str) -> str:
    """Extra words for the format note when very few values settle the day/month order.

    A column whose values all read either way but for a handful (1% of them at most, and no
    more than 5) takes its order from those few: a month-first export with one day-first
    stray row reads as day-first, every date moved. Nothing can tell which is right, so the
    note names them; empty when the order rests on many values (or there is none to settle).
    """
    other = _swapped(fmt)
    if other is None:
        return ""
    text = s.astype("string").str.strip()
    notna = text.notna() & text.ne("")
    mine = _to_datetime(text, format=fmt).notna()
    theirs = _to_datetime(text, format=other).notna()
    deciding = mine & ~theirs & notna
    n, total = int(deciding.sum()), int(notna.sum())
    if n == 0 or n > max(1, min(5, total // 100)) or not (theirs & notna).any():
        return ""
    rows = ", ".join(f"row {i + 1}: {text.iloc[i]!r}" for i in np.flatnonzero(deciding)[:3])
    return (f"; the day/month order rests on {n} of {total:,} values ({rows}), all others read "
            f"either way: if the file's dates are {other}, those rows are wrong and every date "
            "here is too; write them as ISO 8601 (2024-12-31) to be sure")


def format_note(col: str, fmt: str) -> str:
    """The note for a date column read with the explicit format ``fmt`` (not ISO 8601)."""
    example = pd.Timestamp("2024-12-31 20:15").strftime(fmt)
    when = "31 December 2024, 20:15" if "%H" in fmt or "%I" in fmt else "31 December 2024"
    return (f"column '{col}' is not ISO 8601: read as {fmt} for the whole column ({when} is "
            f"written {example!r})")


def _parse_columns(df: pd.DataFrame, contract: Contract, source: str, tz: str,
                   probs: list[Problem], lower_cols: tuple[str, ...] = (),
                   report: LoadReport | None = None) -> pd.DataFrame:
    """Parse every contract column; problems are appended to ``probs`` (raised by the caller),
    the date formats read (when not ISO 8601) are notes in ``report``."""
    check_time_zone(tz)
    _check_columns(df, contract, source)
    out = {}
    formats: dict[str, str] = {}
    for col in contract.columns:
        if col.name not in df.columns:
            continue
        s = df[col.name]
        out[col.name] = _parse_one(s, col, tz, probs, col.name in lower_cols, formats)
        if not col.nullable:
            miss = _blank(s)
            if miss.any():
                n, rows, _ = problem_rows(miss)
                fix = "fill them in or remove those rows"
                if contract.name == "calendar" and col.name == "end":
                    fix = ("set end = start for one-day events (e.g. in Python: frame['end'] = "
                           "frame['end'].fillna(frame['start'])), or fill them in")
                probs.append(Problem(col.name, "has missing values", n, rows, fix=fix))
    # a date column ambiguous alone takes the one day/month order the file's others settled
    settled = set(formats.values())
    prefer = settled.pop() if len(settled) == 1 else None
    borrowed: set[str] = set()
    for p in list(probs):
        rule = contract.column(p.column)
        if (prefer and rule is not None and prefer in p.rule
                and p.rule.startswith("has dates whose day/month order is ambiguous")):
            borrowed.add(rule.name)
            probs.remove(p)
            out[rule.name] = _parse_time(df[rule.name], rule.name, tz, probs,
                                         date_only=rule.kind == "date", formats=formats,
                                         prefer=prefer)
    for col_name, fmt in formats.items():
        if report is not None:
            how = (" (the day/month order of the file's other date column: this one alone is "
                   "ambiguous)" if col_name in borrowed else order_decided_by(df[col_name], fmt))
            report.note(format_note(col_name, fmt) + how)
    extra = [c for c in df.columns if contract.column(str(c)) is None]
    frame = pd.DataFrame(out, index=df.index)
    for c in extra:
        frame[c] = df[c]
    return frame


def _parse_one(s: pd.Series, col: Column, tz: str, probs: list[Problem], lower: bool,
               formats: dict[str, str] | None = None) -> pd.Series:
    if col.kind == "timestamp":
        return _parse_time(s, col.name, tz, probs, date_only=False, formats=formats)
    if col.kind == "date":
        return _parse_time(s, col.name, tz, probs, date_only=True, formats=formats)
    if col.kind == "float":
        return _parse_float(s, col.name, probs)
    if col.kind == "id":
        return _parse_id(s)
    return _parse_string(s, lower=lower)


def _finish(frame: pd.DataFrame, report: LoadReport) -> pd.DataFrame:
    report.rows_out = len(frame)
    for note in report.notes:
        _log.warning(note)
    frame.attrs["load_notes"] = list(report.notes)
    return frame


def _duplicate_key_problem(frame: pd.DataFrame, key: tuple[str, ...], fix: str,
                           valid: np.ndarray | None = None) -> Problem | None:
    """Rows sharing a key (row numbers as in the file); rows outside ``valid`` (a key that did
    not parse, reported on its own) are not compared."""
    cols = [k for k in key if k in frame.columns]
    dup = frame.duplicated(cols, keep=False).to_numpy()
    if valid is not None:
        dup = dup & valid
    if not dup.any():
        return None
    n, rows, _ = problem_rows(dup)
    ex = tuple("(" + ", ".join(_key_text(v) for v in frame.iloc[r - 1][cols]) + ")"
               for r in rows)
    return Problem("+".join(cols), "has duplicate keys", n, rows, ex, fix=fix)


def _key_text(v: object) -> str:
    """A key value as a person would write it: 'big_site', 2024-10-27 02:00, 2024-10-27."""
    if isinstance(v, pd.Timestamp):
        return str(v.date()) if v == v.normalize() else v.strftime("%Y-%m-%d %H:%M")
    return str(v)


def validate_events(df: pd.DataFrame, source: str = "events", *, tz: str = "UTC",
                    extra_event_types: tuple[str, ...] = (),
                    on_duplicate: Literal["drop", "keep", "error"] = "drop") -> pd.DataFrame:
    """Validate and normalise an events frame already in memory (see module docstring)."""
    report = _read_notes(df, source)
    probs: list[Problem] = []
    df = _money_column(df.reset_index(drop=True), "revenue", report)
    frame = _parse_columns(df, EVENTS, source, tz, probs, lower_cols=("event_type",),
                           report=report)
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


def validate_calendar(df: pd.DataFrame, source: str = "calendar",
                      default_intensity: Mapping[str, float] | None = None, *,
                      name_intensity: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Validate a calendar frame: name, start, end (inclusive), kind, channel?, intensity?.

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
    frame = _parse_columns(df, CALENDAR, source, "UTC", probs, lower_cols=("kind",),
                           report=report)
    if "channel" not in frame.columns:
        frame["channel"] = pd.Series(pd.NA, index=frame.index, dtype="string")
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
    zero = (frame["intensity"] == 0).to_numpy()
    if planned and zero.any():
        # the event model reads an intensity of 0 as "not given" (1.0, as its training calendar
        # means it: a holiday has no discount depth), so a planned sale at 0 was forecast at
        # intensity 1.0, i.e. at the largest lift its kind had, without a word: read it as
        # empty, the kind's usual intensity, and say so
        names = ", ".join(repr(str(x)) for x in frame.loc[zero, "name"].head(3))
        n = int(zero.sum())
        it = "they are" if n != 1 else "it is"
        report.note(f"{n} event{'s' if n != 1 else ''} with intensity 0 ({names}"
                    f"{', ...' if n > 3 else ''}): 0 means 'not given' to the model, as in "
                    f"its history (a holiday has no discount depth), so {it} read as empty; "
                    "give a positive intensity for a smaller event")
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
        if not planned:
            report.note(f"{what} 1.0")
        elif by_kind:
            report.note(f"{what} {'their' if n != 1 else 'its'} kind's usual intensity in the "
                        f"model's history ({', '.join(by_kind)}; other kinds 1.0)")
    frame = frame.sort_values(["start", "name"], kind="stable").reset_index(drop=True)
    return _finish(frame, report)


def _nfc(frame: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with the text of ``cols`` in Unicode NFC: 'Café' typed on a Mac (an 'e' plus a
    combining accent) and on Windows (one 'é') look the same and must be the same name."""
    for col in cols:
        if col in frame.columns and frame[col].notna().any():
            values = frame[col]
            uniq = pd.Series(values.dropna().unique())
            fixed = uniq.astype(str).str.normalize("NFC")
            if not (fixed == uniq.astype(str)).all():
                frame = frame.assign(**{col: values.map(dict(zip(uniq, fixed, strict=True)))
                                        .astype(values.dtype)})
    return frame


def load_calendar(path: PathLike,
                  default_intensity: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Load a promotion/holiday/launch calendar under the calendar contract (events without
    an intensity: see ``validate_calendar``)."""
    return validate_calendar(read_table(path), Path(path).name, default_intensity)


def validate_spend(df: pd.DataFrame, source: str = "spend") -> pd.DataFrame:
    """Validate a channel spend frame: date, channel, spend (>= 0), unique per (date, channel)."""
    report = _read_notes(df, source)
    probs: list[Problem] = []
    df = _money_column(df.reset_index(drop=True), "spend", report)
    frame = _parse_columns(df, SPEND, source, "UTC", probs, report=report)
    neg = (frame["spend"] < 0).to_numpy()
    if neg.any():
        n, rows, ex = problem_rows(neg, frame["spend"])
        probs.append(Problem("spend", "is negative", n, rows, ex,
                             fix="record refunds from ad platforms as a lower spend"))
    dup = _duplicate_key_problem(frame, SPEND.unique_key,
                                 "sum the rows of each (date, channel) into one")
    if dup:
        probs.append(dup)
    if probs:
        raise DataContractError(source, probs)
    return _finish(frame.sort_values(["date", "channel"]).reset_index(drop=True), report)


def load_spend(path: PathLike) -> pd.DataFrame:
    """Load channel spend under the spend contract."""
    return validate_spend(read_table(path), Path(path).name)


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
        if date is not None and df[date].duplicated().any():
            # its dates repeat: several series, and none is named
            n = int(df[date].duplicated(keep=False).sum())
            unnamed = Problem(
                "series_id", f"is required: the dates in '{date}' repeat ({n:,} rows share a "
                "date), so the file holds several series and nothing names them", 0,
                fix=("add a series_id column naming each series, e.g. in Python joining the "
                     "columns that tell them apart: frame['series_id'] = frame[['store', "
                     "'family']].astype(str).agg(' '.join, axis=1); the file has columns "
                     f"{[str(c) for c in df.columns]}"))
        df = df.assign(series_id="total")
        df.attrs["added_columns"] = ("series_id",)
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
    dup = _duplicate_key_problem(
        frame, SERIES.unique_key,
        "keep one row per series and period (sum or average them)" + (
            "; the file has no series_id column, so every row is one series 'total': if it "
            "holds several series, add a series_id column naming each" if implicit else "") + (
            "; if they are the hour repeated when clocks go back, pass --tz with the zone "
            "(e.g. --tz Europe/Berlin): the two are then averaged" if timed and tz == "UTC"
            else ""),
        valid=frame["ds"].notna().to_numpy() & ~repeated)
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


def load_series(path: PathLike, *, tz: str = "UTC") -> pd.DataFrame:
    """Load a traffic series file under the series contract."""
    return validate_series(read_table(path), Path(path).name, tz=tz)
