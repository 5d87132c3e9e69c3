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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from features._calendar import check_channels, is_aggregate, normalize_calendar, series_channel

__all__ = [
    "FORECAST_COLUMNS",
    "BaseForecaster",
    "Panel",
    "SeriesGrid",
    "calendar_for_series",
    "check_calendar_channels",
    "check_future_regressors",
    "extreme_values_note",
    "future_regressor_values",
    "kind_intensities",
    "level_shift_note",
    "listed",
    "missing_phase_notes",
    "negative_values_note",
    "period_text",
    "prepare_panel",
    "series_freq",
    "series_notes",
    "short_history_note",
    "similar_ids_note",
    "sparse_series_note",
    "steps_per_day",
]

FORECAST_COLUMNS: tuple[str, ...] = ("series_id", "ds", "p10", "p50", "p90", "model")
"""Columns of every forecast frame."""

QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)
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


def _channel_hint(channel: str, known: list[str]) -> str | None:
    """The series channel ``channel`` most likely meant: the channel of a series id given as the
    channel (``'channel=email'`` -> ``'email'``), else the closest spelling (difflib), else None."""
    own = series_channel(channel)
    if own in known:
        return own
    same = [k for k in known if k.lower() == channel.lower()]  # 'BIG_A' for 'big_A'
    if same:
        return same[0]
    close = difflib.get_close_matches(channel.lower(), known, n=1, cutoff=0.6)
    return close[0] if close else None


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
        msg = (f"{exc}{hint} The series are {_names(ids, 20)} (channel 'c' is the series "
               "'channel=c', also behind a metric prefix, or a series named 'c').")
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


OUTCOME_LIKE_RHO = 0.9
"""Rank correlation with ``y`` (over periods with traffic) above which a known-in-advance
column is named as a likely same-period outcome."""


def regressor_notes(series: pd.DataFrame) -> list[str]:
    """Which extra columns the forecasters read as known in advance (every column besides
    ``series_id``, ``ds``, ``y``), and a warning for any that rises and falls with ``y`` almost
    one for one (Spearman above ``OUTCOME_LIKE_RHO`` over the periods with ``y`` above 0, so a
    closure flag that is 0 exactly when the shop is shut does not count): such a column is
    usually an outcome of the period (customers, orders, visits), whose actual future values
    the backtest reads. A check found a Rossmann file's ``Customers`` column taken this way
    without a word: backtest MASE 0.19 against 0.27 without it, and the model became
    champion."""
    extra = [c for c in series.columns if c not in ("series_id", "ds", "y")]
    if not extra:
        return []
    notes = [f"known-in-advance columns: {', '.join(repr(c) for c in extra)}: the forecasters "
             "read them for every period they forecast (backtests from this file), so "
             "'brain forecast predict' needs their future values (--future FILE); drop any "
             "that is not planned in advance"]
    y = pd.to_numeric(series["y"], errors="coerce")
    busy = (y > 0).to_numpy()
    for col in extra:
        x = pd.to_numeric(series[col], errors="coerce")
        ok = busy & x.notna().to_numpy()
        if ok.sum() < 30 or x[ok].nunique() < 3:
            continue
        rho = float(y[ok].rank().corr(x[ok].rank()))
        if np.isfinite(rho) and abs(rho) >= OUTCOME_LIKE_RHO:
            notes.append(
                f"column {col!r} rises and falls with y almost one for one (rank correlation "
                f"{rho:.2f} over {int(ok.sum()):,} periods with y above 0): if it is only known "
                "once a period is over (customers, orders, visits), the backtest reads its "
                "actual future values and scores better than any real forecast can, and "
                "'brain forecast predict' cannot be given it; drop it from the series file "
                "unless it is set in advance")
    return notes


