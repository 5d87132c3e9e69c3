"""Events that share days in a forecast: which peak rows read their lift over a forecast that
keeps other events (``_shared_days``, ``overlap_note``), and those forecasts without each such
event (``forecasts_without``), the baselines of their rows in ``peak_summary``. Copies of one
event entered once per channel are one event (``_copies``); on an aggregate series, so are the
rows of one kind and the same days entered for several channels under their own names (each
store's promotion of one wave, each region's holiday of one day: ``aggregate_events``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from features._calendar import applies_to, is_aggregate, normalize_calendar, series_channel

from ._forecast_text import listed

__all__ = ["aggregate_events", "event_label", "event_reach", "forecasts_without", "overlap_note"]


def _event_key(name: object, start: object, channel: object) -> tuple:
    """An event's identity in ``forecasts_without``: (name, first day, channel or None)."""
    return (str(name), pd.Timestamp(start).normalize(),  # type: ignore[arg-type]
            None if channel is None or pd.isna(channel) else str(channel))


def event_reach(model: object) -> tuple[int, int]:
    """Days before and after an event's window whose forecast the event can move (its
    shoulder days: ``EventEffects.pre_days`` / ``post_days``, the largest over an ensemble's
    members; 2 and 3 for a model without them)."""
    pre, post = 0, 0
    for holder in (model, *getattr(model, "members_", [])):
        eff = getattr(holder, "effects_", None) or getattr(holder, "events", None)
        pre = max(pre, int(getattr(eff, "pre_days", 0) or 0))
        post = max(post, int(getattr(eff, "post_days", 0) or 0))
    return (pre or 2, post or 3)


def _copies(cal: pd.DataFrame) -> np.ndarray:
    """Per row of ``cal`` (a normalized calendar), the id of its event: rows with one name,
    kind, first and last day are one event entered once per channel (a spring sale on
    ``email`` and on ``social``), left out together and never each other's overlap."""
    return cal.groupby([cal["name"].astype(str), cal["kind"].astype(str),
                        cal["start"].dt.normalize(), cal["end"].dt.normalize()],
                       sort=False, dropna=False).ngroup().to_numpy()


def aggregate_events(cal: pd.DataFrame, copies: np.ndarray | None = None) -> np.ndarray:
    """Per row of ``cal`` (a normalized calendar), the id of its event on an aggregate series
    (``total``), which takes every channel's events: the copies of ``_copies``, and rows with
    a channel, of one kind and the same first and last day, entered for two channels or more
    (60 stores' promotions of one wave, named per store; one day's holidays of several
    regions, entered per store). On the aggregate they are one event: one peak row whose
    lift is what they add together. Each had had a row of its own, read over the others
    kept: of one kind the largest lift stands for a day, so on an independent check's
    chain 'total' the first store of each wave (the name a shared day's lift was attributed
    to in the fit: the first in sort order) read +927% and the 18 others +0.0%, and one
    regional holiday was listed 19 times. A channel's own series never takes another
    channel's rows, so there the ids change nothing. ``copies``: ``_copies(cal)`` when already
    known."""
    ids = _copies(cal) if copies is None else copies
    has = cal["channel"].notna().to_numpy()
    if has.sum() < 2:
        return ids
    sub = cal[has]
    keys = [sub["kind"].astype(str), sub["start"].dt.normalize(), sub["end"].dt.normalize()]
    wide = (sub["channel"].astype(str).groupby(keys, sort=False).transform("nunique")
            .to_numpy() > 1)
    if not wide.any():
        return ids
    wave = sub.groupby(keys, sort=False).ngroup().to_numpy()[wide]
    pos = np.flatnonzero(has)[wide]
    first: dict[int, int] = {}
    remap: dict[int, int] = {}
    for p, w in zip(pos.tolist(), wave.tolist(), strict=True):
        remap[int(ids[p])] = first.setdefault(w, int(ids[p]))
    return np.array([remap.get(int(i), int(i)) for i in ids], dtype=ids.dtype)


def event_label(cal: pd.DataFrame, rows: np.ndarray | list[int]) -> str:
    """The ``window`` of a peak row that stands for the rows ``rows`` of ``cal`` (positions,
    one event of ``aggregate_events``): its name when they share one (copies on several
    channels), else the first name, how many other names and on how many channels
    ('Promo store_02 2026-10-26 and 18 more 'promotion' events on 19 channels')."""
    part = cal.iloc[list(rows)]
    names = list(dict.fromkeys(part["name"].astype(str)))
    if len(names) == 1:
        return names[0]
    channels = part["channel"].dropna().astype(str).nunique()
    return (f"{names[0]} and {len(names) - 1} more '{part['kind'].iloc[0]}' "
            f"event{'s' if len(names) > 2 else ''} on {channels} channels")


