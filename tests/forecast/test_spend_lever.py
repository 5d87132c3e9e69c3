"""A generated world whose paid visits follow a planned spend, read by ``--data ... --spend``."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import features as ft
from features._calendar import normalize_calendar
from features._spend_series import SOURCES_ATTR, join_spend, spend_plan
from features._traffic import traffic_series
from serving._cli_forecast_inputs import load_inputs
from serving._cli_forecast_model import _load_model
from serving._cli_forecast_plan import plan_future
from training._forecast_gbm import LightGBMForecaster

_FAST = {"n_estimators": 80, "max_rows": 9000, "horizons_per_origin": 8,
         "max_horizon_days": 28}
_PAID = ("paid_search", "social", "email", "affiliate", "display")


@pytest.fixture(scope="module")
def lever_world() -> ft.World:
    return ft.generate_world(2000, 400, seed=5, spend_lever=True)


@pytest.fixture(scope="module")
def lever_model(lever_world: ft.World) -> LightGBMForecaster:
    """LightGBM on the world's total and channel visits with the joined spend, keeping what
    the spend column was built from as ``brain forecast train`` does."""
    series = join_spend(traffic_series(lever_world.events), lever_world.spend)
    series = series[series["series_id"].isin(
        ["total", *(f"channel={c}" for c in ("organic", *_PAID))])].reset_index(drop=True)
    model = LightGBMForecaster(**_FAST).fit(series, lever_world.calendar)
    model.column_sources_ = series.attrs[SOURCES_ATTR]  # type: ignore[attr-defined]
    return model


def test_the_spend_response_recovers_the_truth_and_answers_a_plan(
        lever_world: ft.World, lever_model: LightGBMForecaster) -> None:
    """The forecaster's own response (``training._forecast_response``) on the world's series
    with the joined spend: each paid channel's elasticity within 0.15 of the generator's b;
    a +20% plan on paid search moves its 28-day P50 by about 1.2^0.75 = +14.7%."""
    model = lever_model
    truth = lever_world.meta["spend_response"]
    for channel in _PAID:
        beta = model.response_[f"channel={channel}"]["spend"].beta
        assert abs(beta - truth[channel]["b"]) < 0.15, (channel, beta, truth[channel]["b"])
    assert "spend" not in model.response_["channel=organic"]
    inner = SimpleNamespace(panel_=model.panel_)
    last = lever_world.spend["date"].max()
    days = pd.date_range(last + pd.Timedelta(days=1), periods=28)
    usual = lever_world.spend[lever_world.spend["date"] > last - pd.Timedelta(days=28)
                              ].groupby("channel")["spend"].mean()
    plans = [pd.DataFrame([(d, c, v * (1.2 if (up and c == "paid_search") else 1.0))
                           for d in days for c, v in usual.items()],
                          columns=["date", "channel", "spend"]) for up in (False, True)]
    sums = []
    for plan in plans:
        future = plan_future(inner, 28, plan, "plan.csv", "v1")
        fc = model.predict(28, normalize_calendar(None), future)
        sums.append(fc.groupby("series_id")["p50"].sum())
    change = sums[1] / sums[0] - 1
    assert 0.10 < change["channel=paid_search"] < 0.19, change
    assert abs(change["channel=social"]) < 0.01, change
    assert 0 < change["total"] < change["channel=paid_search"], change
    # the total's channels all have their own series: it moves by their change
    moved = sums[1] - sums[0]
    assert moved["total"] == pytest.approx(moved["channel=paid_search"], rel=1e-6), moved


def test_data_with_spend_gives_each_series_its_spend_column(lever_world: ft.World,
                                                            tmp_path: Path) -> None:
    out = ft.write_world(lever_world, tmp_path / "w")
    frame, _ = load_inputs(out, None, None, None, "D", None, spend=out / "spend.csv")
    sp = lever_world.spend.pivot(index="date", columns="channel", values="spend")
    by = {sid: g.set_index("ds")["spend"] for sid, g in frame.groupby("series_id")}
    ps = by["channel=paid_search"]
    assert np.allclose(ps.to_numpy(), sp["paid_search"].reindex(ps.index).to_numpy())
    assert np.allclose(by["total"].to_numpy(), sp.sum(axis=1).reindex(by["total"].index))
    assert (by["channel=organic"] == 0).all()
    assert np.allclose(by["orders:total"].to_numpy(),
                       sp.sum(axis=1).reindex(by["orders:total"].index))


def test_spend_files_with_missing_days_or_channels_are_errors_naming_them(
        lever_world: ft.World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = ft.write_world(lever_world, tmp_path / "w")
    plain, _ = load_inputs(out, None, None, None, "D", None)
    assert "spend" not in plain.columns  # only when asked
    assert "add --spend" in capsys.readouterr().err  # the world says its spend drives visits
    sp = lever_world.spend
    gap = sp[~((sp["channel"] == "social") & sp["date"].between("2024-03-01", "2024-03-02"))]
    with pytest.raises(ValueError, match=r"spend.csv: .*channel 'social': 2 day\(s\) "
                                         r"\(2024-03-01, 2024-03-02\).*spend 0"):
        join_spend(plain, gap)
    (out / "spend.csv").unlink()
    with pytest.raises(ValueError, match=r"--spend .*spend\.csv does not exist"):
        load_inputs(out, None, None, None, "D", None, spend=out / "spend.csv")
    days = dict.fromkeys(["total", "channel=organic"], pd.date_range("2025-01-01", periods=3))
    plan = pd.DataFrame({"date": days["total"], "channel": "social", "spend": 10.0})
    with pytest.raises(ValueError, match=r"plan.csv: the model read the spend of channel\(s\) "
                                         r"\['paid_search'\]"):
        spend_plan(["total"], days, plan, "plan.csv", {"paid_search": True, "social": True})
    rows = spend_plan(["total", "channel=organic"], days, plan, "plan.csv", {"social": True})
    assert rows["spend"].tolist() == [10.0] * 3 + [0.0] * 3


def test_a_spend_plan_for_a_model_without_the_spend_column_is_refused() -> None:
    promo = SimpleNamespace(panel_=SimpleNamespace(regressor_names=["promo"], freq="D"))
    plan = pd.DataFrame({"date": pd.date_range("2025-01-01", periods=3), "channel": "social",
                         "spend": 10.0})
    with pytest.raises(ValueError, match=r"plan.csv: a spend plan is for a model trained with "
                                         r"--spend .*v3 reads \['promo'\].*--future FILE"):
        plan_future(promo, 3, plan, "plan.csv", "v3")


def test_the_note_on_channels_without_a_series_of_their_own_follows_only(
        lever_world: ft.World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With --only a channel's orders series, the note had said that channel had no series of
    its own and that every channel's spend counted in the totals, which --only had left out:
    paid search's spend is read by its orders series, the others' by no series."""
    out = ft.write_world(lever_world, tmp_path / "w")
    capsys.readouterr()
    frame, _ = load_inputs(out, None, None, None, "D", "orders:channel=paid_search",
                           spend=out / "spend.csv")
    assert set(frame["series_id"]) == {"orders:channel=paid_search"}
    err = " ".join(capsys.readouterr().err.split())
    said = err.split("spend.csv: channel(s) ")[1].split("note:")[0]
    assert "paid_search" not in said, said
    assert "'social'" in said, said
    assert "no series kept reads their spend" in said, said
    assert "totals" not in said, said
    load_inputs(out, None, None, None, "D", "channel=social,total", spend=out / "spend.csv")
    err = " ".join(capsys.readouterr().err.split())
    said = err.split("spend.csv: channel(s) ")[1].split("note:")[0]
    assert "'social'" not in said, said
    assert "'paid_search'" in said, said
    assert "counts in the totals' 'spend' only" in said, said


