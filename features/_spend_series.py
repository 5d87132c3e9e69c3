"""Channel spend as a known-in-advance ``spend`` column of the traffic series built from events.

The spend contract (``date, channel, spend``, one row per day and channel) meets the series of
``traffic_series`` (``total``, ``channel=<c>``, ``orders:channel=<c>``, ...) by these rules:

* a channel's series (visits, orders and revenue of ``channel=<c>``) take that channel's spend:
  its visits are what the spend buys, and its orders and revenue follow its visits;
* the totals (``total``, ``orders:total``, ``revenue:total``) take the spend summed over every
  channel of the file, since every channel's visits are part of them;
* every other series (a channel without spend: organic, e-mail sent for free) takes 0. The
  long format has one set of columns for all its rows and a known-in-advance value may not be
  missing; a column that never moves gives that series no response to it
  (``training._forecast_response``), so 0 changes nothing there.

``join_spend`` does this for a history (every day of the series' span must have a row for every
channel of the file: a missing day is an error, never a silent 0), ``spend_plan`` for the
forecast days of a fitted model (the ``future`` rows ``brain forecast predict`` and
``POST /forecast_traffic`` read).

``join_spend`` also records, in the frame's ``attrs[SOURCES_ATTR]``, what it built the column
from (``spend_sources``): the file's channels and, per series, the channels whose spend its
column holds. ``brain forecast train`` keeps that record in the fitted forecaster
(``column_sources_``), so a plan can be checked against the channels the history summed.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["SOURCES_ATTR", "SPEND_COLUMN", "channel_series", "join_spend", "spend_channel",
           "spend_plan", "spend_sources"]

SPEND_COLUMN = "spend"
"""The name of the known-in-advance column."""

SOURCES_ATTR = "column_sources"
"""Key of ``DataFrame.attrs`` holding ``{column: spend_sources(...)}`` of joined columns."""

_TOTALS = ("total", "orders:total", "revenue:total")


def spend_channel(series_id: str) -> str | None:
    """The channel whose spend a series takes ('*' for the sum over channels; None: none)."""
    if series_id in _TOTALS:
        return "*"
    metric, _, rest = series_id.rpartition("channel=")
    if rest and metric in ("", "orders:", "revenue:"):
        return rest
    return None


def channel_series(total_id: str, channel: str) -> str | None:
    """The series of ``channel`` that a total sums with the others (``total`` ->
    ``channel=<c>``, ``orders:total`` -> ``orders:channel=<c>``); None for a series that is
    not a total."""
    if total_id not in _TOTALS:
        return None
    return f"{total_id.removesuffix('total')}channel={channel}"


def spend_sources(series_ids: list[str], channels: list[str]) -> dict[str, object]:
    """What the ``spend`` column of each series is built from, by the rules above:
    ``{"channels": the file's channels, "series": {series_id: channels summed}}`` (a total:
    every channel of the file; a channel's series: that channel when the file has it; any
    other series: none, its column is 0)."""
    chans = sorted(map(str, channels))
    out: dict[str, list[str]] = {}
    for sid in series_ids:
        channel = spend_channel(str(sid))
        out[str(sid)] = (list(chans) if channel == "*" else
                         [channel] if channel is not None and channel in chans else [])
    return {"channels": chans, "series": out}


def _by_day(spend: pd.DataFrame) -> pd.DataFrame:
    """Days x channels of spend (rows of the file; absent (day, channel) pairs are NaN)."""
    sp = spend.assign(date=pd.to_datetime(spend["date"]).dt.normalize())
    return sp.pivot_table(index="date", columns="channel", values="spend", aggfunc="sum",
                          observed=True)


def _gap_error(source: str, table: pd.DataFrame, days: pd.DatetimeIndex, what: str) -> None:
    """Raise when a channel of the file lacks a row on some of ``days``."""
    grid = table.reindex(days)
    lacks = []
    for channel in grid.columns:
        gone = days[grid[channel].isna().to_numpy()]
        if len(gone):
            shown = ", ".join(f"{d:%Y-%m-%d}" for d in gone[:5])
            lacks.append(f"channel {channel!r}: {len(gone)} day(s) ({shown}"
                         f"{' ...' if len(gone) > 5 else ''})")
    if lacks:
        msg = (f"{source}: {what} needs a spend row for every day and channel; "
               + "; ".join(lacks[:5]) + (f"; +{len(lacks) - 5} more" if len(lacks) > 5 else "")
               + ". Add rows with spend 0 for the days a channel had no spend")
        raise ValueError(msg)


def _column(series_id: str, table: pd.DataFrame, days: pd.DatetimeIndex) -> pd.Series:
    channel = spend_channel(series_id)
    if channel == "*":
        return table.reindex(days).sum(axis=1, min_count=1)
    if channel is not None and channel in table.columns:
        return table[channel].reindex(days)
    return pd.Series(0.0, index=days)


def join_spend(series: pd.DataFrame, spend: pd.DataFrame, source: str = "spend.csv"
               ) -> pd.DataFrame:
    """``series`` (daily traffic series from events) with a ``spend`` column (rules above).

    Raises:
        ValueError: the series are not daily, or a channel of ``spend`` lacks a row on a day
            of the series' span (names ``source``, the channel and the days).
    """
    if SPEND_COLUMN in series.columns:
        raise ValueError(f"{source}: the series already have a {SPEND_COLUMN!r} column")
    ds = pd.to_datetime(series["ds"])
    if len(ds) and not (ds == ds.dt.normalize()).all():
        raise ValueError(f"{source}: spend is per day; read it with daily series (--freq D)")
    table = _by_day(spend)
    days = pd.date_range(ds.min(), ds.max(), freq="D")
    _gap_error(source, table, days, f"the history ({days[0]:%Y-%m-%d} .. {days[-1]:%Y-%m-%d})")
    out = series.copy()
    values = pd.Series(0.0, index=out.index)
    for sid, rows in out.groupby("series_id", sort=False).groups.items():
        col = _column(str(sid), table, days)
        values.loc[rows] = col.reindex(ds.loc[rows]).to_numpy(dtype=float)
    out[SPEND_COLUMN] = values.astype(float)
    out.attrs = dict(series.attrs)
    out.attrs[SOURCES_ATTR] = {SPEND_COLUMN: spend_sources(
        list(out["series_id"].astype(str).unique()), list(table.columns))}
    return out


def spend_plan(series_ids: list[str], days: dict[str, pd.DatetimeIndex], spend: pd.DataFrame,
               source: str, history: dict[str, bool] | None = None) -> pd.DataFrame:
    """The ``future`` rows (series_id, ds, spend) of ``series_ids`` for their forecast ``days``
    from a spend plan under the spend contract (rules above).

    ``history``: per channel, whether the model's history had spend on it; such a channel must
    be in the plan (a channel the plan leaves out is taken at 0 only when it never had spend:
    a budget forgotten in the plan is not a paused channel).

    Raises:
        ValueError: a channel of the plan, or one that had spend, lacks a day (names ``source``).
    """
    table = _by_day(spend)
    needed = sorted(c for c, had in (history or {}).items() if had and c not in table.columns)
    if needed:
        msg = (f"{source}: the model read the spend of channel(s) {needed}, which the plan "
               f"does not give (it has {sorted(map(str, table.columns))}); add their planned "
               "spend (0 to pause them)")
        raise ValueError(msg)
    every = pd.DatetimeIndex(sorted(set().union(*[set(d) for d in days.values()]))) \
        if days else pd.DatetimeIndex([])
    _gap_error(source, table, every, f"the forecast ({every[0]:%Y-%m-%d} .. "
                                     f"{every[-1]:%Y-%m-%d})" if len(every) else "the forecast")
    frames = [pd.DataFrame({"series_id": sid, "ds": days[sid],
                            SPEND_COLUMN: _column(sid, table, days[sid]).to_numpy(dtype=float)})
              for sid in series_ids]
    return pd.concat(frames, ignore_index=True)