def _windows(cal: pd.DataFrame, forecast: pd.DataFrame, reach: tuple[int, int]
             ) -> tuple | None:
    """The calendar rows whose reach meets the forecast periods, and the groups of series that
    read the same rows over the same periods (one channel, or the aggregates): ``rows``
    (positions in ``cal``), per row its window's first and last day and its reach's (int64
    nanoseconds), and ``[(first, last, series, mine)]`` with ``mine`` the positions in ``rows``
    of the rows that apply to the group. None when fewer than two rows are near."""
    span = forecast.groupby("series_id")["ds"].agg(["min", "max"])
    if cal.empty or span.empty:
        return None
    pre, post = (np.int64(pd.Timedelta(days=int(d)).value) for d in reach)
    start = cal["start"].dt.normalize().to_numpy(dtype="datetime64[ns]").view("int64")
    end = cal["end"].dt.normalize().to_numpy(dtype="datetime64[ns]").view("int64")
    lo_all = pd.Timestamp(span["min"].min()).normalize().value
    hi_all = pd.Timestamp(span["max"].max()).normalize().value
    rows = np.flatnonzero((start - pre <= hi_all) & (end + post >= lo_all))
    if len(rows) < 2:
        return None
    sub = cal.iloc[rows]
    groups: dict[tuple, list[str]] = {}
    for sid, (first, last) in span.iterrows():
        key = ("*" if is_aggregate(str(sid)) else series_channel(str(sid)),
               pd.Timestamp(first).normalize().value, pd.Timestamp(last).normalize().value)
        groups.setdefault(key, []).append(str(sid))
    out = [(first, last, sids, np.flatnonzero(applies_to(sub, sids[0])))
           for (_, first, last), sids in groups.items()]
    s0, e0 = start[rows], end[rows]
    return rows, s0, e0, s0 - pre, e0 + post, [g for g in out if len(g[3]) >= 2]


def _reached(lo: np.ndarray, hi: np.ndarray, r0: np.ndarray, r1: np.ndarray,
             event: np.ndarray) -> np.ndarray:
    """Per window ``[lo, hi]`` (empty when ``lo > hi``): whether the reach ``[r0, r1]`` of a
    row of another event meets it. A sweep over the reaches sorted by their first day, keeping
    the furthest last day so far and the furthest of another event than that one's, so the
    cost grows as n log n (a 10,000-row calendar had built 10,000 x 10,000 matrices)."""
    order = np.argsort(r0, kind="stable")
    far1, ev1, far2 = [], [], []
    best, best_ev, other = np.iinfo(np.int64).min, -1, np.iinfo(np.int64).min
    for value, ev in zip(r1[order].tolist(), event[order].tolist(), strict=True):
        if value > best:
            if ev != best_ev:
                other = best
            best, best_ev = value, ev
        elif ev != best_ev and value > other:
            other = value
        far1.append(best)
        ev1.append(best_ev)
        far2.append(other)
    k = np.searchsorted(r0[order], hi, side="right") - 1
    seen = k >= 0
    k = np.maximum(k, 0)
    furthest = np.where(np.asarray(ev1)[k] != event, np.asarray(far1)[k], np.asarray(far2)[k])
    return seen & (lo <= hi) & (furthest >= lo)


def _shared_days(cal: pd.DataFrame, forecast: pd.DataFrame, reach: tuple[int, int],
                 near: tuple | None = None) -> list[tuple[int, list[str]]]:
    """Per row of ``cal`` (a normalized calendar) with a day in some series' forecast periods
    that another event applying to that series reaches (its window, ``reach[0]`` days before
    it or ``reach[1]`` after): the row's position and those series, by position.

    Series that read the same rows (one channel, or the aggregates) over the same periods are
    looked at once, and only rows whose reach meets the forecast periods are compared (a
    1,000-store promotion calendar, as in ``_kinds_new_to_series``). An event's own copies on
    other channels are the same event, not another one; on an aggregate, so are the rows of
    ``aggregate_events``. ``near``: ``_windows`` of the same
    arguments, when already known."""
    near = near if near is not None else _windows(cal, forecast, reach)
    if near is None:
        return []
    rows, s0, e0, r0, r1, groups = near
    copies = _copies(cal)
    event, chain = copies[rows], aggregate_events(cal, copies)[rows]
    hits: dict[int, set[str]] = {}
    for first, last, sids, mine in groups:
        lo, hi = np.maximum(s0[mine], first), np.minimum(e0[mine], last)
        ids = (chain if is_aggregate(sids[0]) else event)[mine]
        for i in np.flatnonzero(_reached(lo, hi, r0[mine], r1[mine], ids)):
            hits.setdefault(int(rows[mine[i]]), set()).update(sids)
    return [(i, sorted(sids)) for i, sids in sorted(hits.items())]


