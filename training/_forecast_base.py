"""Shared plumbing of the traffic forecasters: input checks, regular grids, transforms, output.

Every forecaster takes a long frame ``series_id`` (str), ``ds`` (datetime64, daily or hourly),
``y`` (float) plus optional known-in-advance numeric columns (regressors such as a promo flag),
and a calendar (``features._calendar.normalize_calendar`` columns). ``predict`` returns one row per
(series, future period): ``series_id``, ``ds``, ``p10``, ``p50``, ``p90``, ``model``.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from features._calendar import (
    aggregates_first,
    check_channels,
    is_aggregate,
    normalize_calendar,
    series_channel,
)

from ._forecast_live import LEADING_ZEROS_DAYS, START_LEAD_DAYS, live_start, live_starts

__all__ = [
    "FORECAST_COLUMNS",
    "LEADING_ZEROS_DAYS",
    "BaseForecaster",
    "Panel",
    "SeriesGrid",
    "calendar_for_series",
    "check_calendar_channels",
    "check_future_regressors",
    "future_regressor_values",
    "kind_intensities",
    "listed",
    "live_history",
    "negative_values_note",
    "period_text",
    "prepare_panel",
    "series_freq",
    "started_panel",
    "steps_per_day",
]

FORECAST_COLUMNS: tuple[str, ...] = ("series_id", "ds", "p10", "p50", "p90", "model")
"""Columns of every forecast frame."""

QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)
_Z80 = 1.2815515655446004
"""The standard normal's 90% quantile: P10 and P90 lie this many standard deviations out."""
_FREQ_DELTA = {"D": pd.Timedelta(days=1), "h": pd.Timedelta(hours=1)}


def steps_per_day(freq: str) -> int:
    """Number of periods in one day for ``freq`` ('D' -> 1, 'h' -> 24)."""
    return 24 if freq == "h" else 1


@dataclass
class SeriesGrid:
    """One series on a regular grid (gaps become NaN, never dropped).

    Attributes:
        series_id: the series name.
        ds: regular timestamps from the first to the last observation.
        y: observed values on the original scale (NaN where the input had no row).
        regressors: known-in-advance columns on the same grid (name -> values).
    """

    series_id: str
    ds: pd.DatetimeIndex
    y: np.ndarray
    regressors: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Panel:
    """All series of one fit, their frequency and the value transform.

    Attributes:
        freq: 'D' or 'h'.
        series: series id -> grid.
        regressor_names: known-in-advance columns, in input order.
        log: whether values are modelled as log1p(y) (all y >= 0) or as is.
    """

    freq: str
    series: dict[str, SeriesGrid]
    regressor_names: list[str]
    log: bool

    def fwd(self, y: np.ndarray) -> np.ndarray:
        """Values on the modelling scale."""
        return np.log1p(np.maximum(y, 0.0)) if self.log else np.asarray(y, dtype=float)

    def inv(self, z: np.ndarray) -> np.ndarray:
        """Values back on the original scale."""
        return np.maximum(np.expm1(z), 0.0) if self.log else np.asarray(z, dtype=float)

    @property
    def step(self) -> pd.Timedelta:
        """Length of one period."""
        return _FREQ_DELTA[self.freq]

    def future_index(self, series_id: str, horizon: int) -> pd.DatetimeIndex:
        """The ``horizon`` periods following the series' last observation."""
        last = self.series[series_id].ds[-1]
        return pd.date_range(last + self.step, periods=horizon, freq=self.freq)


def _count_series(panel: Panel | None) -> set[str]:
    """Series whose history holds non-negative numbers, at least 99% of them whole (orders,
    visits; an hour repeated when clocks go back, read in local time, is the mean of two
    counts, 1.5)."""
    if panel is None:
        return set()
    out = set()
    for sid, g in panel.series.items():
        y = g.y[np.isfinite(g.y)]
        if len(y) and (y >= 0).all() and (y == np.round(y)).mean() >= 0.99:
            out.add(str(sid))
    return out


def _freq_label(step: pd.Timedelta) -> str:
    if step == pd.Timedelta(days=1):
        return "daily"
    if step == pd.Timedelta(hours=1):
        return "hourly"
    return f"every {step}"


def listed(items: list[str], first: int = 5) -> str:
    """The first ``first`` items joined by commas, then "and N more" when there are more."""
    more = f" and {len(items) - first} more" if len(items) > first else ""
    return ", ".join(items[:first]) + more


def _names(ids: list[str], first: int = 5) -> str:
    """Up to ``first`` quoted ids and how many more there are."""
    shown = ", ".join(repr(i) for i in ids[:first])
    return shown + (f" (+{len(ids) - first} more)" if len(ids) > first else "")


