"""Event (promotion/holiday/launch) effects learned from past occurrences, as in demand planning.

For every day an applicable calendar event covers (plus ``pre_days`` before and ``post_days``
after it) the lift is the gap between the observed value and a local baseline on the modelling
scale (log1p for counts): the median of the same phase (same weekday, or same hour of the week)
``season_lags`` seasons before and after, skipping other event days (falling back to shoulder
days, then the local level plus the phase's usual offset, where no event-free value is near).
Lifts are then pooled per relative day of the event through a hierarchy (all events -> kind ->
name -> name in this series) with precision-weighted shrinkage, per unit of intensity and with
recent occurrences weighted more; ``training._forecast_event_pool`` (``LiftHierarchy``) does the
pooling and reads a day's lift back (``effect``); ``training._forecast_event_lifts``
(``EventLifts``, which ``EventEffects`` extends, on ``LiftHierarchy``) reads the learned lifts
back onto a forecast's periods.

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
from typing import Any, Self

import numpy as np
import pandas as pd

from ._forecast_base import Panel, steps_per_day
from ._forecast_drift import young_drift
from ._forecast_event_days import attribute_many, rows_per_series, series_occurrences
from ._forecast_event_lifts import EventLifts, channel_shares
from ._forecast_event_pool import _LEVELS, still_running
from ._forecast_event_pool import _Estimate as _Estimate  # pickled models name it here
from ._forecast_event_spikes import lone_event_spikes
from ._forecast_event_weekdays import weekday_profile, weekday_slopes
from ._forecast_live import first_live
from ._forecast_outages import SPIKE_SPARSE_SHARE, sitewide_drops
from ._forecast_phases import _zero_share, closed_phases
from ._forecast_tail import (
    day_autocorrelation,
    decay_on_level,
    faded_tail,
    kind_decay,
    larger_occurrence,
    occurrence_scale,
    one_sided_tail,
    shared_decay,
    tail_offset,
    tail_step,
    window_shape,
)

__all__ = ["EventEffects"]

_MIN_AFTER = 3
"""Fewest free days after the history's last event read as its decay onto a level
(``EventEffects._settle_after_days``)."""
_MAX_AFTER = 7
"""Days after the history's last event from which they are left to ``faded_tail`` (unless
a level under their decay stands out: ``EventEffects._settle_after_days``)."""
_PAST_DAYS = 21
"""Days from a past occurrence's start read for its kind's decay (``_past_decay``)."""


def _ns(when: Any) -> np.ndarray:
    """Datetimes (an index or a column, naive) as int64 nanoseconds (NaT: the int64 least)."""
    return np.asarray(when, dtype="datetime64[ns]").view(np.int64)


def _nanmedian(a: np.ndarray) -> np.ndarray:
    """Row medians ignoring NaN (NaN for an all-NaN row, without a warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(a, axis=1)


def _unexplained(drop: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """``drop`` (the periods of the unmarked drops found on a series' values) without the drops
    that are the series' own events: those inside one stretch of event windows (``inside``;
    shoulder days do not count: a weekly newsletter's cover six days of every week) that
    cover at least half of it (``MARKED_SHARE``). A store's week-long refurbishment entered as
    a ``closed`` event had been found as a drop, its days left out of the lifts as an
    unmarked closure's are, and the kind learned no lift at all: a planned one-day closure was
    forecast at the usual sales (P50 4,048 against 0; closures of 4 days or more). A tracking
    outage with a newsletter send inside it stays a drop: its other days are no event's; so
    does a 3-day outage inside a two-week sale (it is no part of the sale's lift)."""
    if not drop.any():
        return drop
    out = drop.copy()
    edges = np.flatnonzero(np.diff(np.concatenate([[0], inside.astype(np.int8), [0]])))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if drop[a:b].sum() < MARKED_SHARE * (b - a):
            continue
        # every drop run wholly inside this stretch is the event's (one that runs on past
        # either end of it is not)
        if (a > 0 and drop[a - 1]) or (b < len(drop) and drop[b]):
            continue
        out[a:b] = False
    return out


MARKED_SHARE = 0.5
"""Share of a stretch of event windows a drop must cover to be that event's (``_unexplained``)."""


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


HELD_OUT_FOLDS = 5
"""Groups the calibration span's event occurrences are dealt into, each group's days read
with lifts learned without it (``EventEffects.held_out_lifts``): one pooling per group."""


class EventEffects(EventLifts):
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

    def __getstate__(self) -> dict[str, Any]:
        """The state saved with a model: without the fit's lift observations (``fit_obs_``),
        which only ``held_out_lifts`` reads, while the forecaster is fitted."""
        state = dict(self.__dict__)
        state.pop("fit_obs_", None)
        return state

    def held_out_lifts(
        self,
        periods: dict[str, pd.DatetimeIndex],
        calendar: pd.DataFrame | None,
        cuts: dict[str, pd.Timestamp],
        whole: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
        folds: int = HELD_OUT_FOLDS,
    ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``whole`` (``lift_many`` of ``periods``) with the days of each occurrence that
        reaches a series' ``cuts`` day or later read with lifts and spreads learned without
        that occurrence: the occurrences (one name from one start, in every series it
        reached) are dealt in turn by start into ``folds`` groups, and each group's days are
        read from the observations pooled without the group (``_pool_with_backgrounds``).
        ``whole`` as it is without the fit's observations (``fit_obs_``: a loaded model).

        Scored with the lifts learned on the whole history, each calibration event day was
        read against a lift fitted to that same day: event days looked easy, and the event
        days' conformal offset came out below the ordinary days' (generated page views with
        a product launch of its own name every few months, 2x-12x: -0.096 on the log scale,
        and 34% of launch-window days in the 80% band of back-tests from just before a
        launch). A forecast's own event is never in the lifts it is forecast with; a
        recurring one (a fortnightly promotion) keeps its other occurrences.
        """
        obs = getattr(self, "fit_obs_", None)
        if obs is None or obs.empty:
            return whole
        sid = obs["series_id"].astype(str)
        day = pd.to_datetime(obs["date"]).dt.normalize()
        start = pd.to_datetime(obs["start"])
        scored = (day >= pd.to_datetime(sid.map(cuts))).to_numpy()
        if not scored.any():
            return whole
        key = (obs["name"].astype(str) + "\x1f" + start.astype(str)).to_numpy()
        dealt = (pd.DataFrame({"k": key[scored], "s": start.to_numpy()[scored]})
                 .drop_duplicates("k").sort_values(["s", "k"], kind="stable"))
        fold = pd.Series(key).map(pd.Series(np.arange(len(dealt)) % max(1, folds),
                                            index=dealt["k"].to_numpy())
                                  ).fillna(-1).to_numpy(dtype=np.int64)
        out = {s: tuple(np.array(v, dtype=float, copy=True) for v in whole[s]) for s in whole}
        for k in range(min(max(1, folds), len(dealt))):
            drop = fold == k
            past = copy.copy(self)
            if (~drop).any():
                past._pool_with_backgrounds(obs[~drop].reset_index(drop=True))
            else:
                past._reset()
            # the hours' shape within an event day is the whole fit's (``_pool_hours``); an
            # occurrence still running at the end is not moved by its own days
            past.hour_profile_ = self.hour_profile_
            past.running_, past.running_shape_ = {}, {}
            hit = pd.Series(day[drop & scored].to_numpy()).groupby(
                sid[drop & scored].to_numpy()).unique()
            on = {s: np.asarray(periods[s].normalize().isin(days))
                  for s, days in hit.items() if s in periods and s in out}
            lifts = past.lift_many({s: periods[s][m] for s, m in on.items() if m.any()},
                                   calendar)
            for s, vals in lifts.items():
                for j in range(3):
                    out[s][j][on[s]] = vals[j]
        return {s: (v[0], v[1], v[2]) for s, v in out.items()}

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
            offset: dict[str, np.ndarray] | None = None,
            sitewide: dict[str, np.ndarray] | None = None) -> Self:
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

        With ``unmarked`` given (the forecaster's drop rule is on), short drops on the same
        periods in (nearly) every series (``sitewide_drops``: a 3-day tracking outage of the
        whole site, under the 4 in 5 days the per-series rule needs) are added to it and
        cleaned to their baseline as event days are; they had been clipped to the clipping
        bound only, and read as a real dip by the lags after them. ``sitewide``: those drops
        as the forecaster found them with its own ``clip_sd`` and ``level_shift_days`` (per
        series, a mask over its grid); None finds them with the defaults (3.0 and 5.0).
        """
        cal = self.prepare(calendar)
        self.freq_ = panel.freq
        self.channel_share_, self.channel_series_ = channel_shares(panel, cal)
        self.kinds_add_ = True  # learned net of the other kinds on shared days: they add
        # a long window's halves split at ``max_offset`` (``_day_group``); a model pickled
        # before this attribute learned its halves' offsets with the cut at the middle day
        self.halves_cut_: int | None = self.max_offset
        self.clean_: dict[str, np.ndarray] = {}
        # series -> size the end-of-history event days' baseline moved (``_follow_level``);
        # empty when no series has such days (the attribute had then been missing)
        self.tail_moved_: dict[str, float] = {}
        # (series, name, start) of an occurrence still running at the end, of a kind whose
        # excess decays -> its lift on each day of its window: its kind's shape scaled by how
        # large it ran (``_follow_level``); ``lift_many`` gives its remaining days that lift
        self.running_shape_: dict[tuple[str, str, pd.Timestamp], np.ndarray] = {}
        # series -> how far (log scale) the level under the fading excess of its last event
        # may stand above the one its after-days are cleaned to (``_settle_after_days``):
        # the forecast's P90 reaches it
        self.after_level_: dict[str, float] = {}
        # per series each weekday's usual offset from its weekly level, and per kind how its
        # lift moves with it (``training._forecast_event_weekdays``)
        self.weekday_: dict[str, np.ndarray] = {}
        self.weekday_slope_: dict[str, _Estimate] = {}
        m = self._season(panel.freq)
        obs: list[pd.DataFrame] = []
        hour_obs: list[pd.DataFrame] = []
        unsized: dict[str, np.ndarray] = {}
        after_days: dict[str, tuple[np.ndarray, ...]] = {}
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
        if unmarked is None:
            site: dict[str, np.ndarray] = {}
        else:
            site = sitewide_drops(panel) if sitewide is None else sitewide
        # event days at the end of the history, cleaned to the level of the seasons before
        # them, per series (with its day-to-day noise): ``_follow_level`` may move them
        tails: dict[str, tuple[np.ndarray, float, float]] = {}
        dense = {str(sid) for sid, grid in panel.series.items()
                 if _zero_share(np.asarray(grid.y, dtype=float),
                                steps_per_day(panel.freq)) < SPIKE_SPARSE_SHARE}
        for sid, grid in panel.series.items():
            z = panel.fwd(grid.y) - shift.get(sid, 0.0)
            days = days_of[sid]
            occ = own.get(sid, every.iloc[:0][plain])
            affected = np.asarray(days.isin(occ["date"]))
            inside = np.asarray(days.isin(occ["date"][occ["in_window"].astype(bool)]))
            off = (unmarked or {}).get(sid)
            off = np.zeros(len(z), bool) if off is None else np.asarray(off, bool)
            # a site-wide outage wholly inside the series' own event window (a closure in
            # the calendar) is that event's, as a drop of its own is (``_unexplained``)
            site_off = _unexplained(site.get(sid, np.zeros(len(z), bool)), inside)
            off = _unexplained(off, inside) | site_off
            shut = closed_phases(grid.y, steps_per_day(panel.freq)) & (
                np.nan_to_num(grid.y, nan=0.0) == 0)
            # a young series' baseline follows its drift (a new store's ramp: cleaned to
            # its opening level, its forecast had run 26-28% low; ``young_drift``)
            drift = young_drift(z, affected | off | shut, m)
            base = self._baseline(z - drift, affected | off, m, inside | off, shut) + drift
            if _no_level_of_its_own(z, affected | off, inside):
                # it started inside an event (a launch) and has not had one event-free
                # period since: the fallback read its in-window days against its own shoulder
                # days, still raised by the same event (a page 15 days after its launch was
                # cleaned to 1.4x the level it settled at and forecast 1.39x too high). Its
                # event days are cleaned of the lifts learned on the other series instead,
                # as the days deep inside a long event are, and it measures no lift of its own
                base = np.full(len(z), np.nan)
            resid = z - base
            self.weekday_[sid] = weekday_profile(base, days, shut)
            clean = np.where((affected | site_off) & np.isfinite(base), base, z)
            # the days after the history's last event that still carry its excess, faded
            # by the end (a launch's tail past its calendar day): cleaned to their baseline,
            # or the forecast starts from the fading tail as if it were the level
            fading = faded_tail(z, base, affected | off, m, steps_per_day(panel.freq),
                                ~affected & ~off & ~shut)
            clean = np.where(fading, base, clean)
            self.clean_[sid] = clean
            after_days[sid] = (z, base, affected | off, ~affected & ~off & ~shut, fading, shut)
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
            # a large order two days after the one Black Week of the history had been
            # learned as the event's post2 lift (x4.8: the next Black Week's second day after
            # forecast at 5 times the actual, ``lone_event_spikes``)
            every_obs = every_obs[~lone_event_spikes(every_obs, dense)].reset_index(drop=True)
            every_obs = self._net_of_weekdays(every_obs)
            self._pool_with_backgrounds(every_obs)
            moved = self._follow_level(panel, cal, tails, shift, every_obs)
            self.fit_obs_ = every_obs  # for ``held_out_lifts`` (not saved: ``__getstate__``)
            if moved:  # their lifts were measured against the old level: pooled again
                at = pd.Series(
                    [size for days, size in moved.values() for _ in days],
                    index=pd.MultiIndex.from_tuples(
                        [(sid, d) for sid, (days, _) in moved.items() for d in days]),
                    dtype=float)
                take = at.reindex(pd.MultiIndex.from_arrays(
                    [every_obs["series_id"].astype(str), pd.to_datetime(every_obs["date"])]
                )).fillna(0.0).to_numpy()
                self.fit_obs_ = every_obs.assign(r=every_obs["r"].to_numpy(dtype=float) - take)
                self._pool_with_backgrounds(self.fit_obs_)
            self._settle_after_days(panel, after_days, own_attr)
        else:
            self._reset()
            self.fit_obs_ = None
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

    def _settle_after_days(self, panel: Panel,
                           after_days: dict[str, tuple[np.ndarray, ...]],
                           occurrences: dict[str, pd.DataFrame]) -> None:
        """Clean the free days after each series' last event, a short one (a launch entered
        as a one-day event) whose kind's excess decays, when there
        are ``_MIN_AFTER`` to ``_MAX_AFTER`` - 1 of them, they stand above their baseline and
        ``faded_tail`` left them (``after_days``: the series' values, baseline, event mask,
        quiet mask, ``faded_tail``'s mask and the closed periods' mask); only open periods
        are read and cleaned (a closed Sunday or night hour stays as it is). That
        occurrence's own days and those after it are fitted as a decay onto a level
        (``decay_on_level``, its rate within a factor 2 of its kind's); the days are cleaned
        to the least level the fit allows (0 at least) over their baseline, and how far above
        it the most it allows stands (log scale) is kept in ``after_level_``, which the
        forecast's P90 reaches. The rate is the kind's own, read on its past short
        occurrences in every series (``_past_decay``, once per kind and only when a series
        gets this far), else the fall of its learned lifts (``kind_decay``). A week or more
        of after-days (``_MAX_AFTER``) are left to ``faded_tail``, unless it cleaned them
        after a short event of a kind with past occurrences: the event's days and those
        after it are then fitted at the kind's past rate exactly, and where even the least
        level the fit allows stands above 0 the days are cleaned to the fitted level (its
        P90 as above); otherwise they stay as ``faded_tail`` left them. ``clean_`` is
        changed in place. A 12x keynote entered as a one-day event, 8 days after it: its
        days 4-8 at 3-4x the level, still falling but not yet halved beyond their noise,
        were read as the level (the next 60 days +252%; now +15%, 80% band 92%); a level x2
        from the keynote on is then forecast as none, with a band that reaches it. The same
        level 12 days after the keynote had been cleaned away as a faded tail (-46%; now
        +6%)."""
        spd = steps_per_day(panel.freq)
        mx = int(self.max_offset)
        kind_est = self.estimates_[_LEVELS[1]]
        past: dict[str, float | None] = {}
        for sid, (z, base, skip, quiet, fading, shut) in after_days.items():
            hit = np.flatnonzero(skip)
            occ = occurrences.get(sid)
            if not len(hit) or occ is None or occ.empty:
                continue
            after = np.arange(hit[-1] + 1, len(z))
            # under a week of them, and not cleaned as a faded tail (``faded_tail``): a
            # week or more is left to it (a level x1.6 from a launch, 12 days after it,
            # cleaned to the least level allowed here, was cleaned away), unless the days
            # it cleaned hold a level under their decay (``longer``, below)
            longer = len(after) >= _MAX_AFTER * spd and bool(fading[after].any())
            if not (_MIN_AFTER * spd <= len(after) < _MAX_AFTER * spd
                    and not fading[after].any()) and not longer:
                continue
            r = z[after] - base[after]
            q = (z - base)[quiet & np.isfinite(z - base)]
            # only the open after-days are read and cleaned: a closed period (a shop's
            # Sundays, its night hours) is its own baseline, an excess of 0 with the least
            # noise weight, and had pinned the level at 0 (a level x3 from a keynote on, its
            # Sundays closed: cleaned to the level before it, the next 60 days' P50 0.34x
            # the actual, the P90 0.61x) and been cleaned to a level above 0
            ok = np.isfinite(r) & quiet[after]
            if len(q) < 10 or not ok.any():
                continue
            days = panel.series[sid].ds.normalize()
            # periods a day among the open ones: a shop's closed night hours are not days
            # of noise; the most any day holds, so a history ending mid-day (its last day
            # 10 of 24 hours) is not a whole day of them (it had read 20 hours a day)
            per = max(1, int(np.unique(np.asarray(days[after][ok]), return_counts=True)[1].max()))
            # their excess must stand out of their noise as ``faded_tail``'s does: a median
            # above 0 alone let half the stores whose last promotion ended 3-6 days before
            # pass (51 of 200 in the stores benchmark)
            mad = float(np.median(np.abs(q - np.median(q))))
            if tail_offset(r[ok], np.full(int(ok.sum()), (1.4826 * mad) ** 2), per) <= 0:
                continue
            last = occ[pd.to_datetime(occ["date"]) == days[hit[-1]]]
            if last.empty:
                continue
            row = last.iloc[0]
            start = pd.Timestamp(row["start"])
            g = occ[(occ["name"] == row["name"]) & (pd.to_datetime(occ["start"]) == start)]
            span = int(pd.to_numeric(g["span"], errors="coerce").fillna(1).max())
            if span > mx:
                # a long window's after-days come when its kind's excess has faded: an excess
                # there is a level (a level x2 from a launch with a 14-day window, 24 days
                # after it, cleaned to the least level allowed: forecast -42%, against -19%)
                continue
            # the kind's excess on its days and its shoulder days (a one-day launch's is read
            # on its day and the 3 after)
            keys = [(k, f"d{k}") for k in range(span)]
            keys += [(span - 1 + j, f"post{j}") for j in range(1, int(self.post_days) + 1)]
            lifts = np.array([kind_est[(str(row["kind"]), key)].mean
                              if (str(row["kind"]), key) in kind_est else np.nan
                              for _, key in keys])
            kind = str(row["kind"])
            if kind not in past:
                past[kind] = self._past_decay(kind, panel, after_days, occurrences)
            # the kind's decay read on its past occurrences' own days and the days after
            # them (``shared_decay``); the learned lifts' fall (``kind_decay``) runs steeper
            rate = past[kind] if past[kind] is not None else kind_decay(
                np.array([k for k, _ in keys]), lifts)
            if rate is None or (longer and past[kind] is None):
                continue
            noise = max((1.4826 * mad) ** 2 / per, 1e-4)
            since = np.flatnonzero(np.asarray(days >= start) & np.isfinite(z - base) & ~shut)
            per_day = pd.Series(z[since] - base[since]).groupby(
                np.asarray((days[since] - start).days)).mean()
            # its own decay within a factor 2 of its kind's: free, a decay of 0.02 a day lets
            # any held excess pass for a decay, and one of 2 a day any tail for a level. A
            # week or more after it (``longer``), at its kind's past rate: the days then tell
            # a level from none (within a factor 1.25 of it, the range of levels a level x2
            # 12 days after a 12x keynote allows, -0.47 to +2.1, takes in 0)
            width = 1.0 if longer else 2.0
            fit = decay_on_level(per_day.to_numpy(), per_day.index.to_numpy(),
                                 (width * rate, rate / width), noise)
            if fit is None or fit[0] <= 0 or (longer and fit[2] <= 0):
                continue
            # the least level the days allow (a fading tail alone: 0); the band reaches the
            # most. A week or more after it, a level whose least allowed stands above 0 is
            # kept at its fit (a level x2 from a one-day keynote, 12 days after it, had been
            # cleaned away as a faded tail: the next 60 days -46%, now +6%)
            level = max(fit[1] if longer else fit[2], 0.0)
            self.clean_[sid][after] = np.where(ok, base[after] + np.log1p(level),
                                               self.clean_[sid][after])
            top = max(fit[3], level)
            self.after_level_[sid] = float(np.log1p(top) - np.log1p(level))

    def _past_decay(self, kind: str, panel: Panel,
                    after_days: dict[str, tuple[np.ndarray, ...]],
                    occurrences: dict[str, pd.DataFrame]) -> float | None:
        """The rate at which ``kind``'s excess decays (``shared_decay``), read on its past
        short occurrences (span up to ``max_offset``) in every series: their days' residuals
        over the baseline (``after_days``) from the start for ``_PAST_DAYS`` days, up to the
        next event day of another occurrence; open periods only, averaged per day. Each
        occurrence reads only its own ``_PAST_DAYS`` + 1 days of its series' grid (found by
        binary search), and the days are averaged in one grouping over all of them: 300
        daily series of 3.6 years with 46 one-day holidays each had taken 16 s here, with a
        full-length date difference, a date lookup and a grouping per occurrence."""
        day = np.int64(86_400_000_000_000)
        spd = steps_per_day(panel.freq)
        noises: list[float] = []
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        for sid, (z, base, skip, quiet, _, shut) in after_days.items():
            occ = occurrences.get(sid)
            if occ is None or occ.empty:
                continue
            occ = occ[occ["kind"].astype(str) == kind]
            if occ.empty:
                continue
            resid = z - base
            q = resid[quiet & np.isfinite(resid)]
            if len(q) < 10:
                continue
            mad = float(np.median(np.abs(q - np.median(q))))
            noise = max((1.4826 * mad) ** 2 / spd, 1e-4)
            days = panel.series[sid].ds.normalize()
            dns = _ns(days)
            ordered = bool(np.all(dns[1:] >= dns[:-1]))
            use = np.isfinite(resid) & ~np.asarray(shut, dtype=bool)
            skip = np.asarray(skip, dtype=bool)
            # one number per occurrence (a name from one start), in the order first seen (as
            # a grouping by both, ``sort=False``); an occurrence without a start is not one
            start_all = _ns(pd.to_datetime(occ["start"]))
            keep = start_all != np.iinfo(np.int64).min
            if not keep.any():
                continue
            name_code = pd.factorize(occ["name"].astype(str).to_numpy())[0][keep]
            start_code = pd.factorize(start_all[keep])[0]
            group = np.full(len(occ), -1, dtype=np.int64)
            group[keep] = pd.factorize(name_code * (int(start_code.max()) + 1) + start_code)[0]
            n_occ = int(group.max()) + 1
            span = np.full(n_occ, -np.inf)
            np.maximum.at(span, group[keep], pd.to_numeric(occ["span"], errors="coerce")
                          .fillna(1).to_numpy(dtype=float)[keep])
            start_ns = np.zeros(n_occ, dtype=np.int64)
            start_ns[group[keep]] = start_all[keep]
            dates = _ns(pd.to_datetime(occ["date"]))
            by = np.argsort(group, kind="stable")
            bounds = np.searchsorted(group[by], np.arange(n_occ + 1))
            end = dns[-1]
            for j in range(n_occ):
                s = start_ns[j]
                if int(span[j]) > self.max_offset or (end - s) // day < _PAST_DAYS:
                    continue
                if ordered:
                    lo = int(np.searchsorted(dns, s, "left"))
                    hi = int(np.searchsorted(dns, s + (_PAST_DAYS + 1) * day, "left"))
                    at = np.arange(lo, hi)
                else:
                    at = np.flatnonzero((dns >= s) & (dns < s + (_PAST_DAYS + 1) * day))
                age = (dns[at] - s) // day
                other = skip[at]
                if other.any():
                    own = dates[by[bounds[j]:bounds[j + 1]]]
                    other &= ~(dns[at][:, None] == own[None, :]).any(axis=1)
                stop = int(age[other].min()) if other.any() else _PAST_DAYS + 1
                sel = (age < stop) & use[at]
                parts.append((age[sel], resid[at[sel]]))
                noises.append(noise)
        if not parts:
            return shared_decay([])
        # each occurrence's days averaged per day from its start, all in one grouping
        which = np.repeat(np.arange(len(parts)), [len(a) for a, _ in parts])
        ages = np.concatenate([a for a, _ in parts])
        mean = pd.Series(np.concatenate([r for _, r in parts])).groupby(
            [which, ages]).mean()
        at_curve = mean.index.get_level_values(0).to_numpy()
        at_age = mean.index.get_level_values(1).to_numpy(dtype=float)
        vals = mean.to_numpy()
        cut = np.searchsorted(at_curve, np.arange(len(parts) + 1))
        curves = [(at_age[cut[i]:cut[i + 1]], vals[cut[i]:cut[i + 1]], noises[i])
                  for i in range(len(parts))]
        return shared_decay(curves)

    def _net_of_weekdays(self, obs: pd.DataFrame) -> pd.DataFrame:
        """``obs`` with each lift net of its kind's weekday term (``weekday_slopes``, stored
        in ``weekday_slope_``): the lifts pooled are those of a day at the weekly level, and
        ``lift_many`` adds the term of the day asked for."""
        wd = pd.DatetimeIndex(obs["date"]).day_of_week.to_numpy()
        d = np.array([self.weekday_.get(str(s), np.zeros(7))[w]
                      for s, w in zip(obs["series_id"].tolist(), wd, strict=True)])
        self.weekday_slope_ = weekday_slopes(obs, d, group_sd=self.group_sd,
                                             halflife_days=self.halflife_days)
        if not self.weekday_slope_:
            return obs
        b = np.array([self.weekday_slope_.get(str(k), _Estimate(0.0, 0.0)).mean
                      for k in obs["kind"].tolist()])
        i = pd.to_numeric(obs["intensity"], errors="coerce").astype(float).to_numpy()
        i = np.where(np.isfinite(i) & (i != 0), i, 1.0)
        on = obs["in_window"].to_numpy(dtype=bool)  # shoulder days have no weekday term
        return obs.assign(r=obs["r"].to_numpy(dtype=float) - np.where(on, b * d * i, 0.0))

    def _window_shapes(self, past: EventEffects, own: pd.DataFrame
                       ) -> dict[str, tuple[pd.Series, dict[tuple[str, pd.Timestamp],
                                                             np.ndarray]]]:
        """Per series, for the in-window rows ``own`` of its occurrences still running at the
        end: by date, how far the kind's lift per day of the window (``window_shape`` of the
        lifts ``past`` learned without them) differs from the lift the day's key shares;
        and per (name, start) that lift on each day of the window."""
        out: dict[str, tuple[pd.Series, dict[tuple[str, pd.Timestamp], np.ndarray]]] = {}
        m = int(self.max_offset)
        keys = [f"d{k}" for k in range(m)] + [f"d{m}+"]
        for (sid, name, kind, start), g in own.groupby(
                [own["series_id"].astype(str), own["name"].astype(str),
                 own["kind"].astype(str), pd.to_datetime(own["start"])], sort=False):
            span = int(pd.to_numeric(g["span"], errors="coerce").fillna(1).max())
            intensity = float(pd.to_numeric(g["intensity"], errors="coerce").iloc[0])
            i = intensity if np.isfinite(intensity) else 1.0
            learned = np.array([past.effect(str(sid), str(name), str(kind), key, i)[0]
                                for key in keys])
            shape = window_shape(learned, span)
            at = (pd.to_datetime(g["date"]) - pd.Timestamp(start)).dt.days.to_numpy()
            shared = learned[np.minimum(at, m)]
            delta = pd.Series(shape[np.clip(at, 0, span - 1)] - shared,
                              index=pd.DatetimeIndex(pd.to_datetime(g["date"])))
            before, occurrences = out.get(str(sid), (pd.Series(dtype=float), {}))
            occurrences[(str(name), pd.Timestamp(start))] = shape
            out[str(sid)] = (pd.concat([before, delta]) if len(before) else delta, occurrences)
        return out

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
        live_days: dict[str, pd.DatetimeIndex] = {}
        shapes: dict[str, tuple[pd.Series, dict[tuple[str, pd.Timestamp], np.ndarray]]] = {}
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
            live_days = {str(k): pd.DatetimeIndex(pd.to_datetime(g["date"]))
                         for k, g in own.groupby(own["series_id"].astype(str), sort=False)}
            shapes = self._window_shapes(past, own)
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
            # the lift's spread is beyond the day's noise (``_fit_dispersion``): the noise added
            var = np.maximum(var_lo[rows], var_hi[rows]) + noise
            # an occurrence still running, of a kind whose excess decays over its days (a
            # launch), may simply be larger than its past ones: the excess that follows its
            # kind's shape scaled is the occurrence's, and only a level beyond it moves the
            # baseline (``larger_occurrence``)
            if sid in live_days:
                day = grid.ds[rows].normalize()
                on = np.asarray(day.isin(live_days[sid]))
                # the window's later days, which share one learned lift, follow the kind's
                # decay instead (``window_shape``)
                delta, per_day = shapes.get(sid, (pd.Series(dtype=float), {}))
                shape = lift[rows] + delta.reindex(day).fillna(0.0).to_numpy()
                scale = occurrence_scale(resid, lift[rows], on, shape)
                if scale is not None:
                    for occurrence, kind_lift in per_day.items():
                        excess = np.expm1(kind_lift)
                        self.running_shape_[(sid, *occurrence)] = np.where(
                            excess > 0, np.log1p(scale * np.maximum(excess, 0.0)), kind_lift)
                resid = resid - larger_occurrence(resid, lift[rows], on, shape)
            first, size = tail_step(resid, var, spd, common.get(sid, 0.0), rho)
            if size:
                rows = rows & (np.arange(len(rows)) >= np.flatnonzero(rows)[first])
                self.clean_[sid][rows] += size
                moved[sid] = (pd.DatetimeIndex(grid.ds[rows].normalize().unique()), size)
        self.tail_moved_ = {sid: size for sid, (_, size) in moved.items()}
        return moved