def test_a_plan_channel_the_model_never_read_is_refused_where_it_would_move_the_total(
        lever_world: ft.World) -> None:
    """A plan with a channel the history had no spend for ('tiktok', 5 a day) was accepted
    without a word: its spend went into the totals' summed 'spend', and on a lever world
    (3,000 x 400, seed 7) moved the total's 28-day P50 by +2.3% and orders:total by +4.3%
    while no channel's series moved. When the model's channel series hold all of the totals'
    spend, such a channel is an error naming it; a model whose totals read channels without
    a series of their own (--only total) cannot tell, and takes it."""
    series = join_spend(traffic_series(lever_world.events), lever_world.spend)
    kept = ["total", "channel=organic", *(f"channel={c}" for c in _PAID)]
    grids = {}
    for sid, g in series[series["series_id"].isin(kept)].groupby("series_id"):
        ds = pd.DatetimeIndex(g["ds"])
        grids[sid] = SimpleNamespace(ds=ds, regressors={"spend": g["spend"].to_numpy()})
    last = lever_world.spend["date"].max()
    days = pd.date_range(last + pd.Timedelta(days=1), periods=3)
    panel = SimpleNamespace(regressor_names=["spend"], freq="D", series=grids,
                            future_index=lambda sid, h: days[:h])
    plan = pd.DataFrame([(d, c, 10.0) for d in days for c in (*_PAID, "tiktok")],
                        columns=["date", "channel", "spend"])
    with pytest.raises(ValueError, match=r"plan.csv: the plan gives channel\(s\) \['tiktok'\], "
                                         r"whose spend v2 never read \(it read \['affiliate', "):
        plan_future(SimpleNamespace(panel_=panel), 3, plan, "plan.csv", "v2")
    # without a total among the series forecast, the channel moves nothing: taken
    rows = plan_future(SimpleNamespace(panel_=panel), 3, plan, "plan.csv", "v2",
                       ["channel=paid_search"])
    assert rows["spend"].tolist() == [10.0] * 3
    # totals whose spend the channel series do not hold (--only total): cannot tell
    only = SimpleNamespace(regressor_names=["spend"], freq="D", series={"total": grids["total"]},
                           future_index=lambda sid, h: days[:h])
    rows = plan_future(SimpleNamespace(panel_=only), 3, plan, "plan.csv", "v2")
    assert rows["spend"].tolist() == [60.0] * 3


