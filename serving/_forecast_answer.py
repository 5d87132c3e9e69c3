"""``POST /forecast_traffic`` without the web framework: one series' forecast and peaks from the
served traffic forecaster, the request's calendar and plan checked, with the notes a planner
needs (``Brain.forecast`` keeps the answers per champion version and request).
"""

from __future__ import annotations

import json
import math
import unicodedata
from typing import Any

import pandas as pd

from training._forecast_input import ForecastInputError
from training._forecast_text import listed, period_text

from ._answers import BadRequestError, contract_error, records, reject_first
from ._registry import LoadedModel
from ._schemas import ForecastRequest

__all__ = ["MAX_EVENT_DAYS", "forecast_answer"]

MAX_EVENT_DAYS = 3_653
"""The longest event a request's calendar may hold (ten years): the forecasters expand each
event day by day."""


def forecast_answer(loaded: LoadedModel, req: ForecastRequest) -> dict[str, Any]:
    """The answer of ``POST /forecast_traffic`` from the loaded champion ``loaded``: the
    requested series' P10/P50/P90 and peaks, with the request's calendar and known-in-advance
    plan checked against the model, and the notes the CLI's predict gives."""
    from features import (
        DataContractError,
        applies_to,
        normalize_calendar,
        validate_calendar,
    )
    from features._calendar import expand_store_channels
    from features._store_map import check_locale_fields
    from features._stores import locale_pair
    from training._forecast_base import kind_intensities
    from training._forecast_ids import check_calendar_channels, unknown_series_text
    from training._forecast_peak_notes import (
        calendar_novelty_notes,
        channel_scope_note,
        time_zone_note,
        unplanned_kinds_notes,
    )
    from training._forecast_starts import start_notes

    fc_model = loaded.model.forecaster
    known = sorted(str(s) for s in fc_model.panel_.series)
    if req.series_id not in known:
        raise BadRequestError(unknown_series_text([req.series_id], known, "unknown series_id"),
                              code="unknown_series_id", field="series_id")
    limit = getattr(fc_model, "max_h_", None)  # LightGBM's longest horizon
    if limit is not None and req.horizon > limit:
        unit = "hours" if fc_model.panel_.freq == "h" else "days"
        raise BadRequestError(
            f"horizon {req.horizon} exceeds the {limit} {unit} traffic_forecaster "
            f"v{loaded.version} was trained for; ask for at most {limit}, or retrain with "
            f"'brain forecast train ... --horizon {req.horizon}' (GET /models gives the "
            "limit as max_horizon)", code="horizon_too_long", field="horizon")
    given = None
    if req.calendar:
        events = _calendar_days(req, getattr(fc_model, "time_zone_", None) or "UTC")
        frame, kept = _locale_columns(pd.DataFrame(events), fc_model)
        try:
            # half a locale, on the events as sent (validate_calendar sorts them); then the
            # locale columns read with each event's number (the 400s name calendar[i])
            check_locale_fields(frame, "calendar")
            given = validate_calendar(frame,
                                      "calendar", kind_intensities(fc_model),
                                      name_intensity=kind_intensities(fc_model, "name"),
                                      locales=locale_pair(frame) is not None)
            given = _placed(given, fc_model, known, kept)
            # a store's event on series per store and family: a row per series of the store,
            # as the model reads it (the answer had said it changed nothing on them)
            given, store_notes = expand_store_channels(given, known)
            given.attrs["load_notes"] = [*given.attrs.get("load_notes", []), *store_notes]
            # every model, even one that ignores calendars, rejects a channel no series has
            # (and the channels of the model's own calendar: --only total,channel=paid_search
            # learned the e-mail newsletters for the total)
            check_calendar_channels(given, known, _calendar_only_channels(fc_model))
        except DataContractError as exc:  # its rows counted from 0, as calendar[i]
            raise contract_error(exc, "calendar", "invalid_calendar") from exc
        except ForecastInputError as exc:  # a channel no series has
            detail = _unknown_channels(req, known + [
                f"channel={c}" for c in _calendar_only_channels(fc_model)])
            raise BadRequestError(str(exc), code="invalid_calendar", field="calendar",
                                  loc=detail[0]["loc"] if detail else None,
                                  detail=detail or None) from exc
    cal = fc_model.calendar_
    if given is not None:
        cal = pd.concat([cal, normalize_calendar(given)], ignore_index=True).drop_duplicates(
            ["name", "start", "channel"], keep="last")
    # what reading the calendar filled in (events without an intensity, as the kind's usual)
    notes: list[str] = [] if given is None else list(given.attrs.get("load_notes", []))
    clock = time_zone_note(fc_model, req.horizon, req.series_id)  # times carry no offset
    if clock:
        notes.append(clock)
    grid = fc_model.panel_.series[req.series_id].ds
    # the model's period (a series started at its last hour by ``started_panel`` has a
    # grid of one period, which had read as a day on an hourly model)
    step = fc_model.panel_.step
    first, last = grid[-1] + step, grid[-1] + step * req.horizon
    # as brain forecast predict says: a series whose history ends before the others' (a page
    # renamed a year ago keeps its old id) is forecast from its own last period, and the page
    # had drawn last year's forecast for it without a word
    latest = max(g.ds[-1] for g in fc_model.panel_.series.values())
    if grid[-1] < latest:
        notes.append(f"{req.series_id!r} ends {period_text(grid[-1])}, before the latest "
                     f"period of the model's other series, {period_text(latest)}: it is "
                     f"forecast from its own last period, so these periods "
                     f"({period_text(first)} .. {period_text(last)}) are in the others' past; "
                     "update the series (a renamed id: join it to its new id) or leave it out "
                     "and retrain")
    if given is not None and len(given):
        outside = given[(pd.to_datetime(given["end"]) < first.normalize())
                        | (pd.to_datetime(given["start"]) > last)]
        if len(outside):
            notes.append(f"{len(outside)} calendar events fall outside the forecast "
                         f"periods {period_text(first)} .. {period_text(last)} and change "
                         "nothing: "
                         f"{outside['name'].astype(str).head(5).tolist()}")
        inside = normalize_calendar(given.drop(index=outside.index))
        scope = channel_scope_note(inside, req.series_id, whole=given)
        if scope:
            notes.append(scope)
    mine = normalize_calendar(cal)  # the model's own future events and the request's
    notes += calendar_novelty_notes(fc_model, mine[applies_to(mine, req.series_id)],
                                    first, last, series=[req.series_id])
    # a series with no live history: forecast from how other series started, or at 0
    notes += start_notes(fc_model, mine[applies_to(mine, req.series_id)], first, last,
                         series=[req.series_id])
    # as brain forecast predict: a kind with a sizeable lift (a promotion, a closure) that
    # no event of the forecast periods has (the page had shown such a forecast silently)
    notes += unplanned_kinds_notes(
        fc_model, mine[applies_to(mine, req.series_id)], first, last,
        longer="ask for a longer horizon to include it",
        add="add it to the calendar of the request (the page's promotions table)",
        series=[req.series_id])
    if req.future and not fc_model.panel_.regressor_names:
        raise BadRequestError("this model was trained without known-in-advance columns, so "
                              "'future' cannot be used; drop it (GET /models lists the "
                              "model's known_in_advance columns)",
                              code="future_not_supported", field="future")
    future = None
    if fc_model.panel_.regressor_names:
        from training._forecast_coherent import channels_hint, check_total_rows, plan_series
        from training._forecast_future import check_future_regressors, plan_range_notes

        rows = _future_days(req, fc_model)
        _future_numbers(rows, list(fc_model.panel_.regressor_names))
        # the requested series' plan, or a coherent total's channels' (its response is the
        # sum of theirs): no other series is forecast
        planned = plan_series(fc_model, [req.series_id])
        try:
            future = check_future_regressors(
                fc_model.panel_, req.horizon,
                pd.DataFrame(rows) if rows else None, "future", only=planned)
            check_total_rows(fc_model, future, req.horizon, [req.series_id], "future")
        except ForecastInputError as exc:
            text, hint = str(exc), channels_hint(fc_model, [req.series_id])
            if hint and "answered from its channels' plans" not in text:
                text = f"{hint}; {text}"  # what to send first, then what lacks a value
            raise BadRequestError(f"{text}{_other_ids(rows, known, req.series_id)} (send them "
                                  "as 'future': [{'series_id': ..., 'ds': ..., <column>: ...}, "
                                  "...])", code="invalid_future", field="future") from exc
        for sid in planned:
            _reject_below_zero(rows, fc_model, sid)
        # planned values the series never saw (extrapolated), or a column it never moved
        # with (not read): brain forecast predict says the same
        notes += plan_range_notes(fc_model.panel_, future, req.horizon,
                                  list(dict.fromkeys([req.series_id, *planned])))
        for sid in planned:
            outside = _outside_rows(future, fc_model.panel_, req.horizon, sid)
            if outside:
                notes.append(outside)
    try:
        return _predicted(loaded, req, cal, future, notes)
    except ForecastInputError as exc:  # a rule of predict's own the checks above missed
        field = _INPUT_FIELDS.get(exc.input or "")
        raise BadRequestError(str(exc), code=_INPUT_CODES.get(exc.input or "", "bad_request"),
                              field=field) from exc


