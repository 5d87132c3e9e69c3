"""Recurring large one-day spikes and what a summed P50 leaves out of them.

A web shop's revenue had a B2B order of about 25,000 on one day in twenty (23% of its
revenue). P50 is each day's median, and a day's median has no such order, so the horizon's
summed P50 was the shop's revenue without them (-17% against the actual total), while the
spike note said only that "a one-off (a single large order) can stay". ``spike_share_note``
names the series whose history has such spikes again and again, with their share of its total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._forecast_base import Panel, steps_per_day
from ._forecast_outages import lone_spikes
from ._forecast_text import listed

__all__ = ["spike_share_note", "spike_shares"]

RECURRING_MIN = 4
"""Fewest lone one-day spikes in a series' history for them to be recurring (``lone_spikes``:
far beyond the clipping bound, at 3 times the usual level or more, the other series as
usual)."""

SHARE_MIN = 0.03
"""Least share of a series' total its spikes' excess over the usual level must make to be
named: a few small spikes change no plan."""


def spike_shares(panel: Panel, k: float = 3.0) -> dict[str, tuple[int, float]]:
    """Per series of a daily ``panel`` with ``RECURRING_MIN`` or more lone one-day spikes
    (``lone_spikes`` with ``k``; event days count too: a large order on a sale day is one as
    well, though most are not found there, the other series being above their bound), how
    many, and their excess over the usual level (the same weekday's median over the 4 weeks
    before) as a share of the series' total; a sum over channels that carries a channel's
    spikes (``Spike.carried``) counts them too. Empty for other panels."""
    if steps_per_day(panel.freq) != 1:
        return {}
    excess: dict[str, list[float]] = {}
    for s in lone_spikes(panel, k):
        for sid, times in ((s.series, s.times), *s.carried):
            g = panel.series[sid]
            i = int(g.ds.get_indexer(pd.DatetimeIndex([s.start]))[0])
            y = float(g.y[i]) if i >= 0 else float("nan")
            if np.isfinite(y) and times > 0:
                excess.setdefault(sid, []).append(y - y / times)
    out = {}
    for sid, ex in excess.items():
        total = float(np.nansum(np.asarray(panel.series[sid].y, dtype=float)))
        if len(ex) >= RECURRING_MIN and total > 0 and sum(ex) / total >= SHARE_MIN:
            out[sid] = (len(ex), sum(ex) / total)
    return out


def spike_share_note(panel: Panel, k: float = 3.0, show: int = 3) -> str | None:
    """The note for series whose history has recurring large one-day spikes
    (``spike_shares``), with their share of its total, else None: summed P50 leaves them out,
    summed P90 or the mean would include them."""
    found = spike_shares(panel, k)
    if not found:
        return None

    def one(sid: str, n: int, share: float) -> str:
        days = int(np.isfinite(np.asarray(panel.series[sid].y, dtype=float)).sum())
        return (f"{sid!r} ({n} days, about one day in {max(1, round(days / n))}, "
                f"{share:.0%} of its total; with them its summed P50 plus "
                f"{share / (1 - share):.0%})")

    shown = listed([one(sid, n, share) for sid, (n, share) in found.items()], show)
    many = len(found) > 1
    return (f"{len(found)} series {'have' if many else 'has'} recurring large one-day spikes "
            f"in {'their' if many else 'its'} history (at 3 times the usual level or more, "
            f"the other series as usual: large orders, say): {shown}; the share is their "
            "excess over the usual level. P50 is the median of each day, and a day with such "
            "a spike is rare, so the P50 has none: summing P50 over the horizon leaves them "
            "out (in a check, B2B orders on one day in twenty, 23% of a shop's revenue, were all "
            "left out of its summed P50). If they keep coming as often, the whole total is at "
            "least the summed P50 plus the figure named (the share over one minus the share; "
            "spikes under 3 times the usual level, or on days the other series rose as well, "
            "are not counted); summed P90, or the mean, would include them. Plan them apart, "
            "or leave them out of the file and add them to the forecast")
