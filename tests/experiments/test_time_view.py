"""Effects over time (``time_col`` / ``--time-col``): cumulative, daily and days-since-exposure
effects, and the novelty / learning check (independent check s14b, 2026-12-05: "the product has
no time view: an analyst cannot see whether an effect fades or grows").

References are computed here with pandas and scipy from the rows, not with the engine.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import experiments as ex
from experiments import ExperimentInputError, Metric


def _lift(kind: str, k: np.ndarray) -> np.ndarray:
    if kind == "aa":
        return np.ones(k.shape)
    if kind == "const":
        return np.full(k.shape, 1.05)
    early, late = (0.08, 0.01) if kind == "fade" else (0.01, 0.08)
    return 1 + early + (late - early) * np.clip((k - 2) / 5, 0, 1)


def dated_rows(kind: str, n_units: int = 4000, span: int = 28, enter: int = 14, seed: int = 0,
               base_rate: float = 0.3, weekly: float = 0.0) -> pd.DataFrame:
    """One row per unit and active day (the exposure day always logged): units enter over
    ``enter`` days; orders on day k of exposure are Poisson(propensity x base(k) x lift(k)),
    base(k) decaying (users most active right after exposure), lift(k) the treatment's;
    ``weekly`` > 0 multiplies weekends by ``1 + weekly``."""
    rng = np.random.default_rng(seed)
    arm = np.where(rng.random(n_units) < 0.5, "control", "treatment")
    first = rng.integers(0, enter, n_units)
    prop = rng.gamma(2.0, 0.5, n_units)
    pre = rng.poisson(prop * base_rate * 14)
    unit = np.repeat(np.arange(n_units), span)
    day = np.tile(np.arange(span), n_units)
    k = day - first[unit]
    keep = k >= 0
    unit, day, k = unit[keep], day[keep], k[keep]
    mult = np.where(arm[unit] == "treatment", _lift(kind, k), 1.0)
    season = 1 + weekly * (((day + 6) % 7) >= 5)  # 2026-11-02 is a Monday
    orders = rng.poisson(prop[unit] * base_rate * (0.6 + 0.4 * np.exp(-k / 3)) * mult * season)
    visits = orders + rng.poisson(prop[unit])
    rows = (orders > 0) | (visits > 0) | (k == 0)
    dates = pd.Timestamp("2026-11-02") + pd.to_timedelta(day[rows], unit="D")
    return pd.DataFrame({"user_id": unit[rows], "variant": arm[unit[rows]],
                         "date": dates.strftime("%Y-%m-%d"), "orders": orders[rows],
                         "visits": visits[rows], "pre_orders": pre[unit[rows]]})


def _welch(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(difference, two-sided Welch p) of treatment ``y`` minus control ``x``."""
    return float(y.mean() - x.mean()), float(stats.ttest_ind(y, x, equal_var=False).pvalue)


@pytest.fixture(scope="module")
def fading() -> pd.DataFrame:
    return dated_rows("fade", n_units=12000, seed=3)


@pytest.fixture(scope="module")
def fading_result(fading: pd.DataFrame) -> ex.ExperimentResult:
    return ex.analyze(fading, "variant", "control",
                      [Metric("orders", "orders", covariate="pre_orders"), "orders/visits"],
                      unit_col="user_id", time_col="date")


def _points(res: ex.ExperimentResult, metric: str, view: str) -> list[ex.TimePoint]:
    assert res.time is not None
    return [p for p in res.time.points if p.metric == metric and p.view == view]


