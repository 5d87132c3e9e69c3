"""The response at the plan: each series' marginal P50 per unit of its known-in-advance columns.

An allocator weighing channels needs the marginal return at its plan. It had asked at two plans
per channel (16-20 requests for five channels) and taken the difference. ``plan_responses``
gives it from the fitted response at the plan, in the answer of one request per series:

    d_p50_sum_per_unit = sum_t w_t * dP50_t / dx_t

the extra P50 summed over the horizon per extra unit of the column's sum over the horizon,
spread over the periods as planned (``w_t = x_t / sum x``; a column that can be negative, a
price: evenly, ``w_t = 1 / H``). With the response ``beta * log(x + floor)`` on the modelling
scale ``log(1 + y)``, ``dP50_t / dx_t = (1 + P50_t) * beta / (x_t + floor)`` (on a series
modelled as is, ``beta / (x_t + floor)``); with a constant plan it is ``1/H`` of
``sum_t beta * (1 + P50_t) / (x + floor)``, the extra P50 sum per extra unit on every day. The
trees read the column too, in steps: their part is not in the slope (a finite difference of
two forecasts can differ from it by a step).

A coherent total (``training._forecast_coherent``) is answered per channel: its slope per
unit of a channel's spend is that channel's series' slope at the channel's P50 with the
calendar (the total's change is the sum of its channels', each with its own lift of the day),
so it is the derivative of the total's own answer. It had taken the total's lift of each day
(``(1 + P50) / (1 + no-event P50)`` of the total), as the total's answer did: on the seed-11
lever world (20,000 x 730) with two newsletters in 28 days, e-mail's field in the total's
answer read 6.07 visits per unit where e-mail's own read 6.41.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._forecast_coherent import coherent_totals
from ._forecast_future import _future_frame

__all__ = ["PLAN_RESPONSE_COLUMNS", "plan_responses"]

PLAN_RESPONSE_COLUMNS = ["series_id", "column", "channel", "channel_series", "answered",
                         "elasticity", "planned_sum", "d_p50_sum_per_unit"]
"""Columns of ``plan_responses`` (and of ``brain forecast predict``'s response_at_plan.csv)."""


def _slope(resp: Any, x: np.ndarray) -> np.ndarray:
    """d(effect)/dx of a ``ColumnResponse`` at ``x`` (modelling scale per unit)."""
    if resp.log:
        return resp.beta / (np.maximum(x, 0.0) + resp.floor)
    return np.full(len(x), float(resp.beta))


def _per_unit(deriv: np.ndarray, x: np.ndarray, log: bool) -> float:
    """``sum_t w_t deriv_t`` (module docstring); NaN for a log column planned at 0 throughout
    (a paused channel's first unit is a jump, not a slope)."""
    if not len(x) or not np.isfinite(x).all():
        return float("nan")
    if log:
        total = float(x.sum())
        return float((deriv * x).sum() / total) if total > 0 else float("nan")
    return float(deriv.mean())


def plan_responses(model: Any, horizon: int, future: pd.DataFrame | None,
                   forecast: pd.DataFrame, calendar: pd.DataFrame | None,
                   series: Sequence[str] | None = None) -> pd.DataFrame:
    """Per series of ``forecast`` (of ``series``, when given) and known-in-advance column it
    responds to: the response at the plan (``PLAN_RESPONSE_COLUMNS``; module docstring).
    ``forecast``: the forecast of the plan ``future`` with ``calendar`` (as given to
    ``model.predict``, which forecasts a coherent total's channels not in ``forecast`` with
    it).

    A series answered by its own response has one row (``channel`` empty, ``answered``
    'own_response'); a coherent total a row per channel (``answered`` 'sum_of_channels',
    ``channel_series`` the channel's series) and one for the summed column (``channel``
    empty: per unit of the channels' spend spread as planned)."""
    panel = getattr(model, "panel_", None)
    response = getattr(model, "response_", None)
    rows: list[dict[str, Any]] = []
    if panel is None or response is None or future is None or not panel.regressor_names:
        return pd.DataFrame(rows, columns=PLAN_RESPONSE_COLUMNS)
    names = list(panel.regressor_names)
    fr = _future_frame(future, names, "predict: future_regressors")
    sids = [s for s in dict.fromkeys(forecast["series_id"].astype(str))
            if series is None or s in series]
    coh = coherent_totals(model, sids)
    jac = (lambda y: 1.0 + np.maximum(y, 0.0)) if panel.log else (lambda y: np.ones(len(y)))

    def p50(frame: pd.DataFrame, sid: str) -> pd.Series:
        sub = frame[frame["series_id"].astype(str) == sid]
        return pd.Series(sub["p50"].to_numpy(dtype=float), index=pd.DatetimeIndex(sub["ds"]))

    def planned(sid: str, column: str, idx: pd.DatetimeIndex) -> np.ndarray:
        sub = fr[fr["series_id"] == sid].set_index("ds")
        return sub[column].reindex(idx).to_numpy(dtype=float)

    have = set(forecast["series_id"].astype(str))
    chans = sorted({cs for cols in coh.values() for m in cols.values() for cs in m.values()}
                   - have)
    # a total's channels with the calendar: its change is theirs, each with its own lifts
    chan_fc = (model.predict(horizon, calendar, future, series=chans) if chans
               else forecast.iloc[:0])
    for sid in sids:
        final = p50(forecast, sid)
        idx = pd.DatetimeIndex(final.index)
        own = response.get(sid, {})
        for column in names:
            if column in coh.get(sid, {}):
                parts = []
                for channel, cs in coh[sid][column].items():
                    resp = response[cs][column]
                    x = planned(cs, column, idx)
                    b = p50(forecast if cs in have else chan_fc, cs)
                    deriv = jac(b.reindex(idx).to_numpy()) * _slope(resp, x)
                    parts.append((float(np.nansum(x)), _per_unit(deriv, x, resp.log)))
                    rows.append({"series_id": sid, "column": column, "channel": channel,
                                 "channel_series": cs, "answered": "sum_of_channels",
                                 "elasticity": _elasticity(resp, panel),
                                 "planned_sum": parts[-1][0],
                                 "d_p50_sum_per_unit": parts[-1][1]})
                spent = sum(p[0] for p in parts)
                # a channel planned at 0 (paused) has no weight in the summed return (its
                # own slope is null: 0 x NaN had made the total's null too)
                rows.append({"series_id": sid, "column": column, "channel": "",
                             "channel_series": "", "answered": "sum_of_channels",
                             "elasticity": float("nan"), "planned_sum": spent,
                             "d_p50_sum_per_unit": (sum(p[0] * p[1] for p in parts if p[0])
                                                    / spent if spent > 0 else float("nan"))})
                continue
            resp = own.get(column)
            if resp is None or not (resp.beta or resp.zero):
                continue
            x = planned(sid, column, idx)
            deriv = jac(final.to_numpy()) * _slope(resp, x)
            rows.append({"series_id": sid, "column": column, "channel": "",
                         "channel_series": "", "answered": "own_response",
                         "elasticity": _elasticity(resp, panel),
                         "planned_sum": float(np.nansum(x)),
                         "d_p50_sum_per_unit": _per_unit(deriv, x, resp.log)})
    return pd.DataFrame(rows, columns=PLAN_RESPONSE_COLUMNS)


def _elasticity(resp: Any, panel: Any) -> float:
    """The fitted elasticity (series and column on a log scale), else NaN."""
    return float(resp.beta) if resp.log and bool(panel.log) else float("nan")
