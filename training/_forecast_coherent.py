"""A total's response to a spend plan as the sum of its channels' (``coherent_totals``).

A total's ``spend`` (``features._spend_series``) is the spend summed over channels, and its own
response is one elasticity to that sum: on a seed-11 lever world (20,000 x 730) +20% on paid
search moved ``total`` +772 visits where the paid-search series moved +642 (truth +641, the
other channels do not move), and it gave 1.3-1.5 visits per unit of any channel's spend (truth
0.77 for paid search, 6.2 for e-mail). When every channel the total's column summed has a
series of its own in the model that responds to it (the model's ``column_sources_`` and
``response_``), the total is answered as

    total at the plan = total at the reference
                        + sum over channels (channel at the plan - channel at its reference)

on the original scale of the no-event P50. A series' reference is its column's mean over the
last ``REFERENCE_DAYS`` days of its history (a total's: the sum of its channels'), the spend its
recent level was measured at: the total's own response gives back about what it took off its
recent history, so its single elasticity is hardly read, and the trees, which read a plan
against that mean, see no change. A plan equal to the reference gives the total's own
forecast. The total's P10 and P90 move with its P50 by the same step on the modelling scale
(the same relative width on a log scale), as its own response moved them before.

On days with calendar events each term takes its own series' lift of the day
(``event_shift``): the total at its reference the total's, each channel's change the
channel's, as the channel's own forecast has it. A newsletter may triple e-mail and leave paid
search as it is, where the total's lift is e-mail's share of it: the channels' changes had
taken the total's lift (the lifts came after the sum), and +20% on paid search moved the total
2.3% more than it moved paid search over 28 days with two newsletters in them. The total's
change with the calendar is now its channels' summed, day by day, as without it.

A total whose channels are not all there (``--only total``), or whose record of what its column
was built from is missing (a ``--series`` file, a model trained before 2026-12-06), keeps its
own response (``total_answers`` says why).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from features._spend_series import channel_series, spend_channel

from ._forecast_base import steps_per_day
from ._forecast_future import _future_frame
from ._forecast_input import ForecastInputError

__all__ = ["REFERENCE_DAYS", "TOTAL_ROUNDING", "TotalAnswer", "TotalParts", "channels_hint",
           "channels_of", "check_total_rows", "coherent_quantiles", "coherent_totals",
           "event_shift", "plan_series", "reference_rows", "reference_value", "total_answers"]

REFERENCE_DAYS = 28
"""Days at the end of a channel's history whose mean spend is its reference."""

TOTAL_ROUNDING = 0.01
"""How far a total's own plan value may be from its channels' sum (a spreadsheet's total
rounded to cents: 89.12 against channels summing to 89.1175 had been refused)."""


@dataclass(frozen=True)
class TotalAnswer:
    """How a total's response to one known-in-advance column is answered.

    Attributes:
        total: the total's series id.
        column: the known-in-advance column.
        channels: the channels its column summed, with their series in the model (None for a
            channel without one).
        coherent: True when the total's response is the sum of its channels' series'.
        reason: why it is not (None when it is).
    """

    total: str
    column: str
    channels: dict[str, str | None]
    coherent: bool
    reason: str | None


def _responds(model: Any, sid: str, column: str) -> bool:
    resp = (getattr(model, "response_", None) or {}).get(sid, {}).get(column)
    return resp is not None and bool(resp.beta or resp.zero)