def test_the_last_cumulative_point_is_the_headline_with_cuped_and_ratio(
        fading_result: ex.ExperimentResult) -> None:
    view = fading_result.time
    assert view is not None
    assert (view.level, view.first_date, view.last_date, view.days) == (
        "event", "2026-11-02", "2026-11-29", 28)
    for metric in ("orders", "orders/visits"):
        head = fading_result.comparison(metric, "treatment")
        last = _points(fading_result, metric, "cumulative")[-1]
        assert last.date == "2026-11-29"
        for field in ("n_control", "n_variant", "absolute_effect", "ci_low", "ci_high",
                      "relative_effect", "relative_ci_low", "relative_ci_high", "p_value"):
            assert getattr(last, field) == pytest.approx(getattr(head, field), rel=1e-12), field
    assert fading_result.comparison("orders", "treatment").covariate == "pre_orders"


def test_daily_and_exposure_day_points_equal_a_welch_test_on_the_rows(
        fading: pd.DataFrame) -> None:
    res = ex.analyze(fading, "variant", "control", "orders", unit_col="user_id",
                     time_col="date")
    first = fading.groupby("user_id")["date"].min()
    units = fading.groupby("user_id")["variant"].first()
    # daily, 2026-11-10: units exposed by then, each with its orders of that day (0 without a row)
    exposed = first.index[first <= "2026-11-10"]
    day = fading[fading["date"] == "2026-11-10"].groupby("user_id")["orders"].sum()
    y = day.reindex(exposed, fill_value=0)
    arm = units.reindex(exposed)
    d, p = _welch(y[arm == "control"].to_numpy(), y[arm == "treatment"].to_numpy())
    (pt,) = [q for q in _points(res, "orders", "daily") if q.date == "2026-11-10"]
    assert (pt.n_control + pt.n_variant, pt.absolute_effect, pt.p_value) == (
        len(exposed), pytest.approx(d, rel=1e-9), pytest.approx(p, rel=1e-6))
    # day 2 since exposure: units observed that long, their orders on their own day 2
    since = (pd.to_datetime(fading["date"]) - pd.to_datetime(fading["user_id"].map(first))).dt.days
    seen = first.index[pd.to_datetime(first) <= pd.Timestamp("2026-11-27")]
    y = fading[since == 2].groupby("user_id")["orders"].sum().reindex(seen, fill_value=0)
    arm = units.reindex(seen)
    d, p = _welch(y[arm == "control"].to_numpy(), y[arm == "treatment"].to_numpy())
    (pt,) = [q for q in _points(res, "orders", "exposure_day") if q.exposure_day == 2]
    assert (pt.n_control + pt.n_variant, pt.absolute_effect, pt.p_value) == (
        len(seen), pytest.approx(d, rel=1e-9), pytest.approx(p, rel=1e-6))


def test_a_fading_effect_is_flagged_with_its_early_and_late_effects(
        fading_result: ex.ExperimentResult) -> None:
    view = fading_result.time
    assert view is not None
    t = next(t for t in view.trends if t.metric == "orders")
    assert t.flagged
    assert t.direction == "fades"
    assert t.early_ci_low > 0
    assert t.early_effect > t.late_effect + 0.04
    assert t.p_value < 0.01
    assert "the effect fades:" in t.message
    assert "a novelty effect? Run longer" in t.message
    assert f"{t.early_effect:+.1%}" in t.message
    assert "in the first 3 days of exposure" in t.message
    assert t.message in fading_result.warnings


def test_the_checks_of_several_metrics_are_corrected_like_the_headline(
        fading_result: ex.ExperimentResult) -> None:
    from statsmodels.stats.multitest import multipletests

    assert fading_result.time is not None
    trends = fading_result.time.trends
    assert [t.metric for t in trends] == ["orders", "orders/visits"]
    holm = multipletests([t.p_value for t in trends], method="holm")[1]
    assert [t.p_value_adjusted for t in trends] == pytest.approx(list(holm), rel=1e-12)
    assert all(t.flagged == (t.p_value_adjusted < 0.01) for t in trends)


