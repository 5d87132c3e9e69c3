"""Forecasts against the actuals that arrived since: keep what ``predict`` forecast, score it later.

``log_forecast`` keeps a forecast (``series_id, ds, p10, p50, p90``) as the artifact of a run in
the MLflow experiment ``traffic_forecasts`` (one run per ``brain forecast predict``), tagged with
the model that made it and the periods it covers; only the newest ``KEEP_FORECASTS`` are kept.
``check_forecast`` scores a forecast on the actuals of its periods that have arrived (bias,
MAPE, MASE, 80% coverage, share above P90 / below P10, per series) and says when the error
is *persistent*: the forecast's own quantiles are the yardstick, so the season, the weekday and
the promotions it forecast do not read as errors (``persistent_error``).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException
from scipy.stats import binom

from features._calendar import normalize_calendar

from ._forecast_intervals import interval_notes
from ._forecast_panel import live_history
from ._mlflow import _is_http

_log = logging.getLogger(__name__)

__all__ = [
    "FORECASTS_EXPERIMENT",
    "KEEP_FORECASTS",
    "ForecastCheck",
    "LoggedForecast",
    "check_forecast",
    "load_forecast",
    "log_forecast",
    "logged_forecasts",
    "persistent_error",
]

FORECASTS_EXPERIMENT = "traffic_forecasts"
"""MLflow experiment holding one run per ``brain forecast predict`` (its forecast as artifact)."""
KEEP_FORECASTS = 40
"""Logged forecasts kept; older ones are deleted for good with their artifact (a monthly
forecast for over three years, a weekly one for most of a year); see ``_prune``."""
RECENT_DAYS = 14
"""Days (the last ones checked) the persistence test reads."""
MIN_DAYS = 8
"""Fewest checked days the persistence test needs: with 7, even every day beyond the band on
one side is not unlikely enough (the side's tail is 2 / 2**7 = 1.6% > ``ALPHA``)."""
ALPHA = 0.01
"""Level of each of the two one-sided binomial tests of ``persistent_error``."""

_ARTIFACT = "forecast.csv"


@dataclass(frozen=True)
class LoggedForecast:
    """A forecast kept by ``log_forecast``.

    Attributes:
        run_id: the MLflow run of the predict.
        made: when the forecast was made (the run's start).
        model: the model it was made with ('traffic_forecaster v5 (@champion)', or a URI).
        first: the first forecast period (over all series).
        last: the last forecast period.
        series: how many series it forecasts.
    """

    run_id: str
    made: pd.Timestamp
    model: str
    first: pd.Timestamp
    last: pd.Timestamp
    series: int


@dataclass(frozen=True)
class ForecastCheck:
    """A forecast scored on the actuals that arrived for its periods.

    Attributes:
        table: one row per series with actuals: ``series_id``, ``periods`` (scored), ``first``
            and ``last`` (scored periods), ``actual`` and ``forecast`` (sums of actuals and
            P50), ``bias_pct`` (P50 sum over actual sum - 1, in %: positive = the forecast ran
            high), ``mape_pct`` (mean absolute error over periods with an actual above 0, in
            % of the actual), ``mase`` (mean absolute error over the mean absolute seasonal
            difference of the series' actuals before the forecast; NaN without two seasons
            of them), ``coverage80_pct``, ``above_p90_pct``, ``below_p10_pct``, and for the
            last ``RECENT_DAYS`` days of a daily series ``recent_days``, ``recent_side``
            ('high': actuals above P50; 'low'), ``recent_on_side`` (days on that side of P50),
            ``recent_beyond`` (days beyond P90, or under P10, on that side), ``recent_pct``
            (actual sum over P50 sum - 1 over those days, in %), ``persistent`` (bool).
        warnings: one sentence per series whose error is persistent (``persistent_error``).
        unscored: forecast series without any actual in the periods checked.
        band_notes: what the 80% band did over every period checked (``interval_notes``):
            too narrow, too wide, misses on one side.
    """

    table: pd.DataFrame
    warnings: tuple[str, ...]
    unscored: tuple[str, ...]
    band_notes: tuple[str, ...] = ()


def persistent_error(on_side: int, beyond: int, n: int, alpha: float = ALPHA) -> bool:
    """Whether ``n`` periods with ``on_side`` of them on one side of P50 and ``beyond`` of them
    past the 80% band on that same side are unlikely under a forecast whose quantiles are right.

    Under right quantiles each period is above P50 with probability 1/2 and above P90 (or
    under P10) with probability 1/10. Both one-sided binomial tails must be at most ``alpha``:
    P(X >= on_side | n, 1/2) <= alpha (doubled: either side could have been the majority) and
    P(X >= beyond | n, 1/10) <= alpha. With 14 days: 13 or more on one side and 5 or more
    beyond the band (12 gives 1.3%); under 8 days it cannot hold. The days of a series are
    correlated (a week of sale, a slow month), so the nominal level is optimistic; 1% keeps it
    conservative. The rule holds no number of any
    dataset: only the quantiles' own definitions.
    """
    if n < 1:
        return False
    p_side = min(1.0, 2 * float(binom.sf(on_side - 1, n, 0.5)))
    p_band = float(binom.sf(beyond - 1, n, 0.1))
    return p_side <= alpha and p_band <= alpha


def _scale(history: np.ndarray, season: int, ds: pd.DatetimeIndex | None = None,
           series_id: str | None = None, calendar: pd.DataFrame | None = None) -> float:
    """MASE denominator: mean absolute seasonal difference (NaN under two seasons of data),
    of the history from where it starts (``live_history``: with its periods ``ds``, its id and
    the normalized ``calendar``, as the backtest's scale reads it)."""
    # not a page's days before its launch
    history = live_history(history, max(season // 7, 1), ds=ds, series_id=series_id,
                           calendar=calendar)
    if len(history) <= season:
        return float("nan")
    diffs = np.abs(history[season:] - history[:-season])
    diffs = diffs[np.isfinite(diffs)]
    if len(diffs) < season:
        return float("nan")
    return float(diffs.mean()) or float("nan")


def check_forecast(forecast: pd.DataFrame, actuals: pd.DataFrame,
                   recent_days: int = RECENT_DAYS, alpha: float = ALPHA,
                   calendar: pd.DataFrame | None = None) -> ForecastCheck:
    """Score ``forecast`` (``series_id, ds, p10, p50, p90``) on ``actuals`` (``series_id, ds,
    y``: the series as they are now, history included).

    Periods of the forecast with an actual are scored; the actuals before the forecast's first
    period of each series give the MASE scale, read from where the series starts (with the
    event ``calendar``, a page from its launch of its own channel, as the backtest reads it).
    For daily series the last ``recent_days`` scored days are tested for a persistent error
    (``persistent_error``).
    """
    need = {"series_id", "ds", "p10", "p50", "p90"}
    if not need <= set(forecast.columns):
        missing = sorted(need - set(forecast.columns))
        raise ValueError(f"forecast: columns {missing} are required (a forecast.csv written by "
                         f"'brain forecast predict'); received {list(forecast.columns)}")
    fc = forecast.assign(series_id=forecast["series_id"].astype(str),
                         ds=pd.to_datetime(forecast["ds"]))
    for c in ("p10", "p50", "p90"):
        values = pd.to_numeric(fc[c], errors="coerce")
        bad = values.isna() & fc[c].notna()
        if bad.any():
            raise ValueError(f"forecast: column {c!r} has {int(bad.sum())} values that are not "
                             f"numbers (first: {fc.loc[bad, c].iloc[0]!r})")
        fc[c] = values.astype(float)
    cal = None if calendar is None or not len(calendar) else normalize_calendar(calendar)
    act = actuals.assign(series_id=actuals["series_id"].astype(str),
                         ds=pd.to_datetime(actuals["ds"]))[["series_id", "ds", "y"]]
    rows, warnings, unscored, scored = [], [], [], []
    by_series = dict(tuple(act.groupby("series_id", sort=False)))  # one pass, not one per series
    empty = act.iloc[:0]
    for sid, f in fc.groupby("series_id", sort=False):
        f = f.sort_values("ds")
        a = by_series.get(sid, empty)
        start = f["ds"].min()
        m = f.merge(a, on="ds", how="inner").dropna(subset=["y", "p50"]).sort_values("ds")
        if m.empty:
            unscored.append(str(sid))
            continue
        hist = a[a["ds"] < start].sort_values("ds")
        step = (f["ds"].diff().dropna().min() if len(f) > 1 else pd.Timedelta(days=1))
        daily = step >= pd.Timedelta(days=1)
        season = 7 if daily else 168
        y, p10, p50, p90 = (m[c].to_numpy(float) for c in ("y", "p10", "p50", "p90"))
        pos = y > 0
        grid = hist.set_index("ds")["y"].asfreq(step) if len(hist) else pd.Series(dtype=float)
        scale = _scale(grid.to_numpy(float), season, pd.DatetimeIndex(grid.index), str(sid),
                       cal)
        row = {
            "series_id": sid, "periods": len(m), "first": m["ds"].iloc[0],
            "last": m["ds"].iloc[-1], "actual": float(y.sum()), "forecast": float(p50.sum()),
            "bias_pct": (100 * (p50.sum() / y.sum() - 1)) if y.sum() > 0 else np.nan,
            "mape_pct": (100 * float(np.mean(np.abs(p50[pos] - y[pos]) / y[pos]))
                         if pos.any() else np.nan),
            "mase": float(np.mean(np.abs(p50 - y))) / scale,
            "coverage80_pct": 100 * float(np.mean((y >= p10) & (y <= p90))),
            "above_p90_pct": 100 * float(np.mean(y > p90)),
            "below_p10_pct": 100 * float(np.mean(y < p10)),
        }
        if daily:
            r = m.tail(recent_days)
            ry, r10, r50, r90 = (r[c].to_numpy(float) for c in ("y", "p10", "p50", "p90"))
            high, low = int((ry > r50).sum()), int((ry < r50).sum())
            side = "high" if high > low else "low"
            on_side = max(high, low)
            beyond = int((ry > r90).sum()) if side == "high" else int((ry < r10).sum())
            n = len(r)
            flag = n >= MIN_DAYS and persistent_error(on_side, beyond, n, alpha)
            pct = 100 * (ry.sum() / r50.sum() - 1) if r50.sum() > 0 else np.nan
            row.update({"recent_days": n, "recent_side": side, "recent_on_side": on_side,
                        "recent_beyond": beyond, "recent_pct": pct,
                        "recent_actual": float(ry.sum()), "recent_forecast": float(r50.sum()),
                        "persistent": flag})
            if flag:
                warnings.append(_warning(str(sid), r, side, on_side, beyond, pct))
        rows.append(row)
        scored.append(m.assign(series_id=sid))
    band = interval_notes(pd.concat(scored, ignore_index=True),
                          over="over the periods checked") if scored else []
    return ForecastCheck(pd.DataFrame(rows), tuple(warnings), tuple(unscored), tuple(band))


FAR_PCT = 900.0
"""Actuals this far above P50 over the last days (in %, i.e. 10x) are said as the two totals,
not as a percentage of a forecast near 0."""


def recent_text(actual: float, forecast: float, pct: float) -> str:
    """The last days' actual total against P50's: a percentage (``'+12%'``), or both totals
    when the percentage is undefined or at least ``FAR_PCT`` (``'38,112 against a P50 total of
    0'``)."""
    if np.isfinite(pct) and pct < FAR_PCT:
        return f"{pct:+.0f}%"
    return f"{actual:,.0f} against a P50 total of {forecast:,.0f}"


def _warning(sid: str, recent: pd.DataFrame, side: str, on_side: int, beyond: int,
             pct: float) -> str:
    n = len(recent)
    where, band = ("above", "above P90") if side == "high" else ("below", "below P10")
    span = f"{recent['ds'].iloc[0]:%Y-%m-%d} .. {recent['ds'].iloc[-1]:%Y-%m-%d}"
    held = 100 * float(np.mean((recent["y"] >= recent["p10"]) & (recent["y"] <= recent["p90"])))
    if not np.isfinite(pct) or pct >= FAR_PCT:
        # a P50 near 0 (a page forecast at its pre-launch zeros) makes any percentage absurd
        # ('+5700125215%'): say the totals
        totals = recent_text(float(recent["y"].sum()), float(recent["p50"].sum()), pct)
        size = f"{where} the forecast, {totals} over those days"
    elif (pct >= 0) == (side == "high"):
        size = f"{abs(pct):.0f}% {where} the forecast"
    else:  # most days on one side, the total on the other (one big miss: a promotion dropped)
        size = (f"{where} the forecast on most days (its total "
                f"{abs(pct):.0f}% {'above' if pct >= 0 else 'below'} the forecast's)")
    return (f"{sid} ran {size} ({where} P50 on {on_side} of the last {n} days, {span}; "
            f"{band} on {beyond}, where a right forecast has 1 in 10; the 80% band held "
            f"{held:.0f}%): a lasting change? Retrain on the new data (brain forecast train), "
            "or, if it is a passing event (an outage, a campaign), mark it in the calendar")


def _client() -> MlflowClient:
    from ._mlflow import configure_mlflow

    configure_mlflow(registry_needed=False)  # runs only: no registry read
    return MlflowClient()


def log_forecast(forecast: pd.DataFrame, model: str, model_uri: str,
                 history_end: pd.Timestamp, keep: int = KEEP_FORECASTS,
                 notes: list[str] | None = None, files: list[Path] | None = None) -> str:
    """Keep ``forecast`` (``series_id, ds, p10, p50, p90``) as a run of ``FORECASTS_EXPERIMENT``
    with the model it came from, and ``files`` beside it (``predict``'s chart and peak table);
    delete all but the newest ``keep`` such runs for good, with their artifacts (``_prune``; on
    a tracking server they are marked deleted and a sentence for the user is appended to
    ``notes``). Returns the run id."""
    from ._mlflow import get_or_create_experiment

    client = _client()
    exp = get_or_create_experiment(FORECASTS_EXPERIMENT)
    ds = pd.to_datetime(forecast["ds"])
    fmt = "%Y-%m-%d" if (ds == ds.dt.normalize()).all() else "%Y-%m-%d %H:%M"
    tags = {"forecast.model": model, "forecast.model_uri": model_uri,
            "forecast.first": ds.min().strftime(fmt), "forecast.last": ds.max().strftime(fmt),
            "forecast.history_end": pd.Timestamp(history_end).strftime(fmt),
            "forecast.series": str(forecast["series_id"].nunique()),
            "mlflow.runName": f"forecast from {ds.min().strftime(fmt)} ({model})",
            "mlflow.note.content": (f"Forecast by {model} of {forecast['series_id'].nunique()} "
                                    f"series, {ds.min().strftime(fmt)} .. "
                                    f"{ds.max().strftime(fmt)}; score it on the actuals that "
                                    "arrive with 'brain forecast check'.")}
    run = client.create_run(exp, tags=tags)
    cols = ["series_id", "ds", "p10", "p50", "p90"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / _ARTIFACT
        forecast[cols].assign(ds=ds.dt.strftime(fmt)).to_csv(path, index=False)
        client.log_artifact(run.info.run_id, str(path))
    for extra in files or []:
        if extra.name != _ARTIFACT and extra.exists():
            client.log_artifact(run.info.run_id, str(extra))
    client.set_terminated(run.info.run_id)
    note = _prune(client, exp, keep)
    if note is not None and notes is not None:
        notes.append(note)
    return str(run.info.run_id)


def _hard_delete_runs(client: MlflowClient, run_ids: list[str]) -> list[str]:
    """Permanently delete the deleted runs ``run_ids`` of a local store (records and artifact
    folders), as ``mlflow gc --run-ids`` does; returns the ids it could not delete.

    ``mlflow gc`` itself is not called: given only run ids it also purges every deleted
    experiment and logged model of the store (other people's, restorable until then). It
    calls the store's ``_hard_delete_run``, as here; a store without it (a server, through
    REST) keeps the runs as deleted records."""
    from mlflow.tracking._tracking_service.utils import _get_store

    uri = mlflow.get_tracking_uri()
    if _is_http(uri) or not run_ids:
        return list(run_ids)
    store = _get_store(uri)
    if not hasattr(store, "_hard_delete_run"):
        return list(run_ids)
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    left = []
    for run_id in run_ids:
        try:
            uri_art = client.get_run(run_id).info.artifact_uri or ""
        except MlflowException:
            left.append(run_id)
            continue
        if uri_art.startswith("file:"):  # a local folder: free the space now
            path = Path(unquote(urlparse(uri_art).path))
            shutil.rmtree(path, ignore_errors=True)
            # and the run's own folder (<experiment>/<run id>/artifacts): one empty folder
            # per predict had stayed behind for good
            if path.parent.name == run_id:
                with contextlib.suppress(OSError):  # not empty (something else there), gone
                    path.parent.rmdir()
        elif uri_art:
            # artifacts elsewhere (a database store with s3://...): deleted first, as mlflow
            # gc does; once the record is gone nothing would point at them any more
            try:
                get_artifact_repository(uri_art).delete_artifacts()
            except Exception:  # kept marked deleted: mlflow gc can still find them
                _log.warning("forecast run %s: its artifacts at %s could not be deleted; the "
                             "run stays marked deleted", run_id, uri_art, exc_info=True)
                left.append(run_id)
                continue
        try:
            store._hard_delete_run(run_id)
        except MlflowException:
            left.append(run_id)
    return left


def _prune(client: MlflowClient, experiment_id: str, keep: int) -> str | None:
    """Delete all but the newest ``keep`` forecast runs. In a local store (SQLite or another
    database, a folder) they are deleted for good, with their artifacts, and so are forecast
    runs deleted earlier (by versions that only marked them deleted, or in the MLflow UI). A
    tracking server takes only the mark: the note (else None) says so and what its admin
    runs to remove them."""
    runs = client.search_runs([experiment_id], order_by=["attributes.start_time DESC"],
                              max_results=1000)
    for old in runs[keep:]:
        client.delete_run(old.info.run_id)
    deleted = [r.info.run_id for r in client.search_runs(
        [experiment_id], run_view_type=ViewType.DELETED_ONLY, max_results=1000)]
    left = _hard_delete_runs(client, deleted)
    if not left or not runs[keep:]:  # said when this predict deleted one, not on every run
        return None
    uri = mlflow.get_tracking_uri()
    shown = ",".join(left[:20])
    if not _is_http(uri):  # a local store whose artifacts could not be deleted (logged)
        return (f"{len(left)} older forecast run(s) of the MLflow experiment "
                f"{FORECASTS_EXPERIMENT} stay marked deleted on {uri}: their artifacts could "
                "not be deleted (the log says why); 'mlflow gc --run-ids "
                f"{shown}' removes them and their records{_GC_ALSO}")
    return (f"{len(left)} older forecast run(s) of the MLflow experiment "
            f"{FORECASTS_EXPERIMENT} are marked deleted on {uri}, but a tracking server keeps "
            "their records and artifacts until its admin removes them, on the server: "
            f"MLFLOW_TRACKING_URI={uri} mlflow gc --backend-store-uri <the server's backend "
            f"store> --run-ids {shown}" + (" (the first 20)" if len(left) > 20 else "")
            + _GC_ALSO)


_GC_ALSO = ("; mlflow gc also purges every experiment and logged model marked deleted in that "
            "store (it has no option to leave them): run it when those may go for good")
"""What ``mlflow gc --run-ids`` does besides, said wherever the command is handed on."""


def logged_forecasts() -> list[LoggedForecast]:
    """The kept forecasts, newest first (none when no forecast was ever logged)."""
    client = _client()
    exp = client.get_experiment_by_name(FORECASTS_EXPERIMENT)
    if exp is None:
        return []
    out = []
    for run in client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"],
                                  max_results=1000):
        t = run.data.tags
        if "forecast.first" not in t:
            continue
        out.append(LoggedForecast(str(run.info.run_id),
                                  pd.Timestamp(run.info.start_time, unit="ms"),
                                  t.get("forecast.model", "?"), pd.Timestamp(t["forecast.first"]),
                                  pd.Timestamp(t["forecast.last"]),
                                  int(t.get("forecast.series", "0"))))
    return out


def load_forecast(run_id: str) -> pd.DataFrame:
    """The forecast a ``log_forecast`` run kept."""
    client = _client()
    with tempfile.TemporaryDirectory() as tmp:
        path = client.download_artifacts(run_id, _ARTIFACT, tmp)
        frame = pd.read_csv(path)
    return frame.assign(ds=pd.to_datetime(frame["ds"]), series_id=frame["series_id"].astype(str))
