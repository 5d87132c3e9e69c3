"""A spend plan (date, channel, spend) for ``brain forecast predict --spend-plan`` as the future
rows of a model trained with ``--spend`` (``plan_future``), refusing a plan whose channels
differ from those the model's spend was built from."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plan_future"]


def plan_future(inner: Any, horizon: int, plan: pd.DataFrame, source: str, label: str,
                series: list[str] | None = None) -> pd.DataFrame:
    """The ``future`` rows of a model trained with ``--spend`` from a spend plan (date,
    channel, spend), by the rules its history's column was built with
    (``features._spend_series``)."""
    from features._spend_series import SPEND_COLUMN, spend_channel
    from features._spend_series import spend_plan as plan_rows

    names = list(inner.panel_.regressor_names)
    if names != [SPEND_COLUMN]:
        what = f"reads {names}" if names else "has no known-in-advance columns"
        raise ValueError(f"{source}: a spend plan is for a model trained with --spend (its "
                         f"only known-in-advance column 'spend'); {label} {what}: give "
                         "--future FILE with series_id, ds and those columns instead")
    if inner.panel_.freq != "D":
        raise ValueError(f"{source}: a spend plan is per day; {label} forecasts hourly series")
    from training._forecast_coherent import plan_series

    grids = inner.panel_.series
    wanted = [str(s) for s in (series or grids)]
    # a total answered from its channels (its response is the sum of theirs) reads their rows
    wanted = list(dict.fromkeys([*wanted, *plan_series(inner, wanted)]))
    had: dict[str, bool] = {}
    for sid, grid in grids.items():
        channel = spend_channel(str(sid))
        if channel not in (None, "*"):
            had[channel] = had.get(channel, False) or bool(
                np.nanmax(np.abs(grid.regressors[SPEND_COLUMN]), initial=0.0) > 0)
    days = {sid: inner.panel_.future_index(sid, horizon) for sid in wanted}
    recorded = (getattr(inner, "column_sources_", None) or {}).get(SPEND_COLUMN)
    if recorded:  # trained since 2026-12-06: the channels each series' spend was built from
        _recorded_channels(recorded, wanted, plan, source, label)
    else:
        _new_channels(grids, wanted, had, plan, source, label)
    return plan_rows(wanted, days, plan, source, had)


def _recorded_channels(recorded: dict[str, Any], wanted: list[str], plan: pd.DataFrame,
                       source: str, label: str) -> None:
    """Refuse a plan that leaves out a channel whose spend a series of the model was built
    from (a total's spend summed it: left out, the total's planned spend drops by that
    channel's, read as a cut), or that adds a channel the spend file never had while a total
    is forecast (its spend would count in the total's, read as the others')."""
    from features._spend_series import spend_channel

    built: dict[str, list[str]] = recorded.get("series", {})
    read = sorted({c for chans in built.values() for c in chans})
    given = set(plan["channel"].astype(str))
    missing = [c for c in read if c not in given]
    sums = [s for s, chans in built.items() if spend_channel(s) == "*" and chans]
    if missing:
        how = f" (the 'spend' of {sums} summed them)" if sums else ""
        raise ValueError(f"{source}: {label} was trained on the spend of channel(s) {read}"
                         f"{how}; the plan leaves out {missing}: add their planned spend for "
                         "every forecast day (0 to pause them)")
    totals = [s for s in wanted if spend_channel(s) == "*"]
    new = sorted(given - set(recorded.get("channels", read)))
    if new and totals:
        raise ValueError(f"{source}: the plan gives channel(s) {new}, whose spend {label} "
                         f"never read (it was trained on {sorted(recorded.get('channels', read))}"
                         f"); their spend would count in the 'spend' of {totals}, read as if "
                         "it were those channels'. Drop them from the plan, or retrain with "
                         "them in --spend")


def _new_channels(grids: dict[str, Any], wanted: list[str], had: dict[str, bool],
                  plan: pd.DataFrame, source: str, label: str) -> None:
    """Refuse plan channels the model's history never had spend for, where they would move a
    total forecast: its 'spend' sums every channel of the plan. Told only when the model's
    channel series hold all of its totals' spend (a model whose totals read channels
    without a series of their own, e.g. --only total, cannot tell a new channel from them)."""
    from features._spend_series import SPEND_COLUMN, spend_channel

    new = sorted(set(plan["channel"].astype(str)) - set(had))
    totals = [s for s in wanted if spend_channel(s) == "*"]
    if not new or not totals:
        return
    for sid in totals:
        grid = grids[sid]
        summed = np.zeros(len(grid.ds))
        for other, g in grids.items():
            if spend_channel(str(other)) in had and str(other).startswith("channel="):
                summed += pd.Series(g.regressors[SPEND_COLUMN], index=g.ds).reindex(
                    grid.ds).fillna(0.0).to_numpy(dtype=float)
        if not np.allclose(summed, np.nan_to_num(grid.regressors[SPEND_COLUMN]), rtol=1e-9,
                           atol=1e-6):
            return  # channels without a series of their own fed the totals
    read = sorted(c for c, spent in had.items() if spent)
    raise ValueError(f"{source}: the plan gives channel(s) {new}, whose spend {label} never "
                     f"read (it read {read}); their spend would count in the "
                     f"'spend' of {totals}, read as if it were those channels'. Drop them "
                     "from the plan, or retrain with them in --spend")
