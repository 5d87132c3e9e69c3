"""A store-by-day plan (Kaggle's test.csv shape) into predict's future values and calendar:
``store_plan_to_future`` and ``brain data import-series PLAN --like DIR``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import features as ft
from serving import _cli_common
from serving.cli import app

from .test_import_series import _as_read, _export

PLAN_DAYS = 14


@pytest.fixture(autouse=True)
def _fresh_notes() -> None:
    _cli_common._shown_notes.clear()


def _split(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(history, plan, truth): the test export with a day's closure now and then (an inventory
    day, as real exports have) in the history; its last two weeks as the plan (Kaggle's
    test.csv: an Id, no Sales or Customers), store 1 closed on the second Wednesday, and the
    plan's truth."""
    ex = _export(420 + PLAN_DAYS, seed)
    day = pd.to_datetime(ex["Date"])
    start = day.max() - pd.Timedelta(days=PLAN_DAYS - 1)
    rng = np.random.default_rng(seed)
    usual = ex.index[(day < start) & (day.dt.day_of_week < 5) & (ex["Open"] == 1)
                     & (ex["StateHoliday"] == "0")]
    shut = rng.choice(usual, 18, replace=False)
    ex.loc[shut, ["Open", "Sales", "Customers"]] = 0
    wednesday = start + pd.Timedelta(days=(2 - start.day_of_week) % 7 + 7)
    ex.loc[(ex["Store"] == 1) & (day == wednesday), ["Open", "Sales", "Customers"]] = 0
    history = ex[day < start].reset_index(drop=True)
    truth = ex[day >= start].reset_index(drop=True)
    plan = truth.drop(columns=["Sales", "Customers"])
    plan.insert(0, "Id", np.arange(1, len(plan) + 1))
    return history, plan, truth


def _settings(history: pd.DataFrame) -> dict[str, object]:
    return ft.store_days_to_series(_as_read(history), source="train.csv").settings


def test_a_plan_becomes_future_values_and_events_like_its_history() -> None:
    history, plan, _ = _split()
    settings = _settings(history)
    raw = _as_read(plan)
    raw["Open"] = raw["Open"].astype(object)
    sunday = raw.index[(raw["Store"] == "2") & (pd.to_datetime(raw["Date"]).dt.day_of_week == 6)]
    monday = raw.index[(raw["Store"] == "2") & (pd.to_datetime(raw["Date"]).dt.day_of_week == 0)]
    raw.loc[[sunday[0], monday[0]], "Open"] = np.nan  # Kaggle's test.csv has empty Open values
    got = ft.store_plan_to_future(raw, settings, source="test.csv")
    fut = got.future
    assert list(fut.columns) == ["series_id", "ds", "promo", "school_holiday"]
    assert len(fut) == 3 * PLAN_DAYS
    assert sorted(fut["series_id"].unique()) == ["store_01", "store_02", "store_10"]
    want = plan.assign(series_id="store_" + plan["Store"].astype(str).str.zfill(2),
                       ds=pd.to_datetime(plan["Date"]))
    merged = fut.merge(want, on=["series_id", "ds"])
    assert len(merged) == len(fut)
    assert (merged["promo"] == merged["Promo"]).all()
    # the planned closure is a closed event on store 1; its closed Sundays are not (weekly)
    closed = got.calendar[got.calendar["kind"] == "closed"]
    shut = plan.loc[(plan["Store"] == 1) & (plan["Open"] == 0), "Date"]
    shut = shut[pd.to_datetime(shut).dt.day_of_week != 6]
    assert closed[["channel", "start"]].astype(str).values.tolist() == [
        ["store_01", shut.iloc[0]]]
    assert closed["name"].iloc[0] == f"Closed {shut.iloc[0]}"
    assert got.summary["horizon"] == PLAN_DAYS
    assert got.summary["assumed_open"] == 2
    assert got.columns["not imported"] == ["Id", "DayOfWeek"]
    text = " ".join(got.notes)
    assert ("test.csv: column 'Open' is empty on 2 rows (first at row" in text)
    assert ("taken as the store's usual day, open (1) on 1 and closed (0) on 1 on its "
                "weekly closed day" in text)


