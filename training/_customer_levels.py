"""A customer model's category levels: learned at fit, looked up when scoring.

A text or categorical feature column's levels are learned at fit (``fit_levels``: spellings that
differ only in case or surrounding spaces are one level); scoring turns a column into codes among
them (``level_codes``: unseen values are missing, a value that equals exactly one level once
case and spaces are ignored takes that level).

A column whose every value is a yes/no spelling (cells spelling no value, 'N/A' or ' ', aside:
they stay as written), written more than one way beyond case ('yes', 'Y', 'true', '1' beside
'no', 'N', ...), is one yes and one no (``yes_no_spellings`` at fit, kept on the model as
``CustomerModel.yes_no_``); every place that reads a model's category
codes goes through ``model_level_codes``, which reads any yes/no spelling of such a column as
the model's yes or no (the CLI, the pyfunc and the API's live rows score with the same codes).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from features._parse import MISSING_SPELLINGS

__all__ = ["NO_SPELLINGS", "YES_SPELLINGS", "fit_levels", "level_codes", "model_level_codes",
           "read_yes_no", "yes_no_spellings"]

_log = logging.getLogger("training._customer_models")  # the customer model's own logger


def _fold(text: pd.Index) -> pd.Index:
    return pd.Index(text.astype(str).str.strip().str.casefold())


YES_SPELLINGS = frozenset({"yes", "y", "true", "t", "1", "1.0"})
NO_SPELLINGS = frozenset({"no", "n", "false", "f", "0", "0.0"})
"""Spellings of yes and no (compared trimmed, in any case) that a yes/no column may mix."""


def yes_no_spellings(values: pd.Series, what: str) -> tuple[str, str] | None:
    """At fit: ``(yes, no)``, the most frequent spelling of each, when every filled value of a
    category column is a yes/no spelling (``YES_SPELLINGS``, ``NO_SPELLINGS``) or spells no
    value (``features._parse.MISSING_SPELLINGS``: 'N/A', '-', ' ', kept as written), both
    occur and one of them is written more than one way beyond case ('Y' beside 'yes'); a note
    names the column and the spellings. None otherwise: a column of 'Yes'/'No' (any case) keeps its
    levels as ``fit_levels`` merges them, as it did before yes/no columns were read."""
    counts = values.dropna().astype(str).value_counts()
    if counts.empty:
        return None
    folded = _fold(pd.Index(counts.index))
    yes, no = folded.isin(YES_SPELLINGS), folded.isin(NO_SPELLINGS)
    # cells spelling "no value" ('N/A', '-', ' ') stay as written, as a text column keeps them;
    # they do not make the column something else (one 'N/A' had kept 'Y' and 'N' as levels)
    aside = folded.isin(MISSING_SPELLINGS)
    if not (yes | no | aside).all() or not yes.any() or not no.any():
        return None
    if folded[yes].nunique() < 2 and folded[no].nunique() < 2:
        return None  # only case or spaces differ: fit_levels' note
    ways = [str(v) for v in counts.index[yes]] + [str(v) for v in counts.index[no]]
    pair = (str(counts.index[yes][0]), str(counts.index[no][0]))
    shown = (", ".join(map(repr, counts.index[yes][:4])) + "; "
             + ", ".join(map(repr, counts.index[no][:4])))
    other = int(counts[(yes | no) & ~counts.index.isin(pair)].sum())
    kept = (f"; {int(counts[aside].sum()):,} cells such as "
            f"{', '.join(map(repr, sorted(map(str, counts.index[aside]))[:3]))} kept as written"
            if aside.any() else "")
    _log.warning("%s writes yes and no %d ways (%s): read as one yes (%r) and one no (%r) "
                 "(%s cells written otherwise%s)", what,
                 len(ways), shown, pair[0], pair[1], f"{other:,}", kept)
    return pair


def read_yes_no(values: pd.Series, pair: tuple[str, str]) -> pd.Series:
    """``values`` with each yes/no spelling as the model's ``pair`` spelling ('Y' is 'yes');
    other values as they are (a level never seen stays unseen), missing stays missing.

    Spellings are read once per distinct value, not per cell (a million rows had spent 0.8 s
    of CPU per call turning every cell into text)."""
    out = values.astype(object)
    at = np.flatnonzero(out.notna().to_numpy())  # positions: an index may repeat labels
    present = out.iloc[at]
    try:
        distinct = pd.Index(pd.unique(present.to_numpy()))
    except TypeError:  # an unhashable cell (a JSON list): every cell read as text
        distinct = None
    if distinct is not None:
        folded = _fold(distinct)
        yes = present.isin(distinct[folded.isin(YES_SPELLINGS)]).to_numpy()
        no = present.isin(distinct[folded.isin(NO_SPELLINGS)]).to_numpy()
    else:
        text = present.astype("string").str.strip().str.casefold()
        yes = text.isin(YES_SPELLINGS).fillna(False).to_numpy(dtype=bool)
        no = text.isin(NO_SPELLINGS).fillna(False).to_numpy(dtype=bool)
    if not (yes.any() or no.any()):
        return out
    out = out.copy()
    out.iloc[at[yes]] = pair[0]
    out.iloc[at[no]] = pair[1]
    return out


def model_level_codes(model: object, col: str, values: pd.Series) -> np.ndarray:
    """``level_codes`` of ``values`` among ``model``'s levels of ``col``, reading a yes/no
    column's spellings as the model's yes and no (``model.yes_no_``; a model saved before
    yes/no columns were read has none and reads its own levels as it did).

    The cells that are a level already (every yes spelling a level matches is the model's yes)
    keep ``level_codes``' fast paths; only the others are read as yes/no spellings."""
    levels = pd.Index(model.levels_[col])  # type: ignore[attr-defined]
    codes = level_codes(levels, values)
    pair = (getattr(model, "yes_no_", None) or {}).get(col)
    if pair is None:
        return codes
    rest = (codes < 0) & values.notna().to_numpy()
    if rest.any():
        codes[rest] = level_codes(levels, read_yes_no(values[rest], pair))
    return codes


def fit_levels(values: pd.Series, what: str) -> list[str]:
    """A category column's levels at fit: spellings that differ only in case or surrounding
    spaces ('Month-to-month', 'month-to-month ') are one level, the most frequent spelling
    (a note says so), so the training rows of each spelling train the same level."""
    text = values.dropna().astype(str)
    counts = text.value_counts()
    if counts.empty:
        return []
    folded = _fold(pd.Index(counts.index))
    keep = pd.Series(counts.index, index=folded).groupby(level=0).first()  # most frequent
    merged = [(str(v), keep[f]) for v, f in zip(counts.index, folded, strict=True)
              if str(v) != keep[f]]
    if merged:
        shown = ", ".join(f"{v!r} as {k!r}" for v, k in merged[:3])
        more = f" and {len(merged) - 3} more" if len(merged) > 3 else ""
        n = int(counts[[v for v, _ in merged]].sum())
        _log.warning("%s: %s cells differ from a more frequent spelling only in case or spaces "
                     "and are read as it (%s%s)", what, f"{n:,}", shown, more)
    return sorted(keep.tolist())


_EXACT_FIRST_ROWS = 10_000
"""Up to this many values, ``level_codes`` looks up exact spellings before converting the
rest to text (large frames go straight to the text path, vectorised over distinct values)."""


def level_codes(levels: pd.Index, values: pd.Series) -> np.ndarray:
    """Codes of ``values`` among a model's category ``levels`` (-1: missing or unseen).

    A value that is not a level but equals exactly one level once case and surrounding spaces
    are ignored ('month-to-month' for 'Month-to-month') takes that level: a CRM export that
    changed its spelling must not score those customers as if the cell were empty.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = pd.Index(values.cat.categories.astype(str))
        lookup = np.append(_level_lookup(levels, cats), -1)  # code -1 (missing) picks the -1
        return np.asarray(lookup[values.cat.codes.to_numpy()])
    if (levels.dtype == object or isinstance(levels.dtype, pd.StringDtype)) and (
            len(values) <= _EXACT_FIRST_ROWS):
        # exact spellings by hash lookup first, the rest as below (one live row spent ~1 ms
        # per categorical column in the conversion to text)
        try:
            codes = levels.get_indexer(values.to_numpy(dtype=object))
        except TypeError:  # an unhashable cell (a JSON list or object): unseen, as text
            return _text_codes(levels, values)
        rest = (codes < 0) & values.notna().to_numpy()
        if rest.any():
            codes[rest] = _text_codes(levels, values[rest])
        return codes.astype(np.int64)
    return _text_codes(levels, values)


def _text_codes(levels: pd.Index, values: pd.Series) -> np.ndarray:
    """``level_codes`` of ``values`` read as text."""
    text = values.astype("string")
    uniq = pd.Index(text.dropna().unique().astype(str))
    lookup = pd.Series(_level_lookup(levels, uniq), index=uniq)
    codes = text.map(lookup).astype("Float64").fillna(-1).to_numpy(dtype=np.float64)
    return codes.astype(np.int64)


def _level_lookup(levels: pd.Index, values: pd.Index) -> np.ndarray:
    """``levels.get_indexer(values)``, with the case- and space-blind fallback."""
    codes = levels.get_indexer(values)
    miss = codes < 0
    if miss.any() and len(levels):
        folded = _fold(levels)
        unique = ~folded.duplicated(keep=False)  # a fold two levels share stays unseen
        table = pd.Series(np.flatnonzero(unique), index=folded[unique])
        codes[miss] = table.reindex(_fold(values[miss])).fillna(-1).to_numpy().astype(int)
    return codes