def _others(cal: pd.DataFrame, near: tuple, name: str,
            members: np.ndarray | None = None) -> set[str]:
    """The names of the other events whose reach meets a forecast day of an event called
    ``name`` on a series it applies to (``overlap_note``'s "with ..."; ``near``: the
    calendar's ``_windows``). ``members``: the event's rows (positions in ``cal``) when it is
    more than the rows called ``name`` (an aggregate's event of ``aggregate_events``)."""
    rows, s0, e0, r0, r1, groups = near
    names = cal["name"].astype(str).to_numpy()[rows]
    mask = names == name if members is None else np.isin(rows, members)
    found: set[str] = set()
    for first, last, _, mine in groups:
        own = mine[mask[mine]]
        lo, hi = np.maximum(s0[own], first), np.minimum(e0[own], last)
        keep = lo <= hi
        if not keep.any():
            continue
        # the days the event's windows cover, as disjoint runs
        order = np.argsort(lo[keep], kind="stable")
        lo, hi = lo[keep][order], np.maximum.accumulate(hi[keep][order])
        cut = np.r_[True, lo[1:] > hi[:-1]]
        run_lo, run_hi = lo[cut], np.r_[hi[np.flatnonzero(cut)[1:] - 1], hi[-1]]
        rest = mine[~mask[mine]]
        k = np.searchsorted(run_lo, r1[rest], side="right") - 1
        met = (k >= 0) & (run_hi[np.maximum(k, 0)] >= r0[rest])
        found.update(names[rest[met]].tolist())
    return found - set(names[mask].tolist())


