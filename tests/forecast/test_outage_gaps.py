"""The gap note tells an export outage (the same periods missing in every series) apart from
each series' own gaps (an independent check's export lost 7 days on every channel plus 9
single rows: the note named 3 of 6 series and did not say the days were the same)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from training._forecast_notes import series_notes

OUTAGE = pd.to_datetime(["2024-02-12", "2024-02-13", "2024-02-14", "2024-02-15", "2024-02-16",
                         "2025-06-02", "2025-06-03"])
SINGLE = pd.to_datetime(["2024-05-07", "2024-09-19", "2025-01-22"])
CHANNELS = {"organic": 900, "paid_search": 500, "email": 250, "display": 300, "social": 400}


def _export(seed: int = 3) -> pd.DataFrame:
    """5 channels, two years daily; the outage's 7 days missing in all, 3 single rows of
    'email' missing."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-10-01", "2025-09-30", freq="D")
    frame = pd.concat([pd.DataFrame({"series_id": sid, "ds": ds,
                                     "y": rng.poisson(level, len(ds)).astype(float)})
                       for sid, level in CHANNELS.items()], ignore_index=True)
    frame = frame[~frame["ds"].isin(OUTAGE)]
    return frame[~((frame["series_id"] == "email") & frame["ds"].isin(SINGLE))]


def _gap_note(frame: pd.DataFrame, **kw: object) -> str:
    (note,) = [n for n in series_notes(frame, **kw) if "missing inside" in n]  # type: ignore[arg-type]
    return note


def test_days_missing_in_every_series_are_named_as_an_export_outage() -> None:
    note = _gap_note(_export())
    assert note.startswith(
        "the same 7 days are missing inside the history of all 5 series (2024-02-12 .. "
        "2024-02-16, 2025-06-02 .. 2025-06-03): likely an export outage: re-export those days "
        "from the source system. Besides them, ")
    # the series' own gaps as before, without the shared days
    assert ("besides them, 1 series has periods missing inside its history: 'email' (3 days "
            "missing; longest run 1 from 2024-05-07)") in note.lower()
    assert "'organic'" not in note
    assert "and 2 more" not in note
    assert "give those periods as rows with y=0" in note  # a closure on the same days


def test_an_outage_alone_has_no_per_series_part() -> None:
    frame = _export()
    frame = pd.concat([frame[frame["series_id"] != "email"],
                       _export().query("series_id == 'organic'").assign(series_id="email")])
    note = _gap_note(frame)
    assert note.startswith("the same 7 days are missing inside the history of all 5 series")
    assert "besides" not in note.lower()
    assert "longest run" not in note


def test_series_live_on_part_of_the_outage_count_where_they_are_live() -> None:
    # 'social' starts after the first outage, 'display' ends before the second: every series
    # live on each day misses it
    frame = _export()
    frame = frame[~((frame["series_id"] == "social") & (frame["ds"] < "2024-04-01"))]
    frame = frame[~((frame["series_id"] == "display") & (frame["ds"] > "2025-03-31"))]
    note = _gap_note(frame)
    assert note.startswith(
        "the same 7 days are missing inside the history of every series live on them (4 of "
        "the 5 series on each: 2024-02-12 .. 2024-02-16, 2025-06-02 .. 2025-06-03)")


def test_days_missing_in_most_series_count_and_in_few_do_not() -> None:
    rng = np.random.default_rng(5)
    ds = pd.date_range("2024-01-01", periods=200, freq="D")
    frame = pd.concat([pd.DataFrame({"series_id": f"store_{i:02d}", "ds": ds,
                                     "y": rng.poisson(100, len(ds)).astype(float)})
                       for i in range(10)], ignore_index=True)
    most = frame["ds"].eq(ds[50]) & ~frame["series_id"].isin(["store_00", "store_01"])  # 8 of 10
    few = frame["ds"].eq(ds[90]) & frame["series_id"].isin(["store_03", "store_04", "store_05"])
    note = _gap_note(frame[~(most | few)])
    assert note.startswith(
        f"the same day is missing inside the history of 8 of the 10 series (80% or more of "
        f"those live on it: {ds[50].date()}): likely an export outage")
    assert ("besides it, 3 series have periods missing inside their history: 'store_03' (1 "
            f"day missing; longest run 1 from {ds[90].date()}), 'store_04'") in note.lower()


