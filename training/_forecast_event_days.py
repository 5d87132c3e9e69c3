"""Which days each calendar event covers, and which event a day several events share counts for.

An event's days are its window (``d0``, ``d1``, ... ``d6+``) and ``pre_days`` shoulder days
before and ``post_days`` after it (``pre1``..., ``post1``...), for the series the event applies
to (``features._calendar.applies_to``: channel events to that channel's series and the totals).
On a day several events cover, events of one kind are one event (the most specific name wins
the day), events of other kinds are named beside it (``co``), and a background event (a window
of ``BACKGROUND_DAYS`` or more) is set aside under the shorter one (``bg_*`` columns); shoulder
days only count where no window covers the day. ``training._forecast_events.EventEffects``
measures and adds lifts on these days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features._calendar import applies_to, base_names, is_aggregate, series_channel

__all__ = ["BACKGROUND_DAYS", "attribute_many", "attribute_overlaps", "occurrence_days",
           "pooled_names", "rows_per_series", "series_occurrences", "set_background_aside"]

BACKGROUND_DAYS = 14
"""An event whose window runs this many days or more (a season, a launch period, a campaign
that runs all quarter) is a background: shorter events on its days add their lift to its lift
instead of one of them winning the day."""

_UNDER = ("bg_name", "bg_kind", "bg_key", "bg_intensity")
"""Columns naming the background event under a shorter event's day (NaN where none)."""


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


def rows_per_series(calendar: pd.DataFrame, series_ids: list[str]) -> list[np.ndarray]:
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
    occ, under = set_background_aside(occ)
    out = _most_specific(occ, calendar)
    return out.join(under, on="date") if len(under) else out.assign(
        **{c: pd.Series(np.nan, index=out.index, dtype=object) for c in _UNDER})


def attribute_many(occ: pd.DataFrame, calendar: pd.DataFrame,
                    rows: list[np.ndarray]) -> pd.DataFrame:
    """``attribute_overlaps`` of several series at once: ``occ`` holds their rows with ``sid``
    (a series' position) and ``cell`` (a series' day), ``rows[sid]`` the positions of the
    ``calendar`` rows that apply to the series (whose occurrence counts make a name specific)."""
    if occ.empty:
        return occ.assign(**{c: pd.Series(dtype=object) for c in _UNDER})
    occ, under = set_background_aside(occ, by="cell")
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


def _is_background(occ: pd.DataFrame) -> np.ndarray:
    span = pd.to_numeric(occ["span"], errors="coerce").fillna(0).to_numpy(dtype=float)
    return occ["in_window"].to_numpy(dtype=bool) & (span >= BACKGROUND_DAYS)


def set_background_aside(occ: pd.DataFrame,
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


def series_occurrences(cal: pd.DataFrame, asked: list[str], first: np.ndarray,
                       last: np.ndarray, pre_days: int, post_days: int,
                       max_offset: int, keep_ev: bool = False) -> pd.DataFrame:
    """``occurrence_days`` of every series in ``asked`` between its ``first`` and ``last``
    day, in one frame (each series' rows in that function's order) with ``sid`` (the
    series' position in ``asked``) and ``cell`` (a series' day as one number, from the
    earliest first day): the calendar is expanded once and each series takes the blocks of
    the rows that apply to it (``rows_per_series``). ``keep_ev``: keep ``ev``, the position
    in ``cal`` of each row's event."""
    cols = ["date", "name", "kind", "intensity", "key", "in_window", "start", "span"]
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in (*cols, "sid", "cell")})
    every = _expand(cal, pre_days, post_days, max_offset)
    if every.empty or not asked:
        return empty
    ev = every["ev"].to_numpy(dtype=np.int64)
    begin = np.searchsorted(ev, np.arange(len(cal)))
    count = np.searchsorted(ev, np.arange(len(cal)), side="right") - begin
    rows = rows_per_series(cal, asked)
    code = np.repeat(np.arange(len(asked)), [len(r) for r in rows])
    blocks = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    size = count[blocks]
    take = (np.repeat(begin[blocks] - np.cumsum(size) + size, size)
            + np.arange(int(size.sum())))
    sid_code = np.repeat(code, size)
    occ = every.iloc[take].reset_index(drop=True)
    if not keep_ev:
        occ = occ.drop(columns="ev")
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
