"""Event (promotion/holiday/launch) effects learned from past occurrences, as in demand planning.

For every day an applicable calendar event covers (plus ``pre_days`` before and ``post_days``
after it) the lift is the gap between the observed value and a local baseline on the modelling
scale (log1p for counts): the median of the same phase (same weekday, or same hour of the week)
``season_lags`` seasons before and after, skipping other event days (falling back to shoulder
days, then the local level plus the phase's usual offset, where no event-free value is near).
Lifts are then pooled per relative day of the event (``d0``, ``d1``, ... ``d6+``, ``pre1``,
``post1``...) through a hierarchy (all events -> kind -> name -> name in this series) with
precision-weighted shrinkage, per unit of intensity and with recent occurrences weighted more
(half-life ``halflife_days``). A name a series never had (each launch with its own name) gets
the name's or kind's lift plus that series' own offset from its kind, where the kind was seen in
several series (one series' launches at 10x, another's at 2x). Kinds spread around all events
by their between-kind variance (method of moments, at least ``group_sd``²), and a lift is never
borrowed from another kind: a closure holiday cannot turn a promotion's first day into a
closure. On sub-daily series an event day also gets its own shape within the day per kind and
relative day (``hour_profile_``): a holiday's hours run like a Sunday's, not like a weekday's
scaled down.
An occurrence's variance is the day-to-day noise plus the spread of one name's occurrences
beyond it (per key, method of moments), so a single unusual occurrence of a name is pulled
towards its kind where repeated events are known to vary.

``clean`` gives the history with event days replaced by their baseline, so a baseline model never
learns from event spikes; forecasts add the pooled lift back on future event days. On a day that
several events cover, events of one kind are one event (the in-window one with the largest
absolute lift wins: a final that is also a playoff game), events of different kinds add their
lifts (Christmas on a newsletter Thursday), each learned net of the others' on the days they
share; shoulder days only count when no event covers the day; a background event (a window of
``BACKGROUND_DAYS`` or more: a launch period, a season) adds its lift to the shorter event's.

References:
    Gelman et al., *Bayesian Data Analysis* (3rd ed.), ch. 5: hierarchical normal models
    (the precision-weighted shrinkage used here).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd

from features._calendar import (
    applies_to,
    base_names,
    is_aggregate,
    normalize_calendar,
    series_channel,
)

from ._forecast_base import Panel, closed_phases, steps_per_day
from ._forecast_tail import one_sided_tail, tail_offset

__all__ = ["BACKGROUND_DAYS", "EventEffects", "attribute_overlaps", "occurrence_days",
           "pooled_names"]

_LEVELS: tuple[tuple[str, ...], ...] = (
    ("key",), ("kind", "key"), ("name", "key"), ("series_id", "name", "key"))


def occurrence_days(
    calendar: pd.DataFrame,
    series_id: str,
    pre_days: int,
    post_days: int,
    max_offset: int,
) -> pd.DataFrame:
    """Rows (date, name, kind, intensity, key, in_window, start, span) for one series' events;
    ``span`` is the event's window length in days."""
    return _expand(calendar[applies_to(calendar, series_id)], pre_days, post_days,
                   max_offset).drop(columns="ev")