def period_text(ds: Any) -> str:
    """A period as people write it: the date for a day, date and time for an hour."""
    t = pd.Timestamp(ds)
    if t == t.normalize():
        return str(t.date())
    whole_minute = t.second == 0 and t.microsecond == 0
    return t.strftime("%Y-%m-%d %H:%M" if whole_minute else "%Y-%m-%d %H:%M:%S")


def extreme_values_note(series: pd.DataFrame, ratio: float = 100.0) -> str | None:
    """The note for values ``ratio`` times above the series' 99th percentile (a logging
    glitch such as 1e7 views), else None. Fits clip them, but a backtest scores them."""
    y = pd.to_numeric(series["y"], errors="coerce")
    p99 = y.groupby(series["series_id"]).transform("quantile", 0.99)
    far = (p99 > 0) & (y > ratio * p99)
    if not far.any():
        return None
    rows = series.loc[far].head(3)
    first = ", ".join(f"{sid} {period_text(ds)}: {v:g} ({v / q:,.0f}x)" for sid, ds, v, q in
                      zip(rows["series_id"], rows["ds"], y[far].head(3), p99[far].head(3),
                          strict=True))
    return (f"series: {int(far.sum())} y values are more than {ratio:g}x their series' 99th "
            f"percentile (first {first}); the LightGBM forecaster clips such outliers in its "
            "history, but a backtest window that holds one is scored against it; correct them "
            "if they are glitches")


def series_notes(series: pd.DataFrame, calendar: pd.DataFrame | None = None,
                 tz: str | None = None) -> list[str]:
    """What ``brain forecast`` says about a series file's values before fitting (``data validate
    --series`` says the same): negative values, far-out values, short histories, level shifts
    (calendar event days left out), sparse series, weekdays or hours never seen. ``tz``: the
    time zone hourly series were read in (their ``ds`` are its naive local times)."""
    notes = [n for n in (negative_values_note(series), extreme_values_note(series),
                         similar_ids_note(series)) if n]
    notes += regressor_notes(series)
    # numeric known-in-advance columns too: a level shift that one of them explains (a paid
    # channel's budget) is told as such
    known = [c for c in series.columns if c not in ("series_id", "ds", "y")
             and pd.api.types.is_numeric_dtype(series[c])]
    panel = prepare_panel(series[["series_id", "ds", "y", *known]], "none")
    extra = [n for n in (short_history_note(panel), level_shift_note(panel, calendar=calendar),
                         unmarked_drop_note(panel, calendar), sparse_series_note(panel),
                         gap_note(panel, tz=tz)) if n]
    return notes + extra + missing_phase_notes(panel)


def similar_ids_note(series: pd.DataFrame) -> str | None:
    """The note for series ids that differ only in case, spaces, '_' or '-' ('Store_003' and
    'store_003'): they are separate series. An export whose store ids changed case on
    2025-03-30 had split one store into a history ending seven weeks early and a 50-day
    'new' store, without a word."""
    from features._io import spelling_groups

    groups = spelling_groups(list(series["series_id"].astype(str).unique()))
    if not groups:
        return None
    ds = pd.to_datetime(series["ds"])
    sid = series["series_id"].astype(str)

    def span(one: str) -> str:
        d = ds[sid == one]
        return f"{one!r} ({period_text(d.min())} .. {period_text(d.max())}, {len(d):,} rows)"

    shown = "; ".join(" and ".join(span(i) for i in g) for g in groups[:3])
    more = f"; +{len(groups) - 3} more groups" if len(groups) > 3 else ""
    return (f"{len(groups)} group(s) of series ids differ only in case, spaces, '_' or '-' and "
            f"are forecast as separate series: {shown}{more}. If they are one series, write its "
            "id one way in the file")


