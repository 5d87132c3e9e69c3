"""Reading time columns: what cannot be stored, and what a column of whole numbers looks like.

``features._io`` parses time columns (ISO 8601 or one explicit format per column); this module
keeps its values inside the years a nanosecond timestamp holds, and names the problems of the
values that do not read: placeholder dates (``0001-01-01``), and columns of whole numbers that
are Unix seconds, times of day (HHMM) or day numbers. Documented in docs/data-contracts.md
("Defined behaviour for messy input"); tests in tests/features/test_input_defects.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._contracts import Problem, problem_rows

__all__ = ["FIRST_YEAR", "LAST_YEAR", "integer_time_hint", "utc_day_note"]


FIRST_YEAR, LAST_YEAR = 1678, 2261
_TIMED_OFFSET = r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s?(?:Z|[+-]\d{2}(?::?\d{2})?)$"
"""A UTC offset after a time of day: 'Z', '+01:00', '+0100' or '+01' (PostgreSQL writes a
``timestamptz`` so; until 2026-12-07 an hour-only offset was not taken for one, and a table's
date column of them stopped training with pandas' 'Mixed timezones detected')."""
"""Timestamps are stored in nanoseconds, which hold only these years: a value outside them (an
ERP's '0001-01-01' for "no date", a till time 1000 read as the year 1000) does not read."""


def _to_datetime(values: pd.Series, **kwargs: object) -> pd.Series:
    """``pd.to_datetime(values, errors="coerce", **kwargs)`` with values outside
    ``FIRST_YEAR``..``LAST_YEAR`` as NaT (pandas 3 reads them at a coarser unit, and the
    conversion to nanoseconds then failed with a bare 'Out of bounds nanosecond timestamp')."""
    out = pd.to_datetime(values, errors="coerce", **kwargs)  # type: ignore[call-overload]
    year = out.dt.year
    far = (year < FIRST_YEAR) | (year > LAST_YEAR)
    return out.mask(far) if bool(far.any()) else out


_FAR_RULE = (f"has dates outside the years {FIRST_YEAR}-{LAST_YEAR} (placeholders such as "
             "0001-01-01 for 'no date'?)")
_FAR_FIX = "give those rows their real time or remove them: a placeholder is no time"


def _far(out: pd.Series) -> np.ndarray:
    """Values of a datetime column outside ``FIRST_YEAR``..``LAST_YEAR``."""
    year = out.dt.year
    return ((year < FIRST_YEAR) | (year > LAST_YEAR)).fillna(False).to_numpy(dtype=bool)


def integer_time_hint(text: pd.Series) -> tuple[str, str] | None:
    """What a time column of whole numbers only looks like, as ``(rule words, fix)``: Unix
    seconds or milliseconds, times of day (HHMM: 1000 is 10:00) or day numbers (1, 2, ...);
    None when a value is not a whole number or the numbers fit none of these."""
    present = text.dropna().astype(str).str.strip()
    present = present[present != ""]
    if present.empty or not bool(present.str.fullmatch(r"\d{1,13}").all()):
        return None
    digits = present.str.len()
    num = pd.to_numeric(present).astype("int64")
    if bool(digits.between(9, 10).all()):
        return ("; the column looks like Unix seconds (seconds since 1970-01-01 UTC)",
                "convert them to timestamps, e.g. in Python: frame[col] = pd.to_datetime("
                "frame[col], unit='s', utc=True) (written with +00:00, so --tz reads them in "
                "the business time zone)")
    if bool(digits.eq(13).all()):
        return ("; the column looks like Unix milliseconds (since 1970-01-01 UTC)",
                "convert them to timestamps, e.g. in Python: frame[col] = pd.to_datetime("
                "frame[col], unit='ms', utc=True)")
    if (bool((num <= 2359).all()) and bool((num % 100 < 60).all())
            and float((digits >= 3).mean()) >= 0.5):
        return ("; the column looks like times of day (HHMM: 1000 is 10:00) without a date",
                "a timestamp needs the day too: brain data import-orders reads such a column as "
                "--time-of-day-col beside the date (or day-number) column given as --time-col; "
                "otherwise join date and time into one timestamp such as 2024-11-11 10:00:00")
    if bool((num <= 100_000).all()):
        return ("; the column looks like day numbers (1, 2, ... counted from the first day, as "
                "in dunnhumby's DAY)",
                "brain data import-orders reads them with --day-origin DATE (the date of day 1; "
                "Python: orders_to_events(day_origin=...)); otherwise write dates, e.g. "
                "2024-11-11")
    return None


def _time_problems(text: pd.Series, s: pd.Series, col: str, bad: pd.Series, used: str,
                   date_only: bool, probs: list[Problem]) -> bool:
    """The problems of a time column's values that did not read (``bad``): the whole column
    when it holds whole numbers that look like something else (Unix seconds, HHMM, day
    numbers; then True: no value of it is a time); dates outside the years that can be
    stored; and the rest."""
    kind = "dates" if date_only else "timestamps"
    looks = integer_time_hint(text)
    if looks is not None:  # every value is wrong, also those that read (1700 as a year)
        n, rows, ex = problem_rows(text.notna() & (text != ""), s)
        words, fix = looks
        probs.append(Problem(col, f"has values that are not {kind}{words}", n, rows, ex,
                             fix=fix.replace("frame[col]", f"frame[{col!r}]")))
        return True
    # read as ISO 8601 but outside the years that can be stored (0001-01-01 placeholders)
    far = bad & pd.to_datetime(text.where(bad), errors="coerce", format="ISO8601").notna()
    if far.any():
        n, rows, ex = problem_rows(far, s)
        probs.append(Problem(col, _FAR_RULE, n, rows, ex, fix=_FAR_FIX))
    rest = bad & ~far
    if rest.any():
        n, rows, ex = problem_rows(rest, s)
        if used:
            kind += f" in the format most rows follow ({used})"
        fix = "use ISO 8601, e.g. 2024-11-11" + ("" if date_only else " 20:15:00")
        present = text.notna() & (text != "")
        if int(rest.sum()) == int(present.sum()) and bool(
                text[present].str.fullmatch(r"\d+").all()):  # 1672527: a cut-off Unix time?
            kind += "; the column holds whole numbers only"
            fix += " (Unix seconds have 10 digits: a shorter number may have been cut off)"
        probs.append(Problem(col, f"has values that are not {kind}", n, rows, ex, fix=fix))
    return False


def utc_day_note(raw: pd.Series, ts: pd.Series, col: str, tz: str, *, unit: str = "row",
                 example: str = "Europe/Berlin") -> str | None:
    """The note for times written with offsets other than UTC's read without ``--tz``, or None.

    They are converted to UTC, and a time near midnight lands on another day than the one
    written: an evening order at -03:00 on the next day, a visit after midnight at +01:00 /
    +02:00 on the day before. Silent when no value changes its day, when ``tz`` is not UTC (the
    offsets are read in the zone asked for) and for a column already holding datetimes (a
    Parquet column's zone is named by its own note). ``raw`` is the column as written, ``ts``
    the parsed one (same index). Used by ``brain data import-orders`` (since 2026-12-06) and
    the events contract (since 2026-12-07: a web log with Berlin offsets across a clock change,
    read without ``--tz``, had 984 of 192,714 rows counted on the day before, in silence)."""
    if tz.upper() not in {"UTC", "ETC/UTC", "Z"} or pd.api.types.is_datetime64_any_dtype(
            raw.dtype):
        return None
    text = raw.astype("string").str.strip()
    # vectorised on the string's last characters, no regex capture over every row and no second
    # parse of the times: the note runs on every events load (2M rows without offsets had cost
    # 1.1 s, with offsets 2.4 s, until 2026-12-07)
    long_ = text.str[-6:]
    short = text.str[-5:]
    offset = long_.where(long_.str.fullmatch(r"[+-]\d{2}:\d{2}", na=False),
                         short.where(short.str.fullmatch(r"[+-]\d{4}", na=False),
                                     text.str[-1:].where(text.str.endswith("Z", na=False))))
    other = offset.notna() & ~offset.isin(["Z", "+00:00", "+0000", "-00:00", "-0000"])
    if other.any():
        # an offset follows a time of day, as the parsers read one: the year of '01-03-2025'
        # (a day-first date) is not an offset of -20:25 (it had been named one, 2026-12-07)
        other = other & text.str.contains(_TIMED_OFFSET, na=False)
    if not other.any():
        return None
    written = offset[other]
    codes, kinds = pd.factorize(written)
    minutes = np.array([(1 if k[0] == "+" else -1) * (int(k[1:3]) * 60 + int(k[-2:]))
                        for k in kinds], dtype="int64")
    parsed = pd.Series(pd.to_datetime(ts[other]))
    local = parsed + pd.to_timedelta(minutes[codes], unit="m")
    moved = (local.dt.normalize() != parsed.dt.normalize()).to_numpy()
    n = int(moved.sum())
    if not n:
        return None
    seen = ", ".join(written.value_counts().index[:3])
    first = int(np.flatnonzero(other.to_numpy())[np.flatnonzero(moved)[0]]) + 1
    pct = 100 * n / len(text)
    share = "under 0.1%" if 0 < pct < 0.05 else f"{pct:.1f}%"
    return (f"column '{col}' holds times with UTC offsets ({seen}) and no --tz was given: "
            f"they are converted to UTC, which puts {n:,} {unit}{'s' if n != 1 else ''} "
            f"({share}) on another day than the one written (first at row {first}: "
            f"{text[other].iloc[int(np.flatnonzero(moved)[0])]!r}). Pass --tz with the "
            f"business time zone (e.g. --tz {example}) to keep the local days")
