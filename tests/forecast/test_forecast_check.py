"""A forecast kept by predict, scored later on the actuals that arrived (brain forecast check)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom
from typer.testing import CliRunner

from serving._cli_forecast import forecast_app
from training._forecast_check import (
    FORECASTS_EXPERIMENT,
    check_forecast,
    log_forecast,
    logged_forecasts,
    persistent_error,
)


def _text(res: object) -> str:
    return " ".join(res.output.split())  # type: ignore[attr-defined]


def _forecast(days: int = 28, level: float = 100.0, start: str = "2026-02-01") -> pd.DataFrame:
    """A log-normal forecast: P50 = level, the 80% band from the 10th to the 90th percentile."""
    ds = pd.date_range(start, periods=days, freq="D")
    z = 1.2816 * 0.2
    return pd.DataFrame({"series_id": "orders:total", "ds": ds, "p10": level * np.exp(-z),
                         "p50": level, "p90": level * np.exp(z)})


def _history(start: str = "2026-02-01", days: int = 70, level: float = 100.0) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    ds = pd.date_range(end=pd.Timestamp(start) - pd.Timedelta(days=1), periods=days, freq="D")
    return pd.DataFrame({"series_id": "orders:total", "ds": ds,
                         "y": level * np.exp(rng.normal(0, 0.2, days))})


def test_the_rule_is_the_binomial_tails_of_the_quantiles_definitions() -> None:
    # 14 days: 12 on one side of P50 (two-sided p 0.013 > 0.01) is not enough, 13 is
    assert not persistent_error(12, 8, 14)
    assert persistent_error(13, 5, 14)
    # and beyond the band on that side: 4 of 14 (p 0.044) is not enough, 5 (0.009) is
    assert not persistent_error(14, 4, 14)
    assert 2 * binom.sf(12, 14, 0.5) <= 0.01
    assert binom.sf(4, 14, 0.1) <= 0.01


def test_metrics_match_a_hand_computation() -> None:
    fc = _forecast(days=4)
    act = pd.concat([_history(), fc[["series_id", "ds"]].assign(y=[100.0, 50.0, 200.0, 125.0])])
    row = check_forecast(fc, act).table.iloc[0]
    assert row["periods"] == 4
    assert row["bias_pct"] == pytest.approx(100 * (400 / 475 - 1))
    assert row["mape_pct"] == pytest.approx(100 * np.mean([0, 1.0, 0.5, 0.2]))
    # the band is 77.4 .. 129.2: 100 and 125 inside, 50 below, 200 above
    assert row["coverage80_pct"] == 50
    assert row["below_p10_pct"] == 25
    assert row["above_p90_pct"] == 25
    hist = _history()["y"].to_numpy()
    scale = np.mean(np.abs(hist[7:] - hist[:-7]))
    assert row["mase"] == pytest.approx(np.mean([0, 50, 100, 25]) / scale)


def test_a_lasting_drop_after_the_forecast_is_named_with_its_direction() -> None:
    rng = np.random.default_rng(0)
    fc = _forecast()
    y = 100 * np.exp(rng.normal(0, 0.2, 28))
    y[14:] *= 0.72  # a price change that cuts orders by 28% from the 15th day
    act = pd.concat([_history(), fc[["series_id", "ds"]].assign(y=y)])
    result = check_forecast(fc, act)
    assert len(result.warnings) == 1
    w = result.warnings[0]
    assert w.startswith("orders:total ran ")
    assert "below the forecast" in w
    assert "2026-02-15 .. 2026-02-28" in w
    assert "a lasting change?" in w
    assert result.table.iloc[0]["recent_side"] == "low"
    up = pd.concat([_history(), fc[["series_id", "ds"]].assign(y=y[::-1] / 0.72 ** 2)])
    assert "above the forecast" in check_forecast(fc, up).warnings[0]


def test_actuals_drawn_from_the_forecast_rarely_warn() -> None:
    """A/A: actuals from the forecast's own distribution, 14 checked days, 400 draws."""
    rng = np.random.default_rng(1)
    fc = _forecast(days=14)
    alarms = 0
    for _ in range(400):
        y = 100 * np.exp(rng.normal(0, 0.2, 14))
        alarms += bool(check_forecast(fc, fc[["series_id", "ds"]].assign(y=y)).warnings)
    assert alarms / 400 <= 0.01


