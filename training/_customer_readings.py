"""How a numeric feature's value reads in a reason: the columns a model records at fit as
yes/no (``binary_features``) or as percentages (``percent_features``).

Both are decided once, at fit, from the training values and the column's name, and kept on the
model (``CustomerModel.binary_``, ``CustomerModel.percent_``), so scoring never guesses from a
handful of rows, and a column of a customer's own table is never read as a share unless the
model knows it is one.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from training._customer_columns import DERIVED, SHARE_PREFIXES, as_float
from training._customer_meanings import _WINDOW, FLAG_SENTENCES, PERCENT_SHARES, REASON_NAMES

__all__ = ["binary_features", "percent_features", "pipeline_column"]

_PERCENT_WORDS = frozenset({"share", "rate", "pct", "percent", "percentage"})
"""Words of a table column's name that say it is a share (``return_rate``, ``DiscountPct``)."""


def pipeline_column(col: str) -> bool:
    """Whether ``col`` is a column the event pipeline makes (``features._catalogue``: counts
    in a window, shares, flags, the derived and BG/NBD columns), read by its meaning."""
    from features._catalogue import CATALOGUE

    return bool(col in REASON_NAMES or col in CATALOGUE or col in FLAG_SENTENCES
                or _WINDOW.match(col) or col.startswith(SHARE_PREFIXES) or col in DERIVED
                or col.startswith("bgnbd_"))


def binary_features(x: pd.DataFrame, numeric: list[str]) -> tuple[str, ...]:
    """Numeric columns of a customer's own table that hold only 0 and 1 (both) at fit, such as
    a Telco export's ``SeniorCitizen``: their reasons read "SeniorCitizen: yes" / "...: no",
    not "SeniorCitizen is high (1 vs typical 0)". Columns of the event pipeline (counts in a
    window, shares, the flags of ``FLAG_SENTENCES``) are never binary here: an
    ``orders_7d`` of only 0 and 1 in a small shop is still a count."""
    out = []
    for col in numeric:
        if pipeline_column(col):
            continue
        seen = _seen(x[col])
        if len(seen) == 2 and seen[0] == 0 and seen[1] == 1:
            out.append(col)
    return tuple(out)


def percent_features(x: pd.DataFrame, numeric: list[str]) -> tuple[str, ...]:
    """Numeric columns whose reasons read as percentages ("88% vs typical 86%"), each within
    one point of the typical share at the typical level (``SHARE_TOLERANCE``).

    A pipeline column is one when it is a share (``PERCENT_SHARES``, the category and channel
    mix of ``SHARE_PREFIXES``); its rates ("orders per visit") and counts never are. A column
    of a customer's own table is one only when its name says so (a word ``share``, ``rate``,
    ``pct``, ``percent``: ``return_rate``, ``DiscountPct``) and every training value lies
    between 0 and 1, not only 0 and 1: a ``discount_pct`` of 0-100, a ``tenure`` of 0.5-1 or a
    0/1 flag keeps its numbers. Every column read so has its training values within [0, 1]."""
    out = []
    for col in numeric:
        pipeline = pipeline_column(col)
        if pipeline:
            if not (col in PERCENT_SHARES or col.startswith(SHARE_PREFIXES)):
                continue
        elif not _PERCENT_WORDS & set(_words(col)):
            continue
        seen = _seen(x[col])
        if not len(seen) or seen[0] < 0 or seen[-1] > 1:
            continue
        if not pipeline and set(seen.tolist()) <= {0.0, 1.0}:
            continue  # a flag (binary_features) or constant: not a share
        out.append(col)
    return tuple(out)


def _seen(values: pd.Series) -> np.ndarray:
    """The distinct non-missing values of a column, sorted."""
    v = as_float(values)
    return np.unique(v[~np.isnan(v)])


def _words(col: str) -> list[str]:
    """The words of a column name: ``DiscountPct`` and ``discount_pct`` -> discount, pct."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", col)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]