def total_answers(model: Any) -> dict[str, dict[str, TotalAnswer]]:
    """Per known-in-advance column, per total series of ``model`` (``total``,
    ``orders:total``, ``revenue:total``) whose column was built from channels: how its
    response to a plan is answered (module docstring)."""
    panel = getattr(model, "panel_", None)
    if panel is None:
        return {}
    sources = getattr(model, "column_sources_", None) or {}
    out: dict[str, dict[str, TotalAnswer]] = {}
    for column in panel.regressor_names:
        built = (sources.get(column) or {}).get("series")
        if built is None:
            continue
        for total in sorted(str(s) for s in panel.series):
            chans = list(built.get(total) or [])
            if spend_channel(total) != "*" or not chans:
                continue
            own = {c: (cs if (cs := channel_series(total, c)) in panel.series
                       and list(built.get(cs) or []) == [c] else None) for c in chans}
            missing = [c for c, cs in own.items() if cs is None]
            still = [str(cs) for cs in own.values() if cs is not None
                     and not _responds(model, str(cs), column)]
            if getattr(model, "response_", None) is None:
                reason: str | None = ("the model keeps no per-series response (Prophet, the "
                                      "naive yardsticks)")
            elif missing:
                reason = (f"channel(s) {missing} have no series of their own in the model "
                          f"(train --only left out {[channel_series(total, c) for c in missing]})"
                          f": {total!r} keeps its own response to the summed {column!r}")
            elif still:
                reason = (f"the series {still} have no response to {column!r} (it never "
                          f"moved in their history): {total!r} keeps its own response to the "
                          f"summed {column!r}")
            else:
                reason = None
            out.setdefault(column, {})[total] = TotalAnswer(total, column, own, reason is None,
                                                            reason)
    return out


def coherent_totals(model: Any, sids: Sequence[str] | None = None
                    ) -> dict[str, dict[str, dict[str, str]]]:
    """Per coherent total (of ``sids``, when given), per column: its channels' series
    (``{channel: series_id}``)."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for column, totals in total_answers(model).items():
        for total, ans in totals.items():
            if ans.coherent and (sids is None or total in sids):
                out.setdefault(total, {})[column] = {c: str(cs) for c, cs in
                                                     ans.channels.items()}
    return out


def plan_series(model: Any, sids: Sequence[str]) -> list[str]:
    """The series whose plan rows a forecast of ``sids`` reads: a coherent total's channels'
    series instead of its own (its own rows are optional, and when given must be their sum:
    ``check_total_rows``), unless it has another column to read."""
    coh = coherent_totals(model, sids)
    names = list(model.panel_.regressor_names)
    out: list[str] = []
    for sid in sids:
        cols = coh.get(sid, {})
        if any(c not in cols for c in names):
            out.append(sid)
        out += [cs for chans in cols.values() for cs in chans.values()]
    return list(dict.fromkeys(out))


def channels_hint(model: Any, sids: Sequence[str]) -> str:
    """What a plan for the coherent totals among ``sids`` needs, for the errors about their
    plan rows (empty when none of them is answered from its channels): their channels' rows,
    and a total's own rows only as their sum. The CLI and the API put it first, so a request
    with the total's rows alone reads what to send before which periods lack a value."""
    coh = coherent_totals(model, sids)
    totals = [t for t in sids if t in coh]
    if not totals:
        return ""
    chans = [s for s in plan_series(model, totals) if s not in totals]
    who = repr(totals[0]) if len(totals) == 1 else str(totals)
    return (f"{who} {'is' if len(totals) == 1 else 'are'} answered from its channels' plans "
            f"(its response to a plan is the sum of theirs; GET /models: responds_to, "
            f"totals): give the rows of {chans}, each channel's planned spend, and a total's "
            "rows only as their sum")


def reference_value(model: Any, sid: str, column: str) -> float:
    """A series' reference for ``column``: its mean over the last four seasons of its history
    (``REFERENCE_DAYS`` days of a daily series; 0 when it has no value), as the trees read
    a plan against (``_Ctx.reg_ref``: at it, a plan is no change for them)."""
    ctx = (getattr(model, "ctx_", None) or {}).get(sid)
    if ctx is not None and column in getattr(ctx, "reg", {}):
        last = ctx.reg_ref(column)
        if len(last) and np.isfinite(last[-1]):
            return float(last[-1])
    panel = model.panel_
    v = np.asarray(panel.series[sid].regressors.get(column, []), dtype=float)
    v = v[np.isfinite(v)][-REFERENCE_DAYS * steps_per_day(panel.freq):]
    return float(v.mean()) if len(v) else 0.0


