"""Rolling-origin backtests of traffic forecasters: metrics per fold and series, one plot per fold.

For each origin the forecaster is refitted on every row with ``ds < origin`` (the calendar and
known-in-advance columns are known for the whole span, as a promotion plan is) and forecasts
``horizon`` periods from the origin. A period absent from the data (a gap, which the contract
allows) has no actual, so it is not scored, just as it is never a training target; the model
still forecasts it, with the series' known-in-advance values carried forward from its last row
before that period (see ``backtest_future_regressors``). Scores are on the original scale:

* ``mase``: mean absolute error of P50 over the in-sample mean absolute 7-day seasonal
  difference (Hyndman & Koehler 2006);
* ``smape_pct``: symmetric MAPE, 200 |f - y| / (|f| + |y|), in percent;
* ``pinball``: mean pinball loss over P10/P50/P90, divided by the same scale as MASE;
* ``coverage80_pct``: share of actuals inside [P10, P90];
* ``above_p90_pct`` / ``below_p10_pct``: share of actuals above P90 / below P10 (10% each when
  the band is calibrated): which side a coverage off 80% misses on. A count series with many
  zero days covers more than 80% with a right P90 (an actual 0 at a P10 of 0 is inside, so
  ``below_p10_pct`` is 0): read ``above_p90_pct`` there;
* ``peak_err_pct``: |max P50 - max actual| / max actual over the horizon, in percent;
* ``peak_timing_days``: days between the forecast's and the actuals' maxima.

References:
    Hyndman & Koehler (2006), "Another look at measures of forecast accuracy", IJF 22(4).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features._calendar import normalize_calendar
from features._spend_series import SOURCES_ATTR

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
    start_metrics,
    start_notes,
)
from ._forecast_backtest_zone import (
    local_backtest_inputs,
    local_origins,
    zoned_outputs,
    zoned_time,
)
from ._forecast_base import BaseForecaster, steps_per_day
from ._forecast_ids import calendar_for_series, check_calendar_channels
from ._forecast_intervals import interval_notes
from ._forecast_live import LEADING_ZEROS_DAYS, live_starts
from ._forecast_panel import live_history, prepare_panel, series_freq
from ._forecast_plots import plot_fold
from ._forecast_starts import _starts as started_series
from ._forecast_text import listed, period_text
from ._forecast_zone import local_frame

__all__ = ["METRICS", "START_METRICS", "BacktestResult", "backtest",
           "backtest_future_regressors",
           "backtest_origins", "cover_horizon", "dominant_error_notes",
           "earlier_evaluation_keys", "evaluation_key", "forecast_metrics", "interval_notes",
           "uncovered_events_note", "zero_actuals_note"]

METRICS: tuple[str, ...] = ("mase", "smape_pct", "pinball", "coverage80_pct", "above_p90_pct",
                            "below_p10_pct", "peak_err_pct", "peak_timing_days")
"""Metric names of a backtest, in report order."""


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
    return out


def _pinball(y: np.ndarray, q: np.ndarray, alpha: float) -> float:
    d = y - q
    return float(np.mean(np.maximum(alpha * d, (alpha - 1) * d)))


def forecast_metrics(actual: pd.DataFrame, history_y: np.ndarray, season: int, *,
                     history_ds: pd.DatetimeIndex | None = None, series_id: str | None = None,
                     calendar: pd.DataFrame | None = None) -> dict[str, float]:
    """Metrics of one series' forecast (``ds``, ``y``, ``p10``, ``p50``, ``p90``) vs actuals.

    ``history_y`` is the training series on a regular grid (NaN gaps allowed) for the MASE scale,
    read from where it starts (``live_history``: with its periods ``history_ds``, its id and
    the ``calendar``, normalized, the one start rule the forecaster cuts its history by).
    MASE and pinball (scaled the same way) are NaN when the history has fewer than one season
    of seasonal differences (under two weeks of days), or only zeros (a page before its
    launch): a scale from a handful of differences
    made a 2-10-day-old series score MASE 0.15-0.19 at 40% peak error. Periods without an
    actual or a forecast are not scored; with none left every metric is NaN.
    """
    a = actual.dropna(subset=["y", "p50"]).reset_index(drop=True)
    if a.empty:
        return dict.fromkeys(METRICS, np.nan)
    y, p50 = a["y"].to_numpy(float), a["p50"].to_numpy(float)
    # a page's days at 0 before its launch are not its variation (``live_history``)
    hist = live_history(np.asarray(history_y, dtype=float), max(season // 7, 1),
                        ds=history_ds, series_id=series_id, calendar=calendar)
    diffs = np.abs(hist[season:] - hist[:-season]) if len(hist) > season else np.array([])
    if int(np.isfinite(diffs).sum()) < season:
        scale = np.nan
    else:
        # a history of zeros only (a product page before its launch) has nothing to scale by:
        # a scale of 1 had made one such page's MASE its error in views (850 against about 1
        # for the other pages), and the mean over series and folds 24 instead of 0.8
        scale = float(np.nanmean(diffs)) or float(np.nanmean(np.abs(hist))) or np.nan
    denom = np.abs(p50) + np.abs(y)
    smape = np.where(denom > 0, 200 * np.abs(p50 - y) / np.where(denom > 0, denom, 1), 0.0)
    pin = np.mean([_pinball(y, a[c].to_numpy(float), q)
                   for c, q in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))])
    i_f, i_a = int(np.argmax(p50)), int(np.argmax(y))
    timing = abs((a["ds"][i_f] - a["ds"][i_a]) / pd.Timedelta(days=1))
    return {
        "mase": float(np.mean(np.abs(p50 - y)) / scale),
        "smape_pct": float(np.mean(smape)),
        "pinball": float(pin / scale),
        "coverage80_pct": float(100 * np.mean((y >= a["p10"]) & (y <= a["p90"]))),
        "above_p90_pct": float(100 * np.mean(y > a["p90"].to_numpy(float))),
        "below_p10_pct": float(100 * np.mean(y < a["p10"].to_numpy(float))),
        "peak_err_pct": float(100 * abs(p50.max() - y.max()) / y.max()) if y.max() > 0 else 0.0,
        "peak_timing_days": float(timing),
    }


def _default_origins(series: pd.DataFrame, horizon: int, n_folds: int, step: int | None,
                     freq: str) -> list[pd.Timestamp]:
    delta = pd.Timedelta(days=1) if freq == "D" else pd.Timedelta(hours=1)
    last = pd.to_datetime(series["ds"]).max()
    step = step or horizon
    first = last - (horizon - 1) * delta
    return sorted(first - k * step * delta for k in range(n_folds))


def backtest_origins(series: pd.DataFrame, horizon: int,
                     origins: Sequence[str | pd.Timestamp] | None = None, n_folds: int = 5,
                     step: int | None = None) -> list[pd.Timestamp]:
    """The backtest's origins (``origins``, or ``n_folds`` ending at the last observation),
    checked before anything is fitted or logged.

    Raises:
        ValueError: an origin leaves no training data or no actuals. With default origins the
            message names the folds and horizon to lower: a 50-day file backtested with 2 folds
            of 60 days had been told of an origin the user never gave.

    A series whose ``ds`` has a time zone is read on its local clock, origins in its zone
    (``training._forecast_backtest_zone``), and its origins are given back in that zone.
    """
    series, zone = local_frame(series) if "series_id" in series.columns else (series, None)
    if zone is not None:
        found = backtest_origins(series, horizon, local_origins(origins, zone), n_folds, step)
        return [zoned_time(o, zone) for o in found]
    ds = pd.to_datetime(series["ds"])
    freq = series_freq(series)
    delta = pd.Timedelta(days=1) if freq == "D" else pd.Timedelta(hours=1)
    if origins is None:
        found = _default_origins(series, horizon, n_folds, step, freq)
    else:
        found = [pd.Timestamp(o) for o in origins]
    first, last = ds.min(), ds.max()
    bad = [o for o in found if o <= first or o > last]
    if not bad:
        return found
    span = f"{period_text(first)} .. {period_text(last)}"
    n = int((last - first) / delta) + 1
    unit = "days" if freq == "D" else "hours"
    if origins is None:
        need = (step or horizon) * (n_folds - 1) + horizon + 1
        msg = (f"backtest: {n_folds} fold(s) of horizon {horizon} need at least {need} {unit} "
               f"of history (the folds' actuals and some training data before the first), "
               f"the data has {n} ({span}); lower --folds or --horizon (library: n_folds, "
               f"horizon), or give --origins inside ({period_text(first)}, "
               f"{period_text(last)}]")
    else:
        shown = ", ".join(period_text(o) for o in bad[:3])
        msg = (f"backtest: origin(s) {shown} leave no training rows or no actuals; the data "
               f"covers {span}: choose origins after {period_text(first)} and at or before "
               f"{period_text(last)}")
    raise ValueError(msg)


def backtest_future_regressors(
    frame: pd.DataFrame,
    columns: Sequence[str],
    last: pd.Series,
    periods: int,
    freq: str,
) -> pd.DataFrame:
    """Known-in-advance values of one backtest fold for every period the model will forecast.

    The model forecasts ``periods`` periods after each series' last training row (``last``:
    series id -> timestamp), on a regular grid. Values come from ``frame`` (the whole series, as
    a promotion plan is known ahead). A grid period absent from ``frame`` (a gap, or past the
    series' last row) takes the series' previous known value (the next one before its first
    row). Such a period has no actual and is not scored, and each period's forecast reads only
    its own values, so the filled value changes no metric; it only lets the forecast run over
    the gap. Rows present in ``frame`` are used as they are. Predicting from user input never
    fills anything (see ``training._forecast_future.check_future_regressors``).

    Returns:
        ``series_id``, ``ds`` and ``columns``, one row per series and forecast period.
    """
    cols = list(columns)
    parts = []
    for sid, g in frame.groupby("series_id", sort=True):
        if sid not in last.index:
            continue
        idx = pd.date_range(last[sid], periods=periods + 1, freq=freq)[1:]
        known = g.set_index("ds")[cols]
        filled = known.reindex(known.index.union(idx)).ffill().bfill()
        absent = ~idx.isin(known.index)
        vals = known.reindex(idx)
        vals.loc[absent] = filled.loc[idx[absent]].to_numpy()
        parts.append(vals.rename_axis("ds").reset_index().assign(series_id=sid))
    if not parts:
        return pd.DataFrame(columns=["series_id", "ds", *cols])
    return pd.concat(parts, ignore_index=True)[["series_id", "ds", *cols]]


def cover_horizon(model: BaseForecaster, horizon: int, freq: str
                  ) -> tuple[BaseForecaster, str | None]:
    """``model`` with ``max_horizon_days`` raised to cover ``horizon`` periods, and a note.

    A forecaster trained for a fixed longest horizon (LightGBM's ``max_horizon_days``, 90 days
    by default) cannot forecast further; ``backtest`` and ``train`` take their horizon as that
    promise, so a longer ``horizon`` raises the setting (in whole days) rather than failing in
    the middle of a backtest. Other forecasters are returned unchanged.
    """
    days = horizon / steps_per_day(freq)
    limit = getattr(model, "max_horizon_days", None)
    if limit is None or days <= float(limit):
        return model, None
    need = int(np.ceil(days))
    raised = type(model)(**{**model.get_params(), "max_horizon_days": need})
    note = (f"{model.model_name}: max_horizon_days raised from {limit:g} to {need} to cover the "
            f"horizon of {horizon} periods")
    return raised, note


def _left_out(ids: list[str], train: pd.DataFrame, test: pd.DataFrame, freq: str
              ) -> dict[str, str]:
    """Series of the data that a fold cannot score, with the reason."""
    last_train = train.groupby("series_id")["ds"].max()
    has_actual = set(test.dropna(subset=["y"])["series_id"])
    out = {}
    for sid in ids:
        if sid not in last_train.index:
            out[sid] = "no rows before the origin"
        elif sid not in has_actual:
            last = last_train[sid]
            out[sid] = (f"no actuals in the window (last row "
                        f"{last.date() if freq == 'D' else last})")
    return out


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
        if train.empty or test.empty:
            msg = (f"backtest: origin {origin} leaves {len(train)} training rows and {len(test)} "
                   f"actuals; choose origins inside ({frame['ds'].min()}, {frame['ds'].max()}]")
            raise ValueError(msg)
        span = int((origin - train["ds"].min()) / delta)
        if span < horizon:
            thin.append(f"{origin.date()} ({span} against {horizon})")
        # events of series that start after the origin concern no series of this fold
        model.fit(train, calendar_for_series(calendar, list(train["series_id"].unique())))
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
        if plot_dir is not None:
            plots.append(plot_fold(train, joined, calendar, f"{name} fold {k + 1} "
                                   f"(origin {origin.date()})",
                                   Path(plot_dir) / f"fold_{k + 1}_{origin.date()}.png"))
        if progress is not None:
            fold_rows = [r for r in rows if r["origin"] == origin]
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
