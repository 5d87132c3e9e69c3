"""``backtest`` of a series whose ``ds`` has a time zone: the folds of the same series on its
local wall clock (as ``--tz`` reads a file and the forecasters model it), answered in its zone.
Until 2026-12-06 it stopped with "Invalid comparison between dtype=datetime64[ns] and
Timestamp" (zoned origins), or earlier (naive ones). And the CLI's ``--tz``: a calendar's times
with offsets are read in it, as the series file's are."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from serving._cli_forecast import forecast_app
from training._forecast_backtest import backtest
from training._forecast_backtest_folds import backtest_origins
from training._forecast_models import make_forecaster

from .conftest import make_series
from .test_zoned_ds import ZONE, _shop


def _same_scores(got: pd.DataFrame, want: pd.DataFrame) -> None:
    cols = [c for c in want.columns if c != "origin"]
    pd.testing.assert_frame_equal(got[cols].reset_index(drop=True),
                                  want[cols].reset_index(drop=True))
    assert list(got["origin"].dt.tz_localize(None)) == list(want["origin"])


@pytest.mark.parametrize("zoned_origins", [True, False])
def test_hourly_zoned_backtest_scores_the_local_series_and_answers_in_its_zone(
        zoned_origins: bool) -> None:
    """Origins around the spring change, given in the zone or as naive local times: the
    folds' scores are those of the same shop as naive local times, the forecasts' times in
    the zone with no row for the skipped hour (71 rows for a 72-hour fold over it)."""
    zoned = _shop("2024-02-01", "2024-04-10")
    naive = _shop("2024-02-01", "2024-04-10", zone=None)
    origins = ["2024-03-25", "2024-03-30"]
    asked = [pd.Timestamp(o, tz=ZONE) for o in origins] if zoned_origins else origins
    got = backtest(make_forecaster("seasonal_naive"), zoned, horizon=72, origins=asked)
    want = backtest(make_forecaster("seasonal_naive"), naive, horizon=72, origins=origins)
    assert got.origins == tuple(pd.Timestamp(o, tz=ZONE) for o in origins)
    assert got.mean == want.mean
    assert got.evaluation == want.evaluation
    _same_scores(got.folds, want.folds)
    fc = got.forecasts
    assert str(fc["ds"].dt.tz) == ZONE
    assert str(fc["origin"].dt.tz) == ZONE
    last = fc[fc["origin"] == pd.Timestamp("2024-03-30", tz=ZONE)]
    assert len(last) == 71
    assert last["ds"].is_unique
    assert last["ds"].is_monotonic_increasing
    skipped = want.forecasts["ds"] == pd.Timestamp("2024-03-31 02:00")
    assert int(skipped.sum()) == 1
    kept = want.forecasts[~skipped.to_numpy()].reset_index(drop=True)
    np.testing.assert_array_equal(fc["ds"].dt.tz_localize(None).to_numpy(dtype="datetime64[ns]"),
                                  kept["ds"].to_numpy(dtype="datetime64[ns]"))
    pd.testing.assert_frame_equal(fc[["p10", "p50", "p90", "y"]], kept[["p10", "p50", "p90", "y"]])


def test_the_repeated_autumn_hour_has_two_forecast_rows_in_a_zoned_fold() -> None:
    """A 48-hour fold from the Saturday before the autumn change: 49 rows, 02:00 at +02:00
    then at +01:00 with the same quantiles and the actual scored (the two hours' mean)."""
    shop = _shop("2024-09-01", "2024-11-05")
    res = backtest(make_forecaster("seasonal_naive"), shop, horizon=48,
                   origins=["2024-10-26T00:00:00+02:00"])
    fc = res.forecasts
    assert len(fc) == 49
    twice = fc[fc["ds"].dt.tz_localize(None) == pd.Timestamp("2024-10-27 02:00")]
    assert [t.utcoffset() for t in twice["ds"]] == [pd.Timedelta(hours=2), pd.Timedelta(hours=1)]
    assert twice["p50"].nunique() == 1
    both = shop[shop["ds"].dt.tz_localize(None) == pd.Timestamp("2024-10-27 02:00")]["y"]
    assert twice["y"].tolist() == [both.mean()] * 2


def test_daily_zoned_backtest_reads_calendar_times_in_the_series_zone() -> None:
    """Daily rows at Berlin's midnights, a sale written as the UTC time of its local midnight
    ('2024-09-14T22:00:00Z' is 15 September in Berlin): the folds of the naive local days with
    the naive calendar, times back at the local midnights."""
    naive, cal = make_series()
    zoned = naive.assign(ds=naive["ds"].dt.tz_localize(ZONE))
    utc_cal = cal.assign(start=(cal["start"].dt.tz_localize(ZONE).dt.tz_convert("UTC")
                                .map(lambda t: t.isoformat())))
    utc_cal = utc_cal.assign(end=utc_cal["start"])
    model = make_forecaster("seasonal_naive_events")
    origins = ["2024-09-01", "2024-10-01"]
    got = backtest(model, zoned, utc_cal, horizon=30, origins=origins)
    want = backtest(model, naive, cal, horizon=30, origins=origins)
    assert got.mean == want.mean
    _same_scores(got.folds, want.folds)
    fc = got.forecasts
    assert (fc["ds"].dt.tz_localize(None) == fc["ds"].dt.tz_localize(None).dt.normalize()).all()
    assert str(fc["ds"].dt.tz) == ZONE
    pd.testing.assert_frame_equal(fc[["p10", "p50", "p90", "y"]],
                                  want.forecasts[["p10", "p50", "p90", "y"]])
    sale = fc[fc["ds"] == pd.Timestamp("2024-09-15", tz=ZONE)]
    assert float(sale["p50"].iloc[0]) > 2 * float(fc["p50"].median())


def test_default_origins_of_a_zoned_series_are_in_its_zone() -> None:
    """``backtest_origins`` (checked before a training run) reads a zoned series on its clock
    and gives its origins in the zone: a fold of 250 hours ending at the last row, across the
    spring change, starts 249 local hours before it (it had been read in absolute hours,
    an hour earlier on the clock)."""
    shop = _shop("2024-02-01", "2024-04-10")
    got = backtest_origins(shop, 250, None, 1)
    want = backtest_origins(_shop("2024-02-01", "2024-04-10", zone=None), 250, None, 1)
    assert want == [pd.Timestamp("2024-03-30 16:00")]
    assert got == [pd.Timestamp("2024-03-30 16:00", tz=ZONE)]


def test_a_zoned_origin_for_a_series_without_a_zone_is_an_error_naming_the_fix() -> None:
    naive = _shop("2024-02-01", "2024-04-10", zone=None)
    with pytest.raises(ValueError, match=r"origin 2024-03-25 00:00:00\+01:00 has a time zone.*"
                                         r"without one, on the series' clock"):
        backtest(make_forecaster("seasonal_naive"), naive, horizon=24,
                 origins=[pd.Timestamp("2024-03-25", tz=ZONE)])


def _fold_scores(output: str) -> list[str]:
    """The model's folds' printed MASE, coverage and peak error (not the yardsticks' fold
    lines, '> seasonal naive: fold ...'), and the evaluation key."""
    model = "\n".join(line for line in output.splitlines()
                      if not re.match(r"> [^:]+: fold \d", line))
    return re.findall(r"(?:\bmase|coverage80_pct|peak_err_pct)=[\d.]+|backtest:\w+", model)


def test_cli_reads_calendar_offsets_in_the_series_zone(tmp_path: Path) -> None:
    """``brain forecast backtest --tz Europe/Berlin`` with the series and the calendar written
    as Berlin midnights with offsets: the sale is on 15 September, the day of its spike, as
    with plain dates (the calendar had been read in UTC, 14 September, while the series was
    on the Berlin clock: the sale forecast a day early)."""
    series, cal = make_series()
    zoned = series["ds"].dt.tz_localize(ZONE)
    s_path = tmp_path / "series.csv"
    series.assign(ds=zoned.map(lambda t: t.isoformat())).to_csv(s_path, index=False)
    offsets = cal.assign(start=cal["start"].dt.tz_localize(ZONE).map(lambda t: t.isoformat()))
    offsets = offsets.assign(end=offsets["start"])
    plain = cal.assign(start=cal["start"].dt.strftime("%Y-%m-%d"),
                       end=cal["end"].dt.strftime("%Y-%m-%d"))
    scores = {}
    for name, frame in (("offsets", offsets), ("plain", plain)):
        c_path = tmp_path / f"{name}.csv"
        frame.to_csv(c_path, index=False)
        res = CliRunner().invoke(forecast_app, [
            "backtest", "--series", str(s_path), "--calendar", str(c_path), "--tz", ZONE,
            "--model", "seasonal_naive_events", "--horizon", "30",
            "--origins", "2024-09-01,2024-10-01"])
        assert res.exit_code == 0, res.output
        scores[name] = _fold_scores(res.output)
    assert len(scores["plain"]) == 7  # 3 scores of 2 folds and the key
    assert scores["offsets"] == scores["plain"]
    # predict reads a planned sale's offsets in the zone the model was trained with (--tz)
    res = CliRunner().invoke(forecast_app, [
        "train", "--series", str(s_path), "--calendar", str(tmp_path / "plain.csv"), "--tz",
        ZONE, "--model", "seasonal_naive_events", "--horizon", "30", "--folds", "1"])
    assert res.exit_code == 0, res.output
    got = {}
    for name, start in (("offsets", "2025-01-10T00:00:00+01:00"), ("plain", "2025-01-10")):
        c_path = tmp_path / f"plan_{name}.csv"
        pd.DataFrame({"name": ["Big sale"], "start": [start], "end": [start], "kind": ["sale"],
                      "intensity": [0.5]}).to_csv(c_path, index=False)
        res = CliRunner().invoke(forecast_app, ["predict", "--horizon", "30", "--calendar",
                                                str(c_path), "--out", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        got[name] = pd.read_csv(tmp_path / name / "forecast.csv")
    pd.testing.assert_frame_equal(got["offsets"], got["plain"])
    fc = got["plain"].set_index("ds")["p50"]
    assert fc["2025-01-10"] > 2 * fc.median()
