"""Backtest metrics against hand computations; folds, plots and peak summaries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from training._forecast_backtest import backtest
from training._forecast_backtest_keys import evaluation_key
from training._forecast_backtest_metrics import forecast_metrics
from training._forecast_models import SeasonalNaiveForecaster
from training._forecast_peaks import peak_summary
from training._forecast_plots import plot_fold


def test_metrics_match_hand_computation() -> None:
    f = pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=4),
                      "y": [10.0, 20.0, 40.0, 10.0], "p50": [12.0, 20.0, 30.0, 35.0],
                      "p10": [11.0, 15.0, 35.0, 5.0], "p90": [15.0, 25.0, 45.0, 40.0]})
    hist = np.array([1.0, 2, 3, 4, 5, 6, 7, 3, 4, 5, 6, 7, 8, 9])  # |diff 7| = 2 (x7): scale 2
    m = forecast_metrics(f, hist, 7)
    assert m["mase"] == pytest.approx(np.mean([2, 0, 10, 25]) / 2)
    smape = np.mean([200 * 2 / 22, 0, 200 * 10 / 70, 200 * 25 / 45])
    assert m["smape_pct"] == pytest.approx(smape)
    assert m["coverage80_pct"] == pytest.approx(75.0)  # 10 is below its P10 of 11
    assert m["below_p10_pct"] == pytest.approx(25.0)  # which side missed
    assert m["above_p90_pct"] == 0.0
    assert m["peak_err_pct"] == pytest.approx(100 * 5 / 40)
    assert m["peak_timing_days"] == 1.0
    def pin(y: float, q: float, a: float) -> float:
        return max(a * (y - q), (a - 1) * (y - q))
    want = np.mean([np.mean([pin(y, q, a) for y, q in zip(f["y"], f[c], strict=True)])
                    for c, a in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))]) / 2
    assert m["pinball"] == pytest.approx(want)


def test_a_zero_heavy_count_series_covers_over_80_with_a_right_p90() -> None:
    # Poisson(0.5) days, forecast with its true quantiles (P10 0, P50 0, P90 1): coverage reads
    # ~98%, the one-sided rates say the band is right where it can be (P(y > 1) = 9%)
    rng = np.random.default_rng(0)
    y = rng.poisson(0.5, 4000).astype(float)
    f = pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=len(y)), "y": y,
                      "p10": 0.0, "p50": 0.0, "p90": 1.0})
    m = forecast_metrics(f, rng.poisson(0.5, 60).astype(float), 7)
    assert m["coverage80_pct"] > 89
    assert m["below_p10_pct"] == 0.0
    assert m["above_p90_pct"] == pytest.approx(100 * (y > 1).mean())
    assert 7 < m["above_p90_pct"] < 11


def test_backtest_folds_plots_and_key(daily: tuple, tmp_path: Path) -> None:
    series, cal = daily
    res = backtest(SeasonalNaiveForecaster(), series, cal, horizon=14, n_folds=3,
                   plot_dir=tmp_path)
    assert len(res.folds) == 3
    assert len(res.plots) == 3
    assert all(p.exists() for p in res.plots)
    assert res.forecasts["ds"].min() == res.origins[0]
    assert res.evaluation == evaluation_key(series, res.origins, 14, cal)
    assert res.evaluation != evaluation_key(series, res.origins, 14)  # the calendar counts
    assert res.origins[-1] + pd.Timedelta(days=13) == series["ds"].max()
    with pytest.raises(ValueError, match="origin"):
        backtest(SeasonalNaiveForecaster(), series, cal, horizon=14, origins=["2020-01-01"])


def test_peak_summary_per_event_window() -> None:
    ds = pd.date_range("2024-01-01", periods=10)
    fc = pd.DataFrame({"series_id": "total", "ds": ds, "p50": [1.0, 2, 9, 3, 1, 1, 5, 6, 1, 1]})
    fc["p10"], fc["p90"] = fc["p50"] * 0.8, fc["p50"] * 1.2
    base = fc.assign(p50=3.0)
    cal = pd.DataFrame({"name": ["A", "B"], "start": ["2024-01-06", "2024-02-01"],
                        "end": ["2024-01-08", "2024-02-02"]})
    peaks = peak_summary(fc, cal, base).set_index("window")
    assert peaks.loc["horizon", "peak_ds"] == pd.Timestamp("2024-01-03")
    assert peaks.loc["horizon", "lift_pct"] == pytest.approx(200.0)
    assert peaks.loc["A", "peak_ds"] == pd.Timestamp("2024-01-08")
    assert peaks.loc["A", "peak_p90"] == pytest.approx(7.2)
    assert "B" not in peaks.index  # outside the horizon


def _glitch_series(glitch_day: str | None) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    ds = pd.date_range("2024-01-01", periods=140, freq="D")
    y = np.round(1000 * (1 + 0.3 * (ds.day_of_week < 5)) * np.exp(rng.normal(0, 0.1, len(ds))))
    frame = pd.DataFrame({"series_id": "web", "ds": ds, "y": y})
    if glitch_day:
        frame.loc[frame["ds"] == glitch_day, "y"] = 1e7
    return frame


def test_a_glitch_that_decides_a_folds_score_is_named() -> None:
    res = backtest(SeasonalNaiveForecaster(), _glitch_series("2024-05-10"), horizon=14,
                   origins=["2024-04-20", "2024-05-04"])
    named = [n for n in res.notes if "fold origin" in n and "1e+07" in n]
    assert len(named) == 1, res.notes
    assert "'web', fold origin 2024-05-04: the actual 1e+07 at 2024-05-10" in named[0]
    assert "brain data validate --series" in named[0]
    # the untouched fold and the same data without the glitch get no such note
    clean = backtest(SeasonalNaiveForecaster(), _glitch_series(None), horizon=14,
                     origins=["2024-04-20", "2024-05-04"])
    assert not [n for n in clean.notes if "mostly measures" in n]


def test_extreme_values_note_names_the_rows() -> None:
    from training._forecast_notes import extreme_values_note

    assert extreme_values_note(_glitch_series(None)) is None
    note = extreme_values_note(_glitch_series("2024-05-10"))
    assert note is not None
    assert "1 y values are more than 100x" in note
    assert "web 2024-05-10: 1e+07" in note


def test_a_fold_trained_on_less_history_than_its_horizon_is_noted(daily: tuple) -> None:
    """A 300-day horizon backtested from 70 days of history (80% coverage 64%, peak error
    83%) was averaged in with the other folds without a word."""
    series, _ = daily
    recent = series[series["ds"] >= series["ds"].max() - pd.Timedelta(days=49)]
    res = backtest(SeasonalNaiveForecaster(), recent, None, horizon=30, n_folds=1)
    note = next(n for n in res.notes if "fewer days of history than they forecast" in n)
    assert "(20 against 30)" in note
    res = backtest(SeasonalNaiveForecaster(), series, None, horizon=30, n_folds=2)
    assert not any("fewer days of history" in n for n in res.notes)


def test_the_forecast_chart_draws_the_same_days_52_weeks_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    from training._forecast_plots import plot_fold

    drawn: list[dict[str, np.ndarray]] = []

    def keep(fig: Figure, *args: object, **kwargs: object) -> None:
        drawn.append({line.get_label(): np.asarray(line.get_ydata(), dtype=float)
                      for ax in fig.axes for line in ax.get_lines()})

    monkeypatch.setattr(Figure, "savefig", keep)
    ds = pd.date_range("2023-01-01", periods=500, freq="D")
    history = pd.DataFrame({"series_id": "total", "ds": ds, "y": np.arange(500.0)})
    future = pd.date_range(ds[-1] + pd.Timedelta(days=1), periods=30, freq="D")
    fc = pd.DataFrame({"series_id": "total", "ds": future, "p10": 1.0, "p50": 2.0, "p90": 3.0})
    plot_fold(history, fc, None, "forecast", tmp_path / "a.png", last_year=True)
    before = drawn[-1]["52 weeks before"]
    assert before[0] == 500 - 364  # same weekdays, a year back
    assert np.all(np.diff(before) == 1)
    plot_fold(history.tail(200), fc, None, "forecast", tmp_path / "b.png", last_year=True)
    assert "52 weeks before" not in drawn[-1]  # no history that far back: no line
    plot_fold(history, fc, None, "fold", tmp_path / "c.png")
    assert "52 weeks before" not in drawn[-1]


def test_hourly_lift_of_a_holiday_compares_the_day_s_peaks() -> None:
    # a holiday runs like a Sunday: a lower day whose peak moves to midday, where a working
    # day is in its lull; at the same hour the holiday is above the working day (+40%), but
    # its peak is far below the working day's evening peak: the lift must say -30%, not +40%
    ds = pd.date_range("2025-04-18", periods=24, freq="h")
    work = np.full(24, 20.0)
    work[18] = 100.0  # evening peak
    holiday = np.full(24, 10.0)
    holiday[13] = 70.0  # midday peak, 1.4x the working day's 13:00 ... but 0.7x its peak
    work[13] = 50.0
    fc = pd.DataFrame({"series_id": "north", "ds": ds, "p50": holiday})
    fc["p10"], fc["p90"] = fc["p50"] * 0.8, fc["p50"] * 1.2
    base = fc.assign(p50=work)
    cal = pd.DataFrame({"name": ["Karfreitag"], "start": ["2025-04-18"], "end": ["2025-04-18"],
                        "kind": ["holiday"]})
    peaks = peak_summary(fc, cal, base).set_index("window")
    assert peaks.loc["Karfreitag", "peak_ds"] == pd.Timestamp("2025-04-18 13:00")
    assert peaks.loc["Karfreitag", "baseline_p50"] == pytest.approx(100.0)
    assert peaks.loc["Karfreitag", "lift_pct"] == pytest.approx(-30.0)


def test_the_evaluation_key_does_not_depend_on_the_calendar_row_order() -> None:
    """Independent check: the same 718 calendar events in another row order gave another
    evaluation key, so the same recipe on the same data was taken as evaluated elsewhere."""
    ds = pd.date_range("2024-01-01", periods=60, freq="D")
    series = pd.DataFrame({"series_id": "s", "ds": ds, "y": np.arange(60.0)})
    # school holidays of two regions starting on one day (per-store rows in the check)
    cal = pd.DataFrame({"name": ["Autumn break", "Autumn break", "Sale"],
                        "start": ["2024-01-20", "2024-01-20", "2024-02-01"],
                        "end": ["2024-01-30", "2024-01-30", "2024-02-01"],
                        "kind": ["school_holiday", "school_holiday", "sale"],
                        "channel": ["s", "t", None], "intensity": [1.0, 1.0, 0.5]})
    series = pd.concat([series, series.assign(series_id="t")], ignore_index=True)
    origins = [pd.Timestamp("2024-02-15")]
    key = evaluation_key(series, origins, 7, cal)
    assert evaluation_key(series, origins, 7, cal.iloc[::-1]) == key
    assert evaluation_key(series, origins, 7, cal.assign(intensity=[0.3, 1.0, 0.6])) != key


def test_the_backtest_names_planned_events_no_fold_covers() -> None:
    """Independent check: the default folds (origins from May) held no Black Friday while the
    calendar planned one, and nothing said the scores told nothing about that peak."""
    from training._forecast_backtest import uncovered_events_note

    ds = pd.date_range("2023-01-01", "2025-10-31", freq="D")
    bf = pd.to_datetime(["2023-11-24", "2024-11-29", "2025-11-28"])
    cal = pd.DataFrame({"name": [f"Black Friday {d.year}" for d in bf], "start": bf,
                        "end": bf + pd.Timedelta(days=3), "kind": "sale"})
    cal = pd.concat([cal, pd.DataFrame({"name": ["Easter 2024", "Easter 2026"],
                                        "start": pd.to_datetime(["2024-03-31", "2026-04-05"]),
                                        "end": pd.to_datetime(["2024-03-31", "2026-04-05"]),
                                        "kind": "holiday"})])
    day = pd.Timedelta(days=1)
    origins = [pd.Timestamp(d) for d in ("2025-05-02", "2025-07-02", "2025-09-01")]
    note = uncovered_events_note(cal, origins, 61, day, ds[-1], ds[0])
    assert note is not None
    assert "'Black Friday' (last 2024-11-29)" in note
    assert "--origins 2024-11-22" in note
    assert "Easter" in note  # planned for 2026, seen in 2024, no fold in spring 2024
    covered = [*origins, pd.Timestamp("2024-11-01"), pd.Timestamp("2024-03-01")]
    assert uncovered_events_note(cal, covered, 61, day, ds[-1], ds[0]) is None
    past_only = cal[cal["start"] <= ds[-1]]  # nothing planned: nothing to say
    assert uncovered_events_note(past_only, origins, 61, day, ds[-1], ds[0]) is None


def test_a_band_that_misses_too_often_is_named() -> None:
    """Independent check: Prophet's bands covered 64-74% of the actuals per store and nothing
    said so."""
    from training._forecast_backtest import interval_notes

    rng = np.random.default_rng(0)
    n = 120
    y = rng.normal(100, 10, 2 * n)
    fc = pd.DataFrame({"series_id": ["a"] * n + ["b"] * n, "y": y,
                       "p10": 100 - 12.8, "p90": 100 + 12.8})  # right for sd 10
    assert interval_notes(fc) == []
    narrow = fc.assign(p10=100 - 4.0, p90=100 + 4.0)  # about 31% inside
    notes = interval_notes(narrow)
    assert any("too narrow" in n and "above P90" in n for n in notes)
    assert any("2 of 2 series had under 65%" in n for n in notes)
    one_bad = fc.copy()
    one_bad.loc[one_bad["series_id"] == "b", ["p10", "p90"]] = [96.0, 104.0]
    notes = interval_notes(one_bad)
    assert any("1 of 2 series" in n and "'b'" in n for n in notes)
    wide = fc.assign(p10=0.0, p90=1000.0)
    assert any("wider than it needs" in n for n in interval_notes(wide))


@pytest.mark.parametrize(("horizon", "step"), [(48, pd.Timedelta(hours=1)),
                                               (5, pd.Timedelta(days=1))])
def test_the_origin_suggested_for_an_uncovered_event_covers_it(horizon: int,
                                                               step: pd.Timedelta) -> None:
    """An origin a week before the event is no use to a fold of 48 hours (the CLI's default
    horizon of 60 is 60 hours on hourly data) or of 5 days: its window ended before the
    event began. Following the note must give a fold that holds the event."""
    from training._forecast_backtest import uncovered_events_note

    start, end = pd.Timestamp("2024-01-01"), pd.Timestamp("2025-10-31 23:00")
    bf = pd.to_datetime(["2024-11-29", "2025-11-28"])
    cal = pd.DataFrame({"name": [f"Black Friday {d.year}" for d in bf], "start": bf,
                        "end": bf, "kind": "sale"})
    note = uncovered_events_note(cal, [pd.Timestamp("2025-10-20")], horizon, step, end, start)
    assert note is not None
    suggested = pd.Timestamp(note.split("--origins ")[1].split(" ")[0])
    again = uncovered_events_note(cal, [suggested], horizon, step, end, start)
    assert again is None, (suggested, again)


def test_a_forecast_far_beyond_the_history_is_named_in_the_backtest_notes() -> None:
    """s17j's retail fold forecast a store selling at most 304 a day at 2.6 million (its
    known-in-advance columns' slopes had run off): the fold's MASE of 132 went out with no
    note, since the one far-out value was the forecast, not an actual. A P50 above 5x the
    largest value before the origin is named; one at 4x (a big sale) is not."""
    from training._forecast_backtest import runaway_forecast_notes

    ds = pd.date_range("2026-01-01", periods=70, freq="D")
    origin = ds[56]
    history = {"a": pd.Series(np.r_[np.full(56, 100.0), np.full(14, 120.0)], index=ds),
               "b": pd.Series(np.full(70, 50.0), index=ds)}
    p50 = {"a": np.r_[2.6e6, np.full(13, 110.0)], "b": np.r_[200.0, np.full(13, 50.0)]}
    fc = pd.concat(pd.DataFrame({"origin": origin, "series_id": sid, "ds": ds[56:],
                                 "p50": p50[sid], "y": history[sid].to_numpy()[56:]})
                   for sid in ("a", "b"))
    folds = pd.DataFrame({"origin": [origin, origin], "series_id": ["a", "b"],
                          "mase": [27717.0, 1.2]})
    notes = runaway_forecast_notes(fc, history, folds)
    assert len(notes) == 1, notes
    assert "'a'" in notes[0], notes[0]
    assert "26,000x" in notes[0], notes[0]
    assert "mase 27,717" in notes[0], notes[0]
    assert "known-in-advance" in notes[0]


def _hourly_band(shift: float, days: int = 42, seed: int = 0) -> pd.DataFrame:
    """Four hourly series whose level is off for the day (AR noise, a day-level draw) with a
    band right for that noise, its P50 ``shift`` above the truth's median."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2026-03-02", periods=24 * days, freq="h")
    parts = []
    for sid in "abcd":
        level = np.repeat(rng.normal(0, 1.0, days), 24) + 0.3 * rng.standard_normal(len(ds))
        sd = float(np.sqrt(1.0 + 0.09))
        parts.append(pd.DataFrame({"series_id": sid, "ds": ds, "y": 100 + level,
                                   "p50": 100 + shift, "p10": 100 + shift - 1.2816 * sd,
                                   "p90": 100 + shift + 1.2816 * sd}))
    return pd.concat(parts, ignore_index=True)


