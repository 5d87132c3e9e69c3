"""Customer tables (bring your own features): a CSV arrives as text, so each column gets a type.

``infer_table_types`` decides per column: numbers (a few odd cells allowed and noted), dates
(one format per column, reported as skipped features), identifiers or free text (dropped with a
note), or categories; ``parse_table_cutoff`` reads a table's ``cutoff`` column. Rules and their
defined behaviour: docs/data-contracts.md, "customer tables"; tests/features/test_table_typing.py.
"""

from __future__ import annotations

import logging
import math
import re
import shlex
import unicodedata
from collections.abc import Collection

import numpy as np
import pandas as pd

from ._contracts import DataContractError, LoadReport, Problem, problem_rows
from ._parse import (
    _COMMA_DECIMAL_ANY,
    MISSING_SPELLINGS,
    _numbers,
    _one_format,
    _parse_time,
    _swapped,
)
from ._times import _TIMED_OFFSET, _to_datetime

__all__ = ["ID_LIKE_MIN_ROWS", "ID_LIKE_SHARE", "ISO_FORMAT", "ODD_CELLS_MAX", "ODD_CELLS_SHARE",
           "ONCE_SHARE", "empty_share", "id_like_numbers", "infer_table_types", "name_words",
           "number_cells", "parse_table_cutoff", "parse_table_dates", "table_ids"]

_log = logging.getLogger("features.io")  # the loaders' logger: the CLI prints it as notes

ODD_CELLS_SHARE, ODD_CELLS_MAX = 0.05, 10_000
"""A column is numbers (or dates) when at most this share and this many of its non-missing
cells are not; those cells become missing and are reported in a note."""

NEARLY_NUMBERS = 0.9
"""A text column with at least this share of number cells gets a note: its odd cells cost the
model its numbers."""

ID_LIKE_SHARE, ID_LIKE_MIN_ROWS = 0.95, 100
"""A text column with at least this many non-missing cells, this share or more of them distinct,
is an identifier or free text: dropped (with a note) instead of becoming a category feature."""

FREE_TEXT_WORDS = 3
"""A text column of nearly one value per row whose cells have a median of this many words or
more (split at spaces) is called free text (a comment field) in the note that leaves it out."""
ONCE_SHARE = 0.5
"""A text column kept as a category (not id-like, at least ``ID_LIKE_MIN_ROWS`` filled cells)
whose values held by one row only fill this share of its filled cells or more gets a note:
free text, mostly unlearnable (only scoring had said so, as unseen levels)."""

_PERCENT = r"[-+]?(\d[\d,]*)?\.?\d+\s*%"
"""A percentage cell: a number and a percent sign (read as the number: '12%' is 12)."""

_ISO_DATE = (r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
             r"(\s?(Z|[+-]\d{2}(:?\d{2})?))?)?$")
"""An ISO 8601 date or time, with or without a UTC offset ('2026-03-08T10:00:00Z', as CRM
exports and APIs write them; until 2026-12-07 such a column was text, left out as an identifier)."""
ISO_FORMAT = "ISO8601"
"""A date column's format in ``attrs["date_formats"]`` when its dates are ISO 8601."""


SAMPLE_CELLS = 200
"""Cells (spread evenly over a column) that decide cheaply whether it may be numbers or dates."""

GATE_SHARE = 0.5
"""A column whose sample is at least this share numbers (dates) has every cell counted; the
full count decides its type, so the result does not depend on the order of the rows."""


def _spread(present: pd.Series, n: int) -> pd.Series:
    """``n`` cells of ``present`` spread evenly from its first to its last (all when fewer)."""
    if len(present) <= n:
        return present
    return present.iloc[np.linspace(0, len(present) - 1, n).round().astype(int)]


def _few(n_odd: int, n_present: int) -> bool:
    return n_odd <= min(ODD_CELLS_MAX, ODD_CELLS_SHARE * n_present)


def _cells(mask: pd.Series, raw: pd.Series, count: bool = True) -> str:
    """'3 cells; first at row 5: 'N/A', ...' for the rows of ``raw`` where ``mask`` holds
    (without ``count``: 'first at row 5: 'N/A', ...')."""
    n, rows, ex = problem_rows(mask.reindex(raw.index, fill_value=False).to_numpy(), raw)
    shown = ", ".join(f"{r}: {e!r}" for r, e in zip(rows, ex, strict=True))
    return (f"{n} cell{'s' if n != 1 else ''}; " if count else "") + f"first at row {shown}"


def _dates(present: pd.Series) -> tuple[pd.Series, str, str | None]:
    """Dates read from text cells with one format (ISO first), a note on the reading, and the
    format read (``"ISO8601"``, an explicit one such as ``"%d/%m/%Y"``, or None when none
    reads any)."""
    iso = present.str.match(_ISO_DATE).fillna(False).astype(bool)
    zoned = int((iso & present.str.contains(_TIMED_OFFSET, na=False)).sum())
    # a mix is read value by value, as scoring reads it (``parse_table_dates``), and said
    mixed = (f"{zoned:,} of {int(iso.sum()):,} times have a UTC offset and are read in UTC, "
             "the others as written" if 0 < zoned < int(iso.sum()) else "")
    if iso.all():
        return _iso_dates(present), mixed, ISO_FORMAT
    fmt, parsed, ambiguous = _one_format(present, pd.Series(True, index=present.index))
    if int(iso.sum()) > int(parsed.notna().sum()):
        # ISO dates with a few cells that are none ('unknown'): the other cells are the odd
        # ones, counted as a number column's are (until 2026-12-07 no format read the column,
        # and a last-purchase date became a category of one level per customer, in silence)
        return _iso_dates(present.where(iso)), mixed, ISO_FORMAT
    if ambiguous:
        first = ambiguous.split()[0]
        return parsed, f"day/month order is ambiguous ({ambiguous}); read as {first}", first
    return parsed, f"format {fmt}" if fmt else "", fmt


