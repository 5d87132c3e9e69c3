"""Lines of an order-line export that are not products: postage, fees, manual adjustments.

UCI Online Retail II (and the shop systems that write like it) books postage (`POST`, `DOT`),
carriage (`C2`), bank charges, marketplace fees (`AMAZONFEE`), manual corrections (`M`
"Manual"), discounts (`D`), samples (`S`) and bad-debt adjustments (`B`) as lines of an
invoice, beside the products. ``brain data import-orders`` imports every line as a sale or a
refund, so such lines of known customers become purchase revenue; ``non_product_note`` counts
them, with their revenue, so that is never silent (until 2026-12-06 a check's 2,786 such lines,
0.7% of the customers' purchase revenue and 2.6% of the foreign customers', were counted as
sales without a word). The lines are kept: whether postage is revenue is the business's call.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from ._parse import MISSING_SPELLINGS
from ._tables import number_cells

__all__ = ["NON_PRODUCT_CODES", "non_product_lines", "non_product_note", "shipping_lines"]

NON_PRODUCT_CODES: dict[str, str] = {
    "POST": "postage", "DOT": "dotcom postage", "C2": "carriage",
    "BANK CHARGES": "bank charges", "AMAZONFEE": "marketplace fee", "CRUK": "charity commission",
    "ADJUST": "adjustment", "ADJUST2": "adjustment", "PADS": "price adjustment",
    "M": "manual line", "D": "discount", "S": "samples", "B": "bad-debt adjustment",
}
"""Online Retail II's stock codes of lines that are not products. The one-letter codes count
only in a column that also holds one of the longer codes or descriptions (a size column's `M`
and `S` are products)."""

_DESCRIPTIONS = frozenset({"postage", "dotcom postage", "carriage", "manual", "bank charges",
                           "amazon fee", "discount", "samples", "adjust bad debt",
                           "cruk commission"})


SHIPPING_CODES = frozenset({"POST", "DOT", "C2"})
"""Of ``NON_PRODUCT_CODES``, postage and carriage: what a cancellation of a whole invoice may
omit or add (``shipping_lines``)."""

_SHIPPING_DESCRIPTIONS = frozenset({"postage", "dotcom postage", "carriage"})


def shipping_lines(marked: pd.Series, text: pd.Series) -> pd.Series:
    """Of the lines ``marked`` as not products (``non_product_lines``), those of postage or
    carriage (``SHIPPING_CODES`` or their descriptions in ``text``). A cancellation of a whole
    invoice may leave these out; a manual line, a fee, a discount or a bad-debt adjustment
    carries money of its own and is compared like a product."""
    upper, lower = text.str.upper(), text.str.lower()
    ship = (upper.isin(SHIPPING_CODES) | lower.isin(_SHIPPING_DESCRIPTIONS)).fillna(False)
    return (marked & ship).astype(bool)


def _flagged(text: pd.Series) -> pd.Series:
    """Whether each cell is a non-product code or description (the one-letter codes only when
    the column holds a distinctive one)."""
    upper = text.str.upper()
    long_codes = {c for c in NON_PRODUCT_CODES if len(c) > 1}
    distinctive = (upper.isin(long_codes) | text.str.lower().isin(_DESCRIPTIONS)).fillna(False)
    if not distinctive.any():
        return distinctive
    return (distinctive | upper.isin(set(NON_PRODUCT_CODES))).fillna(False).astype(bool)


def _known(raw: pd.DataFrame, customer: str) -> pd.Series:
    ids = raw[customer].astype("string").str.strip()
    return ~(ids.isna() | ids.str.lower().isin(MISSING_SPELLINGS)).fillna(True)


def non_product_lines(raw: pd.DataFrame, *, customer: str, skip: Collection[str | None] = ()
                      ) -> tuple[str, pd.Series, pd.Series] | None:
    """The column marking lines as not products, which lines of customers with an id it marks
    (a boolean Series over ``raw``'s rows) and its stripped text; None when no line is marked.

    The column is found among the text columns not in ``skip`` (the import's own columns): the
    one flagging the most lines (a code column before its description column on a tie)."""
    known = _known(raw, customer)
    best: tuple[str, pd.Series, pd.Series] | None = None
    for col in raw.columns:
        if col in skip or col == customer or pd.api.types.is_numeric_dtype(raw[col]):
            continue
        text = raw[col].astype("string").str.strip()
        flag = (_flagged(text) & known).astype(bool)
        if flag.any() and (best is None or int(flag.sum()) > int(best[1].sum())):
            best = (str(col), flag, text)
    return best


def non_product_note(raw: pd.DataFrame, *, customer: str, amount: str | None = None,
                     quantity: str | None = None, price: str | None = None,
                     skip: Collection[str | None] = (), source: str = "orders",
                     netted: pd.Series | None = None) -> str | None:
    """A note counting the lines of customers (an id in ``customer``) whose code or description
    marks them as not a product (``NON_PRODUCT_CODES``; the column as ``non_product_lines``
    finds it), with their revenue and the filter that drops them; None when there are none.

    Revenue is ``amount``, else ``quantity`` x ``price``, read as ``number_cells`` reads them.
    ``netted``: a boolean Series over ``raw``'s rows, True for the lines of invoices netted away
    with their cancellations (``--net-cancelled-orders``): such lines are not imported, so they
    are counted apart, and the shares are of the purchase revenue left.
    """
    found = non_product_lines(raw, customer=customer, skip=skip)
    if found is None:
        return None
    col, flag, text = found
    known = _known(raw, customer)
    gone = (pd.Series(False, index=raw.index) if netted is None
            else netted.reindex(raw.index, fill_value=False).astype(bool))
    left_out = flag & gone
    flag, known = flag & ~gone, known & ~gone
    if not flag.any():  # every such line went with a netted invoice: none is imported
        return None
    if amount is not None:
        revenue = number_cells(raw[amount])[0]
    elif quantity is not None and price is not None:
        revenue = number_cells(raw[quantity])[0] * number_cells(raw[price])[0]
    else:
        revenue = pd.Series(float("nan"), index=raw.index)
    counts = text[flag].str.upper().value_counts()
    listed = ", ".join(f"{code} ({n:,} line{'s' if n != 1 else ''})"
                       for code, n in counts.head(6).items())
    if len(counts) > 6:
        listed += f" and {len(counts) - 6} more"
    bought = float(revenue[known & (revenue > 0)].sum())
    part = float(revenue[flag & (revenue > 0)].sum())
    back = float(revenue[flag & (revenue < 0)].sum())
    money = ""
    if bought > 0:
        pct = 100 * part / bought
        share = "under 0.1%" if 0 < pct < 0.05 else f"{pct:.1f}%"
        money = f", {part:,.2f} of the purchase revenue ({share})"
        if back < 0:
            money += f" and {back:,.2f} on negative lines"
    first = int(flag.to_numpy().nonzero()[0][0]) + 1
    values = sorted(str(v) for v in text[flag | left_out].dropna().unique())
    shown = ", ".join(repr(v) for v in values)  # all of them: the line is pasted as it is
    n = int(flag.sum())
    if left_out.any():
        m = int(left_out.sum())
        gone_rev = float(revenue[left_out & (revenue > 0)].sum())
        money += (f"; {m:,} more line{'s' if m != 1 else ''} ({gone_rev:,.2f} of purchase "
                  "revenue) went with the invoices netted away with their cancellations "
                  "(--net-cancelled-orders) and are not imported")
    return (f"{source}: {n:,} line{'s' if n != 1 else ''} of customers with an id "
            f"{'is' if n == 1 else 'are'} not products by column '{col}': {listed}{money}; "
            f"first at row {first}. They are imported as sales and refunds like any product "
            "line (postage, fees and manual adjustments count as the customer's spend). If "
            "they are not sales to you, drop them before importing: "
            f"df[~df[{col!r}].astype(str).str.strip().isin([{shown}])]")