def test_a_band_whose_misses_fall_on_one_side_is_named() -> None:
    """Independent check's hourly regions: 86.8% over a 3-fold backtest, 1.6% above P90 and
    11.6% below P10, and nothing said the forecast ran high (the 70-92% / 5% rule passed)."""
    from training._forecast_intervals import interval_notes, lopsided_note

    high = _hourly_band(0.4)
    notes = interval_notes(high)
    cov = ((high["y"] >= high["p10"]) & (high["y"] <= high["p90"])).mean()
    assert 0.70 < cov < 0.92  # the coverage rule alone says nothing
    assert any("misses fell on one side" in n and "ran high" in n for n in notes), notes
    low = _hourly_band(-0.4)
    assert "ran low" in (lopsided_note(low) or "")
    # a centred band right for the noise: no note, over several seeds
    assert all(lopsided_note(_hourly_band(0.0, seed=s)) is None for s in range(5))


def test_a_few_days_off_are_not_a_lopsided_band() -> None:
    """The 24 hours of one day miss together: three days with every hour below P10 are 72
    periods (22% of two weeks of one series) but 3 pieces of evidence, not enough."""
    from training._forecast_intervals import lopsided_note

    ds = pd.date_range("2026-03-02", periods=24 * 14, freq="h")
    y = np.full(len(ds), 100.0)
    y[: 3 * 24] = 90.0  # three days under P10
    fc = pd.DataFrame({"series_id": "a", "ds": ds, "y": y, "p10": 95.0, "p50": 100.0,
                       "p90": 105.0})
    assert lopsided_note(fc) is None
    # the same share over 60 series-days with a miss, all below: named
    many = pd.concat([fc.assign(series_id=s) for s in "abcdefghijklmnopqrst"])
    assert "ran high" in (lopsided_note(many) or "")