def forecasts_without(
    calendar: pd.DataFrame | None,
    forecast: pd.DataFrame,
    predict: Callable[[pd.DataFrame, list[tuple[list[int], list[str]]]], list[pd.DataFrame]],
    reach: tuple[int, int] = (2, 3),
    batched: bool = True,
) -> dict[tuple, pd.DataFrame]:
    """For each event that shares forecast days with another event of a series (the other's
    window or its ``reach`` shoulder days), the forecast of those series without it, every
    other event kept: the baseline of its peak row (``peak_summary``'s ``without``).

    ``predict(calendar, jobs)`` forecasts, for each ``(rows, series)`` of ``jobs``, those
    series with ``calendar`` (normalized) without those rows (positions), all jobs at once:
    the model's ``predict_without`` with the same horizon and known-in-advance values (the
    LightGBM forecaster's trees read no calendar and a lift reads the events of its day only,
    so it passes the trees and the calendar once and recombines the days the rows reach;
    other forecasters run ``predict`` per job). Events whose reaches do
    not meet on a common series are left out together, so one forecast serves several
    (``batched``; False: one job per event, for a model whose jobs cost little, where
    finding the batches cost more than the jobs on a 1,000-store calendar); an event no other
    reaches needs none (its days are those of the no-event forecast). Keys: (name, first day,
    channel).
    """
    cal = normalize_calendar(calendar)
    if cal.empty or forecast.empty:
        return {}
    shared = _shared_days(cal, forecast, reach)
    if not shared:
        return {}
    def key(i: int) -> tuple:
        return _event_key(cal["name"].iloc[i], cal["start"].iloc[i], cal["channel"].iloc[i])

    # an event entered once per channel is left out with all its copies: on 'total', which
    # takes both, a spring sale on email and on social had each read +0.0% over the other; on
    # an aggregate, with every row of its ``aggregate_events`` event (a wave of promotions)
    key_of = {sid: "*" if is_aggregate(sid) else str(series_channel(sid))
              for _, sids in shared for sid in sids}
    copies = _copies(cal)
    ids = {False: copies, True: aggregate_events(cal, copies)}
    members: dict[bool, dict[int, list[int]]] = {False: {}, True: {}}
    for agg, event in ids.items():
        for pos, e in enumerate(event.tolist()):
            members[agg].setdefault(int(e), []).append(pos)

    def rows_of(i: int, agg: bool) -> list[int]:
        return members[agg][int(ids[agg][i])]

    # an event's aggregates apart from its other series: every store's promotion shares days
    # with the others on 'total' only, and together they would each need a forecast of its
    # own; an event of several rows on the aggregates once, not once per row
    items: list[tuple[int, list[str], bool]] = []
    seen: set[tuple] = set()
    for i, sids in shared:
        for agg in (False, True):
            part = [s for s in sids if (key_of[s] == "*") == agg]
            tag = (agg, int(ids[agg][i]), tuple(part))
            if part and not (agg and tag in seen):
                seen.add(tag)
                items.append((i, part, agg))

    def collect(groups: list[tuple[list[tuple[int, list[str], bool]], list[str]]]
                ) -> dict[tuple, pd.DataFrame]:
        jobs = [(sorted({p for i, _, agg in batch for p in rows_of(i, agg)}), sids)
                for batch, sids in groups]
        parts: dict[tuple, list[pd.DataFrame]] = {}
        for (batch, _), fc in zip(groups, predict(cal, jobs), strict=True):
            for i, sids, _ in batch:
                parts.setdefault(key(i), []).append(fc[fc["series_id"].astype(str).isin(sids)])
        return {key: pd.concat(frames, ignore_index=True) for key, frames in parts.items()}

    if not batched:
        return collect([([item], item[1]) for item in items])
    gap = np.timedelta64(max(int(d) for d in reach), "D")
    start = cal["start"].dt.normalize().to_numpy(dtype="datetime64[ns]")
    end = cal["end"].dt.normalize().to_numpy(dtype="datetime64[ns]")
    # series that read the same calendar rows share a key: the aggregates, or one channel
    masks: dict[str, np.ndarray] = {}
    for sid, k in key_of.items():
        if k not in masks:
            masks[k] = np.asarray(applies_to(cal, sid), dtype=bool)

    def clash(a: list[int], b: list[int], keys: set[str]) -> bool:
        """Whether leaving the rows ``b`` out too may move the days of the rows ``a`` or the
        other way round on a series of ``keys``: one reaches the other's window and both
        apply to it."""
        ia, ib = np.asarray(a)[:, None], np.asarray(b)[None, :]
        near = (start[ia] - gap <= end[ib]) & (end[ia] + gap >= start[ib])
        return any(bool((near & masks[k][ia] & masks[k][ib]).any()) for k in keys)

    batches: list[tuple[list[tuple[int, list[str], bool]], set[str]]] = []
    for i, sids, agg in items:
        mine = {key_of[s] for s in sids}
        for batch, keys in batches:
            if not any(clash(rows_of(i, agg), rows_of(j, other), keys | mine)
                       for j, _, other in batch):
                batch.append((i, sids, agg))
                keys |= mine
                break
        else:
            batches.append(([(i, sids, agg)], mine))
    return collect([(batch, sorted({sid for _, sids, _ in batch for sid in sids}))
                    for batch, _ in batches])


def overlap_note(calendar: pd.DataFrame | None, forecast: pd.DataFrame,
                 reach: tuple[int, int] = (2, 3), series: str | None = None) -> str | None:
    """Name the peak rows whose lift is read over a forecast that keeps other events (events
    that share days, ``forecasts_without``), or None. ``series``: one series' rows only."""
    cal = normalize_calendar(calendar)
    if cal.empty or forecast.empty:
        return None
    if series is not None:
        forecast = forecast[forecast["series_id"].astype(str) == series]
    near = _windows(cal, forecast, reach)
    names = cal["name"].astype(str).to_numpy()
    chain = aggregate_events(cal)
    # each event once, in calendar order, by its peak row's window: on an aggregate, the rows
    # of one ``aggregate_events`` event are one row; the other names only for those shown
    events: dict[str, np.ndarray | None] = {}
    for i, sids in _shared_days(cal, forecast, reach, near):
        group = np.flatnonzero(chain == chain[i])
        if all(is_aggregate(s) for s in sids) and len(set(names[group])) > 1:
            events.setdefault(event_label(cal, group), group)
        else:
            events.setdefault(str(names[i]), None)
    pairs = list(events)
    if not pairs or near is None:
        return None
    with_ = {name: listed([repr(o) for o in sorted(_others(cal, near, name, events[name]))], 3)
             for name in pairs[:4]}
    shown = listed([f"{name!r} (with {with_[name]})" for name in pairs[:4]] + pairs[4:], 4)
    return (f"{len(pairs)} event window(s) share days with other events (their windows or the "
            f"days just around them): {shown}. Each such row's lift_pct is what that event "
            "adds: its peak over the forecast without it, the other events kept (baseline_p50); "
            "read over the no-event forecast, an event on a sale's day had been credited with "
            "the sale")
