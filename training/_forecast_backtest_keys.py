"""Evaluation keys of a backtest: which data, calendar, origins and horizon a score is from.

Equal keys mean comparable scores (``evaluation_key``); ``earlier_evaluation_keys`` gives the
keys earlier versions computed for the same backtest, so that a champion scored by one of them
is re-scored rather than compared, with the reason its key differs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pandas as pd

from features._calendar import normalize_calendar

from ._forecast_backtest_starts import launch_pads
from ._forecast_base import steps_per_day
from ._forecast_live import LEADING_ZEROS_DAYS, live_starts
from ._forecast_panel import prepare_panel

__all__ = ["data_hash", "earlier_evaluation_keys", "evaluation_key"]


def data_hash(series: pd.DataFrame, calendar: pd.DataFrame | None = None) -> hashlib._Hash:
    """Running hash of a long frame's rows (``series_id``, ``ds``, ``y`` and every
    known-in-advance column, by name) and, when given, of the calendar's events."""
    h = hashlib.sha256()
    extra = sorted(c for c in series.columns if c not in ("series_id", "ds", "y"))
    frame = series[["series_id", "ds", "y", *extra]].sort_values(["series_id", "ds"])
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    if extra:  # the names too: two columns of equal values are not the same input
        h.update(("columns:" + ",".join(extra)).encode())
    if calendar is not None and len(calendar):
        # in a fixed row order: a calendar file sorted another way is the same calendar (its
        # own order had changed the key, so the same recipe on the same data and events was
        # taken as evaluated elsewhere and the champion re-backtested)
        cal = normalize_calendar(calendar).astype(str)
        cal = cal.sort_values(list(cal.columns), kind="stable")
        h.update(pd.util.hash_pandas_object(cal, index=False).to_numpy().tobytes())
    return h


def _starts_after_zeros(series: pd.DataFrame) -> bool:
    """Whether a series of the long frame starts with ``LEADING_ZEROS_DAYS`` days or more at 0
    (or missing) before a value other than 0: its MASE scale is read from that value on
    (``live_history``) since 2026-12-06."""
    y = pd.to_numeric(series["y"], errors="coerce")
    ds = pd.to_datetime(series["ds"])
    live = series.assign(ds=ds)[(y.notna() & (y != 0)).to_numpy(dtype=bool)]
    if live.empty:
        return False
    first = ds.groupby(series["series_id"]).min()
    first_live = live.groupby("series_id")["ds"].min()
    gap = first_live - first.reindex(first_live.index)
    return bool((gap >= pd.Timedelta(days=LEADING_ZEROS_DAYS)).any())


def _cut_at_launch(series: pd.DataFrame, calendar: pd.DataFrame | None) -> bool:
    """Whether a series of the long frame is read from its launch by the one start rule
    (``live_start``: its first value other than 0 starts an event of its own channel in
    ``calendar``) with under ``LEADING_ZEROS_DAYS`` days at 0 (or missing) before it: its MASE
    scale counted those days until 2026-12-06 (``live_history`` read the 28-day rule alone)."""
    cal = normalize_calendar(calendar)
    if not cal["channel"].notna().any():
        return False
    panel = prepare_panel(series[["series_id", "ds", "y"]], "none")  # the backtest's grids
    ppd = steps_per_day(panel.freq)
    found = live_starts({sid: (g.ds, g.y) for sid, g in panel.series.items()}, ppd, cal)
    return any(f.event is not None and f.cut and f.cut < LEADING_ZEROS_DAYS * ppd
               for f, _ in found.values())


def _pads_launch(series: pd.DataFrame, origins: Sequence[pd.Timestamp], horizon: int,
                 calendar: pd.DataFrame | None) -> bool:
    """Whether a fold gives a series exported from its launch on the rows at 0 before it
    (``launch_pads``): until 2026-12-07 the fold left it out, fitted and scored without it."""
    if calendar is None or not len(calendar) or not len(origins):
        return False
    step = prepare_panel(series[["series_id", "ds", "y"]], "none").step
    frame = series.assign(ds=pd.to_datetime(series["ds"]),
                          series_id=series["series_id"].astype(str))
    return any(len(launch_pads(frame, calendar, pd.Timestamp(o), pd.Timestamp(o) + horizon * step,
                               step)) for o in origins)