def _locale_columns(frame: pd.DataFrame, fc_model: Any
                    ) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """The request's events without their ``locale`` fields when none is filled (the calendar
    as before they existed), and the model's copy of its stores file (None without one)."""
    from features._store_map import KEPT_ATTR

    cols = [c for c in ("locale", "locale_name") if c in frame.columns]
    if cols and not frame[cols].astype("string").fillna("").apply(
            lambda c: c.str.strip()).ne("").to_numpy().any():
        frame = frame.drop(columns=cols)
    return frame, getattr(fc_model, KEPT_ATTR, None) or None


def _placed(given: pd.DataFrame, fc_model: Any, known: list[str],
            kept: dict[str, Any] | None) -> pd.DataFrame:
    """The request's city and state holidays (locale Local/Regional, no channel) placed by
    ``place_planned_locales`` (half a locale, or a holiday a model without a stores file
    learned on some series only: a ``DataContractError`` on the events); a model's copy
    that cannot place them (no state column, a blank city) is a 400
    ``model_stores_incomplete`` on the events that need it; for a model without a copy the
    rows as given, with a note (every series)."""
    from features._contracts import DataContractError
    from features._store_map import KEPT_SUFFIX, place_planned_locales
    from features._stores import LOCALE_ROW, store_locale_rows

    try:
        out, notes = place_planned_locales(given, fc_model, known, "calendar", cli=False)
    except DataContractError as exc:
        if not exc.source.endswith(KEPT_SUFFIX):
            raise
        # the model's own copy, not the request: its rows are stores, not events
        need = [int(r) - 1 for r in given.loc[store_locale_rows(given), LOCALE_ROW]]
        lines = [f"'{p.column}' {p.rule}" + (
            f" (stores: {', '.join(p.examples)})" if p.examples else "") for p in exc.problems]
        raise BadRequestError(
            f"calendar: {len(need)} city or state holiday(s) cannot be placed by the stores "
            f"file this model keeps ({exc.source}): {'; '.join(lines)}. Fix: retrain with "
            "brain forecast train --stores FILE (a file with each store's city and state), "
            "or send each holiday's stores in 'channel'",
            code="model_stores_incomplete", field="calendar",
            loc=["calendar", need[0], "locale"] if need else ["calendar"],
            detail=[{"loc": ["calendar", i, "locale"], "msg": lines[0],
                     "type": "model_stores_incomplete"} for i in need[:10]] or None) from None
    if kept:
        out.attrs["load_notes"] = [*given.attrs.get("load_notes", []), *notes]
        return out
    given = given.drop(columns=[LOCALE_ROW], errors="ignore")
    mask = store_locale_rows(given)
    if mask.any():  # the calendar's note names the CLI's --stores, which a client cannot give
        said = [n for n in given.attrs.get("load_notes", [])
                if not n.startswith("calendar: columns 'locale'")]
        names = [repr(x) for x in dict.fromkeys(given.loc[mask, "name"].astype(str))]
        n = int(mask.sum())
        they = "they apply" if n != 1 else "it applies"
        given.attrs["load_notes"] = [*said, (
            f"calendar: {n} event{'s are holidays' if n != 1 else ' is a holiday'} of one city "
            f"or state (locale Local/Regional: {listed(names, 3)}); this model keeps no "
            f"stores file (trained without --stores, or before 2026-12-07), so {they} "
            "to every series, as a national one. To give one to the stores of its city or "
            "state, send their series or stores in 'channel', or retrain with brain forecast "
            "train --stores FILE")]
    return given


