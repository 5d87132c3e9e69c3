"""Event (promotion/holiday/launch) effects learned from past occurrences, as in demand planning.

For every day an applicable calendar event covers (plus ``pre_days`` before and ``post_days``
after it) the lift is the gap between the observed value and a local baseline on the modelling
scale (log1p for counts): the median of the same phase (same weekday, or same hour of the week)
``season_lags`` seasons before and after, skipping other event days (falling back to shoulder
days, then the local level plus the phase's usual offset, where no event-free value is near).
Lifts are then pooled per relative day of the event through a hierarchy (all events -> kind ->
name -> name in this series) with precision-weighted shrinkage, per unit of intensity and with
recent occurrences weighted more; ``training._forecast_event_pool`` (``LiftHierarchy``, which
``EventEffects`` extends) does the pooling and reads a day's lift back (``effect``).

``clean`` gives the history with event days replaced by their baseline, so a baseline model never
learns from event spikes; forecasts add the pooled lift back on future event days. On a day that
several events cover, events of one kind are one event (the in-window one with the largest
absolute lift wins: a final that is also a playoff game), events of different kinds add their
lifts (Christmas on a newsletter Thursday), each learned net of the others' on the days they
share; shoulder days only count when no event covers the day; a background event (a window of
``BACKGROUND_DAYS`` or more: a launch period, a season) adds its lift to the shorter event's.

Which days each event covers and which event a shared day counts for:
``training._forecast_event_days``.
"""

from __future__ import annotations

import copy
import warnings
from typing import Self

import numpy as np
import pandas as pd

from features._calendar import is_aggregate, normalize_calendar, series_channel

from ._forecast_base import Panel, closed_phases, steps_per_day
from ._forecast_event_days import (
    _is_background,
    attribute_many,
    pooled_names,
    rows_per_series,
    series_occurrences,
    set_background_aside,
)
from ._forecast_event_pool import LiftHierarchy, still_running
from ._forecast_event_pool import _Estimate as _Estimate  # pickled models name it here
from ._forecast_live import first_live
from ._forecast_tail import day_autocorrelation, one_sided_tail, tail_step

__all__ = ["EventEffects"]


