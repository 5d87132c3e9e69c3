"""Order exports (one row per order line, as shops and tills write them) into the events contract.

A retailer's export rarely has our column names: ``Invoice, StockCode, Quantity, InvoiceDate,
Price, Customer ID`` (UCI Online Retail II), or a till log with a basket id and a line amount.
``orders_to_events`` maps it without a hand-written script:

- revenue of a line is the amount column, or quantity times unit price;
- a line with negative revenue (a cancellation or a return) is a ``refund``, every other line a
  ``purchase``;
- lines of one order (same customer, order id, type, channel and category) become one event with
  their summed revenue at the order's first time, so identical lines of one invoice are not
  duplicates;
- lines without a customer id (guest checkouts) cannot belong to a customer: they are left out,
  with a note counting them and their share of revenue;
- everything else goes through ``validate_events``, so the result honours the events contract.

Bad input (a named column that is not in the file, numbers or times that do not read, missing
amounts) is one ``DataContractError`` naming the file, the column, the rows and the fix.
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from ._contracts import EVENTS, DataContractError, LoadReport, Problem, problem_rows
from ._import_cancels import net_whole_cancellations, repeated_lines_note
from ._import_dates import _date_order_fix, _given_format
from ._import_fx import convert_amounts, currency_column
from ._import_lines import non_product_lines, non_product_note, shipping_lines
from ._import_notes import common_last_day_note, mixed_currency_note, single_order_note
from ._import_sequences import per_customer_time_problem
from ._io import validate_events
from ._parse import (
    MISSING_SPELLINGS,
    _blank,
    _numbers,
    _parse_id,
    _parse_time,
    format_note,
    money_notes,
    order_decided_by,
)
from ._read import _looks_like_event_types
from ._times import utc_day_note

__all__ = ["orders_to_events"]


def _lines(n: int, verb: str = "") -> str:
    """'1 line has' / '3 lines have' (verb given as the plural: have, were)."""
    singular = {"have": "has", "were": "was", "are": "is"}.get(verb, verb)
    text = f"{n:,} line{'s' if n != 1 else ''}"
    return f"{text} {verb if n != 1 else singular}" if verb else text


def _column_problem(df: pd.DataFrame, name: str, role: str) -> Problem:
    cols = [str(c) for c in df.columns]
    by_lower = {c.strip().lower(): c for c in cols}
    close = by_lower.get(name.strip().lower()) or next(iter(
        difflib.get_close_matches(name, cols, n=1, cutoff=0.5)), None)
    hint = f"did you mean {close!r}? " if close else ""
    return Problem(name, f"is not in the file (named as the {role})", 0,
                   fix=f"{hint}the file's columns are: {', '.join(cols[:30])}")


def _number_column(raw: pd.Series, name: str, probs: list[Problem],
                   report: LoadReport, decimal_comma: bool = False) -> pd.Series:
    """Numbers of a quantity, price or amount column; currency symbols and thousands
    separators are removed (with a note); missing or unreadable cells are problems with their
    rows. ``decimal_comma``: the file is ';'-separated, as German and Excel exports are, and
    writes ',' as the decimal mark ('3,61' is 3.61, '1.234,50' is 1234.5), as the events
    loader reads such a file's revenue."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        out = raw.astype("float64")
    else:
        text = raw.astype("string").str.strip()
        num, cleaned = _numbers(text.fillna(""), decimal_comma)
        out = num.astype("float64")
        if cleaned and decimal_comma:
            comma = text.fillna("").str.contains(",", regex=False) & out.notna()
            if comma.any():
                first = text[comma].iloc[0]
                report.note(f"column '{name}' is read with ',' as the decimal mark, as "
                            f"';'-separated files write numbers (e.g. {first!r} -> "
                            f"{out[comma].iloc[0]:g}); '.' between thousands is dropped")
            if text.fillna("").str.contains(r"[$€£¥₹]").any():
                for note in money_notes(name, text.fillna(""), out.notna()):
                    report.note(note)
        elif cleaned:
            for note in money_notes(name, text.fillna(""), out.notna()):
                report.note(note)
    missing = _blank(raw)
    if missing.any():
        n, rows, _ = problem_rows(missing)
        probs.append(Problem(name, "has missing values", n, rows,
                             fix="fill them in (0 for free items) or remove those lines"))
    bad = out.isna().to_numpy() & ~missing
    if bad.any():
        n, rows, ex = problem_rows(bad, raw)
        probs.append(Problem(name, "has values that are not numbers", n, rows, ex,
                             fix=("use plain numbers with ',' as decimal mark and no other "
                                  "text" if decimal_comma else
                                  "use plain numbers with '.' as decimal point")))
    return out


