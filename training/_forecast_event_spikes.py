"""Lone spikes on an event's days that are not the event's: a large order two days after it.

``EventEffects`` learns each relative day of an event (``pre2`` .. ``post3``, ``d0`` ..) from
its occurrences, and an event seen once takes its one occurrence's residual. A web shop's one
Black Week of the history was followed two days later by a B2B order (revenue about 5 times
its usual), and ``('revenue:total', 'Black Week', 'post2')`` was learned at +1.56 on the log
scale: the forecast put the horizon's revenue peak on the second day after the next Black
Week (P50 24,723 against 4,749). The one-day spike rule (``lone_spikes``) does not look at
event and shoulder days, so nothing had caught it.

``lone_event_spikes`` finds such observations among the lifts before they are pooled: a day
far above the relative days either side of it in the same occurrence, which no other
occurrence of the event repeats and which no other (dense, other-metric) series of the panel
shows on that day. A real peak inside an event (Black Friday inside Black Week) shows on the
visits as well as on the revenue, or comes again in the next occurrence; a one-day event (a
flash sale) has no days inside its window either side to stand above, and its day is kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._forecast_outages import SPIKE_TIMES, _metric

__all__ = ["lone_event_spikes"]

SPIKE_SD = 4.0
"""How many of the series' day-to-day noise (standard deviations on the modelling scale) a
day must stand above its neighbouring relative days, besides ``SPIKE_TIMES`` times them."""

MIN_WINDOW = 3
"""Fewest days of an event's window for a day inside it to be read against its neighbours:
in a one- or two-day event every in-window day is the event itself."""


def _excess(obs: pd.DataFrame) -> np.ndarray:
    """Per observation, how far its lift stands above the higher of the lifts of the days
    before and after it in the same occurrence (same series, name and start; NaN where it
    has neither, or is a day inside a window shorter than ``MIN_WINDOW``)."""
    date = pd.to_datetime(obs["date"])
    occ = pd.MultiIndex.from_arrays([obs["series_id"].astype(str), obs["name"].astype(str),
                                     pd.to_datetime(obs["start"])])
    r = pd.Series(obs["r"].to_numpy(dtype=float),
                  index=pd.MultiIndex.from_arrays([*(occ.get_level_values(i)
                                                     for i in range(3)), date]))
    r = r[~r.index.duplicated()]
    near = []
    for step in (-1, 1):
        at = pd.MultiIndex.from_arrays([*(occ.get_level_values(i) for i in range(3)),
                                        date + pd.Timedelta(days=step)])
        near.append(r.reindex(at).to_numpy())
    both = np.column_stack(near)
    with np.errstate(invalid="ignore"):
        top = np.where(np.isfinite(both).any(axis=1),
                       np.nanmax(np.where(np.isfinite(both), both, -np.inf), axis=1), np.nan)
    out = obs["r"].to_numpy(dtype=float) - top
    inside = obs["in_window"].to_numpy(dtype=bool)
    span = pd.to_numeric(obs["span"], errors="coerce").fillna(1).to_numpy()
    out[inside & (span < MIN_WINDOW)] = np.nan
    return out


def lone_event_spikes(obs: pd.DataFrame, dense: set[str]) -> np.ndarray:
    """Mask over ``obs`` (the lift observations ``EventEffects.fit`` pools: series_id, name,
    start, date, key, in_window, span, r, noise) of the lone spikes to leave out.

    A spike stands at least ``log(SPIKE_TIMES)`` above its baseline, and as much and
    ``SPIKE_SD`` of its series' noise above
    the higher of the relative days either side of it in its occurrence (a day inside the
    window only when the window has ``MIN_WINDOW`` days or more). It is the event's, and kept,
    when another occurrence of the same name on the series stands at least half as high on
    the same relative day, or when another series of ``dense`` (under a fifth of its days at
    0) of another metric has its own spike on the same day of the same occurrence (a sale's
    peak shows on the visits as well as on the revenue; a large order does not). A day inside
    the window is left out only when such a series is there to show it did not move with it:
    one series alone, its day's peak in a week-long event is the event's. Left out,
    the relative day is read from the name's other series and its kind, as a day without an
    observation is."""
    if obs.empty:
        return np.zeros(0, bool)
    excess = _excess(obs)
    sd = np.sqrt(obs["noise"].to_numpy(dtype=float))
    with np.errstate(invalid="ignore"):
        high = np.nan_to_num(excess, nan=-np.inf) >= np.maximum(np.log(SPIKE_TIMES),
                                                                SPIKE_SD * sd)
        # and above its own baseline as much: an open day beside a closed one (a store shut on
        # the holiday, -8 on the log scale) stood far above its neighbours at its usual level
        high &= obs["r"].to_numpy(dtype=float) >= np.log(SPIKE_TIMES)
    if not high.any():
        return high
    # codes, not text: each high row compares against every row
    sid, ids = pd.factorize(obs["series_id"].astype(str))
    name = pd.factorize(obs["name"].astype(str))[0]
    key = pd.factorize(obs["key"].astype(str))[0]
    start = pd.to_datetime(obs["start"]).to_numpy()
    date = pd.to_datetime(obs["date"]).to_numpy()
    r = obs["r"].to_numpy(dtype=float)
    inside = obs["in_window"].to_numpy(dtype=bool)
    # each series' density and metric once: per high row, a comprehension over every row
    # had made this quadratic (2,000 series with 1,006 high rows: 35 s)
    is_dense = np.array([s in dense for s in ids], dtype=bool)[sid]
    metric = pd.factorize(pd.Series([_metric(s) for s in ids], dtype=object))[0][sid]
    out = np.zeros(len(obs), bool)
    for i in np.flatnonzero(high):
        again = ((sid == sid[i]) & (name == name[i]) & (key == key[i]) & (start != start[i])
                 & (r >= r[i] / 2))
        if again.any():
            continue
        same = (name == name[i]) & (start == start[i]) & (date == date[i]) & (sid != sid[i])
        other = is_dense & (metric != metric[i]) & same
        if (other & high).any():
            continue
        if inside[i] and not other.any():
            # a day inside the window with no other metric to tell it by: the event's own peak
            # as likely as an order (one visits series, a Black Week seen once with a x3 day)
            continue
        out[i] = True
    return out
