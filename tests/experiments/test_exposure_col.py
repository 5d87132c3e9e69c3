"""``exposure_col`` / ``--exposure-col``: each unit's exposure timestamp. Without it a unit's
first dated row was its exposure, so pre-period rows left in an export counted as outcomes of
its arm and moved its exposure day earlier (s16d, "Not fixed"; s16h: +17.3% read for a true
+10% when 30% of the users had a week of pre-period orders in the export).

References are computed here by hand with pandas and scipy from the rows, not with the engine.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import experiments as ex
from experiments import ExperimentInputError


def _rows(n: int = 600, seed: int = 3, timed: bool = False) -> pd.DataFrame:
    """Daily order rows of ``n`` users from their exposure day to day 20, a third of them with
    rows in the week before (the exposure timestamp on every row, or only on the first)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-11-01")
    out = []
    for i in range(n):
        arm = "treatment" if i % 2 else "control"
        day, hour = 7 + int(rng.integers(0, 6)), int(rng.integers(1, 23))
        expo = start + pd.Timedelta(days=day, hours=hour)
        first_day = day - 7 if i % 3 == 0 else day
        for d in range(first_day, 21):
            t = start + pd.Timedelta(days=d, hours=int(rng.integers(0, 24)) if timed else 0)
            rate = 0.4 * (1.2 if arm == "treatment" and d >= day else 1.0)
            out.append({"user_id": f"u{i}", "variant": arm,
                        "date": str(t) if timed else str(t.date()),
                        "orders": int(rng.poisson(rate)), "exposed_at": str(expo)})
    return pd.DataFrame(out)


def _hand(rows: pd.DataFrame, timed: bool) -> pd.Series:
    t = pd.to_datetime(rows["date"])
    e = pd.to_datetime(rows["exposed_at"])
    after = (t >= e) if timed else (t.dt.normalize() >= e.dt.normalize())
    per_user = rows["orders"].where(after, 0).groupby(rows["user_id"]).sum()
    arm = rows.groupby("user_id")["variant"].first()
    return per_user.groupby(arm).agg(list)


@pytest.mark.parametrize("timed", [False, True])
def test_rows_before_exposure_are_left_out_of_the_sums_like_a_hand_calculation(
        timed: bool) -> None:
    rows = _rows(timed=timed)
    res = ex.analyze(rows, "variant", "control", "orders", unit_col="user_id",
                     time_col="date", exposure_col="exposed_at")
    by_arm = _hand(rows, timed)
    x, y = np.array(by_arm["control"]), np.array(by_arm["treatment"])
    c = res.comparison("orders", "treatment")
    assert (c.n_control, c.n_variant) == (len(x), len(y)) == (300, 300)
    assert c.control_mean == pytest.approx(x.mean(), rel=1e-12)
    assert c.variant_mean == pytest.approx(y.mean(), rel=1e-12)
    assert c.p_value == pytest.approx(stats.ttest_ind(y, x, equal_var=False).pvalue, rel=1e-9)
    t, e = pd.to_datetime(rows["date"]), pd.to_datetime(rows["exposed_at"])
    before = (t < e) if timed else (t.dt.normalize() < e.dt.normalize())
    note = next(w for w in res.warnings if w.startswith("exposure column 'exposed_at'"))
    units = rows.loc[before, "user_id"].nunique()
    assert f"{int(before.sum()):,} rows of {units:,} units of 'user_id'" in note
    assert f"'orders' {rows.loc[before, 'orders'].sum():,}" in note
    assert ("by timestamp" if timed else "by calendar day") in note
    # without the column, the pre-period rows are summed as outcomes
    plain = ex.analyze(rows, "variant", "control", "orders", unit_col="user_id",
                       time_col="date").comparison("orders", "treatment")
    assert plain.control_mean > c.control_mean