def test_a_count_series_at_0_is_not_lopsided() -> None:
    """An actual 0 at a P10 of 0 cannot fall below it: those days are left out, else a right
    band on sparse counts (about 10% above P90, none below) would read as one-sided."""
    from training._forecast_intervals import lopsided_note

    rng = np.random.default_rng(1)
    y = rng.poisson(0.5, 400).astype(float)
    fc = pd.DataFrame({"series_id": "item", "ds": pd.date_range("2025-01-01", periods=400),
                       "y": y, "p10": 0.0, "p50": 0.0, "p90": 1.0})
    assert (fc["y"] > fc["p90"]).mean() > 0.05
    assert lopsided_note(fc) is None


def test_a_centred_band_is_rarely_called_lopsided() -> None:
    """A/A: 200 two-week checks of four hourly series with a centred band right for their
    day-level noise; the day-level test keeps false notes near its 1% level (counting hours
    as independent, a few days off would pass it)."""
    from training._forecast_intervals import lopsided_note

    false = sum(lopsided_note(_hourly_band(0.0, days=14, seed=s)) is not None
                for s in range(200))
    assert false <= 6, false


def test_a_series_named_under_the_coverage_floor_never_reads_at_the_floor() -> None:
    """An independent check's hourly region held 64.6% of its actuals in the 80% band, and
    the note read "'west' 65% (26% above P90)" under the heading "under 65%"."""
    from training._forecast_intervals import interval_notes

    n = 1000
    inside = np.arange(n) < 646  # 64.6% inside, the misses above P90
    bad = pd.DataFrame({"series_id": "west", "y": np.where(inside, 100.0, 120.0),
                        "p10": 90.0, "p90": 110.0})
    good = pd.DataFrame({"series_id": "north", "y": np.full(n, 100.0), "p10": 90.0,
                         "p90": 110.0})
    notes = interval_notes(pd.concat([bad, good], ignore_index=True))
    named = [note for note in notes if "series had under 65%" in note]
    assert len(named) == 1
    assert "'west' 64.6% (35.4% above P90)" in named[0]