def _iso_dates(text: pd.Series) -> pd.Series:
    """ISO 8601 cells as tz-naive times; a time with a UTC offset is converted to UTC (as
    ``parse_table_dates`` reads it at scoring); a cell that is none is NaT."""
    if bool(text.str.contains(_TIMED_OFFSET, na=False).any()):
        return _to_datetime(text, format="ISO8601", utc=True).dt.tz_localize(None)
    return _to_datetime(text, format="ISO8601")


def _rows(mask: pd.Series) -> str:
    """'first at rows 3, 7, 12' (data rows counted from 1) for the cells where ``mask`` holds."""
    n, rows, _ = problem_rows(mask.to_numpy())
    return f"first at row{'s' if min(n, len(rows)) > 1 else ''} {', '.join(map(str, rows))}"


EMPTY_COLUMNS_SHOWN = 5
"""Columns named in the one note on empty cells (the others are counted)."""


def _empty_note(empties: list[tuple[str, int, int, str]]) -> str:
    """One note on the empty cells of every number and date column of a table: a table whose
    columns all have a few gaps gets one line, not one per column."""
    shown = "; ".join(f"column '{name}' {n:,} of {rows:,} ({where})"
                      for name, n, rows, where in empties[:EMPTY_COLUMNS_SHOWN])
    if len(empties) == 1:
        return f"empty cells read as missing: {shown}"
    more = len(empties) - EMPTY_COLUMNS_SHOWN
    total = sum(n for _, n, _, _ in empties)
    return (f"empty cells read as missing in {len(empties)} columns ({total:,} cells): {shown}"
            + (f"; and {more} more column{'s' if more > 1 else ''}" if more > 0 else ""))


def empty_share(share: float) -> str:
    """A share of empty cells as the notes write it: '8.0%', 'under 0.1%' (never '0.0%')."""
    return "under 0.1%" if 0 < share < 0.001 else f"{share:.1%}"


TEXT_EMPTY_MEANING = ("read as missing: not a level of their own, the model scores such a cell "
                      "as it scores a value it never saw (LightGBM's missing value)")
"""What an empty cell of a category column is to a customer model (``CustomerModel``: no level,
code -1, NaN to LightGBM, as an unseen value at scoring)."""


def _text_empty_note(empties: list[tuple[str, int, int, str]]) -> str:
    """One note on the empty cells of every text (category) column of a table: each column's
    count, share and first rows (``EMPTY_COLUMNS_SHOWN`` of them, the others counted), and what
    the model makes of them. Until 2026-12-07 they were read as missing without a word."""
    shown = "; ".join(f"'{name}' {n:,} of {rows:,} ({empty_share(n / rows)}; {where})"
                      for name, n, rows, where in empties[:EMPTY_COLUMNS_SHOWN])
    more = len(empties) - EMPTY_COLUMNS_SHOWN
    cols = (f"column {shown}" if len(empties) == 1 else
            f"{len(empties)} columns: {shown}"
            + (f"; and {more} more column{'s' if more > 1 else ''}" if more > 0 else ""))
    return f"empty cells of text columns, {cols}: {TEXT_EMPTY_MEANING}"


def _decimal_comma_read(present: pd.Series, values: pd.Series, stripped: bool,
                        decimal_comma: bool) -> list[str]:
    """What reading ``present`` as numbers (``values``, same index) removed or changed, for the
    column's note: decimal commas (a ';'-separated file), currency symbols, separators."""
    if not stripped:
        return []
    if not decimal_comma:
        return ["currency symbols and thousands separators removed"]
    # a ';' file's cells go through the decimal-comma reading whenever one cell is no plain
    # number ('abc' among integers): only what was there is named (a column of integers with
    # one odd cell had read 'currency symbols and thousands separators removed')
    comma = (present.str.contains(",", regex=False).fillna(False).astype(bool)
             & values.notna())
    out = []
    if comma.any():
        at = comma[comma].index[0]
        out.append(f"',' read as the decimal mark, as ';'-separated files write numbers "
                   f"({present[at]!r} is {values[at]:g})")
    elif (present.str.match(_COMMA_DECIMAL_ANY).fillna(False)
          & present.str.contains(".", regex=False).fillna(False)).any():
        out.append("'.' between thousands removed")
    if present.str.contains(r"[$€£¥₹]").fillna(False).any():
        out.append("currency symbols removed")
    return out