def test_days_since_exposure_count_from_the_exposure_column() -> None:
    rows = _rows()
    res = ex.analyze(rows, "variant", "control", "orders", unit_col="user_id",
                     time_col="date", exposure_col="exposed_at")
    assert res.time is not None
    day0 = next(p for p in res.time.points if p.view == "exposure_day" and p.exposure_day == 0)
    # hand: each user's orders on the calendar day of its exposure
    d = pd.to_datetime(rows["date"]).dt.normalize()
    e = pd.to_datetime(rows["exposed_at"]).dt.normalize()
    on = rows["orders"].where(d == e, 0).groupby(rows["user_id"]).sum()
    arm = rows.groupby("user_id")["variant"].first()
    assert day0.control_mean == pytest.approx(on[arm == "control"].mean(), rel=1e-12)
    assert day0.variant_mean == pytest.approx(on[arm == "treatment"].mean(), rel=1e-12)
    # the last cumulative point is the headline, and the time view starts at the first exposure
    cum = [p for p in res.time.points if p.view == "cumulative"]
    c = res.comparison("orders", "treatment")
    assert cum[-1].absolute_effect == pytest.approx(c.absolute_effect, rel=1e-12)
    assert cum[0].date == str(e.min().date())


def test_the_exposure_may_be_on_some_rows_only_and_the_earliest_counts() -> None:
    rows = _rows()
    full = ex.analyze(rows, "variant", "control", "orders", unit_col="user_id",
                      time_col="date", exposure_col="exposed_at")
    some = rows.copy()
    some.loc[some.duplicated("user_id"), "exposed_at"] = None
    part = ex.analyze(some, "variant", "control", "orders", unit_col="user_id",
                      time_col="date", exposure_col="exposed_at")
    assert part.comparisons == full.comparisons
    later = rows.copy()
    later.loc[later.index[-1], "exposed_at"] = "2026-11-30 00:00:00"
    res = ex.analyze(later, "variant", "control", "orders", unit_col="user_id",
                     time_col="date", exposure_col="exposed_at")
    assert res.comparisons == full.comparisons
    assert any(w.startswith("exposure column 'exposed_at': 1 unit of 'user_id' has several "
                            "exposure timestamps (e.g. 'u599')") for w in res.warnings)
    # of these users only u3 has rows before its exposure (every third user has)
    one = rows[rows["user_id"].isin(["u1", "u2", "u3", "u4", "u5", "u7", "u8"])]
    res = ex.analyze(one, "variant", "control", "orders", unit_col="user_id",
                     time_col="date", exposure_col="exposed_at")
    assert any(" rows of 1 unit of 'user_id' are dated ('date') before" in w
               for w in res.warnings)


def test_zoned_timestamps_are_compared_as_instants() -> None:
    """An event log in UTC and an exposure written with the local offset: an order at 07:30Z
    follows an exposure at 09:00+02:00 (07:00Z); with each zone dropped it had read 07:30 <
    09:00, before the exposure, and was left out."""
    rows = _rows(n=200, timed=True)
    utc = rows.copy()
    utc["date"] = [f"{pd.Timestamp(t):%Y-%m-%dT%H:%M:%S}Z" for t in rows["date"]]
    utc["exposed_at"] = [f"{pd.Timestamp(e) + pd.Timedelta(hours=2):%Y-%m-%dT%H:%M:%S}+02:00"
                         for e in rows["exposed_at"]]
    same = ex.analyze(rows, "variant", "control", "orders", unit_col="user_id",
                      time_col="date", exposure_col="exposed_at")
    zoned = ex.analyze(utc, "variant", "control", "orders", unit_col="user_id",
                       time_col="date", exposure_col="exposed_at")
    assert zoned.comparisons == same.comparisons
    note = [w for w in zoned.warnings if "before their unit's exposure" in w]
    assert note == [w for w in same.warnings if "before their unit's exposure" in w]


