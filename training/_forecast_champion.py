"""Which registered traffic forecaster is the champion: a new version against the current one
on the same backtest (the champion's recipe re-scored when it was evaluated elsewhere), the
vetoes (a candidate that drops served series; a tie on older data), and the notes that tell
the user what ``brain forecast predict`` will forecast with.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Sequence
from typing import Any

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from ._forecast_backtest import BacktestResult, backtest
from ._forecast_backtest_keys import data_hash, earlier_evaluation_keys
from ._forecast_models import FORECASTERS, make_forecaster
from ._forecast_text import period_text
from ._mlflow import CHAMPION
from ._mlflow_champion import Promotion, Rescored, TieBreak, promote_if_better

__all__ = ["MASE_TIE_RTOL", "REGISTERED_NAME", "SERIES_TAG_MAX", "START_TIE_BREAK",
           "data_summary", "decide_champion", "known_inputs", "series_data_key",
           "served_series"]

REGISTERED_NAME = "traffic_forecaster"
"""Registry name of the traffic forecaster."""

_PRIMARY = "mase"

START_TIE_BREAK = "start_pinball"
"""The backtest metric of the series that start inside a fold that decides a tie on MASE
(``decide_champion``): the pinball loss over P10/P50/P90 scaled by the actuals' mean, which
judges the start's level and its band (``training._forecast_backtest_starts``)."""

MASE_TIE_RTOL = 1e-6
"""Two mean MASEs within this share of the larger one tie: a fix that changes only the
forecasts of series with no live history leaves the live series' MASE unchanged to the last
digit, and a candidate worse on the live series by more than this is never promoted for its
starts."""


def data_summary(series: pd.DataFrame) -> str:
    """Series count and date range of a long frame, for messages (e.g. '3 series, 2019-01-01
    .. 2021-11-01')."""
    ds = pd.to_datetime(series["ds"])
    fmt = "%Y-%m-%d" if (ds == ds.dt.normalize()).all() else "%Y-%m-%d %H:%M"
    return (f"{series['series_id'].nunique()} series, {ds.min().strftime(fmt)} .. "
            f"{ds.max().strftime(fmt)}")


def known_inputs(series: pd.DataFrame) -> str:
    """The known-in-advance columns of a long frame, comma-separated ('' for none)."""
    return ",".join(str(c) for c in series.columns if c not in ("series_id", "ds", "y"))


def series_data_key(series: pd.DataFrame) -> str:
    """Hash of the training data (series_id, ds, y and the known-in-advance columns): equal
    keys mean the same data."""
    return data_hash(series).hexdigest()[:16]


