"""Reading user files (CSV, TSV, gzip, Parquet) and checking a frame's required columns.

``read_table`` reads a file as text columns (nothing parsed yet), detects a wrong separator or
encoding, and records what it changed in ``frame.attrs["load_notes"]``; ``_check_columns``
raises one ``DataContractError`` for the contract's missing columns, suggesting the rename when
the file has the column under another name. The loaders in ``_io`` and ``_series_io`` use both.
"""

from __future__ import annotations

import csv
import gzip
import logging
from pathlib import Path

import pandas as pd

from ._contracts import (
    KNOWN_EVENT_TYPES,
    Contract,
    DataContractError,
    LoadReport,
    Problem,
)

__all__ = ["read_table"]

_log = logging.getLogger("features.io")
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
    skip = 0
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(p)
            frame.attrs["source"] = name
            return frame
        if ".csv" in suffixes or ".txt" in suffixes or ".tsv" in suffixes:
            sep = "\t" if ".tsv" in suffixes else ","
            skip, first = _comment_block(p, sep)
            header = [str(c) for c in pd.read_csv(p, sep=sep, dtype=str, nrows=0,
                                                  skiprows=skip).columns]
            other = _other_separator(header, sep)
            used = other or sep
            frame = pd.read_csv(p, sep=used, dtype=str, keep_default_na=False,
                                na_values=[""], skiprows=skip)
            frame.attrs["source"] = name
            if skip:
                note = (f"{name}: the first {skip} lines are a heading of '#' lines (a report "
                        f"download's, as Google Analytics writes it: {first!r}): read from "
                        f"the header on line {skip + 1}; rows are counted from that header")
                _log.warning(note)
                frame.attrs["read_notes"] = [note]
                frame.attrs["load_notes"] = [note]
            twice = _repeated_names(p, used, skip, [str(c) for c in frame.columns])
            if twice:
                note = (f"{name}: the header names {twice}; rename them if they are different "
                        "columns, or drop the copy")
                _log.warning(note)
                frame.attrs["read_notes"] = [*frame.attrs.get("read_notes", []), note]
                frame.attrs["load_notes"] = [*frame.attrs.get("load_notes", []), note]
            if other:
                frame.attrs["separator"] = other
                shown = {";": "';'", "\t": "tabs"}[other]
                head = header[0] if len(header[0]) <= 40 else header[0][:37] + "..."
                note = (f"{name}: the file is separated by {shown}, not {_SEP_NAMES[sep]} (its "
                        f"header read as one column {head!r}, as German and Excel exports "
                        f"write it): read with {shown} ({len(frame.columns)} columns)")
                _log.warning(note)
                frame.attrs["read_notes"] = [*frame.attrs.get("read_notes", []), note]
                frame.attrs["load_notes"] = [*frame.attrs.get("load_notes", []), note]
            return frame
    except UnicodeDecodeError as exc:  # Excel's 'CSV (Comma delimited)' writes Windows-1252
        raise DataContractError(name, [_encoding_problem(p)]) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataContractError(name, [Problem("", "is empty: not even a header row", 0,
                                               fix="export it again with its header and rows")]
                                ) from exc
    except Exception as exc:  # parser errors come in many types; report them all the same way
        wide = (_too_many_fields(p, used, skip) if isinstance(exc, pd.errors.ParserError)
                else None)
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


def _repeated_names(p: Path, sep: str, skip: int, read: list[str]) -> str:
    """"'plan' twice (columns 3 and 4, read as 'plan' and 'plan.1')" for each name the header
    gives more than one column (pandas renames the later ones without a word; ``read``: the
    columns as read), else ""."""
    opener = gzip.open if p.suffix.lower() == ".gz" else open
    with opener(p, "rt", encoding="utf-8-sig", errors="replace", newline="") as fh:
        for _ in range(skip):
            fh.readline()
        header = next(csv.reader(fh, delimiter=sep), [])
    if len(header) != len(read):
        return ""
    where: dict[str, list[int]] = {}
    for i, col in enumerate(header):
        where.setdefault(col, []).append(i)
    times = {2: "twice", 3: "three times"}

    def listed(items: list[str]) -> str:
        return ", ".join(items[:-1]) + f" and {items[-1]}"

    return "; ".join(
        f"{col!r} {times.get(len(at), f'{len(at)} times')} (columns "
        f"{listed([str(i + 1) for i in at])}, read as {listed([repr(read[i]) for i in at])})"
        for col, at in where.items() if len(at) > 1)


def _comment_block(p: Path, sep: str) -> tuple[int, str]:
    """The number of lines before the header that start with '#' (a Google Analytics report
    download opens with such a block: account, property, dates; blank lines among them count),
    and the first that says something; ``(0, "")`` when there is none.

    The block is only skipped when one of its lines has fewer fields than the line after it:
    a header whose first column is named '#' (``#,name,value``) is the header."""
    opener = gzip.open if p.suffix.lower() == ".gz" else open
    lines: list[str] = []
    with opener(p, "rt", encoding="utf-8-sig", errors="replace", newline="") as fh:
        for raw in fh:
            line = raw.rstrip("\r\n")
            if lines and not line.strip():
                lines.append(line)  # a blank line between the block and the header
                continue
            if not line.startswith("#"):
                if not lines:
                    return 0, ""
                width = len(next(csv.reader([line], delimiter=sep)))
                if all(len(next(csv.reader([c], delimiter=sep))) >= width for c in lines):
                    return 0, ""
                said = next((c for c in lines if c.strip("#- ")), lines[0])
                return len(lines), said if len(said) <= 60 else said[:57] + "..."
            lines.append(line)
            if len(lines) > 200:
                return 0, ""
    return 0, ""