def _nanmedian(a: np.ndarray) -> np.ndarray:
    """Row medians ignoring NaN (NaN for an all-NaN row, without a warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(a, axis=1)


def _no_level_of_its_own(z: np.ndarray, skip: np.ndarray, inside: np.ndarray) -> bool:
    """Whether a series' first live period (finite, not 0) lies inside an event's window and
    none of its finite periods from it on is free of events (``skip``: in-window and shoulder
    days, unmarked drops): every value it has since it started is the event's, or the days
    right after it. The zeros before its first live period (``first_live``) are no level of
    its own (a page exported from a few days before its launch, when no calendar event of its
    own channel marks the launch and under ``LEADING_ZEROS_DAYS`` of them are not cut off:
    read as its level, its launch days had been cleaned to about 0 and its forecast ran 7x to
    60x high)."""
    first = first_live(z)
    return first is not None and bool(inside[first]) and not (
        np.isfinite(z[first:]) & ~skip[first:]).any()


class EventEffects(LiftHierarchy):
    """Learn per-event lifts from history; clean history; add lifts to future baselines.

    Args:
        pre_days: days before each event whose lift is learned (pull-forward dips, build-up).
        post_days: days after each event whose lift is learned (hangover, decay).
        max_offset: event days from this offset on share one key (long promotions).
        season_lags: seasons on each side used for the local baseline (doubled, up to twice,
            where fewer than two non-event values remain).
        halflife_days: age at which an occurrence counts half as much.
        prior_sd: prior spread of lifts on the modelling scale (1.0 ~ a factor e).
        group_sd: spread of a group's lift around its parent group (kind, name, series).
    """

    def __init__(
        self,
        pre_days: int = 2,
        post_days: int = 3,
        max_offset: int = 6,
        season_lags: int = 4,
        halflife_days: float = 730.0,
        prior_sd: float = 1.0,
        group_sd: float = 0.5,
    ) -> None:
        self.pre_days = pre_days
        self.post_days = post_days
        self.max_offset = max_offset
        self.season_lags = season_lags
        self.halflife_days = halflife_days
        self.prior_sd = prior_sd
        self.group_sd = group_sd

    # ---------------------------------------------------------------- fitting
    def _season(self, freq: str) -> int:
        return 7 * steps_per_day(freq)

    def _baseline(self, z: np.ndarray, affected: np.ndarray, m: int,
                  inside: np.ndarray | None = None,
                  shut: np.ndarray | None = None) -> np.ndarray:
        """Local no-event value of each period on the modelling scale (NaN only with no data).

        First choice: the median of the same phase ``season_lags`` seasons either side,
        skipping event days (``affected``: in-window and shoulder days). Where fewer than two
        such values exist the window doubles (twice, at most), so the baseline stays as local as
        the calendar allows: a wide window would mix in the next season's level (a December
        uplift into a November sale week). Where a phase has no event-free value nearby (a
        Mon-Fri promotion every other week leaves no Monday free: each one is a first day or
        three days after the last promotion), shoulder days count as well (only ``inside``, the
        in-window days, are skipped), then a single value. Failing that, the local level of the
        free days of the same time of day one season either side plus the phase's usual offset
        from that level, measured at the nearest times the phase is free.

        ``shut``: periods of a closed phase at 0 (a shop's Sundays, ``closed_phases``). A phase
        never free is not read against them: a chain's total, inside some store's promotion on
        every Monday to Saturday, had its only free days on its closed Sundays, a baseline of
        0 and every open day's traffic learned as the promotions' lift (a P50 of 816,000
        against 192,000 actual in Black Week, a P90 of 2e12). With no open free day such a
        period has no baseline (NaN): it is cleaned of the lifts pooled over the other series.
        A period of ``shut`` is its own baseline (a closed day is 0 with or without an event):
        a shop closed on Sundays with a promotion every Friday to Sunday had no Sunday free of
        the windows, and its Sundays were read against its open Mondays to Thursdays (cleaned
        to 302 a day, the open days' level, and forecast at 300 with the shop closed).
        """
        inside = affected if inside is None else inside
        out = np.full(len(z), np.nan)
        if shut is not None:
            out[shut] = z[shut]
        for skip, need in ((affected, 2), (inside, 2), (affected, 1), (inside, 1)):
            lags = max(1, int(self.season_lags))
            for _ in range(3):
                stack = self._same_phase(z, skip, m, lags)
                enough = np.isfinite(stack).sum(axis=1) >= need
                fill = np.isnan(out) & enough
                if fill.any():
                    out[fill] = _nanmedian(stack[fill])
                lags *= 2
            if not np.isnan(out).any():
                return out
        missing = np.isnan(out)
        out[missing] = self._level_plus_offset(z, affected, m, missing, inside, shut)
        return out

    @staticmethod
    def _same_phase(z: np.ndarray, skip: np.ndarray, step: int, lags: int) -> np.ndarray:
        """Values ``step``, 2 ``step``, ... ``lags`` ``step`` either side (NaN where skipped)."""
        n = len(z)
        cols = []
        for j in range(1, lags + 1):
            for sgn in (-1, 1):
                idx = np.arange(n) + sgn * j * step
                ok = (idx >= 0) & (idx < n)
                v = np.full(n, np.nan)
                v[ok] = np.where(skip[idx[ok]], np.nan, z[idx[ok]])
                cols.append(v)
        return np.column_stack(cols)

    def _level_plus_offset(self, z: np.ndarray, affected: np.ndarray, m: int,
                           rows: np.ndarray, inside: np.ndarray | None = None,
                           shut: np.ndarray | None = None) -> np.ndarray:
        """Last-resort baseline for ``rows``: local level plus the phase's offset from it.

        A phase that is never free (a newsletter every Tuesday: every Tuesday is in a window,
        and with the shoulders every other weekday but Saturday) has no offset to measure; its
        level is then read from every day outside the windows (``inside``; shoulder days
        count), not from the free days alone: those were only Saturdays, so every Tuesday's
        lift had been measured against a Saturday (+34% learned for a +10% newsletter, and a
        Tuesday without one forecast at a Saturday's level)."""
        inside = affected if inside is None else inside
        p = max(1, m // 7)  # periods per day
        level = _nanmedian(self._same_phase(z, affected, p, m // p))
        dev = np.where(affected, np.nan, z - level)
        near = 2 * max(1, int(self.season_lags))
        offset = np.zeros(len(z))
        never_free = np.zeros(len(z), bool)
        for phase in range(m):
            pos = np.arange(phase, len(z), m)
            src = pos[np.isfinite(dev[pos])]
            want = pos[rows[pos]]
            if len(want) == 0:
                continue
            if len(src) == 0:
                never_free[want] = True
                continue
            dist = np.abs(want[:, None] - src[None, :])
            k = min(near, len(src))
            nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
            offset[want] = np.median(dev[src][nearest], axis=1)
        out = level + offset
        if never_free.any():
            skip = inside if shut is None else inside | shut
            wide = _nanmedian(self._same_phase(z, skip, p, m // p))
            out = np.where(never_free, wide, out)
        return out[rows]

    def event_days(self, panel: Panel, calendar: pd.DataFrame | None
                   ) -> dict[str, np.ndarray]:
        """Per series, the mask of its periods inside an event's window (shoulder days not:
        a total that takes two newsletters a week has few days outside every window and
        shoulder)."""
        cal = self.prepare(calendar)
        days_of = {sid: grid.ds.normalize() for sid, grid in panel.series.items()}
        out = {sid: np.zeros(len(days), bool) for sid, days in days_of.items()}
        sids = [sid for sid, days in days_of.items() if len(days)]
        if not sids:
            return out
        first = np.array([days_of[s][0] for s in sids], dtype="datetime64[ns]")
        last = np.array([days_of[s][-1] for s in sids], dtype="datetime64[ns]")
        every = series_occurrences(cal, sids, first, last, self.pre_days, self.post_days,
                                   self.max_offset)
        inside = every[every["in_window"].astype(bool)]
        for k, g in inside.groupby("sid", sort=False):
            sid = sids[int(k)]
            out[sid] = np.asarray(days_of[sid].isin(g["date"]))
        return out

    def fit(self, panel: Panel, calendar: pd.DataFrame | None,
            unmarked: dict[str, np.ndarray] | None = None,
            offset: dict[str, np.ndarray] | None = None) -> Self:
        """Measure lifts of past occurrences in every series of ``panel``.

        ``offset``: per series, values on the modelling scale taken off the series before
        anything is measured (the known-in-advance columns' effect, ``ColumnResponse``): lifts
        and the cleaned history (``clean_``) are then net of it. A sale week with doubled paid
        spend had learned the spend's effect as part of its lift, and the forecast, given the
        doubled spend again, counted it twice.

        ``unmarked``: per series, periods that are no event-free values although no event
        covers them (an unmarked closure the forecaster found, as a mask over the series'
        grid): left out of every baseline and of the noise, as event days are. A store
        closed three weeks without a calendar entry had those zeros as three of the
        baseline's five Wednesdays beside a public holiday (the others were school-holiday
        days): a baseline of 0, a shoulder lift of +9.4 on the log scale, and a forecast of
        56 million against sales of 11,000 around the holiday a year later.
        """
        cal = self.prepare(calendar)
        self.freq_ = panel.freq
        self.channel_share_, self.channel_series_ = channel_shares(panel, cal)
        self.kinds_add_ = True  # learned net of the other kinds on shared days: they add
        self.clean_: dict[str, np.ndarray] = {}
        # series -> size the end-of-history event days' baseline moved (``_follow_level``);
        # empty when no series has such days (the attribute had then been missing)
        self.tail_moved_: dict[str, float] = {}
        m = self._season(panel.freq)
        obs: list[pd.DataFrame] = []
        hour_obs: list[pd.DataFrame] = []
        unsized: dict[str, np.ndarray] = {}
        # every series' occurrences and their attribution in one pass over the calendar (per
        # series, they took 43% of a 1,000-store fit)
        days_of = {sid: grid.ds.normalize() for sid, grid in panel.series.items()}
        sids = [sid for sid, days in days_of.items() if len(days)]
        first = np.array([days_of[s][0] for s in sids], dtype="datetime64[ns]")
        last = np.array([days_of[s][-1] for s in sids], dtype="datetime64[ns]")
        every = series_occurrences(cal, sids, first, last, self.pre_days, self.post_days,
                                   self.max_offset)
        attributed = attribute_many(every, cal, rows_per_series(cal, sids))
        plain = [c for c in every.columns if c not in ("sid", "cell")]
        own = {sids[int(k)]: g[plain] for k, g in every.groupby("sid", sort=False)}
        own_attr = {sids[int(k)]: g.drop(columns=["sid", "cell"])
                    for k, g in attributed.groupby("sid", sort=False)}
        shift = offset or {}
        # event days at the end of the history, cleaned to the level of the seasons before
        # them, per series (with its day-to-day noise): ``_follow_level`` may move them
        tails: dict[str, tuple[np.ndarray, float, float]] = {}
        for sid, grid in panel.series.items():
            z = panel.fwd(grid.y) - shift.get(sid, 0.0)
            days = days_of[sid]
            occ = own.get(sid, every.iloc[:0][plain])
            affected = np.asarray(days.isin(occ["date"]))
            inside = np.asarray(days.isin(occ["date"][occ["in_window"].astype(bool)]))
            off = (unmarked or {}).get(sid)
            off = np.zeros(len(z), bool) if off is None else np.asarray(off, bool)
            shut = closed_phases(grid.y, steps_per_day(panel.freq)) & (
                np.nan_to_num(grid.y, nan=0.0) == 0)
            base = self._baseline(z, affected | off, m, inside | off, shut)
            if _no_level_of_its_own(z, affected | off, inside):
                # it started inside an event (a launch) and has not had one event-free
                # period since: the fallback read its in-window days against its own shoulder
                # days, still raised by the same event (a page 15 days after its launch was
                # cleaned to 1.4x the level it settled at and forecast 1.39x too high). Its
                # event days are cleaned of the lifts learned on the other series instead,
                # as the days deep inside a long event are, and it measures no lift of its own
                base = np.full(len(z), np.nan)
            resid = z - base
            clean = np.where(affected & np.isfinite(base), base, z)
            self.clean_[sid] = clean
            if (affected & ~np.isfinite(base)).any():
                unsized[sid] = affected & ~np.isfinite(base)
            # a series of zeros only (a store that opens after its history) was no business
            # on its event days: its zeros say nothing about a lift. Counted, a new store's
            # zeros on every past sale gave it an offset of -0.47 from the sale's lift (its
            # own sales forecast at +0%, with a spread of 0.01) and pulled every store's
            # pooled lift towards 0
            if occ.empty or not np.any(np.nan_to_num(grid.y) != 0):
                continue
            quiet = resid[~affected & ~off & np.isfinite(resid)]
            if len(quiet) >= 10:
                mad = np.median(np.abs(quiet - np.median(quiet)))
                noise = float((1.4826 * mad) ** 2)
            else:
                noise = float(np.nanvar(resid)) if np.isfinite(resid).any() else 1.0
            rows = one_sided_tail(affected | off, affected & np.isfinite(base), m,
                                  max(1, int(self.season_lags)))
            if rows.any():
                tails[sid] = (rows, noise, day_autocorrelation(
                    resid, ~affected & ~off & np.isfinite(resid), np.asarray(days)))
            noise = max(noise / steps_per_day(panel.freq), 1e-4)
            day_resid = pd.Series(resid).groupby(np.asarray(days)).mean()
            occ = own_attr.get(sid, attributed.iloc[:0].drop(columns=["sid", "cell"]))
            r = day_resid.reindex(occ["date"]).to_numpy()
            if steps_per_day(panel.freq) > 1:
                hour_obs.append(self._hour_deviations(grid.ds, days, resid, day_resid,
                                                      affected, occ))
            part = occ.assign(series_id=sid, r=r, noise=noise,
                              age=(days[-1] - occ["date"]).dt.days.to_numpy())
            keep = np.isfinite(part["r"]).to_numpy().copy()
            # a day the series is shut anyway (0 in a phase that is closed: a Sunday inside a
            # store's refurbishment) says nothing about the event's lift; counted, it mixed 0
            # with the closure's -9 in one key's spread. A sparse series' 0 days (orders of
            # 0-2 a day) are observations: dropping them had biased its lifts upwards
            # (``shut``: the periods at 0 of a closed phase, as the baseline skipped them)
            shut_day = pd.Series(shut).groupby(np.asarray(days)).all()
            keep &= ~shut_day.reindex(occ["date"]).fillna(value=False).to_numpy(dtype=bool)
            # nor does a day inside an unmarked drop (a tracking outage of 0 visits over two
            # newsletter sends): counted, its lift of -10 made the newsletter's spread 0.67
            # and every planned send's band a third to three times its P50
            if off.any():
                outage = pd.Series(off).groupby(np.asarray(days)).any()
                keep &= ~outage.reindex(occ["date"]).fillna(value=False).to_numpy(dtype=bool)
            obs.append(part[keep])
        if obs:
            every_obs = pd.concat(obs, ignore_index=True)
            self._pool_with_backgrounds(every_obs)
            moved = self._follow_level(panel, cal, tails, shift, every_obs)
            if moved:  # their lifts were measured against the old level: pooled again
                at = pd.Series(
                    [size for days, size in moved.values() for _ in days],
                    index=pd.MultiIndex.from_tuples(
                        [(sid, d) for sid, (days, _) in moved.items() for d in days]),
                    dtype=float)
                take = at.reindex(pd.MultiIndex.from_arrays(
                    [every_obs["series_id"].astype(str), pd.to_datetime(every_obs["date"])]
                )).fillna(0.0).to_numpy()
                self._pool_with_backgrounds(every_obs.assign(
                    r=every_obs["r"].to_numpy(dtype=float) - take))
        else:
            self._reset()
        if hour_obs:
            self._pool_hours(pd.concat(hour_obs, ignore_index=True),
                             steps_per_day(panel.freq))
        # days deep inside a long event (an always-on campaign running for months) have no
        # event-free value near enough for a baseline: they are cleaned of the lift learned
        # from the event's edges instead (with its hours' shape on sub-daily series, so after
        # ``_pool_hours``), or the history would keep the campaign's level and a forecast with
        # the campaign in its calendar would add its lift a second time
        # the whole grid: hours need neighbours
        lifts = self.lift_many({sid: panel.series[sid].ds for sid in unsized}, cal)
        for sid, rows in unsized.items():
            grid = panel.series[sid]
            z = panel.fwd(grid.y) - shift.get(sid, 0.0)
            self.clean_[sid][rows] = z[rows] - lifts[sid][0][rows]
        return self

    def _follow_level(self, panel: Panel, cal: pd.DataFrame,
                      tails: dict[str, tuple[np.ndarray, float, float]],
                      shift: dict[str, np.ndarray], obs: pd.DataFrame | None = None
                      ) -> dict[str, tuple[pd.DatetimeIndex, float]]:
        """Move the baseline of each series' end-of-history event days (``tails``: their
        mask, the series' day-to-day noise and its lag-1 autocorrelation) by how far their
        values net of the learned lifts ran off it, when that stands out (``tail_step``: from
        a level change placed inside them, or all of them; the size shrunk by its spread
        where nothing changed); ``clean_`` is changed in place. ``obs``: the lift
        observations pooled (``_pool``), to read an occurrence still running at the end
        against its past occurrences. Returns per series moved its days and the size."""
        if not tails:
            return {}
        spd = steps_per_day(panel.freq)
        lifts = self.lift_many({sid: panel.series[sid].ds for sid in tails}, cal)
        # an occurrence still running at the end (a school holiday in its fifth week) is read
        # against the lifts of its name's past occurrences, learned without its own days:
        # pooled with them, and moved by how they ran (``running_``), the lift took up a
        # level change inside it (a step x0.7 twenty days before the end: the holiday's lift
        # in that series learned +0.017 and moved by -0.159, where its two past occurrences
        # had run +0.17 and +0.28 above their baseline; the 42-day forecast ran +30% high, the
        # baseline did not move and the back-test did not run off). Such an occurrence's own
        # lift may differ from its past ones' by their spread, which its days do not average
        # away: that spread stands beside the standard error (``tail_offset``'s ``common``)
        past_lifts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        common: dict[str, float] = {}
        live = (np.zeros(0, bool) if obs is None else
                still_running(obs) & obs["series_id"].astype(str).isin(tails).to_numpy())
        if obs is not None and live.any():
            past = copy.copy(self)
            past._pool_with_backgrounds(obs[~live])
            own = obs[live]
            past_lifts = past.lift_many({sid: panel.series[sid].ds
                                         for sid in own["series_id"].astype(str).unique()}, cal)
            spread = pd.Series(past.spread_, dtype=float)
            pair = pd.MultiIndex.from_arrays([own["series_id"].astype(str),
                                              own["key"].astype(str)])
            common = pd.Series(spread.reindex(pair).fillna(0.0).to_numpy()).groupby(
                own["series_id"].astype(str).to_numpy()).mean().to_dict()
        moved = {}
        for sid, (rows, noise, rho) in tails.items():
            grid = panel.series[sid]
            z = panel.fwd(grid.y) - shift.get(sid, 0.0)
            lift, var_lo, var_hi = past_lifts.get(sid, lifts[sid])
            # a day the series is shut anyway (a store's closed Sunday at 0, cleaned to 0)
            # stood at minus the lift: no evidence of the level, and not moved
            shut = closed_phases(grid.y, spd) & (np.nan_to_num(grid.y, nan=0.0) == 0)
            rows = rows & ~shut
            resid = z[rows] - lift[rows] - self.clean_[sid][rows]
            var = np.maximum(np.maximum(var_lo[rows], var_hi[rows]), noise)
            first, size = tail_step(resid, var, spd, common.get(sid, 0.0), rho)
            if size:
                rows = rows & (np.arange(len(rows)) >= np.flatnonzero(rows)[first])
                self.clean_[sid][rows] += size
                moved[sid] = (pd.DatetimeIndex(grid.ds[rows].normalize().unique()), size)
        self.tail_moved_ = {sid: size for sid, (_, size) in moved.items()}
        return moved

    @staticmethod
    def prepare(calendar: pd.DataFrame | None) -> pd.DataFrame:
        """``calendar`` normalized with years taken out of its names (``pooled_names``), as
        ``lift`` reads it; a calendar prepared once serves every series' ``lift`` call (per
        call, a 1,000-store promotion calendar was re-read for each store)."""
        if calendar is not None and calendar.attrs.get("prepared_for_lift"):
            return calendar
        cal = pooled_names(normalize_calendar(calendar))
        cal.attrs["prepared_for_lift"] = True
        return cal

    def lift(
        self,
        series_id: str,
        ds: pd.DatetimeIndex,
        calendar: pd.DataFrame | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lift and predictive variance below and above it for each period of ``ds`` (zeros
        off events; the two variances differ only beyond the intensities seen, see
        ``effect``)."""
        return self.lift_many({series_id: ds}, calendar)[series_id]

    def _kinds_add(self) -> bool:
        """Whether short events of different kinds on one day add their lifts (models fitted
        since 2026-12-05, which learn each lift net of the other kinds' on shared days) or the
        one with the largest |lift| stands for the day (older models, whose lifts were learned
        gross of each other: adding them would count a shared day's effect twice, +31% to +49%
        on a newsletter that fell on a payday promotion in an independent upgrade check).
        ``kinds_add_`` is set by ``fit``; a model pickled before it existed adds when it has
        ``running_`` (fitted after the rule changed) and otherwise keeps the larger lift."""
        return bool(getattr(self, "kinds_add_", hasattr(self, "running_")))

    def lift_many(
        self,
        periods: dict[str, pd.DatetimeIndex],
        calendar: pd.DataFrame | None,
    ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``lift`` for several series at once (series id -> its sorted periods): one pass over
        the calendar for all of them (a 1,000-store forecast spent 70% of its time in one
        ``lift`` call per store)."""
        cal = self.prepare(calendar)
        out = {sid: (np.zeros(len(ds)), np.zeros(len(ds)), np.zeros(len(ds)))
               for sid, ds in periods.items()}
        asked = [sid for sid, ds in periods.items() if len(ds)]
        if cal.empty or not asked:
            return out
        occ, origin, width = self._occurrences(periods, cal, asked)
        if occ.empty:
            return out
        lifts = self._day_lifts(occ, [periods[sid] for sid in asked], origin, width,
                                [_step(periods[sid]) for sid in asked])
        out.update(zip(asked, lifts, strict=True))
        return out

    def lift_many_without(
        self,
        periods: dict[str, pd.DatetimeIndex],
        calendar: pd.DataFrame | None,
        jobs: list[tuple[list[int], list[str]]],
    ) -> list[dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
        """For each ``(rows, series)`` of ``jobs``: ``lift_many`` of those series (of
        ``periods``) with the calendar's ``rows`` (positions in ``prepare(calendar)``) left
        out, from one expansion of the calendar.

        A period's lift reads only the occurrences (window and shoulder days) on its day:
        the largest of a kind, different kinds added, a background event under a shorter one,
        the day's strongest event's hour shape. So only the days the left-out rows reach
        change; those are combined again from the occurrences that remain, the other days keep
        the whole calendar's lifts. Each series' days are the same as those ``lift_many``
        gives on the calendar without the rows (the same occurrences in the same order), at
        a fraction of the cost: re-reading a 4,000-row store calendar per left-out event had
        cost 0.14 s each, 80 times on 60 stores and their total.
        """
        cal = self.prepare(calendar)
        asked = list(dict.fromkeys(sid for _, sids in jobs for sid in sids
                                   if len(periods[sid])))
        zeros = {sid: (np.zeros(len(ds)), np.zeros(len(ds)), np.zeros(len(ds)))
                 for sid, ds in periods.items()}
        if cal.empty or not asked:
            return [{sid: zeros[sid] for sid in sids} for _, sids in jobs]
        occ, origin, width = self._occurrences(periods, cal, asked, rows=True)
        if occ.empty:
            return [{sid: zeros[sid] for sid in sids} for _, sids in jobs]
        steps = [_step(periods[sid]) for sid in asked]
        whole = dict(zip(asked, self._day_lifts(occ, [periods[sid] for sid in asked], origin,
                                                width, steps), strict=True))
        cell = occ["cell"].to_numpy(dtype=np.int64)
        day_no = cell % width
        place, place_bg = _places(occ)
        by_event = occ.groupby(["sid", "ev"], sort=False).indices
        order = np.argsort(cell, kind="stable")  # by cell, each cell's rows in their order
        sorted_cells = cell[order]
        period_day = {sid: (periods[sid].normalize().to_numpy(dtype="datetime64[ns]") - origin)
                      // np.timedelta64(1, "D") for sid in asked}
        none = np.zeros(0, dtype=np.int64)
        # each (job, series) whose days a left-out row reaches is a series of its own here,
        # with those days only and the occurrences left on them that can stand for the day:
        # of each group of rows one row stands for it (``_places``), so with at most n rows of
        # a day left out, the first n + 1 of each group give the day's lift (a 1,000-store
        # total has ~1,000 promotion rows a day, and every store's promotion a job)
        keeps: list[np.ndarray] = []
        ds_list: list[pd.DatetimeIndex] = []
        step_list: list[pd.Timedelta | None] = []
        where: list[tuple[int, str, np.ndarray]] = []
        position = {sid: j for j, sid in enumerate(asked)}
        for k, (rows, sids) in enumerate(jobs):
            for sid in sids:
                j = position.get(sid, -1)
                gone = np.concatenate([by_event.get((j, r), none) for r in rows] or [none])
                if not len(gone):
                    continue
                hit, n_gone = np.unique(cell[gone], return_counts=True)
                first = np.searchsorted(sorted_cells, hit, side="left")
                last = np.searchsorted(sorted_cells, hit, side="right")
                mine = np.concatenate([order[f:t] for f, t in zip(first, last, strict=True)])
                most = int(n_gone.max())
                keeps.append(mine[~np.isin(mine, gone)
                                  & ((place[mine] <= most) | (place_bg[mine] <= most))])
                on = np.isin(period_day[sid], hit - j * width)
                ds_list.append(periods[sid][on])
                step_list.append(steps[j])
                where.append((k, sid, on))
        again = []
        if keeps:
            keep = np.concatenate(keeps)
            pseudo = np.repeat(np.arange(len(keeps)), [len(x) for x in keeps])
            again = self._day_lifts(occ.iloc[keep].assign(sid=pseudo,
                                                          cell=pseudo * width + day_no[keep]),
                                    ds_list, origin, width, step_list)
        out = [{sid: whole[sid] if sid in whole else zeros[sid] for sid in sids}
               for _, sids in jobs]
        for (k, sid, on), vals in zip(where, again, strict=True):
            lift, var_lo, var_hi = (np.array(v, copy=True) for v in out[k][sid])
            lift[on], var_lo[on], var_hi[on] = vals
            out[k][sid] = (lift, var_lo, var_hi)
        return out

    def _occurrences(self, periods: dict[str, pd.DatetimeIndex], cal: pd.DataFrame,
                     asked: list[str], rows: bool = False,
                     ) -> tuple[pd.DataFrame, np.datetime64, int]:
        """The occurrences (``series_occurrences``) of the prepared calendar ``cal``'s events
        on the days of ``asked``'s periods, each with its learned lift and variances (and the
        move of an occurrence running at the end of the history), and the day grid: the
        first day of all and the number of days a series' cells span. ``rows``: with ``ev``,
        the position in ``cal`` of each row's event."""
        days = {sid: periods[sid].normalize() for sid in asked}
        first = np.array([days[sid][0] for sid in asked], dtype="datetime64[ns]")
        last = np.array([days[sid][-1] for sid in asked], dtype="datetime64[ns]")
        origin = first.min()
        width = int((last.max() - origin) // np.timedelta64(1, "D")) + 1
        # only events whose window or shoulders reach the periods asked (a 42-day forecast
        # had expanded every past promotion of the store first)
        near = ((cal["end"] >= first.min() - pd.Timedelta(days=self.post_days))
                & (cal["start"] <= last.max() + pd.Timedelta(days=self.pre_days))).to_numpy()
        occ = series_occurrences(cal[near], asked, first, last, self.pre_days, self.post_days,
                                 self.max_offset, keep_ev=True)
        if occ.empty:
            return occ, origin, width
        occ["ev"] = np.flatnonzero(near)[occ["ev"].to_numpy(dtype=np.int64)]
        # one ``effect`` per distinct (series, name, kind, key, intensity): a promotion
        # repeated every fortnight shares it
        what = ["sid", "name", "kind", "key", "intensity"]
        group = occ.groupby(what, sort=False, dropna=False).ngroup().to_numpy()
        distinct = occ[what].drop_duplicates()  # the groups' first rows, in ngroup's order
        vals = np.array([self.effect(asked[r.sid], r.name, r.kind, r.key, r.intensity)
                         for r in distinct.itertuples(index=False)], dtype=float).reshape(-1, 3)
        at = vals[group]
        occ = occ.assign(lift=at[:, 0], var_lo=at[:, 1], var_hi=at[:, 2])
        occ = self._dilute(occ, cal, asked)
        if not rows:
            occ = occ.drop(columns="ev")
        running = getattr(self, "running_", {})  # absent in older models
        if running:
            # an occurrence already running at the end of the history: its remaining days
            # move by how far its days so far ran from the learned lift (``_fit_running``);
            # only rows of such an occurrence's start are looked up (not every planned day)
            may = (pd.to_datetime(occ["start"]).isin({k[2] for k in running}).to_numpy()
                   & occ["in_window"].to_numpy(dtype=bool))
            sub = occ[may]
            move = np.zeros(len(occ))
            move[may] = [running.get((asked[int(k)], str(n), pd.Timestamp(t)), (0.0, 0))[0]
                         for k, n, t in zip(sub["sid"], sub["name"], sub["start"], strict=True)]
            occ["lift"] = occ["lift"].to_numpy(dtype=float) + move
        return occ, origin, width

    def _dilute(self, occ: pd.DataFrame, cal: pd.DataFrame, asked: list[str]) -> pd.DataFrame:
        """An aggregate's (``total``'s) lift of a channel's event it has no estimate of its own
        for, diluted by the share of the aggregate the event's channels carry.

        A channel's event applies to the aggregates too (``features._calendar.applies_to``).
        An aggregate that measured the event on its own days keeps that lift (the name's
        estimate in the series: a regional holiday that shuts a third of a chain's stores is a
        partial closure of the chain). One that never measured it (every day of a chain's
        total lies inside some store's promotion, so its regional holidays had no baseline) had
        read the lift pooled over the channels: a regional holiday entered once per store was
        forecast on the total at a store's -100% (113 visits against 90,832). The event's
        copies (one name, kind, first and last day, entered once per channel) move the
        aggregate by each
        channel's lift (its series of the aggregate's metric, ``channel_series_``: the
        ``orders:store_7`` for ``orders:total``) times its share of the aggregate
        (``channel_share_``), on the original
        scale: ``log(1 + sum(share * (exp(lift) - 1)))``; the variance is the channels' scaled
        by the slope squared, at least the aggregate's own spread on the day (``dispersion``).
        The aggregate's offset from the kind (``series_kind_``) is not used here: learned
        from the kind's events for every channel (a national holiday), it says nothing of a
        regional one."""
        shares = getattr(self, "channel_share_", {})  # absent in older models
        sids = occ["sid"].to_numpy(dtype=np.int64)
        agg = np.array([is_aggregate(asked[j]) and asked[j] in shares for j in sids], bool)
        chan = cal["channel"].to_numpy(dtype=object)[occ["ev"].to_numpy(dtype=np.int64)]
        agg &= pd.notna(chan)
        if not agg.any():
            return occ
        own = self.estimates_[("series_id", "name", "key")]
        sub = occ[agg]
        has_own = np.array([(asked[j], n, k) in own for j, n, k in
                            zip(sub["sid"], sub["name"], sub["key"], strict=True)], bool)
        rows = np.flatnonzero(agg)[~has_own]
        if not len(rows):
            return occ
        # the event's copies: one name, kind and window entered once per channel
        copy_of = cal.groupby([cal["name"].astype(str), cal["kind"].astype(str), cal["start"],
                               cal["end"]], sort=False, dropna=False).ngroup().to_numpy()
        needed = np.isin(copy_of, copy_of[occ["ev"].to_numpy(dtype=np.int64)[rows]])
        chans = pd.Series(cal["channel"].to_numpy(dtype=object)[needed]).groupby(
            copy_of[needed]).agg(lambda c: sorted({str(x) for x in c.dropna()}))
        chans_of = {int(g): tuple(c) for g, c in chans.items()}
        known: dict[tuple[str, str, str, str, float], tuple[float, float, float]] = {}
        # occurrences of one aggregate, channels, name, kind, day and intensity move it alike
        # (a store's fortnightly promotion): each is computed once (per row, 150 stores' and a
        # total's fit had spent 14 s here)
        moved: dict[tuple, tuple[float, float, float]] = {}
        lift = occ["lift"].to_numpy(dtype=float).copy()
        var_lo = occ["var_lo"].to_numpy(dtype=float).copy()
        var_hi = occ["var_hi"].to_numpy(dtype=float).copy()
        disp = getattr(self, "series_dispersion_", {})
        part_of = getattr(self, "channel_series_", {})
        sub = occ.iloc[rows]
        for at, j, e, name, kind, key, i in zip(
                rows.tolist(), sub["sid"].tolist(), sub["ev"].tolist(), sub["name"].tolist(),
                sub["kind"].tolist(), sub["key"].tolist(), sub["intensity"].tolist(),
                strict=True):
            agg_id = asked[int(j)]
            cs = chans_of[int(copy_of[int(e)])]
            memo = (agg_id, cs, str(name), str(kind), str(key), float(i))
            if memo not in moved:
                move, v_lo, v_hi = 0.0, 0.0, 0.0
                parts = []
                for c in cs:
                    k = (part_of.get(agg_id, {}).get(c, c), str(name), str(kind), str(key),
                         float(i))
                    if k not in known:
                        known[k] = self.effect(*k)
                    s = shares[agg_id].get(c, 0.0)
                    move += s * float(np.expm1(known[k][0]))
                    parts.append((s, *known[k]))
                new = float(np.log1p(max(move, -1.0 + 1e-9)))
                for s, lc, lo, hi in parts:
                    slope = s * float(np.exp(lc - new))
                    v_lo, v_hi = v_lo + slope**2 * lo, v_hi + slope**2 * hi
                floor = disp.get((agg_id, str(key)), self.dispersion_.get(str(key), 0.0))
                moved[memo] = (new, max(v_lo, floor), max(v_hi, floor))
            lift[at], var_lo[at], var_hi[at] = moved[memo]
        return occ.assign(lift=lift, var_lo=var_lo, var_hi=var_hi)

    def _day_lifts(self, occ: pd.DataFrame, periods: list[pd.DatetimeIndex],
                   origin: np.datetime64, width: int, steps: list[pd.Timedelta | None],
                   ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Lift and variances of each period of ``periods[j]`` (series ``j``: the rows of
        ``occ`` with cells ``j * width + day``) from the occurrences on its day (``steps[j]``:
        the series' period, None for one period, which takes no hour shape)."""
        occ = occ.assign(rank=_rank(occ))
        # a background event (a long window) adds its lift under a shorter event's days
        occ, under = set_background_aside(occ, by="cell")
        best = occ.sort_values(["cell", "rank"], kind="stable").groupby("cell").tail(1)
        best = best.set_index("cell")
        # short events of different kinds whose windows share a day add their lifts (the
        # largest of each kind: a final that is also a playoff game is one event, Christmas on
        # a newsletter Thursday two), as the fit learned each net of the other kinds';
        # shoulders only count on days no window covers, the largest one
        inw = occ[occ["in_window"].to_numpy(dtype=bool)]
        if self._kinds_add() and inw["cell"].duplicated().any():
            one = inw.sort_values(["cell", "rank"], kind="stable").drop_duplicates(
                ["cell", "kind"], keep="last")
            summed = one.groupby("cell")[["lift", "var_lo", "var_hi"]].sum()
            best.loc[summed.index, ["lift", "var_lo", "var_hi"]] = summed.to_numpy()
        # every asked period's cell, all series at once
        n_of = np.array([len(ds) for ds in periods])
        every = pd.DatetimeIndex(np.concatenate([ds.to_numpy(dtype="datetime64[ns]")
                                                 for ds in periods]))
        day = every.normalize()
        want = (np.repeat(np.arange(len(periods)), n_of) * width
                + (day.to_numpy(dtype="datetime64[ns]") - origin) // np.timedelta64(1, "D"))
        pos = best.index.get_indexer(want)
        hit = pos >= 0
        cols = {}
        for col in ("lift", "var_lo", "var_hi"):
            v = np.zeros(len(want))
            v[hit] = best[col].to_numpy(dtype=float)[pos[hit]]
            if len(under):
                upos = under.index.get_indexer(want)
                v[upos >= 0] += under[col].to_numpy(dtype=float)[upos[upos >= 0]]
            cols[col] = v
        profiles = getattr(self, "hour_profile_", {})  # absent in older models
        if profiles:
            slot = np.full(len(want), np.iinfo(np.int64).max)
            each = np.repeat(np.array([np.timedelta64(0 if st is None else st.value, "ns")
                                       for st in steps]), n_of)
            has = np.repeat([st is not None for st in steps], n_of)
            into = (every - day).to_numpy(dtype="timedelta64[ns]")
            slot[has] = np.round(into[has] / each[has]).astype(int)
            kinds = np.where(hit, best["kind"].to_numpy(dtype=object)[np.maximum(pos, 0)], None)
            keys = np.where(hit, best["key"].to_numpy(dtype=object)[np.maximum(pos, 0)], None)
            for (kind, key), (mean, pvar) in profiles.items():
                sel = (kinds == kind) & (keys == key) & (slot < len(mean))
                cols["lift"][sel] += mean[slot[sel]]
                cols["var_lo"][sel] += pvar[slot[sel]]
                cols["var_hi"][sel] += pvar[slot[sel]]
        split = np.cumsum(n_of)[:-1]
        parts = {c: np.split(v, split) for c, v in cols.items()}
        return [(parts["lift"][j], parts["var_lo"][j], parts["var_hi"][j])
                for j in range(len(periods))]


SHARE_DAYS = 56
"""Days at the end of each channel's history whose mean gives its share of an aggregate."""


def channel_shares(panel: Panel, cal: pd.DataFrame
                   ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, str]]]:
    """Per aggregate series (``total``, ``orders:total``), each channel's share of it: the
    channel's mean over its last ``SHARE_DAYS`` days over the sum of those means, from the
    channels' series of the aggregate's metric (``orders:store_7`` for ``orders:total``), else
    pooled over the metrics that have channel series (a ``revenue:total`` without per-store
    revenue takes the stores' shares of visits and orders), else, with no channel series at
    all, equal shares of the channels the calendar names. Also per aggregate, each channel's
    series whose lift moves it (of its metric where there is one, else of any metric)."""
    def metric(sid: str) -> str:
        return sid.split(":", 1)[0] if ":" in sid else ""

    levels: dict[str, dict[str, float]] = {}
    ids: dict[str, dict[str, str]] = {}
    for sid, grid in panel.series.items():
        chan = series_channel(sid)
        if chan is None or is_aggregate(sid) or not len(grid.ds):
            continue
        recent = grid.y[grid.ds >= grid.ds[-1] - pd.Timedelta(days=SHARE_DAYS - 1)]
        level = float(np.nanmean(recent)) if np.isfinite(recent).any() else 0.0
        levels.setdefault(metric(sid), {})[chan] = max(level, 0.0)
        ids.setdefault(metric(sid), {})[chan] = sid

    def normed(lv: dict[str, float]) -> dict[str, float]:
        total = sum(lv.values())
        return {c: v / total for c, v in lv.items()} if total > 0 else {}

    per_metric = {m: normed(lv) for m, lv in levels.items()}
    pooled: dict[str, float] = {}
    for sh in per_metric.values():
        for c, v in sh.items():
            pooled[c] = pooled.get(c, 0.0) + v / len(per_metric)
    named = sorted({str(c) for c in cal["channel"].dropna()}) if not cal.empty else []
    equal = {c: 1.0 / len(named) for c in named} if named else {}
    anyone = {c: sid for part in ids.values() for c, sid in part.items()}
    aggs = [sid for sid in panel.series if is_aggregate(sid)]
    return ({sid: per_metric.get(metric(sid)) or pooled or equal for sid in aggs},
            {sid: {**anyone, **ids.get(metric(sid), {})} for sid in aggs})


def _step(ds: pd.DatetimeIndex) -> pd.Timedelta | None:
    """A series' period (its first two periods apart), None for a single period."""
    return ds[1] - ds[0] if len(ds) > 1 else None


def _rank(occ: pd.DataFrame) -> np.ndarray:
    """Which row stands for a day: a window's before a shoulder's, then the larger |lift|
    (of equal ranks the last row)."""
    return (occ["in_window"].to_numpy(dtype=bool).astype(int) * 1e6
            + np.abs(occ["lift"].to_numpy(dtype=float)))


def _places(occ: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's place in its group on its day (``cell``): the rows of one kind, in a window
    or on a shoulder, background or not, by ``_rank`` (0: the one that stands for the group);
    and a background row's place among the day's background rows by length (0: the one set
    under a shorter event; others: a large number). The day's lift reads the first of each."""
    n = len(occ)
    pos = np.arange(n)
    bg = _is_background(occ)
    frame = pd.DataFrame({"cell": occ["cell"].to_numpy(dtype=np.int64),
                          "inw": occ["in_window"].to_numpy(dtype=bool), "bg": bg,
                          "kind": occ["kind"].astype(str).to_numpy(), "rank": _rank(occ),
                          "pos": pos,
                          "span": pd.to_numeric(occ["span"], errors="coerce").fillna(0)
                          .to_numpy(dtype=float)})
    place = np.empty(n, dtype=np.int64)
    by_rank = frame.sort_values(["rank", "pos"], ascending=False)
    place[by_rank["pos"].to_numpy()] = by_rank.groupby(
        ["cell", "inw", "bg", "kind"], sort=False).cumcount().to_numpy()
    place_bg = np.full(n, np.iinfo(np.int64).max)
    by_span = frame[bg].sort_values(["span", "pos"], ascending=[False, True])
    place_bg[by_span["pos"].to_numpy()] = by_span.groupby("cell", sort=False).cumcount().to_numpy()
    return place, place_bg