def _type_column(name: str, raw: pd.Series, numeric: bool, exact: bool,
                 notes: list[str], empties: list[tuple[str, int, int, str]] | None = None,
                 decimal_comma: bool = False, formats: dict[str, str] | None = None,
                 text_empties: list[tuple[str, int, int, str]] | None = None,
                 keep: bool = False, snapshot: pd.Series | None = None
                 ) -> tuple[str, pd.Series | None]:
    """``("number" | "date", typed)``, ``("id", None)`` (drop) or ``("text", None)`` (keep).

    ``decimal_comma``: the table came from a ';'-separated file, whose numbers have ',' as the
    decimal mark ('19,19' is 19.19, '1.234,50' 1234.5), as the events and series readers read
    such files.

    Empty cells of a number or date column whose other missing cells are all empty go to
    ``empties`` (name, count, rows, first rows) for one note on the table (``_empty_note``);
    with spelled ones ('N/A') they are counted in that column's note. A date column's format
    goes to ``formats`` (name: format); the empty cells of a column kept as text (a category)
    to ``text_empties``, for one note on them (``_text_empty_note``). ``keep``: a column the
    user keeps (``--keep-column``) is a category even with nearly one value per row.
    ``snapshot``: the rows of one snapshot of a stacked table (``one_snapshot``), on which
    "one value per row" is judged."""
    unstripped = raw.astype("string")
    text = unstripped.str.strip()
    missing = (text.isna() | text.str.lower().isin(MISSING_SPELLINGS)).fillna(True)
    # spelled out: 'N/A', 'null', or blanks (' ', which a CSV keeps as text); not empty cells
    spelled = (missing & unstripped.notna() & (unstripped != "")).fillna(False)
    # empty cells (a CSV's ',,'), counted too (until 2026-12-06 read as missing without a note,
    # while docs/data-contracts.md listed them among the counted ones); not for a label, whose
    # empty cells the model counts as rows without a label
    empty = (missing & ~spelled) if not exact else pd.Series(False, index=raw.index)
    present = text[~missing]
    # percentages ('12%', '-3.5 %'): the number before the sign, so a discount or a rate column
    # is numbers, not a category of levels '5%', '10%' ... that a new '15%' would miss
    percent = present.str.fullmatch(_PERCENT).fillna(False)
    percented = (not exact and bool(percent.any())
                 and (numeric or float(percent.mean()) >= GATE_SHARE))
    if percented:
        present = present.mask(percent, present.str.replace(r"\s*%$", "", regex=True))
    # text columns are rejected without a pass over every cell, on a sample spread evenly over
    # the column: the first 200 cells were all '#VALUE!' in an export sorted by that column as
    # text, and a column with 4% such cells became a category of 6,626 levels
    sample = _spread(present, SAMPLE_CELLS)
    limit = 0 if exact else min(ODD_CELLS_MAX, ODD_CELLS_SHARE * len(present))
    # the sample only decides cheaply whether a column can be numbers or dates at all; a
    # sample at least half numbers (or dates) gets the full count, which decides
    number_values: pd.Series | None = None  # every cell read as a number, once
    for kind in ("number", "date"):
        if kind == "number":
            if not numeric and exact and _numbers(sample, decimal_comma)[0].isna().any():
                continue
            if not numeric and _numbers(sample, decimal_comma)[0].notna().mean() < GATE_SHARE:
                continue
            values, stripped = _numbers(present, decimal_comma)
            number_values = values
            how = "; ".join(
                [*_decimal_comma_read(present, values, stripped, decimal_comma),
                 *([f"percent signs removed ({int(percent.sum()):,} cells; '12%' is 12)"]
                   if percented else [])])
            typed = pd.Series(np.nan, index=raw.index, dtype="float64")
        else:
            no_digit = ~sample.str.contains(r"\d")  # cheap first: a date has digits
            if (no_digit.mean() > 1 - GATE_SHARE or (exact and no_digit.any())
                    or _dates(sample)[0].notna().mean() < GATE_SHARE):
                continue
            values, how, fmt = _dates(present)
            if formats is not None and fmt:
                formats[name] = fmt
            typed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        odd = values.isna()
        if int(odd.sum()) > limit and not (kind == "number" and numeric):
            continue
        typed[~missing] = values.to_numpy()
        what = "numbers" if kind == "number" else "dates"
        if how:
            notes.append(f"column '{name}' read as {what}: {how}")
        if odd.all() and len(odd) > 1 and numeric:  # a broken export, not a few odd cells
            notes.append(f"column '{name}' was numbers at training, but none of its "
                         f"{len(odd):,} filled cells here is a number ({_cells(odd, raw, False)}"
                         "): every one was read as missing, so every customer is scored as if "
                         "the value were unknown; write plain numbers, or retrain")
        elif odd.any():
            notes.append(f"column '{name}' holds {what}; values that are not were read as "
                         f"missing ({_cells(odd, raw)})")
        n_empty = int(empty.sum())
        if spelled.any():
            words = sorted(set(unstripped[spelled].astype(str)))[:3]
            also = (f", and {n_empty:,} empty cell{'s' if n_empty > 1 else ''} ({_rows(empty)})"
                    if n_empty else "")
            n_spelled = int(spelled.sum())
            notes.append(f"column '{name}': {n_spelled:,} cell{'s' if n_spelled != 1 else ''} "
                         f"such as {words} ({_rows(spelled)}) read as missing{also}")
        elif n_empty and empties is not None:
            empties.append((name, n_empty, len(raw), _rows(empty)))
        return kind, typed
    if exact:  # a label: its own check names the values it cannot read (yes/no are fine)
        return "text", None
    n_levels = int(present.nunique())
    one, where = _in_one_snapshot(present, snapshot)
    n_one = int(one.nunique())
    if len(present) and number_values is not None:  # the sample was half numbers or more
        odd = number_values.isna()
        if 1 - odd.mean() >= NEARLY_NUMBERS:
            share = math.floor(1000 * (1 - odd.mean())) / 10  # 99.96% is not '100.0%'
            notes.append(
                f"column '{name}' is {share:.1f}% numbers, but {int(odd.sum()):,} of its "
                f"{len(present):,} filled cells are not ({_cells(odd, raw, count=False)}): "
                f"more than a number column may have ({ODD_CELLS_SHARE:.0%} of its cells and "
                f"at most {ODD_CELLS_MAX:,}), so it is read as text with {n_levels:,} distinct "
                "values and its numbers are lost to the model. Blank out or fix those cells to "
                "use it as numbers")
    if (not keep and len(one) >= ID_LIKE_MIN_ROWS
            and n_one >= ID_LIKE_SHARE * len(one)):
        # no --keep-column hint: kept, text of one value per row is a category of one-row
        # levels the trees cannot learn from (a comment field had been pointed at the option)
        words = sample.str.split().str.len()
        notes.append(f"column '{name}' has {n_one:,} distinct values in {len(one):,} "
                     f"rows{where} " + ("(free text: most cells are several words): not used as a "
                                "feature" + (". To use it, derive a few categories from it (a "
                                             "topic, a complaint yes/no) in a column of their "
                                             "own" if text_empties is not None else "")
                                if len(words) and float(words.median()) >= FREE_TEXT_WORDS
                                else "(an identifier or free text): not used as a feature"))
        return "id", None
    once = int((one.value_counts() == 1).sum())
    if len(one) >= ID_LIKE_MIN_ROWS and once >= ONCE_SHARE * len(one):
        # free text with a reference number in most cells ('called about bill (ref 51266)'):
        # a category of thousands of one-row levels, which the trees cannot learn from and
        # which new customers never match (until 2026-12-06 only scoring said so)
        notes.append(f"column '{name}' has {n_one:,} distinct values in {len(one):,} "
                     f"filled rows{where}, and {once:,} of those rows ({once / len(one):.0%}) "
                     "hold a value no other row has (free text, or codes with a reference "
                     "number?): it is used as a category, but a value seen once teaches the "
                     "model nothing and customers scored later bring new ones, scored as "
                     "missing. Drop it, or derive a few categories from it")
    blank = raw.isna() | (unstripped == "").fillna(False)  # a CSV's ',,' (read_table: NaN)
    if blank.any() and text_empties is not None:
        text_empties.append((name, int(blank.sum()), len(raw), _rows(blank)))
    return "text", None


