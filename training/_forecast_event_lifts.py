"""How a fitted ``EventEffects`` reads its lifts back onto the periods of a forecast.

``EventLifts`` is the part of ``training._forecast_events.EventEffects`` that applies what the
fit learned: the occurrences of the calendar's events on the periods asked, each with its
learned lift (``LiftHierarchy.effect``), an aggregate's lift of a channel's event diluted by the
channel's share (``_dilute``), the day's events combined (the largest of a kind, kinds added,
a background event under a shorter one, the hour shape), and the same with calendar rows left
out (``lift_many_without``, the peak table's "without this event").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features._calendar import is_aggregate, normalize_calendar, series_channel

from ._forecast_base import Panel
from ._forecast_event_days import (
    _is_background,
    pooled_names,
    series_occurrences,
    set_background_aside,
)
from ._forecast_event_pool import LiftHierarchy
from ._forecast_event_weekdays import weekday_term

__all__ = ["SHARE_DAYS", "EventLifts", "channel_shares"]


class EventLifts(LiftHierarchy):
    """Reading lifts back (see the module docstring); ``EventEffects`` extends it with the fit.
    The settings are ``EventEffects``' (``pre_days``, ``post_days``, ``max_offset``)."""

    pre_days: int
    post_days: int
    max_offset: int

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

    def day_kinds(
        self,
        periods: dict[str, pd.DatetimeIndex],
        calendar: pd.DataFrame | None,
    ) -> dict[str, np.ndarray]:
        """Per series (of ``periods``), the kind of the event that stands for each period's
        day in ``lift_many`` (a window's before a shoulder's, then the largest |lift|; a
        background event only where no shorter one covers the day), ``"<kind> (shoulder)"``
        on a shoulder day no window covers, ``"<kind> (first half)"`` / ``"(second half)"``
        on a day of a window of ``SPLIT_SPAN`` days or more; None off events. The conformal
        band's event-day offset is read per such group (``ConformalBands._conformal_by_kind``)."""
        return self.day_kinds_without(periods, calendar, [([], list(periods))])[0]

    def day_kinds_without(
        self,
        periods: dict[str, pd.DatetimeIndex],
        calendar: pd.DataFrame | None,
        jobs: list[tuple[list[int], list[str]]],
    ) -> list[dict[str, np.ndarray]]:
        """For each ``(rows, series)`` of ``jobs``: ``day_kinds`` of those series (of
        ``periods``) with the calendar's ``rows`` (positions in ``prepare(calendar)``) left
        out, from one expansion of the calendar: only the days the left-out rows reach are
        read again, from the occurrences that remain there (as ``lift_many_without``)."""
        cal = self.prepare(calendar)
        none = {sid: np.full(len(ds), None, dtype=object) for sid, ds in periods.items()}
        asked = list(dict.fromkeys(sid for _, sids in jobs for sid in sids
                                   if len(periods[sid])))
        if cal.empty or not asked:
            return [{sid: none[sid] for sid in sids} for _, sids in jobs]
        occ, origin, width = self._occurrences(periods, cal, asked, rows=True)
        if occ.empty:
            return [{sid: none[sid] for sid in sids} for _, sids in jobs]
        occ = occ.reset_index(drop=True)
        cells = {sid: j * width + (periods[sid].normalize().to_numpy(dtype="datetime64[ns]")
                                   - origin) // np.timedelta64(1, "D")
                 for j, sid in enumerate(asked)}

        def read(sub: pd.DataFrame) -> pd.Series:
            """The label of the row standing for each cell of ``sub`` (index: the cell)."""
            if sub.empty:
                return pd.Series([], dtype=object)
            sub = sub.assign(rank=_rank(sub))
            sub, _ = set_background_aside(sub, by="cell")
            best = (sub.sort_values(["cell", "rank"], kind="stable").groupby("cell").tail(1)
                    .set_index("cell"))
            # models pickled before ``halves_cut_`` cut at the middle day (their learned
            # halves' offsets are read with that cut)
            cut = getattr(self, "halves_cut_", None)
            return pd.Series((best["kind"].astype(str) + _day_group(best, cut)
                              ).to_numpy(
                dtype=object), index=best.index)

        def at(labels: pd.Series, want: np.ndarray) -> np.ndarray:
            out = np.full(len(want), None, dtype=object)
            pos = labels.index.get_indexer(want)
            out[pos >= 0] = labels.to_numpy(dtype=object)[pos[pos >= 0]]
            return out

        every = read(occ)
        whole = {sid: at(every, cells[sid]) for sid in asked}
        cell = occ["cell"].to_numpy(dtype=np.int64)
        by_event = occ.groupby(["sid", "ev"], sort=False).indices
        position = {sid: j for j, sid in enumerate(asked)}
        empty = np.zeros(0, dtype=np.int64)
        result = []
        for rows, sids in jobs:
            got = {}
            for sid in sids:
                j = position.get(sid, -1)
                gone = np.concatenate([by_event.get((j, r), empty) for r in rows] or [empty])
                if j < 0 or not len(gone):
                    got[sid] = whole[sid] if j >= 0 else none[sid]
                    continue
                hit = np.unique(cell[gone])
                keep = np.isin(cell, hit)
                keep[gone] = False
                on = np.isin(cells[sid], hit)
                kinds = whole[sid].copy()
                kinds[on] = at(read(occ[keep]), cells[sid][on])
                got[sid] = kinds
            result.append(got)
        return result

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
        # the weekday term of each day's lift (a holiday on a Saturday moves a series with a
        # weekend dip less than one on a weekday); absent in older models
        add, var = weekday_term(occ, asked, getattr(self, "weekday_", {}),
                                getattr(self, "weekday_slope_", {}),
                                getattr(self, "max_intensity_", {}))
        occ = occ.assign(lift=at[:, 0] + add, var_lo=at[:, 1] + var, var_hi=at[:, 2] + var)
        occ = self._dilute(occ, cal, asked)
        shaped = getattr(self, "running_shape_", {})  # absent in older models
        scaled = np.zeros(len(occ), bool)
        if shaped:
            # an occurrence running at the end of the history, of a kind whose excess decays:
            # its remaining days follow its kind's decay, scaled by how large it ran
            # (``EventEffects._follow_level``), in place of the lift its days so far taught
            # (a 12x keynote's days 9-13 had been forecast at the lift of its days 6-8)
            may = (pd.to_datetime(occ["start"]).isin({k[2] for k in shaped}).to_numpy()
                   & occ["in_window"].to_numpy(dtype=bool))
            lift = occ["lift"].to_numpy(dtype=float).copy()
            for r in np.flatnonzero(may):
                start = pd.Timestamp(occ["start"].iat[r])
                shape = shaped.get((asked[int(occ["sid"].iat[r])], str(occ["name"].iat[r]),
                                    start))
                if shape is None:
                    continue
                k = int((pd.Timestamp(occ["date"].iat[r]) - start).days)
                lift[r] = add[r] + shape[min(max(k, 0), len(shape) - 1)]
                scaled[r] = True
            occ["lift"] = lift
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
            move[scaled] = 0.0
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
        # each channel's lift on the row's day carries its kind's weekday term, as the
        # channel's own forecast does (``weekday_term``): a -30% holiday that runs like a
        # Sunday had moved a total by its channels' weekday lift on a Saturday too
        profiles = getattr(self, "weekday_", {})  # absent in older models
        slopes = getattr(self, "weekday_slope_", {})
        caps = getattr(self, "max_intensity_", {})
        inw = sub["in_window"].to_numpy(dtype=bool)
        wds = pd.DatetimeIndex(sub["date"]).day_of_week.to_numpy()
        for at, j, e, name, kind, key, i, wd, on in zip(
                rows.tolist(), sub["sid"].tolist(), sub["ev"].tolist(), sub["name"].tolist(),
                sub["kind"].tolist(), sub["key"].tolist(), sub["intensity"].tolist(),
                wds.tolist(), inw.tolist(), strict=True):
            agg_id = asked[int(j)]
            cs = chans_of[int(copy_of[int(e)])]
            term = slopes.get(str(kind)) if on else None
            day = int(wd) if term is not None else -1
            memo = (agg_id, cs, str(name), str(kind), str(key), float(i), day)
            if memo not in moved:
                move, v_lo, v_hi = 0.0, 0.0, 0.0
                parts = []
                for c in cs:
                    k = (part_of.get(agg_id, {}).get(c, c), str(name), str(kind), str(key),
                         float(i))
                    if k not in known:
                        known[k] = self.effect(*k)
                    lc, lo, hi = known[k]
                    if term is not None:
                        unit = float(i) if np.isfinite(float(i)) and float(i) != 0 else 1.0
                        x = float(profiles.get(k[0], np.zeros(7))[day]) * min(
                            unit, caps.get(str(kind), np.inf))
                        lc, lo, hi = (lc + term.mean * x, lo + term.var * x * x,
                                      hi + term.var * x * x)
                    s = shares[agg_id].get(c, 0.0)
                    move += s * float(np.expm1(lc))
                    parts.append((s, lc, lo, hi))
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


