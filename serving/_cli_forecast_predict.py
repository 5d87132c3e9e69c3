"""``brain forecast predict``'s forecast (``run_predict``): load the model, check the calendar,
future values or spend plan and the series asked for against it, forecast with the peaks per
event and say what the notes say; the files are written by ``write_forecast``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from features._calendar import aggregates_first
from features._store_map import KEPT_ATTR

from ._cli_common import err_console, model_label, show_note
from ._cli_forecast_inputs import calendar_outside_note, map_store_locales
from ._cli_forecast_model import (
    _check_model_horizon,
    _describe_model,
    _load_model,
    _time_zone_note,
    _versions_with_columns,
)
from ._cli_forecast_output import write_forecast
from ._cli_forecast_plan import plan_future

__all__ = ["run_predict"]


def run_predict(model_uri: str, horizon: int, calendar: pd.DataFrame | None,
                out: Path, future: pd.DataFrame | None = None,
                future_source: str = "future regressors",
                calendar_source: str | None = None,
                series: list[str] | None = None,
                spend_plan: pd.DataFrame | None = None,
                spend_source: str = "spend plan", stores: Path | None = None
                ) -> tuple[dict[str, Path], pd.DataFrame]:
    """Forecast with a logged model, write forecast/peaks CSVs and a PNG.

    ``series``: forecast only these series of the model (None: all). Each series' rows are
    those of a forecast of every series (each reads its own history, events and plan), as
    ``POST /forecast_traffic`` answers one series; one store of a 60-store ensemble had cost
    the full forecast of every store (41 s).

    ``future`` holds the known-in-advance values (series_id, ds and the model's columns) for
    every forecast period; required when the model was fitted with such columns, ignored (with a
    note) otherwise. ``future_source`` names it in errors. With ``calendar_source``,
    ``calendar`` is the file as read, validated here once the model is loaded: events without
    an intensity get their name's usual one in the model's history, else their kind's
    (``kind_intensities``). ``spend_plan`` (the spend contract: date, channel, spend for the
    forecast days) gives a model trained with ``--spend`` its ``future`` rows instead
    (``plan_future``). ``stores``: a stores file giving the calendar's city and state holidays
    to the model's series of the stores there (``map_store_locales``), as train read them.

    Returns the written paths by label and the peak summary.
    """
    from features._calendar import expand_store_channels, natural_key, normalize_calendar
    from training._forecast_future import check_future_regressors, plan_range_notes
    from training._forecast_ids import check_calendar_channels
    from training._forecast_mlflow import pyfunc_input, regressor_names
    from training._forecast_peak_notes import (
        beyond_history_note,
        calendar_novelty_notes,
        known_in_advance_lift_note,
        withheld_lift_note,
    )
    from training._forecast_peaks import (
        event_reach,
        forecast_with_peaks,
        forecasts_without,
        overlap_note,
        peak_summary,
        series_levels,
    )
    from training._forecast_plan_response import plan_responses
    from training._forecast_starts import start_notes
    from training._forecast_window_bands import window_band_note
    from training._mlflow import configure_mlflow

    configure_mlflow(registry_needed=model_uri.startswith("models:"))
    loaded = _load_model(model_uri)
    inner = getattr(loaded.unwrap_python_model(), "forecaster", None)
    if inner is None:
        kind = type(loaded.unwrap_python_model()).__name__
        raise ValueError(f"{model_uri} is not a traffic forecaster (it holds a {kind}); pass a "
                         "forecaster, e.g. --model-uri models:/traffic_forecaster@champion")
    label = model_label(model_uri)
    _check_model_horizon(label, inner, horizon)
    kept = getattr(inner, KEPT_ATTR, None)  # the stores file train read (--stores)
    if calendar is not None and calendar_source is not None:
        from features._io import validate_calendar
        from features._store_map import check_locale_fields
        from features._stores import locale_pair
        from training._forecast_base import kind_intensities

        # half a locale, on the file's rows (validate_calendar sorts them); the locale
        # columns then read with each row's number in the file (named in the errors)
        check_locale_fields(calendar, calendar_source)
        read_locales = locale_pair(calendar) is not None

        # times with an offset in the zone the model's series were read in (train --tz)
        calendar = validate_calendar(calendar, calendar_source, kind_intensities(inner),
                                     name_intensity=kind_intensities(inner, "name"),
                                     tz=getattr(inner, "time_zone_", None) or "UTC",
                                     locales=read_locales)
    series_ids = [str(s) for s in inner.panel_.series]
    if series is not None:
        series = list(dict.fromkeys(s.strip() for s in series if s.strip()))
        unknown = [s for s in series if s not in set(series_ids)]
        if unknown or not series:
            shown = ", ".join(sorted(series_ids, key=natural_key)[:10])
            more = f" and {len(series_ids) - 10} more" if len(series_ids) > 10 else ""
            what = (f"{label} forecasts no series {', '.join(map(repr, unknown))}" if unknown
                    else "names no series")
            raise ValueError(f"--series: {what}; its series: {shown}{more}")
    # checked before any model runs: the seasonal naive ignores calendars when it forecasts
    if calendar is not None:  # (and the channels of the model's own calendar, as the API)
        extra = (inner.calendar_only_channels()
                 if callable(getattr(inner, "calendar_only_channels", None)) else [])
        source = calendar_source or "calendar"
        if stores is not None:  # a city's holiday on the stores of the city, as train read it
            from features._store_map import check_locale_fields

            check_locale_fields(calendar, source)
            if kept:
                _compare_stores(stores, kept, series_ids)
            else:
                _note_trained_everywhere(calendar, inner, calendar_source or "calendar")
            calendar = map_store_locales(calendar, stores, series_ids,
                                         Path(calendar_source or "calendar"))
        else:  # the stores file the model was trained with, as it kept it; without one, a
            # holiday it learned on some stores only is refused (the API's and pyfunc's rule)
            from features._store_map import place_planned_locales

            calendar, kept_notes = place_planned_locales(calendar, inner, series_ids, source)
            if not kept:  # they apply to every series: said as before (``locale_note``)
                from features._stores import LOCALE_ROW, locale_note

                calendar = calendar.drop(columns=[LOCALE_ROW], errors="ignore")
                kept_notes = [f"{source}: {n}" for n in [locale_note(calendar)] if n]
            for note in kept_notes:
                show_note(note)
        # a store's event on series per store and family: a row per series of the store
        calendar, store_notes = expand_store_channels(calendar, series_ids)
        for note in store_notes:
            show_note(f"{calendar_source or 'calendar'}: {note}")
        check_calendar_channels(calendar, series_ids, extra)
    names = regressor_names(inner)
    if spend_plan is not None:
        if future is not None:
            raise ValueError(f"predict: give the planned spend once: {spend_source} or "
                             f"{future_source}, not both")
        future = plan_future(inner, horizon, spend_plan, spend_source, label, series)
        future_source = spend_source
    if names and future is None:
        try:
            check_future_regressors(inner.panel_, horizon, None, "predict")
        except ValueError as exc:
            plan = (" (a spend read by --spend: its planned spend per day and channel with "
                    "--spend-plan FILE)" if names == ["spend"] else "")
            raise ValueError(f"{exc}; pass them with --future FILE{plan}") from None
    if names:
        from training._forecast_coherent import channels_hint, check_total_rows, plan_series

        # the asked series' rows, or a coherent total's channels' (its response is the sum
        # of theirs), as the API reads them: a file of the total's rows alone had been an
        # error about 'predict: future_regressors' and the first channel, naming no file
        reads = plan_series(inner, series) if series is not None else None
        try:
            future = check_future_regressors(inner.panel_, horizon, future, future_source,
                                             only=reads)
            check_total_rows(inner, future, horizon, series or series_ids, future_source)
        except ValueError as exc:
            text, hint = str(exc), channels_hint(inner, series) if series is not None else ""
            if hint and "answered from its channels' plans" not in text:
                # what to send first, then what lacks a value
                text = (f"{future_source}: {hint} (or --spend-plan FILE: date, channel, "
                        f"spend); {text}")
            raise ValueError(text) from None
        # planned values a series never saw (its response extrapolated), or a column it
        # never moved with (the plan's value not read), as the API's notes say
        for note in plan_range_notes(inner.panel_, future, horizon, None if series is None
                                     else list(dict.fromkeys([*series, *(reads or [])]))):
            show_note(note)
    elif future is not None:
        err_console.print(f"[yellow]note:[/] {future_source}: {label} has no known-in-advance "
                          f"columns; the file is not used{_versions_with_columns(model_uri)}",
                          highlight=False)
    _describe_model(label, inner, horizon, series)
    # the forecast periods of the newest histories among the series forecast: a series that
    # ended early (a page renamed a year ago; named in its own note) had moved the notes'
    # start back to its end, so every event since was 'planned' and its kind 'never had';
    # and with --series naming only such a series, the notes' end (the newest series' last
    # period) had made the year since part of its forecast periods, where the API reads the
    # series' own
    newest = max(inner.panel_.series[s].ds[-1] for s in (series or inner.panel_.series))
    begin, end = newest + inner.panel_.step, newest + horizon * inner.panel_.step
    _time_zone_note(inner, horizon)
    calendar_outside_note(calendar, begin, end, "--calendar", "the forecast periods")
    full_cal = pd.concat([inner.calendar_, normalize_calendar(calendar)], ignore_index=True
                         ).drop_duplicates(["name", "start", "channel"], keep="last")
    if series is None:
        events = pyfunc_input(calendar, future, names)
        fc = loaded.predict(events, params={"horizon": horizon, "use_stored_calendar": True})
        base = loaded.predict(pyfunc_input(None, future, names),
                              params={"horizon": horizon, "use_stored_calendar": False})
        # each event that shares days with others: the forecast without it, for its lift
        without = forecasts_without(
            full_cal, fc, lambda c, jobs: inner.predict_without(horizon, c, jobs, future),
            event_reach(inner), batched=not inner.cheap_without)
        peaks = peak_summary(fc, full_cal, base, None, series_levels(inner), without,
                             getattr(inner, "window_bands_", None))
    else:  # the asked series only, as the API forecasts one
        res = forecast_with_peaks(inner, horizon, normalize_calendar(full_cal), future,
                                  series=series)
        fc, peaks, base = res.forecast, res.peaks, res.baseline
    # each series' response at the plan (elasticity, marginal P50 per unit), as the API's
    # response_at_plan
    at_plan = (plan_responses(inner, horizon, future, fc, normalize_calendar(full_cal), series)
               if names else None)
    _unplanned_kinds_note(inner, full_cal, begin, end)
    for note in calendar_novelty_notes(inner, full_cal, begin, end, series=series):
        show_note(note)
    for note in start_notes(inner, full_cal, begin, end, series=series):
        show_note(note)
    # the sums over every channel lead the files, the table and the chart
    order = {sid: i for i, sid in enumerate(aggregates_first(fc["series_id"]))}
    fc = fc.sort_values("series_id", key=lambda s: s.map(order), kind="stable",
                        ignore_index=True)
    peaks = peaks.sort_values("series_id", key=lambda s: s.map(order), kind="stable",
                              ignore_index=True)
    withheld = withheld_lift_note(peaks)
    if withheld:
        show_note(withheld)
    shared = overlap_note(full_cal, fc, event_reach(inner))
    if shared:
        show_note(shared)
    beyond = beyond_history_note(inner, fc)
    if beyond:
        show_note(beyond)
    no_band = window_band_note(inner, peaks)
    if no_band:
        show_note(no_band)
    kia = known_in_advance_lift_note(list(names))
    if kia:
        show_note(kia)
    paths = write_forecast(out, fc, peaks, at_plan, inner.panel_, series, full_cal)
    peaks.attrs["unit"] = "hours" if inner.panel_.freq == "h" else "days"
    from training._forecast_check import FORECASTS_EXPERIMENT, log_forecast

    # kept so that 'brain forecast check' can score it on the actuals that arrive; the files
    # are written: a store that refuses the run (the experiment deleted in the MLflow UI)
    # is said, it does not take the forecast away
    pruned: list[str] = []  # on a tracking server: what its admin runs to remove old forecasts
    try:
        peaks.attrs["run_id"] = log_forecast(
            fc, label, model_uri, max(g.ds[-1] for g in inner.panel_.series.values()),
            notes=pruned, files=[paths["chart"], paths["peaks"]])
        for note in pruned:
            show_note(note)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        show_note(f"the forecast could not be kept for 'brain forecast check' "
                  f"({type(exc).__name__}: {first}); check it later with --forecast "
                  f"{paths['forecast']} (a deleted experiment '{FORECASTS_EXPERIMENT}' can be "
                  "restored in the MLflow UI)")
    return paths, peaks


def _unplanned_kinds_note(model: Any, calendar: pd.DataFrame, begin: pd.Timestamp,
                          end: pd.Timestamp) -> None:
    """Note the event kinds the model learned a sizeable lift for that no calendar event in the
    forecast periods has (``unplanned_kinds_notes``; the API gives the same notes)."""
    from training._forecast_peak_notes import unplanned_kinds_notes

    for note in unplanned_kinds_notes(model, calendar, begin, end):
        show_note(note)


def _compare_stores(stores: Path, kept: dict[str, Any], series_ids: list[str]) -> None:
    """``--stores`` given to a model that kept its training stores file: an error when the
    file lacks a store of the model's series (or cannot be matched to them), a note when it
    places a store elsewhere than the model's copy or adds or removes stores."""
    from features._store_map import remember_stores, stores_changed_note
    from features._stores import load_stores

    note = stores_changed_note(kept, remember_stores(load_stores(stores), series_ids,
                                                     at_train=False))
    if note:
        show_note(note)


def _note_trained_everywhere(calendar: pd.DataFrame, inner: Any, source: str) -> None:
    """A note when ``--stores`` maps planned city or state holidays the model learned on
    every series (trained without the stores file): its own rows still give them to every
    series, so the mapping changes nothing until it is trained with ``--stores``."""
    from features._stores import trained_on_every_series

    hit = trained_on_every_series(calendar, getattr(inner, "calendar_", None))
    if hit:
        show_note(f"{source}: the model learned {len(hit)} of the city or state holidays "
                  f"--stores maps on every series ({', '.join(hit[:3])}"
                  f"{', ...' if len(hit) > 3 else ''}): it was trained without the stores "
                  "file, and its own rows still give them to every series, so the mapping "
                  "changes nothing here; train with --stores for them to apply to their "
                  "stores only")
