"""One check for every path that scores a customer table: a number column the model learned
from that has no readable number in any row (every cell 'n/a', blank, or text that is no
number) stops the scoring with ``EmptyColumnsError`` naming the column, its cells as written and
the fix, unless the caller asks to score anyway.

``brain score --table`` (``--allow-empty-columns``), the pyfunc given a table
(``params={"allow_empty_columns": True}``) and the API's live rows of a table model
(``"allow_empty_columns": true``, a 400 ``unreadable_columns`` otherwise) call
``check_empty_columns``; only the words of the option differ. Until 2026-12-07 only the CLI
checked: the pyfunc and the API scored every customer as if the value were unknown.

The rule holds for ``EMPTY_CHECK_ROWS`` rows or more: fewer rows (a live request for one
customer) can all lack a value by chance, so their empty or missing-spelled cells ('n/a') are
missing values; text that is no number is an error there by the API's own check
(``not_a_number``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["EMPTY_CHECK_ROWS", "EmptyColumnsError", "check_empty_columns", "empty_columns",
           "written_cells"]

EMPTY_CHECK_ROWS = 20
"""Rows from which a number column without a value in any row is an error (and a note in
``empty_columns_note``): a handful of rows can all lack a value by chance."""


class EmptyColumnsError(ValueError):
    """A scored table's number columns (``columns``) the model learned from hold no readable
    number in any row; the message names the table, the columns, their cells and the fix."""

    def __init__(self, message: str, columns: list[str]) -> None:
        super().__init__(message)
        self.columns = columns


def empty_columns(typical: Mapping[str, float], features: pd.DataFrame) -> list[str]:
    """The model's numeric columns (``typical_``: their value at fit, finite when they had
    values) with no value in any row of ``features`` (empty, or not one cell read as a
    number), whatever the number of rows."""
    from ._customer_meanings import missing_meaning

    # an empty pipeline feature with a meaning ('has never ordered') is a value, not a gap
    return [c for c, t in typical.items() if np.isfinite(t) and c in features.columns
            and missing_meaning(c) is None
            and pd.to_numeric(features[c], errors="coerce").isna().all()]


def written_cells(raw: pd.Series, show: int = 3) -> str:
    """"'n/a' 1,000 rows" for a column's commonest cells as written (blank or null cells as
    '<empty>')."""
    text = raw.astype("string").str.strip().fillna("").replace("", "<empty>")
    counts = text.value_counts()
    shown = ", ".join(f"{v if v == '<empty>' else repr(v)} {n:,} row{'s' if n != 1 else ''}"
                      for v, n in counts.head(show).items())
    return shown + (f" and {len(counts) - show:,} other values" if len(counts) > show else "")


def _message(name: str, columns: list[str], rows: int, written: Mapping[str, str],
             decimal_comma: Collection[str], option: str) -> str:
    parts = "; ".join(f"{c!r} ({written[c]})" if c in written else repr(c) for c in columns)
    one = len(columns) == 1
    comma = [c for c in columns if c in decimal_comma]
    how = ("with decimal commas such as '37,03'" if comma else "such as 37.03")
    return (f"{name}: {'column' if one else 'columns'} {parts} "
            f"{'has' if one else 'have'} no value that reads as a number in any row (all "
            f"{rows:,} rows scored), but the model learned from "
            f"{'its' if one else 'their'} numbers: every customer would be scored as if "
            f"{'it' if one else 'they'} were unknown, which moves every score. Fix: write "
            f"numbers in {'that column' if one else 'those columns'} as at training, {how} "
            "(is the export broken, or is it another column's contents?), "
            "or retrain without "
            f"{'it' if one else 'them'}; to score anyway with the value unknown for everyone, "
            f"{option}")


def check_empty_columns(model: Any, features: pd.DataFrame, *, name: str, option: str,
                        written: Mapping[str, pd.Series | str] | None = None) -> None:
    """Raise ``EmptyColumnsError`` when ``features`` (``EMPTY_CHECK_ROWS`` rows or more, typed
    as the model reads them) has a number column of ``model`` (a ``CustomerModel``) without a
    value in any row. ``name`` opens the message (the file, ``rows``); ``option`` is how this
    caller scores anyway (``pass --allow-empty-columns``); ``written``: the columns' cells as
    the caller received them (a Series, or ``written_cells``' text), quoted in the message."""
    if len(features) < EMPTY_CHECK_ROWS:
        return
    empty = empty_columns(getattr(model, "typical_", None) or {}, features)
    if not empty:
        return
    said = {c: v if isinstance(v, str) else written_cells(v)
            for c, v in (written or {}).items() if c in empty}
    raise EmptyColumnsError(_message(name, empty, len(features), said,
                                     getattr(model, "decimal_comma_", ()) or (), option), empty)
