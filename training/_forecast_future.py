"""Known-in-advance values (planned spend, price, a promotion flag) for forecast periods.

A model fitted with extra columns of the series file needs their planned values for every
forecast period: ``check_future_regressors`` reads and checks a user's file of them (bad rows
named by file, column, row and value, gaps by series and period), ``future_regressor_values``
gives one series' values for its forecast periods.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._forecast_base import Panel
from ._forecast_input import ForecastInputError
from ._forecast_panel import _reject_duplicates

__all__ = ["PLAN_MARGIN", "check_future_regressors", "future_regressor_values", "held_values",
           "plan_range_notes"]

PLAN_MARGIN = 1.25
"""A planned value above this many times the largest of the series' history (or below its
smallest) is named by ``plan_range_notes``: the series' response there is extrapolated."""


def _period_text(ts: pd.Timestamp, freq: str) -> str:
    """A period as a date (daily) or date and hour (hourly) for messages."""
    return str(ts.date()) if freq == "D" else ts.strftime("%Y-%m-%d %H:%M")


def _periods_text(index: pd.DatetimeIndex, freq: str, first: int = 3) -> str:
    """The first ``first`` periods of ``index`` and how many more there are."""
    shown = ", ".join(_period_text(ts, freq) for ts in index[:first])
    return shown + (f" (+{len(index) - first} more)" if len(index) > first else "")


def _bad_rows(values: pd.Series, bad: pd.Series, first: int = 3) -> str:
    """The first ``first`` bad rows as ``4 ('yes'), 9 ('n/a')``: 1-based row numbers (plain ints,
    not numpy's ``np.int64(4)``) with the values that failed, for messages."""
    pos = np.flatnonzero(bad.to_numpy())
    shown = ", ".join(f"{int(i) + 1} ({values.iloc[i]!r})" for i in pos[:first])
    return shown + (f" (+{len(pos) - first} more)" if len(pos) > first else "")


def _future_frame(future_regressors: pd.DataFrame, columns: list[str], source: str
                  ) -> pd.DataFrame:
    """``series_id`` as text, ``ds`` as datetimes, ``columns`` as numbers; raises on bad input."""
    fr = future_regressors.copy()
    missing = [c for c in ("series_id", "ds", *columns) if c not in fr.columns]
    if missing:
        def squash(name: object) -> str:
            return re.sub(r"[\s_\-]", "", str(name)).casefold()

        near = {squash(c): str(c) for c in fr.columns}
        renames = {near[squash(c)]: c for c in missing if squash(c) in near}
        hint = (f"; rename {', '.join(f'{a!r} to {b!r}' for a, b in renames.items())}"
                if renames else "")
        msg = (f"{source}: column(s) {missing} missing (columns received: {list(fr.columns)})"
               f"{hint}; the model was fitted with known-in-advance columns {columns}: give "
               "series_id, ds and those columns for every forecast period")
        raise ForecastInputError(msg, input="future_regressors")
    fr["series_id"] = fr["series_id"].astype(str)
    ds = pd.to_datetime(fr["ds"], errors="coerce")
    bad = ds.isna()
    if bad.any():
        msg = (f"{source}: column 'ds' has {int(bad.sum())} values that are not timestamps "
               f"(first rows {_bad_rows(fr['ds'], bad)}); write them as YYYY-MM-DD or "
               "YYYY-MM-DD HH:MM")
        raise ForecastInputError(msg, input="future_regressors")
    fr["ds"] = ds
    for col in columns:
        vals = pd.to_numeric(fr[col], errors="coerce")
        bad = vals.isna() & fr[col].notna()
        if bad.any():
            msg = (f"{source}: known-in-advance column {col!r} has {int(bad.sum())} non-numeric "
                   f"values (first rows {_bad_rows(fr[col], bad)}); regressors must be numbers "
                   "(flags as 0/1)")
            raise ForecastInputError(msg, input="future_regressors")
        fr[col] = vals.astype(float)
    _reject_duplicates(fr, source, "give one row per series and period",
                       input="future_regressors")
    return fr