def _plan(world: ft.World, days: int, drop: str | None = None, add: str | None = None
          ) -> pd.DataFrame:
    """The last spend day's spend of every channel, for ``days`` days after it."""
    last = world.spend["date"].max()
    usual = world.spend[world.spend["date"] == last].set_index("channel")["spend"]
    chans = [c for c in usual.index if c != drop]
    rows = [(d, c, float(usual.get(c, 5.0))) for d in
            pd.date_range(last + pd.Timedelta(days=1), periods=days) for c in [*chans, add]
            if c is not None]
    return pd.DataFrame(rows, columns=["date", "channel", "spend"])


def test_a_totals_only_model_checks_a_plan_against_the_channels_its_history_summed(
        lever_world: ft.World, tmp_path: Path) -> None:
    """A model trained with --only total --spend had no record of the channels its total's
    spend summed: a plan leaving out social was taken (the total's planned spend fell by
    social's, read as a cut) and so was one adding 'tiktok'. train records them in the model;
    predict --spend-plan names the plan file, the channels and the fix."""
    from typer.testing import CliRunner

    from serving._cli_forecast import forecast_app

    out = ft.write_world(lever_world, tmp_path / "w")
    runner = CliRunner()
    res = runner.invoke(forecast_app, ["train", "--data", str(out), "--spend",
                                       str(out / "spend.csv"), "--only", "total", "--model",
                                       "seasonal_naive", "--horizon", "7", "--folds", "1"])
    assert res.exit_code == 0, res.output
    inner = _load_model("models:/traffic_forecaster@champion").unwrap_python_model().forecaster
    assert inner.column_sources_["spend"]["series"] == {"total": sorted(_PAID)}
    for name, plan in (("left.csv", _plan(lever_world, 7, drop="social")),
                       ("added.csv", _plan(lever_world, 7, add="tiktok")),
                       ("whole.csv", _plan(lever_world, 7))):
        plan.to_csv(tmp_path / name, index=False)
        res = runner.invoke(forecast_app, ["predict", "--horizon", "7", "--spend-plan",
                                           str(tmp_path / name), "--out", str(tmp_path / "f")])
        said = " ".join(res.output.split())
        if name == "whole.csv":
            assert res.exit_code == 0, said
        elif name == "left.csv":
            assert res.exit_code != 0
            assert (f"left.csv: traffic_forecaster v1 (@champion) was trained on the spend "
                    f"of channel(s) {sorted(_PAID)} (the 'spend' of ['total'] summed them); "
                    "the plan leaves out "
                    "['social']: add their planned spend") in said, said
        else:
            assert res.exit_code != 0
            assert ("added.csv: the plan gives channel(s) ['tiktok'], whose spend "
                    "traffic_forecaster v1 (@champion) never read") in said, said
            assert "retrain with them in --spend" in said, said