def test_each_fold_plot_names_its_series_mase_and_coverage(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fold's chart says how the fold scored for each series drawn: in MLflow's artifact view
    a bad fold had to be found by reading backtest_folds.csv beside the plots."""
    from matplotlib.figure import Figure

    titles: list[list[str]] = []

    def keep(fig: Figure, *args: object, **kwargs: object) -> None:
        titles.append([ax.get_title() for ax in fig.axes])

    monkeypatch.setattr(Figure, "savefig", keep)
    rng = np.random.default_rng(3)
    ds = pd.date_range("2024-01-01", periods=200, freq="D")
    series = pd.concat([pd.DataFrame({"series_id": sid, "ds": ds,
                                      "y": base + 10 * (ds.dayofweek == 5) + rng.normal(0, 3, 200)})
                        for sid, base in (("total", 100.0), ("store_1", 40.0))])
    res = backtest(SeasonalNaiveForecaster(), series, None, horizon=14, n_folds=2,
                   plot_dir=tmp_path)
    assert len(titles) == 2
    for fold, (origin, g) in zip(titles, res.folds.groupby("origin", sort=True), strict=True):
        assert any(f"(origin {origin.date()})" in t for t in fold)
        for sid, row in g.set_index("series_id").iterrows():
            panel = next(t for t in fold if f" - {sid}" in t)
            assert f"MASE {row['mase']:.2f}" in panel, panel
            assert f"80% band held {row['coverage80_pct']:.0f}%" in panel, panel


def _panel_titles(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    """(file name, panel titles) of each chart saved from now on (no file is written)."""
    from matplotlib.figure import Figure

    saved: list[tuple[str, list[str]]] = []

    def keep(fig: Figure, path: object, *args: object, **kwargs: object) -> None:
        heading = fig._suptitle.get_text() if fig._suptitle is not None else ""  # type: ignore[attr-defined]
        saved.append((Path(str(path)).name, [heading, *(ax.get_title() for ax in fig.axes)]))

    monkeypatch.setattr(Figure, "savefig", keep)
    return saved


def _panel(ids_and_base: list[tuple[str, float]], days: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    ds = pd.date_range("2024-01-01", periods=days, freq="D")
    return pd.concat([pd.DataFrame({"series_id": sid, "ds": ds,
                                    "y": base + 0.1 * base * (ds.day_of_week == 5)
                                    + rng.normal(0, 0.05 * base + 1, days)})
                      for sid, base in ids_and_base])


def test_every_series_of_a_fold_is_drawn_four_to_a_chart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's 9 series: a fold's chart drew the first 4 (total, orders, revenue and one
    channel); the other 5 channels' fold forecasts were drawn nowhere. The first chart keeps
    its name (fold_<k>_<origin>.png), the next ones add _p2, _p3."""
    saved = _panel_titles(monkeypatch)
    ids = ["total", "orders:total", "revenue:total", *(f"channel={c}" for c in
           ("affiliate", "display", "email", "organic", "paid_search", "social"))]
    series = _panel([(sid, 100.0 + 10 * n) for n, sid in enumerate(ids)])
    res = backtest(SeasonalNaiveForecaster(), series, None, horizon=14, n_folds=2,
                   plot_dir=tmp_path)
    assert len(res.plots) == 6  # 3 charts per fold
    for origin in res.origins:
        k = res.origins.index(origin) + 1
        mine = [(name, titles) for name, titles in saved if f"_{origin.date()}" in name]
        assert [n for n, _ in mine] == [f"fold_{k}_{origin.date()}.png",
                                        f"fold_{k}_{origin.date()}_p2.png",
                                        f"fold_{k}_{origin.date()}_p3.png"]
        panels = [t for _, titles in mine for t in titles[1:]]
        assert len(panels) == 9
        for sid in ids:
            assert sum(t.endswith(f" - {sid}") or f" - {sid}:" in t for t in panels) == 1, sid
        assert "page 2 of 3, series 5-8 of all 9 series" in mine[1][1][0]
        assert "page 3 of 3, series 9 of all 9 series" in mine[2][1][0]


def test_a_fold_of_many_series_draws_the_largest_and_the_worst_scored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hundreds of stores would be hundreds of charts per fold: past FOLD_PLOT_SERIES the
    largest by volume and the worst MASE are drawn, and the chart and the notes say so."""
    from training._forecast_plots import FOLD_PLOT_SERIES

    saved = _panel_titles(monkeypatch)
    stores = [(f"store_{i}", 50.0 + i) for i in range(1, 31)]
    series = _panel([("total", 2000.0), *stores])
    # store_3 (small) breaks in the last fold: its MASE is the fold's worst
    last = series["ds"] >= series["ds"].max() - pd.Timedelta(days=13)
    series.loc[(series["series_id"] == "store_3") & last, "y"] *= 4
    res = backtest(SeasonalNaiveForecaster(), series, None, horizon=14, n_folds=1,
                   plot_dir=tmp_path)
    assert len(res.plots) == FOLD_PLOT_SERIES // 4
    panels = [t for _, titles in saved for t in titles[1:]]
    assert len(panels) == FOLD_PLOT_SERIES
    assert any(t.endswith(" - total") or " - total:" in t for t in panels)
    assert any(" - store_30:" in t for t in panels)  # the largest store
    assert any(" - store_3:" in t for t in panels)  # the worst scored
    assert f"of {FOLD_PLOT_SERIES} of 31 series" in saved[0][1][0]
    assert "backtest_folds.csv" in saved[0][1][0]
    assert any(f"draw {FOLD_PLOT_SERIES} of 31 series" in n for n in res.notes)


def test_event_names_on_a_chart_never_touch_each_other(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's fold from 2025-11-01: 'Double 11 presale' ran into the newsletter's name of
    its first day (9 pixels apart, read as one name), and a name on the last day crossed the
    panel's right edge. Each name written is clear of every other by its drawn extent (3
    points across, 10 along the text) and inside the panel."""
    from matplotlib.figure import Figure

    panels: list[tuple[Any, list[tuple[str, Any]]]] = []

    def keep(fig: Figure, *args: object, **kwargs: object) -> None:
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        scale = fig.dpi / 72
        panels.extend(((ax.get_window_extent(renderer), scale),
                       [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts
                        if t.get_visible() and t.get_rotation() == 90]) for ax in fig.axes)

    monkeypatch.setattr(Figure, "savefig", keep)
    ds = pd.date_range("2025-05-01", "2025-12-30", freq="D")
    y = 100 + 10 * np.sin(np.arange(len(ds)) / 7)
    past = ds < "2025-11-01"
    history = pd.DataFrame({"series_id": "total", "ds": ds[past], "y": y[past]})
    fc = pd.DataFrame({"series_id": "total", "ds": ds[~past], "p10": 90.0, "p50": 100.0,
                       "p90": 110.0, "y": 100.0})
    events = [("Newsletter", "2025-10-21", "2025-10-21"), ("Payday promo", "2025-10-25",
              "2025-10-25"), ("Double 11 presale", "2025-11-04", "2025-11-10"),
              ("Newsletter", "2025-11-04", "2025-11-04"), ("Double 11", "2025-11-11",
              "2025-11-11"), ("Newsletter", "2025-11-18", "2025-11-18"),
              ("Black Friday", "2025-11-28", "2025-12-01"), ("Newsletter", "2025-12-02",
              "2025-12-02"), ("Newsletter", "2025-12-16", "2025-12-16"),
              ("Christmas", "2025-12-24", "2025-12-26"), ("Payday promo", "2025-12-25",
              "2025-12-25"), ("Newsletter", "2025-12-30", "2025-12-30")]
    cal = pd.DataFrame([{"name": n, "start": a, "end": b, "kind": "promotion",
                         "channel": None, "intensity": 0.1} for n, a, b in events])
    for n in (4, 1):  # a page of 4 panels and one of a single, shorter panel
        ids = ["total", *(f"store_{i}" for i in range(1, n))]
        plot_fold(pd.concat([history.assign(series_id=i) for i in ids]),
                  pd.concat([fc.assign(series_id=i) for i in ids]), cal,
                  "lightgbm fold 3 (origin 2025-11-01)", tmp_path / "f.png", series=ids,
                  note="page")
    assert len(panels) == 5
    for (frame, scale), names in panels:
        assert len(names) >= 6  # names are still written
        for i, (a, box_a) in enumerate(names):
            assert box_a.x1 <= frame.x1 + 1, a
            assert box_a.y0 >= frame.y0 - 1, a
            for b, box_b in names[i + 1:]:
                near = (box_a.x0 - 3 * scale < box_b.x1 and box_b.x0 - 3 * scale < box_a.x1
                        and box_a.y0 - 10 * scale < box_b.y1
                        and box_b.y0 - 10 * scale < box_a.y1)
                assert not near, (a, b)
