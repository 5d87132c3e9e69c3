"""An events log with naive local times counted per hour without ``--tz``: the hour the clocks
repeat in autumn holds two real hours and is about twice its usual level. It was learned as
it came, without a word; ``series_notes`` now names the hour, the series, by how much and the
fix (``--tz ZONE``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features._traffic import local_hours, traffic_series
from training._forecast_notes import series_notes

AUTUMN = "2024-10-27 02:00"  # repeated in Europe/Berlin


def _events(seed: int = 0) -> pd.DataFrame:
    """Visits on 3 channels at a steady rate per real hour in Berlin, 2024-10-06 .. 11-16,
    their ``ts`` the naive local wall-clock time (as a shop's log writes them)."""
    rng = np.random.default_rng(seed)
    real = pd.date_range("2024-10-06", "2024-11-16 23:00", freq="h", tz="Europe/Berlin")
    parts = []
    for channel, level in (("email", 30), ("search", 60), ("social", 45)):
        n = rng.poisson(level, len(real))
        start = np.repeat(real.tz_localize(None), n)
        minutes = pd.to_timedelta(rng.integers(0, 60, int(n.sum())), unit="min")
        parts.append(pd.DataFrame({"ts": start + minutes, "channel": channel}))
    ev = pd.concat(parts, ignore_index=True)
    return ev.assign(user_id=np.arange(len(ev)), event_type="visit")


def _note(frame: pd.DataFrame, tz: str | None = None) -> list[str]:
    return [n for n in series_notes(frame, tz=tz) if "repeat" in n]


def test_the_doubled_autumn_hour_of_an_events_log_read_without_tz_is_named() -> None:
    frame = traffic_series(_events(), "h")
    total = frame[(frame["series_id"] == "total") & (frame["ds"] == pd.Timestamp(AUTUMN))]
    assert float(total["y"].iloc[0]) > 1.7 * 135  # two real hours in one
    (note,) = _note(frame)
    assert note.startswith(f"{AUTUMN} is 1.5x or more its usual level in 4 of 4 series: ")
    assert "'total' x1.9" in note or "'total' x2.0" in note or "'total' x2.1" in note
    assert "the hour the clocks repeat when they go back in Europe/Berlin" in note
    assert "--tz Europe/Berlin" in note


def test_read_with_tz_the_hour_is_halved_and_not_named() -> None:
    frame = local_hours(traffic_series(_events(), "h"), "Europe/Berlin")
    assert _note(frame, tz="Europe/Berlin") == []
    assert _note(frame) == []  # halved: at its usual level


def test_an_ordinary_high_hour_is_no_clock_change() -> None:
    frame = traffic_series(_events(), "h")
    # the repeated hour at its usual level (the log had no clock change) and a spike elsewhere
    at = frame["ds"] == pd.Timestamp(AUTUMN)
    frame.loc[at, "y"] = frame.loc[at, "y"] / 2
    frame.loc[frame["ds"] == pd.Timestamp("2024-10-20 02:00"), "y"] *= 2
    assert _note(frame) == []