def test_a_plan_of_some_stores_and_metrics_names_the_series_to_forecast() -> None:
    """A store without plan rows is named (predict needs --series); each metric's series of
    the history gets its rows."""
    history, plan, _ = _split()
    settings = ft.store_days_to_series(_as_read(history), value_cols=["Sales", "Customers"],
                                       source="train.csv").settings
    got = ft.store_plan_to_future(_as_read(plan[plan["Store"] != 10]), settings,
                                  source="test.csv")
    assert sorted(got.future["series_id"].unique()) == [
        "customers:store_01", "customers:store_02", "store_01", "store_02"]
    assert len(got.future) == 4 * PLAN_DAYS
    assert got.summary["unplanned"] == ["store_10"]
    assert ("test.csv: 1 of the 3 stores of the history has no plan rows (store_10): brain "
            "forecast predict needs a plan for every series it forecasts; forecast the planned "
            "ones with --series") in got.notes


def test_plan_errors_name_the_rows_and_the_fix() -> None:
    history, plan, _ = _split()
    settings = _settings(history)
    raw = _as_read(plan)
    # days the history has, a store it never had
    overlap = _as_read(history.iloc[:2]).drop(columns=["Sales", "Customers"]).assign(Id="0")
    new = raw.iloc[[0]].assign(Store="77")
    bad = pd.concat([raw, overlap, new], ignore_index=True)
    with pytest.raises(ft.DataContractError) as err:
        ft.store_plan_to_future(bad, settings, source="test.csv", history="the history in in/")
    msg = str(err.value)
    n = len(raw)
    assert (f"test.csv: column 'Store' has 1 store the history in in/ never had (store_77): "
            f"the model has no history to forecast them from (1 row; first at row {n + 3}: "
            "'77'). Fix: remove their rows") in msg
    last = pd.to_datetime(history["Date"]).max()
    assert (f"column 'Date' has days on or before the last day of their store's history "
            f"(store_01 {last:%Y-%m-%d}, store_02 {last:%Y-%m-%d}; the history in in/ ends on "
            f"{last:%Y-%m-%d}) (2 rows; first at row {n + 1}") in msg
    assert "drop the plan's rows up to it" in msg

    # a plan without a column of the history's import; a name in another case is read
    with pytest.raises(ft.DataContractError) as err:
        ft.store_plan_to_future(raw.drop(columns="SchoolHoliday").rename(
            columns={"Promo": "promo"}), settings, source="test.csv")
    msg = str(err.value)
    assert ("test.csv: column 'SchoolHoliday' is not in the file (named as the history's "
            "known-in-advance column). Fix: the model reads 'school_holiday' for every forecast "
            "day: add it to the plan (0 where the flag is off)") in msg
    assert "'Promo'" not in msg
    got = ft.store_plan_to_future(raw.rename(columns={"Promo": "promo", "Open": "open"}),
                                  settings, source="test.csv")
    assert "test.csv: column 'promo' is read as the history's 'Promo'" in " ".join(got.notes)
    assert got.summary["closed_days"] == 5  # 4 Sundays and the planned closure

    # a gap between the history and the plan
    later = raw[pd.to_datetime(raw["Date"]) > last + pd.Timedelta(days=2)]
    with pytest.raises(ft.DataContractError, match=r"column 'Date' misses 6 days between the "
                                                   r"day after the history's last day and the "
                                                   r"plan's last day of 3 stores \(store_01: "):
        ft.store_plan_to_future(later, settings, source="test.csv")


def _history_imported(tmp_path: Path, history: pd.DataFrame, plan: pd.DataFrame
                      ) -> tuple[CliRunner, Path, Path, Path]:
    """``history`` and ``plan`` written as train.csv and test.csv, the history imported with
    the CLI to brain_in: (runner, the plan's path, brain_in, brain_plan)."""
    hist_path, plan_path = tmp_path / "train.csv", tmp_path / "test.csv"
    history.to_csv(hist_path, index=False)
    plan.to_csv(plan_path, index=False)
    runner = CliRunner()
    hist_dir, plan_dir = tmp_path / "brain_in", tmp_path / "brain_plan"
    res = runner.invoke(app, ["data", "import-series", str(hist_path), "--out", str(hist_dir)])
    assert res.exit_code == 0, res.output
    return runner, plan_path, hist_dir, plan_dir