def test_the_trend_standard_error_agrees_with_a_unit_bootstrap() -> None:
    rows = dated_rows("const", n_units=3000, seed=5)
    res = ex.analyze(rows, "variant", "control", "orders", unit_col="user_id", time_col="date")
    assert res.time is not None
    (t,) = res.time.trends
    # per unit: early window = days 0-2 of exposure, late = day 7 to the last date (per day)
    first = pd.to_datetime(rows.groupby("user_id")["date"].min())
    last = pd.to_datetime(rows["date"]).max()
    since = (pd.to_datetime(rows["date"]) - rows["user_id"].map(first)).dt.days
    early = rows[since < 3].groupby("user_id")["orders"].sum().reindex(first.index, fill_value=0)
    late = rows[since >= 7].groupby("user_id")["orders"].sum().reindex(first.index, fill_value=0)
    days_late = (last - first).dt.days - 6
    arm = rows.groupby("user_id")["variant"].first()
    frame = pd.DataFrame({"e": early, "l": late, "dl": days_late, "arm": arm})

    def change(f: pd.DataFrame) -> float:
        g = f.groupby("arm")[["e", "l", "dl"]].sum()
        rate_e = g["e"] / (3 * f.groupby("arm").size())
        rate_l = g["l"] / g["dl"]
        return float(np.log(rate_e["treatment"] / rate_e["control"])
                     - np.log(rate_l["treatment"] / rate_l["control"]))

    rng = np.random.default_rng(0)
    boots = [change(frame.iloc[rng.integers(0, len(frame), len(frame))]) for _ in range(300)]
    assert t.statistic * np.std(boots, ddof=1) == pytest.approx(change(frame), rel=0.15)
    assert np.log1p(t.early_effect) - np.log1p(t.late_effect) == pytest.approx(change(frame))


@pytest.mark.parametrize(("kind", "direction"), [("aa", "none"), ("const", "none"),
                                                 ("grow", "grows")])
def test_the_check_fires_only_when_the_effect_changes(kind: str, direction: str) -> None:
    res = ex.analyze(dated_rows(kind, n_units=12000, seed=11), "variant", "control", "orders",
                     unit_col="user_id", time_col="date")
    assert res.time is not None
    (t,) = res.time.trends
    assert t.direction == direction, t.message
    assert t.flagged == (direction != "none")
    if direction == "grows":
        assert "the effect grows:" in t.message
        assert "a learning effect" in t.message


def test_unit_level_file_gives_cumulative_and_entry_cohort_effects() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    frame = pd.DataFrame({"variant": rng.choice(["control", "treatment"], n),
                          "exposed": pd.Timestamp("2026-11-02")
                          + pd.to_timedelta(rng.integers(0, 10, n), unit="D")})
    frame["converted"] = (rng.random(n) < np.where(frame["variant"] == "treatment", 0.12,
                                                    0.1)).astype(int)
    frame["exposed"] = frame["exposed"].dt.strftime("%Y-%m-%d")
    res = ex.analyze(frame, "variant", "control", "converted", time_col="exposed")
    view = res.time
    assert view is not None
    assert view.level == "unit"
    assert not _points(res, "converted", "exposure_day")
    assert view.trends == ()
    assert any("one date per unit" in n for n in view.notes)
    for p in _points(res, "converted", "cumulative"):
        sub = frame[frame["exposed"] <= p.date]
        x, y = (sub.loc[sub["variant"] == a, "converted"].to_numpy()
                for a in ("control", "treatment"))
        assert (p.absolute_effect, p.p_value) == pytest.approx(_welch(x, y), rel=1e-9)
    for p in _points(res, "converted", "daily"):
        sub = frame[frame["exposed"] == p.date]
        assert p.n_control + p.n_variant == len(sub)
    last = _points(res, "converted", "cumulative")[-1]
    assert last.p_value == pytest.approx(res.comparison("converted", "treatment").p_value)


