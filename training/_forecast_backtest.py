"""Rolling-origin backtests of traffic forecasters: metrics per fold and series, one plot per fold.

For each origin the forecaster is refitted on every row with ``ds < origin`` (the calendar and
known-in-advance columns are known for the whole span, as a promotion plan is) and forecasts
``horizon`` periods from the origin. A period absent from the data (a gap, which the contract
allows) has no actual, so it is not scored, just as it is never a training target; the model
still forecasts it, with the series' known-in-advance values carried forward from its last row
before that period (see ``backtest_future_regressors``).

The folds' origins and known-in-advance values: ``training._forecast_backtest_folds``; the
scores, on the original scale: ``training._forecast_backtest_metrics``; the key naming what was
evaluated: ``training._forecast_backtest_keys``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features._calendar import normalize_calendar
from features._spend_series import SOURCES_ATTR

from ._forecast_backtest_folds import (
    _left_out,
    backtest_future_regressors,
    backtest_origins,
    cover_horizon,
)
from ._forecast_backtest_keys import evaluation_key
from ._forecast_backtest_metrics import METRICS, forecast_metrics
from ._forecast_backtest_notes import (
    dominant_error_notes,
    runaway_forecast_notes,
    uncovered_events_note,
    zero_actuals_note,
)
from ._forecast_backtest_starts import (
    LEAD_DAYS,
    START_METRICS,
    fold_start,
    launch_pads,
    start_metrics,
    start_notes,
)
from ._forecast_backtest_zone import (
    local_backtest_inputs,
    zoned_outputs,
    zoned_time,
)
from ._forecast_base import BaseForecaster, steps_per_day
from ._forecast_ids import calendar_for_series, check_calendar_channels
from ._forecast_intervals import fold_spread_note, interval_notes
from ._forecast_panel import prepare_panel
from ._forecast_plots import FOLD_PLOT_SERIES, plot_fold_pages
from ._forecast_stages import fit_stages, stage
from ._forecast_starts import _starts as started_series
from ._forecast_text import listed

__all__ = ["START_METRICS", "BacktestResult", "backtest", "dominant_error_notes",
           "interval_notes", "uncovered_events_note", "zero_actuals_note"]


@dataclass(frozen=True)
class BacktestResult:
    """Outcome of a rolling-origin backtest.

    Attributes:
        model: forecaster name.
        params: forecaster constructor settings.
        horizon: periods forecast from each origin.
        origins: forecast origins (first forecast period of each fold).
        folds: one row per (origin, series) with every metric in ``METRICS``.
        mean: each metric averaged over folds and series.
        forecasts: ``series_id``, ``ds``, ``p10``, ``p50``, ``p90``, ``y``, ``origin`` rows.
        evaluation: key naming the data, origins and horizon; equal keys mean comparable scores.
        seconds: wall-clock time of the whole backtest.
        plots: paths of the per-fold plots (empty when no plot folder was given).
        notes: what the caller should know about the scores: series left out of a fold (and
            why), zero actuals that inflate sMAPE, a raised ``max_horizon_days``.
        starts: one row per (origin, series) that starts inside the fold (a launch, an
            opening: only zeros before the origin, a planned event of its own channel; see
            ``training._forecast_backtest_starts``): ``origin``, ``series_id``, ``event``,
            ``event_start``, ``first_live``, ``periods``, ``sum_p50``, ``sum_y`` and every
            metric in ``START_METRICS``. Such a (fold, series) is not in ``folds``: it has no
            MASE scale, and its other metrics had been averaged with the live series'.
        start_mean: each metric of ``START_METRICS`` averaged over the rows of ``starts``
            (empty when no fold holds a start).
    """

    model: str
    params: dict[str, object]
    horizon: int
    origins: tuple[pd.Timestamp, ...]
    folds: pd.DataFrame
    mean: dict[str, float]
    forecasts: pd.DataFrame
    evaluation: str
    seconds: float
    plots: tuple[Path, ...] = ()
    notes: tuple[str, ...] = ()
    starts: pd.DataFrame = field(default_factory=pd.DataFrame)
    start_mean: dict[str, float] = field(default_factory=dict)


def _fold_score(row: dict[str, Any]) -> str:
    """A fold's score of one series for its chart: MASE and the 80% band's coverage."""
    parts = []
    if np.isfinite(row.get("mase", np.nan)):
        parts.append(f"MASE {row['mase']:.2f}")
    if np.isfinite(row.get("coverage80_pct", np.nan)):
        parts.append(f"80% band held {row['coverage80_pct']:.0f}%")
    return ", ".join(parts)


def backtest(
    make: Callable[[], BaseForecaster] | BaseForecaster,
    series: pd.DataFrame,
    calendar: pd.DataFrame | None = None,
    *,
    horizon: int = 60,
    origins: Sequence[str | pd.Timestamp] | None = None,
    n_folds: int = 5,
    step: int | None = None,
    plot_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> BacktestResult:
    """Rolling-origin backtest.

    Args:
        make: forecaster instance (cloned per fold from its settings) or factory.
        series: long frame ``series_id``, ``ds``, ``y`` (+ known-in-advance columns).
        calendar: event calendar, known for the whole span.
        horizon: periods forecast from each origin.
        origins: first forecast period of each fold (default: ``n_folds`` origins ``step``
            periods apart, the last one ending at the last observation).
        n_folds, step: used when ``origins`` is None (``step`` defaults to ``horizon``).
        plot_dir: folder for one PNG per fold (None: no plots).
        progress: called with one line per finished fold.

    A ``ds`` with a time zone is backtested on its local wall clock, as the forecasters model
    it, with zoned calendar times read as its local days and origins in its zone (a naive
    origin is a local time); the result's times are in that zone
    (``training._forecast_backtest_zone``).

    Raises:
        ValueError: an origin leaves no training data or no actuals.
    """
    t0 = time.perf_counter()
    zone = None
    if "series_id" in series.columns:  # else the contract's error below
        series, calendar, origins, zone = local_backtest_inputs(series, calendar, origins)
    panel = prepare_panel(series)
    freq = panel.freq
    frame = series.copy()
    frame["series_id"] = frame["series_id"].astype(str)
    frame["ds"] = pd.to_datetime(frame["ds"])
    season = 7 * steps_per_day(freq)
    delta = panel.step
    origin_list = backtest_origins(frame, horizon, origins, n_folds, step)
    proto = make if isinstance(make, BaseForecaster) else None
    notes: list[str] = []
    if proto is not None:
        proto, raised = cover_horizon(proto, horizon, freq)
        notes += [raised] if raised else []
    all_ids = list(panel.series)
    check_calendar_channels(calendar, all_ids)  # once, against every series of the data
    cal_n = normalize_calendar(calendar)
    skipped: dict[str, list[str]] = {}
    extra = [c for c in frame.columns if c not in ("series_id", "ds", "y")]
    # what the known-in-advance columns were built from (``join_spend``'s record, as
    # ``train_and_register`` keeps it in the model): without it a total that predict answers
    # from its channels' changes was scored on its own response
    sources = series.attrs.get(SOURCES_ATTR)
    rows, forecasts, plots = [], [], []
    start_rows: list[dict[str, Any]] = []
    unplanned: dict[str, list[str]] = {}
    name, params = "", dict[str, Any]()
    thin: list[str] = []  # folds trained on fewer periods than they forecast
    for k, origin in enumerate(origin_list):
        model = type(proto)(**proto.get_params()) if proto is not None else make()  # type: ignore[operator]
        name, params = model.model_name, model.get_params()
        train = frame[frame["ds"] < origin]
        end = origin + horizon * delta
        test = frame[(frame["ds"] >= origin) & (frame["ds"] < end)]
        # a launch in the window of a series exported from its first day only: its days
        # before it at 0, as the export with them gives (it had been left out of the fold)
        pads = launch_pads(frame, calendar, origin, end, delta)
        if len(pads):
            train = pd.concat([train, pads[pads["ds"] < origin]], ignore_index=True)
            test = pd.concat([test, pads[pads["ds"] >= origin]], ignore_index=True)
        if train.empty or test.empty:
            msg = (f"backtest: origin {origin} leaves {len(train)} training rows and {len(test)} "
                   f"actuals; choose origins inside ({frame['ds'].min()}, {frame['ds'].max()}]")
            raise ValueError(msg)
        span = int((origin - train["ds"].min()) / delta)
        if span < horizon:
            thin.append(f"{origin.date()} ({span} against {horizon})")
        # events of series that start after the origin concern no series of this fold
        # a line per stage of the fit and the forecast on a large panel (a fold of 1,782
        # series had run 5-8 min without a line)
        where, fold_t0 = f"fold {k + 1}/{len(origin_list)}: ", time.perf_counter()
        with fit_stages(progress, where, len(all_ids)):
            model.fit(train, calendar_for_series(calendar,
                                                 list(train["series_id"].unique())))
        if sources:  # a total answered by its channels in predict is scored so here too
            model.column_sources_ = sources  # type: ignore[union-attr]
        last = train.groupby("series_id")["ds"].max()
        out = _left_out(all_ids, train, test, freq)
        for sid, why in out.items():
            skipped.setdefault(f"{sid!r} ({why})", []).append(str(origin.date()))
        # forecast as far as the scored series need (a series that ended long before the
        # origin has nothing to score and would otherwise stretch the horizon)
        scored_last = last[[s for s in last.index if s not in out]]
        need = int((end - (scored_last.min() if len(scored_last) else last.max())) / delta) - 1
        future = (backtest_future_regressors(frame, extra, last, need, freq) if extra
                  else None)
        try:
            pred = model.predict(need, future_regressors=future)
        except ValueError as exc:
            sid = str(scored_last.idxmin()) if len(scored_last) else str(last.idxmin())
            msg = (f"backtest fold origin {origin.date()}: {exc} (series {sid!r} has its last "
                   f"row before the origin at {last[sid]}, {need - horizon + 1} periods earlier; "
                   "fill the gap, drop the series, or choose later origins)")
            raise ValueError(msg) from None
        with fit_stages(progress, where, len(all_ids), since=fold_t0):
            stage(f"forecast of {pred['series_id'].nunique():,} series made, scoring")
        pred = pred[(pred["ds"] >= origin) & (pred["ds"] < end)]
        joined = pred.merge(test[["series_id", "ds", "y"]], on=["series_id", "ds"], how="left")
        joined["origin"] = origin
        forecasts.append(joined)
        for sid, g in joined.groupby("series_id", sort=True):
            if str(sid) in out:
                # left out of this fold (said once, in its note), even when the model
                # forecasts it (a launch in the calendar): it had also been named "under two
                # weeks of history (or only zeros)" for the NaN scores of its row
                continue
            hist = panel.series[str(sid)]
            past = hist.ds < origin
            hy = hist.y[past]
            if str(sid) in set(pads["series_id"]):  # its pads: zeros before the origin
                hy = np.zeros(int(((pads["series_id"] == sid) & (pads["ds"] < origin)).sum()))
            if g["y"].notna().sum() == 0:
                continue
            began = fold_start(str(sid), hy, g, calendar, origin, end)
            first, ev = began if began is not None else (None, None)
            if first is not None and ev is not None:
                # it starts inside the fold: scored by its start window, not with the live
                # series (no MASE scale; its sMAPE and coverage had been averaged with theirs)
                begin = max(origin, min(pd.Timestamp(ev["start"]), first))
                start_rows.append({"origin": origin, "series_id": sid, "event": str(ev["name"]),
                                   "event_start": pd.Timestamp(ev["start"]),
                                   "first_live": first,
                                   **start_metrics(g.reset_index(drop=True), begin)})
                continue
            if began is not None:
                unplanned.setdefault(str(sid), []).append(str(origin.date()))
            rows.append({"origin": origin, "series_id": sid,
                         **forecast_metrics(g.reset_index(drop=True), hy, season,
                                            history_ds=hist.ds[past], series_id=str(sid),
                                            calendar=cal_n)})
        fold_rows = [r for r in rows if r["origin"] == origin]
        if plot_dir is not None:
            # each panel says how its series scored in this fold (MLflow shows the plots
            # apart from backtest_folds.csv: a bad fold had to be looked up there)
            # the fold's series 4 to a chart (they had been its first 4 only), the largest
            # and the worst scored past FOLD_PLOT_SERIES
            scores = {str(r["series_id"]): _fold_score(r) for r in fold_rows}
            mase = {str(r["series_id"]): float(r.get("mase", np.nan)) for r in fold_rows}
            plots += plot_fold_pages(train, joined, calendar, f"{name} fold {k + 1} "
                                     f"(origin {origin.date()})",
                                     Path(plot_dir) / f"fold_{k + 1}_{origin.date()}.png",
                                     scores=scores, mase=mase)
        if progress is not None:
            fold_starts = [r for r in start_rows if r["origin"] == origin]
            n_series = len(fold_rows)
            gone = [*out, *(f"{r['series_id']!r} (starts in the fold)" for r in fold_starts)]
            of = f"mean of {n_series} of {len(all_ids)} series; not scored: {', '.join(out)}"
            of = of if out else f"mean of {n_series} series"
            of = of if not fold_starts else (f"mean of {n_series} live series of "
                                             f"{len(all_ids)}; apart: {', '.join(gone)}")
            line = (f"fold {k + 1}/{len(origin_list)} origin {origin.date()}"
                    f"{f' ({of})' if n_series > 1 or gone else ''}: "
                    + " ".join(f"{m}={np.nanmean([r.get(m, np.nan) for r in fold_rows]):.3g}"
                               if fold_rows else f"{m}=nan" for m in METRICS))
            if fold_starts:
                line += (f"; {len(fold_starts)} start(s): " + " ".join(
                    f"{m}={np.nanmean([r[m] for r in fold_starts]):.3g}"
                    for m in START_METRICS))
            progress(line)
    folds = pd.DataFrame(rows)
    mean = {m: float(folds[m].mean()) for m in METRICS} if not folds.empty else {}
    if not folds.empty and folds["mase"].isna().any():
        short = folds[folds["mase"].isna()]
        ids = [repr(i) for i in sorted(map(str, short["series_id"].unique()))]
        notes.append(f"series {listed(ids)} had under two weeks of history (or only zeros) "
                     f"before {short['origin'].nunique()} fold origin(s): MASE and pinball are not "
                     "defined there (no in-sample seasonal error to scale by) and their means "
                     "are over the other series")
    if thin:
        unit = "days" if freq == "D" else "hours"
        notes.append(f"{len(thin)} fold(s) train on fewer {unit} of history than they forecast "
                     f"(origin (history against horizon): {listed(thin, 3)}): their forecasts "
                     "extrapolate from a short stretch and their scores say little about a "
                     "model fitted on all the data (in a check, 70 days for a 300-day horizon "
                     "gave 64% coverage of the 80% band); use fewer folds, a shorter horizon "
                     "or later --origins")
    for what, when in skipped.items():
        fold_text = ("every fold" if len(when) == len(origin_list)
                     else "fold origin(s) " + ", ".join(when))
        notes.append(f"series {what} is left out of the scores of {fold_text}; the means are "
                     "over the other series (update it, or leave it out with --only)")
    most = max((f["series_id"].nunique() for f in forecasts), default=0)
    if plot_dir is not None and most > FOLD_PLOT_SERIES:
        notes.append(f"the fold plots draw {FOLD_PLOT_SERIES} of {most} series per fold (the "
                     f"{FOLD_PLOT_SERIES // 2} largest by volume, then the worst MASE of the "
                     "fold), 4 to a PNG; every series' scores are in backtest_folds.csv")
    joined_all = pd.concat(forecasts, ignore_index=True)
    starts = pd.DataFrame(start_rows)
    start_mean = ({m: float(starts[m].mean()) for m in START_METRICS} if len(starts) else {})
    before = (started_series(panel, cal_n[cal_n["channel"].notna().to_numpy(dtype=bool)], LEAD_DAYS)
              if len(cal_n) else pd.DataFrame(columns=["series_id", "kind", "start"]))
    notes += start_notes(starts, unplanned, calendar, origin_list, before, frame["ds"].max())
    uncovered = uncovered_events_note(calendar, origin_list, horizon, delta, frame["ds"].max(),
                                      frame["ds"].min())
    notes += [uncovered] if uncovered else []
    notes += interval_notes(joined_all)
    spread = fold_spread_note(joined_all)
    notes += [spread] if spread else []
    zero = zero_actuals_note(joined_all)
    notes += [zero] if zero else []
    if not folds.empty:
        history = {sid: pd.Series(g.y, index=g.ds) for sid, g in panel.series.items()}
        notes += dominant_error_notes(joined_all, history, folds)
        notes += runaway_forecast_notes(joined_all, history, folds)
    key = evaluation_key(frame, origin_list, horizon, calendar)
    if zone is not None:  # the times back in the series' zone
        joined_all, folds, starts = zoned_outputs(joined_all, folds, starts, zone,
                                                  hourly=delta < pd.Timedelta(days=1))
        origin_list = [zoned_time(o, zone) for o in origin_list]
    return BacktestResult(
        model=name, params=params, horizon=horizon, origins=tuple(origin_list), folds=folds,
        mean=mean, forecasts=joined_all,
        evaluation=key,
        seconds=time.perf_counter() - t0, plots=tuple(plots), notes=tuple(notes),
        starts=starts, start_mean=start_mean)