_INPUT_FIELDS = {"horizon": "horizon", "series": "series_id", "calendar": "calendar",
                 "future_regressors": "future"}
"""The request field of each input a ``ForecastInputError`` names."""
_INPUT_CODES = {"horizon": "horizon_too_long", "series": "unknown_series_id",
                "calendar": "invalid_calendar", "future_regressors": "invalid_future"}
"""The error code the request's own checks give each input's problems."""


def _predicted(loaded: LoadedModel, req: ForecastRequest, cal: pd.DataFrame,
               future: pd.DataFrame | None, notes: list[str]) -> dict[str, Any]:
    """The forecast and the answer around it, once the request is checked. A
    ``ForecastInputError`` out of it is the request's (400); any other exception a failure of
    ours, a logged 500 (until 2026-12-07 a ``ValueError``, ``TypeError`` or ``KeyError`` was
    answered 400 ``bad_request`` with the internal message)."""
    from features import normalize_calendar
    from training import forecast_with_peaks
    from training._forecast_peak_notes import (
        beyond_history_note,
        known_in_advance_lift_note,
        withheld_lift_note,
    )
    from training._forecast_peaks import event_reach, overlap_note
    from training._forecast_window_bands import window_band_note

    fc_model = loaded.model.forecaster
    # the requested series only, with and without events: each series' forecast reads its
    # own history, events and plan alone, so the rows are those of a forecast of every
    # series (which had cost 23-25 s per request with a 60-store ensemble); ``forecast``
    # keeps the answer
    res = forecast_with_peaks(fc_model, req.horizon, normalize_calendar(cal), future,
                              series=[req.series_id])
    fc = res.forecast[res.forecast["series_id"] == req.series_id]
    peaks = res.peaks[res.peaks["series_id"] == req.series_id]
    withheld = withheld_lift_note(peaks)
    if withheld:
        notes.append(withheld)
    # as brain forecast predict: the rows whose lift is read over the other events kept
    shared = overlap_note(normalize_calendar(cal), fc, event_reach(fc_model))
    if shared:
        notes.append(shared)
    # as brain forecast predict: a P50 far beyond the history (an intensity typed in other
    # units) is named; the page shows the API's notes only
    beyond = beyond_history_note(fc_model, fc)
    if beyond:
        notes.append(beyond)
    no_band = window_band_note(fc_model, peaks)
    if no_band:
        notes.append(no_band)
    # the page shows the API's notes only: without this one, a planner read a paid
    # channel's sale lift on the page without being told the spend plan sits in the
    # baseline (brain forecast predict said so)
    kia = known_in_advance_lift_note(list(fc_model.panel_.regressor_names))
    if kia and len(peaks):
        notes.append(kia)
    at_plan = None
    if fc_model.panel_.regressor_names:
        from training._forecast_plan_response import plan_responses

        at_plan = response_records(plan_responses(fc_model, req.horizon, future, fc,
                                                  normalize_calendar(cal), [req.series_id]))
    return {"model": loaded.name, "version": loaded.version, "series_id": req.series_id,
            "horizon": req.horizon,
            "forecast": records(fc[["ds", "p10", "p50", "p90"]]),
            "peaks": records(peaks.drop(columns=["series_id"])), "notes": notes,
            "response_at_plan": at_plan}