def _event_days(calendar: pd.DataFrame | None) -> Callable[[str], np.ndarray]:
    """For series ids, the sorted days inside the window of a calendar event that applies to
    them (normalized calendar), by the rule of ``features._calendar.applies_to``: events
    without a channel apply to every series, a channel's events to its series and to the
    aggregates. The days are computed once per channel, not once per series."""
    from features._calendar import is_aggregate, series_channel

    none = np.array([], dtype="datetime64[ns]")

    def covered(rows: pd.DataFrame) -> np.ndarray:
        spans = [pd.date_range(a, b, freq="D").to_numpy()
                 for a, b in zip(rows["start"], rows["end"], strict=True)]
        return np.unique(np.concatenate(spans)) if spans else none

    if calendar is None or calendar.empty:
        return lambda sid: none
    chan = calendar["channel"]
    everywhere = covered(calendar[chan.isna().to_numpy(dtype=bool)])
    every = covered(calendar)
    by_channel = {str(c): np.union1d(everywhere, covered(g))
                  for c, g in calendar[chan.notna().to_numpy(dtype=bool)].groupby("channel")}

    def days_of(sid: str) -> np.ndarray:
        if is_aggregate(sid):
            return every
        return by_channel.get(str(series_channel(sid)), everywhere)

    return days_of


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


def _zero_share(y: np.ndarray, spd: int) -> float:
    """Share of zero periods among those whose phase (weekday, hour of the week) is open: a
    shop closed on Sundays, or at night, is not sparse for it.

    A phase is closed when it is above 0 on under half as many of its periods as the busiest
    phase: a closed Sunday is nearly always 0 where the weekdays are not, while a sparse
    series (returns on 14% of days) is 0 as often on every weekday. (Taking the phases whose
    median is 0 as closed had called such a series 0% sparse.)
    """
    ok = np.isfinite(y)
    if not ok.any():
        return 0.0
    phase, busy = _phase_busy(y, spd)
    if busy.max() == 0:
        return 1.0
    active = ok & (busy[phase] >= 0.5 * busy.max())
    return float((y[active] == 0).mean()) if active.any() else 0.0


def level_shift_note(panel: Panel, recent_days: int = 14, before_days: int = 56,
                     ratio: float = 1.5, calendar: pd.DataFrame | None = None) -> str | None:
    """The note for series whose last ``recent_days`` run at ``ratio`` times (or 1/``ratio``)
    their level of the ``before_days`` before (medians), else None.

    The LightGBM forecaster takes a run of 4 of 5 days beyond its clipping bounds as a new
    level (``level_shift_days``); in a check, traffic doubled 7 days before the origin covered
    87% of the 80% band and 95% at 14 days, 69% at 5 days, but 2% at 3 days, too young to tell
    from a spike. Calendar event days and closures that ended (which the forecaster cleans)
    are left out of the medians, and so are sparse series (a quarter of their days at 0). A
    closure still running at the origin, missing from the calendar, is taken as a new level.
    """
    from features._calendar import normalize_calendar

    from ._forecast_gbm import LightGBMForecaster, _winsorize  # the forecaster's own reading

    defaults = LightGBMForecaster()

    event_days = _event_days(normalize_calendar(calendar) if calendar is not None else None)
    spd = steps_per_day(panel.freq)
    cut = recent_days * spd
    span = (recent_days + before_days) * spd
    moved = []
    for sid, g in panel.series.items():
        y = g.y.astype(float)
        # days the calendar explains, and closures that ended (the forecaster cleans those),
        # are not a shift
        _, _, _, ended, _ = _winsorize(panel.fwd(y), 7 * spd, defaults.clip_sd,
                                       shift_run=round(defaults.level_shift_days * spd),
                                       reg=g.regressors)
        y = np.where(ended, np.nan, y)[-span:]
        y = np.where(np.isin(g.ds[-span:].normalize().to_numpy(), event_days(sid)), np.nan, y)
        now_y, then_y = y[-cut:], y[:-cut]
        if np.isfinite(now_y).sum() < cut // 2 or np.isfinite(then_y).sum() < cut:
            continue
        if _zero_share(then_y, spd) >= 0.25:
            continue  # a sparse series (orders of a small channel): its median jumps to 0
        now, then = float(np.nanmedian(now_y)), float(np.nanmedian(then_y))
        # small counts (a niche product's 2 or 3 a day) move by 1.5x on noise alone
        if max(now, then) >= 10 and min(now, then) >= 0 and (
                min(now, then) == 0 or max(now / then, then / now) >= ratio):
            moved.append((sid, now, then, _moved_columns(g.regressors, cut, span)))
    if not moved:
        return None
    shown = listed([f"{sid!r} ({now:,.4g} against {then:,.4g}"
                    + "".join(f"; its {c!r} {a:,.4g} against {b:,.4g}" for c, a, b in cols) + ")"
                    for sid, now, then, cols in moved])
    verb = "runs" if len(moved) == 1 else "run"
    text = (f"{len(moved)} series {verb} at another level in their last {recent_days} days "
            f"than in the {before_days} before (medians, calendar event days left out): "
            f"{shown}. ")
    explained = [sid for sid, _, _, cols in moved if cols]
    if explained:
        # a budget that moved with the visits is no closure or promotion to mark: the
        # forecast reads the column's planned values (it had told a planner whose paid
        # visits followed a doubled spend to mark a closure or a promotion)
        named = listed([repr(s) for s in explained])
        text += (f"Where a known-in-advance column moved with it ({named}"
                 "), the forecast follows that column's values in --future, not the new level "
                 "alone. ")
        if len(explained) == len(moved):
            return text.rstrip()
    return text + (
        "The forecast takes 4 or more days in 5 beyond the usual range as the new level and "
        "starts from it; a shift younger than that is not followed yet (in a check, traffic "
        "doubled 3 days before the origin covered 2% of the 80% band, 69% at 5 days and 87% "
        "at 7). If it is a closure or a promotion still running, mark it in the calendar "
        "(kind 'closed', or the promotion's kind), or the forecast will carry it on")


