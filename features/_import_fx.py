"""Currency conversion for ``orders_to_events`` (CLI ``brain data import-orders --fx FILE``).

A retailer with shops in several countries exports each line's amount in the shop's own
currency beside a currency column (``EUR``, ``GBP``). Without rates the import sums the amounts
as written and says so (``features._import_notes.mixed_currency_note``); with a rates file every
line's amount is multiplied by its currency's rate to the base currency, and a currency without
a rate is an error naming it, its lines and the fix.

The rates file (CSV, ',' or ';'): one row per currency, columns ``currency`` (an ISO 4217 code
such as ``GBP``, any case) and ``rate`` (how much of the base currency one unit is worth: with
EUR as the base, ``GBP,1.17`` and ``EUR,1``; a decimal comma ``1,17`` in a ';' file). Amounts
already in the base currency need their row too (rate 1), so a currency left out by mistake
is never taken for the base.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from ._contracts import DataContractError, Problem, problem_rows

__all__ = ["convert_amounts", "currency_column", "read_fx_rates"]


def read_fx_rates(path: Path | str) -> dict[str, float]:
    """``{currency code: rate}`` from a rates file; anything else is an error naming the rows."""
    from ._read import read_table

    path = Path(path)
    frame = read_table(path)
    cols = {str(c).strip().lower(): c for c in frame.columns}
    if "currency" not in cols or "rate" not in cols:
        raise DataContractError(path.name, [Problem(
            "", f"needs the columns 'currency' and 'rate'; it has {list(frame.columns)}", 0,
            fix="write one row per currency: currency,rate (e.g. GBP,1.17 and EUR,1 when "
                "EUR is the base currency)")])
    codes = frame[cols["currency"]].astype("string").str.strip().str.upper()
    text = frame[cols["rate"]].astype("string").str.strip()
    comma = text.str.contains(",", regex=False).fillna(False) & ~text.str.contains(
        ".", regex=False).fillna(False)
    rates = pd.to_numeric(text.mask(comma, text.str.replace(",", ".", regex=False)),
                          errors="coerce")
    probs = []
    bad = (rates.isna() | ~np.isfinite(rates.fillna(0)) | (rates <= 0)).fillna(True)
    if bad.any():
        n, rows, ex = problem_rows(bad.to_numpy(), frame[cols["rate"]])
        probs.append(Problem(str(cols["rate"]), "holds rates that are not numbers above 0", n,
                             rows, ex, fix="write each rate as a number such as 1.17"))
    blank = (codes.isna() | (codes == "")).fillna(True)
    if blank.any():
        n, rows, _ = problem_rows(blank.to_numpy())
        probs.append(Problem(str(cols["currency"]), "has empty cells", n, rows,
                             fix="name the currency of each rate (GBP, EUR, ...)"))
    twice = codes.duplicated(keep=False) & ~blank
    if twice.any():
        n, rows, ex = problem_rows(twice.to_numpy(), codes)
        probs.append(Problem(str(cols["currency"]), "names a currency twice", n, rows, ex,
                             fix="keep one rate per currency"))
    if probs:
        raise DataContractError(path.name, probs)
    return dict(zip(codes.tolist(), rates.astype(float).tolist(), strict=True))


def currency_column(raw: pd.DataFrame, skip: Collection[str | None] = ()) -> str | None:
    """The first text column whose every filled cell (stripped, any case) is an ISO 4217 code
    of ``CURRENCY_CODES``, else None."""
    from ._import_notes import CURRENCY_CODES

    for col in raw.columns:
        if col in skip or pd.api.types.is_numeric_dtype(raw[col]):
            continue
        text = raw[col].astype("string").str.strip().str.upper()
        filled = text[text.notna() & (text != "")]
        if not filled.empty and filled.isin(CURRENCY_CODES).all():
            return str(col)
    return None


def convert_amounts(raw: pd.DataFrame, amounts: list[pd.Series], rates: dict[str, float],
                    column: str, rates_name: str, keep: np.ndarray, source: str
                    ) -> tuple[list[pd.Series], dict[str, tuple[int, float]]]:
    """``amounts`` (the line revenue, and the unit price when there is one) multiplied by the
    rate of each line's currency in ``raw[column]``, and ``{currency: (lines, rate)}``. Lines
    of ``keep`` (those imported: guests are left out anyway) whose currency is empty or has no
    rate are a ``DataContractError`` naming the currencies, the lines and the fix."""
    codes = raw[column].astype("string").str.strip().str.upper()
    rate = codes.map(rates).astype("float64")
    probs = []
    missing = keep & rate.isna().to_numpy() & codes.notna().to_numpy() & (codes != "").fillna(
        False).to_numpy()
    if missing.any():
        counts = codes[missing].value_counts()
        named = ", ".join(f"{c} ({n:,} line{'s' if n != 1 else ''})" for c, n in counts.items()
                          ) if len(counts) > 1 else str(counts.index[0])
        n, rows, ex = problem_rows(missing, raw[column])
        first = str(counts.index[0])
        probs.append(Problem(column, f"holds {'a currency' if len(counts) == 1 else 'currencies'}"
                             f" with no rate in {rates_name}: {named}", n, rows, ex,
                             fix=f"add a row such as '{first},<rate>' to {rates_name} (how much "
                                 f"of the base currency one {first} is worth; it has "
                                 f"{', '.join(sorted(rates))})"))
    blank = keep & (codes.isna() | (codes == "")).fillna(True).to_numpy()
    if blank.any():
        n, rows, _ = problem_rows(blank)
        probs.append(Problem(column, "has lines without a currency, which --fx cannot "
                                     "convert", n, rows,
                             fix="fill in each line's currency"))
    if probs:
        raise DataContractError(source, probs)
    used = codes[keep].value_counts()
    done = {str(c): (int(n), float(rates[str(c)])) for c, n in used.items()}
    factor = rate.fillna(1.0)
    return [a * factor.to_numpy() for a in amounts], done