def check_future_regressors(
    panel: Panel,
    horizon: int,
    future_regressors: pd.DataFrame | None,
    source: str = "future_regressors",
    only: Sequence[str] | None = None,
) -> pd.DataFrame | None:
    """Validate known-in-advance values for the ``horizon`` periods after each series' end.

    Every period of every series (of ``only``, when given: the series a caller will read)
    needs a value of every regressor the panel was fitted with; nothing is filled in. Returns
    the parsed frame (None when the panel has no regressors).

    Raises:
        ValueError: no frame, missing or non-numeric columns, duplicate (series_id, ds), or
            missing periods; the message names ``source``, the columns, series and periods.
    """
    names = panel.regressor_names
    if not names:
        return None
    wanted = list(panel.series) if only is None else list(only)
    if future_regressors is None:
        sid = wanted[0] if wanted else next(iter(panel.series))
        idx = panel.future_index(sid, horizon)
        msg = (f"{source}: the model was fitted with known-in-advance columns {names}; give "
               "series_id, ds and those columns for every forecast period (e.g. series "
               f"{sid!r} from {_period_text(idx[0], panel.freq)} to "
               f"{_period_text(idx[-1], panel.freq)})")
        raise ForecastInputError(msg, input="future_regressors")
    fr = _future_frame(future_regressors, names, source)
    gaps, total, ended = [], 0, []
    ends = {sid: grid.ds[-1] for sid, grid in panel.series.items() if len(grid.ds)}
    latest = max(ends.values()) if ends else None
    for sid in wanted:
        idx = panel.future_index(sid, horizon)
        sub = fr[fr["series_id"] == sid].set_index("ds")[names].reindex(idx)
        lack = idx[sub.isna().any(axis=1).to_numpy()]
        if len(lack):
            total += len(lack)
            gaps.append(f"series {sid!r}: {_periods_text(lack, panel.freq)}")
            if latest is not None and sid in ends and ends[sid] < latest - pd.Timedelta(days=7):
                ended.append(f"{sid!r} (last {_period_text(ends[sid], panel.freq)})")
    if gaps:
        more = f"; +{len(gaps) - 5} more series" if len(gaps) > 5 else ""
        # a store that closed (or a page renamed) ends long before the others: its plan is
        # not missing, the series is; 'shorten the horizon' alone cannot help it
        gone = (f". {len(ended)} of these series end over a week before the others' last "
                f"period {_period_text(latest, panel.freq)}: {', '.join(ended[:5])}"
                + (f" (+{len(ended) - 5} more)" if len(ended) > 5 else "")
                + " (a closed store, a renamed page?): forecast the other series only "
                "(brain forecast predict --series; the API's series_id), or give them plan "
                "rows for their own forecast periods" if ended and latest is not None else "")
        msg = (f"{source}: {total} forecast periods lack a value of {names} ("
               + "; ".join(gaps[:5]) + more + "); supply every period of the horizon (from "
               "the period after each series' last observation), or shorten the horizon"
               + gone)
        raise ForecastInputError(msg, input="future_regressors")
    return fr


def future_regressor_values(
    panel: Panel,
    series_id: str,
    index: pd.DatetimeIndex,
    future_regressors: pd.DataFrame | None,
) -> dict[str, np.ndarray]:
    """Known-in-advance values for ``index``; raises when a needed value is missing."""
    if not panel.regressor_names:
        return {}
    if future_regressors is None:
        msg = (f"predict: the model was fitted with known-in-advance columns "
               f"{panel.regressor_names}; pass future_regressors with series_id, ds and those "
               "columns for every forecast period")
        raise ForecastInputError(msg, input="future_regressors")
    fr = _future_frame(future_regressors, panel.regressor_names, "predict: future_regressors")
    sub = fr[fr["series_id"] == series_id].set_index("ds").reindex(index)
    out: dict[str, np.ndarray] = {}
    for col in panel.regressor_names:
        lack = index[sub[col].isna().to_numpy()]
        if len(lack):
            msg = (f"predict: future_regressors lack {len(lack)} values of {col!r} for series "
                   f"{series_id!r} between {index[0]} and {index[-1]} (missing: "
                   f"{_periods_text(lack, panel.freq)}); supply every period")
            raise ForecastInputError(msg, input="future_regressors")
        out[col] = sub[col].to_numpy(dtype=float)
    # a column that never moved in the series' history (organic visits at spend 0): the
    # series has no response to it, so it is forecast at its history's value whatever the
    # plan says (the shared trees had moved organic +-2% with a spend sent for it)
    for col, value in held_values(panel, series_id).items():
        out[col] = np.full(len(index), value)
    return out