def response_records(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """``plan_responses``' rows of one series as the answer's ``response_at_plan``: per
    column, the series' own slope, or a coherent total's summed one with ``channels``."""
    def num(v: Any) -> float | None:
        return None if pd.isna(v) else float(v)

    out: dict[str, dict[str, Any]] = {}
    for column, rows in frame.groupby("column", sort=False):
        own = rows[rows["channel"] == ""].iloc[0]
        per = rows[rows["channel"] != ""]
        out[str(column)] = {
            "answered": str(own["answered"]), "elasticity": num(own["elasticity"]),
            "planned_sum": num(own["planned_sum"]),
            "d_p50_sum_per_unit": num(own["d_p50_sum_per_unit"]),
            "channels": ({str(r["channel"]): {
                "series": str(r["channel_series"]), "elasticity": num(r["elasticity"]),
                "planned_sum": num(r["planned_sum"]),
                "d_p50_sum_per_unit": num(r["d_p50_sum_per_unit"])}
                for _, r in per.iterrows()} if len(per) else None)}
    return out


def _calendar_only_channels(fc_model: Any) -> list[str]:
    """The channels of the model's checked training calendar without a series of their own,
    which a request calendar may name too (``BaseForecaster.calendar_only_channels``; none
    for a model saved before they were recorded)."""
    fn = getattr(fc_model, "calendar_only_channels", None)
    return list(fn()) if callable(fn) else []


def _unknown_channels(req: ForecastRequest, known: list[str]) -> list[dict[str, Any]]:
    """One ``detail`` entry per event of the request whose channel no series has, at
    ``["calendar", i, "channel"]`` (events counted from 0, as ``loc`` does), with the channel
    it most likely meant: the message had named the events, but ``loc`` was ``["calendar"]``,
    so a client could not tell which event to fix, nor the page which row of its table."""
    from features._calendar import channel_text, series_channel
    from training._forecast_ids import _channel_hint

    channels = sorted({c for c in map(series_channel, known) if c is not None})
    raw = pd.Series([e.channel for e in (req.calendar or [])], dtype=object)
    text = channel_text(raw.map(lambda v: None if v is None else
                                unicodedata.normalize("NFC", str(v))))[0]
    out = []
    for i, chan in enumerate(text):
        if pd.isna(chan) or chan in channels:
            continue
        hint = _channel_hint(str(chan), channels)
        # no close match: perhaps a page or store not in the data yet (the message says more)
        said = (f" (did you mean {hint!r}?)" if hint else
                " (a store or page the model has no series of cannot be forecast yet: train "
                "on its rows at 0 up to the end of the others' history)")
        out.append({"loc": ["calendar", i, "channel"], "type": "invalid_calendar",
                    "msg": f"event {req.calendar[i].name!r}: channel {chan!r} is not a channel "
                           f"of any series{said}; the series' channels are "
                           f"{listed(channels, 20)}"})
    return out


def _calendar_days(req: ForecastRequest, tz: str) -> list[dict[str, Any]]:
    """The request's events with ``start``/``end`` as days in the model's time zone ``tz``.

    Events are whole days. A value with a UTC offset that is a midnight in ``tz`` is that day
    (``2026-01-22T00:00:00Z`` for a UTC model), and so is an ``end`` at the day's last minute
    (``2026-01-22T23:59:59``, as exports write a day's end); any other offset or time of day
    is a 400 at ``["calendar", i, "start"|"end"]``: the calendar is read in UTC and floored
    to days, so a planner's local midnight ``2026-01-22T00:00:00+01:00`` had moved the event
    to 01-21 without a word, and ``T23:30:00-05:00`` to 01-23. An event longer than
    ``MAX_EVENT_DAYS`` is a 400 at ``["calendar", i, "end"]``."""
    from features._io import END_OF_DAY

    events = [e.model_dump() for e in req.calendar or []]
    detail: list[dict[str, Any]] = []
    for i, event in enumerate(events):
        for field in ("start", "end"):
            given = event[field]
            try:
                ts = pd.Timestamp(given)
            except (ValueError, TypeError):
                continue  # not a date at all: the calendar check says so
            if pd.isna(ts):
                continue
            written = given[:10] if len(given) >= 10 and given[4:5] == "-" else str(ts.date())
            local = ts.tz_convert(tz).tz_localize(None) if ts.tzinfo is not None else ts
            if local == local.normalize() or (
                    field == "end" and local - local.normalize() >= END_OF_DAY):
                # a midnight, or an end at the day's last minute ('T23:59:59'): that day
                if ts.tzinfo is not None or local != local.normalize():
                    event[field] = str(local.date())
                continue
            if ts.tzinfo is not None:
                why = (f"with its UTC offset it is {local:%Y-%m-%d %H:%M} in the model's time "
                       f"zone {tz}, not the start of a day")
            else:
                why = f"it holds a time of day ({ts:%H:%M})"
            detail.append({"loc": ["calendar", i, field], "type": "invalid_calendar",
                           "msg": f"calendar[{i}].{field} {given!r}: {why}; events are whole "
                                  f"days in the model's time zone ({tz}): send the day as "
                                  f"YYYY-MM-DD, e.g. {written!r} for the day written"})
        try:
            days = (pd.Timestamp(event["end"]) - pd.Timestamp(event["start"])).days + 1
        except (ValueError, TypeError, OverflowError):
            continue  # not dates: the calendar check says so
        if days > MAX_EVENT_DAYS:
            # a span of centuries overflowed the event-day arithmetic (a 500), and a long one
            # is expanded day by day for every series it reaches
            detail.append({"loc": ["calendar", i, "end"], "type": "invalid_calendar",
                           "msg": f"calendar[{i}] {event['name']!r} lasts {days:,} days (from "
                                  f"{event['start']} to {event['end']}); an event lasts at "
                                  f"most {MAX_EVENT_DAYS:,} days: send the days it is on"})
    reject_first(detail, "invalid_calendar", "calendar")
    return events


def _future_days(req: ForecastRequest, fc_model: Any) -> list[dict[str, Any]]:
    """The request's ``future`` rows with a ``ds`` that carries a UTC offset read as the
    model's local time (its times carry no offset, as the calendar's days): such rows had
    matched no forecast period, and the answer said every period lacked a value. On a daily
    model a time of day (or an offset that is not a local midnight) is a 400 at
    ``["future", i, "ds"]`` saying to send ``YYYY-MM-DD``, and so is a ``ds`` that is not text
    (the plan's check, ``check_future_regressors``, reads text and null only)."""
    tz = getattr(fc_model, "time_zone_", None) or "UTC"
    daily = fc_model.panel_.freq != "h"
    rows = [dict(r) for r in req.future or []]
    detail: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        given = row.get("ds")
        if given is not None and not isinstance(given, str):
            # a number, list or object: pandas reads a number as nanoseconds since 1970, and
            # fails on the others (that had been a 400 bad_request with pandas' message)
            detail.append({"loc": ["future", i, "ds"], "type": "invalid_future",
                           "msg": f"future[{i}].ds is {json.dumps(given, default=str)[:40]}: "
                                  "must be a period as text, YYYY-MM-DD (or YYYY-MM-DD HH:MM "
                                  "for an hourly model)"})
            continue
        if given is None:
            continue
        try:
            ts = pd.Timestamp(given)
        except (ValueError, TypeError):
            continue  # not a timestamp at all: the plan's check says so
        if pd.isna(ts):
            continue
        if ts.tzinfo is not None:
            ts = ts.tz_convert(tz).tz_localize(None)
            row["ds"] = ts.isoformat()
        if daily and ts != ts.normalize():
            detail.append({"loc": ["future", i, "ds"], "type": "invalid_future",
                           "msg": f"future[{i}].ds {given!r} is {ts:%Y-%m-%d %H:%M} in the "
                                  f"model's time zone {tz}, not the start of a day; this "
                                  "model forecasts days: send the day as YYYY-MM-DD"})
    reject_first(detail, "invalid_future", "future")
    return rows


def _other_ids(rows: list[dict[str, Any]], known: list[str], wanted: str) -> str:
    """What to add to a plan that lacks periods when its rows are of series the model does
    not have (``'paid_search'`` for ``'channel=paid_search'``): they had been ignored, and
    the answer said only that every period lacked a value."""
    from training._forecast_ids import unknown_series_text

    other = sorted({str(r.get("series_id")) for r in rows} - set(known))
    if not other:
        return ""
    return (f"; the rows of {unknown_series_text(other, known, 'series_id')}, so they are "
            f"not read: give the rows of the requested series_id {wanted!r}")


def _reject_below_zero(rows: list[dict[str, Any]], fc_model: Any, sid: str) -> None:
    """A 400 for a value below 0 of a column the series responds to on a log scale (its
    history had none: a spend): the response reads it as 0, so a plan of spend -50 a day had
    been answered as a paused channel, P50 near 0, without a word (``brain forecast predict
    --spend-plan`` refuses a negative spend)."""
    responses = (getattr(fc_model, "response_", None) or {}).get(sid, {})
    for i, row in enumerate(rows):
        if str(row.get("series_id")) != sid:
            continue
        for col, resp in responses.items():
            if not getattr(resp, "log", False):
                continue
            raw = row.get(col)
            try:
                value = float(raw) if raw is not None else float("nan")
            except (TypeError, ValueError):
                continue  # not a number: the plan's check has said so
            if value < 0:
                raise BadRequestError(
                    f"future[{i}].{col} is {value:g}: {sid!r} responds to {col!r} on a log "
                    f"scale (its history has no value below 0, e.g. a spend), which reads "
                    f"a value below 0 as 0; send 0 or more (0: none, a paused spend)",
                    code="invalid_future", field="future", loc=["future", i, col])


def _future_numbers(rows: list[dict[str, Any]], names: list[str]) -> None:
    """A 400 ``not_a_number`` at ``["future", i, col]`` for a known-in-advance value that is
    not a JSON number (true/false read as 1/0, null as missing), as feature ``rows`` of a
    model not trained on a table are: a spend sent as text (``"188.28"``) had been read as the
    number without a word, and one a client means as a number is more likely a bug."""
    detail: list[dict[str, Any]] = []
    for col in names:
        wrong = [(i, r[col]) for i, r in enumerate(rows)
                 if col in r and r[col] is not None and not isinstance(r[col], int | float)]
        # JSON's NaN and Infinity: not finite numbers (until 2026-12-07 passed on to the model)
        endless = [(i, r[col]) for i, r in enumerate(rows)
                   if isinstance(r.get(col), float) and not math.isfinite(r[col])]
        if wrong:
            i, v = wrong[0]
            detail.append({"loc": ["future", i, col], "type": "not_a_number",
                           "msg": f"future[{i}].{col} is {v!r}: must be a number (or "
                                  f"true/false for a flag); {len(wrong)} rows hold something "
                                  "else; send it without quotes, e.g. 188.28"})
        elif endless:
            i, v = endless[0]
            shown = "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
            detail.append({"loc": ["future", i, col], "type": "finite_number",
                           "msg": f"future[{i}].{col} is {shown}: not a finite number; "
                                  f"{len(endless)} rows hold NaN or Infinity; send the planned "
                                  "number (0: none)"})
    reject_first(detail, "not_a_number", "future", "more columns")


def _outside_rows(future: pd.DataFrame | None, panel: Any, horizon: int, sid: str
                  ) -> str | None:
    """The note for rows of the requested series on periods outside the forecast (beyond the
    horizon, or before its first period): they are not read, and had been left out without a
    word (a plan of 60 days for a horizon of 28 is answered for 28)."""
    if future is None:
        return None
    idx = panel.future_index(sid, horizon)
    ds = pd.DatetimeIndex(future.loc[future["series_id"] == sid, "ds"])
    out = ds[~ds.isin(idx)].sort_values()
    if not len(out):
        return None
    shown = ", ".join(period_text(t) for t in out[:3]) + (
        f" (+{len(out) - 3} more)" if len(out) > 3 else "")
    return (f"{len(out)} 'future' rows of {sid!r} fall outside the forecast periods "
            f"{period_text(idx[0])} .. {period_text(idx[-1])} and are not read: {shown}; ask "
            "for a longer horizon to forecast them")