def _unpadded(text: str) -> str:
    """``text`` lower-cased, its numbers without leading zeros: 'Store_007' -> 'store_7'."""
    return re.sub(r"\d+", lambda m: str(int(m.group())), text.lower())


def _channel_hint(channel: str, known: list[str]) -> str | None:
    """The series channel ``channel`` most likely meant: the channel of a series id given as the
    channel (``'channel=email'`` -> ``'email'``), else the same text in another case, else the
    same text with its numbers unpadded (``'store_7'`` -> ``'store_07'``), else the closest
    spelling (difflib), else None."""
    own = series_channel(channel)
    if own in known:
        return own
    same = [k for k in known if k.lower() == channel.lower()]  # 'BIG_A' for 'big_A'
    if same:
        return same[0]
    # 'store_07' for 'store_7': the same text with its numbers unpadded (difflib had offered
    # 'store_57', one letter closer)
    numbers = [k for k in known if _unpadded(k) == _unpadded(channel)]
    if numbers:
        return numbers[0]
    close = difflib.get_close_matches(channel.lower(), known, n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_series_text(asked: Sequence[str], own: Sequence[str], lead: str = "") -> str:
    """What a request for series ``asked`` (none of them in ``own``, the model's series) is
    told: each with the series it most likely meant (another case, unpadded numbers, the
    closest spelling: ``'Store_07'`` -> ``'store_07'``), then how many series the model has
    and the first of them, the sums over every channel first. The API had listed the first 20
    ids in sort order, all ``orders:...`` on a chain's model, without a suggestion. ``lead``:
    the words before the ids (``"unknown series_id"``), else they are said not to be series
    of the model."""
    ids = aggregates_first(own)
    named = []
    for sid in asked[:5]:
        hint = _channel_hint(str(sid), ids)
        named.append(f"{sid!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
    more = f" and {len(asked) - 5} more" if len(asked) > 5 else ""
    listing = f"{len(ids)} series: {_names(ids, 8)}"
    if lead:
        return f"{lead} {', '.join(named)}{more}; this model forecasts {listing}"
    verb = "is not a series" if len(asked) == 1 else "are not series"
    return f"{', '.join(named)}{more} {verb} of this model; it forecasts {listing}"


def check_calendar_channels(calendar: pd.DataFrame | None, series_ids: list[str]) -> pd.DataFrame:
    """Normalize ``calendar`` and reject events whose channel no series has.

    The rule is ``features._calendar.check_channels`` (a misspelt channel would otherwise give
    its event no effect on any channel's series). Its message is completed with what helps to
    fix it: a close match among the series' channels (``Did you mean 'email' for 'emial'?``)
    and the series ids themselves. The forecasters check their calendars with it, and so do
    ``brain forecast`` and ``POST /forecast_traffic`` before any model runs (the seasonal naive
    ignores calendars at predict time, and would otherwise accept any channel silently).

    Returns:
        The normalized calendar.

    Raises:
        ValueError: a date does not parse, or an event names a channel no series has.
    """
    cal = normalize_calendar(calendar)
    if calendar is not None and calendar.attrs.get("channels_checked"):
        return cal  # checked against every series of the data (``calendar_for_series``)
    try:
        check_channels(cal, series_ids)
    except ValueError as exc:
        known = sorted({c for c in map(series_channel, series_ids) if c is not None})
        chan = cal["channel"]
        bad = sorted(set(chan[chan.notna() & ~chan.isin(known)].astype(str)))
        hints = [(b, h) for b in bad if (h := _channel_hint(b, known)) is not None]
        said = ", ".join(f"{h!r} for {b!r}" for b, h in hints[:5])
        hint = f" Did you mean {said}?" if hints else ""
        ids = sorted(map(str, series_ids))
        # 'store_17' in a calendar, 'store_17:orders' in the file: the part before ':' is read
        # as a metric, so the store is the series' channel only when its id puts it last
        suffixed = [(b, i) for b in bad for i in ids if i.split(":", 1)[0] == b and ":" in i]
        if suffixed:
            b, i = suffixed[0]
            metric = i.split(":", 1)[1]
            hint += (f" Series ids put the metric first and the channel last: {i!r} reads "
                     f"{b!r} as a metric; name it {metric + ':' + b!r}.")
        msg = (f"{exc}{hint} The series are {_names(ids, 20)} (channel 'c' is the series "
               "'channel=c', also behind a metric prefix, or a series named 'c'). A store or "
               "page that is not in the data yet (a planned opening or launch) cannot be "
               "forecast by a model of these series: leave its events out until it has "
               "history, or give it rows at 0 up to the end of the others' history (as a page "
               "is exported before its launch) and train on them: the LightGBM forecaster "
               "forecasts a series with no live history from the first weeks of the series "
               "that started with an event of its planned event's kind.")
        raise ValueError(msg) from None
    return cal


def calendar_for_series(calendar: pd.DataFrame | None, series_ids: list[str]) -> pd.DataFrame:
    """The (normalized) calendar rows that ``check_calendar_channels`` accepts for a subset of
    the series that the whole calendar was checked against.

    A backtest fold leaves out the series with no rows before its origin (a product launched
    later), and ``--only`` leaves out series on purpose: their channel's events are not
    misspellings, they concern no series of that fit. Events without a channel always stay;
    when the subset holds an aggregate series (``total``) every event stays, as the aggregate
    takes every channel's events (``--only total,channel=email`` keeps the paid campaigns for
    the total). The result is marked as checked (``attrs["channels_checked"]``), so the
    forecasters' own check does not reject the channels of series outside the subset.
    """
    cal = normalize_calendar(calendar)
    known = {c for c in map(series_channel, series_ids) if c is not None}
    if known and not cal.empty and not any(map(is_aggregate, series_ids)):
        keep = cal["channel"].isna() | cal["channel"].isin(known)
        cal = cal[keep.fillna(value=False).to_numpy(dtype=bool)].reset_index(drop=True)
    cal.attrs["channels_checked"] = True
    return cal


def _infer_freq(ds: pd.Series, ids: pd.Series) -> str:
    diffs = ds.groupby(ids).diff()
    if diffs.dropna().empty:
        msg = ("series: cannot infer the frequency: every series has a single row; "
               "a forecaster needs at least two periods per series")
        raise ValueError(msg)
    per_series = diffs.groupby(ids).min().dropna()
    sub_daily = per_series < pd.Timedelta(days=1)
    if sub_daily.any() and not sub_daily.all():  # daily and hourly series in one panel
        groups: dict[str, list[str]] = {}
        for sid, step in per_series.items():
            groups.setdefault(_freq_label(step), []).append(str(sid))
        found = "; ".join(f"{label}: {_names(sids)}" for label, sids in groups.items())
        msg = (f"series: the series do not share one frequency ({found}); one file holds "
               "either daily or hourly series: forecast them in separate files, or aggregate "
               "the hourly series to days")
        raise ValueError(msg)
    step = per_series.min()
    week = pd.Timedelta(days=7)
    # a series of 8+ rows all whole weeks apart is weekly (a sparse daily series without its
    # zero rows is that by chance with odds of (1/7)^7)
    has = diffs.notna().to_numpy()
    on_weeks = pd.DataFrame({"sid": ids.to_numpy()[has],
                             "wk": (diffs[has] % week == pd.Timedelta(0)).to_numpy()}
                            ).groupby("sid")["wk"].agg(["all", "size"])
    weekly = per_series[(per_series >= week)
                        & on_weeks["all"].reindex(per_series.index, fill_value=False)
                        & (on_weeks["size"].reindex(per_series.index, fill_value=0) >= 7)]
    if step == pd.Timedelta(days=1) and len(weekly):  # daily series and weekly ones in one file
        daily = [str(sid) for sid in per_series.index if sid not in weekly.index]
        msg = (f"series: the series do not share one frequency (daily: {_names(daily)}; one row "
               f"every 7 days or more: {_names([str(s) for s in weekly.index])}); a series "
               "with one row a week (weekly totals) would be forecast as that value on every "
               "day, seven times its weekly total over a week. The forecaster takes daily or "
               "hourly series only: give those series' daily values or leave them out of the "
               "file (a daily series with values on one weekday only: give its other days as "
               "rows with y=0)")
        raise ValueError(msg)
    if step == pd.Timedelta(days=1):
        return "D"
    if step == pd.Timedelta(hours=1):
        return "h"
    if step > pd.Timedelta(days=1):
        what = ("one row a week: weekly data" if step == week
                else f"one row every {_step_text(step)}")
        msg = (f"series: periods must be daily or hourly; the rows are at least "
               f"{_step_text(step)} apart ({what}). The forecaster does not take such series "
               "and cannot split totals of several days into days: give the daily values they "
               "were summed from")
        raise ValueError(msg)
    msg = (f"series: periods must be daily or hourly; the smallest gap between rows is "
           f"{_step_text(step)}. Aggregate the series to hours (or days) first")
    raise ValueError(msg)


def _step_text(step: pd.Timedelta) -> str:
    """``7 days``, ``30 minutes``, ``2 hours``: a gap between rows as a planner writes it."""
    for unit, size in (("day", pd.Timedelta(days=1)), ("hour", pd.Timedelta(hours=1)),
                       ("minute", pd.Timedelta(minutes=1))):
        if step >= size and step % size == pd.Timedelta(0):
            n = int(step / size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return str(step)


def series_freq(series: pd.DataFrame) -> str:
    """'D' or 'h': the frequency of a long frame (raises like ``prepare_panel``)."""
    frame = series[["series_id", "ds"]].assign(series_id=series["series_id"].astype(str),
                                               ds=pd.to_datetime(series["ds"]))
    frame = frame.sort_values(["series_id", "ds"], kind="stable")
    return _infer_freq(frame["ds"], frame["series_id"])


def negative_values_note(series: pd.DataFrame) -> str | None:
    """The note for negative ``y`` values (they switch every series off log1p), else None."""
    y = pd.to_numeric(series["y"], errors="coerce")
    neg = y < 0
    if not neg.any():
        return None
    rows = series.loc[neg].head(3)
    first = ", ".join(f"{sid} {pd.Timestamp(ds)}: {v:g}" for sid, ds, v in
                      zip(rows["series_id"], rows["ds"], y[neg].head(3), strict=True))
    return (f"series: {int(neg.sum())} negative y values (first {first}): models are fitted on "
            "the original scale instead of log1p, for every series; fix or drop those values "
            "if they are errors (counts and revenue are never negative)")


def kind_intensities(forecaster: object, by: str = "kind") -> dict[str, float]:
    """A fitted forecaster's usual intensity per event kind: the median over its training
    calendar's events, an intensity of 0 read as 1.0 as the event model reads it ("not
    given"). ``validate_calendar`` gives planned events without an intensity these.

    ``by="name"``: per event name without its year (``features._calendar.base_names``: the
    name the event model pools, 'Black Friday' for 'Black Friday 2024'), which
    ``validate_calendar`` takes before the kind's: a planned 'Black Friday 2025' is a Black
    Friday like the past ones (0.5 off), not the kind's usual sale (0.2 off, 47% of its lift).
    """
    from features._calendar import base_names

    cal = getattr(forecaster, "calendar_", None)
    if cal is None or not len(cal) or not {by, "intensity"} <= set(cal.columns):
        return {}
    i = pd.to_numeric(cal["intensity"], errors="coerce")
    i = i.where(i != 0, 1.0)
    keys = base_names(cal["name"]) if by == "name" else cal[by].astype(str)
    med = i.groupby(keys.to_numpy()).median().dropna()
    return {str(k): float(v) for k, v in med.items()}


def nonexistent_local(ds: pd.DatetimeIndex, tz: str) -> np.ndarray:
    """Which naive local times of ``ds`` do not exist in ``tz`` (the hour skipped when clocks
    go forward, 02:00 on the last Sunday of March in Europe/Berlin)."""
    if ds.tz is not None or len(ds) == 0 or str(tz).upper() == "UTC":
        return np.zeros(len(ds), dtype=bool)
    local = ds.tz_localize(tz, ambiguous=np.zeros(len(ds), dtype=bool), nonexistent="NaT")
    return np.asarray(local.isna())


def period_text(ds: Any) -> str:
    """A period as people write it: the date for a day, date and time for an hour."""
    t = pd.Timestamp(ds)
    if t == t.normalize():
        return str(t.date())
    whole_minute = t.second == 0 and t.microsecond == 0
    return t.strftime("%Y-%m-%d %H:%M" if whole_minute else "%Y-%m-%d %H:%M:%S")


def closed_phases(y: np.ndarray, spd: int) -> np.ndarray:
    """Per period, whether its phase (weekday, hour of the week) is closed: above 0 on under
    half as many of its periods as the busiest phase (the rule ``_zero_share`` uses): a shop's
    Sundays, or its nights. A sparse series (0-2 orders a day) has no closed phase."""
    phase, busy = _phase_busy(y, spd)
    if busy.max() == 0:
        return np.zeros(len(y), dtype=bool)
    return busy[phase] < 0.5 * busy.max()


def _phase_busy(y: np.ndarray, spd: int) -> tuple[np.ndarray, np.ndarray]:
    """Each period's phase (weekday, hour of the week, counted back from the last period) and
    per phase the share of its observed periods above 0."""
    m = 7 * spd
    ok = np.isfinite(y)
    phase = (np.arange(len(y)) - len(y)) % m
    busy = np.zeros(m)
    for p in range(m):
        v = y[(phase == p) & ok]
        busy[p] = float((v != 0).mean()) if len(v) else 0.0
    return phase, busy


def _reject_duplicates(frame: pd.DataFrame, source: str, fix: str) -> None:
    """Error naming the count and first duplicate (series_id, ds) row of ``frame``."""
    dup = frame.duplicated(["series_id", "ds"])
    if dup.any():
        first = frame.loc[dup, ["series_id", "ds"]].iloc[0].tolist()
        msg = f"{source}: {int(dup.sum())} duplicate (series_id, ds) rows (first {first}); {fix}"
        raise ValueError(msg)


def live_history(y: np.ndarray, periods_per_day: int,
                 days: float = LEADING_ZEROS_DAYS) -> np.ndarray:
    """``y`` (a series on its regular grid) from where it starts (``live_start`` with no
    calendar: its first value other than 0 when it starts with ``days`` days or more at 0, or
    missing), as ``started_panel`` reads a series with no start event: the days before a
    page's launch are no part of its week-to-week variation. A history of zeros only is
    returned whole.

    The MASE scales of the backtest and of ``brain forecast check`` read it: 640 days of 0
    before a page launched five weeks before an origin had shrunk its scale about tenfold (an
    independent check's page scored MASE 1.49 in the backtest against 0.15 on its live days,
    and 1.28 against 0.28 in the check 13 weeks after its launch)."""
    y = np.asarray(y, dtype=float)
    return y[live_start(y, periods_per_day, days=days).cut:]


def started_panel(panel: Panel, calendar: pd.DataFrame | None = None,
                  lead_days: int = START_LEAD_DAYS, days: float = LEADING_ZEROS_DAYS
                  ) -> tuple[Panel, dict[str, pd.Timestamp]]:
    """``panel`` with each series starting where ``live_start`` says its own history starts
    (``training._forecast_live``): at its first value other than 0 when that value starts a
    planned event of its own channel in ``calendar`` (normalized; its window or the
    ``lead_days`` before it), whatever the zeros (or missing values) before it, or when those
    span ``days`` days or more (a product page exported at 0 before its launch, a store before
    it opened), as if the rows before it had been left out: history the series did not have
    yet, not a business at 0. A series of zeros only is kept whole (there is nothing else to
    forecast from).

    Read as a business at 0, the start was a step from nothing: the zeros shrank the outlier
    scale (ordinary weeks of a page clipped and named outages), and the bands of pages launched
    3-11 months before the origin reached 2x to 10x their P50 in an independent check. Under 28
    days of zeros before a launch in the calendar had been kept, and fed the trees' lags,
    rolling means and level: a page exported 20 days before its launch ran 1.4x high.

    Returns the panel and, per series started later, its first period kept.
    """
    grids: dict[str, SeriesGrid] = {}
    started: dict[str, pd.Timestamp] = {}
    data_start = min((g.ds[0] for g in panel.series.values() if len(g.ds)), default=None)
    found = live_starts({sid: (g.ds, g.y) for sid, g in panel.series.items()},
                        steps_per_day(panel.freq),
                        None if calendar is None else normalize_calendar(calendar), lead_days,
                        data_start, days)
    for sid, g in panel.series.items():
        a = found[sid][0].cut
        if not a:
            grids[sid] = g
            continue
        grids[sid] = SeriesGrid(series_id=g.series_id, ds=g.ds[a:], y=g.y[a:],
                                regressors={k: v[a:] for k, v in g.regressors.items()})
        started[sid] = pd.Timestamp(g.ds[a])
    return Panel(freq=panel.freq, series=grids, regressor_names=panel.regressor_names,
                 log=panel.log), started


def prepare_panel(series: pd.DataFrame, transform: str = "auto") -> Panel:
    """Validate a long frame and put each series on a regular grid.

    Raises:
        ValueError: missing columns, duplicate (series_id, ds), non-numeric regressors, or an
            irregular frequency; the message names the column and the fix.
    """
    for col in ("series_id", "ds", "y"):
        if col not in series.columns:
            msg = (f"series: required column {col!r} is missing (columns received: "
                   f"{list(series.columns)}); pass a long frame with series_id, ds, y")
            raise ValueError(msg)
    frame = series.copy()
    frame["series_id"] = frame["series_id"].astype(str)
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame["y"] = pd.to_numeric(frame["y"], errors="coerce").astype(float)
    _reject_duplicates(frame, "series", "aggregate duplicates before forecasting")
    extra = [c for c in frame.columns if c not in ("series_id", "ds", "y")]
    for col in extra:
        vals = pd.to_numeric(frame[col], errors="coerce")
        if vals.isna().sum() > frame[col].isna().sum():
            msg = (f"series: known-in-advance column {col!r} has non-numeric values; "
                   "regressors must be numbers (encode flags as 0/1); drop the column if it "
                   "is not known in advance for the forecast periods (a store name, a label)")
            raise ValueError(msg)
        frame[col] = vals.astype(float)
    frame = frame.sort_values(["series_id", "ds"], kind="stable")
    freq = _infer_freq(frame["ds"], frame["series_id"])
    grids: dict[str, SeriesGrid] = {}
    for sid, g in frame.groupby("series_id", sort=True):
        g = g.set_index("ds")
        idx = pd.date_range(g.index.min(), g.index.max(), freq=freq)
        g = g.reindex(idx)
        grids[str(sid)] = SeriesGrid(
            series_id=str(sid), ds=idx, y=g["y"].to_numpy(dtype=float),
            regressors={c: g[c].to_numpy(dtype=float) for c in extra})
    if transform == "auto":
        log = bool(np.nanmin(frame["y"].to_numpy()) >= 0) if frame["y"].notna().any() else False
        note = negative_values_note(frame)
        if note:  # one bad value changes the model for every series: say so
            logging.getLogger(__name__).warning("%s", note)
    elif transform in ("log", "log1p"):
        log = True
    elif transform in ("none", "identity"):
        log = False
    else:
        msg = f"transform must be 'auto', 'log1p' or 'none', received {transform!r}"
        raise ValueError(msg)
    return Panel(freq=freq, series=grids, regressor_names=extra, log=log)


def _period_text(ts: pd.Timestamp, freq: str) -> str:
    """A period as a date (daily) or date and hour (hourly) for messages."""
    return str(ts.date()) if freq == "D" else ts.strftime("%Y-%m-%d %H:%M")


def _periods_text(index: pd.DatetimeIndex, freq: str, first: int = 3) -> str:
    """The first ``first`` periods of ``index`` and how many more there are."""
    shown = ", ".join(_period_text(ts, freq) for ts in index[:first])
    return shown + (f" (+{len(index) - first} more)" if len(index) > first else "")


def _bad_rows(values: pd.Series, bad: pd.Series, first: int = 3) -> str:
    """The first ``first`` bad rows as ``4 ('yes'), 9 ('n/a')``: 1-based row numbers (plain ints,
    not numpy's ``np.int64(4)``) with the values that failed, for messages."""
    pos = np.flatnonzero(bad.to_numpy())
    shown = ", ".join(f"{int(i) + 1} ({values.iloc[i]!r})" for i in pos[:first])
    return shown + (f" (+{len(pos) - first} more)" if len(pos) > first else "")


def _future_frame(future_regressors: pd.DataFrame, columns: list[str], source: str
                  ) -> pd.DataFrame:
    """``series_id`` as text, ``ds`` as datetimes, ``columns`` as numbers; raises on bad input."""
    fr = future_regressors.copy()
    missing = [c for c in ("series_id", "ds", *columns) if c not in fr.columns]
    if missing:
        def squash(name: object) -> str:
            return re.sub(r"[\s_\-]", "", str(name)).casefold()

        near = {squash(c): str(c) for c in fr.columns}
        renames = {near[squash(c)]: c for c in missing if squash(c) in near}
        hint = (f"; rename {', '.join(f'{a!r} to {b!r}' for a, b in renames.items())}"
                if renames else "")
        msg = (f"{source}: column(s) {missing} missing (columns received: {list(fr.columns)})"
               f"{hint}; the model was fitted with known-in-advance columns {columns}: give "
               "series_id, ds and those columns for every forecast period")
        raise ValueError(msg)
    fr["series_id"] = fr["series_id"].astype(str)
    ds = pd.to_datetime(fr["ds"], errors="coerce")
    bad = ds.isna()
    if bad.any():
        msg = (f"{source}: column 'ds' has {int(bad.sum())} values that are not timestamps "
               f"(first rows {_bad_rows(fr['ds'], bad)}); write them as YYYY-MM-DD or "
               "YYYY-MM-DD HH:MM")
        raise ValueError(msg)
    fr["ds"] = ds
    for col in columns:
        vals = pd.to_numeric(fr[col], errors="coerce")
        bad = vals.isna() & fr[col].notna()
        if bad.any():
            msg = (f"{source}: known-in-advance column {col!r} has {int(bad.sum())} non-numeric "
                   f"values (first rows {_bad_rows(fr[col], bad)}); regressors must be numbers "
                   "(flags as 0/1)")
            raise ValueError(msg)
        fr[col] = vals.astype(float)
    _reject_duplicates(fr, source, "give one row per series and period")
    return fr


def check_future_regressors(
    panel: Panel,
    horizon: int,
    future_regressors: pd.DataFrame | None,
    source: str = "future_regressors",
    only: Sequence[str] | None = None,
) -> pd.DataFrame | None:
    """Validate known-in-advance values for the ``horizon`` periods after each series' end.

    Every period of every series (of ``only``, when given: the series a caller will read)
    needs a value of every regressor the panel was fitted with; nothing is filled in. Returns
    the parsed frame (None when the panel has no regressors).

    Raises:
        ValueError: no frame, missing or non-numeric columns, duplicate (series_id, ds), or
            missing periods; the message names ``source``, the columns, series and periods.
    """
    names = panel.regressor_names
    if not names:
        return None
    wanted = list(panel.series) if only is None else list(only)
    if future_regressors is None:
        sid = wanted[0] if wanted else next(iter(panel.series))
        idx = panel.future_index(sid, horizon)
        msg = (f"{source}: the model was fitted with known-in-advance columns {names}; give "
               "series_id, ds and those columns for every forecast period (e.g. series "
               f"{sid!r} from {_period_text(idx[0], panel.freq)} to "
               f"{_period_text(idx[-1], panel.freq)})")
        raise ValueError(msg)
    fr = _future_frame(future_regressors, names, source)
    gaps, total, ended = [], 0, []
    ends = {sid: grid.ds[-1] for sid, grid in panel.series.items() if len(grid.ds)}
    latest = max(ends.values()) if ends else None
    for sid in wanted:
        idx = panel.future_index(sid, horizon)
        sub = fr[fr["series_id"] == sid].set_index("ds")[names].reindex(idx)
        lack = idx[sub.isna().any(axis=1).to_numpy()]
        if len(lack):
            total += len(lack)
            gaps.append(f"series {sid!r}: {_periods_text(lack, panel.freq)}")
            if latest is not None and sid in ends and ends[sid] < latest - pd.Timedelta(days=7):
                ended.append(f"{sid!r} (last {_period_text(ends[sid], panel.freq)})")
    if gaps:
        more = f"; +{len(gaps) - 5} more series" if len(gaps) > 5 else ""
        # a store that closed (or a page renamed) ends long before the others: its plan is
        # not missing, the series is; 'shorten the horizon' alone cannot help it
        gone = (f". {len(ended)} of these series end over a week before the others' last "
                f"period {_period_text(latest, panel.freq)}: {', '.join(ended[:5])}"
                + (f" (+{len(ended) - 5} more)" if len(ended) > 5 else "")
                + " (a closed store, a renamed page?): forecast the other series only "
                "(brain forecast predict --series; the API's series_id), or give them plan "
                "rows for their own forecast periods" if ended and latest is not None else "")
        msg = (f"{source}: {total} forecast periods lack a value of {names} ("
               + "; ".join(gaps[:5]) + more + "); supply every period of the horizon (from "
               "the period after each series' last observation), or shorten the horizon"
               + gone)
        raise ValueError(msg)
    return fr


def future_regressor_values(
    panel: Panel,
    series_id: str,
    index: pd.DatetimeIndex,
    future_regressors: pd.DataFrame | None,
) -> dict[str, np.ndarray]:
    """Known-in-advance values for ``index``; raises when a needed value is missing."""
    if not panel.regressor_names:
        return {}
    if future_regressors is None:
        msg = (f"predict: the model was fitted with known-in-advance columns "
               f"{panel.regressor_names}; pass future_regressors with series_id, ds and those "
               "columns for every forecast period")
        raise ValueError(msg)
    fr = _future_frame(future_regressors, panel.regressor_names, "predict: future_regressors")
    sub = fr[fr["series_id"] == series_id].set_index("ds").reindex(index)
    out: dict[str, np.ndarray] = {}
    for col in panel.regressor_names:
        lack = index[sub[col].isna().to_numpy()]
        if len(lack):
            msg = (f"predict: future_regressors lack {len(lack)} values of {col!r} for series "
                   f"{series_id!r} between {index[0]} and {index[-1]} (missing: "
                   f"{_periods_text(lack, panel.freq)}); supply every period")
            raise ValueError(msg)
        out[col] = sub[col].to_numpy(dtype=float)
    return out


class BaseForecaster:
    """Common interface: ``fit(series, calendar) -> self``; ``predict(horizon, ...) -> frame``.

    ``predict(horizon, future_calendar=None)`` uses the calendar given to ``fit`` (which may
    already hold future events); pass an empty frame to forecast with no events at all.
    """

    model_name: ClassVar[str] = "base"

    def get_params(self) -> dict[str, Any]:
        """Constructor settings (for logging)."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def fit(self, series: pd.DataFrame, calendar: pd.DataFrame | None = None) -> Self:
        """Learn from ``series`` (long frame) and ``calendar``; returns self."""
        raise NotImplementedError

    def predict(
        self,
        horizon: int,
        future_calendar: pd.DataFrame | None = None,
        future_regressors: pd.DataFrame | None = None,
        series: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """P10/P50/P90 for the ``horizon`` periods after each series' last observation.

        ``series``: forecast only these series (None: all). Each series' forecast reads only
        its own history, calendar events and known-in-advance values, so its rows are the
        same as in a forecast of every series (``future_regressors`` need only cover them).
        """
        raise NotImplementedError

    @property
    def cheap_without(self) -> bool:
        """Whether ``predict_without`` costs little per job (no forecast each), so that
        ``forecasts_without`` gives each event a job of its own instead of batching them."""
        return False

    def predict_without(
        self,
        horizon: int,
        calendar: pd.DataFrame | None,
        jobs: Sequence[tuple[Sequence[int], Sequence[str] | None]],
        future_regressors: pd.DataFrame | None = None,
    ) -> list[pd.DataFrame]:
        """For each ``(rows, series)`` of ``jobs``: ``predict(horizon, calendar without
        rows, future_regressors, series=series)``, ``rows`` being positions in
        ``normalize_calendar(calendar)`` (the forecasts without each event that shares days
        with others: ``forecasts_without``). Here one ``predict`` per job; the LightGBM
        forecaster, whose calendar enters after trees that read none, shares one pass of
        them and of the calendar between the jobs."""
        cal = normalize_calendar(calendar)
        return [self.predict(horizon, cal.drop(index=cal.index[list(rows)]).reset_index(
            drop=True), future_regressors, series=series) for rows, series in jobs]

    def _series_asked(self, series: Sequence[str] | None) -> list[str]:
        """The series ids ``predict`` forecasts, in the model's own order: every series for
        None, else those of ``series`` (an id the model does not know is a ValueError)."""
        own = list(self.panel_.series)  # type: ignore[attr-defined]
        if series is None:
            return own
        asked = {str(s) for s in series}
        if not asked:
            msg = "predict: series is empty; give the series ids to forecast, or None for all"
            raise ValueError(msg)
        unknown = sorted(asked - set(own))
        if unknown:
            raise ValueError(f"predict: {unknown_series_text(unknown, own)}")
        return [s for s in own if s in asked]

    def _fit_calendar(self, calendar: pd.DataFrame | None) -> pd.DataFrame:
        """The training calendar, normalized and checked against the panel's channels."""
        return check_calendar_channels(calendar, list(self.panel_.series))  # type: ignore[attr-defined]

    def _calendar_for_predict(self, future_calendar: pd.DataFrame | None) -> pd.DataFrame:
        if future_calendar is None:
            return self.calendar_  # type: ignore[attr-defined]
        return self._fit_calendar(future_calendar)

    def _check_fitted(self) -> None:
        if not hasattr(self, "panel_"):
            msg = f"{type(self).__name__}: call fit(series, calendar) before predict"
            raise RuntimeError(msg)

    @staticmethod
    def _check_horizon(horizon: int) -> int:
        if int(horizon) < 1:
            msg = f"predict: horizon must be a positive number of periods, received {horizon}"
            raise ValueError(msg)
        return int(horizon)

    def _frame(self, parts: list[pd.DataFrame], extra: tuple[str, ...] = ()) -> pd.DataFrame:
        """``parts`` as one forecast frame (``FORECAST_COLUMNS``, and the ``extra`` columns of
        ``parts``): quantiles ordered, a count's P10/P90 whole numbers, the model's name, and
        no row for an hour the business time zone's clocks skip."""
        out = pd.concat(parts, ignore_index=True)
        # quantiles are ordered: p10 <= p50 <= p90
        q = np.sort(out[["p10", "p50", "p90"]].to_numpy(dtype=float), axis=1)
        counts = _count_series(getattr(self, "panel_", None))
        if counts:
            # a count's quantiles are whole numbers: P10 down, P90 up (P50 stays the central
            # estimate). A shop selling 0-5 orders a day had P10 at 0.07-0.26, so every day
            # without an order fell outside its 80% interval (coverage 53%)
            on = out["series_id"].astype(str).isin(counts).to_numpy()
            q[on, 0] = np.floor(q[on, 0] + 1e-9)
            q[on, 2] = np.ceil(q[on, 2] - 1e-9)
        out[["p10", "p50", "p90"]] = q
        out["model"] = self.model_name
        tz = getattr(self, "time_zone_", None)  # set by train_and_register; older models: None
        panel = getattr(self, "panel_", None)
        if tz and len(out) and panel is not None and panel.step < pd.Timedelta(days=1):
            # an hour the clocks skip in the business time zone has no traffic: no row
            gone = nonexistent_local(pd.DatetimeIndex(out["ds"]), tz)
            out = out[~gone].reset_index(drop=True)
        return out[[*FORECAST_COLUMNS, *extra]]