def test_every_series_with_a_gap_is_counted_and_the_rest_said_as_more() -> None:
    rng = np.random.default_rng(2)
    ds = pd.date_range("2024-01-01", periods=120, freq="D")
    parts = [pd.DataFrame({"series_id": f"ch{i}", "ds": ds, "y": rng.poisson(50, 120) * 1.0})
             .drop(index=[10 + 7 * i]) for i in range(6)]  # each its own day: no outage
    note = _gap_note(pd.concat(parts))
    assert note.startswith("6 series have periods missing inside their history: 'ch0' ")
    assert note.count("longest run") == 3
    assert "and 3 more" in note
    assert "export outage" not in note


def test_hours_missing_in_every_hourly_series_are_named() -> None:
    ds = pd.date_range("2025-03-01", "2025-03-20 23:00", freq="h")
    y = 100 + 50 * np.sin(2 * np.pi * ds.hour / 24)
    frame = pd.concat([pd.DataFrame({"series_id": s, "ds": ds, "y": y}) for s in ("web", "app")])
    lost = pd.date_range("2025-03-10 08:00", periods=3, freq="h")
    note = _gap_note(frame[~frame["ds"].isin(lost)], tz="Europe/Berlin")
    assert note.startswith("the same 3 hours are missing inside the history of both series "
                           "(2025-03-10 08:00 .. 2025-03-10 10:00): likely an export outage")


def test_data_validate_says_the_outage(tmp_path: Path) -> None:
    from serving.cli import app

    path = tmp_path / "series.csv"
    _export().to_csv(path, index=False)
    res = CliRunner().invoke(app, ["data", "validate", "--series", str(path)])
    text = " ".join(res.output.split())
    assert res.exit_code == 0, text
    assert ("series.csv: the same 7 days are missing inside the history of all 5 series "
            "(2024-02-12 .. 2024-02-16, 2025-06-02 .. 2025-06-03): likely an export outage") in text


def test_an_events_log_outage_is_zeros_named_by_the_drop_note_not_a_gap() -> None:
    # series built from an events log have a row at 0 for a day without events: no gap, and
    # the outage's days are the unmarked-drop note's (left out of learning), in every series
    from features._traffic import traffic_series

    rng = np.random.default_rng(4)
    days = pd.date_range("2024-10-01", "2025-03-31", freq="D")
    lost = pd.date_range("2025-02-12", "2025-02-14", freq="D")
    rows = [pd.DataFrame({"user_id": rng.integers(1, 5000, n), "event_type": "visit",
                          "ts": d + pd.to_timedelta(rng.uniform(0, 86_000, n), unit="s"),
                          "channel": ch, "revenue": 0.0})
            for d in days if d not in lost
            for ch, n in (("organic", rng.poisson(90)), ("email", rng.poisson(40)))]
    series = traffic_series(pd.concat(rows, ignore_index=True), metrics=["visits"])
    assert (series.loc[series["ds"].isin(lost), "y"] == 0).all()
    notes = series_notes(series)
    assert not [n for n in notes if "missing inside" in n]
    (drop,) = [n for n in notes if "taken as unmarked outages" in n]
    assert ("2025-02-12 .. 2025-02-14 (3 days) in 'channel=email', 'channel=organic', 'total'"
            in drop)


def test_the_same_day_of_the_year_missing_every_year_is_named_as_a_yearly_closure() -> None:
    """A grocery chain's export has no rows on 25 December (closed): the note had called the
    days 'likely an export outage: re-export those days'."""
    ds = pd.date_range("2015-01-01", "2017-07-31", freq="D")
    ds = ds[~((ds.month == 12) & (ds.day == 25))]
    rng = np.random.default_rng(0)
    frame = pd.concat([pd.DataFrame({"series_id": f"store_{i}", "ds": ds,
                                     "y": rng.poisson(500, len(ds)).astype(float)})
                       for i in range(3)], ignore_index=True)
    note = _gap_note(frame)
    assert "(2015-12-25, 2016-12-25)" in note
    assert "export outage" not in note
    assert "the same day every year (12-25)" in note
    assert "rows with y=0" in note