def test_time_outputs_table_json_and_report(fading_result: ex.ExperimentResult,
                                            tmp_path) -> None:
    assert fading_result.time is not None
    table = ex.time_table(fading_result.time)
    assert list(table["view"].unique()) == ["cumulative", "daily", "exposure_day"]
    assert len(table) == len(fading_result.time.points)
    assert table["exposure_day"].dtype == "Int64"
    record = json.loads(fading_result.to_json())
    assert record["time"]["trends"][0]["direction"] == "fades"
    assert {p["view"] for p in record["time"]["points"]} == {"cumulative", "daily",
                                                             "exposure_day"}
    out = ex.write_report(fading_result, tmp_path / "r.md")
    text = out.read_text()
    assert "## orders: effects over time (date)" in text
    assert "Does the effect change with exposure time?" in text
    assert (tmp_path / "r_time_orders.png").stat().st_size > 1000
    assert "effect over time" in ex.render_html(fading_result)


def _rows() -> pd.DataFrame:
    return pd.DataFrame({"user_id": [f"u{i}" for i in range(40)],
                         "variant": ["control", "treatment"] * 20,
                         "date": ["2026-11-02", "2026-11-03"] * 20,
                         "orders": [0, 1, 1, 2] * 10})


def test_unreadable_or_missing_dates_are_named_with_their_rows() -> None:
    frame = _rows()
    frame.loc[[4, 9], "date"] = ["2026-13-01", "yesterday"]
    frame.loc[12, "date"] = None
    with pytest.raises(ExperimentInputError) as err:
        ex.analyze(frame, "variant", "control", "orders", time_col="date", source="x.csv")
    msg = str(err.value)
    assert "x.csv: time column 'date' has 3 values that are missing or not dates" in msg
    assert "first rows [5, 10, 13]: ['2026-13-01', 'yesterday', '(missing)']" in msg
    assert "never dropped" in msg
    with pytest.raises(ExperimentInputError, match="time column 'day' is missing") as err:
        ex.analyze(_rows(), "variant", "control", "orders", time_col="day")
    assert err.value.params == ("time_col",)
    numbers = _rows().assign(date=3)
    with pytest.raises(ExperimentInputError, match="holds numbers"):
        ex.analyze(numbers, "variant", "control", "orders", time_col="date")
    long = _rows().assign(date=["1990-01-01", "2026-11-02"] * 20)
    with pytest.raises(ExperimentInputError, match="spans 13,455 days"):
        ex.analyze(long, "variant", "control", "orders", time_col="date")


def test_day_first_dates_are_read_with_one_format_and_ambiguous_ones_are_an_error() -> None:
    frame = _rows().assign(date=["05/11/2026", "13/11/2026"] * 20)
    res = ex.analyze(frame, "variant", "control", "orders", time_col="date")
    assert res.time is not None
    # day first for every cell: 5 and 13 November (cell by cell, 05/11 had been 11 May)
    assert (res.time.first_date, res.time.last_date, res.time.days) == (
        "2026-11-05", "2026-11-13", 9)
    frame = _rows().assign(date=["05/11/2026", "06/11/2026"] * 20)
    with pytest.raises(ExperimentInputError, match=r"'05/11/2026' that read as 2026-05-11 "
                       r"\(month first\) or 2026-11-05 \(day first\)"):
        ex.analyze(frame, "variant", "control", "orders", time_col="date")
    mixed = _rows().assign(date=["2026-11-02", "2026-11-03 08:15:00+01:00"] * 20)
    res = ex.analyze(mixed, "variant", "control", "orders", time_col="date")
    assert res.time is not None
    assert res.time.days == 2


