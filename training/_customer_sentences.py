"""The sentences of customer reasons: how one feature's value reads beside its typical value.

``feature_sentences`` turns a feature's values into sentences a marketer can read, one code per
row into a list of distinct sentences ("days since last purchase is high (142 vs typical 35)",
"share of visits via email is slightly high (88% vs typical 86%)", "SeniorCitizen: yes",
"spend: 106 in the last 3 months, none in the 3 before"); ``display_key`` is the value as it is
shown (``fmt_value``), which decides when two features say the same and when a value is at the
typical level. The ranking of features into reasons is ``training._customer_reasons``.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from training._customer_columns import as_float
from training._customer_meanings import (
    FLAG_SENTENCES,
    LEGACY_PERCENT,
    RATIO_PARTS,
    SHARE_TOLERANCE,
    ZERO_MEANINGS,
    missing_meaning,
    ratio_sentence,
    reason_label,
)

__all__ = ["display_key", "feature_sentences", "fmt_value"]


_TINY = 1e-3
"""Values smaller than this (in absolute value) are shown as 0."""


def fmt_value(v: object) -> str:
    """A value as a reason shows it: whole numbers from 10 up, two significant digits below,
    "none" for a missing one, values under 0.001 as 0."""
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if np.isnan(x):
            return "none"
        x = 0.0 if abs(x) < _TINY else x  # p_alive 1.3e-16 reads "0", not scientific notation
        return f"{x:.0f}" if abs(x) >= 10 or x.is_integer() else f"{x:.2g}"
    return str(v)


_POOLED = frozenset({"top_category", "top_purchase_category", "top_channel"})
"""Text features whose value 'other' stands for the pooled less frequent values."""


def display_key(v: np.ndarray) -> np.ndarray:
    """The value ``fmt_value`` displays: whole numbers from 10 up, two significant digits below.

    Element-wise; a 2-D array is taken column by column as far as the shortcut for whole
    numbers goes (a block with one column of amounts had sent every count column through the
    rounding below: scoring a million customers' reasons took 15% longer)."""
    if v.ndim != 2:
        return _display_key_1d(v)
    with np.errstate(invalid="ignore"):
        whole = np.all(~np.isfinite(v) | (v == np.round(v)), axis=0)
    out = np.where(np.abs(v) < _TINY, 0.0, v)  # the whole-number columns' keys
    if not whole.all():
        out[:, ~whole] = _display_key_1d(v[:, ~whole])
    return out


def _display_key_1d(v: np.ndarray) -> np.ndarray:
    finite = v[np.isfinite(v)]
    if np.array_equal(finite, np.round(finite)):  # counts: whole numbers show as they are
        return np.where(np.abs(v) < _TINY, 0.0, v)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.floor(np.log10(np.abs(v)))
        digits = np.clip(np.where(np.isfinite(mag), 1 - mag, 0), 0, 300).astype(int)
    small = np.abs(v) < 10
    out = np.where(small, v, np.round(v))
    out = np.where(np.abs(v) < _TINY, 0.0, out)
    # np.round(v, d) per element, in one pass: numpy rounds as rint(v * 10**d) / 10**d, and
    # 10**d is exact here (d <= 4: smaller values show as 0)
    sel = small & np.isfinite(v) & (np.abs(v) >= _TINY)
    scale = _POW10[np.minimum(digits, len(_POW10) - 1)]
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(sel, np.rint(v * scale) / scale, out)


_POW10 = 10.0 ** np.arange(23)
"""Exact powers of ten (10**22 is the largest a float holds exactly)."""


def _near(value: float, typical: float) -> str:
    """``"slightly "`` for a value within 10% of a non-zero typical value (0.88 vs 0.86: the
    trees split near the median, so the feature counts, but "high" alone overstates it)."""
    return "slightly " if typical != 0 and abs(value - typical) < 0.1 * abs(typical) else ""


def feature_sentences(name: str, values: pd.Series, typical: dict[str, float],
               binary: Collection[str] = (), frame: pd.DataFrame | None = None,
               percent: Collection[str] = LEGACY_PERCENT) -> tuple[np.ndarray, list[str]]:
    """Per row, a code into the returned list of distinct sentences for feature ``name``
    (``binary``: 0/1 columns, read "name: yes" / "name: no"; ``binary_features``; a ratio of
    ``RATIO_PARTS`` says its two amounts, read from ``frame`` when it has them; ``percent``:
    shares read as percentages)."""
    label = reason_label(name)
    t = typical.get(name, float("nan"))
    if name in RATIO_PARTS and not np.isnan(t):
        return _ratio_sentences(name, values, t, frame)
    if not np.isnan(t) and name in percent:
        return _share_sentences(name, as_float(values), t)
    if not np.isnan(t):  # a numeric feature; text cells at scoring (``'unknown'``) are unknown
        v = as_float(values)
        codes, uniques = pd.factorize(display_key(v))
        shown_t = float(display_key(np.array([t], dtype=float))[0])
        tfmt = fmt_value(float(t))
        flag = FLAG_SENTENCES.get(name) or (
            (f"{label}: yes", f"{label}: no") if name in binary else None)
        texts = [flag[0] if flag and u == 1 else flag[1] if flag and u == 0 else
                 f"{label} is at the typical level ({fmt_value(float(u))})" if u == shown_t else
                 f"{label} is {_near(u, shown_t)}{'high' if u > shown_t else 'low'} "
                 f"({fmt_value(float(u))} vs typical {tfmt})" for u in uniques]
        missing = missing_meaning(name) or f"{label} is unknown"
        out = np.where(codes >= 0, codes, len(uniques))
        if name in ZERO_MEANINGS:  # 0 says what the customer did: "one order so far"
            once, same_day = ZERO_MEANINGS[name]
            n = (as_float(frame["orders_total"]) if frame is not None
                 and "orders_total" in frame.columns else np.full(len(v), np.nan))
            zero = display_key(v) == 0
            out = np.where(zero & (n <= 1), len(uniques) + 1,
                           np.where(zero, len(uniques) + 2, out))
            return out, [*texts, missing, once, same_day]
        return out, [*texts, missing]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    pooled = name in _POOLED  # 'other' there is the pool of the less frequent values
    texts = [f"{label}: a less common one (not among the most frequent)"
             if pooled and u == "other" else f"{label}: {fmt_value(u)}"
             for u in np.asarray(uniques, dtype=object)]
    missing = f"{label}: not given, or a value new to the model"
    return np.where(codes >= 0, codes, len(texts)), [*texts, missing]




def _pct(x: float) -> str:
    """A share as a percentage: one decimal under 10% ("0.3%"), whole above ("24%")."""
    if np.isnan(x):
        return "none"
    p = 100 * x
    return "0%" if abs(p) < 0.05 else f"{p:.1f}%" if abs(p) < 10 else f"{p:.0f}%"


def _share_sentences(name: str, v: np.ndarray, typical: float
                     ) -> tuple[np.ndarray, list[str]]:
    """``feature_sentences`` of a share read as a percentage: a value within ``SHARE_TOLERANCE`` of
    the typical share at the typical level, one within 10% of it "slightly" high or low."""
    label = reason_label(name)
    shown = np.round(v, 3)
    codes, uniques = pd.factorize(shown)
    texts = [f"{label} is at the typical level ({_pct(float(u))})"
             if abs(u - typical) < SHARE_TOLERANCE else
             f"{label} is {_near(u, typical)}{'high' if u > typical else 'low'} "
             f"({_pct(float(u))} vs typical "
             f"{_pct(typical)})" for u in uniques]
    missing = missing_meaning(name) or f"{label} is unknown"
    return np.where(codes >= 0, codes, len(uniques)), [*texts, missing]


def _ratio_sentences(name: str, values: pd.Series, typical: float,
                     frame: pd.DataFrame | None) -> tuple[np.ndarray, list[str]]:
    """``feature_sentences`` of a ratio feature (``RATIO_PARTS``): one sentence per distinct shown
    (ratio, numerator, denominator), e.g. "spend: 106 in the last 3 months, none in the 3
    before" for a ``revenue_trend_90d`` of 107; the ratio alone ("... was 107x the 3 before,
    which had little or none") when the frame lacks either amount."""
    _, num, den = RATIO_PARTS[name]
    v = as_float(values)
    keys = {"r": display_key(v)}
    parts = frame is not None and num in frame.columns and den in frame.columns
    if parts:
        assert frame is not None
        keys["a"] = display_key(as_float(frame[num]))
        keys["b"] = display_key(as_float(frame[den]))
    grid = pd.DataFrame(keys)
    codes = grid.groupby(list(grid.columns), dropna=False, sort=False).ngroup().to_numpy()
    first = np.unique(codes, return_index=True)[1]
    t = float(display_key(np.array([typical], dtype=float))[0])
    texts = []
    for i in first:
        r = float(grid["r"].iat[i])
        texts.append(missing_meaning(name) or f"{reason_label(name)} is unknown"
                     if np.isnan(r) else ratio_sentence(
                         name, r, t, float(grid["a"].iat[i]) if parts else None,
                         float(grid["b"].iat[i]) if parts else None, fmt=fmt_value))
    return codes.astype(np.int64), texts