def _known_params(name: str, params: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``params`` the forecaster ``name`` still accepts, and the names it does not."""
    if name not in FORECASTERS:
        msg = f"model {name!r} is not a forecaster any more (known: {sorted(FORECASTERS)})"
        raise ValueError(msg)
    accepted = inspect.signature(FORECASTERS[name].__init__).parameters
    dropped = sorted(k for k in params if k not in accepted)
    return {k: v for k, v in params.items() if k in accepted}, dropped


def _rescore(version: Any, series: pd.DataFrame, calendar: pd.DataFrame | None, horizon: int,
             origins: Sequence[pd.Timestamp]) -> tuple[float, list[str], dict[str, float]]:
    """Backtest the champion's model class and settings on the candidate's evaluation.

    Returns the mean MASE, the saved settings the current code no longer accepts (left out),
    and the means over the series that start inside a fold (``BacktestResult.start_mean``).
    """
    run_id = version.run_id or version.tags.get("run_id")
    if not run_id:
        raise ValueError(f"v{version.version} has no run to re-score from")
    params = MlflowClient().get_run(run_id).data.params
    name = params["model_name"]
    settings, dropped = _known_params(name, json.loads(params["model_params"]))
    champion = make_forecaster(name, **settings)
    result = backtest(champion, series, calendar, horizon=horizon, origins=origins)
    return result.mean[_PRIMARY], dropped, result.start_mean


def _fitted_on(version: ModelVersion, series: pd.DataFrame, data_key: str,
               earlier: dict[str, str] | None = None) -> str:
    """What ``version`` was fitted on, against ``series`` (whose key is ``data_key``);
    ``earlier``: the keys earlier versions gave this backtest (``earlier_evaluation_keys``)."""
    tags = version.tags
    if tags.get("data.key") == data_key:
        why = (earlier or {}).get(str(tags.get("eval.key")))
        if why:
            return ("the same data, origins and horizon, evaluated by an earlier version "
                    f"{why}, so its recorded score is not comparable")
        return "the same data with other origins, horizon or calendar"
    summary = tags.get("data.summary") or "data not recorded"
    was, now = tags.get("inputs.known_in_advance"), known_inputs(series)
    if summary == data_summary(series) and was is not None and was != now:
        return (f"the same span of series with other known-in-advance columns "
                f"({was or 'none'}; now {now or 'none'})")
    return f"other data ({summary})"


SERIES_TAG_MAX = 4000
"""Longest ``data.series`` tag (a JSON list of the version's series ids) a version carries."""


def served_series(mv: ModelVersion) -> set[str] | None:
    """The series a registered forecaster forecasts: its ``data.series`` tag, else its model's
    panel (versions before 2026-12-05, or many series); None when neither can be read."""
    if "data.series" in mv.tags:
        return set(json.loads(mv.tags["data.series"]))
    try:
        loaded = mlflow.pyfunc.load_model(f"models:/{REGISTERED_NAME}/{mv.version}")
        return {str(s) for s in loaded.unwrap_python_model().forecaster.panel_.series}
    except Exception:  # an unreadable champion is judged by the other rules
        return None


def _lost_series_veto(champion: ModelVersion | None, version: str,
                      series: pd.DataFrame) -> str | None:
    """Why ``version`` must not replace ``champion`` automatically: it does not forecast every
    series the champion serves (the API, the planner's page and the budget allocator would
    lose them); None when it does. A check had trained one shop's file with a promo column:
    it tied the re-scored recipe of the demo's 9-series champion, became champion, and the API
    answered 'unknown series_id total'."""
    if champion is None or str(champion.version) == version:
        return None
    served = served_series(champion)
    if not served:
        return None
    lost = sorted(served - set(series["series_id"].astype(str)))
    if not lost:
        return None
    shown = ", ".join(repr(s) for s in lost[:5]) + (" ..." if len(lost) > 5 else "")
    return (f"it does not forecast {len(lost)} of the {len(served)} series champion "
            f"v{champion.version} serves ({shown}): the API, the planner's page and the budget "
            "allocator would lose them. To make it the champion anyway: brain promote "
            f"{REGISTERED_NAME} {version} --reason 'replaces the served series'")


def _data_end(mv: ModelVersion | None) -> pd.Timestamp | None:
    """The last period of the data ``mv`` was fitted on (the end of its ``data.summary`` tag,
    '60 series, 2022-11-01 .. 2025-05-18'); None when it is not recorded."""
    summary = mv.tags.get("data.summary", "") if mv is not None else ""
    if " .. " not in summary:
        return None
    try:
        return pd.Timestamp(summary.rsplit(" .. ", 1)[1])
    except ValueError:
        return None


def _champion_version() -> ModelVersion | None:
    """The current ``traffic_forecaster@champion``, or None."""
    try:
        return MlflowClient().get_model_version_by_alias(REGISTERED_NAME, CHAMPION)
    except MlflowException:
        return None


def decide_champion(version: str, result: BacktestResult, series: pd.DataFrame,
                     calendar: pd.DataFrame | None) -> tuple[Promotion, list[str]]:
    """The champion decision for a newly registered ``version``, and notes for the user.

    ``promote_if_better`` decides. On the same evaluation (same data, origins and horizon) the
    candidate must strictly beat the champion. A champion evaluated elsewhere has its recipe
    (model class and settings) re-scored on this evaluation. If that recipe strictly wins, the
    alias stays, with a note when the champion was fitted on other data (``predict`` forecasts
    that data by default). Otherwise the candidate, a fresh fit of an at-least-as-good recipe on
    this data, becomes champion (``tie_to_candidate_when_rescored``): keeping a champion whose
    equal recipe was fitted on other data would leave ``predict`` forecasting series the user no
    longer trains on. Unless the candidate's data ends before the champion's (an older or
    cut-short export): a tie then keeps the champion, whose fit knows the later periods.

    A tie on MASE (within ``MASE_TIE_RTOL``) is broken by the series that start inside a fold
    (``START_TIE_BREAK``, when both versions have it on this evaluation): the lower wins. MASE
    judges only series with a live history, so a fix to launch forecasts tied the champion
    and was not promoted; the live MASE still decides whenever it differs.
    """
    cand = float(result.mean[_PRIMARY])
    data_key = series_data_key(series)
    rescored: list[ModelVersion] = []  # the champion whose recipe was re-scored, if any
    notes: list[str] = []

    def rescore_recipe(uri: str) -> Rescored:
        current = MlflowClient().get_model_version(REGISTERED_NAME, uri.rsplit("/", 1)[-1])
        rescored.append(current)
        prev = current.version
        where = _fitted_on(current, series, data_key, earlier_evaluation_keys(
            series, result.origins, result.horizon, calendar))
        try:
            champ, dropped, starts = _rescore(current, series, calendar, result.horizon,
                                              result.origins)
        except (ValueError, KeyError, TypeError, MlflowException) as exc:
            return None, cand, (f"v{prev} was fitted on {where}; re-backtesting its recipe "
                                f"on this data failed: {exc}")
        if dropped:
            notes.append(f"champion v{prev}'s saved settings {dropped} are not accepted by the "
                         "current code; its recipe was re-scored without them (their defaults)")
        tie = (f"; this data ends {period_text(end)}, before v{prev}'s "
               f"{period_text(champion_end)}, so a tie keeps the champion (only a fit on "
               "newer data takes a tie)") if older else ""
        return champ, cand, (f"v{prev}'s recipe re-scored on this data; v{prev} was fitted "
                             f"on {where}{tie}"), starts

    before = _champion_version()
    veto = _lost_series_veto(before, version, series)
    # a tie goes to the fit on newer data only: a file that ends before the champion's (an
    # old or cut-short export of the same stores) had tied the champion's re-scored recipe and
    # taken the alias, and predict forecast from five months before the latest data
    champion_end, end = _data_end(before), pd.to_datetime(series["ds"]).max()
    older = champion_end is not None and end < champion_end
    n_starts = len(result.starts)
    tie_break = (TieBreak(START_TIE_BREAK, float(result.start_mean[START_TIE_BREAK]),
                          rel_tol=MASE_TIE_RTOL,
                          what=f"the {n_starts} (fold, series) that start inside a fold")
                 if START_TIE_BREAK in result.start_mean else None)
    promotion = promote_if_better(REGISTERED_NAME, version, _PRIMARY, cand,
                                  higher_is_better=False, evaluation=result.evaluation,
                                  rescore_champion=rescore_recipe,
                                  tie_to_candidate_when_rescored=not older, veto=veto,
                                  tie_break=tie_break)
    if older and promotion.promoted and before is not None:
        notes.append(f"v{version}'s data ends {period_text(end)}, before the data of the "
                     f"previous champion v{before.version} ({period_text(champion_end)}): "
                     "'brain forecast predict' now forecasts the periods after "
                     f"{period_text(end)}")
    if veto and before is not None:
        notes.append(f"'brain forecast predict' and the API keep forecasting with "
                     f"traffic_forecaster@champion (v{before.version}); to forecast with this "
                     f"fit pass --model-uri models:/{REGISTERED_NAME}/{version}")
    if promotion.promoted and before is not None and "inputs.known_in_advance" in before.tags:
        # (a champion registered before 2026-12-05 has no such tag: nothing to compare)
        was = {c for c in before.tags["inputs.known_in_advance"].split(",") if c}
        new = [c for c in known_inputs(series).split(",") if c and c not in was]
        if new:
            notes.append(f"the new champion v{version} reads known-in-advance columns "
                         f"champion v{before.version} did not ({', '.join(map(repr, new))}): "
                         "'brain forecast predict' now needs their future values (--future "
                         "FILE)")
    if rescored and not promotion.promoted and rescored[0].tags.get("data.key") != data_key:
        prev = rescored[0].version
        notes.append(f"predict's default model, traffic_forecaster@champion (v{prev}), was "
                     f"fitted on {_fitted_on(rescored[0], series, data_key)}, not on this data "
                     f"({data_summary(series)}): 'brain forecast predict' forecasts with it. "
                     f"To forecast with this fit pass --model-uri "
                     f"models:/{REGISTERED_NAME}/{version}")
    return promotion, notes
