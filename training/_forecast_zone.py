"""Zoned times of the forecasters: a ``ds`` with a time zone on its local wall clock and back.

A series given with a zoned ``ds`` is modelled on the naive local times of its zone
(``local_frame``), a calendar's zoned start and end times are read as days of that zone
(``local_calendar``), and a forecast's local periods are given back in the zone
(``zoned_periods``; an hour the clocks skip has no row: ``nonexistent_local``).
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

__all__ = [
    "CLOCK_ZONES",
    "clock_change_text",
    "local_calendar",
    "local_days",
    "local_frame",
    "nonexistent_local",
    "repeated_hour_note",
    "repeated_hours",
    "skipped_hour_zone",
    "zoned_periods",
]

# the forecasters' logger: records keep the name they had while this code was part of
# ``training._forecast_base`` (a logging setup filtering on it still sees them)
_log = logging.getLogger("training._forecast_base")

_OFFSET_END = re.compile(r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s?(?:Z|[+-]\d{2}:?\d{2})$")
"""A time of day followed by a UTC offset (``00:00+02:00``, ``22:00Z``)."""


def nonexistent_local(ds: pd.DatetimeIndex, tz: str) -> np.ndarray:
    """Which naive local times of ``ds`` do not exist in ``tz`` (the hour skipped when clocks
    go forward, 02:00 on the last Sunday of March in Europe/Berlin)."""
    if ds.tz is not None or len(ds) == 0 or str(tz).upper() == "UTC":
        return np.zeros(len(ds), dtype=bool)
    local = ds.tz_localize(tz, ambiguous=np.zeros(len(ds), dtype=bool), nonexistent="NaT")
    return np.asarray(local.isna())


CLOCK_ZONES: tuple[str, ...] = (
    "Europe/Berlin", "Europe/London", "Europe/Helsinki", "America/New_York",
    "America/Chicago", "America/Denver", "America/Los_Angeles", "Australia/Sydney",
    "Pacific/Auckland", "America/Santiago", "America/Havana", "Asia/Jerusalem")
"""Zones whose spring clock changes (one per rule: the EU's at 01:00 UTC, the United States',
Australia's, ...) tell a series of naive local wall-clock times read without ``--tz``: the
hour they skip is missing in every series (a series file) or at 0 (a series built from an
events log)."""


def skipped_hour_zone(stamps: pd.DatetimeIndex) -> tuple[str, np.ndarray] | None:
    """The zone of ``CLOCK_ZONES`` whose skipped spring hours (clocks going forward) hold the
    most of the naive hourly ``stamps``, with the mask of those stamps; None when no stamp is
    such an hour (or the stamps are daily)."""
    stamps = pd.DatetimeIndex(stamps)
    if stamps.tz is not None or not len(stamps) or (stamps == stamps.normalize()).all():
        return None
    best: tuple[str, np.ndarray] | None = None
    for zone in CLOCK_ZONES:
        hit = nonexistent_local(stamps, zone)
        if hit.any() and (best is None or int(hit.sum()) > int(best[1].sum())):
            best = (zone, hit)
    return best


def clock_change_text(stamps: list[pd.Timestamp], zone: str, what: str) -> str:
    """The note's sentence for skipped spring hours read as missing or low periods: they are
    the clock change of naive local times, not an outage; the fix is ``--tz``."""
    shown = ", ".join(f"{t:%Y-%m-%d %H:%M}" for t in stamps[:4])
    more = f" and {len(stamps) - 4} more" if len(stamps) > 4 else ""
    one = len(stamps) == 1
    return (f"{shown}{more} {'is' if one else 'are'} {what}: {'it is' if one else 'they are'} "
            f"the hour the clocks skip when they go forward in {zone} (and the zones changing "
            "with it), so the times are local wall-clock times read without a time zone; this "
            "is a clock change, not an outage. Give --tz with the zone (e.g. --tz "
            f"{zone}): the skipped hour is then no period, the hour repeated when clocks go "
            "back is averaged, and the forecast follows the local clock")


def zoned_periods(out: pd.DataFrame, tz: str, *, hourly: bool = True) -> pd.DataFrame:
    """A forecast frame's naive local ``ds`` (``local_frame``'s grid) as times in ``tz``.

    An hour the clocks skip in spring has no row (it does not exist: no traffic, as a model
    trained with ``--tz`` writes none). The hour repeated in autumn, one period of the local
    grid (the mean of its two real hours), gets a row for each of them, first the summer
    offset, with the same quantiles: neither real hour is left without a forecast, and a
    day's sum counts its 25 hours. So an hourly horizon counts local wall-clock hours: 48
    from the Saturday before the autumn change gives 49 rows, before the spring change 47.
    A daily period at a local midnight the clocks skip (a zone changing at midnight) is the
    first time of that day."""
    if not len(out):
        return out.assign(ds=pd.DatetimeIndex(out["ds"]).tz_localize(tz))
    local = pd.DatetimeIndex(out["ds"])
    if not hourly:
        return out.assign(ds=local.tz_localize(tz, ambiguous=np.ones(len(local), dtype=bool),
                                               nonexistent="shift_forward"))
    either = np.asarray(local.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").isna())
    twice = np.asarray(local.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
                       .isna())  # the repeated hour
    gone = either & ~twice  # the skipped one
    first = local.tz_localize(tz, ambiguous=np.ones(len(local), dtype=bool), nonexistent="NaT")
    order = np.arange(len(out), dtype=float)
    parts = [out.assign(ds=first, order_=order)[~gone]]
    if twice.any():
        again = local[twice].tz_localize(tz, ambiguous=np.zeros(int(twice.sum()), dtype=bool))
        parts.append(out[twice].assign(ds=again, order_=order[twice] + 0.5))
    both = pd.concat(parts, ignore_index=True).sort_values("order_", kind="stable")
    return both.drop(columns="order_").reset_index(drop=True)


def local_days(ds: pd.DatetimeIndex) -> np.ndarray:
    """The day of each period of ``ds`` on its own clock (naive ``datetime64[ns]``), as a
    calendar's days are written: on a time-zone-aware grid the local date, not the instant,
    which compares with no naive day (a calendar event's days had marked no period of a grid
    in Europe/Berlin, and a spike or drop on them was named "on no calendar event day")."""
    days = ds.tz_localize(None) if ds.tz is not None else ds
    return np.asarray(days.normalize().to_numpy(), dtype="datetime64[ns]")


def _zoned_times(values: pd.Series, source: str, column: str) -> pd.Series:
    """``values`` as datetimes, keeping a zone they carry; times with UTC offsets that switch
    (text like ``+01:00`` beside ``+02:00``, which names no zone) are a ValueError naming the
    fix, as is a column mixing times with and without a zone."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values
    try:
        return pd.to_datetime(values)
    except (TypeError, ValueError) as exc:
        text = str(exc)
        if "timezone" not in text.lower() and "tz-" not in text.lower():
            raise
    msg = (f"{source}: column {column!r} mixes UTC offsets (or times with and without one), "
           "which name no time zone; give it as times in the zone (pandas: "
           "pd.to_datetime(ds, utc=True).dt.tz_convert('Europe/Berlin')) or as naive local "
           "times (.dt.tz_localize(None) after that conversion)")
    raise ValueError(msg)


