"""MLflow runs, pyfunc model, registry and champion rule; the CLI end to end on a series file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mlflow
import pandas as pd
from typer.testing import CliRunner

from serving._cli_forecast import forecast_app
from training._forecast_gbm import LightGBMForecaster
from training._forecast_mlflow import REGISTERED_NAME, train_and_register
from training._forecast_models import SeasonalNaiveForecaster


def test_champion_moves_only_when_better_on_same_backtest(series_maker: Callable,
                                                         fast_gbm: dict) -> None:
    series, cal = series_maker(n_days=500)
    naive = train_and_register(SeasonalNaiveForecaster(), series, cal, horizon=14, n_folds=2)
    assert naive.promotion is not None
    assert naive.promotion.promoted
    gbm = train_and_register(LightGBMForecaster(**fast_gbm), series, cal, horizon=14, n_folds=2)
    assert gbm.backtest.evaluation == naive.backtest.evaluation
    assert gbm.promotion is not None
    better = gbm.backtest.mean["mase"] < naive.backtest.mean["mase"]
    assert gbm.promotion.promoted == better
    again = train_and_register(SeasonalNaiveForecaster(), series, cal, horizon=14, n_folds=2)
    champion = mlflow.MlflowClient().get_model_version_by_alias(REGISTERED_NAME, "champion")
    assert again.promotion is not None
    assert not again.promotion.promoted  # equal to (or worse than) the champion: kept
    run = mlflow.get_run(gbm.run_id)
    assert "mean_mase" in run.data.metrics
    # the data span on the run, not only on the registered version
    ds = pd.to_datetime(series["ds"])
    assert run.data.tags["data.start"] == str(ds.min().date())
    assert run.data.tags["data.end"] == str(ds.max().date())
    assert run.data.tags["data.summary"].endswith(f"{ds.max().date()}")
    assert run.data.params["model_name"] == "lightgbm"
    arts = [a.path for a in mlflow.MlflowClient().list_artifacts(gbm.run_id, "plots")]
    assert len(arts) == 2
    loaded = mlflow.pyfunc.load_model(f"models:/{REGISTERED_NAME}/{champion.version}")
    assert loaded.metadata.signature is not None
    empty = pd.DataFrame(columns=["name", "start", "end", "kind", "channel", "intensity"])
    out = loaded.predict(empty, params={"horizon": 21, "use_stored_calendar": False})
    assert len(out) == 21
    assert (out["p10"] <= out["p90"]).all()
    # no params: the horizon it was trained for, not a fixed 30 (the signature's default)
    assert len(loaded.predict(empty)) == 14


def test_charts_and_tables_lead_with_the_sums_over_channels() -> None:
    from features._calendar import aggregates_first

    ids = ["channel=email", "orders:total", "channel=ads", "revenue:total", "total", "store_1"]
    assert aggregates_first(ids) == ["total", "orders:total", "revenue:total", "channel=ads",
                                     "channel=email", "store_1"]
    # store ids in natural order (as text '1', '10', '100' came first: an independent check's
    # chart showed stores 1, 10, 100, 101, 102, 103 as 'the first 6 of 120')
    assert aggregates_first(["10", "100", "2", "1", "store_10", "store_9"]) == [
        "1", "2", "10", "100", "store_9", "store_10"]
    assert aggregates_first(["zone_2", "zone_1²"]) == ["zone_1²", "zone_2"]  # no crash


def test_a_daily_model_in_a_zone_changing_clocks_at_midnight_keeps_every_day() -> None:
    """Review: the skipped-hour rule dropped 2024-09-08 from a daily America/Santiago forecast
    (its clocks jump from 00:00 to 01:00 that day); it applies to hourly models only."""
    from training._forecast_models import SeasonalNaiveForecaster

    ds = pd.date_range("2024-07-01", "2024-09-01", freq="D")
    model = SeasonalNaiveForecaster().fit(pd.DataFrame({"series_id": "total", "ds": ds,
                                                        "y": 10.0}))
    model.time_zone_ = "America/Santiago"
    fc = model.predict(14)
    assert len(fc) == 14
    assert pd.Timestamp("2024-09-08") in set(fc["ds"])


def test_cli_backtest_train_predict(tmp_path: Path, series_maker: Callable) -> None:
    series, cal = series_maker(n_days=500)
    s_path, c_path = tmp_path / "series.csv", tmp_path / "calendar.csv"
    series.to_csv(s_path, index=False)
    cal.to_csv(c_path, index=False)
    future = pd.DataFrame({"name": ["Flash sale"], "start": ["2024-05-20"], "end": ["2024-05-20"],
                           "kind": ["sale"], "intensity": [0.5]})
    f_path = tmp_path / "future.csv"
    future.to_csv(f_path, index=False)
    runner = CliRunner()
    common = ["--series", str(s_path), "--calendar", str(c_path), "--horizon", "14",
              "--folds", "2", "--model", "seasonal_naive"]
    res = runner.invoke(forecast_app, ["backtest", *common])
    assert res.exit_code == 0, res.output
    assert "mase" in res.output
    assert "fold plots: " in res.output
    res = runner.invoke(forecast_app, ["train", *common])
    assert res.exit_code == 0, res.output
    assert "champion" in res.output
    # the MLflow UI says what the run is without the code: files, series, span, outcome
    client = mlflow.MlflowClient()
    version = client.get_model_version_by_alias(REGISTERED_NAME, "champion")
    run = client.get_run(version.run_id)
    assert run.data.tags["source.series"] == str(s_path)
    assert run.data.tags["source.calendar"] == str(c_path)
    note = run.data.tags["mlflow.note.content"]
    assert note.startswith("seasonal_naive forecaster on 1 series")
    assert "mean MASE" in note
    assert "Champion:" in note
    assert version.description == note
    assert run.info.run_name.startswith("train-seasonal_naive 1 series to ")
    out = tmp_path / "out"
    res = runner.invoke(forecast_app, ["predict", "--horizon", "30", "--calendar", str(f_path),
                                       "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "forecast.csv").exists()
    assert (out / "forecast.png").exists()
    peaks = pd.read_csv(out / "peaks.csv")
    assert "Flash sale" in set(peaks["window"])
    # without an intensity the planned sale is one like the history's (0.5), said in a note
    future.drop(columns=["intensity"]).to_csv(f_path, index=False)
    from serving._cli_common import install_note_handler

    install_note_handler()  # as brain's callback does: loader notes on the console
    res = runner.invoke(forecast_app, ["predict", "--horizon", "30", "--calendar", str(f_path),
                                       "--out", str(tmp_path / "out2")])
    assert res.exit_code == 0, res.output
    assert ("future.csv: 1 event without intensity gets its kind's usual intensity in the "
            "model's history ('sale' 0.5; other kinds 1.0)") in " ".join(res.output.split())
    same = pd.read_csv(tmp_path / "out2" / "peaks.csv")
    pd.testing.assert_frame_equal(same, peaks)
    res = runner.invoke(forecast_app, ["backtest", "--series", str(tmp_path / "missing.csv")])
    assert res.exit_code == 2


def test_cli_names_the_calendar_file_of_a_misspelt_channel(tmp_path: Path,
                                                           series_maker: Callable) -> None:
    series, cal = series_maker(n_days=200)
    series = series.assign(series_id="channel=email")
    s_path, c_path = tmp_path / "series.csv", tmp_path / "calendar.csv"
    series.to_csv(s_path, index=False)
    cal.assign(channel="emial").to_csv(c_path, index=False)
    res = CliRunner().invoke(forecast_app, ["backtest", "--series", str(s_path), "--calendar",
                                            str(c_path), "--folds", "1", "--horizon", "7",
                                            "--model", "seasonal_naive"])
    assert res.exit_code != 0
    text = " ".join(res.output.split())
    assert "calendar.csv" in text
    assert "'emial'" in text
    assert "channels are email" in text


def test_forecast_files_write_one_date_format_and_readable_numbers() -> None:
    """Independent check: an hourly peaks.csv had '2024-12-21' beside '2024-12-27 23:00:00',
    numbers like 34198.100069485605, and '-0.0'."""
    from serving._cli_forecast_model import _csv_ready

    frame = pd.DataFrame({
        "start": pd.to_datetime(["2024-12-21", "2024-12-25"]),
        "end": pd.to_datetime(["2024-12-27 23:00", "2024-12-25 23:00"]),
        "p50": [34198.100069485605, -1e-9], "lift_pct": [3.33008944232005, -29.53498082798991],
        "revenue": [1_234_567.891, 2.5]})
    out = _csv_ready(frame)
    assert list(out["start"]) == ["2024-12-21 00:00", "2024-12-25 00:00"]
    assert list(out["end"]) == ["2024-12-27 23:00", "2024-12-25 23:00"]
    assert list(out["p50"]) == [34198.1, 0.0]
    assert str(out["p50"].iloc[1]) == "0.0"
    assert list(out["lift_pct"]) == [3.3301, -29.535]  # six digits of the column's largest
    assert list(out["revenue"]) == [1_234_568.0, 2.0]
    daily = _csv_ready(frame[["start"]])
    assert list(daily["start"]) == ["2024-12-21", "2024-12-25"]
    # digits per series: a small channel beside a 1.2M total keeps its decimals (review)
    two = _csv_ready(pd.DataFrame({"series_id": ["total", "channel=sms"],
                                   "p90": [1_234_567.891, 2.4912345]}))
    assert list(two["p90"]) == [1_234_568.0, 2.49123]


def test_too_short_a_history_for_the_folds_names_the_fix_and_logs_no_failed_run(
        tmp_path: Path, series_maker: Callable) -> None:
    """50 days backtested with 2 folds of 60 had been told of an origin the user never gave
    ('origin 2024-07-04 00:00:00 leaves 0 training rows ...') and left an empty FAILED run."""
    series, _ = series_maker(n_days=50)
    s_path = tmp_path / "short.csv"
    series.to_csv(s_path, index=False)
    from training._mlflow import configure_mlflow

    configure_mlflow()  # this test's store (MLflow's global URI is still the previous test's)
    before = mlflow.search_runs(search_all_experiments=True, output_format="list")
    for cmd in ("backtest", "train"):
        res = CliRunner().invoke(forecast_app, [cmd, "--series", str(s_path), "--horizon", "60",
                                                "--folds", "2", "--model", "seasonal_naive"])
        assert res.exit_code == 2, res.output
        text = " ".join(res.output.split())
        assert "2 fold(s) of horizon 60 need at least 121 days of history" in text
        assert "the data has 50" in text
        assert "lower --folds or --horizon" in text
        assert "00:00:00" not in text
    after = mlflow.search_runs(search_all_experiments=True, output_format="list")
    assert len(after) == len(before)


def test_train_says_which_model_predict_keeps_when_the_candidate_is_not_promoted(
        tmp_path: Path, series_maker: Callable) -> None:
    """A candidate that does not beat the champion on the same backtest: ``train`` said only
    'v2 mase=... does not beat champion v1 ...', not that predict and the API keep v1 nor how
    to forecast with v2 (``brain train churn`` says both)."""
    series, cal = series_maker(n_days=300)
    s_path, c_path = tmp_path / "series.csv", tmp_path / "calendar.csv"
    series.to_csv(s_path, index=False)
    cal.to_csv(c_path, index=False)
    common = ["train", "--series", str(s_path), "--calendar", str(c_path), "--horizon", "14",
              "--folds", "2", "--model", "seasonal_naive"]
    runner = CliRunner()
    first = runner.invoke(forecast_app, common)
    assert first.exit_code == 0, first.output
    assert "keep forecasting" not in first.output  # v1 became champion: nothing kept
    res = runner.invoke(forecast_app, common)  # the same recipe ties: the champion stays
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "traffic_forecaster v2: v2 mase=" in text
    assert ("'brain forecast predict' and the API keep forecasting with "
            "traffic_forecaster@champion (v1); to forecast with v2 pass --model-uri "
            "models:/traffic_forecaster/2") in text


def test_the_kept_forecast_run_holds_the_chart_and_the_peaks(tmp_path: Path,
                                                               series_maker: Callable) -> None:
    """``predict`` keeps its forecast as an MLflow run for ``brain forecast check``; the run held
    forecast.csv only, so the chart and peak table a planner was shown were not in MLflow."""
    series, cal = series_maker(n_days=300)
    s_path, c_path = tmp_path / "series.csv", tmp_path / "calendar.csv"
    series.to_csv(s_path, index=False)
    cal.to_csv(c_path, index=False)
    runner = CliRunner()
    res = runner.invoke(forecast_app, ["train", "--series", str(s_path), "--calendar",
                                       str(c_path), "--horizon", "14", "--folds", "2",
                                       "--model", "seasonal_naive"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(forecast_app, ["predict", "--horizon", "14", "--out",
                                       str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    client = mlflow.MlflowClient()
    run = client.get_experiment_by_name("traffic_forecasts")
    assert run is not None
    kept = client.search_runs([run.experiment_id])[0]
    names = {a.path for a in client.list_artifacts(kept.info.run_id)}
    assert names == {"forecast.csv", "forecast.png", "peaks.csv"}


def test_the_registered_forecaster_says_what_it_answers_and_how_its_champion_moves(
        series_maker: Callable) -> None:
    series, cal = series_maker(n_days=300)
    train_and_register(SeasonalNaiveForecaster(), series, cal, horizon=14, n_folds=2)
    text = mlflow.MlflowClient().get_registered_model(REGISTERED_NAME).description
    assert text.startswith("Traffic forecaster: P10/P50/P90")
    assert "lower mean MASE on the same backtest" in text


def test_the_versions_table_says_each_versions_model_and_backtest_mase(
        series_maker: Callable, fast_gbm: dict) -> None:
    """``brain models traffic_forecaster`` showed neither which versions were lightgbm or
    seasonal_naive nor their MASE beside the promotion reason (both were in the runs)."""
    import json

    from serving.cli import app

    series, cal = series_maker(n_days=300)
    naive = train_and_register(SeasonalNaiveForecaster(), series, cal, horizon=14, n_folds=2)
    gbm = train_and_register(LightGBMForecaster(**fast_gbm), series, cal, horizon=14, n_folds=2)
    runner = CliRunner()
    res = runner.invoke(app, ["models", REGISTERED_NAME], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    head = next(ln for ln in res.output.splitlines() if "version" in ln and "created" in ln)
    assert "model" in head
    assert "score" in head
    rows = {ln.split("│")[1].strip(): ln for ln in res.output.splitlines()
            if ln.startswith("│ v")}
    assert "seasonal_naive" in rows["v1"]
    assert f"backtest MASE {naive.backtest.mean['mase']:.4g}" in rows["v1"]
    assert "lightgbm" in rows["v2"]
    assert f"backtest MASE {gbm.backtest.mean['mase']:.4g}" in rows["v2"]
    record = json.loads(runner.invoke(app, ["models", REGISTERED_NAME, "--json"]).output)
    assert [v["model_kind"] for v in record["versions"]] == ["seasonal_naive", "lightgbm"]
    assert record["versions"][1]["score"] == {"mase": gbm.backtest.mean["mase"]}