def evaluation_key(series: pd.DataFrame, origins: Sequence[pd.Timestamp], horizon: int,
                   calendar: pd.DataFrame | None = None) -> str:
    """Identifier of (data, known-in-advance columns, calendar, origins, horizon): equal keys
    mean the same backtest. (Until 2026-12-05 only ``series_id, ds, y`` were hashed: a model
    reading a same-day outcome column, or another calendar, shared its key with one that did
    not, and its recorded score was taken as comparable.) Data with a series that starts
    after weeks at 0 adds the MASE scale's reading (``live_history``): a champion scored
    before 2026-12-06 had its scale shrunk by those days and is re-scored, not compared; so
    does data with a series cut at its launch in the calendar after fewer such days
    (``_cut_at_launch``), which the scale counted until the same day."""
    h = data_hash(series, calendar)
    h.update(",".join(str(pd.Timestamp(o).date()) for o in origins).encode())
    h.update(str(horizon).encode())
    if _starts_after_zeros(series):
        h.update(b"mase-scale:live-history")
    if _cut_at_launch(series, calendar):
        h.update(b"mase-scale:live-start")
    if _pads_launch(series, origins, horizon, calendar):
        h.update(b"fold:launch-pads")
    return f"backtest:{h.hexdigest()[:16]}:h{horizon}:k{len(origins)}"


def earlier_evaluation_keys(series: pd.DataFrame, origins: Sequence[pd.Timestamp],
                            horizon: int, calendar: pd.DataFrame | None = None) -> dict[str, str]:
    """The keys earlier versions gave this backtest (``evaluation_key`` as it was computed),
    each with what it did not cover: a champion registered by such a version has another key
    for the same data, origins and horizon, and is re-scored (a recorded score whose key did
    not cover the calendar cannot be taken as comparable), but its reason must not say that it
    was evaluated on other origins, horizon or calendar (an upgraded store's first retrain
    said so of a champion trained by the same command)."""
    tail = (",".join(str(pd.Timestamp(o).date()) for o in origins).encode(),
            str(horizon).encode())
    out: dict[str, str] = {}
    # until 2026-12-05 06:42 UTC: series_id, ds and y only
    h = hashlib.sha256()
    frame = series[["series_id", "ds", "y"]].sort_values(["series_id", "ds"])
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    for part in tail:
        h.update(part)
    out[f"backtest:{h.hexdigest()[:16]}:h{horizon}:k{len(origins)}"] = (
        "whose key did not cover the calendar or known-in-advance columns")
    if calendar is not None and len(calendar):
        # until 2026-12-05 13:29 UTC: the calendar's rows in the file's order
        h = data_hash(series)
        h.update(pd.util.hash_pandas_object(normalize_calendar(calendar).astype(str),
                                            index=False).to_numpy().tobytes())
        for part in tail:
            h.update(part)
        out[f"backtest:{h.hexdigest()[:16]}:h{horizon}:k{len(origins)}"] = (
            "whose key read the calendar in the file's row order")
    if _starts_after_zeros(series):
        # until 2026-12-06: the MASE scale counted the days at 0 before a series' start (last:
        # without a calendar or other columns the keys above are this one, and every earlier
        # version read that scale)
        h = data_hash(series, calendar)
        for part in tail:
            h.update(part)
        out[f"backtest:{h.hexdigest()[:16]}:h{horizon}:k{len(origins)}"] = (
            "whose MASE scale counted the days at 0 before a series started (a page before "
            "its launch)")
    if _cut_at_launch(series, calendar):
        # until 2026-12-06: the MASE scale read the 28-day rule alone, and counted the days
        # at 0 (under 28) before a launch of the series' own channel in the calendar
        h = data_hash(series, calendar)
        for part in tail:
            h.update(part)
        if _starts_after_zeros(series):
            h.update(b"mase-scale:live-history")
        out[f"backtest:{h.hexdigest()[:16]}:h{horizon}:k{len(origins)}"] = (
            "whose MASE scale counted the days at 0 before a series' launch in the calendar "
            "(under 28 of them)")
    if _pads_launch(series, origins, horizon, calendar):
        # until 2026-12-07: a series exported from its launch on was left out of the fold
        # that holds its launch (fitted and scored without it)
        h = data_hash(series, calendar)
        for part in tail:
            h.update(part)
        if _starts_after_zeros(series):
            h.update(b"mase-scale:live-history")
        if _cut_at_launch(series, calendar):
            h.update(b"mase-scale:live-start")
        out[f"backtest:{h.hexdigest()[:16]}:h{horizon}:k{len(origins)}"] = (
            "which left a series exported from its launch on (no rows before it) out of the "
            "fold that holds its launch, fitted and scored without it")
    return out