def held_values(panel: Panel, series_id: str) -> dict[str, float]:
    """Known-in-advance columns whose value never moved in the series' history, with that
    value: the series is forecast at it whatever a plan says (``future_regressor_values``)."""
    grid = panel.series.get(series_id)
    out: dict[str, float] = {}
    if grid is None:
        return out
    for col in panel.regressor_names:
        v = np.asarray(grid.regressors.get(col, []), dtype=float)
        v = v[np.isfinite(v)]
        if len(v) and float(v.min()) == float(v.max()):
            out[col] = float(v[0])
    return out


def plan_range_notes(panel: Panel, future: pd.DataFrame | None, horizon: int,
                     series: Sequence[str] | None = None,
                     margin: float = PLAN_MARGIN) -> list[str]:
    """Notes on planned known-in-advance values outside what each series saw: a column that
    never moved in its history (the plan's value is not read: it is forecast at the history's
    value), and planned values above ``margin`` times the history's largest (or below its
    smallest), where the response is extrapolated (a paid channel's spend x50 had been
    answered at 117,858 visits without a word). ``future``: the checked plan
    (``check_future_regressors``)."""
    if future is None or not panel.regressor_names:
        return []
    notes: list[str] = []
    for sid in (list(panel.series) if series is None else list(series)):
        grid = panel.series.get(sid)
        if grid is None:
            continue
        idx = panel.future_index(sid, horizon)
        plan = future[future["series_id"] == sid].set_index("ds").reindex(idx)
        held = held_values(panel, sid)
        for col in panel.regressor_names:
            hist = np.asarray(grid.regressors.get(col, []), dtype=float)
            hist = hist[np.isfinite(hist)]
            planned = plan[col].to_numpy(dtype=float) if col in plan else np.array([])
            if not len(hist) or not np.isfinite(planned).any():
                continue
            lo, hi = float(hist.min()), float(hist.max())
            seen = (f"{_period_text(pd.Timestamp(grid.ds[0]), panel.freq)} .. "
                    f"{_period_text(pd.Timestamp(grid.ds[-1]), panel.freq)}")
            if col in held:
                off = idx[np.abs(planned - held[col]) > 1e-9]
                if len(off):
                    vals = planned[np.abs(planned - held[col]) > 1e-9]
                    notes.append(
                        f"{sid!r}: its {col!r} never moved in its history ({seen}: always "
                        f"{held[col]:,.6g}), so it has no response to it; the plan's "
                        f"{col!r} ({_range_text(vals)} on {len(off)} periods: "
                        f"{_periods_text(pd.DatetimeIndex(off), panel.freq)}) was not read: "
                        f"it is forecast at {held[col]:,.6g}")
                continue
            high = planned > (margin * hi if hi > 0 else hi) + 1e-9
            low = planned < lo - 1e-9
            for mask, where in ((high, f"above {margin:g}x the largest"),
                                (low, "below the smallest")):
                if not mask.any():
                    continue
                notes.append(
                    f"{sid!r}: the planned {col!r} is {_range_text(planned[mask])} on "
                    f"{int(mask.sum())} periods ({_periods_text(idx[mask], panel.freq)}), "
                    f"{where} value of its history ({seen}: {lo:,.6g} .. {hi:,.6g}): the "
                    f"response there is extrapolated beyond anything the series saw; read "
                    "the forecast as a guess and check it against a spell of such values")
    return notes


def _range_text(values: np.ndarray) -> str:
    """``188.3`` or ``188.3 .. 9,414`` for messages."""
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    return f"{lo:,.6g}" if lo == hi else f"{lo:,.6g} .. {hi:,.6g}"
