"""A series with no live history and a planned launch: forecast from how other series started."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training import LightGBMForecaster, _forecast_starts
from training._forecast_live import LiveStart, live_start, start_event
from training._forecast_notes import sparse_series_note
from training._forecast_panel import prepare_panel, started_panel
from training._forecast_peak_notes import calendar_novelty_notes
from training._forecast_starts import start_notes

ORIGIN = pd.Timestamp("2025-09-30")
WEEK = np.array([1.0, 1.05, 1.05, 1.0, 0.95, 0.75, 0.7])


def _pages(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Five pages exported at 0 before their launch (a 14-day 'launch' event on their own
    channel), a launch peak 8x the level fading over a week; 'page-new' is 0 throughout and
    launches on 2025-10-07. Returns the history, the calendar and the launched pages' values
    on their launch day."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-06-01", ORIGIN, freq="D")
    launches = {"page-a": "2024-08-06", "page-b": "2024-11-12", "page-c": "2025-02-04",
                "page-d": "2025-04-15", "page-e": "2025-06-10"}
    frames, rows, day0 = [], [], []
    for (sid, at), base in zip(launches.items(), (400.0, 900.0, 1500.0, 700.0, 1100.0),
                               strict=True):
        t = np.asarray((ds - pd.Timestamp(at)).days, dtype=float)
        mu = base * (1 + 7 * np.exp(-np.maximum(t, 0) / 5)) * WEEK[ds.day_of_week]
        y = np.where(t >= 0, rng.poisson(mu * rng.lognormal(0, 0.1, len(ds))), 0).astype(float)
        frames.append(pd.DataFrame({"series_id": sid, "ds": ds, "y": y}))
        day0.append(y[t == 0][0])
        rows.append((f"Launch {sid}", at, str((pd.Timestamp(at) + pd.Timedelta(days=13)).date()),
                     "launch", sid))
    frames.append(pd.DataFrame({"series_id": "page-new", "ds": ds, "y": 0.0}))
    cal = pd.DataFrame(rows, columns=["name", "start", "end", "kind", "channel"])
    # a sale on every page: an event without a channel never counts as a start
    cal = pd.concat([cal, pd.DataFrame({"name": ["Sale"], "start": ["2025-03-03"],
                                        "end": ["2025-03-05"], "kind": ["sale"],
                                        "channel": [None]})], ignore_index=True)
    return pd.concat(frames, ignore_index=True), cal, np.array(day0)


def _launch(sid: str, at: str = "2025-10-07", kind: str = "launch") -> pd.DataFrame:
    end = str((pd.Timestamp(at) + pd.Timedelta(days=13)).date())
    return pd.DataFrame({"name": [f"Launch {sid}"], "start": [at], "end": [end],
                         "kind": [kind], "channel": [sid]})


def test_a_page_with_no_live_history_is_forecast_from_the_launched_pages_first_weeks(
        fast_gbm: dict) -> None:
    """Independent check: a page exported at 0 for its whole history, launching inside the
    horizon, was forecast at about 0 through its launch (its launch lift added to a level of
    0). It now gets the launched pages' typical first weeks: launch day near the geometric
    mean of their launch days (a hand computation, within the weekly shape's 30%), inside a
    wide band, 0 before the launch, and still live after the launch window ends."""
    series, cal, day0 = _pages()
    model = LightGBMForecaster(**fast_gbm).fit(series, cal)
    assert model.starts_["launch"].series == ("page-a", "page-b", "page-c", "page-d", "page-e")
    fc = model.predict(45, future_calendar=pd.concat([cal, _launch("page-new")]),
                       series=["page-new"]).set_index("ds")
    before = fc.loc[:"2025-10-06"]
    assert (before["p50"] <= 1).all()
    first = fc.loc[pd.Timestamp("2025-10-07")]
    geo = float(np.expm1(np.log1p(day0).mean()))  # the launch days' geometric mean
    assert geo / 1.3 < first["p50"] < geo * 1.3
    assert first["p10"] < day0.min() * 1.1
    assert first["p90"] > day0.max() / 1.1
    assert first["p90"] / first["p10"] > 2  # the launches' spread, not one page's noise
    after = fc.loc["2025-10-21":]  # past the 14-day window: the pages' level, not 0
    assert (after["p50"] > 300).all()
    assert (fc["p10"] <= fc["p50"]).all()
    assert (fc["p50"] <= fc["p90"]).all()
    # a forecast of every series gives it the same rows
    every = model.predict(45, future_calendar=pd.concat([cal, _launch("page-new")]))
    assert np.array_equal(every[every["series_id"] == "page-new"][["p10", "p50", "p90"]],
                          fc[["p10", "p50", "p90"]])
    (note,) = start_notes(model, pd.concat([cal, _launch("page-new")]),
                          ORIGIN + pd.Timedelta(days=1), ORIGIN + pd.Timedelta(days=45))
    assert note.startswith("1 series has no live history (only 0) and a planned start: "
                           "'page-new' from 'Launch page-new' (2025-10-07)")
    assert "kind 'launch': 5 series (page-a, page-b, page-c, page-d and 1 more)" in note
    # no other note reads it as a series with a borrowed launch lift, or as a sparse one
    future = pd.concat([cal, _launch("page-new")])
    assert not [n for n in calendar_novelty_notes(model, future, ORIGIN, ORIGIN + pd.Timedelta(
        days=45)) if "never had a past event" in n]
    assert sparse_series_note(model.panel_) is None


def test_no_level_is_invented_for_a_series_without_a_planned_start(fast_gbm: dict) -> None:
    """No launch in the horizon, or an event of a kind no series started with (a sale on its
    channel, the all-pages sale): about 0, and the note says why."""
    series, cal, _ = _pages()
    model = LightGBMForecaster(**fast_gbm).fit(series, cal)
    sale = _launch("page-new", kind="sale")
    late = _launch("page-new", at="2025-12-01")  # after the 45 days
    for future in (cal, pd.concat([cal, sale]), pd.concat([cal, late])):
        fc = model.predict(45, future_calendar=future, series=["page-new"])
        assert (fc["p50"] <= 1).all()
        (note,) = start_notes(model, future, ORIGIN + pd.Timedelta(days=1),
                              ORIGIN + pd.Timedelta(days=45), series=["page-new"])
        assert note.startswith("1 series has no live history (only 0): 'page-new'; it is "
                               "forecast at about 0: no event of its own channel")
        assert "'launch' (5 series)" in note
    # a live page is not named
    assert start_notes(model, cal, ORIGIN, ORIGIN + pd.Timedelta(days=45),
                       series=["page-a"]) == []


def test_one_launched_series_is_no_profile(fast_gbm: dict) -> None:
    """With a single series that started with a launch there is no spread to give: the page
    stays at about 0, and the note says that no start can be forecast."""
    series, cal, _ = _pages()
    keep = ["page-a", "page-new"]
    model = LightGBMForecaster(**fast_gbm).fit(series[series["series_id"].isin(keep)],
                                               cal[cal["channel"].isin(keep)])
    assert model.starts_ == {}
    future = pd.concat([cal[cal["channel"].isin(keep)], _launch("page-new")])
    fc = model.predict(30, future_calendar=future, series=["page-new"])
    assert fc["p50"].max() < 50
    (note,) = start_notes(model, future, ORIGIN, ORIGIN + pd.Timedelta(days=30))
    assert "no series of this model started with an event of its own channel" in note


def test_a_kind_whose_events_are_mostly_not_starts_is_no_way_to_start() -> None:
    """Promotions on each page's channel, two of which hold a page's first day (from the day
    before its launch): the launch, the event that began nearest the first day, is the start.
    Without those pages' launches in the calendar the promotion is the start of 2 pages, but
    in 2 of its 12 events only: not a way to start (the launch, 2 of 2, still is)."""
    from training._forecast_panel import prepare_panel, started_panel
    from training._forecast_starts import fit_start_profiles

    series, cal, _ = _pages()
    promos = [("Promo", str(d.date()), str((d + pd.Timedelta(days=3)).date()), "promotion", sid)
              for sid, days in (("page-a", ("2024-08-05", "2025-01-10")),
                                ("page-b", ("2024-11-11", "2025-02-10")),
                                ("page-c", ("2025-02-03", "2025-03-10", "2025-05-05")),
                                ("page-d", ("2025-04-14", "2025-05-12", "2025-07-07")),
                                ("page-e", ("2025-07-14", "2025-08-11")))
              for d in map(pd.Timestamp, days)]
    cal = pd.concat([cal, pd.DataFrame(promos, columns=["name", "start", "end", "kind",
                                                        "channel"])], ignore_index=True)
    panel, _ = started_panel(prepare_panel(series))
    profiles = fit_start_profiles(panel, cal, 60)
    assert list(profiles) == ["launch"]
    assert len(profiles["launch"].series) == 5
    only = cal[(cal["kind"] != "launch") | cal["channel"].isin(["page-a", "page-b"])]
    assert list(fit_start_profiles(panel, only, 60)) == ["launch"]
    assert fit_start_profiles(panel, only, 60)["launch"].series == ("page-a", "page-b")


def test_a_series_of_zeros_is_still_named_at_predict_by_a_model_that_does_not_forecast_starts(
        fast_gbm: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """A model saved before start profiles (or one that does not forecast starts) gets no
    ``start_notes``; the sparse note had named its series of zeros only before 2026-12-05 and
    must still, or predict says nothing about a page it forecasts at about 0."""
    import serving._cli_forecast_model as cli

    series, cal, _ = _pages()
    model = LightGBMForecaster(**fast_gbm).fit(series, cal)
    notes: list[str] = []
    monkeypatch.setattr(cli, "show_note", notes.append)
    cli._describe_model("m", model, 14)
    assert not [n for n in notes if "'page-new'" in n]  # start_notes names it for this model
    del model.starts_  # as a model pickled before 2026-12-05
    assert start_notes(model, cal, ORIGIN, ORIGIN + pd.Timedelta(days=14)) == []
    cli._describe_model("m", model, 14)
    assert [n for n in notes if "'page-new' (100%)" in n]



def test_a_launch_forecast_has_no_lift_over_a_baseline_of_nothing() -> None:
    """The no-event baseline of a series of zeros only is about 0 (1.6e-05 on the generated
    pages of the review): its launch peak's lift over it had read +25,569,879,963% in the
    peaks table, the CLI and the API (``series_levels`` gives such a series the average 0, so
    ``LIFT_FLOOR`` had no floor for it). No lift is given, and the note says why."""
    from training._forecast_peak_notes import withheld_lift_note
    from training._forecast_peaks import peak_summary

    ds = pd.date_range("2025-10-01", periods=10, freq="D")
    p50 = np.where(ds >= pd.Timestamp("2025-10-05"), 4047.0, 1.6e-05)
    fc = pd.DataFrame({"series_id": "page-new", "ds": ds, "p10": p50 / 3, "p50": p50,
                       "p90": p50 * 3})
    base = fc.assign(p50=1.6e-05)
    peaks = peak_summary(fc, _launch("page-new", at="2025-10-05"), base, None,
                         {"page-new": 0.0})
    assert len(peaks) == 2
    assert peaks["lift_pct"].isna().all()
    note = withheld_lift_note(peaks)
    assert note is not None
    assert "'page-new'" in note
    assert "no history above 0" in note
    # a live series keeps its lift
    live = peak_summary(fc.assign(series_id="page-a"), None, base.assign(series_id="page-a"),
                        None, {"page-a": 300.0})
    assert live["lift_pct"].isna().all()  # a baseline under 5% of its average, as before
    kept = peak_summary(fc.assign(series_id="page-a"), None,
                        base.assign(series_id="page-a", p50=2000.0), None, {"page-a": 300.0})
    assert kept["lift_pct"].iloc[0] == pytest.approx(100 * (4047 / 2000 - 1))


def test_each_metric_starts_from_its_own_series(fast_gbm: dict) -> None:
    """Independent check (60 stores, `orders:store_7` and `revenue:store_7` ids, openings as
    events on the store's channel): the orders and the revenue of the stores that opened were
    pooled into one profile, so a new store's orders and its revenue were both forecast at the
    geometric mean of the two (orders about 5x too high, revenue 5x too low). Each metric now
    starts from the series of its own metric."""
    series, cal, day0 = _pages()
    orders = series.assign(series_id="orders:" + series["series_id"],
                           y=np.round(series["y"] * 0.02))
    model = LightGBMForecaster(**fast_gbm).fit(pd.concat([series, orders]), cal)
    assert set(model.starts_) == {"launch", "orders:launch"}
    assert model.starts_["orders:launch"].series == tuple(
        f"orders:page-{c}" for c in "abcde")
    future = pd.concat([cal, _launch("page-new")])
    fc = model.predict(45, future_calendar=future,
                       series=["page-new", "orders:page-new"]).set_index(["series_id", "ds"])
    day = pd.Timestamp("2025-10-07")
    geo = float(np.expm1(np.log1p(day0).mean()))
    geo_orders = float(np.expm1(np.log1p(np.round(day0 * 0.02)).mean()))
    assert geo / 1.3 < fc.loc[("page-new", day), "p50"] < geo * 1.3
    assert geo_orders / 1.3 < fc.loc[("orders:page-new", day), "p50"] < geo_orders * 1.3
    (note,) = start_notes(model, future, ORIGIN + pd.Timedelta(days=1),
                          ORIGIN + pd.Timedelta(days=45))
    assert "2 series have no live history (only 0) and a planned start" in note
    assert "kind 'launch': 5 orders series (orders:page-a" in note
    assert "kind 'launch': 5 series (page-a" in note


def test_other_events_in_the_first_weeks_are_not_part_of_the_start(fast_gbm: dict) -> None:
    """Independent check: one of three stores that opened before was closed on a public
    holiday (in the calendar, at 0) on its 22nd day, so every new store's 22nd day was
    forecast at a tenth of its level (27 orders on Black Friday against 258), with P90 5x
    P50 there. Days of other events are left out of the trajectories."""
    series, cal, _ = _pages()
    # page-c, launched on 2025-02-04, is closed (0) on its day 10: a holiday of every page
    closed = pd.Timestamp("2025-02-14")
    series.loc[(series["series_id"] == "page-c") & (series["ds"] == closed), "y"] = 0.0
    cal = pd.concat([cal, pd.DataFrame({"name": ["Holiday"], "start": [closed], "end": [closed],
                                        "kind": ["holiday"], "channel": [None]})],
                    ignore_index=True)
    model = LightGBMForecaster(**fast_gbm).fit(series, cal)
    prof = model.starts_["launch"]
    assert prof.n[10] == 4  # page-c's holiday is not part of its start
    fc = model.predict(45, future_calendar=pd.concat([cal, _launch("page-new")]),
                       series=["page-new"]).set_index("ds")
    day9, day10, day11 = (fc.loc[pd.Timestamp("2025-10-07") + pd.Timedelta(days=d)]
                          for d in (9, 10, 11))
    assert day10["p50"] > 0.7 * min(day9["p50"], day11["p50"])
    assert day10["p90"] / day10["p50"] < 2 * day9["p90"] / day9["p50"]


def _recent_launch(seed: int, lag: int) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Five pages launched over a year (x6 on launch day, fading with a 5-day time constant,
    past the 14-day window in the calendar); page-e launched ``lag`` days before the origin.
    Returns the history, the calendar and page-e's next 28 days."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-06-01", ORIGIN, freq="D")
    every = ds.append(pd.date_range(ORIGIN + pd.Timedelta(days=1), periods=28, freq="D"))
    launches = {"page-a": "2024-08-06", "page-b": "2024-11-12", "page-c": "2025-02-04",
                "page-d": "2025-04-15", "page-e": str((ORIGIN - pd.Timedelta(days=lag)).date())}
    frames, rows, truth = [], [], np.zeros(0)
    for (sid, at), base in zip(launches.items(), (400.0, 900.0, 1500.0, 700.0, 1000.0),
                               strict=True):
        t = np.asarray((every - pd.Timestamp(at)).days, dtype=float)
        mu = base * (1 + 5 * np.exp(-np.maximum(t, 0) / 5)) * WEEK[every.day_of_week]
        y = np.where(t >= 0, rng.poisson(mu), 0).astype(float)
        frames.append(pd.DataFrame({"series_id": sid, "ds": ds, "y": y[:len(ds)]}))
        truth = y[len(ds):]
        rows.append((f"Launch {sid}", at, str((pd.Timestamp(at) + pd.Timedelta(days=13)).date()),
                     "launch", sid))
    cal = pd.DataFrame(rows, columns=["name", "start", "end", "kind", "channel"])
    return pd.concat(frames, ignore_index=True), cal, truth


@pytest.mark.parametrize("seed", [0, 1])
def test_a_page_launched_weeks_ago_falls_with_the_others_from_its_age(seed: int) -> None:
    """Reviewer's check: a page launched 20 days before the origin reads its level on the 4
    event-free days after its launch window, still ~12% over where it settles; its forecast
    ran 14% / 9% high and its 80% band held 4% / 14% of the next 28 days. The pages launched
    before show how far a page falls from that age on."""
    series, cal, truth = _recent_launch(seed, lag=20)
    model = LightGBMForecaster(n_estimators=60, max_rows=4000, horizons_per_origin=8).fit(
        series, cal)
    assert set(model.young_) == {"page-e"}  # the pages launched long ago are not moved
    fc = model.predict(28, series=["page-e"])
    assert 0.95 < fc["p50"].sum() / truth.sum() < 1.05
    inside = (truth >= fc["p10"].to_numpy()) & (truth <= fc["p90"].to_numpy())
    assert inside.mean() >= 0.6


@pytest.mark.parametrize("seed", [0, 1])
def test_a_page_whose_launch_has_faded_is_not_moved_by_the_other_pages_noise(seed: int) -> None:
    """Independent check: 40 days after its launch (0.2% of the launch lift left) a page was
    still moved by the other pages' mean move from that age, which is their noise (summed
    P50 1.027 -> 1.034 of the truth on seed 0), and its band widened by their spread. A
    move the starters do not clearly agree on (Student's t on its standard error) moves
    neither the forecast nor its band."""
    series, cal, _ = _recent_launch(seed, lag=40)
    model = LightGBMForecaster(n_estimators=60, max_rows=4000, horizons_per_origin=8).fit(
        series, cal)
    assert "page-e" not in model.young_
    fc = model.predict(28, series=["page-e"])
    model.young_ = {}
    plain = model.predict(28, series=["page-e"])
    pd.testing.assert_frame_equal(fc, plain)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_page_with_only_launch_days_is_not_cleaned_to_its_own_shoulder_days(
        seed: int) -> None:
    """Reviewer's check: 15 days after its launch a page's history is its 14-day launch
    window and 2 shoulder days, no event-free day. The window days were cleaned to those
    shoulder days (~1.4x the level the page settles at) and the forecast ran 1.39x / 1.31x
    high with 0% / 4% of the next 28 days inside its 80% band. Its event days are now
    cleaned of the launch lift learned on the other pages."""
    series, cal, truth = _recent_launch(seed, lag=15)
    model = LightGBMForecaster(n_estimators=60, max_rows=4000, horizons_per_origin=8).fit(
        series, cal)
    clean = np.expm1(model.effects_.clean_["page-e"])
    settled = 1000.0 * WEEK.mean()
    assert np.median(clean) < 1.2 * settled  # not the shoulder days' 1.4x
    fc = model.predict(28, series=["page-e"])
    assert 0.85 < fc["p50"].sum() / truth.sum() < 1.15
    inside = (truth >= fc["p10"].to_numpy()) & (truth <= fc["p90"].to_numpy())
    assert inside.mean() >= 0.4


@pytest.mark.parametrize(("lag", "seed"), [(10, 0), (10, 1), (15, 0), (15, 1)])
def test_a_page_whose_last_week_is_all_launch_days_takes_its_level_from_the_others_at_its_age(
        lag: int, seed: int) -> None:
    """Reviewer's check: 10 or 15 days after its launch a page's last week is all launch
    window and shoulder days, no event-free day to read its level on; it was not moved with
    the other pages (``young_``), and its level was whatever the cleaning made of the launch
    days: 28-day sums 1.07 / 1.04 (lag 10) and 0.92 / 0.89 (lag 15) of the truth, 80%
    coverage 68% / 75% and 82% / 50%. Its level is now the other pages' at the same age,
    scaled by how its own launch days stood to theirs."""
    series, cal, truth = _recent_launch(seed, lag=lag)
    model = LightGBMForecaster(n_estimators=60, max_rows=4000, horizons_per_origin=8).fit(
        series, cal)
    assert set(model.young_) == {"page-e"}
    fc = model.predict(28, series=["page-e"])
    assert 0.94 < fc["p50"].sum() / truth.sum() < 1.06
    inside = (truth >= fc["p10"].to_numpy()) & (truth <= fc["p90"].to_numpy())
    assert inside.mean() >= 0.7


def test_the_starts_are_found_once_per_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    """``young_shifts`` reads the starters and their start days from the profiles
    (``StartProfile.starts``) instead of finding them again (a second pass over the calendar
    per fit)."""
    from training import _forecast_starts

    calls = []
    found = _forecast_starts._starts

    def counted(*args: object, **kwargs: object) -> pd.DataFrame:
        calls.append(1)
        return found(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_forecast_starts, "_starts", counted)
    series, cal, _ = _recent_launch(0, lag=20)
    model = LightGBMForecaster(n_estimators=20, max_rows=2000, horizons_per_origin=4).fit(
        series, cal)
    assert len(calls) == 1
    prof = model.starts_["launch"]
    assert prof.starts == tuple(pd.to_datetime(cal.set_index("channel").loc[list(prof.series),
                                                                         "start"]))
    assert set(model.young_) == {"page-e"}


def test_other_planned_events_in_the_first_weeks_add_their_lifts(fast_gbm: dict) -> None:
    """Independent check: Black Friday on a new store's day 22 was forecast at 142 against 258,
    as on an ordinary day: the other planned events of a new series' first weeks added nothing.
    They now add the lift a series that never had them gets (the kind's, here x2 on the sale
    days), with its spread in the band; the days off the sale and the launch itself (its kind's
    own lift is the profile) are as without the sale."""
    series, cal, _ = _pages()
    sales = pd.date_range("2024-07-01", "2025-09-15", freq="7W-MON")
    for at in sales:  # a 3-day sale on every page, x2 (the new page is 0 throughout)
        on = (series["ds"] >= at) & (series["ds"] <= at + pd.Timedelta(days=2))
        series.loc[on, "y"] = (series.loc[on, "y"] * 2).round()
    cal = pd.concat([cal, pd.DataFrame({
        "name": [f"Sale {k}" for k in range(len(sales))], "start": sales,
        "end": sales + pd.Timedelta(days=2), "kind": "sale", "channel": None})],
        ignore_index=True)
    model = LightGBMForecaster(**fast_gbm).fit(series, cal)
    plain = pd.concat([cal, _launch("page-new")])
    sale = pd.DataFrame({"name": ["Sale autumn"], "start": ["2025-10-27"],
                         "end": ["2025-10-29"], "kind": ["sale"], "channel": [None]})
    without = model.predict(45, future_calendar=plain, series=["page-new"]).set_index("ds")
    with_sale = model.predict(45, future_calendar=pd.concat([plain, sale]),
                              series=["page-new"]).set_index("ds")
    days = pd.date_range("2025-10-27", "2025-10-29")
    ratio = with_sale.loc[days, "p50"] / without.loc[days, "p50"]
    assert (ratio > 1.6).all()
    assert (ratio < 2.5).all()
    # the sale's spread beyond the day's noise (none here: every sale is exactly x2) never
    # narrows the band there (to the bands' rounding to whole visits: 0.5 in 383)
    width = np.log(with_sale.loc[days, "p90"] / with_sale.loc[days, "p10"])
    assert (width >= np.log(without.loc[days, "p90"] / without.loc[days, "p10"]) - 2e-3).all()
    far = ((without.index < pd.Timestamp("2025-10-24"))
           | (without.index > pd.Timestamp("2025-11-02")))
    assert np.allclose(with_sale.loc[far, ["p10", "p50", "p90"]],
                       without.loc[far, ["p10", "p50", "p90"]])


def _sized_launches(intensities: list[float], seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Six pages of one level launched over a year, each launch's log lift 1.5 x its
    intensity fading with a 4-day time constant, and 'page-new' at 0 throughout."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-06-01", ORIGIN, freq="D")
    frames, rows = [], []
    for j, inten in enumerate(intensities):
        sid, at = f"page-{j}", pd.Timestamp("2024-08-06") + pd.Timedelta(days=45 * j)
        t = np.asarray((ds - at).days, dtype=float)
        mu = 600 * np.exp(1.5 * inten * np.exp(-np.maximum(t, 0) / 4)) * WEEK[ds.day_of_week]
        y = np.where(t >= 0, rng.poisson(mu * rng.lognormal(0, 0.1, len(ds))), 0).astype(float)
        frames.append(pd.DataFrame({"series_id": sid, "ds": ds, "y": y}))
        rows.append((f"Launch {sid}", at, at + pd.Timedelta(days=13), "launch", sid, inten))
    frames.append(pd.DataFrame({"series_id": "page-new", "ds": ds, "y": 0.0}))
    cal = pd.DataFrame(rows, columns=["name", "start", "end", "kind", "channel", "intensity"])
    return pd.concat(frames, ignore_index=True), cal


def _new_launch(intensity: float) -> pd.DataFrame:
    return _launch("page-new").assign(intensity=intensity)


def test_a_launchs_intensity_sizes_its_start_as_it_sizes_a_lift(fast_gbm: dict) -> None:
    """Nothing had sized an individual launch: a launch planned at intensity 2 and one at 0.5
    were forecast alike, inside a band as wide as the starters' launches differed. With
    starters whose launches' intensities differ, the launch days move by the kind's lift per
    unit of intensity (as a lift does elsewhere); the band is the spread the intensities do
    not explain; beyond the intensities seen the size stays at the largest and the band
    widens upwards; after the launch window and its shoulders nothing moves."""
    series, cal = _sized_launches([0.5, 1.0, 1.5, 2.0, 0.8, 1.2])
    model = LightGBMForecaster(**fast_gbm).fit(series, cal)
    size = model.starts_["launch"].size
    assert size is not None
    assert (size.low, size.high) == (0.5, 2.0)
    assert 1.2 < size.per_unit["d0"] < 1.8  # the generator's 1.5 per unit
    day0 = pd.Timestamp("2025-10-07")

    def launch(intensity: float) -> pd.DataFrame:
        return model.predict(45, future_calendar=pd.concat([cal, _new_launch(intensity)]),
                             series=["page-new"]).set_index("ds")

    small, big, beyond = launch(0.5), launch(2.0), launch(4.0)
    truth = np.exp(1.5 * 1.5)  # launch day at intensity 2 against 0.5
    assert truth / 1.35 < big.loc[day0, "p50"] / small.loc[day0, "p50"] < truth * 1.35
    on = big.index >= day0  # (the days before keep the model's forecast of about 0)
    assert np.allclose(beyond.loc[on, ["p10", "p50"]], big.loc[on, ["p10", "p50"]])
    # the band widens towards the bigger launch the history cannot size, as a lift's does
    assert beyond.loc[day0, "p90"] > 2 * big.loc[day0, "p90"]
    late = big.index >= day0 + pd.Timedelta(days=17)
    assert np.allclose(beyond.loc[late, "p90"], big.loc[late, "p90"])
    # the launch days' band, with the intensities' part explained, is narrower than the
    # starters' raw spread (P90/P10 of 3x to 6x at launch on the pages' own 1.4x noise)
    assert big.loc[day0, "p90"] / big.loc[day0, "p10"] < 3
    assert np.allclose(big.loc[late, ["p10", "p50", "p90"]],
                       small.loc[late, ["p10", "p50", "p90"]])


def test_starters_of_one_intensity_do_not_size_a_launch(fast_gbm: dict) -> None:
    """Where every starter's launch had the same intensity there is nothing to measure a size
    by: a launch planned at 2 is forecast as one at 0.5 (today's behaviour), and the note
    says so."""
    series, cal = _sized_launches([1.0] * 6)
    model = LightGBMForecaster(**fast_gbm).fit(series, cal)
    assert model.starts_["launch"].size is None
    one, two = (model.predict(45, future_calendar=pd.concat([cal, _new_launch(i)]),
                              series=["page-new"]).set_index("ds") for i in (0.5, 2.0))
    on = one.index >= pd.Timestamp("2025-10-07")  # the days before: about 0, as before
    assert np.array_equal(one.loc[on, ["p10", "p50", "p90"]], two.loc[on, ["p10", "p50", "p90"]])
    (note,) = start_notes(model, pd.concat([cal, _new_launch(2.0)]), ORIGIN,
                          ORIGIN + pd.Timedelta(days=45))
    assert "the starters' events all had intensity 1" in note


def _settled_page(outage_day: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A page launched 2025-09-01 (x6 on the day, fading with a 4-day time constant, past
    its 14-day window) whose working week 15 days after the window runs 10% low, beside a
    page live all year; ``outage_day``: days after the launch of a 5-day drop to 30%."""
    rng = np.random.default_rng(0)
    ds = pd.date_range("2025-01-06", "2025-12-28", freq="D")
    week = np.array([1.0, 1.05, 1.03, 1.0, 0.9, 0.55, 0.5])[ds.day_of_week]
    launch = pd.Timestamp("2025-09-01")
    k = np.asarray((ds - launch).days)
    page = np.where(k < 0, 0.0, 900 * week * (1 + 5 * np.exp(-np.maximum(k, 0) / 4))
                    * np.where((k >= 28) & (k <= 32), 0.9, 1.0))
    if outage_day is not None:
        page = page * np.where((k >= outage_day) & (k < outage_day + 5), 0.3, 1.0)
    series = pd.concat([pd.DataFrame({"series_id": sid, "ds": ds,
                                      "y": (y * np.exp(rng.normal(0, 0.05, len(ds)))).round()})
                        for sid, y in (("page-new", page), ("page-old", 1200 * week))])
    cal = pd.DataFrame({"name": ["Launch page-new"], "start": [launch],
                        "end": [launch + pd.Timedelta(days=13)], "kind": ["launch"],
                        "channel": ["page-new"], "intensity": [np.nan]})
    return series, cal


def test_the_level_a_page_settles_at_after_its_launch_is_no_drop() -> None:
    """Reviewer's check: 15 days after its launch window a page's quieter working week was
    named a drop ('2026-05-18 .. 2026-05-22 (5 days) in 'mistral-ai''), left out of the event
    baselines: its reference, the same weekday's trailing values, was the launch and its
    tail. The reference reads no launch window nor the 4 weeks after it; a real outage later
    is still named."""
    from training._forecast_clip import _winsorize
    from training._forecast_notes import unmarked_drop_note
    from training._forecast_panel import prepare_panel

    series, cal = _settled_page()
    assert unmarked_drop_note(prepare_panel(series, "none"), cal) is None
    # the forecaster's own mask (the event baselines' unmarked drops) agrees
    model = LightGBMForecaster(n_estimators=20, max_rows=2000, horizons_per_origin=4)
    panel = model.fit(series, cal).panel_
    windows = _forecast_starts.start_windows(panel, model.calendar_)
    assert set(windows) == {"page-new"}
    g = panel.series["page-new"]
    drops = _winsorize(panel.fwd(g.y), 7, model.clip_sd, shift_run=5,
                       unusual=windows["page-new"])[3]
    assert not drops.any()
    # 10 weeks after the launch, a 5-day outage is named
    series, cal = _settled_page(outage_day=70)
    note = unmarked_drop_note(prepare_panel(series, "none"), cal)
    assert note is not None
    assert "2025-11-10 .. 2025-11-14 (5 days) in 'page-new'" in note


@pytest.mark.parametrize("lead", [3, 5])
def test_a_page_exported_days_before_its_launch_is_cleaned_as_one_exported_from_it(
        lead: int) -> None:
    """Reviewer's check: the same page 15 days after its launch, exported from ``lead`` days
    before it (too few zeros to be cut off as a start after weeks at 0). Those zeros were read
    as a level of its own: its launch days were cleaned to them (median 0.73x / 0.03x the
    level it settles at) and its forecast ran 6.7x / 66x high. Its event days are cleaned as
    those of the page exported from its launch."""
    series, cal, truth = _recent_launch(0, lag=15)
    at = ORIGIN - pd.Timedelta(days=15)
    series = series[(series["series_id"] != "page-e")
                    | (series["ds"] >= at - pd.Timedelta(days=lead))]
    model = LightGBMForecaster(n_estimators=60, max_rows=4000, horizons_per_origin=8).fit(
        series, cal)
    assert model.started_["page-e"] == at  # its zeros before the launch are cut off
    y = model.panel_.series["page-e"].y
    clean = np.expm1(model.effects_.clean_["page-e"])[y > 0]
    settled = 1000.0 * WEEK.mean()
    assert 0.8 * settled < np.median(clean) < 1.2 * settled
    fc = model.predict(28, series=["page-e"])
    assert 0.8 < fc["p50"].sum() / truth.sum() < 1.4


def test_the_live_start_rule() -> None:
    """``live_start``, the one rule of where a series starts: its first live value; the zeros
    before it cut whatever their number when it starts an event of its own channel (its window
    or the lead days before it, the nearest of several), else from 28 days of them on; a
    first live value on the data's first period starts nothing."""
    ds = pd.date_range("2025-01-01", periods=60, freq="D")
    y = np.r_[np.zeros(10), np.ones(50)]
    launch = pd.Timestamp("2025-01-12")  # first live 2025-01-11: one day before it
    starts = np.array([pd.Timestamp("2024-12-01"), launch], dtype="datetime64[ns]")
    ends = starts + np.timedelta64(13, "D")
    assert live_start(y, 1) == LiveStart(first=10, event=None, cut=0)  # a closure, maybe
    assert live_start(np.r_[np.zeros(28), y], 1) == LiveStart(first=38, event=None, cut=38)
    assert live_start(y, 1, ds, starts, ends) == LiveStart(first=10, event=1, cut=10)
    assert live_start(y, 1, ds, starts, ends, lead_days=0).event is None
    assert live_start(y, 1, ds, starts, ends, after=ds[10]).event is None
    assert live_start(np.zeros(5), 1) == LiveStart(first=None, event=None, cut=0)
    # hourly: 28 days are 672 hours
    assert live_start(np.r_[np.zeros(671), 1.0], 24).cut == 0
    assert live_start(np.r_[np.zeros(672), 1.0], 24).cut == 672
    assert start_event(launch, starts, ends) == 1
    assert start_event(launch + pd.Timedelta(days=14), starts, ends) is None


@pytest.mark.parametrize("lead", [3, 10, 20, 27])
def test_zeros_before_a_planned_launch_are_no_history_whatever_their_number(lead: int) -> None:
    """Reviewer's check: a page launched 7 days before the origin, exported ``lead`` days
    before its launch. Under 28 days its zeros were kept and read by the trees as its past
    (lags, rolling means, level): the next 28 days' P50 summed 34.9x (3 days), 3.1x (10),
    419x (20) and 13,282x (27) the truth, against 1.04x exported 35 days before. Its zeros
    before the launch in the calendar are now cut whatever their number: the same forecast
    as the page exported from its launch."""
    series, cal, truth = _recent_launch(0, lag=7)
    at = ORIGIN - pd.Timedelta(days=7)
    page = series["series_id"] == "page-e"

    def forecast(rows: pd.DataFrame) -> tuple[pd.DataFrame, LightGBMForecaster]:
        model = LightGBMForecaster(n_estimators=60, max_rows=4000, horizons_per_origin=8).fit(
            rows, cal)
        return model.predict(28, series=["page-e"]), model

    fc, model = forecast(series[~page | (series["ds"] >= at - pd.Timedelta(days=lead))])
    assert model.started_["page-e"] == at
    assert 0.9 < fc["p50"].sum() / truth.sum() < 1.15
    launched, _ = forecast(series[~page | (series["ds"] >= at)])
    pd.testing.assert_frame_equal(fc, launched)


def test_zeros_with_no_planned_start_stay_under_28_days() -> None:
    """Without an event of its own channel at its first live value, a series' first days at 0
    may be a business closed: under 28 days of them stay (``started_panel``), with or without
    a calendar; a launch in the calendar cuts them."""
    ds = pd.date_range("2025-01-01", periods=80, freq="D")
    y = np.r_[np.zeros(10), np.full(70, 5.0)]
    series = pd.DataFrame({"series_id": "page-x", "ds": ds, "y": y})
    panel = prepare_panel(series, "none")
    other = pd.DataFrame({"name": ["Sale"], "start": ["2025-01-11"], "end": ["2025-01-13"],
                          "kind": ["sale"], "channel": ["page-y"]})
    assert started_panel(panel)[1] == {}
    assert started_panel(panel, other)[1] == {}
    mine = other.assign(channel="page-x", kind="launch")
    cut, started = started_panel(panel, mine)
    assert started == {"page-x": ds[10]}
    assert len(cut.series["page-x"].y) == 70


def _fading(seed: int, lag: int, tau: float) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Five pages launched over a year (x8 on launch day, 14-day window in the calendar),
    their launches fading with time constants of 4, 6, 5 and 8 days; page-e launched ``lag``
    days before the origin, fading with ``tau``. Returns the history, the calendar and
    page-e's next 28 days."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-06-01", ORIGIN, freq="D")
    every = ds.append(pd.date_range(ORIGIN + pd.Timedelta(days=1), periods=28, freq="D"))
    launches = {"page-a": ("2024-08-06", 4.0), "page-b": ("2024-11-12", 6.0),
                "page-c": ("2025-02-04", 5.0), "page-d": ("2025-04-15", 8.0),
                "page-e": (str((ORIGIN - pd.Timedelta(days=lag)).date()), tau)}
    frames, rows, truth = [], [], np.zeros(0)
    for (sid, (at, fade)), base in zip(launches.items(), (400.0, 900.0, 1500.0, 700.0, 1000.0),
                                       strict=True):
        t = np.asarray((every - pd.Timestamp(at)).days, dtype=float)
        mu = base * (1 + 7 * np.exp(-np.maximum(t, 0) / fade)) * WEEK[every.day_of_week]
        y = np.where(t >= 0, rng.poisson(mu * rng.lognormal(0, 0.08, len(every))), 0)
        frames.append(pd.DataFrame({"series_id": sid, "ds": ds, "y": y[:len(ds)].astype(float)}))
        truth = y[len(ds):].astype(float)
        rows.append((f"Launch {sid}", at, str((pd.Timestamp(at) + pd.Timedelta(days=13)).date()),
                     "launch", sid))
    cal = pd.DataFrame(rows, columns=["name", "start", "end", "kind", "channel"])
    return pd.concat(frames, ignore_index=True), cal, truth


@pytest.mark.parametrize(("tau", "seed", "low", "high"),
                         [(2.5, 0, 0.88, 1.12), (2.5, 1, 0.88, 1.12), (8.0, 0, 0.92, 1.08)])
def test_a_page_whose_launch_fades_faster_or_slower_than_the_others_gets_its_own_decay(
        tau: float, seed: int, low: float, high: float) -> None:
    """Independent check: a page launched 12 days before the origin whose launch faded in
    about 3.5 days, against 3-8 for the other launched pages, was forecast 46% low: its level
    was read against the others' at the same age, which still had more of their launch left.
    Here (time constant 2.5 against 4-8) the 28-day sums were 0.52 / 0.45 of the truth with
    4% / 11% of the days inside the 80% band, and a slower launch (8 days) 0.89. Its own
    decay, with the others' decays as the prior, reads its level."""
    series, cal, truth = _fading(seed, lag=12, tau=tau)
    model = LightGBMForecaster(n_estimators=60, max_rows=4000, horizons_per_origin=8).fit(
        series, cal)
    assert set(model.decays_) == {"page-e"}
    fc = model.predict(28, series=["page-e"])
    assert low < fc["p50"].sum() / truth.sum() < high
    inside = (truth >= fc["p10"].to_numpy()) & (truth <= fc["p90"].to_numpy())
    assert inside.mean() >= 0.7


@pytest.mark.parametrize(("lag", "own"), [(12, {"page-e"}), (30, set())])
def test_only_a_page_whose_history_is_mostly_its_launch_gets_a_decay_of_its_own(
        lag: int, own: set[str]) -> None:
    """The rule: under a week of periods past its start's window and shoulder days. 12 days
    after its launch a page gets its own decay; 30 days after, with 13 such days, it does not
    (the other starters' moves from its age, ``young_``, apply where their t test passes)."""
    series, cal, _ = _fading(0, lag=lag, tau=2.5)
    model = LightGBMForecaster(n_estimators=20, max_rows=2000, horizons_per_origin=4).fit(
        series, cal)
    assert set(model.decays_) == own


def test_the_decay_of_a_few_noisy_days_stays_near_the_prior_and_many_days_move_it() -> None:
    """The MAP fit (``_forecast_start_decay._fit``): exact values of 40 periods give back
    their curve; 3 noisy periods of a fast decay under a tight prior stay near the prior's
    decay, 20 move to their own; the level's uncertainty shrinks with the periods seen."""
    from training._forecast_start_decay import _curve, _fit

    truth = np.array([6.0, np.log(7.0), np.log(2.5)])
    t = np.arange(40.0)
    p, _ = _fit(t, _curve(t, truth), 100.0)  # type: ignore[misc]
    assert np.allclose(p, truth, atol=1e-4)
    prior = (np.log(7.0), 0.2, np.log(6.0), 0.1)
    z = _curve(t, truth) + np.random.default_rng(0).normal(0, 0.1, len(t))
    few, cov_few = _fit(t[:3], z[:3], 100.0, prior, 0.1)  # type: ignore[misc]
    many, cov_many = _fit(t[:20], z[:20], 100.0, prior, 0.1)  # type: ignore[misc]
    assert abs(few[2] - np.log(6.0)) < 0.2
    assert abs(many[2] - np.log(2.5)) < 0.25
    assert cov_many[0, 0] < cov_few[0, 0]


def test_the_earliest_launched_page_is_a_starter_when_every_series_is_cut() -> None:
    """Every page here is exported at 0 before its own launch, so ``started_panel`` cuts each
    one: the cut panel's first period was then page-a's launch day, and page-a, judged "live
    from the data's first period", was no starter (profiles of 4 pages, not 5). The start
    rule reads the data's first period before any cut (``Panel.start``): the starters are those
    of the panel as it came, and page-a's launch is its one start (no 'launch' asked for)."""
    from training._forecast_peak_notes import unplanned_kinds_notes
    from training._forecast_starts import find_starts

    series, cal, _ = _recent_launch(0, lag=20)
    panel = prepare_panel(series)
    cut, started = started_panel(panel, cal)
    assert set(started) == {"page-a", "page-b", "page-c", "page-d", "page-e"}
    assert cut.data_start == pd.Timestamp("2024-06-01")
    found = find_starts(cut, cal)
    assert list(found["series_id"]) == ["page-a", "page-b", "page-c", "page-d", "page-e"]
    pd.testing.assert_frame_equal(found, find_starts(panel, cal))
    model = LightGBMForecaster(n_estimators=20, max_rows=2000, horizons_per_origin=4).fit(
        series, cal)
    assert model.starts_["launch"].series == ("page-a", "page-b", "page-c", "page-d", "page-e")
    assert not unplanned_kinds_notes(model, cal, ORIGIN + pd.Timedelta(days=1),
                                     ORIGIN + pd.Timedelta(days=28))


@pytest.mark.parametrize("seed", [2, 3])
def test_a_page_a_month_after_its_launch_moves_with_every_earlier_starter(seed: int) -> None:
    """30 days after its launch: with page-a left out of the starters (every page cut, see
    above) the other three pages' mean move did not pass ``young_shifts``' t test, and the
    28-day sums ran 1.044 / 1.027 of the truth with 61% / 71% inside the 80% band (seeds 2 /
    3); with page-a, four starters: 1.010 / 1.004, 93% / 96%."""
    series, cal, truth = _recent_launch(seed, lag=30)
    model = LightGBMForecaster(n_estimators=60, max_rows=4000, horizons_per_origin=8).fit(
        series, cal)
    assert "page-e" in model.young_
    fc = model.predict(28, series=["page-e"])
    assert 0.97 < fc["p50"].sum() / truth.sum() < 1.03
    inside = (truth >= fc["p10"].to_numpy()) & (truth <= fc["p90"].to_numpy())
    assert inside.mean() >= 0.8


def test_a_sale_after_a_launch_keeps_its_lift_over_the_launched_forecast() -> None:
    """Independent check (2026-12-06): a page exported at 0 before its launch, launch and a
    site-wide sale planned in the horizon. The sale's baseline is the launched page without
    the sale (P50 2,669), its peak 3,908: +46% is what the sale adds, yet its lift_pct was
    left out with the launch's and the horizon's, over a no-event forecast of about 0, because
    a series of zeros had no average to judge a baseline by. Its forecast's own average now
    is: the sale keeps its lift, the launch and the horizon (over almost nothing) do not."""
    from training._forecast_peak_overlaps import _event_key
    from training._forecast_peaks import peak_summary

    ds = pd.date_range("2026-07-01", periods=30, freq="D")
    launched = ds >= pd.Timestamp("2026-07-15")
    sale = (ds >= pd.Timestamp("2026-07-20")) & (ds <= pd.Timestamp("2026-07-24"))
    p50 = np.where(launched, 2669.0, 1.6e-05) * np.where(sale, 3908 / 2669, 1.0)
    fc = pd.DataFrame({"series_id": "page_21", "ds": ds, "p10": p50 / 2, "p50": p50,
                       "p90": p50 * 2})
    cal = pd.concat([_launch("page_21", at="2026-07-15"),
                     pd.DataFrame({"name": ["Summer sale"], "start": ["2026-07-20"],
                                   "end": ["2026-07-24"], "kind": ["sale"],
                                   "channel": [None]})], ignore_index=True)
    no_event = fc.assign(p50=1.6e-05)
    without_sale = fc.assign(p50=np.where(launched, 2669.0, 1.6e-05))
    without = {_event_key("Summer sale", pd.Timestamp("2026-07-20"), None): without_sale,
               _event_key("Launch page_21", pd.Timestamp("2026-07-15"), "page_21"): no_event}
    peaks = peak_summary(fc, cal, no_event, None, {"page_21": 0.0}, without).set_index("window")
    assert peaks.loc["Summer sale", "baseline_p50"] == pytest.approx(2669.0)
    assert peaks.loc["Summer sale", "lift_pct"] == pytest.approx(100 * (3908 / 2669 - 1))
    assert np.isnan(peaks.loc["Launch page_21", "lift_pct"])  # over about 0: says nothing
    assert np.isnan(peaks.loc["horizon", "lift_pct"])
