"""A backtest of a series whose ``ds`` has a time zone: run on its local wall clock, as the
forecasters model it (``training._forecast_zone.local_frame``), and answered in its zone.

The series is read as ``brain forecast backtest --tz`` reads a file (naive local times, the two
rows of the hour repeated in autumn averaged into one, the hour skipped in spring a gap), its
calendar's zoned times as the local days they fall on (``local_calendar``), and the origins in
its zone: a zoned origin is converted to it, a naive one is a local wall-clock time already.
Every fold is then the fold of that naive local series (the same scores to the last digit);
the result's origins, and the times of its ``folds``, ``starts`` and ``forecasts``, are given
back in the zone (``zoned_periods``: no forecast row for the hour the clocks skip, two with the
same quantiles and the scored actual, the two hours' mean, for the one they repeat). Until
2026-12-06 a zoned series stopped with "Invalid comparison between dtype=datetime64[ns] and
Timestamp" (zoned origins) or earlier (naive ones).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._forecast_zone import local_calendar, local_frame, zoned_periods

__all__ = ["local_backtest_inputs", "local_origins", "zoned_column", "zoned_outputs",
           "zoned_time"]


def local_origins(origins: Sequence[str | pd.Timestamp] | None, zone: str | None
                  ) -> list[pd.Timestamp] | None:
    """``origins`` as naive times on the series' clock: one with a zone or UTC offset
    converted to the series' ``zone``, a naive one as given (None: the default origins).

    Raises:
        ValueError: an origin with a zone for a series whose ``ds`` has none (which clock
            it means is not known).
    """
    if origins is None:
        return None
    out = []
    for o in origins:
        t = pd.Timestamp(o)
        if t.tzinfo is not None:
            if zone is None:
                msg = (f"backtest: origin {o!s} has a time zone or UTC offset, but the series' "
                       "ds has none (its times are on one clock, unnamed); give the origins "
                       f"without one, on the series' clock (e.g. {t.tz_localize(None)!s}), "
                       "or give ds with its zone")
                raise ValueError(msg)
            t = t.tz_convert(zone).tz_localize(None)
        out.append(t)
    return out


def local_backtest_inputs(series: pd.DataFrame, calendar: pd.DataFrame | None,
                          origins: Sequence[str | pd.Timestamp] | None
                          ) -> tuple[pd.DataFrame, pd.DataFrame | None,
                                     list[pd.Timestamp] | None, str | None]:
    """The series on its local wall clock, the calendar's zoned times as its local days, the
    origins on that clock, and the series' zone (None, and the inputs as given, for a ``ds``
    without one)."""
    frame, zone = local_frame(series)
    return frame, local_calendar(calendar, zone), local_origins(origins, zone), zone


def zoned_time(t: pd.Timestamp, zone: str) -> pd.Timestamp:
    """A naive local time as a time in ``zone`` (of a repeated hour the first, the summer
    offset; a skipped one moved to the first time after the gap)."""
    return pd.Timestamp(t).tz_localize(zone, ambiguous=True, nonexistent="shift_forward")


def zoned_column(values: pd.Series, zone: str) -> pd.Series:
    """``zoned_time`` of each value of a column of naive local times."""
    idx = pd.DatetimeIndex(values)
    out = idx.tz_localize(zone, ambiguous=np.ones(len(idx), dtype=bool),
                          nonexistent="shift_forward")
    return pd.Series(out, index=values.index, name=values.name)


def zoned_outputs(forecasts: pd.DataFrame, folds: pd.DataFrame, starts: pd.DataFrame,
                  zone: str, hourly: bool) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A backtest's ``forecasts``, ``folds`` and ``starts`` with their times in ``zone``."""
    fc = zoned_periods(forecasts, zone, hourly=hourly)
    if "origin" in fc.columns:
        fc = fc.assign(origin=zoned_column(fc["origin"], zone))
    out = []
    for frame in (folds, starts):
        frame = frame.copy()
        for col in ("origin", "event_start", "first_live"):
            if col in frame.columns:
                frame[col] = zoned_column(frame[col], zone)
        out.append(frame)
    return fc, out[0], out[1]