def _parsed(future: pd.DataFrame | None, names: list[str], source: str) -> pd.DataFrame | None:
    if future is None:
        return None
    return _future_frame(future, names, source)


def reference_rows(model: Any, future: pd.DataFrame | None, horizon: int,
                   coh: dict[str, dict[str, dict[str, str]]]) -> pd.DataFrame:
    """Plan rows of the coherent totals of ``coh`` and their channels' series at the reference
    (other columns as ``future`` plans them)."""
    panel = model.panel_
    names = list(panel.regressor_names)
    fr = _parsed(future, names, "predict: future_regressors")
    values: dict[str, dict[str, float]] = {}
    for total, cols in coh.items():
        for column, chans in cols.items():
            refs = {cs: reference_value(model, cs, column) for cs in chans.values()}
            for cs, ref in refs.items():
                values.setdefault(cs, {})[column] = ref
            # its own trailing mean: the sum of its channels' (up to rounding), and the one
            # the trees read its plan against
            values.setdefault(total, {})[column] = reference_value(model, total, column)
    frames = []
    for sid, fixed in values.items():
        idx = panel.future_index(sid, horizon)
        frame = pd.DataFrame({"series_id": sid, "ds": idx})
        for col in names:
            if col in fixed:
                frame[col] = fixed[col]
            elif fr is not None:
                frame[col] = fr[fr["series_id"] == sid].set_index("ds")[col].reindex(
                    idx).to_numpy(dtype=float)
            else:
                frame[col] = np.nan
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def check_total_rows(model: Any, future: pd.DataFrame | None, horizon: int,
                     sids: Sequence[str], source: str) -> None:
    """Refuse a coherent total's own plan rows that are not its channels' rows summed: it is
    answered from its channels', so a total's planned spend that disagrees with them would be
    read as nothing (a client that moved the total's rows alone saw no change).

    Raises:
        ValueError: names ``source``, the total, the column, the periods and both values.
    """
    coh = coherent_totals(model, sids)
    if not coh or future is None:
        return
    panel = model.panel_
    fr = _future_frame(future, list(panel.regressor_names), source)
    for total, cols in coh.items():
        idx = panel.future_index(total, horizon)
        own = fr[fr["series_id"] == total].set_index("ds").reindex(idx)
        for column, chans in cols.items():
            given = own[column].to_numpy(dtype=float)
            if not np.isfinite(given).any():
                continue
            summed = np.zeros(len(idx))
            for cs in chans.values():
                summed += fr[fr["series_id"] == cs].set_index("ds")[column].reindex(
                    idx).to_numpy(dtype=float)
            off = (np.isfinite(given) & np.isfinite(summed)
                   & ~np.isclose(given, summed, rtol=1e-6, atol=TOTAL_ROUNDING))
            if off.any():
                i = int(np.flatnonzero(off)[0])
                msg = (f"{source}: {total!r} is answered from its channels' plans (its "
                       f"response is the sum of theirs: {sorted(chans.values())}), and its own "
                       f"{column!r} rows are not their sum on {int(off.sum())} periods (first "
                       f"{idx[i]:%Y-%m-%d}: {given[i]:,.6g} given, {summed[i]:,.6g} summed); "
                       f"send the channels' rows only, or make the total's rows their sum")
                raise ForecastInputError(msg, input="future_regressors")


Quantiles = dict[str, tuple[pd.DatetimeIndex, np.ndarray]]


@dataclass(frozen=True)
class TotalParts:
    """What a coherent total's no-event answer was summed from, for the calendar's lifts to
    reach each term (``event_shift``). P50s on the modelling scale.

    Attributes:
        periods: the total's forecast periods (its channels' are the same days).
        at_ref: the total's no-event P50 at its reference, per period.
        channels: its channels' series (the rows of ``plan`` and ``ref``).
        plan: per channel, its no-event P50 at the plan (channels x periods).
        ref: per channel, its no-event P50 at its reference (channels x periods).
    """

    periods: pd.DatetimeIndex
    at_ref: np.ndarray
    channels: tuple[str, ...]
    plan: np.ndarray
    ref: np.ndarray


