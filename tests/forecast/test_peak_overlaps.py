"""Peak rows of events that share days: each row's lift is what its event adds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features._calendar import normalize_calendar
from training._forecast_gbm import LightGBMForecaster
from training._forecast_peaks import (
    forecast_with_peaks,
    forecasts_without,
    overlap_note,
    peak_summary,
)

SALE, LETTER = 0.7, 0.2  # the generated lifts on the log scale


def _world() -> tuple[pd.DataFrame, pd.DataFrame, pd.DatetimeIndex]:
    """A daily series with 3-day sales (+0.7) and a one-day newsletter every 14 days (+0.2),
    some of them on sale days (the two add): (series, history calendar, the 60 days after)."""
    rng = np.random.default_rng(3)
    ds = pd.date_range("2023-01-01", periods=800, freq="D")
    z = 7 + 0.04 * rng.standard_normal(len(ds))
    sales = [ds[k] for k in range(60, 780, 90)]
    letters = [ds[k] for k in range(5, 790, 14)]
    for s in sales:
        z[ds.get_loc(s):ds.get_loc(s) + 3] += SALE
    for d in letters:
        z[ds.get_loc(d)] += LETTER
    series = pd.DataFrame({"series_id": "total", "ds": ds, "y": np.expm1(z)})
    cal = pd.concat([
        pd.DataFrame({"name": "Sale", "start": sales,
                      "end": [s + pd.Timedelta(days=2) for s in sales], "kind": "sale"}),
        pd.DataFrame({"name": [f"Newsletter {d:%Y-%m-%d}" for d in letters], "start": letters,
                      "end": letters, "kind": "newsletter"})], ignore_index=True)
    return series, normalize_calendar(cal), pd.date_range(ds[-1] + pd.Timedelta(days=1),
                                                          periods=60, freq="D")


def _plan(future: pd.DatetimeIndex) -> pd.DataFrame:
    """Two sales with a newsletter on their middle day, and a newsletter alone."""
    return normalize_calendar(pd.DataFrame({
        "name": ["Sale", "Newsletter A", "Newsletter B", "Sale", "Newsletter C"],
        "start": [future[20], future[21], future[8], future[45], future[46]],
        "end": [future[22], future[21], future[8], future[47], future[46]],
        "kind": ["sale", "newsletter", "newsletter", "sale", "newsletter"]}))


def test_a_newsletter_on_a_sale_day_is_credited_with_its_own_lift(fast_gbm: dict) -> None:
    """The peak rows of a newsletter on a sale's day had both been read over the no-event
    forecast: the newsletter was credited with the sale (+146% for its +22%)."""
    series, cal, future = _world()
    model = LightGBMForecaster(**fast_gbm).fit(series, cal)
    plan = _plan(future)
    calls: list[list[str]] = []
    jobs: list[list[tuple[list[int], list[str]]]] = []
    original, without = model.predict, model.predict_without

    def spy(*args: object, **kw: object) -> pd.DataFrame:
        out = original(*args, **kw)  # type: ignore[arg-type]
        calls.append(sorted(set(out["series_id"])))
        return out

    def spy_without(horizon: int, cal: pd.DataFrame, asked: list, *rest: object
                    ) -> list[pd.DataFrame]:
        jobs.append(asked)
        return without(horizon, cal, asked, *rest)  # type: ignore[arg-type]

    model.predict = spy  # type: ignore[method-assign]
    model.predict_without = spy_without  # type: ignore[method-assign]
    res = forecast_with_peaks(model, 60, plan)
    peaks = res.peaks
    # forecast and no-event forecast; then, at once, the forecast without each of the four
    # events that share days (one pass: each its own job)
    assert len(calls) == 2
    assert [len(j) for j in jobs] == [4]
    # batched (a model that forecasts per job): one job without both sales and one without
    # both newsletters that share their days (far apart: left out together), same peak rows
    jobs.clear()
    batched = forecasts_without(plan, res.forecast,
                                lambda c, j: spy_without(60, c, j), batched=True)
    assert [len(j) for j in jobs] == [2]
    pd.testing.assert_frame_equal(
        peak_summary(res.forecast, plan, res.baseline, None, None, batched), peaks)
    lift = dict(zip(peaks["window"] + peaks["start"].dt.strftime(" %m-%d"),
                    peaks["lift_pct"], strict=True))
    own_letter, own_sale = 100 * np.expm1(LETTER), 100 * np.expm1(SALE)
    a = f"Newsletter A {future[21]:%m-%d}"
    assert lift[a] == pytest.approx(own_letter, rel=0.35)  # it read +146% (the two)
    assert lift[f"Newsletter C {future[46]:%m-%d}"] == pytest.approx(own_letter, rel=0.35)
    assert lift[f"Newsletter B {future[8]:%m-%d}"] == pytest.approx(own_letter, rel=0.35)
    for start in (future[20], future[45]):  # the sale over the forecast with the newsletter
        assert lift[f"Sale {start:%m-%d}"] == pytest.approx(own_sale, rel=0.2)
    both = 100 * np.expm1(SALE + LETTER)
    assert lift[f"horizon {future[0]:%m-%d}"] == pytest.approx(both, rel=0.2)  # unchanged
    note = overlap_note(plan, peaks.assign(ds=peaks["peak_ds"]))
    assert note is not None
    assert "'Newsletter A' (with 'Sale')" in note
    assert "Newsletter B" not in note


def test_an_event_no_other_reaches_needs_no_extra_forecast() -> None:
    fc = pd.DataFrame({"series_id": "total", "ds": pd.date_range("2026-01-01", periods=30),
                       "p10": 1.0, "p50": 2.0, "p90": 3.0})
    plan = normalize_calendar(pd.DataFrame({
        "name": ["A", "B"], "start": ["2026-01-05", "2026-01-20"],
        "end": ["2026-01-06", "2026-01-20"], "kind": ["sale", "newsletter"]}))

    def never(cal: pd.DataFrame, jobs: list) -> list[pd.DataFrame]:
        raise AssertionError("no forecast without an event is needed")

    assert forecasts_without(plan, fc, never) == {}
    assert overlap_note(plan, fc) is None
    # B on the third day after A: A's shoulder reaches it
    near = plan.assign(start=pd.to_datetime(["2026-01-05", "2026-01-09"]),
                       end=pd.to_datetime(["2026-01-06", "2026-01-09"]))
    assert "'B' (with 'A')" in str(overlap_note(near, fc))


def test_a_series_where_the_event_shares_no_day_keeps_the_no_event_baseline() -> None:
    """An e-mail push on a sale day of 'total' shares no day on 'channel=email' (the sale is
    social's): its e-mail row stays over the no-event forecast (it had read NaN there)."""
    ds = pd.date_range("2026-01-01", periods=10)
    fc = pd.concat([pd.DataFrame({"series_id": sid, "ds": ds, "p10": 1.0, "p50": 3.0,
                                  "p90": 4.0}) for sid in ("total", "channel=email")])
    base = fc.assign(p50=2.0)
    plan = normalize_calendar(pd.DataFrame({
        "name": ["Push", "Sale"], "start": ["2026-01-05"] * 2, "end": ["2026-01-05"] * 2,
        "kind": ["email", "sale"], "channel": ["email", "social"]}))
    calls: list[list[str]] = []

    def without(cal: pd.DataFrame, jobs: list[tuple[list[int], list[str]]]
                ) -> list[pd.DataFrame]:
        calls.extend(series for _, series in jobs)
        return [fc[fc["series_id"].isin(series)].assign(p50=2.5) for _, series in jobs]

    own = forecasts_without(plan, fc, without)
    assert calls == [["total"], ["total"]]  # the two share a day on 'total' only
    peaks = peak_summary(fc, plan, base, None, None, own).set_index(["series_id", "window"])
    assert peaks.loc[("total", "Push"), "baseline_p50"] == 2.5
    assert peaks.loc[("channel=email", "Push"), "baseline_p50"] == 2.0
    assert peaks.loc[("channel=email", "Push"), "lift_pct"] == pytest.approx(50.0)


def _shared_by_pairs(cal: pd.DataFrame, forecast: pd.DataFrame, reach: tuple[int, int]
                     ) -> tuple[list[tuple[int, list[str]]], dict[str, set[str]]]:
    """The rule of ``_shared_days`` written pair by pair: a row shares days on a series when
    another event (not a copy of it on another channel) that applies to the series reaches a
    forecast day of its window; and per name, the other names that do."""
    from features._calendar import applies_to

    pre, post = (pd.Timedelta(days=d) for d in reach)
    rows: dict[int, set[str]] = {}
    others: dict[str, set[str]] = {}
    event = list(zip(cal["name"], cal["kind"], cal["start"], cal["end"], strict=True))
    for sid, g in forecast.groupby("series_id"):
        first, last = g["ds"].min().normalize(), g["ds"].max().normalize()
        mine = np.flatnonzero(applies_to(cal, str(sid)))
        for i in mine:
            lo = max(cal["start"].iloc[i].normalize(), first)
            hi = min(cal["end"].iloc[i].normalize(), last)
            for j in mine:
                if lo > hi or event[i] == event[j]:
                    continue
                if (cal["start"].iloc[j].normalize() - pre <= hi
                        and cal["end"].iloc[j].normalize() + post >= lo):
                    rows.setdefault(int(i), set()).add(str(sid))
                    name, other = str(cal["name"].iloc[i]), str(cal["name"].iloc[j])
                    if other != name:
                        others.setdefault(name, set()).add(other)
    return [(i, sorted(s)) for i, s in sorted(rows.items())], others


@pytest.mark.parametrize("seed", range(6))
def test_the_shared_days_sweep_finds_what_comparing_every_pair_finds(seed: int) -> None:
    """``_shared_days`` and ``overlap_note``'s other names come from a sweep over the sorted
    reaches (a 10,000-row calendar had taken 5.5 s and 24 s as pairwise matrices); on random
    calendars with channels, copies of one event on two channels, one-day and long events,
    and series whose forecasts span different days, they agree with every pair compared."""
    from training._forecast_peak_overlaps import _others, _shared_days, _windows

    rng = np.random.default_rng(seed)
    origin = pd.Timestamp("2026-03-01")
    n = 60
    start = origin + pd.to_timedelta(rng.integers(-12, 40, n), unit="D")
    cal = pd.DataFrame({
        "name": [f"E{k % 23}" for k in range(n)], "start": start,
        "end": start + pd.to_timedelta(rng.choice([0, 0, 1, 2, 6, 20], n), unit="D"),
        "kind": rng.choice(["promo", "sale"], n),
        "channel": rng.choice(["email", "social", None], n)})
    # a copy of a row on another channel: the same event, never its own overlap
    copy = cal.iloc[[0]].assign(channel="social" if cal["channel"].iloc[0] != "social"
                                else "email")
    cal = normalize_calendar(pd.concat([cal, copy], ignore_index=True))
    days = pd.date_range(origin, periods=28, freq="D")
    forecast = pd.concat([
        pd.DataFrame({"series_id": "total", "ds": days}),
        pd.DataFrame({"series_id": "channel=email", "ds": days[:14]}),
        pd.DataFrame({"series_id": "channel=social", "ds": days[10:]})], ignore_index=True)
    reach = (2, 3)
    want_rows, want_others = _shared_by_pairs(cal, forecast, reach)
    assert want_rows, "the random calendar should have events that share days"
    assert _shared_days(cal, forecast, reach) == want_rows
    near = _windows(cal, forecast, reach)
    assert near is not None
    for name in {str(cal["name"].iloc[i]) for i, _ in want_rows}:
        assert _others(cal, near, name) == want_others.get(name, set()), name


def test_an_event_entered_on_two_channels_shares_no_day_with_itself() -> None:
    """On 'total', which takes every channel, the two copies of one sale reach each other's
    days; they are one event, so with the next event weeks away nothing shares days."""
    from training._forecast_peak_overlaps import _shared_days

    days = pd.date_range("2026-03-01", periods=40, freq="D")
    cal = normalize_calendar(pd.DataFrame({
        "name": ["Spring sale", "Spring sale", "Newsletter"],
        "start": [days[3], days[3], days[30]], "end": [days[5], days[5], days[30]],
        "kind": ["sale", "sale", "newsletter"], "channel": ["email", "social", "email"]}))
    forecast = pd.DataFrame({"series_id": "total", "ds": days})
    assert _shared_days(cal, forecast, (2, 3)) == []
    assert overlap_note(cal, forecast, (2, 3)) is None
    moved = cal.copy()
    moved.loc[moved["name"] == "Newsletter", ["start", "end"]] = days[7]
    assert [i for i, _ in _shared_days(moved, forecast, (2, 3))] == [0, 1, 2]


def _chain() -> tuple[pd.DataFrame, pd.DataFrame, pd.DatetimeIndex]:
    """Four stores ('s1'..'s4') and their 'total'. Two regions run 6-day promotions (+0.4 on
    the log scale) every 28 days, 14 days apart, entered once per store under the store's own
    name; a regional holiday closes each region's stores on its own day, also entered per
    store: (history, its calendar, the 42 days after)."""
    rng = np.random.default_rng(11)
    ds = pd.date_range("2024-01-01", periods=560, freq="D")
    region = {"s1": 0, "s2": 0, "s3": 1, "s4": 1}
    rows, frames, total = [], [], np.zeros(len(ds))
    for store, r in region.items():
        z = np.log(300 + 100 * r) + 0.05 * rng.standard_normal(len(ds))
        for k in range(r * 14, len(ds) + 42, 28):
            first = ds[0] + pd.Timedelta(days=k)
            rows.append((f"Promo {store} {first:%Y-%m-%d}", first, first + pd.Timedelta(days=5),
                         "promotion", store))
            z[(ds >= first) & (ds <= first + pd.Timedelta(days=5))] += 0.4
        y = np.round(np.exp(z))
        for year in (2024, 2025):
            day = pd.Timestamp(f"{year}-{5 + r}-20")
            rows.append((f"Region {r} holiday {year}", day, day, "holiday", store))
            y[ds == day] = 0
        frames.append(pd.DataFrame({"series_id": store, "ds": ds, "y": y}))
        total += y
    frames.append(pd.DataFrame({"series_id": "total", "ds": ds, "y": total}))
    cal = normalize_calendar(pd.DataFrame(rows, columns=["name", "start", "end", "kind",
                                                         "channel"]))
    return (pd.concat(frames, ignore_index=True), cal,
            pd.date_range(ds[-1] + pd.Timedelta(days=1), periods=42, freq="D"))


def test_an_aggregate_has_one_row_per_wave_of_store_events_with_what_they_add_together(
        fast_gbm: dict) -> None:
    """An independent check's chain 'total' had 178 peak rows: each store's promotion of one
    wave read alone, over the other stores' kept (the first store +927%, 18 others +0.0%:
    of one kind the largest lift stands for a day), and one regional holiday entered per
    store 19 times. On an aggregate, rows of one kind and days entered for several channels
    are one event: one row, read over the forecast without all of them. The stores' own rows
    are as before."""
    series, cal, future = _chain()
    model = LightGBMForecaster(**fast_gbm, max_horizon_days=42).fit(series, cal)
    plan = normalize_calendar(pd.concat([
        cal[cal["end"] < future[0]],
        pd.DataFrame({"name": [f"Promo s{k} {future[7]:%Y-%m-%d}" for k in (1, 2)]
                      + [f"Promo s{k} {future[21]:%Y-%m-%d}" for k in (3, 4)]
                      + ["Region 0 holiday 2026", "Region 0 holiday 2026"],
                      "start": [future[7]] * 2 + [future[21]] * 2 + [future[15]] * 2,
                      "end": [future[12]] * 2 + [future[26]] * 2 + [future[15]] * 2,
                      "kind": ["promotion"] * 4 + ["holiday"] * 2,
                      "channel": ["s1", "s2", "s3", "s4", "s1", "s2"]})], ignore_index=True))
    res = forecast_with_peaks(model, 42, plan)
    peaks = res.peaks
    total = peaks[peaks["series_id"] == "total"].set_index("window")
    assert total.index.is_unique, total.index.tolist()
    assert len(total) == 4, total.index.tolist()  # the horizon, two waves, the holiday
    wave = f"Promo s1 {future[7]:%Y-%m-%d} and 1 more 'promotion' event on 2 channels"
    assert wave in total.index
    assert "Region 0 holiday 2026" in total.index  # one event on two stores: its name
    # over the forecast without the whole wave, the other events kept
    out = np.flatnonzero(plan["name"].str.startswith("Promo").to_numpy()
                         & (plan["start"] == future[7]).to_numpy())
    without = model.predict(42, plan.drop(index=plan.index[out]).reset_index(drop=True),
                            series=["total"]).set_index("ds")["p50"]
    row = total.loc[wave]
    assert row["baseline_p50"] == pytest.approx(without.loc[row["peak_ds"]], rel=1e-9)
    # half the chain at +0.4 (+49%): about +25% on the total, not 0
    assert 10 < row["lift_pct"] < 45, row
    # each store keeps its own row, as before
    store = peaks[peaks["series_id"] == "s1"].set_index("window")
    assert f"Promo s1 {future[7]:%Y-%m-%d}" in store.index
    assert store["lift_pct"].drop("horizon").gt(20).any()
    # the stores of a wave are not each other's overlap: only the holiday, on a wave's days
    note = str(overlap_note(plan, res.forecast))
    assert note.startswith("1 event window(s) share days"), note
    assert "'Region 0 holiday 2026' (with 'Promo s1" in note


def test_rows_of_one_kind_and_days_on_several_channels_are_one_event_on_an_aggregate() -> None:
    from training._forecast_peak_overlaps import aggregate_events, event_label

    cal = normalize_calendar(pd.DataFrame({
        "name": ["Promo a", "Promo b", "Promo c", "Flash a", "Flash a2", "Sale", "Promo d"],
        "start": ["2026-03-02"] * 3 + ["2026-03-04"] * 2 + ["2026-03-02", "2026-03-03"],
        "end": ["2026-03-07"] * 3 + ["2026-03-04"] * 2 + ["2026-03-07", "2026-03-07"],
        "kind": ["promotion"] * 3 + ["flash"] * 2 + ["promotion", "promotion"],
        "channel": ["a", "b", "c", "a", "a", None, "d"]}))
    ids = aggregate_events(cal)
    names = cal["name"].tolist()
    at = {n: ids[names.index(n)] for n in names}
    assert at["Promo a"] == at["Promo b"] == at["Promo c"]  # one wave on three stores
    assert at["Flash a"] != at["Flash a2"]  # one channel: two events, as on its own series
    assert at["Sale"] != at["Promo a"]  # no channel: an event of every series already
    assert at["Promo d"] != at["Promo a"]  # other days
    wave = np.flatnonzero(ids == at["Promo a"])
    assert event_label(cal, wave) == "Promo a and 2 more 'promotion' events on 3 channels"