def test_an_hourly_spend_file_is_told_spend_is_per_day_and_to_sum_each_day(
        lever_world: ft.World, tmp_path: Path) -> None:
    """An hourly export (each day's spend spread evenly over its 24 hours) had been told its
    rows were copies to drop, which would keep one hour of each day's spend. It is told that
    spend is per day and to sum each day's rows (not summed here: a file repeating the day's
    budget on every hour would count it 24 times)."""
    from features._contracts import DataContractError
    from features._io import load_spend

    day = lever_world.spend[lever_world.spend["date"] < "2024-01-04"]
    hours = day.loc[day.index.repeat(24)].assign(
        date=lambda f: (pd.to_datetime(f["date"]) + pd.to_timedelta(
            np.tile(np.arange(24), len(day)), unit="h")).dt.strftime("%Y-%m-%d %H:%M"),
        spend=lambda f: f["spend"] / 24)
    hours.to_csv(tmp_path / "spend.csv", index=False)
    with pytest.raises(DataContractError) as err:
        load_spend(tmp_path / "spend.csv")
    said = str(err.value)
    assert ("spend.csv: column 'date' holds several times of day for one day and channel "
            "(hourly rows?); spend is per day") in said, said
    assert "sum each day's rows of a channel into one row" in said, said
    assert "copies" not in said, said
    summed = hours.groupby([pd.to_datetime(hours["date"]).dt.date, "channel"],
                           as_index=False)["spend"].sum()
    summed.to_csv(tmp_path / "spend.csv", index=False)  # the fix the message gives
    back = load_spend(tmp_path / "spend.csv")
    assert np.allclose(back["spend"].to_numpy(), day.sort_values(["date", "channel"])[
        "spend"].to_numpy())


def test_models_says_which_series_respond_to_spend_and_from_which_channels(
        lever_model: LightGBMForecaster, lever_world: ft.World) -> None:
    """GET /models had listed 'spend' under known_in_advance only: an allocator could not tell
    which plans move what. responds_to names the series with a fitted response (the paid
    channels and the total) and their elasticities, organic (spend 0 throughout, no fitted
    response) as not responding, and the channels each series' spend was built from."""
    from serving._registry import LoadedModel
    from serving._schemas import ModelInfo

    loaded = LoadedModel("traffic_forecaster", "1", SimpleNamespace(forecaster=lever_model),
                         {}, {}, None)
    info = ModelInfo.model_validate(loaded.describe())
    assert info.responds_to is not None
    spend = info.responds_to["spend"]
    paid = [f"channel={c}" for c in _PAID]
    assert spend.series is not None
    assert spend.elasticity is not None
    assert set(spend.series) == {"total", *paid}
    assert spend.no_response == ["channel=organic"]
    truth = lever_world.meta["spend_response"]
    for channel in _PAID:
        assert abs(spend.elasticity[f"channel={channel}"] - truth[channel]["b"]) < 0.15
    assert 0 < spend.elasticity["total"] < spend.elasticity["channel=paid_search"]
    assert spend.built_from == {"total": sorted(_PAID),
                                **{f"channel={c}": [c] for c in _PAID}}
    assert spend.channels == sorted(_PAID)
    # a model trained before the record: the responses, and null where nothing was recorded
    saved = lever_model.column_sources_  # type: ignore[attr-defined]
    del lever_model.column_sources_  # type: ignore[attr-defined]
    try:
        old = ModelInfo.model_validate(loaded.describe()).responds_to
    finally:
        lever_model.column_sources_ = saved  # type: ignore[attr-defined]
    assert old is not None
    assert old["spend"].built_from is None
    assert old["spend"].channels is None
    assert old["spend"].no_response == ["channel=organic"]