def _moved_columns(reg: dict[str, np.ndarray], cut: int, span: int
                   ) -> list[tuple[str, float, float]]:
    """Known-in-advance columns that stepped between the ``span - cut`` periods before the
    last ``cut`` and those (the forecaster's test, ``_forecast_gbm.column_stepped``: a 0/1 flag
    on half the days had 'moved' from a median of 0 to 1 on chance, and the note had said the
    forecast follows it): (name, now, then), medians (means where those are equal)."""
    from ._forecast_gbm import column_stepped

    out = []
    for name, vals in reg.items():
        v = np.asarray(vals, dtype=float)[-span:]
        now_v, then_v = v[-cut:], v[:-cut]
        if not column_stepped(then_v, now_v):
            continue
        now, then = float(np.nanmedian(now_v)), float(np.nanmedian(then_v))
        if now == then:
            now, then = float(np.nanmean(now_v)), float(np.nanmean(then_v))
        out.append((name, now, then))
    return out


def unmarked_drop_note(panel: Panel, calendar: pd.DataFrame | None = None,
                       show: int = 3) -> str | None:
    """The note for drops the LightGBM forecaster takes as unmarked closures or outages that
    ended (runs of periods far below the usual level that came back, mostly outside the
    calendar's event days), else None: it leaves them out of learning, which is right for a
    tracking outage and hides a real closure that will recur. Runs at the same periods in
    several series (an outage of the whole site) are named once with their series.

    A 4-day tracking outage of 0 visits in every channel had been cleaned without a word: the
    planner could not tell whether it was recognised."""
    from features._calendar import normalize_calendar

    from ._forecast_gbm import LightGBMForecaster, _winsorize  # the forecaster's own reading

    defaults = LightGBMForecaster()
    event_days = _event_days(normalize_calendar(calendar) if calendar is not None else None)
    spd = steps_per_day(panel.freq)
    runs: dict[tuple[pd.Timestamp, pd.Timestamp, int], list[str]] = {}
    # the forecaster's scale: log1p unless a value is negative (``prepare_panel``'s "auto")
    ys = [g.y for g in panel.series.values() if np.isfinite(g.y).any()]
    log = bool(ys) and min(float(np.nanmin(y)) for y in ys) >= 0
    for sid, g in panel.series.items():
        y = g.y.astype(float)
        drop = _winsorize(np.log1p(y) if log else y, 7 * spd, defaults.clip_sd,
                          shift_run=round(defaults.level_shift_days * spd),
                          reg=g.regressors)[3]
        if not drop.any():
            continue
        marked = np.isin(g.ds.normalize().to_numpy(), event_days(str(sid)))
        edges = np.flatnonzero(np.diff(np.concatenate([[0], drop.astype(int), [0]])))
        starts, ends = edges[::2], edges[1::2]
        # runs a period or a day apart are one (Christmas Eve to Boxing Day, and a day
        # before them)
        near = np.flatnonzero(starts[1:] - ends[:-1] > spd)
        starts, ends = np.r_[starts[:1], starts[1:][near]], np.r_[ends[:-1][near], ends[-1:]]
        for a, b in zip(starts, ends, strict=True):
            if marked[a:b].mean() > 0.5:
                continue  # the calendar's own event (a holiday) explains most of it
            runs.setdefault((g.ds[a], g.ds[b - 1], int(b - a)), []).append(str(sid))
    if not runs:
        return None
    unit = "days" if panel.freq == "D" else "hours"

    def span(a: pd.Timestamp, b: pd.Timestamp, n: int) -> str:
        return f"{period_text(a)} .. {period_text(b)} ({n} {unit if n != 1 else unit[:-1]})"

    # runs that overlap are one drop: a site-wide outage's runs start a day early in the few
    # series whose day before it was low by chance (Poisson counts: 1,000 stores' one outage
    # had been named as 5 drops); each is told by its most common extent. A run joins a drop
    # only when it shares a period with every run of it: a chain of closures that each overlap
    # the next only (a store's Oct 23-28, another's Oct 27-Nov 5, a third's Nov 4-9) had been
    # "1 drop, Oct 23-28, in" all three stores
    clusters: list[tuple[pd.Timestamp, pd.Timestamp, dict[tuple[pd.Timestamp, pd.Timestamp,
                                                               int], list[str]]]] = []
    common_end: pd.Timestamp | None = None  # the last period every run of the drop holds
    for (a, b, n), sids in sorted(runs.items()):
        if clusters and common_end is not None and a <= common_end:
            first, last, members = clusters[-1]
            members[(a, b, n)] = sids
            clusters[-1] = (first, max(last, b), members)
            common_end = min(common_end, b)
        else:
            clusters.append((a, b, {(a, b, n): sids}))
            common_end = b
    parts = []
    for first, last, members in clusters:
        (a, b, n), most = max(members.items(), key=lambda kv: len(kv[1]))
        sids = list(dict.fromkeys([*most, *(s for group in members.values() for s in group)]))
        wider = (f", in some of them {period_text(first)} .. {period_text(last)}"
                 if (first, last) != (a, b) else "")
        parts.append(f"{span(a, b, n)}{wider} in {listed([repr(s) for s in sids])}")
    shown = listed(parts, show)
    one = len(clusters) == 1
    return (f"{len(clusters)} drop{'' if one else 's'} far below the usual level that came back, "
            f"not in the calendar, {'is' if one else 'are'} taken as unmarked outages or "
            "closures and left out of learning "
            f"(their periods are replaced by the usual level, and no event lift is measured "
            f"on them): {shown}. Right for a tracking outage; if one was a real closure that "
            "will recur, mark it in the calendar (kind 'closed') so it is learned and forecast")


