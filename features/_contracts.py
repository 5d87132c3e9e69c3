"""Data contracts: what each input file must hold, and the one error type a bad file raises.

Each contract is a list of ``Column`` rules. ``features._io`` applies them when loading and raises
one ``DataContractError`` that lists every broken rule, each naming the file, the column, the rule,
how many rows break it and the first examples (1-based data rows, as a spreadsheet shows them
under the header).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "CALENDAR",
    "EVENTS",
    "KNOWN_EVENT_TYPES",
    "SERIES",
    "SPEND",
    "Column",
    "Contract",
    "DataContractError",
    "LoadReport",
    "Problem",
]

Kind = Literal["id", "timestamp", "date", "float", "string"]

KNOWN_EVENT_TYPES: tuple[str, ...] = (
    "visit",
    "page_view",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "checkout",
    "purchase",
    "refund",
    "email_open",
    "email_click",
)
"""Event types the pipeline understands; others are rejected unless explicitly allowed."""


@dataclass(frozen=True)
class Column:
    """One column rule.

    Attributes:
        name: column name as it must appear in the file (exact, lower case).
        kind: how values are parsed: id (integer or string), timestamp, date, float, string.
        required: the column must be present.
        nullable: missing values are allowed (otherwise each missing value is an error).
        meaning: one line for the docs.
    """

    name: str
    kind: Kind
    required: bool = True
    nullable: bool = False
    meaning: str = ""


@dataclass(frozen=True)
class Contract:
    """A named list of columns plus the key that must be unique (if any)."""

    name: str
    columns: tuple[Column, ...]
    unique_key: tuple[str, ...] = ()

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class Problem:
    """One broken rule in one column of one file."""

    column: str
    rule: str
    n_rows: int
    rows: tuple[int, ...] = ()
    examples: tuple[str, ...] = ()
    fix: str = ""

    def render(self, source: str) -> str:
        where = f"column '{self.column}'" if self.column else "file"
        msg = f"{source}: {where} {self.rule}"
        if self.n_rows:
            msg += f" ({self.n_rows:,} row{'s' if self.n_rows != 1 else ''}"
            if self.rows:
                shown = ", ".join(
                    f"{r}: {e!r}" if e is not None else str(r)
                    for r, e in zip(self.rows, self.examples or (None,) * len(self.rows),
                                    strict=False)
                )
                msg += f"; first at row {shown}"
            msg += ")"
        if self.fix:
            msg += f". Fix: {self.fix}"
        return msg


class DataContractError(ValueError):
    """An input file breaks its data contract. ``problems`` lists every broken rule."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        lines = [p.render(source) for p in problems]
        head = lines[0] if len(lines) == 1 else (
            f"{source}: {len(lines)} data contract problems:\n  - " + "\n  - ".join(lines))
        super().__init__(head)


@dataclass
class LoadReport:
    """What loading changed, so nothing happens silently. Logged as warnings by the loader."""

    source: str
    rows_read: int = 0
    rows_out: int = 0
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(f"{self.source}: {text}")


def problem_rows(mask: np.ndarray | pd.Series, values: pd.Series | None = None,
                 limit: int = 3) -> tuple[int, tuple[int, ...], tuple[str, ...]]:
    """Count, first row numbers (1-based data rows) and example values where ``mask`` holds."""
    m = np.asarray(mask, dtype=bool)
    idx = np.flatnonzero(m)
    rows = tuple(int(i) + 1 for i in idx[:limit])
    ex: tuple[str, ...] = ()
    if values is not None:
        ex = tuple("" if pd.isna(v) else str(v) for v in values.iloc[idx[:limit]])
    return int(m.sum()), rows, ex


EVENTS = Contract(
    "events",
    (
        Column("user_id", "id", meaning="customer identifier (integer or string)"),
        Column("ts", "timestamp", meaning="event time; offsets are converted to the business "
               "time zone, naive times are taken as already in it"),
        Column("event_type", "string", meaning="visit, add_to_cart, purchase, ... (see "
               "KNOWN_EVENT_TYPES); case and surrounding spaces are ignored"),
        Column("channel", "string", meaning="marketing channel of the event (e.g. email, "
               "paid_search, organic)"),
        Column("revenue", "float", nullable=True, meaning="order revenue on purchase rows "
               "(>= 0), negative only on refund rows; empty means 0 on other rows"),
        Column("category", "string", required=False, nullable=True,
               meaning="product category of the event"),
        Column("order_id", "id", required=False, nullable=True,
               meaning="order identifier of purchase rows (line items share it)"),
        Column("acquisition_channel", "string", required=False, nullable=True,
               meaning="channel that first brought the customer"),
    ),
)

CALENDAR = Contract(
    "calendar",
    (
        Column("name", "string", meaning="event name, e.g. 'Double 11'"),
        Column("start", "date", meaning="first day of the event"),
        Column("end", "date", meaning="last day of the event (inclusive, >= start)"),
        Column("kind", "string", meaning="promotion, sale, holiday, launch, ..."),
        Column("channel", "string", required=False, nullable=True,
               meaning="channel the event runs on; empty means all channels"),
        Column("intensity", "float", required=False, nullable=True,
               meaning="strength such as discount depth (0.3 = 30% off); empty means 1.0"),
    ),
    unique_key=("name", "start", "channel"),
)

SPEND = Contract(
    "spend",
    (
        Column("date", "date", meaning="day of the spend"),
        Column("channel", "string", meaning="marketing channel"),
        Column("spend", "float", meaning="money spent that day on that channel (>= 0)"),
    ),
    unique_key=("date", "channel"),
)

SERIES = Contract(
    "series",
    (
        Column("series_id", "string", meaning="series name, e.g. 'total' or 'channel=email'"),
        Column("ds", "timestamp", meaning="period start (daily or hourly)"),
        Column("y", "float", meaning="observed value (visits, orders, revenue)"),
    ),
    unique_key=("series_id", "ds"),
)
