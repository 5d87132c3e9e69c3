"""Input examples for logged models that carry no real customer.

MLflow copies a model's input example (``input_example.json`` and
``serving_input_example.json``) to the artifact store with every version. The customer and
uplift models had logged the first 5 rows of their training or holdout data: real customers'
ids and features, kept on a shared tracking server as long as the version (personal data).
``synthetic_example`` builds rows from column statistics instead:

* a number column: the row's quantile of the column (row 1 the median, then P10, P25, P75,
  P90), rounded for an integer column and kept in the column's dtype (the signature is
  inferred from the example, so a float in an integer column would change it);
* a date or duration column: the same quantiles, in its dtype;
* a number, date or duration column with fewer than ``MIN_SHARED`` values (a one-row frame,
  whose median is that customer's value, or an empty one): a placeholder, 0 (False, 1970-01-01,
  a zero duration) in the column's dtype;
* a text (category) column: the most frequent levels in turn, only among levels shared by at
  least ``MIN_SHARED`` rows; a column without such a level (an e-mail, a name) gets ``""``;
* the id column: placeholders (``example-1`` ... for text ids, ``-1`` ... for integer ids).

So no row is a customer's row, no id is a customer's id, and no rare value (one person's
level) is copied.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["MIN_SHARED", "QUANTILES", "synthetic_example"]

QUANTILES = (0.5, 0.1, 0.25, 0.75, 0.9)
"""The quantile of every number column in each example row (row 1: the medians)."""
MIN_SHARED = 10
"""A text level goes into an example only when at least this many rows hold it."""


def _few(s: pd.Series) -> bool:
    """Too few values for a quantile that is not one person's value."""
    return int(s.notna().sum()) < MIN_SHARED


def _times(s: pd.Series, n: int) -> pd.Series:
    """Quantiles of a datetime or timedelta column in its dtype (a placeholder when few)."""
    if _few(s):
        zero = (pd.Timedelta(0) if pd.api.types.is_timedelta64_dtype(s.dtype)
                else pd.Timestamp(0, tz=getattr(s.dtype, "tz", None)))
        return pd.Series([zero] * n, dtype=s.dtype)
    return pd.Series([s.quantile(q) for q in np.resize(QUANTILES, n)], dtype=s.dtype)


def _numbers(s: pd.Series, n: int) -> pd.Series:
    if _few(s):
        return pd.Series([False if pd.api.types.is_bool_dtype(s.dtype) else 0] * n,
                         dtype=s.dtype)
    if pd.api.types.is_bool_dtype(s.dtype):
        share = float(s.dropna().astype(float).mean())
        return pd.Series([bool(q >= 1 - share) for q in np.resize(QUANTILES, n)],
                         dtype=s.dtype)
    values = pd.to_numeric(s, errors="coerce").astype("float64")
    qs = [float(values.quantile(q)) if values.notna().any() else np.nan
          for q in np.resize(QUANTILES, n)]
    if pd.api.types.is_integer_dtype(s.dtype):
        if isinstance(s.dtype, pd.api.extensions.ExtensionDtype):
            return pd.Series([None if np.isnan(v) else round(v) for v in qs], dtype=s.dtype)
        return pd.Series(np.round(qs), dtype=s.dtype)
    return pd.Series(qs, dtype=s.dtype)


def _levels(s: pd.Series, n: int) -> pd.Series:
    counts = s.dropna().value_counts()
    shared = list(counts.index[counts.to_numpy() >= MIN_SHARED])
    if isinstance(s.dtype, pd.CategoricalDtype):
        return pd.Series([shared[i % len(shared)] if shared else None for i in range(n)],
                         dtype=s.dtype)
    return pd.Series([str(shared[i % len(shared)]) if shared else "" for i in range(n)],
                     dtype=s.dtype if isinstance(s.dtype, pd.StringDtype) else "object")


def _ids(s: pd.Series, n: int) -> pd.Series:
    if pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_float_dtype(s.dtype):
        return pd.Series([-(i + 1) for i in range(n)], dtype=s.dtype)
    return pd.Series([f"example-{i + 1}" for i in range(n)],
                     dtype=s.dtype if isinstance(s.dtype, pd.StringDtype) else "object")


def synthetic_example(frame: pd.DataFrame, columns: Sequence[str], *,
                      id_col: str | None = None, n: int = 5) -> pd.DataFrame:
    """``n`` rows of ``columns`` built from ``frame``'s column statistics (see the module
    docstring), each column in its dtype in ``frame``; ``id_col`` (one of ``columns``) gets
    placeholder ids. No row or id of ``frame`` is copied."""
    out: dict[str, pd.Series] = {}
    for col in columns:
        s = frame[col]
        if col == id_col:
            out[col] = _ids(s, n)
        elif (pd.api.types.is_datetime64_any_dtype(s.dtype)
              or pd.api.types.is_timedelta64_dtype(s.dtype)):
            out[col] = _times(s, n)
        elif pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
            out[col] = _numbers(s, n)
        else:
            out[col] = _levels(s, n)
    return pd.DataFrame(out, columns=list(columns))
