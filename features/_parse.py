"""Parsing text columns under a contract: timestamps, numbers, money, ids and strings.

Each parser collects ``Problem`` records (column, rule, rows, examples, fix) instead of raising,
so a loader reports every problem of a file at once; what a parser changed quietly (a date
format chosen, currency signs removed) becomes a note in ``frame.attrs["load_notes"]``.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from ._contracts import (
    Column,
    Contract,
    LoadReport,
    Problem,
    problem_rows,
)
from ._read import _check_columns
from ._times import _FAR_FIX, _FAR_RULE, _TIMED_OFFSET, _far, _time_problems, _to_datetime

__all__ = ["MISSING_SPELLINGS", "check_time_zone", "format_note", "money_notes",
           "order_decided_by"]

_log = logging.getLogger("features.io")
# an offset follows a time of day: the "-2015" of 31-07-2015 is the year, not an offset
_OFFSET = re.compile(_TIMED_OFFSET)


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


def _reads_as_time(text: pd.Series) -> bool:
    """Whether any of the cells of ``text`` (missing elsewhere) reads as a time: ISO 8601, or
    one of the explicit formats ``_one_format`` tries."""
    notna = text.notna()
    if bool(_to_datetime(text, format="ISO8601").notna().any()):
        return True
    return bool(_one_format(text, notna)[1].notna().any())


def _parse_time(s: pd.Series, col: str, tz: str, probs: list[Problem], *,
                date_only: bool, formats: dict[str, str] | None = None,
                prefer: str | None = None, mix_days: bool = False) -> pd.Series:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_convert(tz).dt.tz_localize(None)
    elif pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s
    else:
        text = s.astype("string").str.strip()
        has_off = text.str.contains(_OFFSET, na=False)
        n_off = int(has_off.sum())
        notna = text.notna()
        if 0 < n_off < int(notna.sum()) and date_only and mix_days:
            # whole days (a calendar's start/end, a spend date): a plain date is that day in
            # ``tz`` and a time with an offset is converted to ``tz``, so a mix is read value by
            # value (the calendar names one that lands off the day written, ``_off_day_problems``;
            # its note names the mix). An independent check's campaign calendar, part of it
            # pasted as '2025-11-24T00:00:00+01:00', had been refused (2026-12-07). Only where
            # the caller checks the offsets' days (``mix_days``: the contracts' date columns,
            # ``features._io._off_day_problems``): a customer table's cutoff mixing them had
            # been moved a day back in silence
            plain = _parse_time(text.where(~has_off), col, tz, probs, date_only=True,
                                formats=formats, prefer=prefer)
            zoned = _parse_time(text.where(has_off), col, tz, probs, date_only=True)
            return plain.where(~has_off.to_numpy(dtype=bool), zoned)
        n_naive = int(notna.sum()) - n_off
        if 0 < n_naive < n_off and not _reads_as_time(text.where(notna & ~has_off)):
            # the few values without an offset are no times at all ('not a date' among times
            # with offsets): they are named below as values that are not timestamps (they had
            # been called times without an offset, with the fix to give every value one)
            n_naive = 0
        if 0 < n_off < int(notna.sum()) and n_naive:
            # the rows named are the fewer kind: one stray '+01:00' among 2,000 naive times is
            # the row to fix (listing the 1,999 others hid it)
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


def _percent_column(df: pd.DataFrame, col: str, report: LoadReport,
                    meaning: str) -> pd.DataFrame:
    """``df`` with the cells of ``col`` written as percentages ('30%', '12.5 %', as a campaign
    list writes a discount) read as fractions (0.3, 0.125), noted with ``meaning``; the
    contract's parse had said 'not numbers: use plain numbers' without naming the '%'."""
    if col not in df.columns or pd.api.types.is_numeric_dtype(df[col].dtype):
        return df
    text = df[col].astype("string").str.strip()
    pct = text.str.fullmatch(r"[-+]?\d+(?:[.,]\d+)?\s*%").fillna(value=False).astype(bool)
    if not pct.any():
        return df
    vals = pd.to_numeric(text[pct].str.rstrip("%").str.strip().str.replace(",", ".",
                                                                          regex=False))
    out = df.copy()
    col_out = df[col].astype(object).copy()
    col_out.loc[pct] = (vals / 100).astype("float64").to_numpy()
    out[col] = col_out
    first = str(text[pct].iloc[0])
    n = int(pct.sum())
    report.note(f"column '{col}' has {n} value{'s' if n != 1 else ''} written as a percentage "
                f"(first {first!r}): read as fractions ({first} -> {float(vals.iloc[0]) / 100:g}"
                f"), as {meaning}")
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

    Ids written with leading zeros (a loyalty card's ``'0049565435'``) stay strings as written,
    as a customer table's ids do (``table_ids``): until 2026-12-07 they became integers
    (``49565435``) without a note, and scores no longer joined the CRM's ids.

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
    # a loyalty card '0049565435' is text: as an integer it would lose its leading zeros and
    # no longer join the CRM's ids (customer tables keep them too, features.table_ids)
    if (bool(present.str.fullmatch(r"-?\d{1,18}").all()) and text.notna().all()
            and not bool(present.str.match(r"-?0\d").any())):
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
    if col.kind == "date":  # a calendar's start/end, a spend date: offsets' days are checked
        return _parse_time(s, col.name, tz, probs, date_only=True, formats=formats,
                           mix_days=True)
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
    # rows equal in every column (an export that repeated rows): summing them, as the fix
    # says for rows that differ, would count those periods twice
    copy = frame.duplicated(keep="first").to_numpy() & dup
    copies = int(copy.sum())
    if copies:
        # keys that still repeat once the copies are dropped: rows that differ (counting
        # pairs, 2 x copies == rows, had said 'otherwise' beside such rows and 'for the
        # others' when one row came three times and nothing else repeated)
        kept = frame.loc[dup & ~copy, cols]
        others = bool(kept.duplicated(keep=False).any())
        fix = (f"{copies:,} row(s) repeat another row in every column (an export that "
               "repeated rows?): drop those copies (pandas: frame.drop_duplicates()), do not "
               f"sum them; {'for the others' if others else 'otherwise'}: {fix}")
    return Problem("+".join(cols), "has duplicate keys", n, rows, ex, fix=fix)


def _key_text(v: object) -> str:
    """A key value as a person would write it: 'big_site', 2024-10-27 02:00, 2024-10-27."""
    if isinstance(v, pd.Timestamp):
        return str(v.date()) if v == v.normalize() else v.strftime("%Y-%m-%d %H:%M")
    return str(v)

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
