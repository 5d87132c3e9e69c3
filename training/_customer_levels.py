"""A customer model's category levels: learned at fit, looked up when scoring.

A text or categorical feature column's levels are learned at fit (``fit_levels``: spellings that
differ only in case or surrounding spaces are one level); scoring turns a column into codes among
them (``level_codes``: unseen values are missing, a value that equals exactly one level once
case and spaces are ignored takes that level).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

__all__ = ["fit_levels", "level_codes"]

_log = logging.getLogger("training._customer_models")  # the customer model's own logger


def _fold(text: pd.Index) -> pd.Index:
    return pd.Index(text.astype(str).str.strip().str.casefold())


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