def _local_midnights(local: pd.Series, tz: str) -> pd.Series:
    """Naive local times of a daily grid at midnight: a day whose midnight the clocks skip (a
    zone changing at 00:00, America/Santiago, Africa/Cairo) starts at 01:00, and its row is
    that day's period (``zoned_periods`` gives it back at that time). Any other time off
    midnight (an hourly grid) leaves the times as they are. Before, such a daily series
    stopped with 'periods must be daily or hourly; the smallest gap between rows is 23
    hours'."""
    day = local.dt.normalize()
    off = (local != day).to_numpy() & local.notna().to_numpy()
    if not off.any() or off.all():
        return local
    days = day[off]
    skipped = days.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").isna()
    starts = days.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    first = starts.dt.tz_localize(None) == local[off]
    if not (skipped & first).all():
        return local
    return local.where(~off, day)


def local_frame(series: pd.DataFrame, source: str = "series") -> tuple[pd.DataFrame, str | None]:
    """A long frame whose ``ds`` has a time zone as naive local wall-clock times in it, and
    the zone (None, and the frame as it was, for a ``ds`` without one).

    The rule of ``brain forecast --tz`` (``features._series_io``): a series is modelled on the
    clock people live by, so a shop that opens at 09:00 opens at the same hour of the grid all
    year; the hour the clocks skip in spring is a gap; the two rows of one series in the hour
    repeated in autumn (two real hours under one wall-clock label) are averaged into one, every
    numeric column (a count's two hours become their mean: the local hour's usual level, as
    ``--tz`` reads a file). Before 2026-12-06 a zoned ``ds`` was modelled in absolute hours:
    the LightGBM forecaster's lags and hour features were an hour off for half the year, and
    its forecast came back in naive UTC times. ``predict`` gives the periods back in the zone
    (``BaseForecaster._frame``).
    """
    if "ds" not in series.columns:
        return series, None
    ds = _zoned_times(series["ds"], source, "ds")
    tz = getattr(ds.dt, "tz", None)
    if tz is None:
        return series, None
    frame = series.copy()
    frame["ds"] = _local_midnights(ds.dt.tz_localize(None), str(tz))
    # rows of one series at one local time but two instants: the repeated autumn hour (rows
    # at the same instant are duplicates, left for the caller's duplicate check)
    key = frame["series_id"].astype(str)
    local = frame.duplicated(["series_id", "ds"], keep=False).to_numpy()
    same = pd.DataFrame({"k": key, "t": ds}).duplicated(keep=False).to_numpy()
    twice = local & ~same & frame["ds"].notna().to_numpy()
    if twice.any():
        rows = frame[twice]
        values = [c for c in rows.columns if c not in ("series_id", "ds")]
        numeric = rows[values].apply(pd.to_numeric, errors="coerce")
        merged = numeric.groupby([rows["series_id"], rows["ds"]], sort=False).mean()
        merged = merged.reset_index()
        _log.info(
            "%s: %d rows fall in the hour repeated when clocks go back in %s: rows of one "
            "series at the same local time are averaged into one", source, int(twice.sum()), tz)
        frame = pd.concat([frame[~twice], merged[frame.columns]], ignore_index=True)
    return frame, str(tz)