def sparse_series_note(panel: Panel, weeks: int = 8, share: float = 0.2) -> str | None:
    """The note for series with at least ``share`` zero periods in their last ``weeks`` (among
    weekdays or hours that are usually open, ``_zero_share``): their P50 is a median, and the
    sum of medians understates the total of a period."""
    spd = steps_per_day(panel.freq)
    sparse = []
    for sid, g in panel.series.items():
        zero = _zero_share(g.y[-weeks * 7 * spd:].astype(float), spd)
        if zero >= share:
            sparse.append((sid, zero))
    if not sparse:
        return None
    shown = listed([f"{sid!r} ({z:.0%})" for sid, z in sparse])
    verb = "has" if len(sparse) == 1 else "have"
    return (f"{len(sparse)} series {verb} many periods at 0 in their last {weeks} weeks: "
            f"{shown}. P50 is the median of each period, so summing P50 over the horizon "
            "understates their total (in a check, a small channel's revenue with 47% days at 0 "
            "summed to 10% of its actual 60-day total, its orders to 68%). Plan totals from a "
            "denser series (the total over channels) split by the channels' recent shares")


def short_history_note(panel: Panel) -> str | None:
    """The note for series with under two weeks of observed history, else None.

    Such a series (a product launched days ago) is forecast from the other series' patterns
    around its few values: the check that found this measured 60-63% coverage of the 80%
    interval for 2-7-day-old copies of a series. A series with one observed period is its
    value repeated with a wide band.
    """
    two_weeks = 14 * steps_per_day(panel.freq)
    short = {sid: int(np.isfinite(g.y).sum()) for sid, g in panel.series.items()
             if int(np.isfinite(g.y).sum()) < two_weeks}
    if not short:
        return None
    unit = "day" if panel.freq == "D" else "hour"
    shown = listed([f"{sid!r} ({n} {unit}{'s' if n != 1 else ''})"
                    for sid, n in sorted(short.items(), key=lambda kv: kv[1])])
    verb = "has" if len(short) == 1 else "have"
    return (f"{len(short)} series {verb} under two weeks of history: {shown}. Their "
            "forecasts lean on the other series' patterns and their intervals are too narrow "
            "(60-63% coverage of the 80% interval for 2-7-day-old series in a check); a "
            "series with one value is that value repeated with a wide band. Backtests leave "
            "them out of MASE and pinball")


_WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def missing_phase_notes(panel: Panel) -> list[str]:
    """Notes for weekdays (daily) or hours of the day (hourly) a series never has a value on.

    Such periods (closed days left out of the file) are forecast like the series' other days,
    which is rarely meant. One note per distinct set of missing phases, naming the series.
    """
    groups: dict[str, list[str]] = {}
    for sid, g in panel.series.items():
        seen = g.ds[np.isfinite(g.y)]
        if panel.freq == "D":
            if len(g.ds) < 14:
                continue
            missing = sorted(set(range(7)) - set(seen.day_of_week))
            label = ", ".join(_WEEKDAYS[d] for d in missing)
        else:
            if len(g.ds) < 48:
                continue
            missing = sorted(set(range(24)) - set(seen.hour))
            label = "hours " + ", ".join(f"{h:02d}:00" for h in missing)
        if missing:
            groups.setdefault(label, []).append(sid)
    notes = []
    for label, sids in groups.items():
        what = (f"series {_names(sids)}" if len(sids) < 6
                else f"{len(sids)} series ({_names(sids, 3)})")
        verb = "has" if len(sids) == 1 else "have"
        notes.append(
            f"{what} never {verb} a value on {label} in their history: those periods are "
            "forecast as normal periods. If nothing happens then (closed days), give them as "
            "rows with y=0 so the model learns it, or leave their forecasts out of your use")
    return notes


