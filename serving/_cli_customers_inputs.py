"""Inputs of ``brain train`` and ``brain score`` for the customer models: a customer table
(``--table``, typed and checked: ``_read_table``; errors in the table's own words:
``_table_words``), the events and calendar (``--data``/``--events``: ``_events``), the stacked
training frame built from them (``build_training_frame``), the table columns that cannot inform
a model (``_uninformative``), and the scoring date and population (``_check_asof``,
``_table_asof``, ``_active_customers``).
"""

# No "from __future__ import annotations", like the commands in ``_cli_customers``.

import logging
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from training._customer_models import CustomerModel

from ._cli_common import (
    console,
    err_console,
    find_file,
    print_notes,
    progress_bar,
    show_note,
    step,
)


def _without_trailing_empty_rows(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The table without the rows at its end that are empty in every column (an Excel export's
    unused rows, written as ',,,,'), with one note; their cells had been counted in every
    column's empty-cells note beside a note on rows without a customer id. Only trailing rows
    go: an empty row in the middle stays (the other notes number rows by position)."""
    n, end, step = 0, len(frame), 256
    while end > 0:  # from the end, a block at a time: the whole table as text had taken 46 s
        start = max(0, end - step)  # for 500,000 rows of 30 columns, where the end is enough
        block = frame.iloc[start:end]
        text = block.astype("string").apply(lambda c: c.str.strip())
        empty = (block.isna() | text.eq("").fillna(False)).all(axis=1).to_numpy()
        if not empty.all():
            n += len(empty) - int(np.flatnonzero(~empty)[-1]) - 1
            break
        n, end, step = n + len(empty), start, step * 2
    if n <= 0 or end <= 0:  # none, or every row empty (left to the other notes)
        return frame
    first, last = len(frame) - n + 1, len(frame)
    rows = f"row is empty in every column (row {last}" if n == 1 else (
        f"{n:,} rows are empty in every column (rows {first:,} to {last:,}")
    show_note(f"{name}: the last {rows}, data rows counted from 1; a spreadsheet's unused "
              "rows): left out")
    return frame.iloc[:-n]


def _read_table(path: Path, id_col: str, label_col: str | None = None,
                model: "CustomerModel | None" = None,
                keep_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """A customer table typed for training (``label_col`` is checked exactly, not coerced) or
    for scoring with ``model`` (its numeric and categorical columns keep the types it
    learned, however few rows the table has). ``keep_columns`` (``--keep-column``): columns
    never left out as identifiers at training; each must be a column of the table other than
    the id and the label (else an error naming the file, the column and the columns there
    are)."""
    from features import infer_table_types, read_table, table_ids
    from training._customer_empty import written_cells

    frame = _without_trailing_empty_rows(read_table(path), path.name)
    own = getattr(model, "id_col_", None)
    if id_col == "user_id" and id_col not in frame.columns and own and own in frame.columns:
        # the id column the model was trained with (--id-col customerID), as its pyfunc and
        # the API read it: scoring the table it was trained on had stopped with "Pass --id-col"
        show_note(f"{path.name}: customer ids read from {own!r}, the id column this model was "
                  "trained with (--id-col)")
        id_col = own
    if id_col not in frame.columns:
        hint = _close_column(id_col, [str(c) for c in frame.columns])
        raise ValueError(f"{path.name}: the customer id column {id_col!r} is missing; received "
                         f"columns {list(frame.columns)[:20]}. "
                         + (f"Did you mean {hint!r}? Pass --id-col {shlex.quote(hint)}." if hint
                            else "Pass --id-col NAME."))
    if label_col is not None and label_col not in frame.columns:
        hint = _close_column(label_col, [str(c) for c in frame.columns])
        raise ValueError(f"{path.name}: the label column {label_col!r} is missing; received "
                         f"columns {list(frame.columns)[:20]}. "
                         + (f"Did you mean {hint!r}? Pass --label-col {shlex.quote(hint)}." if hint
                            else "Pass --label-col NAME naming the column that holds the "
                                 "label."))
    _check_kept(path, frame, keep_columns, id_col, label_col)
    # at scoring, the model's label column (when the table still has it) is not a feature:
    # it is left as written, without notes on its types (yes/no labels are no odd numbers)
    label = getattr(model, "label_col_", None)
    keep: tuple[str, ...] = (id_col, label) if label and label != id_col else (id_col,)
    # a model's date columns (read as days since) stay text here: ``parse_table_dates`` reads
    # them, and a cell that is no date is an error naming it
    keep += tuple(getattr(model, "date_days_", ()))
    as_written = {c: frame[c] for c in getattr(model, "numeric_", ()) if c in frame.columns}
    frame = infer_table_types(frame, keep_text=keep,
                              exact=(label_col,) if label_col else (),
                              numeric=getattr(model, "numeric_", ()),
                              categorical=getattr(model, "categorical_", ()),
                              decimal_comma=getattr(model, "decimal_comma_", ()),
                              keep_columns=keep_columns)
    # what a model's number column held where no cell read as a number (the error that
    # stops scoring on it quotes the cells: ``training._customer_empty``)
    frame.attrs["brain.unread_cells"] = {
        c: written_cells(raw) for c, raw in as_written.items()
        if pd.to_numeric(frame[c], errors="coerce").isna().all()}
    frame = frame.rename(columns={id_col: "user_id"})
    file_rows = np.arange(1, len(frame) + 1)  # data rows counted from 1, as notes name them
    blank = frame["user_id"].isna().to_numpy() | frame["user_id"].astype(str).str.strip().eq(
        "").to_numpy()
    if blank.any():
        # a row without a customer id cannot be joined back (its score had been written with an
        # empty id) nor told apart from another (two of them read as a repeated customer 'nan')
        first = ", ".join(str(i + 1) for i in np.flatnonzero(blank)[:5])
        n = int(blank.sum())
        rows = "1 row has" if n == 1 else f"{n:,} rows have"
        show_note(f"{path.name}: {rows} no customer id in {id_col!r} (of {len(frame):,} rows; "
                  f"first at {'row' if n == 1 else 'rows'} {first}, data rows counted from 1): "
                  "left out, as every score and label needs a customer")
        frame = frame.loc[~blank].reset_index(drop=True)
        file_rows = file_rows[~blank]
    # 16270.0 from a float column, or '16270.0' written so, is customer 16270 (the scores of
    # a CRM export with such ids had been written under '16270.0' until 2026-12-06)
    written = frame["user_id"]
    frame["user_id"] = table_ids(written).astype(str)
    key = ["user_id", "cutoff"] if "cutoff" in frame.columns else ["user_id"]
    dup = frame.duplicated(key)
    if dup.any():
        ids = list(dict.fromkeys(frame.loc[dup, "user_id"]))
        # the rows of the first repeated customers, as the file wrote their ids ('20000' and
        # '20000.0' are one customer): the message had named the id alone
        every = frame.duplicated(key, keep=False).to_numpy()
        shown = []
        for uid in ids[:3]:
            at = np.flatnonzero(every & (frame["user_id"] == uid).to_numpy())
            forms = ", ".join(f"row {file_rows[i]}: {str(written.iloc[i]).strip()!r}"
                              for i in at[:3])
            shown.append(f"{uid!r} ({forms})")
        n_dup = int(dup.sum())
        raise ValueError(f"{path.name}: {n_dup:,} row{'s' if n_dup != 1 else ''} "
                         f"repeat{'s' if n_dup == 1 else ''} {len(ids):,} "
                         f"customer{'s' if len(ids) != 1 else ''} "
                         f"(first {'; '.join(shown)}; data rows counted from 1); the table "
                         "must hold one row per customer (per cutoff when a 'cutoff' column is "
                         "given): remove or merge the repeated rows (an id written '20000.0' is "
                         "the customer 20000)")
    if "cutoff" in frame.columns:
        frame["cutoff"] = pd.to_datetime(frame["cutoff"])
    frame.attrs["brain.id_col"] = id_col  # the one read (the model's own, see above)
    return frame


def _check_kept(path: Path, frame: pd.DataFrame, keep: tuple[str, ...], id_col: str,
                label_col: str | None) -> None:
    """Each ``--keep-column`` names a feature column of the table: one it does not have, or
    the id, the label, the 'cutoff' or a 'label_...' column (never features), is an error
    naming the file, the column and the columns there are (a misspelt name had to be found
    among the notes)."""
    columns = [str(c) for c in frame.columns]
    for name in keep:
        if name in (id_col, label_col) or (name in columns and (
                name == "cutoff" or name.startswith("label_"))):
            what = ("customer id" if name == id_col else "label" if name == label_col
                    else "snapshot date" if name == "cutoff" else "ignored label ('label_...')")
            raise ValueError(f"{path.name}: --keep-column {shlex.quote(name)} names the {what} "
                             f"column, which is never a feature; --keep-column takes a column "
                             "left out as an identifier (see the notes of brain train)")
        if name not in columns:
            hint = _close_column(name, [c for c in columns if c not in (id_col, label_col)])
            shown = ", ".join(repr(c) for c in columns[:30]) + (
                f" and {len(columns) - 30:,} more" if len(columns) > 30 else "")
            raise ValueError(f"{path.name}: --keep-column {shlex.quote(name)}: the table has no "
                             f"column {name!r}; its columns are {shown}. "
                             + (f"Did you mean {hint!r}?" if hint else
                                "Pass --keep-column with one of them (names are "
                                "case-sensitive)."))


def _useful_kept(path: Path, keep: tuple[str, ...], dropped: dict[str, str],
                 frame: pd.DataFrame) -> tuple[str, ...]:
    """The ``--keep-column`` columns that can be features: one empty in every row (blank, or
    'n/a' everywhere) is an error naming the file and the column, and one of a single value in
    every row a note; neither is recorded as kept (``kept_columns_``, the run's
    ``keep_columns``). Both had been recorded as kept and left out as 'all empty' or 'constant'
    among the other unused columns, so the model said it read a column it never could."""
    empty = [c for c in keep if dropped.get(c) == "all empty"]
    if empty:
        one = len(empty) == 1
        names = ", ".join(repr(c) for c in empty)
        drop = " ".join(f"--keep-column {shlex.quote(c)}" for c in empty)
        raise ValueError(f"{path.name}: --keep-column names {'a column' if one else 'columns'} "
                         f"without a value in any of the {len(frame):,} rows ({names}: empty, "
                         "or a spelling of 'no value' such as 'n/a', in every cell): there is "
                         f"nothing to learn from {'it' if one else 'them'}. Fill "
                         f"{'it' if one else 'them'} (is the export broken?), or drop {drop}")
    constant = [c for c in keep if str(dropped.get(c, "")).startswith("constant")]
    for c in constant:
        show_note(f"{path.name}: --keep-column {shlex.quote(c)}: the column is "
                  f"{dropped[c]}, so it cannot tell one customer from another: not used as a "
                  "feature and not recorded as kept; drop --keep-column "
                  f"{shlex.quote(c)}")
    return tuple(c for c in keep if c not in constant)


def _close_column(name: str, columns: list[str]) -> str | None:
    """A column that is ``name`` but for case, spaces and punctuation ('CustomerRef' for
    'customer_ref'), or a close spelling of it; None when there is none."""
    import difflib

    def key(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    same = [c for c in columns if key(c) == key(name)]
    if same:
        return same[0]
    close = difflib.get_close_matches(key(name), [key(c) for c in columns], n=1, cutoff=0.8)
    return next((c for c in columns if close and key(c) == close[0]), None)


@contextmanager
def _table_words(table: Path, id_col: str, task: str) -> Iterator[None]:
    """Errors and the model's notes about a user's table in its own terms: the file's name
    instead of the model's, and the user's id column instead of the internal 'user_id'.

    The notes (the model's log warnings about the table's cells: rows without a label,
    spellings read as one level) are printed as ``note:`` lines; they had reached the console
    as ``CustomerModel(churn): column 'Plan': ...`` through logging's fallback."""
    prefix = f"CustomerModel({task}):"

    def words(text: str) -> str:
        text = text.replace(prefix, f"{table.name}:", 1)
        return text.replace("'user_id'", repr(id_col)).replace("(user_id ", f"({id_col} ")

    def as_note(record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if not text.startswith(prefix):
            return True  # the model's warnings (leakage, no skill) stay as they are
        show_note(words(text))
        return False

    logger = logging.getLogger("training._customer_models")
    logger.addFilter(as_note)
    try:
        yield
    except ValueError as exc:
        raise ValueError(words(str(exc))) from None
    finally:
        logger.removeFilter(as_note)


def _events(data: Path | None, events: Path | None, calendar: Path | None, tz: str,
            allow: str, on_duplicate: str = "drop") -> tuple[pd.DataFrame, pd.DataFrame | None]:
    import features as ft

    path = find_file(data, events, "events")
    assert path is not None  # required=True: find_file raises instead of returning None
    step(f"loading {path}")
    ev = ft.load_events(path, tz=tz, extra_event_types=tuple(
        t.strip() for t in allow.split(",") if t.strip()),
        on_duplicate=on_duplicate)  # type: ignore[arg-type]
    print_notes(ev)
    cal_path = find_file(data, calendar, "calendar", required=False)
    return ev, (ft.load_calendar(cal_path, tz=tz) if cal_path else None)


def build_training_frame(events: pd.DataFrame, calendar: pd.DataFrame | None, horizon: int,
                         n_cutoffs: int, step_days: int, last_cutoff: str | None,
                         churn_needs_no_visit: bool = False) -> pd.DataFrame:
    """Stacked features + labels at ``n_cutoffs`` cutoffs ``step_days`` apart (latest that fits)."""
    import features as ft

    cuts = ft.cutoff_schedule(events, horizon, n_cutoffs=n_cutoffs, step_days=step_days,
                              last=last_cutoff)
    step(f"building features + {horizon}-day labels at {len(cuts)} cutoffs "
         f"({cuts[0].date()} .. {cuts[-1].date()}, {step_days} days apart)")
    with progress_bar("features + labels") as update:
        return ft.build_training_set(events, cuts, horizon, calendar=calendar,
                                     churn_needs_no_visit=churn_needs_no_visit, progress=update)


def _uninformative(frame: pd.DataFrame, keep: tuple[str, ...]) -> dict[str, str]:
    """Columns of a table that cannot inform a model: all empty, or one value in every row."""
    out: dict[str, str] = {}
    for col in frame.columns:
        if col in keep or col.startswith("label_"):
            continue
        s = frame[col]
        if s.isna().all():
            out[col] = "all empty"
        elif s.notna().all() and s.nunique() == 1:
            out[col] = f"constant ({_plain(s.iloc[0])} in every row)"
    return out


def _plain(value: object) -> str:
    """A cell for a note: numbers as plain numbers (``0``, ``2.5``; never ``np.float64(0.0)``),
    text quoted (``'US'``)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (bool, int)):
        return str(value)
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _table_asof(feats: pd.DataFrame, asof: pd.Timestamp | None) -> pd.Series:
    """The ``asof`` column of table scores: the row's ``cutoff`` when the table has one, else
    ``--asof``, else empty (the table does not say when its features were taken)."""
    if "cutoff" in feats.columns:
        if asof is not None:
            console.print("[yellow]note:[/] the table has a 'cutoff' column; the asof column "
                          "holds it and --asof is not used", highlight=False)
        return pd.Series(pd.to_datetime(feats["cutoff"]).to_numpy(), name="asof")
    return pd.Series(pd.NaT if asof is None else asof, index=range(len(feats)),
                     dtype="datetime64[ns]", name="asof")


def _with_asof(frame: pd.DataFrame, asof: pd.Timestamp | None, name: str,
               note: bool = True) -> pd.DataFrame:
    """The table with an ``asof`` column holding ``--asof`` (the date it was taken, for every
    row), from which the model reads its date columns as days since; a table with a
    ``cutoff`` column keeps its own date per row (cutoff wins; ``note``: say so)."""
    if asof is None:
        return frame
    if "cutoff" in frame.columns:
        if note:
            show_note(f"{name}: the table has a 'cutoff' column, so each row's snapshot date is "
                      "its cutoff and --asof is not used")
        return frame
    if "asof" in frame.columns:  # the table's own column of that name: replaced, said
        show_note(f"{name}: the table's own 'asof' column is replaced by --asof "
                  f"{asof:%Y-%m-%d} (the date its date columns count days from)")
    out = frame.copy()
    out["asof"] = asof.normalize()
    out.attrs["brain.asof_added"] = "asof" not in frame.columns
    return out


def _check_asof(events: pd.DataFrame, asof: pd.Timestamp, what: str = "scored",
                option: str = "--asof") -> None:
    """Error when ``asof`` is not after the first event; note when it is after the day after
    the last event (every customer then looks inactive for the gap)."""
    first, last = events["ts"].min(), events["ts"].max()
    if asof <= first:
        raise ValueError(f"{option} {asof:%Y-%m-%d} is not after the first event ({first}), so "
                         "no customer has history before it; use a date after it (the events "
                         f"run from {first:%Y-%m-%d} to {last:%Y-%m-%d})")
    day_after = last.normalize() + pd.Timedelta(days=1)
    # by the day: a time on the day after the data ('2025-12-03 08:30') had been told it was
    # "0 days after the last event", with the same day as the fix
    if asof.normalize() > day_after:
        # in calendar days, as the fix's date is one: 2025-12-05 after an event at
        # 2025-12-03 23:00 had been "1 day after" it, as had the fix, 2025-12-04
        gap = (asof.normalize() - last.normalize()).days
        err_console.print(f"[yellow]warning:[/] {option} {asof:%Y-%m-%d} is {gap:,} "
                          f"day{'s' if gap != 1 else ''} after the last event ({last}); "
                          f"customers are {what} as if nobody bought or visited since. To use "
                          f"the end of the data: {option} {day_after:%Y-%m-%d}",
                          highlight=False, soft_wrap=True)


def _active_customers(ev: pd.DataFrame, asof: pd.Timestamp, days: int) -> pd.DataFrame:
    """The events of customers with any event but a refund in the ``days`` before ``asof`` (a
    note counts the others, who are not scored): a refund is not engagement."""
    earlier = ev[ev["ts"] < asof]
    before = earlier[earlier["event_type"].astype(str) != "refund"]
    last = before.groupby("user_id", observed=True)["ts"].max()
    keep = last.index[last >= asof - pd.Timedelta(days=days)]
    gone = len(last) - len(keep)
    # customers with refunds only are left out too: count them, so the note adds up
    refunds_only = earlier["user_id"].nunique() - len(last)
    only = (f", nor {refunds_only:,} with refunds only" if refunds_only else "")
    show_note(f"--active-within {days}: {len(keep):,} customers with an event (not counting "
              f"refunds) in the {days} days before {asof:%Y-%m-%d} are scored; {gone:,} "
              f"without one are not{only}")
    return ev[ev["user_id"].isin(keep)]
