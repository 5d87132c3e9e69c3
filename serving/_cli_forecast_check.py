"""``brain forecast check``: an earlier forecast against the actuals that arrived since.

Also the warning ``brain forecast train`` and ``backtest`` print when the newest kept forecast
that their data reach ran persistently off (``earlier_forecast_warnings``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from features._calendar import normalize_calendar
from training._forecast_panel import live_history
from training._forecast_text import period_text as _fmt

from ._cli_common import console, err_console, frame_table, show_note

if TYPE_CHECKING:
    from training._forecast_check import LoggedForecast

__all__ = ["earlier_forecast_warnings", "pick_forecast", "print_check"]


def pick_forecast(actuals: pd.DataFrame, run: str | None, forecast: Path | None,
                  tz: str = "UTC") -> tuple[pd.DataFrame, str]:
    """The forecast to check and a line saying which: ``--forecast FILE``, ``--run ID``, or the
    newest kept forecast whose first period the actuals reach and that shares a series with
    them. A ValueError names what is kept when none fits. A file's times with UTC offsets are
    read in the business time zone ``tz``, as the actuals are."""
    from features._read import read_table
    from features._series_io import _has_offsets
    from training._forecast_check import load_forecast, logged_forecasts

    if forecast is not None:
        frame = read_table(forecast)
        if "ds" in frame.columns and _has_offsets(frame["ds"]):
            try:
                local = pd.to_datetime(frame["ds"], utc=True).dt.tz_convert(tz)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{forecast}: column 'ds' holds times that cannot be read "
                                 f"({exc})") from None
            frame = frame.assign(ds=local.dt.tz_localize(None))
        return frame, f"{forecast}"
    kept = logged_forecasts()
    if run is not None:
        match = [k for k in kept if k.run_id == run or k.run_id.startswith(run)]
        if len(match) != 1:
            raise ValueError(f"forecast check: --run {run!r} matches {len(match)} of the "
                             f"{len(kept)} kept forecasts; {_listing(kept)}")
        k = match[0]
        try:
            return load_forecast(k.run_id), _describe(k)
        except Exception as exc:  # e.g. the artifact removed from the store
            raise ValueError(f"forecast check: the kept forecast of MLflow run {k.run_id} "
                             f"cannot be read ({type(exc).__name__}: {_first_line(exc)}); "
                             f"{_listing(kept)}") from None
    end = pd.to_datetime(actuals["ds"]).max()
    ids = set(actuals["series_id"].astype(str))
    for k in kept:
        if k.first > end:
            continue
        try:
            frame = load_forecast(k.run_id)
        except Exception as exc:  # its artifact gone (a cleaned store, a concurrent prune)
            show_note(f"the kept forecast of MLflow run {k.run_id} cannot be read "
                      f"({type(exc).__name__}: {_first_line(exc)}); looking at older ones")
            continue
        if ids & set(frame["series_id"]):
            return frame, _describe(k)
    raise ValueError(f"forecast check: no kept forecast starts by the actuals' last period "
                     f"{_fmt(end)} with a series of theirs ({len(kept)} kept); "
                     f"{_listing(kept)}. 'brain forecast predict' keeps each forecast; pass "
                     "--forecast FILE for a forecast.csv of your own")


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [""])[0]


def _describe(k: LoggedForecast) -> str:
    return (f"the forecast made {k.made:%Y-%m-%d %H:%M} by {k.model} for {_fmt(k.first)} .. "
            f"{_fmt(k.last)} ({k.series} series; MLflow run {k.run_id})")


def _listing(kept: list[LoggedForecast]) -> str:
    if not kept:
        return "no forecast is kept yet"
    shown = "; ".join(f"{k.run_id[:8]} {_fmt(k.first)} .. {_fmt(k.last)} by {k.model} "
                      f"(made {k.made:%Y-%m-%d})" for k in kept[:8])
    more = f" and {len(kept) - 8} more" if len(kept) > 8 else ""
    return f"kept: {shown}{more}"


def _why_no_scale(sids: list[str], forecast: pd.DataFrame, actuals: pd.DataFrame,
                  least: int, calendar: pd.DataFrame | None = None
                  ) -> tuple[list[str], list[str], list[str]]:
    """The series without a MASE scale split by why: under ``least`` periods with a value
    before the forecast's first period (a file of the new days only), under ``least``
    periods since it started after weeks at 0 (a page launched days before), or a history
    that does not change from week to week (``_scale`` is 0: the same value every week)."""
    if not sids:
        return [], [], []
    first = (forecast.assign(series_id=forecast["series_id"].astype(str),
                             ds=pd.to_datetime(forecast["ds"]))
             .groupby("series_id")["ds"].min())
    act = actuals.assign(series_id=actuals["series_id"].astype(str),
                         ds=pd.to_datetime(actuals["ds"]),
                         y=pd.to_numeric(actuals["y"], errors="coerce"))
    act = act[act["y"].notna().to_numpy(dtype=bool)]
    before = act[(act["ds"] < act["series_id"].map(first)).to_numpy(dtype=bool)]
    counts = before.groupby("series_id").size()
    short = [s for s in sids if int(counts.get(s, 0)) < least]
    # a page exported at 0 before a launch 13 days before the forecast: its scale is read from
    # its launch on (``live_history``, with the calendar: the one start rule), which holds
    # under two weeks
    ppd = max(least // 14, 1)
    cal = None if calendar is None or not len(calendar) else normalize_calendar(calendar)
    young = []
    for s in sids:
        if s in short:
            continue
        rows = before.loc[before["series_id"] == s].sort_values("ds")
        live = live_history(rows["y"].to_numpy(float), ppd, ds=pd.DatetimeIndex(rows["ds"]),
                            series_id=s, calendar=cal)
        if 0 < len(live) < least:
            young.append(s)
    return short, young, [s for s in sids if s not in short and s not in young]


def print_check(forecast: pd.DataFrame, actuals: pd.DataFrame, what: str,
                calendar: pd.DataFrame | None = None) -> None:
    """Score ``forecast`` on ``actuals`` and print the table, the warnings and notes; the
    event ``calendar`` places each page's launch for its MASE scale, as in the backtest."""
    from training._forecast_check import MIN_DAYS, check_forecast, recent_text

    result = check_forecast(forecast, actuals, calendar=calendar)
    console.print(f"checking {what} on the actuals to "
                  f"{_fmt(pd.to_datetime(actuals['ds']).max())}", highlight=False)
    if result.table.empty:
        raise ValueError("forecast check: no forecast period has an actual yet (the forecast "
                         f"starts {_fmt(pd.to_datetime(forecast['ds']).min())}); check again "
                         "once they arrive")
    t = result.table
    stamps = pd.to_datetime(forecast["ds"])
    unit = "days" if (stamps == stamps.dt.normalize()).all() else "hours"  # an hourly forecast
    show = pd.DataFrame({
        "series_id": t["series_id"],
        unit: t["periods"],
        "span": [f"{_fmt(a)} .. {_fmt(b)}" for a, b in zip(t["first"], t["last"], strict=True)],
        "actual": t["actual"].map(lambda v: f"{v:,.0f}"),
        "forecast": t["forecast"].map(lambda v: f"{v:,.0f}"),
        "bias": t["bias_pct"].map(lambda v: "" if pd.isna(v) else f"{v:+.1f}%"),
        "MAPE": t["mape_pct"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}%"),
        "MASE": t["mase"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}"),
        "80% cover": t["coverage80_pct"].map(lambda v: f"{v:.0f}%"),
        ">P90": t["above_p90_pct"].map(lambda v: f"{v:.0f}%"),
        "<P10": t["below_p10_pct"].map(lambda v: f"{v:.0f}%"),
    })
    if "recent_days" in t:
        show["last days"] = [
            "" if pd.isna(n) else
            f"{int(k)}/{int(n)} {'above' if s == 'high' else 'below'} P50, "
            f"{recent_text(a, f, r)}"
            for n, k, s, r, a, f in zip(t["recent_days"], t["recent_on_side"], t["recent_side"],
                                        t["recent_pct"], t["recent_actual"],
                                        t["recent_forecast"], strict=True)]
    console.print(frame_table(show, title="forecast against actuals (bias: forecast over "
                                          "actual; last days: actual over forecast)"))
    no_scale = t.loc[t["mase"].isna(), "series_id"].astype(str).tolist()
    short, young, flat = _why_no_scale(no_scale, forecast, actuals,
                                       14 if unit == "days" else 336, calendar)
    if short:  # the column had been blank without a word (actuals of the new days only)
        show_note(f"MASE is empty for {len(short)} series ({', '.join(short[:5])}"
                  f"{' ...' if len(short) > 5 else ''}): its scale is the series' mean "
                  "weekly difference before the forecast's first period, and the actuals hold "
                  "under two weeks (or, hourly, two weeks of hours) before it; give the series "
                  "with its history (--series FILE, or --data) for MASE")
    if young:
        show_note(f"MASE is empty for {len(young)} series ({', '.join(young[:5])}"
                  f"{' ...' if len(young) > 5 else ''}): they started (after weeks at 0, or at "
                  "their launch in the calendar) under two weeks before the forecast's first "
                  "period, and the days at 0 before a start are no part of a series' weekly "
                  "variation, so MASE has no scale yet; read bias, MAPE and coverage for them")
    if flat:  # history given, but it never changed from week to week (0 before a launch)
        show_note(f"MASE is empty for {len(flat)} series ({', '.join(flat[:5])}"
                  f"{' ...' if len(flat) > 5 else ''}): their history before the forecast's "
                  "first period does not change from week to week (the same value every week, "
                  "such as 0 before a launch), so MASE has no scale; read bias, MAPE and "
                  "coverage for them")
    for note in result.band_notes:  # the 80% band over every period checked
        show_note(note)
    if result.unscored:
        show_note(f"{len(result.unscored)} forecast series have no actual in these data: "
                  f"{', '.join(result.unscored[:8])}")
    for w in result.warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    if not result.warnings and "recent_days" in t and np.nanmax(t["recent_days"]) >= MIN_DAYS:
        console.print("no persistent error: no series had most of its last days on one side "
                      "of P50 with many beyond the 80% band on that side", highlight=False)


