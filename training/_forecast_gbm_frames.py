"""The forecast frames of ``LightGBMForecaster``: the no-event quantiles with the calendar's lifts.

The trees forecast the no-event baseline; ``EventFrames`` adds each period's event lift
(``EventEffects.lift_many``) and its spread to the band (a total answered from its channels:
each channel's change with the channel's lift, ``training._forecast_coherent``), and gives a
dormant series with a planned start of its own the starters' profile (``_planned_starts``),
for one forecast or for many calendars at once (``predict_without``'s jobs). A weekday (hour
of the week) a series has been closed on in all its recent weeks is forecast at exactly 0
unless an event that opened it before is planned (``_forecast_closed_phases``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from features._calendar import series_channel

from ._forecast_base import _Z80, BaseForecaster, Panel
from ._forecast_closed_phases import closed_masks
from ._forecast_coherent import TotalParts, event_shift
from ._forecast_conformal import event_day_changes
from ._forecast_starts import is_dormant, planned_start, profile_for, start_forecast

__all__ = ["EventFrames"]


class EventFrames(BaseForecaster):
    """Forecast frames with events (see the module docstring); ``LightGBMForecaster`` extends
    it and sets ``panel_``, ``effects_`` and ``starts_``."""

    panel_: Panel
    effects_: Any

    def _frames(self, base: dict[str, tuple[pd.DatetimeIndex, np.ndarray]],
                jobs: Sequence[tuple[pd.DataFrame, list[str],
                                     dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None]],
                parts: Mapping[str, TotalParts] | None = None,
                kinds: Sequence[dict[str, np.ndarray]] | None = None,
                ) -> list[pd.DataFrame]:
        """Per ``(cal, sids, lifts)`` of ``jobs``, the forecast frame of ``sids`` with
        ``cal``'s events: each period's lift (``lifts``, else ``lift_many`` of ``cal``) added
        to the no-event P50 of ``base`` (``_no_event_quantiles``) and its spread to the band,
        and a dormant series' planned start. A coherent total of ``parts`` then moves, its
        band with it, so that each channel's change carries that channel's lift
        (``event_shift``; ``lifts`` then has its channels' too). The frames are built as one
        (a frame per job had cost 5 ms each, thousands of times on a 1,000-store calendar).
        ``kinds``: per job, the kind standing for each period's day (``day_kinds``), read from
        ``cal`` where not given, for a model with an event-day offset per kind."""
        parts = parts or {}
        change = float(getattr(self, "event_day_change", 0.0))
        # an event day's offset by the kind standing for it, where the model has one per
        # kind (``ConformalBands._conformal_by_kind``)
        by_kind = bool(getattr(self, "conformal_kind_", {}))  # absent in older models
        names, times, values, owner, shut = [], [], [], [], []
        for k, (cal, sids, lifts) in enumerate(jobs):
            if lifts is None:
                periods = {cs: parts[sid].periods for sid in sids if sid in parts
                           for cs in parts[sid].channels}
                periods.update({sid: base[sid][0] for sid in sids})
                lifts = self.effects_.lift_many(periods, cal)
            day_kind = None
            if by_kind:
                day_kind = kinds[k] if kinds is not None else self.effects_.day_kinds(
                    {sid: base[sid][0] for sid in sids}, cal)
            outs = {}
            for sid in sids:
                idx, q = base[sid]
                lift, var_lo, var_hi = lifts[sid]
                # an event day's conformal offset in place of an ordinary day's (the band of
                # ``base`` has the ordinary one)
                step = (change if day_kind is None
                        else event_day_changes(self, day_kind[sid]))
                more = np.where((lift != 0) | (var_lo > 0) | (var_hi > 0), step, 0.0)
                lo = np.sqrt(np.maximum(q[:, 1] - q[:, 0] + more, 0.0) ** 2 + _Z80**2 * var_lo)
                hi = np.sqrt(np.maximum(q[:, 2] - q[:, 1] + more, 0.0) ** 2 + _Z80**2 * var_hi)
                mid = q[:, 1] + lift
                if sid in parts:  # each channel's change with its own lift of the day
                    mid = mid + event_shift(parts[sid], mid, lift,
                                            {cs: lifts[cs][0] for cs in parts[sid].channels},
                                            self.panel_.inv, self.panel_.fwd)
                outs[sid] = np.column_stack([mid - lo, mid, mid + hi])
            self._planned_starts({sid: base[sid][0] for sid in sids}, cal, outs)
            closed = closed_masks(self.panel_, {sid: base[sid][0] for sid in sids}, cal)
            for sid in sids:
                idx, out = base[sid][0], outs[sid]
                names.append(np.full(len(idx), sid, dtype=object))
                times.append(idx.to_numpy(dtype="datetime64[ns]"))
                values.append(out)
                owner.append(np.full(len(idx), k))
                shut.append(closed[sid])
        q = self.panel_.inv(np.concatenate(values))
        if shut:  # a weekday (hour) closed in every recent week, no event opening it: 0
            q[np.concatenate(shut)] = 0.0
        job = np.concatenate(owner)
        frame = self._frame([pd.DataFrame({
            "series_id": np.concatenate(names), "ds": np.concatenate(times), "p10": q[:, 0],
            "p50": q[:, 1], "p90": q[:, 2], "job_": job})], extra=("job_",))
        cut = np.searchsorted(frame["job_"].to_numpy(), np.arange(len(jobs) + 1))
        frame = frame.drop(columns="job_")
        return [frame.iloc[cut[k]:cut[k + 1]].reset_index(drop=True) for k in range(len(jobs))]

    def _planned_starts(self, periods: dict[str, pd.DatetimeIndex], cal: pd.DataFrame,
                        q: dict[str, np.ndarray]) -> None:
        """Each series of ``periods`` with no live history whose own event of a kind other
        series started with is planned in its periods: its rows from that event's first day on
        become the profile of those series' first weeks (``_forecast_starts``) plus the lifts
        of its other planned events there (their variance widens the band as on a live
        series), in ``q`` in place. The lifts of every such series come from one expansion of
        the calendar (``lift_many_without``; a calendar read per planned start had cost 0.19 s
        each with 60,000 rows). Models saved before keep their forecast."""
        profiles = getattr(self, "starts_", {})
        if not profiles:
            return
        todo = []
        for sid, idx in periods.items():
            if not len(idx) or not is_dormant(self.panel_.series[sid].y):
                continue
            ev = planned_start(profiles, sid, cal, idx[0], idx[-1])
            if ev is None:
                continue
            prof = profile_for(profiles, sid, str(ev["kind"]))
            if prof is None:
                continue
            own, on = start_forecast(prof, pd.Timestamp(ev["start"]), idx, self.panel_.step,
                                     end=pd.Timestamp(ev["end"]),
                                     intensity=float(ev["intensity"]))
            # the other planned events of its first weeks add their lifts, as for a live
            # series that never had them (the name's or kind's lift, no offset of its own):
            # the profile leaves those days out of the starters' trajectories, so nothing is
            # counted twice. Its own start kind's events stay out (the profile is that start)
            mine = ((cal["kind"].astype(str) == str(ev["kind"])).to_numpy(dtype=bool)
                    & (cal["channel"] == series_channel(sid)).fillna(value=False).to_numpy(
                        dtype=bool))
            todo.append((sid, idx[on], np.flatnonzero(mine).tolist(), own, on))
        if not todo:
            return
        lifts = self.effects_.lift_many_without(
            {sid: days for sid, days, _, _, _ in todo}, cal,
            [(rows, [sid]) for sid, _, rows, _, _ in todo])
        for (sid, _, _, own, on), lift_of in zip(todo, lifts, strict=True):
            lift, var_lo, var_hi = lift_of[sid]
            mid = own[on, 1] + lift
            lo = np.sqrt((own[on, 1] - own[on, 0]) ** 2 + _Z80**2 * var_lo)
            hi = np.sqrt((own[on, 2] - own[on, 1]) ** 2 + _Z80**2 * var_hi)
            q[sid][on] = np.column_stack([mid - lo, mid, mid + hi])