def coherent_quantiles(model: Any, own: Callable[[int, pd.DataFrame | None, list[str]], Quantiles],
                       horizon: int, future: pd.DataFrame | None, sids: list[str]
                       ) -> tuple[Quantiles, dict[str, TotalParts]]:
    """``own(horizon, future, sids)`` (each series' no-event quantiles on the modelling
    scale from its own plan rows), with each coherent total of ``sids`` forecast at its
    reference and moved by the sum of its channels' P50 changes from their reference to the
    plan (module docstring): its three quantiles by the same step on the modelling scale.
    Also, per such total, its parts, for the calendar's lifts (``event_shift``)."""
    coh = coherent_totals(model, sids) if future is not None else {}
    if not coh or future is None:
        return own(horizon, future, sids), {}
    check_total_rows(model, future, horizon, list(coh), "predict: future_regressors")
    chans = sorted({cs for cols in coh.values() for m in cols.values() for cs in m.values()})
    ref = reference_rows(model, future, horizon, coh)
    plan = pd.concat([ref[ref["series_id"].isin(list(coh))],
                      future[~future["series_id"].astype(str).isin(list(coh))]],
                     ignore_index=True)
    out = own(horizon, plan, list(dict.fromkeys([*sids, *chans])))
    at_ref = own(horizon, ref, chans)
    inv, fwd = model.panel_.inv, model.panel_.fwd
    parts: dict[str, TotalParts] = {}
    for total, cols in coh.items():
        idx, q = out[total]
        mine = sorted({c for m in cols.values() for c in m.values()})
        delta = np.zeros(len(idx))
        for cs in mine:
            delta += inv(out[cs][1][:, 1]) - inv(at_ref[cs][1][:, 1])
        mid = q[:, 1]
        shift = np.where(delta == 0, 0.0, fwd(inv(mid) + delta) - mid)
        out[total] = (idx, q + shift[:, None])
        parts[total] = TotalParts(idx, mid.copy(), tuple(mine),
                                  np.array([out[cs][1][:, 1] for cs in mine]),
                                  np.array([at_ref[cs][1][:, 1] for cs in mine]))
    return {sid: out[sid] for sid in sids}, parts


def channels_of(parts: Mapping[str, TotalParts], sids: Sequence[str]) -> list[str]:
    """The channels' series of the coherent totals of ``parts`` among ``sids`` that are not
    in ``sids`` themselves: the series whose lifts their answer also reads."""
    return [cs for cs in dict.fromkeys(c for sid in sids if sid in parts
                                       for c in parts[sid].channels) if cs not in sids]


def event_shift(parts: TotalParts, mid: np.ndarray, lift: np.ndarray,
                lifts: Mapping[str, np.ndarray], inv: Callable[[np.ndarray], np.ndarray],
                fwd: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The step (modelling scale) that takes a coherent total's P50 with the calendar,
    ``mid`` (its no-event P50 moved by its channels' summed change, plus its own lift
    ``lift``), to its P50 at the reference with its own lift plus each channel's change with
    that channel's lift (``lifts``, per channel series) on the original scale:

        inv(at_ref + lift) + sum over channels (inv(plan + lift_c) - inv(ref + lift_c))

    0 on days without a lift on the total or any channel (the no-event answer stands) and on
    days where no channel's P50 moved from its reference (the total's own forecast stands)."""
    own = np.array([np.asarray(lifts[cs], dtype=float) for cs in parts.channels])
    evented = (np.asarray(lift) != 0) | (own != 0).any(axis=0)
    todo = evented & (parts.plan != parts.ref).any(axis=0)
    if not todo.any():
        return np.zeros(len(mid))
    change = np.zeros(len(mid))
    for p, r, c in zip(parts.plan, parts.ref, own, strict=True):
        change += inv(p + c) - inv(r + c)
    want = fwd(inv(parts.at_ref + lift) + change)
    return np.where(todo, want - mid, 0.0)