def earlier_forecast_warnings(actuals: pd.DataFrame) -> None:
    """For ``train`` and ``backtest``: when the newest kept forecast whose periods these data
    reach ran persistently off, print its warnings (quietly nothing otherwise, and when no
    forecast is kept or the store cannot be read)."""
    from training._forecast_check import check_forecast, load_forecast, logged_forecasts

    end = pd.to_datetime(actuals["ds"]).max()
    ids = set(actuals["series_id"].astype(str))
    try:
        kept = [k for k in logged_forecasts() if k.first <= end]
    except Exception:  # a check of earlier forecasts must never stop a training
        return
    for k in kept:
        try:
            frame = load_forecast(k.run_id)
            frame = frame[frame["series_id"].isin(ids)]
            if frame.empty:
                continue
            result = check_forecast(frame, actuals)
        except Exception as exc:  # said, not raised: the training goes on
            show_note(f"the kept forecast of MLflow run {k.run_id} could not be checked "
                      f"against these data ({type(exc).__name__}: {exc}); 'brain forecast "
                      f"check --run {k.run_id[:8]}' shows the error")
            return
        for w in result.warnings:
            err_console.print(f"[yellow]warning:[/] {_describe(k)}: {w}. A model trained now "
                              "has only these last days of the new level among its history, "
                              "so its forecast can stay off the same way for some weeks: "
                              "score it with 'brain forecast check' as the actuals arrive "
                              f"(--run {k.run_id[:8]} shows every series of this one)",
                              highlight=False)
        return