_ID_WORDS = frozenset({
    "id", "no", "nr", "num", "number", "code", "key", "account", "ref",
    # other languages, accents dropped: Kundennummer, numéro_client, klantnummer, código,
    # Kundennr, identificador, matricule, codice_cliente, kennung, referentie
    "nummer", "numero", "nro", "codigo", "codice", "kode", "ident", "identifiant",
    "identificador", "identificativo", "identificatie", "kennung", "matricule", "referentie",
    "referencia", "reference", "riferimento", "kundennr", "klantnr"})
_ID_ENDINGS = ("nummer", "nr")
"""Compound words ending so (German and Dutch ``Kundennummer``, ``klantnummer``, ``KdNr``)
read as identifiers too."""
_CODE_WORDS = frozenset({"zip", "zipcode", "postal", "postcode", "plz", "phone", "tel",
                         "telephone", "mobile", "iban"})
"""Words of a column's name (split at ``_``, spaces and camelCase) that make a column of whole
numbers an identifier (with nearly one value per row: ``AccountNo``, ``customer_number``) or a
code (``ZipCode``, ``PLZ``, ``phone``): neither is a quantity, so neither is a number feature."""


def name_words(name: str) -> set[str]:
    """A column name's words, lower case and without accents: split at anything that is not
    a letter or digit and at camelCase (``numéro_client`` -> numero, client; ``AccountNo`` ->
    account, no; ``KdNr`` -> kd, nr)."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", name)
                    if not unicodedata.combining(ch))
    words: set[str] = set()
    for part in re.split(r"[\W_]+", plain):
        words.update(w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", part))
    return words


def _named_as_id(words: set[str]) -> bool:
    return bool(words & _ID_WORDS) or any(
        w.endswith(_ID_ENDINGS) and len(w) > 4 for w in words)


def keep_hint(name: str) -> str:
    """The end of a note on a column left out as an identifier at training: how to keep it
    (``brain train ... --table --keep-column``)."""
    return (". To use it anyway (a customer number given in signup order tells tenure), pass "
            f"--keep-column {shlex.quote(name)}")


def one_snapshot(cutoff: pd.Series | None) -> pd.Series | None:
    """The rows of one snapshot of a stacked customer table (its ``cutoff`` column: the
    snapshot with the most rows, the latest of equals), on which the identifier rules judge
    "nearly one value per row"; None without a cutoff column, with one snapshot, or when
    every snapshot is under ``ID_LIKE_MIN_ROWS`` rows (the rules then judge the whole stack).
    Over the whole stack an e-mail or an account number repeats once per snapshot: 3,000
    customers at two cutoffs had kept 'AccountNo' as a number and 'Email' and a comment field
    as categories (3,000 distinct in 6,000 rows), which the model learned customers from."""
    if cutoff is None or cutoff.nunique() < 2:
        return None
    counts = cutoff.value_counts()
    if counts.max() < ID_LIKE_MIN_ROWS:  # too few to judge: the whole stack, as before
        return None
    top = counts[counts == counts.max()].index.max()
    return (cutoff == top).fillna(False).astype(bool)


def _in_one_snapshot(values: pd.Series, snapshot: pd.Series | None) -> tuple[pd.Series, str]:
    """``values`` (a column's filled cells) in ``snapshot``'s rows, and the words that say so in
    a note (' of one cutoff'); all of them and '' without a snapshot."""
    if snapshot is None:
        return values, ""
    mask = snapshot.reindex(values.index, fill_value=False).to_numpy(dtype=bool)
    return values[mask], " of one cutoff"


def _keep_matters(name: str, raw: pd.Series, decimal_comma: bool,
                  snapshot: pd.Series | None) -> bool:
    """Whether ``--keep-column`` changes how a column is read at training: whether, without
    it, the column would be left out as an identifier or free text, or its numbers read as a
    code. Judged with the rules themselves on a throwaway pass (their notes discarded)."""
    notes: list[str] = []
    if pd.api.types.is_integer_dtype(raw.dtype):  # a Parquet file's ints
        return _number_named_as_code(name, raw.astype("string"), raw.astype("float64"),
                                     notes, snapshot) != "number"
    if not (pd.api.types.is_object_dtype(raw.dtype) or pd.api.types.is_string_dtype(raw.dtype)):
        return False  # numbers, dates or yes/no as read: no rule leaves them out
    kind, typed = _type_column(name, raw, False, False, notes, [], decimal_comma, {}, [],
                               keep=False, snapshot=snapshot)
    if kind == "id":
        return True
    return (typed is not None and kind == "number"
            and _number_named_as_code(name, raw, typed, notes, snapshot) != "number")


def _number_named_as_code(name: str, raw: pd.Series, typed: pd.Series,
                          notes: list[str], snapshot: pd.Series | None = None) -> str:
    """At training, the kind of a column read as numbers whose name says it is not a quantity:
    ``"id"`` (dropped) for whole numbers named as an identifier with nearly one value per row
    (``ID_LIKE_SHARE``), ``"text"`` (a category, or dropped as id-like) for a postal code or
    phone number, else ``"number"``. Until 2026-12-07 an account number and a ZIP code were
    number features: a generated CRM table's ``AccountNo`` took 8% of the trees' gain and
    ``ZipCode`` (random) 5%, and reasons read "AccountNo is high"."""
    words = name_words(name)
    filled = typed.dropna()
    if filled.empty or not filled.eq(filled.round()).all():
        return "number"
    filled, where = _in_one_snapshot(filled, snapshot)
    if words & _CODE_WORDS:
        notes.append(f"column '{name}' holds whole numbers, but its name says they are codes "
                     "(a postal code or phone number), not quantities: read as text")
        text = raw.astype("string").str.strip()
        present, where = _in_one_snapshot(text[text.notna() & (text != "")], snapshot)
        if (len(present) >= ID_LIKE_MIN_ROWS
                and present.nunique() >= ID_LIKE_SHARE * len(present)):
            notes.append(f"column '{name}' has {present.nunique():,} distinct values in "
                         f"{len(present):,} rows{where} (an identifier or free text): not used "
                         "as a feature" + keep_hint(name))
            return "id"
        return "text"
    distinct = filled.nunique()
    if (_named_as_id(words) and len(filled) >= ID_LIKE_MIN_ROWS
            and distinct >= ID_LIKE_SHARE * len(filled)):
        notes.append(f"column '{name}' holds whole numbers, {distinct:,} distinct in "
                     f"{len(filled):,} rows{where}, and its name reads as an identifier (an "
                     "account or customer number): not used as a feature" + keep_hint(name))
        return "id"
    return "number"


def number_cells(cells: pd.Series, decimal_comma: bool = False) -> tuple[pd.Series, pd.Series]:
    """Text cells of a model's number column read as ``infer_table_types`` reads them at
    scoring: surrounding spaces dropped, ``MISSING_SPELLINGS`` missing, ``'12%'`` 12, currency
    symbols and thousands separators removed (``'$1,234.50'`` is 1234.5).

    ``decimal_comma``: the column was read with ',' as the decimal mark when the model was
    trained (a ';'-separated table; ``CustomerModel.decimal_comma_``): ``'19,19'`` is 19.19,
    ``'1.234,50'`` 1234.5 and ``'1,234'`` 1.234, as ``brain score --table`` reads that column.

    Returns ``(values, missing)``: float64 values (NaN where the cell is missing or not a
    number) and whether each cell was a missing spelling. The API reads live rows of a table
    model with it (``serving._answers``), so ``"31"`` and ``"$17.71"`` score as in ``brain
    score --table``."""
    text = cells.astype("string").str.strip()
    missing = (text.isna() | text.str.lower().isin(MISSING_SPELLINGS)).fillna(True)
    present = text[~missing]
    percent = present.str.fullmatch(_PERCENT).fillna(False)
    present = present.mask(percent, present.str.replace(r"\s*%$", "", regex=True))
    values = pd.Series(np.nan, index=cells.index, dtype="float64")
    if len(present):
        values[present.index] = _numbers(present, decimal_comma)[0].astype("float64")
    return values, missing.astype(bool)


def infer_table_types(df: pd.DataFrame, keep_text: tuple[str, ...] = (), *,
                      numeric: Collection[str] = (), categorical: Collection[str] = (),
                      exact: Collection[str] = (),
                      decimal_comma: Collection[str] = (),
                      keep_columns: Collection[str] = ()) -> pd.DataFrame:
    """Give text columns of a customer table their real type (CSV cells arrive as text).

    Rules (documented with their thresholds in docs/data-contracts.md, *customer tables*):

    - ``MISSING_SPELLINGS`` (N/A, NA, null, none, -, ?, empty; any case) are missing;
    - a column whose non-missing cells are numbers, except at most ``ODD_CELLS_SHARE`` and
      ``ODD_CELLS_MAX`` of them, is numeric; the odd cells become missing and a note names the
      column, the count and the first rows. Currency symbols and thousands separators
      (``$1,234.50``) are removed, with a note, when that makes the column numbers; in a
      ';'-separated file (``df.attrs["separator"]``, set by ``read_table``) ',' is the decimal
      mark (``19,19`` is 19.19), as the events and series readers read such files;
    - a column of dates (ISO, or one explicit format for the whole column such as day-first
      ``27/10/2019``; same odd-cell allowance) becomes a datetime, which the customer models
      skip as a feature;
    - any other text column is a category, except one with nearly one value per row
      (``ID_LIKE_SHARE``), an identifier or free text, which is dropped with a note;
    - a ``cutoff`` column must be dates: any other value is a ``DataContractError`` naming the
      rows (see ``parse_table_cutoff``).

    ``keep_text`` columns (ids) are left alone. At scoring, pass the model's columns: ``numeric``
    ones take every number and make the rest missing (with a note), whatever their count;
    ``categorical`` ones stay text. ``exact`` columns (labels) are typed only when every cell
    reads, so odd values reach the label check. ``decimal_comma`` columns (a model's
    ``decimal_comma_``: read so when it was trained) read ',' as the decimal mark whatever the
    separator, so a table model scores '19,19' as 19.19 from a ';' file, a ',' file or a frame
    of text cells (the pyfunc) alike; other columns follow the separator. ``keep_columns``
    (``brain train --keep-column``) are never left out as identifiers at training: whole
    numbers stay numbers whatever their name says, and text with nearly one value per row stays
    a category. The number columns read with ',' as the decimal mark are listed in
    ``attrs["decimal_comma_columns"]`` (fit records them in the model), the format each date
    column was read with in
    ``attrs["date_formats"]`` (``ISO_FORMAT`` or e.g. ``"%d/%m/%Y"``; fit records those of the
    date columns it reads as days since, ``CustomerModel.date_formats_``). At training (no
    ``numeric`` or ``categorical`` given) one note names the empty cells of the text columns
    kept as categories (count, share, first rows) and what the model makes of them. Notes go
    to ``attrs["load_notes"]`` and the ``features.io`` log; the file name comes from
    ``df.attrs["source"]`` (set by ``read_table``). Returns a copy.
    """
    source = str(df.attrs.get("source", "table"))
    report = LoadReport(source, rows_read=len(df))
    # read on positions, the frame's own index given back: a stack of snapshots built with
    # ``pd.concat`` (labels repeated) had stopped with "cannot reindex on an axis with
    # duplicate labels" when a column had blanks (2026-12-07)
    out = df.reset_index(drop=True)
    out.attrs = dict(df.attrs)
    if "cutoff" in out.columns and "cutoff" not in keep_text:
        out["cutoff"] = parse_table_cutoff(out["cutoff"], source)
    drop = []
    empties: list[tuple[str, int, int, str]] = []
    text_empties: list[tuple[str, int, int, str]] = []
    formats: dict[str, str] = {}
    # at training only (no model's columns given): at scoring the model's own columns are
    # compared with their training share (``training._customer_scoring.empty_share_note``)
    training = not numeric and not categorical
    semicolon = df.attrs.get("separator") == ";"  # read_table's mark of a ';' file
    comma_cols = set(decimal_comma)
    read_comma: list[str] = []
    # a stacked table (several cutoffs): "one value per row" is judged in one snapshot
    snapshot = one_snapshot(out["cutoff"]) if training and "cutoff" in out.columns else None
    # the kept columns the rules would have read as features anyway (the flag changed nothing)
    needless: list[str] = []
    for col in out.columns:
        if (training and col in keep_columns and col not in keep_text and col not in exact
                and col != "cutoff" and not _keep_matters(str(col), out[col], semicolon
                                                          or col in comma_cols, snapshot)):
            needless.append(str(col))
        if (training and col not in keep_text and col != "cutoff" and col not in exact
                and col not in keep_columns
                and pd.api.types.is_integer_dtype(out[col].dtype)):  # a Parquet file's ints
            code_notes: list[str] = []
            kind = _number_named_as_code(str(col), out[col].astype("string"),
                                         out[col].astype("float64"), code_notes, snapshot)
            if kind == "id":
                drop.append(col)
            elif kind == "text":
                out[col] = out[col].astype("string").astype(object)
            for note in code_notes:
                report.note(note)
            continue
        if col in keep_text or col == "cutoff" or col in categorical or not (
                pd.api.types.is_object_dtype(out[col].dtype)
                or pd.api.types.is_string_dtype(out[col].dtype)):
            continue
        notes: list[str] = []
        comma = semicolon or col in comma_cols
        kind, typed = _type_column(str(col), out[col], col in numeric, col in exact, notes,
                                   empties, comma, formats,
                                   text_empties if training else None,
                                   keep=training and col in keep_columns,
                                   snapshot=snapshot)
        if (typed is not None and training and kind == "number" and col not in exact
                and col not in keep_columns):
            kind = _number_named_as_code(str(col), out[col], typed, notes, snapshot)
            if kind != "number":  # a category ("text") or dropped ("id")
                typed = None
        if typed is not None:
            out[col] = typed
            if comma and kind == "number":
                read_comma.append(str(col))
        elif kind == "id" and col not in exact and col not in keep_columns:
            drop.append(col)
        for note in notes:
            report.note(note)
    if empties:
        report.note(_empty_note(empties))
    if text_empties:
        report.note(_text_empty_note(text_empties))
    out = out.drop(columns=drop)
    for note in report.notes:
        _log.warning(note)
    out.attrs["load_notes"] = [*df.attrs.get("load_notes", []), *report.notes]
    out.attrs["decimal_comma_columns"] = read_comma
    out.attrs["kept_without_effect"] = needless
    out.attrs["date_formats"] = {str(c): f for c, f in formats.items() if c in out.columns}
    out.index = df.index
    return out


def table_ids(ids: pd.Series) -> pd.Series:
    """A customer table's id column as text, read as the event loaders read ids
    (``features._parse._parse_id``): surrounding spaces dropped, and an integral float is its
    integer, from a float column (``16270.0``) or written as text (``'16270.0'``, a CRM export
    whose ids went through a spreadsheet), so scores join back to the integer ids. Other text
    (``'0042'``, ``'AB-7'``) is kept as written; a missing id stays missing."""
    vals = ids.dropna()
    # integral floats up to 2**53 are their integers exactly; a larger one (1e19) cannot be
    # cast to an integer (it had raised a TypeError) and is kept as its text
    if (pd.api.types.is_float_dtype(ids.dtype) and vals.eq(vals.round()).all()
            and vals.abs().lt(2.0**53).all()):
        ids = ids.astype("Int64")
    text = ids.astype("string").str.strip().str.replace(r"^(-?\d{1,18})\.0*$", r"\1",
                                                          regex=True)
    return text.astype(object).where(text.notna(), np.nan)


def parse_table_cutoff(values: pd.Series, source: str = "table") -> pd.Series:
    """A customer table's ``cutoff`` column as dates; values that are not dates (or missing
    cells) are one ``DataContractError`` naming the file, the column, the rows and the fix."""
    probs: list[Problem] = []
    out = _parse_time(values, "cutoff", "UTC", probs, date_only=True)
    miss = values.isna().to_numpy().copy()
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        miss |= (values.astype("string").str.strip() == "").fillna(True).to_numpy()
    if miss.any():
        n, rows, _ = problem_rows(miss)
        probs.append(Problem("cutoff", "has missing values", n, rows,
                             fix="give every row the date of its snapshot"))
    if probs:
        raise DataContractError(source, probs)
    return out


def parse_table_dates(values: pd.Series, column: str, source: str = "table",
                      fmt: str | None = None) -> pd.Series:
    """A date column a model reads as days since the snapshot (``CustomerModel.date_days_``)
    as dates (tz-naive days); empty cells and ``MISSING_SPELLINGS`` stay missing, and values
    that are not dates are one ``DataContractError`` naming the file, the column, the rows and
    the fix (a number column scores its odd cells as missing; a date the model counts days
    from is not guessed).

    ``fmt``: the format the column was read with at training (``CustomerModel.date_formats_``):
    the cells are read with it first, so a table whose days are all 12 or less ('03/04/2026')
    reads in the training's day/month order instead of being ambiguous; an ISO 8601 cell reads
    as itself; a cell that reads only in the other order ('04/13/2026' for ``%d/%m/%Y``) is an
    error naming the rows; other cells are read as without ``fmt``."""
    if not (pd.api.types.is_object_dtype(values.dtype)
            or pd.api.types.is_string_dtype(values.dtype)):
        if not pd.api.types.is_datetime64_any_dtype(values.dtype) and values.notna().any():
            n, rows, ex = problem_rows(values.notna().to_numpy(), values)
            raise DataContractError(source, [Problem(
                column, f"must hold dates; received {values.dtype} values", n, rows, ex,
                fix="give the column dates such as 2026-11-30, as at training")])
        values = values if pd.api.types.is_datetime64_any_dtype(values.dtype) else (
            pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]"))
    else:
        text = values.astype("string").str.strip()
        missing = (text.isna() | text.str.lower().isin(MISSING_SPELLINGS)).fillna(True)
        values = values.where(~missing.to_numpy(), None)
        if fmt and fmt != ISO_FORMAT and bool((~missing).any()):
            return _dates_as_trained(values, column, source, fmt)
    probs: list[Problem] = []
    # a mix of plain dates and times with an offset value by value, as training read it
    # (``_dates``; it had been an error at scoring only)
    out = _parse_time(values, column, "UTC", probs, date_only=True, mix_days=True)
    if probs:
        raise DataContractError(source, probs)
    return out


def _dates_as_trained(values: pd.Series, column: str, source: str, fmt: str) -> pd.Series:
    """``parse_table_dates`` of text ``values`` (missing cells None) with the format ``fmt``
    the model read the column with at training (see there)."""
    text = values.astype("string").str.strip()
    notna = text.notna().to_numpy(dtype=bool)
    out = _to_datetime(text, format=fmt).astype("datetime64[ns]")
    rest = notna & out.isna().to_numpy()
    if rest.any():  # an ISO 8601 date says which is the day
        iso = _to_datetime(text.where(rest), format="ISO8601").astype("datetime64[ns]")
        out = out.where(~(rest & iso.notna().to_numpy()), iso)
        rest &= iso.isna().to_numpy()
    probs: list[Problem] = []
    other = _swapped(fmt)
    if rest.any() and other is not None:
        flipped = rest & _to_datetime(text.where(rest), format=other).notna().to_numpy()
        if flipped.any():
            example = pd.Timestamp("2024-12-31 20:15").strftime(fmt)
            n, rows, ex = problem_rows(flipped, values)
            probs.append(Problem(
                column, f"has dates that read only as {other}, against the day/month order "
                f"the model read this column with at training ({fmt}: 31 December 2024 is "
                f"{example!r})", n, rows, ex,
                fix=f"write the dates as at training ({fmt}) or as ISO 8601 (2024-12-31); if "
                    f"this file writes every date {other}, the others read wrong too: convert "
                    "the whole column"))
            rest &= ~flipped
    if rest.any():  # read as without the training's format (another one, or errors)
        more = _parse_time(values.where(rest, None), column, "UTC", probs, date_only=True)
        out = out.where(~rest, more.astype("datetime64[ns]"))
    if probs:
        raise DataContractError(source, probs)
    return out.dt.normalize()


ID_UNRELATED_P = 0.001
"""A whole-number column with nearly one value per row is taken for an identifier, whatever its
name, when neither its order nor its tenths relate to the label beyond this p-value."""


def id_like_numbers(frame: pd.DataFrame, label: pd.Series, classifier: bool,
                    skip: Collection[str] = ()) -> dict[str, str]:
    """Columns of whole numbers that look like identifiers by their values, whatever the
    language of their names: at least ``ID_LIKE_MIN_ROWS`` filled cells, ``ID_LIKE_SHARE`` or
    more of them distinct, and not related to ``label`` (floats, NaN unused) beyond chance
    (``ID_UNRELATED_P``): neither in their order (Spearman; for a 0/1 label the rank test of
    AUC) nor by their tenths (a chi-square test of the label's rate, or a Kruskal-Wallis test of
    its values, across the ten deciles of the column). Leaving such a column out costs the
    model little it could learn, while an identifier kept is split on as noise and read out as
    a reason ("klantnummer is high"); a number that tells the label only together with another
    column (tenure that lowers churn on one plan and raises it on another) is left out too,
    which ``brain train --keep-column`` overrides. A count or a tenure in days that is nearly
    one value per row is kept when it relates to the label. Returns ``{column: why}``."""
    from scipy import stats

    out: dict[str, str] = {}
    # a stacked table (several cutoffs): judged in one snapshot (``one_snapshot``), where an
    # identifier is one value per row; over the stack it repeats once per cutoff
    snap = one_snapshot(frame["cutoff"]) if "cutoff" in frame.columns else None
    where = ""
    if snap is not None:
        mask = snap.to_numpy(dtype=bool)
        frame, label = frame.loc[mask], label[mask]
        where = " of one cutoff"
    known = label.notna().to_numpy()
    for col in frame.columns:
        if col in skip or str(col).startswith("label_") or not pd.api.types.is_numeric_dtype(
                frame[col].dtype) or (
                pd.api.types.is_bool_dtype(frame[col].dtype)):
            continue
        values = frame[col].astype("float64")
        filled = values.notna().to_numpy() & known
        x, y = values.to_numpy()[filled], label.to_numpy(dtype="float64")[filled]
        if (len(x) < ID_LIKE_MIN_ROWS or not np.isfinite(x).all()
                or not np.array_equal(x, np.round(x))
                or len(np.unique(x)) < ID_LIKE_SHARE * len(x) or len(np.unique(y)) < 2):
            continue
        rho, p_order = stats.spearmanr(x, y)
        tenth = pd.qcut(pd.Series(x).rank(method="first"), 10, labels=False).to_numpy()
        if classifier:
            table = pd.crosstab(tenth, y).to_numpy()
            p_tenths = float(stats.chi2_contingency(table)[1]) if table.shape[1] > 1 else 1.0
        else:
            p_tenths = float(stats.kruskal(*(y[tenth == k] for k in range(10))).pvalue)
        if min(float(p_order), p_tenths) < ID_UNRELATED_P:
            continue
        measure = (f"AUC {_auc(x, y):.3f}" if classifier
                   else f"Spearman {rho:+.3f}")
        out[str(col)] = (f"whole numbers, {len(np.unique(x)):,} distinct in {len(x):,} "
                         f"rows{where}, "
                         f"related to the label neither in their order ({measure}) nor by "
                         "deciles: an identifier by its values (on its own it tells nothing "
                         "of the label; with other columns it still may)")
    return out


def _auc(x: np.ndarray, y: np.ndarray) -> float:
    """ROC AUC of ``x`` for the 0/1 label ``y`` (ties shared)."""
    r = pd.Series(x).rank().to_numpy()
    n1 = float((y == 1).sum())
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * (len(y) - n1)))
