"""Events -> long-format traffic series (visits, orders, revenue) per channel and in total.

Output is the forecasting contract: ``series_id`` (str), ``ds`` (datetime64, period start),
``y`` (float). Series ids:
    * visits: ``total`` and ``channel=<channel>``;
    * orders (distinct ``order_id`` of purchase rows, or purchase rows when there is no order id):
      ``orders:total`` and ``orders:channel=<channel>``;
    * revenue (sum of ``revenue`` of purchase rows): ``revenue:total``,
      ``revenue:channel=<channel>``.
Orders and revenue series appear only when the events hold purchases. Every period between the
first and last event is present (zero when nothing happened), so gaps are never silent. A last
period the data covers less than half of is left out (and said so in ``attrs['load_notes']``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["METRICS", "local_hours", "traffic_series"]

METRICS: tuple[str, ...] = ("visits", "orders", "revenue")
"""Metrics ``traffic_series`` can build."""

_FREQS = {"D": "D", "d": "D", "day": "D", "daily": "D", "h": "h", "H": "h", "hour": "h",
          "hourly": "h"}


def _visit_mask(events: pd.DataFrame) -> np.ndarray:
    """The rows counted as visits: the first of 'visit', 'session_start', 'page_view' the log
    has, else every row."""
    types = events["event_type"].astype(str).to_numpy()
    for kind in ("visit", "session_start", "page_view"):
        mask = types == kind
        if mask.any():
            return mask
    return np.ones(len(events), dtype=bool)


def _visit_rows(events: pd.DataFrame) -> pd.DataFrame:
    return events[_visit_mask(events)]


def _counted(events: pd.DataFrame, metrics: Sequence[str]) -> np.ndarray:
    """Rows some series of ``metrics`` counts: the visit rows (see ``_visit_rows``) and, for
    orders or revenue, the purchases; every row when none of them is there. By position (an
    index with repeated labels had marked other rows of a visit's label too)."""
    mask = np.zeros(len(events), dtype=bool)
    if "visits" in metrics:
        mask |= _visit_mask(events)
    if {"orders", "revenue"} & set(metrics):
        mask |= (events["event_type"].astype(str) == "purchase").to_numpy()
    return mask if mask.any() else np.ones(len(events), dtype=bool)


def _within_counted_span(events: pd.DataFrame, counted: np.ndarray, freq: str,
                         notes: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """``events`` and their ``counted`` mask (``_counted``) without the periods before the
    first and after the last one holding a row some series counts (a visit or a purchase),
    with a note.

    An order export carries refunds (or e-mail opens) dated after its last visit: those days
    had become periods of 0 visits, 0 orders and 0 revenue at the end of every series, which
    the forecaster reads as a collapse (a check's shop of ~1,000 visits a day was forecast at
    150 a day after two such days)."""
    first, last = events.loc[counted, "ds"].min(), events.loc[counted, "ds"].max()
    outside = (events["ds"] < first) | (events["ds"] > last)
    if not outside.any():
        return events, counted
    out = events[outside]
    kinds = ", ".join(f"{k} ({n:,})" for k, n in
                      out["event_type"].astype(str).value_counts().items())
    fmt = "%Y-%m-%d" if freq == "D" else "%Y-%m-%d %H:00"
    ts = pd.to_datetime(out["ts"])
    notes.append(
        f"{int(outside.sum()):,} events ({kinds}) from {ts.min()} to {ts.max()} lie outside the "
        f"periods with visits or purchases ({first.strftime(fmt)} .. {last.strftime(fmt)}); "
        "the series cover those periods only: counted as 0 visits, 0 orders and 0 revenue, "
        "the periods outside would read as a collapse (or a start from nothing)")
    inside = ~outside.to_numpy()
    return events[inside], counted[inside]


def traffic_series(
    events: pd.DataFrame,
    freq: str = "D",
    metrics: Sequence[str] = METRICS,
    *,
    by_channel: bool = True,
) -> pd.DataFrame:
    """Aggregate an events frame into long-format traffic series.

    Visits count rows with ``event_type == 'visit'`` (falling back to ``session_start``, then
    ``page_view``, then every row when the data has no visit rows).

    Args:
        events: frame as returned by ``features._io.load_events`` (needs ``ts``, ``event_type``;
            ``channel``, ``revenue`` and ``order_id`` are used when present).
        freq: ``"D"`` (daily) or ``"h"`` (hourly).
        metrics: subset of ``METRICS`` to build.
        by_channel: also build one series per channel.

    Returns:
        Long frame ``series_id``, ``ds``, ``y`` sorted by series then time.

    Raises:
        ValueError: unknown ``freq`` or metric, missing columns, or no events.
    """
    if freq not in _FREQS:
        msg = f"traffic_series: freq must be 'D' or 'h', received {freq!r}"
        raise ValueError(msg)
    unknown = set(metrics) - set(METRICS)
    if unknown:
        msg = f"traffic_series: unknown metrics {sorted(unknown)}; choose from {list(METRICS)}"
        raise ValueError(msg)
    for col in ("ts", "event_type"):
        if col not in events.columns:
            msg = (f"traffic_series: events lack column {col!r} (columns received: "
                   f"{list(events.columns)}); load them with features._io.load_events")
            raise ValueError(msg)
    if events.empty:
        msg = "traffic_series: the events frame is empty; there is nothing to aggregate"
        raise ValueError(msg)
    f = _FREQS[freq]
    ev = events.copy()
    ev["ds"] = pd.to_datetime(ev["ts"]).dt.floor(f)
    if "channel" not in ev.columns:
        ev["channel"] = "unknown"
    ev["channel"] = ev["channel"].astype("string").fillna("unknown")
    notes: list[str] = []
    # the counted rows once (the event types are read as text: seconds on a big log)
    ev, counted = _within_counted_span(ev, _counted(ev, metrics), f, notes)
    fed = ev[counted]
    last_ds = fed["ds"].max()
    period = pd.Timedelta(days=1) if f == "D" else pd.Timedelta(hours=1)
    last_ts = pd.to_datetime(fed["ts"]).max()
    if last_ts < last_ds + period / 2 and fed["ds"].nunique() > 1:
        # the data stops early in its last period: a partial period would look like a collapse
        notes.append(f"last period {last_ds} is partial (data ends at {last_ts}); it is left out "
                     "of the series")
        keep = (ev["ds"] < last_ds).to_numpy()
        ev, counted = ev[keep], counted[keep]
        last_ds = ev.loc[counted, "ds"].max()
    grid = pd.date_range(ev["ds"].min(), last_ds, freq=f)
    parts: list[pd.DataFrame] = []

    def add(prefix: str, frame: pd.DataFrame, value: str | None, how: str) -> None:
        groups: list[tuple[str, pd.DataFrame]] = [("total", frame)]
        if by_channel:
            groups += [(f"channel={c}", g) for c, g in frame.groupby("channel", sort=True)]
        for name, g in groups:
            if how == "count":
                s = g.groupby("ds").size().astype(float)
            elif how == "nunique":
                s = g.groupby("ds")[value].nunique().astype(float)
            else:
                s = g.groupby("ds")[value].sum().astype(float)
            s = s.reindex(grid, fill_value=0.0)
            parts.append(pd.DataFrame({"series_id": prefix + name, "ds": grid,
                                       "y": s.to_numpy(dtype=float)}))

    if "visits" in metrics:
        add("", _visit_rows(ev), None, "count")
    purchases = ev[ev["event_type"].astype(str) == "purchase"]
    if not purchases.empty:
        if "orders" in metrics:
            if "order_id" in purchases.columns and purchases["order_id"].notna().any():
                p = purchases.copy()
                p["order_key"] = p["order_id"].astype("string").fillna(
                    pd.Series(np.arange(len(p)).astype(str), index=p.index))
                add("orders:", p, "order_key", "nunique")
            else:
                add("orders:", purchases, None, "count")
        if "revenue" in metrics and "revenue" in purchases.columns:
            p = purchases.copy()
            p["revenue"] = pd.to_numeric(p["revenue"], errors="coerce").fillna(0.0)
            add("revenue:", p, "revenue", "sum")
    out = pd.concat(parts, ignore_index=True)
    out["series_id"] = out["series_id"].astype(str)
    out["ds"] = out["ds"].astype("datetime64[ns]")
    out = out.sort_values(["series_id", "ds"], kind="stable").reset_index(drop=True)
    out.attrs["load_notes"] = notes
    return out


def local_hours(series: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Hourly series built from events read in ``tz`` local time, with its clock changes undone.

    The hour repeated when clocks go back holds two real hours: halved, so it reads as one
    hour's traffic (``validate_series`` averages such rows of a series file the same way). The
    hour skipped in spring never happened: its row (0, as every empty period) is dropped, a gap.
    Notes go to ``attrs['load_notes']``. Daily series and UTC are returned as they are.
    """
    if tz == "UTC" or series.empty:
        return series
    ds = pd.DatetimeIndex(series["ds"])
    if not (ds != ds.normalize()).any():
        return series
    from ._series_io import clock_change_hours

    changes = clock_change_hours(ds, tz)
    if changes is None:
        return series
    ambiguous, skipped = changes
    if not (ambiguous.any() or skipped.any()):
        return series
    out = series.copy()
    out.loc[ambiguous, "y"] = out.loc[ambiguous, "y"] / 2
    out = out[~skipped].reset_index(drop=True)
    notes = list(series.attrs.get("load_notes", []))
    if ambiguous.any():
        hours = sorted({t.strftime("%Y-%m-%d %H:%M") for t in ds[ambiguous]})
        notes.append(f"series: the hour repeated when clocks go back in {tz} "
                     f"({', '.join(hours[:3])}) holds two real hours: halved, to read as one")
    if skipped.any():
        hours = sorted({t.strftime("%Y-%m-%d %H:%M") for t in ds[skipped]})
        notes.append(f"series: the hour skipped when clocks go forward in {tz} "
                     f"({', '.join(hours[:3])}) is left as a gap")
    out.attrs["load_notes"] = notes
    return out