def test_a_unit_on_several_dates_of_a_unit_level_file_is_an_error() -> None:
    frame = _rows()
    frame["user_id"] = [f"u{i % 30}" for i in range(40)]  # u0..u9 twice, on other dates
    frame["variant"] = frame["user_id"].map(lambda u: ["control", "treatment"][int(u[1:]) % 2])
    frame["date"] = ["2026-11-02"] * 30 + ["2026-11-05"] * 10
    with pytest.raises(ExperimentInputError) as err:
        ex.analyze(frame, "variant", "control", "orders", time_col="date", source="x.csv")
    msg = str(err.value)
    assert ("column 'user_id' looks like a unit id and 10 of its ids have rows on several "
            "dates") in msg
    assert "'u0': 2026-11-02, 2026-11-05" in msg
    assert "Fix: pass unit_col user_id" in msg
    assert err.value.params == ("unit_col",)
    res = ex.analyze(frame, "variant", "control", "orders", time_col="date", unit_col="user_id")
    assert res.time is not None
    assert res.time.level == "event"


def test_a_short_test_says_why_there_is_no_novelty_check() -> None:
    rows = dated_rows("aa", n_units=400, span=6, enter=3)
    res = ex.analyze(rows, "variant", "control", "orders", unit_col="user_id", time_col="date")
    assert res.time is not None
    assert res.time.trends == ()
    assert any("no novelty check: the data span 6 days" in n for n in res.time.notes)