def _expand(cal: pd.DataFrame, pre_days: int, post_days: int, max_offset: int) -> pd.DataFrame:
    """``occurrence_days`` of every row of ``cal``, with ``ev``: the row's position."""
    cols = ["date", "name", "kind", "intensity", "key", "in_window", "start", "span", "ev"]
    if cal.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    # vectorised (a loop over events cost 26 ms a series on a 1,000-store promotion calendar);
    # rows per event in the loop's order: window days, then pre1.., then post1..
    day = np.timedelta64(1, "D")
    start = cal["start"].to_numpy(dtype="datetime64[ns]")
    end = cal["end"].to_numpy(dtype="datetime64[ns]")
    length = ((end - start) // day).astype(np.int64) + 1
    every = np.arange(len(cal))
    ev_in = np.repeat(every, length)
    off_in = np.arange(len(ev_in)) - np.repeat(np.cumsum(length) - length, length)
    ev_pre, ev_post = np.repeat(every, pre_days), np.repeat(every, post_days)
    k_pre, k_post = np.tile(np.arange(1, pre_days + 1), len(cal)), np.tile(
        np.arange(1, post_days + 1), len(cal))
    ev = np.concatenate([ev_in, ev_pre, ev_post])
    section = np.repeat([0, 1, 2], [len(ev_in), len(ev_pre), len(ev_post)])
    k = np.concatenate([off_in, k_pre, k_post])
    date = np.concatenate([start[ev_in] + off_in * day, start[ev_pre] - k_pre * day,
                           end[ev_post] + k_post * day])
    order = np.lexsort((k, section, ev))
    ev, section, k, date = ev[order], section[order], k[order], date[order]
    text = k.astype(str)
    key = np.where(section == 1, np.char.add("pre", text),
                   np.where(section == 2, np.char.add("post", text),
                            np.where(k < max_offset, np.char.add("d", text), f"d{max_offset}+")))
    return pd.DataFrame({
        "date": date.astype("datetime64[ns]"),
        "name": cal["name"].to_numpy(dtype=object)[ev],
        "kind": cal["kind"].to_numpy(dtype=object)[ev],
        "intensity": cal["intensity"].to_numpy(dtype=float)[ev],
        "key": key.astype(object), "in_window": section == 0,
        "start": start[ev].astype("datetime64[ns]"), "span": length[ev], "ev": ev})


def _rows_per_series(calendar: pd.DataFrame, series_ids: list[str]) -> list[np.ndarray]:
    """For each series, the positions of the calendar rows that apply to it (``applies_to``),
    in calendar order, without a pass over the calendar per series."""
    chan = calendar["channel"]
    every = np.arange(len(calendar))
    common = every[chan.isna().to_numpy(dtype=bool)]
    by_channel = {c: every[idx] for c, idx in
                  chan.reset_index(drop=True).groupby(chan.to_numpy(), sort=False).indices.items()}
    out = []
    for sid in series_ids:
        c = series_channel(sid)
        if c is not None:
            out.append(np.sort(np.concatenate([common, by_channel.get(c, every[:0])])))
        else:
            out.append(every if is_aggregate(sid) else common)
    return out


def attribute_overlaps(occ: pd.DataFrame, calendar: pd.DataFrame) -> pd.DataFrame:
    """Give each day's observed lift to one event, so a day is not counted for several.

    A day inside the window of several events (a final that is also a playoff game, a flash
    sale during a season sale) is attributed to the most specific of them: the name with the
    fewest occurrences in ``calendar`` (ties go to the first name in sort order). Events of
    other kinds on that day are named in its row (``co``) so their lifts can be taken out (and
    added back at prediction): Christmas on a newsletter Thursday is both; a final that is also
    a playoff game is the final. A background event (a window of ``BACKGROUND_DAYS`` or more: a
    launch period, a season) never takes a day a shorter event covers; the shorter event's row
    names it (``bg_*`` columns) so its lift can be taken out.
    Shoulder days (``pre``/``post``) that fall inside another event's window are dropped, as at
    prediction, where shoulders only count on days no event covers; shoulders of several events
    on one free day follow the same most-specific rule.
    """
    if occ.empty:
        return occ.assign(**{c: pd.Series(dtype=object) for c in _UNDER})
    occ, under = _set_background_aside(occ)
    out = _most_specific(occ, calendar)
    return out.join(under, on="date") if len(under) else out.assign(
        **{c: pd.Series(np.nan, index=out.index, dtype=object) for c in _UNDER})


def _attribute_many(occ: pd.DataFrame, calendar: pd.DataFrame,
                    rows: list[np.ndarray]) -> pd.DataFrame:
    """``attribute_overlaps`` of several series at once: ``occ`` holds their rows with ``sid``
    (a series' position) and ``cell`` (a series' day), ``rows[sid]`` the positions of the
    ``calendar`` rows that apply to the series (whose occurrence counts make a name specific)."""
    if occ.empty:
        return occ.assign(**{c: pd.Series(dtype=object) for c in _UNDER})
    occ, under = _set_background_aside(occ, by="cell")
    code = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    at = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    counts = pd.DataFrame({"sid": code, "name": calendar["name"].to_numpy(dtype=object)[at],
                           "start": calendar["start"].to_numpy()[at]}).groupby(
        ["sid", "name"])["start"].nunique()
    pair = pd.MultiIndex.from_arrays([occ["sid"].to_numpy(), occ["name"].to_numpy(dtype=object)])
    out = _fewest(occ, counts.reindex(pair).fillna(1).to_numpy(dtype=float), "cell")
    return out.join(under, on="cell") if len(under) else out.assign(
        **{c: pd.Series(np.nan, index=out.index, dtype=object) for c in _UNDER})


def pooled_names(calendar: pd.DataFrame) -> pd.DataFrame:
    """``calendar`` with the year (and a month or day written after it, '2023-01') taken out of
    event names: 'Black Friday 2023' and 'Black Friday 2024' are one event seen twice, not two
    events seen once each, so the name's lift is learned from all its years. A name that is
    only a year stays as it is (``features._calendar.base_names``)."""
    if calendar.empty:
        return calendar
    return calendar.assign(name=base_names(calendar["name"]))


BACKGROUND_DAYS = 14
"""An event whose window runs this many days or more (a season, a launch period, a campaign
that runs all quarter) is a background: shorter events on its days add their lift to its lift
instead of one of them winning the day."""

_DISPERSION_PRIOR = 2.0
"""Pseudo-occurrences (recency weights) of the key's dispersion in a series' own."""

_UNDER = ("bg_name", "bg_kind", "bg_key", "bg_intensity")
"""Columns naming the background event under a shorter event's day (NaN where none)."""


def _is_background(occ: pd.DataFrame) -> np.ndarray:
    span = pd.to_numeric(occ["span"], errors="coerce").fillna(0).to_numpy(dtype=float)
    return occ["in_window"].to_numpy(dtype=bool) & (span >= BACKGROUND_DAYS)


def _set_background_aside(occ: pd.DataFrame,
                          by: str = "date") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Background rows on days a shorter event covers leave the competition for the day; the
    returned frame (index: ``by``, the day, or a series' day) names the background there (the
    longest, if several)."""
    bg = _is_background(occ)
    fg_in = occ["in_window"].to_numpy(dtype=bool) & ~bg
    fg_days = pd.Index(occ[by][fg_in].unique())
    under = bg & occ[by].isin(fg_days).to_numpy()
    if not under.any():
        return occ, pd.DataFrame(columns=list(_UNDER))
    first = (occ[under].sort_values("span", ascending=False, kind="stable")
             .drop_duplicates(by).set_index(by))
    named = first[["name", "kind", "key", "intensity"]].set_axis(list(_UNDER), axis=1)
    for col in ("lift", "var_lo", "var_hi"):  # at prediction, the background's own lift
        if col in first:
            named[col] = first[col]
    return occ[~under], named


def _most_specific(occ: pd.DataFrame, calendar: pd.DataFrame) -> pd.DataFrame:
    """``attribute_overlaps`` without the background rule: one event per day."""
    counts = calendar.groupby("name")["start"].nunique()
    return _fewest(occ, occ["name"].map(counts).fillna(1).to_numpy(dtype=float), "date")


def _fewest(occ: pd.DataFrame, n_occ: np.ndarray, by: str) -> pd.DataFrame:
    """The row of ``occ`` that wins its day (``by``: the date, or a series' day): an in-window
    row, or a shoulder of a day no window covers, of the name with the fewest occurrences
    (``n_occ`` per row; ties go to the first name in sort order, so one row a day). ``co``
    names the events of other kinds whose window covers a winning in-window day, one tuple
    (name, kind, key, intensity) per name (None where there is none): their lifts add to the
    winner's at prediction (the largest one of each kind), so the winner's lift is learned net
    of theirs."""
    inside = occ["in_window"].to_numpy(dtype=bool)
    frame = pd.DataFrame({by: occ[by].to_numpy(), "inside": inside, "n": n_occ,
                          "name": occ["name"].astype(str).to_numpy(),
                          "pos": np.arange(len(occ))})
    covered = frame.groupby(by)["inside"].transform("any").to_numpy(dtype=bool)
    frame = frame[inside == covered]  # in-window rows, or shoulders of uncovered days
    win = frame.sort_values([by, "n", "name", "pos"], kind="stable").drop_duplicates(by)
    keep = np.zeros(len(occ), dtype=bool)
    keep[win["pos"].to_numpy()] = True
    out = occ[keep]
    co: list[object] = [None] * len(out)
    kinds = occ["kind"].astype(str).to_numpy()
    winner_kind = dict(zip(win[by], kinds[win["pos"].to_numpy()], strict=True))
    rivals = frame[frame["inside"] & ~keep[frame["pos"].to_numpy()]]
    # an event of the winner's kind on its day is one event with it (a final that is also a
    # playoff game: the final's lift is the day's); other kinds add theirs
    rivals = rivals[kinds[rivals["pos"].to_numpy()] != rivals[by].map(winner_kind).to_numpy()]
    if len(rivals):
        rivals = rivals.drop_duplicates([by, "name"])
        src = occ.iloc[rivals["pos"].to_numpy()]
        named: dict[object, list[tuple[str, str, str, float]]] = {}
        for cell, name, kind, key, i in zip(rivals[by], src["name"], src["kind"], src["key"],
                                            src["intensity"], strict=True):
            named.setdefault(cell, []).append((str(name), str(kind), str(key), float(i)))
        co = [tuple(named[c]) if c in named else None for c in out[by]]
    return out.assign(co=pd.Series(co, index=out.index, dtype=object))


def _nanmedian(a: np.ndarray) -> np.ndarray:
    """Row medians ignoring NaN (NaN for an all-NaN row, without a warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(a, axis=1)


def _moments(obs: pd.DataFrame, r: np.ndarray) -> dict[str, np.ndarray]:
    """Per row, the terms whose group sums give ``_raw``'s weighted least-squares lift of ``r``
    per unit of intensity and its variance (columns ``w``, ``i``, ``noise`` of ``obs``)."""
    w, i, s2 = obs["w"].to_numpy(), obs["i"].to_numpy(), obs["noise"].to_numpy()
    return {"_wir": w * i * r, "_wii": w * i * i, "_wwiis": w * w * i * i * s2}


def _lsq(wir: Any, wii: Any, wwiis: Any) -> tuple[Any, Any]:
    """Weighted least-squares lift per unit of intensity and its variance from ``_moments``
    sums (scalars for one group, arrays for many)."""
    return wir / wii, wwiis / wii**2


def _shrink(b: Any, var_b: Any, mu0: Any, tau2: Any) -> tuple[Any, Any]:
    """Posterior mean and variance of a lift ``b`` (variance ``var_b``) under N(mu0, tau2)."""
    post_var = 1.0 / (1.0 / var_b + 1.0 / tau2)
    return post_var * (b / var_b + mu0 / tau2), post_var


def _posterior(sums: pd.DataFrame, mu0: np.ndarray, tau2: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and variance of each group's lift (rows of ``_moments`` sums) under the
    priors N(``mu0``, ``tau2``), as ``EventEffects._fit_group`` for one group."""
    b, var_b = _lsq(sums["_wir"].to_numpy(), sums["_wii"].to_numpy(),
                    sums["_wwiis"].to_numpy())
    return _shrink(b, var_b, mu0, tau2)


@dataclass(frozen=True)
class _Estimate:
    mean: float  # lift per unit of intensity, modelling scale
    var: float  # posterior variance of ``mean``


class EventEffects:
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
                  inside: np.ndarray | None = None) -> np.ndarray:
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
        """
        inside = affected if inside is None else inside
        out = np.full(len(z), np.nan)
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
        out[missing] = self._level_plus_offset(z, affected, m, missing, inside)
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
                           rows: np.ndarray, inside: np.ndarray | None = None) -> np.ndarray:
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
            wide = _nanmedian(self._same_phase(z, inside, p, m // p))
            out = np.where(never_free & np.isfinite(wide), wide, out)
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
        every = self._series_occurrences(cal, sids, first, last)
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
        every = self._series_occurrences(cal, sids, first, last)
        attributed = _attribute_many(every, cal, _rows_per_series(cal, sids))
        plain = [c for c in every.columns if c not in ("sid", "cell")]
        own = {sids[int(k)]: g[plain] for k, g in every.groupby("sid", sort=False)}
        own_attr = {sids[int(k)]: g.drop(columns=["sid", "cell"])
                    for k, g in attributed.groupby("sid", sort=False)}
        shift = offset or {}
        # event days at the end of the history, cleaned to the level of the seasons before
        # them, per series (with its day-to-day noise): ``_follow_level`` may move them
        tails: dict[str, tuple[np.ndarray, float]] = {}
        for sid, grid in panel.series.items():
            z = panel.fwd(grid.y) - shift.get(sid, 0.0)
            days = days_of[sid]
            occ = own.get(sid, every.iloc[:0][plain])
            affected = np.asarray(days.isin(occ["date"]))
            inside = np.asarray(days.isin(occ["date"][occ["in_window"].astype(bool)]))
            off = (unmarked or {}).get(sid)
            off = np.zeros(len(z), bool) if off is None else np.asarray(off, bool)
            base = self._baseline(z, affected | off, m, inside | off)
            resid = z - base
            clean = np.where(affected & np.isfinite(base), base, z)
            self.clean_[sid] = clean
            if (affected & ~np.isfinite(base)).any():
                unsized[sid] = affected & ~np.isfinite(base)
            if occ.empty:
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
                tails[sid] = (rows, noise)
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
            shut = pd.Series(closed_phases(grid.y, steps_per_day(panel.freq))
                             & (np.nan_to_num(grid.y, nan=0.0) == 0)).groupby(
                np.asarray(days)).all()
            keep &= ~shut.reindex(occ["date"]).fillna(value=False).to_numpy(dtype=bool)
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
            moved = self._follow_level(panel, cal, tails, shift)
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
                      tails: dict[str, tuple[np.ndarray, float]],
                      shift: dict[str, np.ndarray]) -> dict[str, tuple[pd.DatetimeIndex, float]]:
        """Move the baseline of each series' end-of-history event days (``tails``: their
        mask and the series' day-to-day noise) by how far their values net of the learned
        lifts ran off it, when that stands out (``tail_offset``); ``clean_`` is changed in
        place. Returns per series moved its days and the size."""
        if not tails:
            return {}
        spd = steps_per_day(panel.freq)
        lifts = self.lift_many({sid: panel.series[sid].ds for sid in tails}, cal)
        moved = {}
        for sid, (rows, noise) in tails.items():
            grid = panel.series[sid]
            z = panel.fwd(grid.y) - shift.get(sid, 0.0)
            lift, var_lo, var_hi = lifts[sid]
            resid = z[rows] - lift[rows] - self.clean_[sid][rows]
            var = np.maximum(np.maximum(var_lo[rows], var_hi[rows]), noise)
            size = tail_offset(resid, var, spd)
            if size:
                self.clean_[sid][rows] += size
                moved[sid] = (pd.DatetimeIndex(grid.ds[rows].normalize().unique()), size)
        self.tail_moved_ = {sid: size for sid, (_, size) in moved.items()}
        return moved

    def _reset(self) -> None:
        """Empty learned state (``_pool`` fills it)."""
        self.estimates_: dict[tuple[str, ...], dict[tuple[object, ...], _Estimate]] = {
            lvl: {} for lvl in _LEVELS}
        self.dispersion_: dict[str, float] = {}
        self.series_dispersion_: dict[tuple[str, str], float] = {}
        self.shifts_: dict[str, _Estimate] = {}
        self.running_: dict[tuple[str, str, pd.Timestamp], tuple[float, int]] = {}
        self.kind_spread_: dict[str, float] = {}
        self.kind_window_: dict[str, _Estimate] = {}
        self.series_kind_: dict[tuple[str, str, str], _Estimate] = {}
        self.max_intensity_: dict[str, float] = {}
        self.hour_profile_: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def _pool_with_backgrounds(self, obs: pd.DataFrame) -> None:
        """``_pool``, with a day several events share counted for the one it is attributed to
        net of the others' lifts: a background event's (a long window under a shorter event)
        and other short events' whose windows cover the day (Christmas on a newsletter
        Thursday). The others are learned first from the days they do not share, then taken
        out of the shared days, then everything is pooled again; prediction adds the lifts."""
        under = (obs["bg_name"].notna().to_numpy() if "bg_name" in obs
                 else np.zeros(len(obs), bool))
        shared = (obs["co"].notna().to_numpy() if "co" in obs
                  else np.zeros(len(obs), bool))
        self._reset()
        if not (under | shared).any() or (under | shared).all():
            # nothing shared, or no day of its own to learn from
            self._pool(obs)
            return
        self._pool(obs[~(under | shared)])
        known: dict[tuple[str, str, str, str, float], float] = {}

        def lift(sid: str, name: str, kind: str, key: str, i: float) -> float:
            k = (sid, name, kind, key, i)
            if k not in known:
                known[k] = self.effect(sid, name, kind, key, i)[0]
            return known[k]

        def others(sid: str, co: tuple[tuple[str, str, str, float], ...]) -> float:
            """The lifts of the other kinds on a day: the largest |lift| of each kind, added
            (as ``lift_many`` does)."""
            per_kind: dict[str, float] = {}
            for name, kind, key, i in co:
                v = lift(sid, name, kind, key, i)
                if abs(v) > abs(per_kind.get(kind, 0.0)) or kind not in per_kind:
                    per_kind[kind] = v
            return sum(per_kind.values())

        take = np.zeros(len(obs))
        take[shared] = [others(str(sid), co) for sid, co in
                        zip(obs["series_id"][shared], obs["co"][shared], strict=True)]
        if under.any():
            rows = obs[under]
            take[under] += np.array([lift(str(r.series_id), str(r.bg_name), str(r.bg_kind),
                                          str(r.bg_key), float(r.bg_intensity))
                                     for r in rows.itertuples()])
        obs = obs.assign(r=obs["r"].to_numpy(dtype=float) - take)
        self._reset()
        self._pool(obs)

    @staticmethod
    def _hour_deviations(ds: pd.DatetimeIndex, days: pd.DatetimeIndex, resid: np.ndarray,
                         day_resid: pd.Series, affected: np.ndarray,
                         occ: pd.DataFrame) -> pd.DataFrame:
        """Sub-daily series: each event day's period residuals minus the day's mean residual
        (its shape within the day), with kind, key and period of the day; ``noise`` is the
        spread of the same deviation on days no event touches."""
        dev = resid - day_resid.reindex(days).to_numpy()
        slot = np.asarray((ds - days) / (ds[1] - ds[0]) if len(ds) > 1 else np.zeros(len(ds)),
                          dtype=float).round().astype(int)
        quiet = dev[~affected & np.isfinite(dev)]
        noise = (float((1.4826 * np.median(np.abs(quiet - np.median(quiet)))) ** 2)
                 if len(quiet) >= 10 else 1.0)
        frame = pd.DataFrame({"date": np.asarray(days), "slot": slot, "dev": dev})
        first = occ.drop_duplicates("date")[["date", "kind", "key"]]
        out = frame.merge(first, on="date", how="inner")
        out = out[np.isfinite(out["dev"])]
        return out.assign(noise=max(noise, 1e-4))

    def _pool_hours(self, obs: pd.DataFrame, spd: int) -> None:
        """Per (kind, key), the shape of an event day within the day: a mean deviation per
        period of the day, shrunk towards 0 (the ordinary day's shape) with prior sd
        ``group_sd`` (a holiday's hours run like a Sunday's, not like a scaled-down weekday)."""
        prior = 1.0 / self.group_sd**2
        for (kind, key), g in obs.groupby(["kind", "key"], sort=False):
            prec = np.zeros(spd)
            tot = np.zeros(spd)
            np.add.at(prec, g["slot"].to_numpy(), 1.0 / g["noise"].to_numpy())
            np.add.at(tot, g["slot"].to_numpy(), g["dev"].to_numpy() / g["noise"].to_numpy())
            var = 1.0 / (prec + prior)
            self.hour_profile_[(str(kind), str(key))] = (tot * var, var)

    @staticmethod
    def _occurrence_spread(obs: pd.DataFrame) -> dict[tuple[str, str], float]:
        """Per series and key, the spread of single occurrences of one name beyond day-to-day
        noise.

        Method of moments: the within-name variance of a series' lifts per unit of intensity,
        minus that series' mean noise variance, floored at 0, shrunk towards the key's figure
        (the median over the series where a name was seen twice) with ``_DISPERSION_PRIOR``
        pseudo-degrees of freedom; keys where no name was seen twice use the figure pooled over
        all keys and series. Per series, so a small noisy series (0-5 orders a day) does not
        widen a big series' event days.
        """
        # one value per occurrence and key: the days of one occurrence past d5 share the key
        # d6+, and their spread within the occurrence (a closure's open and shut weekdays: 0
        # and -9 on the log scale) is not a spread between occurrences; counted as such it had
        # given every key of every series a spread of 13.5, and a 6-day closure's neighbours a
        # P90 60x the usual
        obs = obs.groupby(["series_id", "name", "key", "start"], sort=False, dropna=False).agg(
            i=("i", "mean"), r=("r", "mean"), noise=("noise", "mean")).reset_index()
        i, r = obs["i"].to_numpy(dtype=float), obs["r"].to_numpy(dtype=float)
        groups = obs.groupby(["series_id", "name", "key"], sort=False).ngroup().to_numpy()
        size = np.bincount(groups)[groups]
        b = (np.bincount(groups, weights=i * r) / np.bincount(groups, weights=i * i))[groups]
        rows = pd.DataFrame({"sid": obs["series_id"].astype(str).to_numpy(),
                             "key": obs["key"].astype(str).to_numpy(),
                             "sq": (r - b * i) ** 2, "group": groups})[size >= 2]
        per = rows.groupby(["sid", "key"], sort=False).agg(
            sq=("sq", "sum"), n=("sq", "size"), groups=("group", "nunique"))
        ss = {k: float(v) for k, v in per["sq"].items()}
        dof = {k: int(v) for k, v in (per["n"] - per["groups"]).items()}
        noise = obs.groupby(obs["series_id"].astype(str))["noise"].mean()
        total_dof = sum(dof.values())
        overall = (max(0.0, sum(ss.values()) / total_dof - float(obs["noise"].mean()))
                   if total_dof >= 2 else 0.0)
        own = {k: max(0.0, ss[k] / d - float(noise[k[0]])) for k, d in dof.items() if d >= 2}
        by_key: dict[str, list[float]] = {}
        for (_, key), v in own.items():
            by_key.setdefault(key, []).append(v)
        key_level = {key: float(np.median(v)) for key, v in by_key.items()}
        out = {}
        pairs = obs[["series_id", "key"]].astype(str).drop_duplicates()
        for sid, key in pairs.itertuples(index=False, name=None):
            prior = key_level.get(key, overall)
            k, d = (sid, key), dof.get((sid, key), 0)
            out[k] = ((d * own[k] + _DISPERSION_PRIOR * prior) / (d + _DISPERSION_PRIOR)
                      if k in own else prior)
        return out

    def _pool(self, obs: pd.DataFrame) -> None:
        obs = obs.copy()
        for col in ("series_id", "name", "kind", "key"):  # Python strings: the loops below
            obs[col] = obs[col].to_numpy(dtype=object)  # iterated Arrow arrays 1M times
        obs["i"] = obs["intensity"].astype(float).where(obs["intensity"].astype(float) != 0, 1.0)
        # an occurrence's lift varies around its name's lift by more than the day-to-day
        # noise (a game won or lost, a sale with a stronger offer); its variance is
        # noise + spread, so a name seen once with an unusual lift is pulled towards its kind
        self.spread_ = self._occurrence_spread(obs)
        pair = pd.MultiIndex.from_arrays([obs["series_id"].astype(str), obs["key"].astype(str)])
        obs["noise"] = obs["noise"] + pd.Series(self.spread_, dtype=float).reindex(
            pair).fillna(0.0).to_numpy()
        obs["w"] = 0.5 ** (obs["age"].astype(float) / self.halflife_days)
        # kinds differ by more than group_sd where their lifts are of another order (a closure
        # and a promotion): a kind then keeps its own lift rather than the all-events average
        self.kind_spread_ = self._kind_spread(obs)
        # lifts are per unit of intensity; beyond the largest intensity a kind was seen with
        # the log lift would be extrapolated linearly (a sale seen at 30-50% off, asked at the
        # default intensity 1.0, came out at +1,900%): predictions cap the mean there
        self.max_intensity_ = {str(k): float(v) for k, v in
                               obs.groupby("kind")["i"].max().items() if np.isfinite(v)}
        self.kind_window_ = {str(kind): self._fit_group(g, 0.0, self.prior_sd**2)
                             for kind, g in obs[obs["in_window"].astype(bool)].groupby("kind")}
        obs = obs.assign(**_moments(obs, obs["r"].to_numpy()))
        for depth, level in enumerate(_LEVELS):
            cols = list(level)
            sums = obs.groupby(cols, sort=False)[["_wir", "_wii", "_wwiis"]].sum()
            first = obs.drop_duplicates(cols)  # each group's first row, in the groups' order
            keys = [k if isinstance(k, tuple) else (k,) for k in sums.index]
            if depth == 0:
                mu0 = np.zeros(len(keys))
                tau2 = np.full(len(keys), self.prior_sd**2)
            else:
                up = self.estimates_[_LEVELS[depth - 1]]
                parents = [up[tuple(row)] for row in
                           first[list(_LEVELS[depth - 1])].itertuples(index=False, name=None)]
                mu0 = np.array([e.mean for e in parents])
                tau2 = np.array([e.var for e in parents])
                if depth == 1:
                    tau2 = tau2 + np.array([self.kind_spread_.get(str(k[-1]), self.group_sd**2)
                                            for k in keys])
                else:
                    tau2 = tau2 + self.group_sd**2
                if level == ("name", "key"):
                    # a name's common offset from its kind, on its event days
                    inside = first["in_window"].to_numpy(dtype=bool)
                    shifts = [self.shifts_.get(str(n)) if ok else None
                              for n, ok in zip(first["name"], inside, strict=True)]
                    mu0 = mu0 + np.array([0.0 if e is None else e.mean for e in shifts])
                    tau2 = tau2 + np.array([0.0 if e is None else e.var for e in shifts])
            mean, var = _posterior(sums, mu0, tau2)
            est = {k: _Estimate(float(m), float(v)) for k, m, v in zip(keys, mean, var,
                                                                        strict=True)}
            self.estimates_[level] = est
            if level == ("kind", "key"):
                self.shifts_ = self._name_shifts(obs, est)
                self.series_kind_ = self._series_kind(obs, est)
        # spread of single occurrences around the most specific estimate, per key
        fitted = np.array([
            self.estimates_[_LEVELS[-1]][(s, n, k)].mean * i
            for s, n, k, i in zip(obs["series_id"], obs["name"], obs["key"], obs["i"],
                                  strict=True)])
        sq = (obs["r"].to_numpy() - fitted) ** 2
        self._fit_dispersion(obs, sq)
        self._fit_running(obs, obs["r"].to_numpy() - fitted)

    def _fit_running(self, obs: pd.DataFrame, resid: np.ndarray) -> None:
        """Per (series, name, start) of an occurrence still running at the series' last
        period, how far its days so far ran from the learned lift: their mean residual,
        shrunk towards 0 as a random effect of the occurrence (occurrence spread against
        day-to-day noise over the days seen). ``lift_many`` adds it to the occurrence's
        remaining days: a sale whose first three days ran 17% below its learned lift is not
        forecast at that lift for the rest of its window, as an occurrence's lift differs
        from its name's by the spread its history shows."""
        self.running_ = {}
        inside = obs["in_window"].to_numpy(dtype=bool)
        date = pd.to_datetime(obs["date"])
        last = date + pd.to_timedelta(obs["age"].astype(float), unit="D")
        end = pd.to_datetime(obs["start"]) + pd.to_timedelta(
            pd.to_numeric(obs["span"], errors="coerce").fillna(1).astype(float) - 1, unit="D")
        live = inside & (end > last).to_numpy() & np.isfinite(resid)
        if not live.any():
            return
        spread = pd.Series(self.spread_, dtype=float)
        pair = pd.MultiIndex.from_arrays([obs["series_id"].astype(str),
                                          obs["key"].astype(str)])
        tau2 = spread.reindex(pair).fillna(0.0).to_numpy()
        noise = np.maximum(obs["noise"].to_numpy(dtype=float) - tau2, 1e-6)
        frame = pd.DataFrame({"sid": obs["series_id"].astype(str).to_numpy(),
                              "name": obs["name"].astype(str).to_numpy(),
                              "start": pd.to_datetime(obs["start"]).to_numpy(),
                              "e": resid, "tau2": tau2, "noise": noise})[live]
        for (sid, name, start), g in frame.groupby(["sid", "name", "start"], sort=False):
            n, t2, s2 = len(g), float(g["tau2"].mean()), float(g["noise"].mean())
            if t2 <= 0:
                continue
            share = t2 / (t2 + s2 / n)
            self.running_[(sid, name, pd.Timestamp(start))] = (
                share * float(g["e"].mean()), n)

    def _fit_dispersion(self, obs: pd.DataFrame, sq: np.ndarray) -> None:
        """Per series and key, the spread of single occurrences around their estimate.

        Each series' own (recency-weighted mean of squared residuals: day-to-day noise plus
        occurrence spread, on the modelling scale), shrunk with ``_DISPERSION_PRIOR``
        pseudo-occurrences towards what the series' noise and occurrence spread imply (the mean
        of ``obs["noise"]``). ``dispersion_`` per key, the median over series, serves a series
        without that key. Pooled over series, one noisy small series (orders of 0-5 a day) had
        widened a big series' event-day band 3x (log(P90/P10) 0.30 -> 0.92).
        """
        frame = pd.DataFrame({"series_id": obs["series_id"].astype(str).to_numpy(),
                              "key": obs["key"].astype(str).to_numpy(),
                              "wsq": obs["w"].to_numpy() * sq, "w": obs["w"].to_numpy(),
                              "noise": obs["noise"].to_numpy(dtype=float)})
        per = frame.groupby(["series_id", "key"], sort=False).agg(
            wsq=("wsq", "sum"), w=("w", "sum"), noise=("noise", "mean"))
        k = _DISPERSION_PRIOR
        own = (per["wsq"] + k * per["noise"]) / (per["w"] + k)
        self.series_dispersion_ = {(str(sid), str(key)): float(v)
                                   for (sid, key), v in own.items()}
        self.dispersion_ = {str(key): float(v) for key, v in
                            own.groupby(level="key", sort=False).median().items()}

    @staticmethod
    def _raw(g: pd.DataFrame) -> tuple[float, float]:
        """Weighted least-squares lift per unit of intensity of a group, and its variance."""
        m = _moments(g, g["r"].to_numpy())
        b, var_b = _lsq(float(np.sum(m["_wir"])), float(np.sum(m["_wii"])),
                        float(np.sum(m["_wwiis"])))
        return float(b), float(var_b)

    def _fit_group(self, g: pd.DataFrame, mu0: float, tau2: float) -> _Estimate:
        """Posterior of a group's lift under the prior N(``mu0``, ``tau2``)."""
        mean, var = _shrink(*self._raw(g), mu0, tau2)
        return _Estimate(float(mean), float(var))

    def _kind_spread(self, obs: pd.DataFrame) -> dict[str, float]:
        """Per key, the variance of kinds' lifts around all events, floored at ``group_sd``².

        Method of moments, as for occurrences: the variance of the kinds' raw lifts minus their
        mean sampling variance. Kinds of opposite sign or another order (closures at -8, a
        promotion at +0.5) get a wide prior, so each keeps its own lift; with one kind, or
        kinds that agree, the spread is ``group_sd``² as for the other levels.
        """
        out: dict[str, float] = {}
        for key, g in obs.groupby("key", sort=False):
            raw = [self._raw(k) for _, k in g.groupby("kind", sort=False)]
            spread = 0.0
            if len(raw) >= 2:
                b = np.array([r[0] for r in raw])
                spread = float(np.var(b, ddof=1) - np.mean([r[1] for r in raw]))
            out[str(key)] = max(self.group_sd**2, spread)
        return out

    def _name_shifts(self, obs: pd.DataFrame,
                     kind_key: dict[tuple[object, ...], _Estimate]) -> dict[str, _Estimate]:
        """Each name's common offset from its kind over its event days (shrunk towards 0).

        A name larger than its kind on the event days it was observed is expected to be larger
        on its unobserved event days too (a final whose day-after was never recorded). Shoulder
        days carry weaker effects and neither inform nor receive the offset.
        """
        obs = obs[obs["in_window"].astype(bool)]
        base = np.array([kind_key[(k, key)].mean for k, key in zip(obs["kind"], obs["key"],
                                                                   strict=True)])
        dev = obs["r"].to_numpy() - obs["i"].to_numpy() * base
        sums = obs.assign(**_moments(obs, dev)).groupby("name", sort=False)[
            ["_wir", "_wii", "_wwiis"]].sum()
        mean, var = _posterior(sums, np.zeros(len(sums)), np.full(len(sums), self.group_sd**2))
        return {str(n): _Estimate(float(m), float(v))
                for n, m, v in zip(sums.index, mean, var, strict=True)}

    def _series_kind(self, obs: pd.DataFrame,
                     kind_key: dict[tuple[object, ...], _Estimate]
                     ) -> dict[tuple[str, str, str], _Estimate]:
        """Per (series, kind, key), the series' offset from its kind's lift (shrunk towards 0).

        Names and series are crossed: one series' launches can run at 10x while another's run
        at 2x, and a launch with a new name (every launch has its own name) would otherwise get
        the kind's lift pooled over all series. For a name not seen in a series, ``effect``
        adds this offset to the name's (or kind's) lift. Only kinds seen in two or more series
        get offsets: with one series, the kind's lift already is the series' own.
        """
        n_series = obs.groupby("kind")["series_id"].nunique()
        multi = obs[obs["kind"].map(n_series).to_numpy() >= 2]
        if multi.empty:
            return {}
        bases = [kind_key[(k, key)] for k, key in zip(multi["kind"], multi["key"], strict=True)]
        dev = multi["r"].to_numpy() - multi["i"].to_numpy() * np.array([b.mean for b in bases])
        cols = ["series_id", "kind", "key"]
        sums = multi.assign(**_moments(multi, dev)).groupby(cols, sort=False)[
            ["_wir", "_wii", "_wwiis"]].sum()
        mean, var = _posterior(sums, np.zeros(len(sums)), np.full(len(sums), self.group_sd**2))
        return {(str(sid), str(kind), str(key)): _Estimate(
                    float(m), float(v) + kind_key[(kind, key)].var)
                for (sid, kind, key), m, v in zip(sums.index, mean, var, strict=True)}

    # ------------------------------------------------------------- prediction
    def effect(self, series_id: str, name: str, kind: str, key: str,
               intensity: float) -> tuple[float, float, float]:
        """Lift and its predictive variance below and above it for one event day.

        From the most specific estimate (name in this series, name, kind) for this relative
        day; a day offset the kind never had (day 2 of a closure seen only as single days) uses
        the kind's lift pooled over its event days. Lifts are never borrowed from other kinds:
        an unknown kind (or a shoulder day its kind never had) gets no lift, with the prior
        spread (``prior_sd`` on event days, ``group_sd`` on shoulders) as its variance.
        An intensity beyond the largest seen for the kind keeps the lift of the largest one and
        widens only the side the lift points to: a 90%-off sale is not forecast below a
        30%-off one (the check that found this saw P10 at 13% of the no-event baseline).
        """
        i = float(intensity) if intensity else 1.0  # 1.0 = not given (the calendar default)
        candidates = (
            (_LEVELS[3], (series_id, name, key)),
            (_LEVELS[2], (name, key)),
            (_LEVELS[1], (kind, key)),
        )
        disp = getattr(self, "series_dispersion_", {}).get(  # absent in older models
            (series_id, key), self.dispersion_.get(key, 0.0))
        on_event = key.startswith("d")
        for depth, (level, k) in enumerate(candidates):
            est = self.estimates_[level].get(k)
            pooled = getattr(self, "kind_window_", {}).get(kind)  # absent in older models
            if est is None and depth == 2 and on_event and pooled is not None:
                est = _Estimate(pooled.mean, pooled.var + self.group_sd**2)
            if est is not None and depth >= 2 and name in self.shifts_ and on_event:
                # a known name on a day offset it was never observed on: its kind's profile
                # moved by the name's common offset
                shift = self.shifts_[name]
                est = _Estimate(est.mean + shift.mean, est.var + shift.var + self.group_sd**2)
            if est is not None and depth >= 1:
                # a name this series never had on this day: the series' own offset from the
                # kind (its launches run larger or smaller than other series')
                off = getattr(self, "series_kind_", {}).get((series_id, kind, key))
                if off is not None:
                    est = _Estimate(est.mean + off.mean, est.var + off.var)
            if est is not None:
                cap = getattr(self, "max_intensity_", {}).get(kind)  # absent in older models
                if cap is not None and i > cap:
                    # beyond the intensities seen: the mean stays at the largest one seen, the
                    # interval keeps the full spread of the intensity asked for on the side
                    # the lift points to
                    # the side away from the lift keeps the spread of the largest intensity
                    # seen (a shoulder day's small dip must not open the band downward 3x)
                    base = est.var * cap * cap + disp
                    more = est.var * i * i + disp + (est.mean * (i - cap)) ** 2
                    return (est.mean * cap, *((base, more) if est.mean >= 0 else (more, base)))
                return est.mean * i, est.var * i * i + disp, est.var * i * i + disp
        prior = self.prior_sd if on_event else self.group_sd
        return 0.0, prior**2 * i * i, prior**2 * i * i

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
        days = {sid: periods[sid].normalize() for sid in asked}
        first = np.array([days[sid][0] for sid in asked], dtype="datetime64[ns]")
        last = np.array([days[sid][-1] for sid in asked], dtype="datetime64[ns]")
        # only events whose window or shoulders reach the periods asked (a 42-day forecast
        # had expanded every past promotion of the store first)
        near = ((cal["end"] >= first.min() - pd.Timedelta(days=self.post_days))
                & (cal["start"] <= last.max() + pd.Timedelta(days=self.pre_days))).to_numpy()
        cal = cal[near]
        occ = self._series_occurrences(cal, asked, first, last)
        if occ.empty:
            return out
        origin = first.min()
        width = int((last.max() - origin) // np.timedelta64(1, "D")) + 1
        # one ``effect`` per distinct (series, name, kind, key, intensity): a promotion
        # repeated every fortnight shares it
        what = ["sid", "name", "kind", "key", "intensity"]
        group = occ.groupby(what, sort=False, dropna=False).ngroup().to_numpy()
        distinct = occ[what].drop_duplicates()  # the groups' first rows, in ngroup's order
        vals = np.array([self.effect(asked[r.sid], r.name, r.kind, r.key, r.intensity)
                         for r in distinct.itertuples(index=False)], dtype=float).reshape(-1, 3)
        at = vals[group]
        occ = occ.assign(lift=at[:, 0], var_lo=at[:, 1], var_hi=at[:, 2])
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
        occ["rank"] = occ["in_window"].astype(int) * 1e6 + occ["lift"].abs()
        # a background event (a long window) adds its lift under a shorter event's days
        occ, under = _set_background_aside(occ, by="cell")
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
        n_of = np.array([len(days[sid]) for sid in asked])
        want = np.concatenate([
            j * width + (days[sid].to_numpy(dtype="datetime64[ns]") - origin)
            // np.timedelta64(1, "D") for j, sid in enumerate(asked)])
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
            at_ = 0
            for sid, n in zip(asked, n_of, strict=True):
                ds = periods[sid]
                if n > 1:
                    slot[at_:at_ + n] = np.asarray((ds - days[sid]) / (ds[1] - ds[0]),
                                                   dtype=float).round().astype(int)
                at_ += n
            kinds = np.where(hit, best["kind"].to_numpy(dtype=object)[np.maximum(pos, 0)], None)
            keys = np.where(hit, best["key"].to_numpy(dtype=object)[np.maximum(pos, 0)], None)
            for (kind, key), (mean, pvar) in profiles.items():
                sel = (kinds == kind) & (keys == key) & (slot < len(mean))
                cols["lift"][sel] += mean[slot[sel]]
                cols["var_lo"][sel] += pvar[slot[sel]]
                cols["var_hi"][sel] += pvar[slot[sel]]
        split = np.cumsum(n_of)[:-1]
        parts = {c: np.split(v, split) for c, v in cols.items()}
        for j, sid in enumerate(asked):
            out[sid] = (parts["lift"][j], parts["var_lo"][j], parts["var_hi"][j])
        return out

    def _series_occurrences(self, cal: pd.DataFrame, asked: list[str], first: np.ndarray,
                            last: np.ndarray) -> pd.DataFrame:
        """``occurrence_days`` of every series in ``asked`` between its ``first`` and ``last``
        day, in one frame (each series' rows in that function's order) with ``sid`` (the
        series' position in ``asked``) and ``cell`` (a series' day as one number, from the
        earliest first day): the calendar is expanded once and each series takes the blocks of
        the rows that apply to it (``_rows_per_series``)."""
        cols = ["date", "name", "kind", "intensity", "key", "in_window", "start", "span"]
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in (*cols, "sid", "cell")})
        every = _expand(cal, self.pre_days, self.post_days, self.max_offset)
        if every.empty or not asked:
            return empty
        ev = every["ev"].to_numpy(dtype=np.int64)
        begin = np.searchsorted(ev, np.arange(len(cal)))
        count = np.searchsorted(ev, np.arange(len(cal)), side="right") - begin
        rows = _rows_per_series(cal, asked)
        code = np.repeat(np.arange(len(asked)), [len(r) for r in rows])
        blocks = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        size = count[blocks]
        take = (np.repeat(begin[blocks] - np.cumsum(size) + size, size)
                + np.arange(int(size.sum())))
        sid_code = np.repeat(code, size)
        occ = every.iloc[take].drop(columns="ev").reset_index(drop=True)
        date = occ["date"].to_numpy(dtype="datetime64[ns]")
        inside = (date >= first[sid_code]) & (date <= last[sid_code])
        occ, sid_code = occ[inside].reset_index(drop=True), sid_code[inside]
        if occ.empty:
            return empty
        origin = first.min()
        day_no = (occ["date"].to_numpy(dtype="datetime64[ns]") - origin) // np.timedelta64(1, "D")
        width = int((last.max() - origin) // np.timedelta64(1, "D")) + 1
        occ["cell"] = sid_code.astype(np.int64) * width + day_no
        occ["sid"] = sid_code
        return occ

    def table(self) -> pd.DataFrame:
        """Learned lifts per (name, key) on the modelling scale, for reports."""
        rows = [{"name": k[0], "key": k[1], "lift": e.mean, "sd": float(np.sqrt(e.var))}
                for k, e in self.estimates_.get(_LEVELS[2], {}).items()]
        return pd.DataFrame(rows, columns=["name", "key", "lift", "sd"])