def test_cli_plan_writes_future_and_calendar_beside_the_history(tmp_path: Path) -> None:
    history, plan, _ = _split()
    runner, plan_path, hist_dir, plan_dir = _history_imported(tmp_path, history, plan)
    assert json.loads((hist_dir / "import.json").read_text())["columns"]["known"] == [
        "Promo", "SchoolHoliday"]
    res = runner.invoke(app, ["data", "import-series", str(plan_path), "--like", str(hist_dir),
                              "--out", str(plan_dir)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert (f"next: brain forecast predict --horizon {PLAN_DAYS} --calendar "
            f"{plan_dir / 'calendar.csv'} --future {plan_dir / 'future.csv'}") in text
    assert (plan_dir / "future.csv").read_text().startswith(
        "series_id,ds,promo,school_holiday\nstore_01,")
    some = tmp_path / "some.csv"
    plan[plan["Store"] != 10].to_csv(some, index=False)
    res = runner.invoke(app, ["data", "import-series", str(some), "--like", str(hist_dir),
                              "--out", str(tmp_path / "some_plan")])
    assert res.exit_code == 0, res.output
    assert "--series store_01,store_02" in " ".join(res.output.split())
    # the history's folder is not the plan's, and its options are the history's
    res = runner.invoke(app, ["data", "import-series", str(plan_path), "--like", str(hist_dir),
                              "--out", str(hist_dir)])
    assert res.exit_code == 2
    assert "is the history's folder: its calendar.csv would be replaced" in res.output
    res = runner.invoke(app, ["data", "import-series", str(plan_path), "--like", str(hist_dir),
                              "--out", str(plan_dir), "--known-col", "Promo"])
    assert res.exit_code == 2
    assert "--known-col cannot change them" in " ".join(res.output.split())
    res = runner.invoke(app, ["data", "import-series", str(plan_path), "--like",
                              str(tmp_path), "--out", str(plan_dir)])
    assert res.exit_code == 2
    assert "no import.json there" in " ".join(res.output.split())


@pytest.mark.slow
def test_history_train_plan_predict_forecasts_the_planned_closure_and_promotions(
        tmp_path: Path) -> None:
    """End to end through the CLI: import the history, train (small), import the plan,
    predict with the files the plan's import wrote."""
    history, plan, truth = _split()
    hist_path, plan_path = tmp_path / "train.csv", tmp_path / "test.csv"
    history.to_csv(hist_path, index=False)
    plan.to_csv(plan_path, index=False)
    hist_dir, plan_dir, out = tmp_path / "in", tmp_path / "plan", tmp_path / "fc"
    runner = CliRunner()
    for args in (["data", "import-series", str(hist_path), "--out", str(hist_dir)],
                 ["forecast", "train", "--series", str(hist_dir / "series.csv"), "--calendar",
                  str(hist_dir / "calendar.csv"), "--horizon", str(PLAN_DAYS), "--folds", "1"],
                 ["data", "import-series", str(plan_path), "--like", str(hist_dir), "--out",
                  str(plan_dir)],
                 ["forecast", "predict", "--horizon", str(PLAN_DAYS), "--calendar",
                  str(plan_dir / "calendar.csv"), "--future", str(plan_dir / "future.csv"),
                  "--out", str(out)]):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
    fc = pd.read_csv(out / "forecast.csv", parse_dates=["ds"])
    truth = truth.assign(series_id="store_" + truth["Store"].astype(str).str.zfill(2),
                         ds=pd.to_datetime(truth["Date"]))
    got = fc.merge(truth, on=["series_id", "ds"])
    assert len(got) == 3 * PLAN_DAYS
    closure = got[(got["Open"] == 0) & (got["ds"].dt.day_of_week != 6)]
    assert len(closure) == 1
    assert closure["p50"].iloc[0] < 5  # a store day of ~4,000
    # a promotion day above the same store's same weekday without one
    open_ = got[(got["Open"] == 1) & (got["StateHoliday"] == "0")]
    pairs = open_.pivot_table(index=["series_id", open_["ds"].dt.day_of_week], columns="Promo",
                              values="p50").dropna()
    assert len(pairs) >= 10
    assert (pairs[1] > pairs[0]).all()


def test_a_plan_without_known_columns_removes_an_earlier_future_file(tmp_path: Path) -> None:
    """A history without known-in-advance columns gives a plan no future.csv; one an earlier
    plan wrote in the same folder is removed (it had stayed, its values of other days beside
    the new calendar), as an earlier calendar.csv is."""
    history, plan, _ = _split()
    history = history.drop(columns=["Promo", "SchoolHoliday"])
    plan = plan.drop(columns=["Promo", "SchoolHoliday"])
    runner, plan_path, hist_dir, plan_dir = _history_imported(tmp_path, history, plan)
    plan_dir.mkdir()
    (plan_dir / "future.csv").write_text("series_id,ds,promo\nstore_01,2015-01-01,1\n")
    res = runner.invoke(app, ["data", "import-series", str(plan_path), "--like", str(hist_dir),
                              "--out", str(plan_dir)])
    assert res.exit_code == 0, res.output
    assert not (plan_dir / "future.csv").exists()
    assert "future.csv removed" in " ".join(res.output.split())