@pytest.mark.slow
def test_false_alarms_are_rare_on_aa_and_constant_effect_simulations(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Measured in docs/experiments.md on more runs; 60 runs here. Each run is the whole
    ``analyze`` but for the cumulative, daily and exposure-day points, which this test does not
    read (nine tenths of the time; the tests above check them): the novelty check is computed
    from the per-unit table, not from the points, and comes out the same."""
    import experiments._time

    monkeypatch.setattr(experiments._time, "_scope_points", lambda *args, **kwargs: [])
    for kind in ("aa", "const"):
        flagged = 0
        for seed in range(30):
            res = ex.analyze(dated_rows(kind, n_units=2000, seed=100 + seed), "variant",
                             "control", "orders", unit_col="user_id", time_col="date")
            assert res.time is not None
            flagged += res.time.trends[0].flagged
        assert flagged <= 2, (kind, flagged)  # ~0.5% expected; 3 of 30 has probability < 0.1%


def test_brain_ab_analyze_time_col_prints_writes_csv_and_names_its_options(tmp_path) -> None:
    import typer
    from typer.testing import CliRunner

    from serving._cli_ab import ab_app

    app = typer.Typer()
    app.add_typer(ab_app, name="ab")
    runner = CliRunner()
    data = tmp_path / "events.csv"
    dated_rows("fade", n_units=12000, seed=3).to_csv(data, index=False)
    out = runner.invoke(app, ["ab", "analyze", "--data", str(data), "--metrics", "orders",
                              "--unit-col", "user_id", "--time-col", "date", "--time-csv",
                              str(tmp_path / "t.csv"), "--report", str(tmp_path / "r.html")])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "orders (treatment vs 'control') by date" in text
    assert "by days since each unit's first exposure" in text
    assert "warning: metric 'orders' (treatment): the effect fades:" in text
    assert text.count("the effect fades:") == 1  # said once, after the tables that show it
    table = pd.read_csv(tmp_path / "t.csv")
    assert set(table["view"]) == {"cumulative", "daily", "exposure_day"}
    assert "effect over time" in (tmp_path / "r.html").read_text()
    bad = runner.invoke(app, ["ab", "analyze", "--data", str(data), "--metrics", "orders",
                              "--time-col", "day"])
    assert bad.exit_code == 2
    assert "Fix: pass --time-col with the column" in " ".join(bad.output.split())
    bad = runner.invoke(app, ["ab", "analyze", "--data", str(data), "--metrics", "orders",
                              "--time-col", "date"])
    assert bad.exit_code == 2
    assert "Fix: pass --unit-col user_id" in " ".join(bad.output.split())
    bad = runner.invoke(app, ["ab", "analyze", "--data", str(data), "--metrics", "orders",
                              "--time-csv", str(tmp_path / "t2.csv")])
    assert bad.exit_code == 2
    assert "pass --time-col too" in " ".join(bad.output.split())


def test_iso_timestamps_with_a_utc_word_are_read_as_iso() -> None:
    """BigQuery exports timestamps as '2026-11-05 10:00:00 UTC': not ISO for pandas, they fell
    to the month-or-day-first reading, where dateutil reads '2026-11-05' day first as 11 May,
    and a test on days 1-12 of a month was an error calling its dates ambiguous."""
    frame = _rows().assign(date=["2026-11-05 10:00:00 UTC", "2026-11-06 23:59:59 GMT"] * 20)
    res = ex.analyze(frame, "variant", "control", "orders", time_col="date")
    assert res.time is not None
    assert (res.time.first_date, res.time.last_date, res.time.days) == (
        "2026-11-05", "2026-11-06", 2)


@pytest.fixture(scope="module")
def by_segment() -> pd.DataFrame:
    """Returning users whose effect fades, new users with a constant +5% (ids kept apart)."""
    old = dated_rows("fade", n_units=12000, seed=3).assign(tenure="returning")
    new = dated_rows("const", n_units=4000, seed=6).assign(tenure="new")
    new["user_id"] += 100_000
    return pd.concat([old, new], ignore_index=True)


@pytest.fixture(scope="module")
def by_segment_result(by_segment: pd.DataFrame) -> ex.ExperimentResult:
    return ex.analyze(by_segment, "variant", "control", "orders", unit_col="user_id",
                      time_col="date", segment_col="tenure")


def test_the_time_view_is_split_by_segment_like_the_headline(
        by_segment: pd.DataFrame, by_segment_result: ex.ExperimentResult) -> None:
    """--segment-col was ignored by the time view (s16d, 2026-12-05): the headline was split by
    segment, the effects over time were not, silently. Each segment's last cumulative point is
    its segment comparison; its daily points are Welch tests on that segment's rows; the
    overall points are those of the analysis without segments."""
    view = by_segment_result.time
    assert view is not None
    assert view.segment_col == "tenure"
    plain = ex.analyze(by_segment, "variant", "control", "orders", unit_col="user_id",
                       time_col="date")
    assert plain.time is not None
    assert [p for p in view.points if p.segment is None] == list(plain.time.points)
    assert {p.segment for p in view.points} == {None, "new", "returning"}
    for sg in by_segment_result.segments:
        (head,) = sg.comparisons
        last = [p for p in view.points if p.segment == sg.segment
                and p.view == "cumulative"][-1]
        for field in ("n_control", "n_variant", "absolute_effect", "ci_low", "ci_high",
                      "relative_effect", "relative_ci_low", "relative_ci_high", "p_value"):
            assert getattr(last, field) == pytest.approx(getattr(head, field), rel=1e-12), field
    rows = by_segment[by_segment["tenure"] == "new"]
    first = rows.groupby("user_id")["date"].min()
    units = rows.groupby("user_id")["variant"].first()
    exposed = first.index[first <= "2026-11-10"]
    y = rows[rows["date"] == "2026-11-10"].groupby("user_id")["orders"].sum().reindex(
        exposed, fill_value=0)
    arm = units.reindex(exposed)
    d, p = _welch(y[arm == "control"].to_numpy(), y[arm == "treatment"].to_numpy())
    (pt,) = [q for q in view.points if q.segment == "new" and q.view == "daily"
             and q.date == "2026-11-10"]
    assert (pt.n_control + pt.n_variant, pt.absolute_effect, pt.p_value) == (
        len(exposed), pytest.approx(d, rel=1e-9), pytest.approx(p, rel=1e-6))
    assert {p.view for p in view.points if p.segment == "returning"} == {
        "cumulative", "daily", "exposure_day"}


def test_the_novelty_check_runs_per_segment_corrected_over_the_segments(
        by_segment_result: ex.ExperimentResult) -> None:
    view = by_segment_result.time
    assert view is not None
    checks = {t.segment: t for t in view.trends}
    assert set(checks) == {None, "new", "returning"}
    assert checks["returning"].flagged
    assert checks["returning"].direction == "fades"
    assert not checks["new"].flagged
    assert checks["returning"].message.startswith("segment tenure='returning': metric 'orders'")
    assert checks["returning"].message in by_segment_result.warnings
    # one family over segments x metrics x variants, apart from the overall check's
    seg = [checks["new"], checks["returning"]]
    expected = ex.adjust_p_values([t.p_value for t in seg], "holm")
    assert [t.p_value_adjusted for t in seg] == pytest.approx(list(expected), rel=1e-12)
    assert checks[None].p_value_adjusted == checks[None].p_value


def test_the_segment_time_view_reaches_the_table_json_and_report(
        by_segment_result: ex.ExperimentResult, tmp_path) -> None:
    assert by_segment_result.time is not None
    table = ex.time_table(by_segment_result.time)
    assert list(table.columns[:3]) == ["metric", "variant", "segment"]
    assert set(table["segment"].dropna()) == {"new", "returning"}
    assert table["segment"].isna().sum() == sum(
        p.segment is None for p in by_segment_result.time.points)
    record = json.loads(by_segment_result.to_json())
    assert record["time"]["segment_col"] == "tenure"
    assert {p["segment"] for p in record["time"]["points"]} == {None, "new", "returning"}
    text = ex.write_report(by_segment_result, tmp_path / "r.md").read_text()
    assert "| variant | segment (tenure) | view |" in text
    assert "| treatment | returning | cumulative | 2026-11-29 |" in text
    assert (tmp_path / "r_time_orders_by_tenure.png").stat().st_size > 1000
    assert "effect over time by tenure" in ex.render_html(by_segment_result)
    # without segments, the table keeps its columns
    plain = ex.time_table(ex.TimeView("date", "unit", "2026-11-02", "2026-11-02", 1, ()))
    assert "segment" not in plain.columns


def test_brain_ab_analyze_prints_and_writes_the_time_view_by_segment(
        by_segment: pd.DataFrame, tmp_path) -> None:
    import typer
    from typer.testing import CliRunner

    from serving._cli_ab import ab_app
    from serving._cli_ab_print import TIME_SEGMENTS

    app = typer.Typer()
    app.add_typer(ab_app, name="ab")
    runner = CliRunner()
    data = tmp_path / "events.csv"
    by_segment.to_csv(data, index=False)
    args = ["ab", "analyze", "--data", str(data), "--metrics", "orders", "--unit-col",
            "user_id", "--time-col", "date", "--segment-col", "tenure"]
    out = runner.invoke(app, [*args, "--time-csv", str(tmp_path / "t.csv")],
                        env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "orders (treatment vs 'control') cumulative, by date, by tenure" in text
    assert "by days since each unit's first exposure, by tenure" in text
    assert "┃ date ┃ new ┃ returning ┃" in text
    assert "warning: segment tenure='returning': metric 'orders' (treatment): the effect fades" \
        in text
    assert text.count("the effect fades:") == 1
    table = pd.read_csv(tmp_path / "t.csv")
    assert set(table["segment"].dropna()) == {"new", "returning"}
    # more segments than fit on screen: said, not silently left out
    many = by_segment.assign(tenure="s" + (by_segment["user_id"] % (TIME_SEGMENTS + 1))
                             .astype(str))
    many.loc[many["user_id"] < 30, "tenure"] = "tiny"  # too few units for its novelty check
    many.to_csv(data, index=False)
    out = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert (f"time view by tenure: {TIME_SEGMENTS + 2} segments, more than the {TIME_SEGMENTS} "
            "shown on screen") in text
    assert "(1 note on segments the check could not judge in --json)" in text
    assert "by tenure: relative effect" not in text
    assert "segment tenure='tiny'" not in text