def _too_many_fields(p: Path, sep: str, skip: int = 0) -> Problem | None:
    """The rows holding more fields than the header (a ',' inside an unquoted value such as
    1,250.00): pandas' 'Expected 5 fields in line 3, saw 6' named one line and told to save the
    file as UTF-8 CSV, which it was."""
    opener = gzip.open if p.suffix.lower() == ".gz" else open
    # bytes that are not UTF-8 are replaced here (they are reported on their own): this
    # counts fields only
    with opener(p, "rt", encoding="utf-8-sig", errors="replace", newline="") as fh:
        for _ in range(skip):  # a comment block before the header (_comment_block)
            fh.readline()
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
    with opener(p, "rb") as fh:
        head = fh.read(4096)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's 'Unicode Text' (UTF-16 with a byte-order mark): read as Windows-1252 every
        # other character is a NUL, and the fix had said encoding='cp1252' (2026-12-07)
        first = head.decode("utf-16", errors="ignore").splitlines()[0] if head[2:] else ""
        wide_sep = next((c for c in ("\t", ";", ",") if c in first), ",")
        return Problem("", "is UTF-16 text (Excel's 'Unicode Text' writes it), not UTF-8", 0,
                       fix="save it as 'CSV UTF-8' (Excel: Save As) or Parquet, or convert it, "
                           f"e.g. in Python: pd.read_csv({p.name!r}, encoding='utf-16', "
                           f"sep={wide_sep!r}, dtype=str).to_csv('utf8.csv', index=False)")
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
    # a ';' export (German Excel) is converted with its separator: read with commas, its
    # decimal commas ('29,51') split rows and pandas stopped (until 2026-12-07)
    with opener(p, "rb") as fh:
        first = fh.readline().decode("cp1252", errors="replace")
    base = "\t" if ".tsv" in "".join(p.suffixes).lower() else ","
    sep = _other_separator(first.rstrip("\r\n").split(base), base)
    arg = f", sep={sep!r}" if sep else ""
    return Problem("", "is not UTF-8 text (shown as Windows-1252, which Excel's 'CSV (Comma "
                   "delimited)' writes, would read it)", n, rows, tuple(t for _, t in bad),
                   fix="save it as 'CSV UTF-8' (Excel: Save As) or Parquet, or convert it, e.g. "
                       f"in Python: pd.read_csv({p.name!r}, encoding='cp1252'{arg}, dtype=str)"
                       f".to_csv('utf8.csv'{arg}, index=False)")


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
    "series_id": ("series", "seriesname", "store", "channel", "sessiondefaultchannelgroup",
                  "defaultchannelgroup", "channelgroup", "firstuserdefaultchannelgroup"),
    "start": ("date", "startdate", "day", "from", "begin", "begindate", "holidaydate",
              "eventdate"),
    "end": ("enddate", "to", "until", "finish"),
    "name": ("holiday", "holidayname", "event", "eventname", "title", "description",
             "campaign", "campaignname", "promotion", "promotionname", "promo"),
    "spend": ("cost", "costs", "adspend", "adcost", "amountspent", "spent", "budget"),
    "channel": ("channels", "channelgroup", "defaultchannelgroup",
                "sessiondefaultchannelgroup"),
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


def _only_number_column(df: pd.DataFrame, taken: set[str]) -> str | None:
    """The one column of numbers beside the taken ones and the date (a utility's
    ``Datetime, PJME_MW``: the value to forecast under its own name), else None. Such a file
    had been told to 'add' y, beside the column holding it."""
    added = set(df.attrs.get("added_columns", ()))
    found = []
    for c in map(str, df.columns):
        if c in taken or c in added or c in ("ds", "series_id"):
            continue
        sample = df[c].dropna().iloc[:200]
        if len(sample) and (pd.api.types.is_numeric_dtype(sample.dtype) or float(
                pd.to_numeric(sample.astype("string").str.strip(), errors="coerce"
                              ).notna().mean()) >= 0.9):
            found.append(c)
    return found[0] if len(found) == 1 else None


def _check_columns(df: pd.DataFrame, contract: Contract, source: str) -> None:
    missing = [c for c in contract.required if c not in df.columns]
    if not missing:
        return
    taken = {str(c) for c in df.columns if c in contract.required}
    probs = []
    renames = {}
    named = df.attrs.get("series_named_by") if contract.name == "series" else None
    if named is not None:  # the column that names the series (``validate_series``' problem)
        renames[str(named)] = "series_id"
        taken.add(str(named))
    for col in missing:
        other = _rename_hint(df, col, taken)
        if other is None and contract.name == "series" and col == "y":
            other = _only_number_column(df, taken | {c for c in missing if c != col})
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


