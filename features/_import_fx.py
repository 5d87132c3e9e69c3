"""Currency conversion for ``orders_to_events`` (CLI ``brain data import-orders --fx FILE``).

A retailer with shops in several countries exports each line's amount in the shop's own
currency beside a currency column (``EUR``, ``GBP``). Without rates the import sums the amounts
as written and says so (``features._import_notes.mixed_currency_note``); with a rates file every
line's amount is multiplied by its currency's rate to the base currency, and a currency without
a rate is an error naming it, its lines and the fix.

The rates file (CSV, ',' or ';'): one row per currency, columns ``currency`` (an ISO 4217 code
such as ``GBP``, any case) and ``rate`` (how much of the base currency one unit is worth: with
EUR as the base, ``GBP,1.17`` and ``EUR,1``; a decimal comma ``1,17`` in a ';' file), named
in English or another language of ``FX_WORDS`` ('Währung;Kurs', 'devise,taux'). Amounts
already in the base currency need their row too (rate 1), so a currency left out by mistake
is never taken for the base.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from ._contracts import DataContractError, Problem, problem_rows
from ._parse import _numbers

__all__ = ["FX_WORDS", "convert_amounts", "currency_column", "read_fx_rates"]


FX_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "currency": {
        "English": ("currency", "currencycode", "ccy", "isocode", "code"),
        "German": ("waehrung", "wahrung", "waehrungscode", "wahrungscode"),
        "French": ("devise", "monnaie", "codedevise"),
        "Spanish": ("moneda", "divisa"),
        "Italian": ("valuta", "divisa"),
        "Dutch": ("valuta", "munteenheid", "munt"),
        "Portuguese": ("moeda",),
        "Danish / Norwegian / Swedish": ("valuta",),
        "Polish": ("waluta",),
    },
    "rate": {
        "English": ("rate", "exchangerate", "fxrate", "conversionrate", "fx"),
        "German": ("kurs", "wechselkurs", "umrechnungskurs", "devisenkurs"),
        "French": ("taux", "tauxdechange", "cours", "tauxdeconversion"),
        "Spanish": ("tasa", "tipodecambio", "tasadecambio", "cambio"),
        "Italian": ("tasso", "tassodicambio", "cambio"),
        "Dutch": ("koers", "wisselkoers"),
        "Portuguese": ("taxa", "taxadecambio", "cambio"),
        "Danish / Norwegian / Swedish": ("kurs", "valutakurs", "vekselkurs"),
        "Polish": ("kurs", "kurswymiany"),
    },
}
"""Names of the rates file's two columns, per language, lower case without accents, spaces or
punctuation ('Taux de change' -> ``tauxdechange``, 'Währung' -> ``wahrung``), as the store and
holiday columns of ``brain data import-series`` are named (``STORE_WORDS``,
``HOLIDAY_WORDS``). Until 2026-12-07 only 'currency' and 'rate' were read: a French file's
``devise;taux`` stopped the import."""


def _squash(name: object) -> str:
    """A column name lower case, without accents, spaces or punctuation."""
    text = unicodedata.normalize("NFKD", str(name).lower())
    return "".join(ch for ch in text if ch.isalnum() and not unicodedata.combining(ch))


def _fx_column(frame: pd.DataFrame, role: str, taken: Collection[str] = (),
               codes_only: bool = False) -> str | None:
    """The rates file's column of ``role`` by its name (``FX_WORDS``, in their order), else
    None; with ``codes_only``, only among the columns whose every filled cell is an ISO 4217
    code (a country 'Code' beside a 'Währung' is not the currency)."""
    by_name: dict[str, str] = {}
    for c in frame.columns:
        if str(c) not in taken and (not codes_only or currency_column(frame[[c]]) is not None):
            by_name.setdefault(_squash(c), str(c))
    for words in FX_WORDS[role].values():
        for word in words:
            if word in by_name:
                return by_name[word]
    return None


def _rate_numbers(text: pd.Series, semicolon: bool) -> pd.Series:
    """The rate cells as numbers, read as the importer reads amounts
    (``features._parse._numbers``: currency signs, thousands separators); ',' is the decimal
    mark in a ';' file, or when every filled cell is a number written with a decimal comma
    and none has a '.' (``"1,17"`` quoted in a ',' file)."""
    filled = text[text.notna() & (text != "")]
    comma = semicolon or (bool(len(filled)) and bool(filled.str.contains(",", regex=False).any())
                          and not bool(filled.str.contains(".", regex=False).any())
                          and bool(filled.str.fullmatch(r"-?\d+(,\d+)?").all()))
    values = pd.Series(np.nan, index=text.index, dtype="float64")
    if len(filled):
        values[filled.index] = _numbers(filled, comma)[0].astype("float64")
    return values


def read_fx_rates(path: Path | str) -> dict[str, float]:
    """``{currency code: rate}`` from a rates file; anything else is an error naming the rows.
    Its columns are found by their names in any language of ``FX_WORDS`` ('Währung;Kurs',
    'devise,taux'), else the currency column by its values (every cell an ISO 4217 code:
    ``currency_column``)."""
    from ._read import read_table

    path = Path(path)
    frame = read_table(path)
    cur = (_fx_column(frame, "currency", codes_only=True) or _fx_column(frame, "currency")
           or currency_column(frame))
    rate = _fx_column(frame, "rate", taken=(cur,) if cur else ())
    if cur is None or rate is None:
        names = {role: ", ".join(dict.fromkeys(w for ws in FX_WORDS[role].values()
                                               for w in ws[:2]))
                 for role in FX_WORDS}
        raise DataContractError(path.name, [Problem(
            "", f"needs the columns 'currency' and 'rate'; it has {list(frame.columns)}"
                + ("" if cur is None else f" (the currency read from {cur!r})"), 0,
            fix="write one row per currency: currency,rate (e.g. GBP,1.17 and EUR,1 when "
                "EUR is the base currency); other languages' names are read too (currency: "
                f"{names['currency']}; rate: {names['rate']})")])
    codes = frame[cur].astype("string").str.strip().str.upper()
    text = frame[rate].astype("string").str.strip()
    rates = _rate_numbers(text, frame.attrs.get("separator") == ";")
    probs = []
    bad = (rates.isna() | ~np.isfinite(rates.fillna(0)) | (rates <= 0)).fillna(True)
    if bad.any():
        n, rows, ex = problem_rows(bad.to_numpy(), frame[rate])
        probs.append(Problem(rate, "holds rates that are not numbers above 0", n,
                             rows, ex, fix="write each rate as a number such as 1.17"))
    blank = (codes.isna() | (codes == "")).fillna(True)
    if blank.any():
        n, rows, _ = problem_rows(blank.to_numpy())
        probs.append(Problem(cur, "has empty cells", n, rows,
                             fix="name the currency of each rate (GBP, EUR, ...)"))
    twice = codes.duplicated(keep=False) & ~blank
    if twice.any():
        n, rows, ex = problem_rows(twice.to_numpy(), codes)
        probs.append(Problem(cur, "names a currency twice", n, rows, ex,
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