def _refuse_event_logs(raw: pd.DataFrame, used: set[str | None], source: str) -> None:
    """An event log (a column of 'visit', 'purchase', ...) is not an order export: importing it
    would turn every visit into a purchase. A column already named 'event_type' is never
    suggested a rename to itself: the file is an events file (or nearly one) already."""
    # a column already named 'event_type' first: it is the one to talk about
    for col in sorted(raw.columns, key=lambda c: str(c) != "event_type"):
        if col in used or not _looks_like_event_types(raw[col]):
            continue
        kinds = raw[col].dropna().astype(str).str.strip().str.lower().value_counts()
        kinds = kinds[kinds.index != ""]
        other = kinds[~kinds.index.isin(["purchase", "refund"])]
        if other.empty:
            continue
        shown = ", ".join(f"{k!r} {n:,}" for k, n in kinds.head(4).items())
        missing = [c for c in EVENTS.required if c not in raw.columns]
        if str(col) != "event_type":
            fix = (f"rename its columns to the events contract instead (column '{col}' to "
                   "'event_type'; `brain data validate --events FILE` names each rename)")
        elif missing:
            fix = ("the file is an event log with the events contract's 'event_type' column "
                   f"already; add or rename its other columns ({', '.join(missing)} are "
                   "missing; `brain data validate --events FILE` names each rename, "
                   "docs/data-contracts.md 'events') and use it without import-orders")
        else:
            fix = ("the file looks like an events file already (it has every column of the "
                   f"events contract: {', '.join(EVENTS.required)}): use it as it is, without "
                   "import-orders; check it with `brain data validate --events FILE` "
                   "(docs/data-contracts.md 'events')")
        raise DataContractError(source, [Problem(
            str(col), f"holds event types ({shown}): this is an event log, not an order export, "
            "and importing it would count every row as a purchase", 0, fix=fix)])


def _origin(day_origin: str | pd.Timestamp) -> pd.Timestamp:
    """The date of day 1 given as ``day_origin`` (an ISO date); else a ValueError."""
    if isinstance(day_origin, pd.Timestamp):
        return day_origin.normalize()
    when = pd.to_datetime(pd.Series([str(day_origin).strip()]), errors="coerce",
                          format="%Y-%m-%d").iloc[0]
    if pd.isna(when):
        raise ValueError(f"--day-origin {day_origin!r} is not a date: give the date of day 1 as "
                         "YYYY-MM-DD, e.g. --day-origin 2020-01-01 (Python: day_origin=)")
    return pd.Timestamp(when)


MAX_DAY_NUMBER = 150_000
"""Day numbers beyond this (about 400 years) are not day numbers."""