def test_a_week_of_actuals_is_the_least_tested_and_a_wide_miss_alone_is_not_persistent() -> None:
    fc = _forecast(days=6)
    act = fc[["series_id", "ds"]].assign(y=10.0)  # far below, but only 6 days
    assert check_forecast(fc, act).warnings == ()
    # every day on one side, but inside the band: a small bias, not a change
    fc = _forecast(days=14)
    assert check_forecast(fc, fc[["series_id", "ds"]].assign(y=95.0)).warnings == ()


def test_only_the_newest_forecasts_are_kept() -> None:
    for k in range(4):
        log_forecast(_forecast(start=f"2026-0{k + 1}-01"), f"m v{k}", "models:/m/1",
                     pd.Timestamp(f"2026-0{k + 1}-01") - pd.Timedelta(days=1), keep=2)
    kept = logged_forecasts()
    assert [k.model for k in kept] == ["m v3", "m v2"]
    client = mlflow.MlflowClient()
    exp = client.get_experiment_by_name(FORECASTS_EXPERIMENT)
    assert exp is not None
    every = client.search_runs([exp.experiment_id], run_view_type=mlflow.entities.ViewType.ALL)
    # deleted for good: the pruned runs had stayed in the database as deleted records
    assert [r.info.run_id for r in every] == [k.run_id for k in kept]
    runs_dir = Path(every[0].info.artifact_uri.removeprefix("file://")).parents[1]
    # nor their artifacts, nor the run's folder: one empty folder per predict had stayed behind
    assert sorted(p.name for p in runs_dir.iterdir()) == sorted(k.run_id for k in kept)


def test_forecasts_pruned_by_earlier_versions_are_deleted_for_good_at_the_next_prune() -> None:
    """Earlier versions only marked the pruned runs deleted: a store upgraded from them held
    every one (records, tags) until someone ran mlflow gc. A run deleted elsewhere in the
    store (another experiment) is not this prune's business."""
    for k in range(3):
        log_forecast(_forecast(start=f"2026-0{k + 1}-01"), f"m v{k}", "models:/m/1",
                     pd.Timestamp("2025-12-31"), keep=5)
    client = mlflow.MlflowClient()  # on this test's store (log_forecast configured it)
    exp = client.get_experiment_by_name(FORECASTS_EXPERIMENT)
    assert exp is not None
    old = logged_forecasts()[-1].run_id
    client.delete_run(old)  # as the earlier prune did
    other = client.create_run(client.create_experiment("elsewhere")).info.run_id
    client.delete_run(other)
    notes: list[str] = []
    log_forecast(_forecast(start="2026-05-01"), "m v4", "models:/m/1",
                 pd.Timestamp("2025-12-31"), keep=5, notes=notes)
    with pytest.raises(mlflow.exceptions.MlflowException):
        client.get_run(old)
    assert client.get_run(other).info.lifecycle_stage == "deleted"
    assert notes == []  # a local store: nothing left for anyone to do


