"""Known-in-advance columns (a promo flag): backtest with gaps, train, predict --future."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from serving._cli_forecast import forecast_app
from training._forecast_backtest import backtest
from training._forecast_backtest_folds import backtest_future_regressors
from training._forecast_gbm import LightGBMForecaster
from training._forecast_mlflow import pyfunc_input

_FAST = ["--model", "lightgbm", "--horizon", "14", "--folds", "2"]


def _promo_series(n_days: int = 400, gaps: int = 0, seed: int = 3) -> pd.DataFrame:
    """Two daily series with a weekly pattern and a 0/1 promo flag (one week on in four)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=n_days, freq="D")
    promo = ((np.arange(n_days) // 7) % 4 == 0).astype(int)
    weekly = np.array([1.0, 0.9, 0.9, 0.95, 1.05, 1.3, 1.25])[ds.day_of_week]
    frames = []
    for k, sid in enumerate(("store_a", "store_b")):
        y = rng.poisson(100 * (1 + k) * weekly * (1 + 0.5 * promo)).astype(float)
        frames.append(pd.DataFrame({"series_id": sid, "ds": ds, "y": y, "promo": promo}))
    frame = pd.concat(frames, ignore_index=True)
    if gaps:
        # missing days inside the backtest windows (the last 28 days) and before them
        late = frame.index[frame["ds"] >= ds[-28]]
        early = frame.index[frame["ds"] < ds[-28]]
        drop = np.concatenate([rng.choice(late, gaps, replace=False),
                               rng.choice(early, gaps, replace=False)])
        frame = frame.drop(drop).reset_index(drop=True)
    return frame


def _future(series: pd.DataFrame, periods: int) -> pd.DataFrame:
    rows = []
    for sid, g in series.groupby("series_id"):
        idx = pd.date_range(g["ds"].max() + pd.Timedelta(days=1), periods=periods, freq="D")
        promo = ((np.arange(len(idx)) // 7) % 2 == 0).astype(int)
        rows.append(pd.DataFrame({"series_id": sid, "ds": idx.strftime("%Y-%m-%d"),
                                  "promo": promo}))
    return pd.concat(rows, ignore_index=True)


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.assign(ds=pd.to_datetime(frame["ds"]).dt.strftime("%Y-%m-%d")).to_csv(path,
                                                                                 index=False)
    return path


def test_train_and_predict_with_future_file(tmp_path: Path) -> None:
    series = _promo_series()
    s_path = _write(series, tmp_path / "series.csv")
    runner = CliRunner()
    res = runner.invoke(forecast_app, ["train", "--series", str(s_path), *_FAST])
    assert res.exit_code == 0, res.output
    assert "champion" in res.output
    version = mlflow.MlflowClient().get_model_version_by_alias("traffic_forecaster",
                                                               "champion")
    loaded = mlflow.pyfunc.load_model(f"models:/traffic_forecaster/{version.version}")
    assert "promo" in loaded.metadata.signature.inputs.input_names()

    fut = _future(series, 10)
    f_path = tmp_path / "future.parquet"
    fut.to_parquet(f_path, index=False)
    out = tmp_path / "out"
    res = runner.invoke(forecast_app, ["predict", "--horizon", "10", "--future", str(f_path),
                                       "--out", str(out)])
    assert res.exit_code == 0, res.output
    res_predict_output = " ".join(res.output.split())
    fc = pd.read_csv(out / "forecast.csv", parse_dates=["ds"])
    assert len(fc) == 20
    assert set(fc["series_id"]) == {"store_a", "store_b"}
    # the promo flag moves the forecast: promo week above the following week, same weekdays
    a = fc[fc["series_id"] == "store_a"].reset_index(drop=True)
    assert a["p50"].iloc[:3].mean() > a["p50"].iloc[7:10].mean()

    # the pyfunc takes the same values directly (calendar rows + regressor rows in one frame)
    frame = pyfunc_input(None, fut, ["promo"])
    direct = loaded.predict(frame, params={"horizon": 10})
    assert np.allclose(direct["p50"].to_numpy(), fc["p50"].to_numpy())

    # one series: its own plan is enough, and its rows are those of the forecast of all
    one_plan = tmp_path / "future_b.csv"
    fut[fut["series_id"] == "store_b"].to_csv(one_plan, index=False)
    res = runner.invoke(forecast_app, ["predict", "--horizon", "10", "--future", str(one_plan),
                                       "--series", "store_b", "--out", str(tmp_path / "one")])
    assert res.exit_code == 0, res.output
    one = pd.read_csv(tmp_path / "one" / "forecast.csv", parse_dates=["ds"])
    assert set(one["series_id"]) == {"store_b"}
    # the header names the series forecast, not every series of the model
    assert "(lightgbm): 1 of its 2 series (store_b), history" in " ".join(res.output.split())
    pd.testing.assert_frame_equal(one, fc[fc["series_id"] == "store_b"].reset_index(drop=True))
    bad = runner.invoke(forecast_app, ["predict", "--horizon", "10", "--future", str(f_path),
                                       "--series", "store_c", "--out", str(tmp_path / "one")])
    assert bad.exit_code == 2
    assert "forecasts no series 'store_c'; its series: store_a, store_b" in " ".join(
        bad.output.split())

    # a model with a promo column needs the file
    res = runner.invoke(forecast_app, ["predict", "--horizon", "10", "--out", str(out)])
    assert res.exit_code == 2
    assert "--future" in res.output
    assert "promo" in res.output

    # the API takes the same values under "future", and says which columns it needs
    from serving._core import BadRequestError
    from serving._schemas import ForecastRequest
    from serving.service import build_brain

    brain = build_brain()
    (info,) = [m for m in brain.models()["models"] if m["name"] == "traffic_forecaster"]
    assert info["known_in_advance"] == ["promo"]
    api = brain.forecast(ForecastRequest(series_id="store_a", horizon=10,
                                         future=fut.to_dict("records")))
    assert np.allclose([r["p50"] for r in api["forecast"]], a["p50"].to_numpy())
    # what the lift leaves out is said by the API (and so on the page) as by predict: it had
    # been a predict note only
    assert any("inside baseline_p50" in n and "'promo'" in n for n in api["notes"])
    assert "inside baseline_p50" in res_predict_output
    with pytest.raises(BadRequestError, match=r"promo.*'future'"):
        brain.forecast(ForecastRequest(series_id="store_a", horizon=10))
    mine = fut[fut["series_id"] == "store_a"]
    with pytest.raises(BadRequestError, match="lack"):
        brain.forecast(ForecastRequest(series_id="store_a", horizon=10,
                                       future=mine.iloc[:-2].to_dict("records")))
    # the requested series' plan is enough: a planner asking for one of 60 stores had to
    # send the plans of all 60 (a 400 named the other 59); the answer is the same
    alone = brain.forecast(ForecastRequest(series_id="store_a", horizon=10,
                                           future=mine.to_dict("records")))
    assert alone["forecast"] == api["forecast"]
    assert alone["peaks"] == api["peaks"]
    for bad in ([{}], [{"series_id": None, "ds": "soon", "promo": "yes"}],
                [{"series_id": "store_a", "ds": ["2025-01-01"], "promo": {"a": 1}}]):
        with pytest.raises(BadRequestError):
            brain.forecast(ForecastRequest(series_id="store_a", horizon=10, future=bad))


def test_predict_names_missing_periods_and_columns(tmp_path: Path) -> None:
    series = _promo_series()
    s_path = _write(series, tmp_path / "series.csv")
    runner = CliRunner()
    res = runner.invoke(forecast_app, ["train", "--series", str(s_path), *_FAST])
    assert res.exit_code == 0, res.output
    fut = _future(series, 10)
    short = fut[~((fut["series_id"] == "store_b") & fut["ds"].isin(["2025-02-05",
                                                                    "2025-02-06"]))]
    f_path = tmp_path / "future.csv"
    short.to_csv(f_path, index=False)
    res = runner.invoke(forecast_app, ["predict", "--horizon", "10", "--future", str(f_path),
                                       "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "future.csv" in text
    assert "'store_b': 2025-02-05, 2025-02-06" in text
    assert "store_a" not in text
    assert not (tmp_path / "out" / "forecast.csv").exists()

    fut.drop(columns="promo").assign(price=1.0).to_csv(f_path, index=False)
    res = runner.invoke(forecast_app, ["predict", "--horizon", "10", "--future", str(f_path),
                                       "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "['promo'] missing" in " ".join(res.output.split())

    # a Kaggle-style 'Promo' is named as the column to rename
    fut.rename(columns={"promo": "Promo"}).to_csv(f_path, index=False)
    res = runner.invoke(forecast_app, ["predict", "--horizon", "10", "--future", str(f_path),
                                       "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "rename 'Promo' to 'promo'" in " ".join(res.output.split())

    fut.assign(promo=fut["promo"].astype(str).where(fut.index != 3, "")).to_csv(f_path,
                                                                                index=False)
    res = runner.invoke(forecast_app, ["predict", "--horizon", "10", "--future", str(f_path),
                                       "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "promo" in res.output
    assert "missing values" in res.output


def test_backtest_with_gaps_and_promo(tmp_path: Path, fast_gbm: dict) -> None:
    series = _promo_series(gaps=4)
    s_path = _write(series, tmp_path / "series.csv")
    res = CliRunner().invoke(forecast_app, ["backtest", "--series", str(s_path), *_FAST])
    assert res.exit_code == 0, res.output
    assert "mase" in res.output

    result = backtest(LightGBMForecaster(**fast_gbm), series, horizon=14, n_folds=2)
    fc = result.forecasts
    # every period of the window is forecast; days missing from the data are not scored
    assert len(fc) == 2 * 2 * 14
    assert fc["y"].isna().sum() == 4
    assert result.folds[["mase", "coverage80_pct"]].notna().all().all()


def test_backtest_future_regressors_fills_only_absent_periods() -> None:
    frame = pd.DataFrame({"series_id": "a",
                          "ds": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04"]),
                          "y": 1.0, "promo": [0.0, 1.0, 0.0]})
    last = pd.Series({"a": pd.Timestamp("2024-01-01")})
    out = backtest_future_regressors(frame, ["promo"], last, 4, "D")
    assert out["ds"].dt.day.tolist() == [2, 3, 4, 5]
    # 3 Jan is a gap, 5 Jan is past the data: both carry the previous known value forward
    assert out["promo"].tolist() == [1.0, 1.0, 0.0, 0.0]


def test_model_without_regressors_keeps_calendar_input() -> None:
    cal = pd.DataFrame({"name": ["Sale"], "start": ["2024-05-01"], "kind": ["sale"]})
    frame = pyfunc_input(cal)
    assert list(frame.columns) == ["name", "start", "end", "kind", "channel", "intensity"]
    with pytest.raises(ValueError, match="missing"):
        pyfunc_input(cal, pd.DataFrame({"series_id": ["a"], "ds": ["2024-05-01"]}), ["promo"])


def test_a_same_period_outcome_column_is_named_and_keys_the_evaluation(tmp_path: Path) -> None:
    """Independent check (2026-12-05): a Rossmann file's 'Customers' column (an outcome of the
    day, about Sales / 9) was read as known in advance without a word; its backtest shared the
    evaluation key of the model without it, so the leaky model became champion."""
    from training._forecast_notes import series_notes

    series = _promo_series()
    rng = np.random.default_rng(0)
    leaky = series.assign(customers=np.round(series["y"] / 9 + rng.normal(0, 1, len(series))))
    notes = " ".join(series_notes(leaky))
    assert "known-in-advance columns: 'promo', 'customers'" in notes
    assert "column 'customers' rises and falls with y" in notes
    assert "column 'promo' rises" not in notes  # a planned flag is not an outcome
    assert "rises and falls" not in " ".join(series_notes(series))

    runner = CliRunner()
    plain = runner.invoke(forecast_app, ["train", "--series",
                                         str(_write(series, tmp_path / "a.csv")), *_FAST])
    assert plain.exit_code == 0, plain.output
    res = runner.invoke(forecast_app, ["train", "--series",
                                       str(_write(leaky, tmp_path / "b.csv")), *_FAST])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "column 'customers' rises and falls with y" in text
    client = mlflow.MlflowClient()
    v1, v2 = (client.get_model_version("traffic_forecaster", v) for v in ("1", "2"))
    assert v1.tags["eval.key"] != v2.tags["eval.key"]  # not 'the same evaluation'
    assert v1.tags["data.key"] != v2.tags["data.key"]
    assert v2.tags["inputs.known_in_advance"] == "promo,customers"
    run = client.get_run(v2.run_id)
    assert run.data.params["known_in_advance"] == "promo,customers"
    # the same recipe on the same inputs ties, and the fit on this data is served: the
    # warnings are what tell the user
    assert v2.aliases == ["champion"]
    assert "other known-in-advance columns (promo; now promo,customers)" in text
    assert "reads known-in-advance columns champion v1 did not ('customers')" in text


def test_hourly_forecast_in_a_dst_zone_has_no_row_for_the_skipped_hour(tmp_path: Path) -> None:
    """Independent check: a model trained with --tz Europe/Berlin forecast a row for
    2024-03-31 02:00, an hour that does not exist there (168 rows for 167 hours), and the
    files did not say which clock their times are on."""
    ds = pd.date_range("2024-02-01", "2024-03-29 23:00", freq="h")
    rng = np.random.default_rng(1)
    y = rng.poisson(50 + 30 * np.sin(2 * np.pi * ds.hour.to_numpy() / 24)).astype(float)
    path = tmp_path / "hourly.csv"
    pd.DataFrame({"ds": ds.strftime("%Y-%m-%d %H:%M"), "y": y}).to_csv(path, index=False)
    runner = CliRunner()
    res = runner.invoke(forecast_app, ["train", "--series", str(path), "--horizon", "72",
                                       "--folds", "1", "--tz", "Europe/Berlin"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    res = runner.invoke(forecast_app, ["predict", "--horizon", "72", "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "times are local Europe/Berlin time" in text
    assert "2024-03-31 02:00 does not exist there" in text
    fc = pd.read_csv(out / "forecast.csv", parse_dates=["ds"])
    assert len(fc) == 71
    assert pd.Timestamp("2024-03-31 02:00") not in set(fc["ds"])
    assert pd.Timestamp("2024-03-31 03:00") in set(fc["ds"])


def test_future_file_for_a_champion_without_columns_names_the_version_that_reads_them(
        tmp_path: Path) -> None:
    # a forecaster with a promo column trained beside a champion of other series is registered,
    # not promoted; `predict --future` then said only "the file is not used"
    runner = CliRunner()
    series = _promo_series()
    other = series.drop(columns="promo").assign(series_id=series["series_id"] + "_web")
    res = runner.invoke(forecast_app, ["train", "--series",
                                       str(_write(other, tmp_path / "web.csv")),
                                       "--model", "seasonal_naive", "--horizon", "14",
                                       "--folds", "2"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(forecast_app, ["train", "--series",
                                       str(_write(series, tmp_path / "promo.csv")), *_FAST])
    assert res.exit_code == 0, res.output
    f_path = _write(_future(series, 10), tmp_path / "plan.csv")
    res = runner.invoke(forecast_app, ["predict", "--horizon", "10", "--future", str(f_path),
                                       "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "traffic_forecaster v1 (@champion) has no known-in-advance columns" in text
    assert ("models:/traffic_forecaster/2 reads ['promo']: to forecast with it, pass "
            "--model-uri models:/traffic_forecaster/2") in text


def test_future_values_that_are_not_numbers_are_named_by_row_and_value() -> None:
    # a plan with 'yes' in a 0/1 column and a date typed as text: the message had read
    # "first rows [np.int64(4)]", numpy's repr, without the value that failed
    from training._forecast_future import _future_frame

    plan = pd.DataFrame({"series_id": "store_07", "ds": pd.date_range("2026-10-26", periods=6),
                         "promo": [0, 0, 0, "yes", 1, "n/a"]})
    with pytest.raises(ValueError, match="non-numeric") as err:
        _future_frame(plan, ["promo"], "future")
    assert "first rows 4 ('yes'), 6 ('n/a'))" in str(err.value)
    assert "np.int64" not in str(err.value)
    plan = plan.assign(promo=0, ds=["2026-10-26", "next friday", *plan["ds"].astype(str)[2:]])
    with pytest.raises(ValueError, match="not timestamps") as err:
        _future_frame(plan, ["promo"], "future")
    assert "first rows 2 ('next friday'))" in str(err.value)


def test_a_series_that_ended_long_before_the_others_is_named_in_the_missing_plan_error() -> None:
    # a chain's store closed in September: its forecast periods start the day after its last
    # row, so a plan for the others' horizon lacks all of them; 'shorten the horizon' cannot
    # help, and the message now says the series ended and how to leave it out
    from training._forecast_future import check_future_regressors
    from training._forecast_panel import prepare_panel

    series = _promo_series(n_days=200)
    ds_end = series["ds"].max()
    closed = series["series_id"].eq("store_b") & (series["ds"] > ds_end - pd.Timedelta(days=40))
    panel = prepare_panel(series[~closed])
    fut = _future(series, 14)
    with pytest.raises(ValueError, match="lack a value") as err:
        check_future_regressors(panel, 14, fut, "plan.csv")
    text = str(err.value)
    assert "1 of these series end over a week before the others' last period" in text
    assert f"'store_b' (last {(ds_end - pd.Timedelta(days=40)).date()})" in text
    assert "brain forecast predict --series" in text
    check_future_regressors(panel, 14, fut, "plan.csv", only=["store_a"])  # the live one is fine