def _day_numbers(raw: pd.Series, name: str, origin: pd.Timestamp, probs: list[Problem],
                 report: LoadReport) -> pd.Series:
    """Times of a column of day numbers: day 1 is ``origin``, day 2 the day after it."""
    text = raw.astype("string").str.strip()
    num = pd.to_numeric(text, errors="coerce").astype("float64")
    present = ~_blank(raw)
    ok = (num.notna() & (num == num.round()) & (num.abs() <= MAX_DAY_NUMBER)).to_numpy()
    bad = present & ~ok
    if bad.any():
        n, rows, ex = problem_rows(bad, raw)
        probs.append(Problem(name, f"has values that are not day numbers (whole numbers; day 1 "
                                   f"is --day-origin {origin:%Y-%m-%d})", n, rows, ex,
                             fix="give every line its day number, or leave --day-origin out "
                                 "when the column holds dates"))
    days = num.where(ok)
    ts = origin + pd.to_timedelta(days - 1, unit="D")
    if (present & ok).any():
        lo, hi = int(days.min()), int(days.max())
        report.note(f"column '{name}' read as day numbers: day 1 is {origin:%Y-%m-%d}, so days "
                    f"{lo:,} to {hi:,} are {origin + pd.Timedelta(days=lo - 1):%Y-%m-%d} to "
                    f"{origin + pd.Timedelta(days=hi - 1):%Y-%m-%d}; weekdays and seasons are "
                    "right only when that is the real date of day 1")
    return ts.astype("datetime64[ns]")


def _missing_times_of_day(raw: pd.Series, name: str, probs: list[Problem]) -> None:
    missing = _blank(raw)
    if missing.any():
        n, rows, _ = problem_rows(missing)
        probs.append(Problem(name, "has missing values", n, rows,
                             fix="fill them in (HHMM or HH:MM), or leave --time-of-day-col out"))


