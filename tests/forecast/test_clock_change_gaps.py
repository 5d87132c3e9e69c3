"""Hourly series of naive local wall-clock times read without ``--tz``: the hour the clocks
skip in spring is missing in every series (a series file) or at 0 (an events log summed per
hour). The notes had called it "likely an export outage: re-export that hour" and "most likely
a site-wide tracking outage"; they now name the clock change and the fix (``--tz``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training._forecast_notes import series_notes

SPRING = pd.Timestamp("2024-03-31 02:00")  # skipped in Europe/Berlin
OTHER = pd.Timestamp("2024-03-20 02:00")  # an ordinary hour


def _local_hours(seed: int = 0, counts: bool = False) -> pd.DataFrame:
    """3 regions' hourly values on Berlin's wall clock, naive, 2024-02-01 .. 2024-04-30: one
    row per local hour that exists (none at 02:00 on 31 March)."""
    rng = np.random.default_rng(seed)
    real = pd.date_range("2024-02-01", "2024-04-30 23:00", freq="h", tz="Europe/Berlin")
    ds = real.tz_localize(None)
    hour = np.asarray(ds.hour)
    shape = 1 + 0.5 * np.clip(np.sin((hour - 6) / 18 * np.pi), 0, None)
    frames = []
    for k, level in enumerate((400, 700, 1000)):
        y = (rng.poisson(level * shape) if counts
             else level * shape * np.exp(rng.normal(0, 0.03, len(ds))))
        frames.append(pd.DataFrame({"series_id": f"region_{k}", "ds": ds, "y": y.astype(float)}))
    return pd.concat(frames, ignore_index=True)


def _notes(frame: pd.DataFrame, **kw: object) -> list[str]:
    return [n for n in series_notes(frame, **kw) if "missing" in n]  # type: ignore[arg-type]


def test_the_skipped_spring_hour_missing_everywhere_is_a_clock_change_not_an_outage() -> None:
    (note,) = _notes(_local_hours())
    assert note.startswith("2024-03-31 02:00 is missing in every series: it is the hour the "
                           "clocks skip when they go forward in Europe/Berlin")
    assert "not an outage" in note
    assert "--tz Europe/Berlin" in note
    assert "export outage" not in note
    assert "re-export" not in note
    # read with the zone, the hour does not exist: no note
    assert _notes(_local_hours(), tz="Europe/Berlin") == []


def test_an_ordinary_hour_missing_everywhere_is_still_an_export_outage_beside_it() -> None:
    frame = _local_hours()
    frame = frame[frame["ds"] != OTHER]
    (note,) = _notes(frame)
    assert "2024-03-31 02:00 is missing in every series" in note  # the clock change, named
    assert ("the same hour is missing inside the history of all 3 series (2024-03-20 02:00): "
            "likely an export outage") in note


def test_one_series_missing_the_skipped_hour_alone_is_its_own_gap() -> None:
    frame = _local_hours()
    # the other two regions have a row at 02:00 that day (not local times, or filled in)
    filled = pd.DataFrame({"series_id": ["region_1", "region_2"], "ds": [SPRING, SPRING],
                           "y": [700.0, 1000.0]})
    (note,) = _notes(pd.concat([frame, filled], ignore_index=True))
    assert "clock" not in note
    assert "'region_0' (1 hour missing" in note


def test_the_skipped_hour_at_0_in_every_series_is_a_clock_change_not_a_tracking_outage(
        ) -> None:
    frame = _local_hours(counts=True)
    # an events log summed per hour has a row at 0 for the hour without events
    zero = pd.DataFrame({"series_id": ["region_0", "region_1", "region_2"], "ds": SPRING,
                         "y": 0.0})
    frame = pd.concat([frame, zero], ignore_index=True)
    (note,) = [n for n in series_notes(frame) if "at 0" in n or "outage" in n]
    assert note.startswith("2024-03-31 02:00 is at 0 in every series: it is the hour the "
                           "clocks skip when they go forward in Europe/Berlin")
    assert "tracking outage" not in note
    assert "--tz Europe/Berlin" in note


def test_unmarked_easter_days_across_the_change_are_named_as_possible_holidays() -> None:
    """German Easter 2024 (Good Friday 29 March .. Easter Monday 1 April) spans the spring
    clock change: demand at half its level on those days, in every region, with no calendar.
    The drop was named "most likely a site-wide tracking outage" without a word about
    holidays, so it read as an outage at the clock change; the clock change is one hour."""
    frame = _local_hours()
    easter = frame["ds"].between("2024-03-29", "2024-04-01 23:00")
    frame.loc[easter, "y"] *= 0.5
    notes = series_notes(frame)
    (drop,) = [n for n in notes if "drop" in n]
    assert "holidays the calendar does not mark" in drop
    assert "kind 'holiday'" in drop
    assert any(n.startswith("2024-03-31 02:00 is missing in every series") for n in notes)