SHOULDER = " (shoulder)"
"""Suffix of a shoulder day's kind in ``EventLifts.day_kinds``."""

HALVES = (" (first half)", " (second half)")
"""Suffixes of a window day's kind in ``EventLifts.day_kinds``, in the first or the second
half of a window of ``SPLIT_SPAN`` days or more (a window of an odd length: its middle day in
the first half). A window longer than twice ``max_offset`` (the days with lifts of their own,
``d0`` .. ``d5``) splits where its days start to share one lift: its first half is those
days."""

SPLIT_SPAN = 4
"""Days a window needs for its halves to be told apart (two days each at least)."""


def _day_group(rows: pd.DataFrame, max_offset: int | None = None) -> np.ndarray:
    """The suffix of each occurrence row's kind in ``EventLifts.day_kinds``: ``SHOULDER``, a
    half of a long window (``HALVES``), else none.

    A 14-day window had split after its day 6, whose lift it shares with days 7-13
    (``d6+``): once an unseen launch's first days carried the spread of launches in their
    lift (2026-12-07), its first half's offset was read mostly from days 0-5 (generated page
    views with a promotion: days 6-13 held 73.4% in the 80% band, 74.1% with the split)."""
    window = rows["in_window"].to_numpy(dtype=bool)
    span = rows["span"].to_numpy(dtype=np.int64)
    day = ((rows["date"].to_numpy(dtype="datetime64[ns]")
            - rows["start"].to_numpy(dtype="datetime64[ns]")) // np.timedelta64(1, "D"))
    cut = (span + 1) // 2
    if max_offset is not None:
        cut = np.minimum(cut, max_offset)
    half = np.where(day < cut, HALVES[0], HALVES[1])
    return np.where(~window, SHOULDER, np.where(span >= SPLIT_SPAN, half, ""))

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