def _times_of_day(raw: pd.Series, name: str, probs: list[Problem],
                  report: LoadReport) -> pd.Series:
    """Times since midnight of a column of HHMM integers (705 is 07:05, 1000 is 10:00) or
    'HH:MM[:SS]' text."""
    text = raw.astype("string").str.strip()
    present = ~_blank(raw)
    hhmm = text.str.fullmatch(r"\d{1,4}").fillna(False).to_numpy(dtype=bool)
    num = pd.to_numeric(text.where(hhmm), errors="coerce")
    short = text.str.fullmatch(r"\d{1,2}").fillna(False).to_numpy(dtype=bool)
    if present.any() and short[present].all() and (num[present] <= 23).all():
        # whole hours (Instacart's order_hour_of_day: 0-23), not HHMM: as HHMM every line
        # would fall in the first 24 minutes after midnight
        report.note(f"column '{name}' holds whole numbers 0 to 23 only: read as hours of the "
                    f"day ({int(num[present].max())} is {int(num[present].max()):02d}:00, not "
                    f"00:{int(num[present].max()):02d} as HHMM) and added to the day")
        _missing_times_of_day(raw, name, probs)
        return pd.Series(pd.to_timedelta(num.astype("float64") * 3600, unit="s"),
                         index=raw.index)
    parts = text.str.extract(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$").apply(pd.to_numeric)
    hours = np.where(hhmm, num // 100, parts[0])
    minutes = np.where(hhmm, num % 100, parts[1])
    seconds = np.where(hhmm, 0, parts[2].fillna(0))
    ok = (hours < 24) & (minutes < 60) & (seconds < 60)  # NaN compares False
    bad = present & ~ok
    if bad.any():
        n, rows, ex = problem_rows(bad, raw)
        probs.append(Problem(name, "has values that are not times of day (HHMM such as 1000 "
                                   "for 10:00, or HH:MM)", n, rows, ex,
                             fix="give every line its time as HHMM or HH:MM, or leave "
                                 "--time-of-day-col out"))
    _missing_times_of_day(raw, name, probs)
    how = "HHMM" if hhmm[present].all() else "HH:MM" if not hhmm[present].any() else (
        "HHMM and HH:MM")
    report.note(f"column '{name}' read as times of day ({how}) and added to the day")
    secs = np.where(ok, hours * 3600 + minutes * 60 + seconds, np.nan)
    return pd.Series(pd.to_timedelta(secs, unit="s"), index=raw.index)


MONEY_WORDS = ("price", "amount", "revenue", "sales", "value", "total", "paid", "spend")
"""Parts of a column name that suggest money, named when no revenue option is given."""


def _check_revenue_options(raw: pd.DataFrame, amount: str | None, quantity: str | None,
                           price: str | None, source: str) -> None:
    """A ValueError naming the file and the fix unless the revenue is given one way: an amount
    column, or a quantity and a unit price column. An export without any money (Instacart's
    order lines have no prices) is told what to pass and what the value model then means."""
    if amount is not None and (quantity is not None or price is not None):
        raise ValueError(f"{source}: give the line revenue as an amount column (CLI "
                         "--amount-col), or as a quantity column and a unit price column "
                         "(--quantity-col and --price-col); not both")
    if amount is not None or (quantity is not None and price is not None):
        return
    if quantity is not None or price is not None:
        have, lack = (("--quantity-col", "--price-col") if quantity is not None
                      else ("--price-col", "--quantity-col"))
        raise ValueError(f"{source}: {have} needs {lack} too (revenue = quantity x unit "
                         "price); or give the line's revenue as --amount-col")
    cols = [str(c) for c in raw.columns]
    money = [c for c in cols if any(w in c.lower() for w in MONEY_WORDS)]
    seen = (f"columns that may hold it: {', '.join(money)}" if money else
            f"no column looks like money (the file's columns: {', '.join(cols[:30])})")
    raise ValueError(
        f"{source}: no line revenue given ({seen}). Fix: pass --amount-col (the line's revenue) "
        "or --quantity-col and --price-col (revenue = quantity x unit price). An export without "
        "money (a basket log such as Instacart's order_products.csv): churn and propensity "
        "need only when each customer ordered, so add a column holding 1 on every line (or "
        "the line's item count) and pass it as --amount-col; the value model then predicts "
        "items bought, not money (its reasons still say 'revenue')")


def _revenue_roles_note(amount_values: pd.Series | None, amount: str | None,
                        qty: pd.Series | None, unit: pd.Series | None, price: str | None,
                        report: LoadReport) -> None:
    """Note a revenue that reads as given in the wrong role (Ta-Feng's ``AMOUNT`` is the item
    count, ``SALES_PRICE`` the line's total): an amount column of whole numbers with a median
    of 2 or less (an item count), or a unit price whose lines of 2 or more items have a
    median 1.8x or more that of single items (a line total: revenue counted twice). Both had
    been imported without a word (revenue 172,350 against 17,557,398, or 34,941,632)."""
    if amount_values is not None and amount is not None:
        v = amount_values.dropna()
        v = v[v > 0]
        if len(v) >= 20 and bool((v == v.round()).all()) and float(v.median()) <= 2:
            report.note(f"column '{amount}' holds whole numbers with a median of "
                        f"{float(v.median()):g} as the line's revenue: if it is the number of "
                        "items, give it as --quantity-col with the unit price as --price-col "
                        "(or the line's total as --amount-col)")
        return
    if qty is None or unit is None:
        return
    one, more = unit[(qty == 1).to_numpy()].dropna(), unit[(qty >= 2).to_numpy()].dropna()
    if len(one) < 20 or len(more) < 20 or float(one.median()) <= 0:
        return
    ratio = float(more.median()) / float(one.median())
    if ratio >= 1.8:
        report.note(f"column '{price}' reads as the line's total, not a unit price: lines of 2 "
                    f"or more items have a median '{price}' {ratio:.1f}x that of single "
                    "items, so quantity x price counts their revenue again; if it is the "
                    f"line's total, give it as --amount-col {price} (without --quantity-col "
                    "and --price-col)")


def orders_to_events(raw: pd.DataFrame, *, customer: str, time: str, order: str | None = None,
                     amount: str | None = None, quantity: str | None = None,
                     price: str | None = None, channel: str | None = None,
                     default_channel: str = "unknown", category: str | None = None,
                     source: str = "orders", tz: str = "UTC",
                     day_origin: str | pd.Timestamp | None = None,
                     time_of_day: str | None = None,
                     net_cancellations: bool = False,
                     date_format: str | None = None,
                     fx: dict[str, float] | None = None, fx_source: str = "the rates file",
                     currency: str | None = None) -> pd.DataFrame:
    """Events (purchase and refund rows) from an order-line export.

    Args:
        raw: the export as read (``read_table``), one row per order line.
        customer, time: columns holding the customer id and the order time.
        order: column holding the order (invoice, basket) id; without it, lines of one customer
            at the same time are one order (numbered 1, 2, ... in time order).
        amount: column holding the line's revenue; or give ``quantity`` and ``price`` (revenue =
            quantity x unit price).
        channel: column holding the sales channel; without it every event gets
            ``default_channel``. Missing cells also get ``default_channel`` (counted in a note).
        category: column holding the product category (kept per line group, for category mix).
        source: file name used in errors and notes.
        tz: business time zone (times with UTC offsets are converted to it).
        day_origin: the ``time`` column holds day numbers (dunnhumby's ``DAY``: 1, 2, ...),
            and day 1 is this date (``YYYY-MM-DD``); CLI ``--day-origin``.
        time_of_day: column holding the time of day (HHMM integers such as 1000 for 10:00,
            or ``HH:MM`` text; a column of whole numbers 0-23 only is whole hours) added to
            the day of ``time``; CLI ``--time-of-day-col``.
        net_cancellations: with ``order``, leave out an invoice cancelled in full by a later
            negative invoice of the same customer with the same lines, together with that
            cancellation, with a note (``features._import_cancels``; CLI
            ``--net-cancelled-orders``). False (the default) keeps both, an order and a
            refund, as a return of a whole order is, and notes how many there are.
        date_format: the ``strftime`` format of ``time`` (``'%m/%d/%Y %H:%M'``: month first),
            for a column whose day/month order nothing in it settles (no day above 12); CLI
            ``--date-format``.
        fx: ``{currency code: rate to the base currency}`` (``features.read_fx_rates``; CLI
            ``--fx FILE``): each line's amount (and unit price) is multiplied by the rate of
            its currency; a currency without a rate, or a line without a currency, is an
            error naming them. Without it, an export in several currencies gets a note.
        fx_source: the rates file's name for errors and notes.
        currency: the column of each line's currency code (CLI ``--currency-col``); with
            ``fx`` and without it, the column whose every cell is a currency code.

    Returns:
        An events frame under the events contract (``validate_events``); notes on everything
        the import left out or changed are in ``attrs["load_notes"]`` and a summary dict in
        ``attrs["import_summary"]``.
    """
    _check_revenue_options(raw, amount, quantity, price, source)
    origin = _origin(day_origin) if day_origin is not None else None
    roles = {"customer id": customer, "order time": time, "time of day": time_of_day,
             "order id": order,
             "amount": amount, "quantity": quantity, "unit price": price,
             "channel": channel, "category": category}
    probs = [_column_problem(raw, name, role) for role, name in roles.items()
             if name is not None and name not in raw.columns]
    if probs:
        raise DataContractError(source, probs)
    _refuse_event_logs(raw, set(roles.values()), source)
    counted = per_customer_time_problem(raw, time, customer, order, origin)
    if counted is not None:  # order_number, days_since_prior_order: no dates at all
        raise DataContractError(source, [counted])
    decimal_comma = raw.attrs.get("separator") == ";"  # read_table's mark of a ';' file
    raw = raw.reset_index(drop=True)
    report = LoadReport(source, rows_read=len(raw))
    report.notes.extend(raw.attrs.get("read_notes", []))  # e.g. a ';'-separated file
    formats: dict[str, str] = {}
    if origin is not None:
        ts = _day_numbers(raw[time], time, origin, probs, report)
    elif date_format is not None:
        ts = _given_format(raw[time], time, date_format, probs, tz)
        report.note(f"column '{time}' read as {date_format} (--date-format)")
    else:
        ts = _parse_time(raw[time], time, tz, probs, date_only=False, formats=formats)
        probs[:] = [_date_order_fix(p, time) for p in probs]
        if not probs:
            _utc_note(raw[time], ts, time, tz, report)
    for col_name, fmt in formats.items():
        report.note(format_note(col_name, fmt) + order_decided_by(raw[col_name], fmt))
    if time_of_day is not None:
        timed = (ts.notna() & (ts != ts.dt.normalize())).to_numpy()
        if timed.any():
            n, rows, ex = problem_rows(timed, raw[time])
            probs.append(Problem(time, "holds times of day already, so --time-of-day-col "
                                       f"'{time_of_day}' cannot be added to it", n, rows, ex,
                                 fix="leave --time-of-day-col out, or give --time-col the "
                                     "column of dates (or day numbers)"))
        ts = ts + _times_of_day(raw[time_of_day], time_of_day, probs, report)
    no_time = _blank(raw[time])
    if no_time.any():
        n, rows, _ = problem_rows(no_time)
        probs.append(Problem(time, "has missing values", n, rows,
                             fix="fill them in or remove those lines"))
    unit: pd.Series | None = None
    qty: pd.Series | None = None
    if amount is not None:
        revenue = _number_column(raw[amount], amount, probs, report, decimal_comma)
    else:
        assert quantity is not None
        assert price is not None
        unit = _number_column(raw[price], price, probs, report, decimal_comma)
        qty = _number_column(raw[quantity], quantity, probs, report, decimal_comma)
        revenue = qty * unit
    if probs:
        raise DataContractError(source, probs)
    _revenue_roles_note(revenue if amount is not None else None, amount, qty, unit, price,
                        report)
    both = np.zeros(len(raw), dtype=bool)
    if qty is not None and unit is not None:
        # a return written with both signs (-1 x -2.50): the product is positive, and the
        # returned lines had been counted as refunds adding to the revenue (2026-12-07)
        both = ((qty < 0) & (unit < 0)).fillna(False).to_numpy()
        if both.any():
            n, rows, _ = problem_rows(both)
            revenue = revenue.mask(both, -revenue.abs())
            report.note(f"{_lines(n, 'have')} a negative '{quantity}' and a negative "
                        f"'{price}' (first at row {rows[0]}): read as returns of quantity x "
                        f"unit price ({-float(revenue[both].sum()):,.2f}), not as revenue")

    cust_text = raw[customer].astype("string").str.strip()
    guest = (cust_text.isna() | cust_text.str.lower().isin(MISSING_SPELLINGS)).fillna(True
                                                                                     ).to_numpy()
    converted: dict[str, tuple[int, float]] = {}
    if fx is not None:
        col = currency or currency_column(raw, skip={*roles.values()})
        if col is None or col not in raw.columns:
            raise DataContractError(source, [Problem(
                col or "", "is not a column of the file" if col else
                "has no column of currency codes (EUR, GBP, ...) to convert with the rates", 0,
                fix=f"name the column of each line's currency with --currency-col; columns: "
                    f"{list(raw.columns)[:20]}")])
        amounts = [revenue] if unit is None else [revenue, unit]
        amounts, converted = convert_amounts(raw, amounts, fx, col, fx_source, ~guest, source)
        revenue = amounts[0]
        if unit is not None:
            unit = amounts[1]
        report.note(f"amounts converted to the base currency by '{col}' with the rates of "
                    f"{fx_source}: "
                    + ", ".join(f"{c} x {r:g} ({n:,} line{'s' if n != 1 else ''})"
                                for c, (n, r) in converted.items()))
    lines = pd.DataFrame({"ts": ts, "revenue": revenue.round(6) + 0.0})  # + 0.0: no -0.0
    # a cancelled or returned line: negative revenue, or a negative quantity at price 0 (it
    # was a purchase before, and would add a false order)
    back = (lines["revenue"] < 0).to_numpy().copy()
    if qty is not None:
        back |= (qty < 0).to_numpy()
    lines["event_type"] = np.where(back, "refund", "purchase")
    if channel is not None:
        chan = raw[channel].astype("string").str.strip().mask(lambda s: s == "")
        n_fill = int((chan.isna().to_numpy() & ~guest).sum())
        if n_fill:
            report.note(f"{_lines(n_fill, 'have')} no '{channel}'; given channel "
                        f"{default_channel!r}")
        lines["channel"] = chan.fillna(default_channel)
    else:
        lines["channel"] = default_channel
    keys = ["user_id", "order_id", "event_type", "channel"]
    if order is not None:
        lines["order_id"] = raw[order].astype("string").str.strip()
        no_order = lines["order_id"].isna().to_numpy() & ~guest
        if no_order.any():  # such a line is its own order
            n, rows, _ = problem_rows(no_order)
            report.note(f"{_lines(n, 'have')} no '{order}' (first at row {rows[0]}); each is "
                        "imported as an order of its own")
            lines.loc[no_order, "order_id"] = [f"line-{r + 1}" for r in np.flatnonzero(
                no_order)]
    if category is not None:
        lines["category"] = raw[category].astype("string").str.strip().mask(lambda s: s == "")
        keys.append("category")

    if guest.any():
        n, rows, _ = problem_rows(guest)
        total = float(lines.loc[lines["revenue"] > 0, "revenue"].sum())
        share = float(lines.loc[guest & (lines["revenue"] > 0).to_numpy(), "revenue"].sum())
        pct = f", {_share(share, total)} of the purchase revenue" if total > 0 else ""
        report.note(f"{n:,} of {_lines(len(raw))} {'has' if n == 1 else 'have'} no customer "
                    f"id in '{customer}' (guest "
                    f"checkouts{pct}; first at row {rows[0]}): not imported, as every event "
                    "needs a customer")
    if unit is not None and ((unit < 0).to_numpy() & ~guest & ~both).any():
        n, rows, _ = problem_rows((unit < 0).to_numpy() & ~guest & ~both)
        report.note(f"{_lines(n, 'have')} a negative '{price}' (adjustments such as bad-debt "
                    f"write-offs; first at row {rows[0]}): imported as refunds when the line's "
                    "revenue is negative")
    # exact copies of a line (every column of the export equal): summed as repeated items of
    # their order, as a till writes two scans of one item; an export that repeats rows (a
    # re-run, a join) counts them twice, so they are counted in a note (until 2026-12-06 a
    # grocery check's 1% repeated rows added 1% to revenue in silence)
    copies = raw.duplicated(keep="first").to_numpy() & ~guest
    if copies.any():
        n, rows, _ = problem_rows(copies)
        total = float(lines.loc[~guest & (lines["revenue"] > 0).to_numpy(), "revenue"].sum())
        part = float(lines.loc[copies & (lines["revenue"] > 0).to_numpy(), "revenue"].sum())
        pct = f", {_share(part, total)} of the purchase revenue" if total > 0 else ""
        copy = "an exact copy" if n == 1 else "exact copies"
        report.note(f"{_lines(n, 'are')} {copy} of an earlier line (every column equal"
                    f"{pct}; first at row {rows[0]}): summed into their order as repeated "
                    "items. If the export repeated rows, drop them first "
                    "(pd.read_csv(...).drop_duplicates())")
    lines = lines.loc[~guest]
    lines.insert(0, "user_id", _parse_id(raw.loc[~guest, customer]))
    if order is None:  # one order per customer and time, numbered in time order
        lines["order_id"] = lines.groupby(["ts", "user_id"], sort=True).ngroup() + 1
    netted: dict[str, object] = {"orders": 0, "revenue": 0.0}
    # postage, fees and manual lines (features._import_lines) are named in a note; postage and
    # carriage are not compared when an invoice and its cancellation are matched (a manual line
    # or a fee carries money of its own: compared like a product)
    own = {time, order, amount, quantity, price, channel, time_of_day}
    found = non_product_lines(raw, customer=customer, skip=own)
    non_product = shipping_lines(found[1], found[2]) if found is not None else None
    gone = pd.Series(False, index=raw.index)  # lines netted away with a cancellation
    if order is not None and net_cancellations:  # Online Retail's C invoices cancelled in full
        before = lines.index
        lines, netted = net_whole_cancellations(lines, qty, unit, report, non_product)
        gone = pd.Series(raw.index.isin(before.difference(lines.index)), index=raw.index)
    elif order is not None:  # cancelled or returned in full: kept, and counted
        repeated = repeated_lines_note(lines, qty, unit, non_product)
        if repeated:
            report.note(repeated)
    n_free = int(((lines["revenue"] == 0) & (lines["event_type"] == "purchase")).sum())
    if n_free:
        report.note(f"{_lines(n_free, 'have')} revenue 0 (free items, zero prices); kept as part "
                    "of their order")
    if lines.empty:
        raise ValueError(f"{source}: every line lacks a customer id in '{customer}': there is "
                         "nothing to import (are the ids in another column?)")

    events = lines.groupby(keys, sort=False, dropna=False).agg(
        ts=("ts", "min"),  # an order's event is at its first line's time
        revenue=("revenue", "sum"), lines=("revenue", "size")).reset_index()
    events["revenue"] = events["revenue"].round(6)
    events = events.sort_values("ts", kind="stable")
    orders = events.drop_duplicates(["user_id", "order_id", "event_type"])["event_type"]
    summary = {  # orders and refunds, not events (one per category of an order)
        "lines": len(raw), "guest_lines": int(guest.sum()), "netted_lines": int(gone.sum()),
        "customers": int(events["user_id"].nunique()),
        "purchases": int((orders == "purchase").sum()),
        "refunds": int((orders == "refund").sum()),
        "purchase_revenue": float(events.loc[events["event_type"] == "purchase",
                                             "revenue"].sum()),
        "refund_revenue": float(events.loc[events["event_type"] == "refund", "revenue"].sum()),
        "first": events["ts"].min(), "last": events["ts"].max(),
        "cancelled_orders": int(netted["orders"]),  # type: ignore[call-overload]
        "cancelled_revenue": float(netted["revenue"]),  # type: ignore[arg-type]
    }
    # the lines merged into their order's events are counted by the summary (events, orders,
    # lines kept): until 2026-12-07 a note of its own counted them a third way
    summary["events"] = len(events)
    summary["by_category"] = category is not None
    summary["converted"] = converted
    out_cols = ["user_id", "ts", "event_type", "channel", "revenue", "order_id",
                *(["category"] if category is not None else [])]
    frame = validate_events(events[out_cols].reset_index(drop=True), source, tz=tz,
                            on_duplicate="keep")
    once = single_order_note(frame, customer)
    if once:
        report.note(once)
    same_end = common_last_day_note(frame, customer)
    if same_end:
        report.note(same_end)
    # postage, fees and manual lines are imported as sales: say so (features._import_lines)
    # (lines of invoices netted away with their cancellations are not imported: counted apart)
    not_products = non_product_note(
        raw, customer=customer, amount=amount, quantity=quantity, price=price, skip=own,
        source=source, netted=gone if gone.any() else None)
    if not_products:
        report.notes.append(not_products)  # it names the source itself
    currencies = None if converted else mixed_currency_note(
        raw, lines["revenue"], skip={*own, customer, category}, source=source)
    if currencies:
        report.notes.append(currencies)
    frame.attrs["load_notes"] = [*report.notes, *frame.attrs.get("load_notes", [])]
    frame.attrs["import_summary"] = summary
    return frame


def _utc_note(raw: pd.Series, ts: pd.Series, col: str, tz: str, report: LoadReport) -> None:
    """Note times written with offsets other than UTC's read without ``--tz``
    (``features._times.utc_day_note``; an Olist-style export at -03:00 / -02:00 had 6,448 of
    56,579 lines, 11.4%, moved to another day in silence until 2026-12-06)."""
    note = utc_day_note(raw, ts, col, tz, unit="line", example="America/Sao_Paulo")
    if note:
        report.note(note)


def _share(part: float, total: float) -> str:
    """``part`` as a percentage of ``total``, one decimal; a part that is not 0 never reads
    "0.0%" ("under 0.1%": a grocery check's 300 guest lines of 1,350 in 4.0 million read
    "0.0% of the purchase revenue")."""
    pct = 100 * part / total
    return "under 0.1%" if 0 < pct < 0.05 else f"{pct:.1f}%"