def test_predict_keeps_its_forecast_and_check_scores_it_on_later_actuals(
        tmp_path: Path, series_maker: Callable) -> None:
    series, _ = series_maker(n_days=400)
    runner = CliRunner()
    early = tmp_path / "early.csv"
    series.head(372).to_csv(early, index=False)
    res = runner.invoke(forecast_app, ["train", "--series", str(early), "--horizon", "28",
                                       "--folds", "1", "--model", "seasonal_naive"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(forecast_app, ["predict", "--horizon", "28", "--out",
                                       str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "kept as MLflow run" in _text(res)
    # the actuals arrive, and from the forecast's 14th day the level falls by a third
    late = series.copy()
    start = late["ds"].iloc[372]
    late.loc[late["ds"] >= start + pd.Timedelta(days=13), "y"] *= 0.66
    now = tmp_path / "now.csv"
    late.to_csv(now, index=False)
    res = runner.invoke(forecast_app, ["check", "--series", str(now)])
    assert res.exit_code == 0, res.output
    text = _text(res)
    assert "by traffic_forecaster v1 (@champion) for 2024-01-08 .. 2024-02-04" in text
    assert "warning: total ran" in text
    assert "below the forecast" in text
    # the monthly retrain on the new file says so too, before it trains
    res = runner.invoke(forecast_app, ["train", "--series", str(now), "--horizon", "28",
                                       "--folds", "1", "--model", "seasonal_naive"])
    assert res.exit_code == 0, res.output
    assert "below the forecast" in _text(res)
    assert "so its forecast can stay off the same way for some weeks" in _text(res)
    assert "(--run " in _text(res)
    # the forecast before the drop, on the actuals up to it: quiet
    res = runner.invoke(forecast_app, ["check", "--series", str(now), "--forecast",
                                       str(tmp_path / "out" / "forecast.csv")])
    assert res.exit_code == 0
    assert "warning" in _text(res)
    before = tmp_path / "before.csv"
    late[late["ds"] < start + pd.Timedelta(days=13)].to_csv(before, index=False)
    res = runner.invoke(forecast_app, ["check", "--series", str(before)])
    assert res.exit_code == 0, res.output
    assert "warning" not in _text(res)
    assert "no persistent error" in _text(res)


def test_check_without_a_kept_forecast_says_what_to_do(tmp_path: Path,
                                                        series_maker: Callable) -> None:
    series, _ = series_maker(n_days=100)
    path = tmp_path / "s.csv"
    series.to_csv(path, index=False)
    res = CliRunner().invoke(forecast_app, ["check", "--series", str(path)])
    assert res.exit_code == 2
    assert "no forecast is kept yet" in _text(res)
    assert "'brain forecast predict' keeps each forecast" in _text(res)


def test_a_kept_forecast_that_cannot_be_read_does_not_stop_a_training(
        series_maker: Callable) -> None:
    from serving import _cli_common
    from serving._cli_forecast_check import earlier_forecast_warnings

    series, _ = series_maker(n_days=100)
    fc = _forecast(start=str(series["ds"].iloc[80].date())).assign(series_id="total")
    run_id = log_forecast(fc, "m v1", "models:/m/1", series["ds"].iloc[79])
    run = mlflow.MlflowClient().get_run(run_id)
    for f in Path(run.info.artifact_uri.removeprefix("file://")).iterdir():
        f.unlink()  # the artifact gone (a cleaned store)
    earlier_forecast_warnings(series)
    assert any(f"kept forecast of MLflow run {run_id} could not be checked" in n
               for n in _cli_common._shown_notes)


def test_check_skips_a_kept_forecast_that_cannot_be_read(tmp_path: Path,
                                                          series_maker: Callable) -> None:
    """The newest kept forecast's artifact gone (a cleaned store, a prune by a concurrent
    predict): check said a traceback; it names the run and checks the next one."""
    series, _ = series_maker(n_days=100)
    path = tmp_path / "s.csv"
    series.to_csv(path, index=False)
    start = series["ds"].iloc[80]
    older = log_forecast(_forecast(start=str(start.date())).assign(series_id="total"),
                         "m v1", "models:/m/1", series["ds"].iloc[79])
    newer = log_forecast(_forecast(start=str(start.date())).assign(series_id="total"),
                         "m v2", "models:/m/2", series["ds"].iloc[79])
    run = mlflow.MlflowClient().get_run(newer)
    for f in Path(run.info.artifact_uri.removeprefix("file://")).iterdir():
        f.unlink()
    runner = CliRunner()
    res = runner.invoke(forecast_app, ["check", "--series", str(path)])
    assert res.exit_code == 0, (res.output, res.exception)
    assert f"MLflow run {older}" in _text(res)
    res = runner.invoke(forecast_app, ["check", "--series", str(path), "--run", newer[:10]])
    assert res.exit_code == 2, res.output
    assert f"the kept forecast of MLflow run {newer} cannot be read" in _text(res)


def test_predict_whose_forecast_cannot_be_kept_still_gives_its_forecast(
        tmp_path: Path, series_maker: Callable) -> None:
    """The experiment traffic_forecasts deleted in the MLflow UI (to clear the kept
    forecasts): predict had ended in a traceback after writing its files, without its table."""
    series, _ = series_maker(n_days=120)
    path = tmp_path / "s.csv"
    series.to_csv(path, index=False)
    runner = CliRunner()
    res = runner.invoke(forecast_app, ["train", "--series", str(path), "--horizon", "14",
                                       "--folds", "1", "--model", "seasonal_naive"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    res = runner.invoke(forecast_app, ["predict", "--horizon", "14", "--out", str(out)])
    assert res.exit_code == 0, res.output
    client = mlflow.MlflowClient()
    exp = client.get_experiment_by_name(FORECASTS_EXPERIMENT)
    assert exp is not None
    client.delete_experiment(exp.experiment_id)
    res = runner.invoke(forecast_app, ["predict", "--horizon", "14", "--out", str(out)])
    assert res.exit_code == 0, (res.output, res.exception)
    text = _text(res)
    assert "the forecast could not be kept for 'brain forecast check'" in text
    assert "kept as MLflow run" not in text
    assert "peaks:" in text
    assert (out / "forecast.csv").exists()


def test_a_forecast_file_with_utc_offsets_is_read_in_the_business_time_zone(
        tmp_path: Path, series_maker: Callable) -> None:
    """A forecast.csv from another tool with '+00:00' times: check had ended in pandas' 'You
    are trying to merge on datetime64[ns, UTC] and datetime64[ns] columns'."""
    series, _ = series_maker(n_days=100)
    path = tmp_path / "s.csv"
    series.to_csv(path, index=False)
    fc = _forecast(start=str(series["ds"].iloc[80].date())).assign(series_id="total")
    plain = tmp_path / "plain.csv"
    fc.to_csv(plain, index=False)
    zoned = tmp_path / "zoned.csv"
    fc.assign(ds=fc["ds"].dt.tz_localize("UTC").map(lambda t: t.isoformat())).to_csv(
        zoned, index=False)
    runner = CliRunner()
    want = runner.invoke(forecast_app, ["check", "--series", str(path), "--forecast",
                                        str(plain)])
    assert want.exit_code == 0, want.output
    res = runner.invoke(forecast_app, ["check", "--series", str(path), "--forecast",
                                       str(zoned)])
    assert res.exit_code == 0, res.output
    assert _text(res).replace(str(zoned), "F") == _text(want).replace(str(plain), "F")


def test_min_days_is_the_fewest_days_on_which_the_rule_can_warn() -> None:
    """MIN_DAYS was 7, where not even 7 of 7 days beyond the band can warn, and check said
    'no persistent error' after 7 days as though it had tested them."""
    from training._forecast_check import MIN_DAYS

    def can_warn(n: int) -> bool:
        return persistent_error(n, n, n)

    assert can_warn(MIN_DAYS)
    assert not can_warn(MIN_DAYS - 1)


def test_seven_days_far_off_do_not_claim_no_persistent_error(
        tmp_path: Path, series_maker: Callable) -> None:
    series, _ = series_maker(n_days=100)
    fc = _forecast(days=28, start=str(series["ds"].iloc[93].date())).assign(series_id="total")
    f_path = tmp_path / "f.csv"
    fc.to_csv(f_path, index=False)
    s_path = tmp_path / "s.csv"
    series.to_csv(s_path, index=False)  # 7 forecast days with an actual
    res = CliRunner().invoke(forecast_app, ["check", "--series", str(s_path), "--forecast",
                                            str(f_path)])
    assert res.exit_code == 0, res.output
    assert "no persistent error" not in _text(res)


def test_the_warning_does_not_give_the_total_the_sign_of_the_majority_side() -> None:
    """13 of 14 days above P90, but a promotion forecast at 5,000 fell through (1,000): the
    actual total is 63% under the forecast's, and the warning had said 'ran 63% above'."""
    fc = _forecast(days=14)
    fc.loc[13, ["p10", "p50", "p90"]] = [4000.0, 5000.0, 6000.0]
    y = np.full(14, 140.0)
    y[13] = 1000.0
    w = check_forecast(fc, fc[["series_id", "ds"]].assign(y=y)).warnings
    assert len(w) == 1
    total = 100 * (y.sum() / fc["p50"].sum() - 1)
    assert total < 0
    assert f"ran above the forecast on most days (its total {abs(total):.0f}% below" in w[0]
    assert f"{abs(total):.0f}% above" not in w[0]


def test_an_hourly_check_counts_hours(tmp_path: Path) -> None:
    """The table's count column said 'days' for an hourly forecast's hours."""
    ds = pd.date_range("2026-01-01", periods=24 * 20, freq="h")
    series = pd.DataFrame({"series_id": "total", "ds": ds, "y": 100.0})
    fc = pd.DataFrame({"series_id": "total", "ds": ds[-48:], "p10": 90.0, "p50": 100.0,
                       "p90": 110.0})
    s_path, f_path = tmp_path / "s.csv", tmp_path / "f.csv"
    series.to_csv(s_path, index=False)
    fc.to_csv(f_path, index=False)
    res = CliRunner().invoke(forecast_app, ["check", "--series", str(s_path), "--freq", "h",
                                            "--forecast", str(f_path)])
    assert res.exit_code == 0, res.output
    assert "hours" in res.output


def test_a_forecast_near_zero_is_said_as_totals_not_a_huge_percentage(tmp_path: Path) -> None:
    """A page forecast at its pre-launch zeros (P50 about 1e-5 a day) that then ran at ~2,500
    views a day: the table and the warning had read '+5700125215%'."""
    fc = _forecast(days=14, level=1e-5)
    fc[["p10", "p90"]] = [0.0, 1e-4]
    actual = fc[["series_id", "ds"]].assign(y=2500.0)
    result = check_forecast(fc, actual)
    (w,) = result.warnings
    assert "ran above the forecast, 35,000 against a P50 total of 0 over those days (" in w
    assert "%" not in w.split("(")[0]
    f_path, s_path = tmp_path / "f.csv", tmp_path / "s.csv"
    fc.to_csv(f_path, index=False)
    pd.concat([_history().assign(y=0.0), actual]).to_csv(s_path, index=False)
    res = CliRunner().invoke(forecast_app, ["check", "--series", str(s_path), "--forecast",
                                            str(f_path)])
    assert res.exit_code == 0, res.output
    assert "35,000 against a P50 total of 0" in _text(res)
    assert "00000%" not in res.output


def test_check_gives_no_notes_on_what_a_model_would_learn(tmp_path: Path) -> None:
    """check fits nothing: a store closed three weeks for a renovation
    (in the planner's calendar) had been noted as 'a drop far below the usual level ... not in
    the calendar ... left out of learning'."""
    hist = _history(days=120)
    hist.loc[40:60, "y"] = 0.0  # a closure a month before the forecast
    fc = _forecast(days=14)
    f_path, s_path = tmp_path / "f.csv", tmp_path / "s.csv"
    fc.to_csv(f_path, index=False)
    pd.concat([hist, fc[["series_id", "ds"]].assign(y=100.0)]).to_csv(s_path, index=False)
    res = CliRunner().invoke(forecast_app, ["check", "--series", str(s_path), "--forecast",
                                            str(f_path)])
    assert res.exit_code == 0, res.output
    assert "orders:total" in res.output
    assert "drop" not in _text(res)
    assert "left out of learning" not in _text(res)


def test_pruned_forecast_runs_on_a_database_with_remote_artifacts_take_their_artifacts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A database store whose artifacts live elsewhere (postgresql + s3://): deleting a run's
    records for good must delete its artifacts first, as ``mlflow gc`` does; else they stay
    in the bucket with no record left for ``mlflow gc`` to find them by."""
    from mlflow.store.artifact.artifact_repo import ArtifactRepository
    from mlflow.store.artifact.artifact_repository_registry import (
        _artifact_repository_registry as registry,
    )

    stored: dict[str, list[str]] = {}

    class Bucket(ArtifactRepository):  # an object store kept in memory
        def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
            stored.setdefault(self.artifact_uri, []).append(Path(local_file).name)

        def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
            for f in Path(local_dir).iterdir():
                self.log_artifact(str(f), artifact_path)

        def list_artifacts(self, path: str | None = None) -> list:
            return []

        def _download_file(self, remote_file_path: str, local_path: str) -> None:
            raise OSError("not kept")

        def delete_artifacts(self, artifact_path: str | None = None) -> None:
            stored.pop(self.artifact_uri, None)

    monkeypatch.setitem(registry._registry, "bucket", Bucket)
    log_forecast(_forecast(), "m v0", "models:/m/1", pd.Timestamp("2026-01-31"), keep=1)
    client = mlflow.MlflowClient()
    exp = client.get_experiment_by_name(FORECASTS_EXPERIMENT)
    assert exp is not None
    client.delete_experiment(exp.experiment_id)  # start again with a bucket location
    from mlflow.tracking._tracking_service.utils import _get_store

    _get_store(mlflow.get_tracking_uri())._hard_delete_experiment(exp.experiment_id)
    client.create_experiment(FORECASTS_EXPERIMENT, artifact_location="bucket://b/forecasts")
    first = log_forecast(_forecast(), "m v1", "models:/m/1", pd.Timestamp("2026-01-31"),
                         keep=1)
    assert any(first in uri for uri in stored)
    log_forecast(_forecast(), "m v2", "models:/m/1", pd.Timestamp("2026-01-31"), keep=1)
    with pytest.raises(mlflow.exceptions.MlflowException):
        client.get_run(first)  # its records are gone for good ...
    assert not any(first in uri for uri in stored)  # ... and so are its artifacts


def test_the_admins_gc_command_for_a_server_says_what_else_it_purges(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``mlflow gc --run-ids`` also purges every experiment and logged model marked deleted
    on the server (the reason brain does not run it on a local store): the note that hands
    the command to an admin must say so."""
    import training._forecast_check as fc_check

    log_forecast(_forecast(), "m v1", "models:/m/1", pd.Timestamp("2026-01-31"), keep=1)
    # a tracking server: no permanent delete through its API
    monkeypatch.setattr(fc_check, "_hard_delete_runs", lambda client, ids: list(ids))
    monkeypatch.setattr(fc_check.mlflow, "get_tracking_uri", lambda: "http://tracking:5000")
    notes: list[str] = []
    log_forecast(_forecast(), "m v2", "models:/m/1", pd.Timestamp("2026-01-31"), keep=1,
                 notes=notes)
    assert len(notes) == 1
    assert "mlflow gc --backend-store-uri" in notes[0]
    assert "also purges every experiment and logged model marked deleted" in notes[0]


def test_check_says_why_mase_is_empty(tmp_path: Path) -> None:
    # a file of the new days only (sales since the forecast): MASE has no scale, and the column
    # had been blank without a word
    runner = CliRunner()
    fc = _forecast(days=20)
    fc_path = tmp_path / "forecast.csv"
    fc.to_csv(fc_path, index=False)
    since = fc[["series_id", "ds"]].assign(y=95.0)
    since_path = tmp_path / "since.csv"
    since.to_csv(since_path, index=False)
    res = runner.invoke(forecast_app, ["check", "--series", str(since_path), "--forecast",
                                       str(fc_path)])
    assert res.exit_code == 0, res.output
    assert "MASE is empty for 1 series (orders:total)" in _text(res)
    # with its history the scale is there, and no such note
    both = pd.concat([_history(), since])
    both_path = tmp_path / "both.csv"
    both.to_csv(both_path, index=False)
    res = runner.invoke(forecast_app, ["check", "--series", str(both_path), "--forecast",
                                       str(fc_path)])
    assert res.exit_code == 0, res.output
    assert "MASE is empty" not in _text(res)


def test_check_does_not_ask_for_a_history_it_was_given_when_that_history_is_flat(
        tmp_path: Path) -> None:
    # a page at 0 for 70 days before its launch (a launch-start series), given with that
    # history: MASE has no scale because the history never changes, not for want of it (the
    # note had said the actuals hold under two weeks and asked for the history)
    runner = CliRunner()
    fc = _forecast(days=20).assign(series_id="page-new")
    fc_path = tmp_path / "forecast.csv"
    fc.to_csv(fc_path, index=False)
    both = pd.concat([_history().assign(series_id="page-new", y=0.0),
                      fc[["series_id", "ds"]].assign(y=95.0)])
    both_path = tmp_path / "both.csv"
    both.to_csv(both_path, index=False)
    res = runner.invoke(forecast_app, ["check", "--series", str(both_path), "--forecast",
                                       str(fc_path)])
    assert res.exit_code == 0, res.output
    text = _text(res)
    assert "MASE is empty for 1 series (page-new)" in text
    assert "does not change from week to week" in text
    assert "under two weeks" not in text


def test_check_says_a_page_launched_days_before_the_forecast_has_no_scale_yet(
        tmp_path: Path) -> None:
    # a page at 0 for weeks, launched 10 days before the forecast: its scale is read from its
    # launch on (the days at 0 are no part of its weekly variation), which holds under two
    # weeks; it is neither 'the same value every week' nor a file without its history
    runner = CliRunner()
    fc = _forecast(days=20).assign(series_id="page-new")
    fc_path = tmp_path / "forecast.csv"
    fc.to_csv(fc_path, index=False)
    hist = _history().assign(series_id="page-new")
    hist["y"] = np.where(np.arange(len(hist)) < len(hist) - 10, 0.0, hist["y"])
    both = pd.concat([hist, fc[["series_id", "ds"]].assign(y=95.0)])
    both_path = tmp_path / "both.csv"
    both.to_csv(both_path, index=False)
    res = runner.invoke(forecast_app, ["check", "--series", str(both_path), "--forecast",
                                       str(fc_path)])
    assert res.exit_code == 0, res.output
    text = _text(res)
    assert "MASE is empty for 1 series (page-new): they started (after weeks at 0, or at " \
           "their launch in the calendar) under two weeks before" in text
    assert "does not change from week to week" not in text


def test_the_check_says_when_the_band_was_too_wide_or_one_sided() -> None:
    """An independent check's hourly regions: the hold-out held 97% (0.4% above P90, 2.5%
    below P10) and `brain forecast check` gave the numbers without a word on the band."""
    rng = np.random.default_rng(5)
    ds = pd.date_range("2026-05-11", periods=24 * 14, freq="h")
    parts, acts = [], []
    for sid in "nsew":
        y = 1000 * np.exp(np.repeat(rng.normal(0, 0.03, 14), 24)
                          + 0.01 * rng.standard_normal(len(ds)))
        parts.append(pd.DataFrame({"series_id": sid, "ds": ds, "p10": 900.0, "p50": 1000.0,
                                   "p90": 1110.0}))
        acts.append(pd.DataFrame({"series_id": sid, "ds": ds, "y": y}))
    fc, act = pd.concat(parts), pd.concat(acts)
    wide = check_forecast(fc, act).band_notes
    assert any("wider than it needs" in n and "over the periods checked" in n for n in wide)
    high = fc.assign(p10=fc["p10"] * 1.08, p50=fc["p50"] * 1.08, p90=fc["p90"] * 1.08)
    assert any("ran high" in n for n in check_forecast(high, act).band_notes)
    right = fc.assign(p10=1000 * np.exp(-1.2816 * 0.0316), p90=1000 * np.exp(1.2816 * 0.0316))
    assert check_forecast(right, act).band_notes == ()