def local_calendar(calendar: pd.DataFrame | None, tz: str | None) -> pd.DataFrame | None:
    """``calendar`` with start and end times that carry a zone (a zoned column, text with UTC
    offsets) read in ``tz``, the zone of a panel's series (``Panel.tz``): a local midnight
    written in UTC (``2024-05-14T22:00Z`` for Berlin's 15 May) is the local day it falls on.
    Naive dates are that zone's local days already. Without ``tz`` (a series without a zone)
    the calendar is left to ``normalize_calendar``, which reads a zoned time as the day
    written."""
    if calendar is None or tz is None or not len(calendar):
        return calendar
    out = calendar.copy()
    for col in ("start", "end"):
        if col not in out.columns:
            continue
        values = out[col]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            out[col] = values.dt.tz_convert(tz).dt.tz_localize(None)
        elif not pd.api.types.is_datetime64_any_dtype(values.dtype):
            text = values.astype("string").str.strip()
            zoned = text.str.contains(_OFFSET_END, na=False)
            if zoned.any():
                moved = pd.to_datetime(text[zoned], utc=True, format="ISO8601",
                                       errors="coerce").dt.tz_convert(tz).dt.tz_localize(None)
                out[col] = values.astype(object).where(~zoned, moved.astype(object))
    out.attrs = dict(calendar.attrs)
    return out


REPEATED_HOUR_RATIO = 1.5
"""The hour the clocks repeat in autumn, in naive local times read without ``--tz``, holds two
real hours: at this many times (or more) the same hour's median on the 7 days either side, in
the series summed, it is named as doubled (two hours counted as one: about x2)."""