def gap_note(panel: Panel, show: int = 3, tz: str | None = None) -> str | None:
    """The note for series with missing periods inside their history (on weekdays or hours
    they otherwise have values on: ``missing_phase_notes`` names the others), else None.

    A check's store with 21 days missing mid-history got no word; missing periods are not
    learned from and not filled, which is right for a data outage and wrong for a closure.
    With ``tz``, an hourly grid's hours the clocks skip there (02:00 on the spring-forward
    day in Europe/Berlin) are not missing: they do not exist, and no row can be given."""
    found = []
    for sid, g in panel.series.items():
        ok = np.isfinite(g.y)
        seen = set(g.ds[ok].day_of_week if panel.freq == "D" else g.ds[ok].hour)
        phase = g.ds.day_of_week if panel.freq == "D" else g.ds.hour
        gap = ~ok & np.isin(phase, list(seen))
        if tz and panel.freq != "D" and gap.any():
            gap &= ~nonexistent_local(pd.DatetimeIndex(g.ds), tz)
        if not gap.any():
            continue
        # longest run of consecutive missing periods
        edges = np.flatnonzero(np.diff(np.concatenate([[0], gap.astype(int), [0]])))
        starts, ends = edges[::2], edges[1::2]
        k = int(np.argmax(ends - starts))
        found.append((str(sid), int(gap.sum()), int(ends[k] - starts[k]), g.ds[starts[k]]))
    if not found:
        return None
    unit = "days" if panel.freq == "D" else "hours"
    shown = listed([f"{sid!r} ({n} {unit if n != 1 else unit[:-1]} missing; longest run {run} from "
                    f"{period_text(at)})" for sid, n, run, at in found], show)
    return (f"{len(found)} series {'has' if len(found) == 1 else 'have'} periods missing inside "
            f"{'its' if len(found) == 1 else 'their'} history: {shown}. Missing periods are "
            "not learned from and not filled (right for a data outage); if the business was "
            "closed, give those periods as rows with y=0 so the model learns it")


def _reject_duplicates(frame: pd.DataFrame, source: str, fix: str) -> None:
    """Error naming the count and first duplicate (series_id, ds) row of ``frame``."""
    dup = frame.duplicated(["series_id", "ds"])
    if dup.any():
        first = frame.loc[dup, ["series_id", "ds"]].iloc[0].tolist()
        msg = f"{source}: {int(dup.sum())} duplicate (series_id, ds) rows (first {first}); {fix}"
        raise ValueError(msg)


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
        rows = list(np.flatnonzero(bad.to_numpy())[:3] + 1)
        msg = (f"{source}: column 'ds' has {int(bad.sum())} values that are not timestamps "
               f"(first rows {rows}); write them as YYYY-MM-DD or YYYY-MM-DD HH:MM")
        raise ValueError(msg)
    fr["ds"] = ds
    for col in columns:
        vals = pd.to_numeric(fr[col], errors="coerce")
        bad = vals.isna() & fr[col].notna()
        if bad.any():
            rows = list(np.flatnonzero(bad.to_numpy())[:3] + 1)
            msg = (f"{source}: known-in-advance column {col!r} has {int(bad.sum())} non-numeric "
                   f"values (first rows {rows}); regressors must be numbers (flags as 0/1)")
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
    gaps, total = [], 0
    for sid in wanted:
        idx = panel.future_index(sid, horizon)
        sub = fr[fr["series_id"] == sid].set_index("ds")[names].reindex(idx)
        lack = idx[sub.isna().any(axis=1).to_numpy()]
        if len(lack):
            total += len(lack)
            gaps.append(f"series {sid!r}: {_periods_text(lack, panel.freq)}")
    if gaps:
        more = f"; +{len(gaps) - 5} more series" if len(gaps) > 5 else ""
        msg = (f"{source}: {total} forecast periods lack a value of {names} ("
               + "; ".join(gaps[:5]) + more + "); supply every period of the horizon (from "
               "the period after each series' last observation), or shorten the horizon")
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
            msg = (f"predict: series {unknown[:5]} are not series of this model; it forecasts "
                   f"{own[:20]}")
            raise ValueError(msg)
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

    def _frame(self, parts: list[pd.DataFrame]) -> pd.DataFrame:
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
        return out[list(FORECAST_COLUMNS)]