def test_exposure_errors_name_the_input_and_drop_nothing() -> None:
    rows = _rows(n=60)
    with pytest.raises(ExperimentInputError, match="needs the unit id column") as err:
        ex.analyze(rows, "variant", "control", "orders", time_col="date",
                   exposure_col="exposed_at")
    assert err.value.params[0] == "exposure_col"
    gone = rows.copy()
    gone.loc[gone["user_id"] == "u4", "exposed_at"] = None
    with pytest.raises(ExperimentInputError,
                       match=r"1 unit of 'user_id' has no value in the exposure column"):
        ex.analyze(gone, "variant", "control", "orders", unit_col="user_id",
                   time_col="date", exposure_col="exposed_at")
    bad = rows.copy()
    bad.loc[3, "exposed_at"] = "soon"
    with pytest.raises(ExperimentInputError, match=r"exposure column 'exposed_at' has 1 values "
                                                   r"that are not dates \(first rows \[4\]"):
        ex.analyze(bad, "variant", "control", "orders", unit_col="user_id",
                   time_col="date", exposure_col="exposed_at")
    with pytest.raises(ExperimentInputError, match="exposure column 'seen' is missing"):
        ex.analyze(rows, "variant", "control", "orders", unit_col="user_id",
                   time_col="date", exposure_col="seen")


def test_the_cli_and_the_api_take_the_exposure_column(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from serving._schemas_ab import AnalyzeRequest
    from serving.cli import app

    rows = _rows(n=200)
    path = tmp_path / "rows.csv"
    rows.to_csv(path, index=False)
    out = CliRunner().invoke(app, ["ab", "analyze", "--data", str(path), "--metrics", "orders",
                                   "--unit-col", "user_id", "--time-col", "date",
                                   "--exposure-col", "exposed_at", "--json",
                                   str(tmp_path / "r.json")], env={"COLUMNS": "250"})
    assert out.exit_code == 0, out.output
    assert "dated ('date') before their unit's exposure" in out.output
    ref = ex.analyze(pd.read_csv(path), "variant", "control", "orders", unit_col="user_id",
                     time_col="date", exposure_col="exposed_at")
    assert json.loads((tmp_path / "r.json").read_text()) == json.loads(ref.to_json())
    out = CliRunner().invoke(app, ["ab", "analyze", "--data", str(path), "--metrics", "orders",
                                   "--exposure-col", "exposed_at"], env={"COLUMNS": "250"})
    assert out.exit_code != 0
    assert "--exposure-col 'exposed_at' gives each unit's exposure" in out.output
    assert "pass --unit-col and --time-col too" in out.output
    assert "exposure_col" in AnalyzeRequest.model_fields


def test_a_kept_row_on_an_earlier_local_day_counts_on_the_exposure_day() -> None:
    """Rows at 23:30Z follow an exposure at 01:00+02:00 the next day (23:00Z): kept in the
    headline, they had been on no exposure day (their UTC calendar day is the day before the
    exposure's local one), so day 0 of exposure showed nothing of them."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(300):
        arm = "control" if i % 2 else "treatment"
        rows.append({"user": f"u{i}", "variant": arm, "ts": "2026-11-05T23:30:00Z",
                     "exposed": "2026-11-06T01:00:00+02:00", "orders": 1.0})
        rows += [{"user": f"u{i}", "variant": arm, "ts": f"2026-11-{d:02d}T12:00:00Z",
                  "exposed": "2026-11-06T01:00:00+02:00", "orders": float(rng.poisson(1))}
                 for d in range(7, 15)]
    df = pd.DataFrame(rows)
    res = ex.analyze(df, "variant", "control", "orders", unit_col="user", time_col="ts",
                     exposure_col="exposed")
    assert not [w for w in res.warnings if "before their unit's exposure" in w]
    assert res.time is not None
    day0 = next(p for p in res.time.points if p.view == "exposure_day" and p.exposure_day == 0)
    assert (day0.control_mean, day0.variant_mean) == (1.0, 1.0)
    # every kept order is on some exposure day
    by_day = [p for p in res.time.points if p.view == "exposure_day"]
    assert sum(p.control_mean for p in by_day) == pytest.approx(
        df.loc[df["variant"] == "control"].groupby("user")["orders"].sum().mean())