def repeated_hours(stamps: pd.DatetimeIndex, zone: str) -> np.ndarray:
    """Which naive hourly ``stamps`` are the hour the clocks repeat when they go back in
    ``zone`` (02:00 on the last Sunday of October in Europe/Berlin)."""
    stamps = pd.DatetimeIndex(stamps)
    if stamps.tz is not None or not len(stamps):
        return np.zeros(len(stamps), dtype=bool)
    return np.asarray(stamps.tz_localize(zone, ambiguous="NaT",
                                         nonexistent="shift_forward").isna())


def _usual(wide: pd.DataFrame, hour: pd.Timestamp) -> pd.Series:
    """Per column of ``wide`` (hourly rows), the median at ``hour``'s clock time on the 7 days
    before and after it."""
    near = [hour + pd.Timedelta(days=d) for d in range(-7, 8) if d]
    return wide.reindex([t for t in near if t in wide.index]).median()


def repeated_hour_note(series: pd.DataFrame, tz: str | None = None) -> str | None:
    """A note for hourly naive local times read without ``--tz`` (an events log counted per
    hour, a series file summed per local hour) whose hour repeated in autumn holds two real
    hours: about twice its usual level in the series. Without it the doubled hour was
    learned and forecast as it came, without a word. Names the hour, the zone (the one of
    ``CLOCK_ZONES`` whose repeated hours are highest), the series and by how much, and the fix
    (``--tz ZONE``: an events log's repeated hour is then halved). None with a ``tz`` other
    than UTC (the hour was read as two), for daily series, or when no such hour is high."""
    if (tz and str(tz).upper() != "UTC") or not {"series_id", "ds", "y"} <= set(series.columns):
        return None
    ds = pd.DatetimeIndex(pd.to_datetime(series["ds"], errors="coerce"))
    if ds.tz is not None or not len(ds) or (ds == ds.normalize()).all():
        return None
    y = pd.to_numeric(series["y"], errors="coerce").to_numpy(dtype=float)
    total = pd.Series(y, index=ds).groupby(level=0).sum(min_count=1)  # the series summed
    grid = pd.DatetimeIndex(total.index.dropna())
    best: tuple[str, list[pd.Timestamp]] | None = None
    for zone in CLOCK_ZONES:
        high = []
        for h in grid[repeated_hours(grid, zone)]:
            usual = float(total.reindex(
                [h + pd.Timedelta(days=d) for d in range(-7, 8) if d]).median())
            if usual > 0 and float(total[h]) >= REPEATED_HOUR_RATIO * usual:
                high.append(h)
        if high and (best is None or len(high) > len(best[1])):
            best = (zone, high)
    if best is None:
        return None
    zone, high = best
    parts = []
    for h in high[:3]:
        rows = series.loc[np.asarray(ds.normalize().isin(
            [h.normalize() + pd.Timedelta(days=d) for d in range(-7, 8)])),
            ["series_id", "ds", "y"]].assign(ds=lambda f: pd.to_datetime(f["ds"]))
        wide = rows.pivot_table(index="ds", columns="series_id", values="y", aggfunc="sum")
        usual, got = _usual(wide, h), wide.loc[h] if h in wide.index else None
        if got is None:
            continue
        ratio = (got / usual.where(usual > 0)).dropna()
        up = ratio[ratio >= REPEATED_HOUR_RATIO].sort_values(ascending=False)
        shown = ", ".join(f"{sid!r} x{r:.2f} ({got[sid]:,.0f} against a usual {usual[sid]:,.0f})"
                          for sid, r in up.head(4).items())
        more = f" and {len(up) - 4} more" if len(up) > 4 else ""
        parts.append(f"{h:%Y-%m-%d %H:%M} is {REPEATED_HOUR_RATIO:g}x or more its usual level "
                     f"in {len(up)} of "
                     f"{len(ratio)} series: {shown}{more}")
    if not parts:
        return None
    return ("; ".join(parts) + f": it is the hour the clocks repeat when they go back in {zone} "
            "(and the zones changing with it), so the times are local wall-clock times read "
            "without a time zone and two real hours were counted as one (about x2), "
            f"which the forecaster learns as one hour's traffic. Give --tz {zone}: an events "
            "log's repeated hour is then halved to one hour's level (a series file: give its "
            "two hours as two rows, which --tz averages, or halve the summed hour yourself)")
