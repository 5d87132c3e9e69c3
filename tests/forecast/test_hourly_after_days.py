"""The days after a history's last event read on hourly data whose last day is partly
covered (``EventEffects._settle_after_days``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import training._forecast_events as fe
from training._forecast_events import EventEffects
from training._forecast_panel import prepare_panel


def _hourly_launches(last: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An hourly page with a day-time peak and four one-day launches whose excess fades over
    days, the last on 2025-04-10; the history ends at ``last``."""
    rng = np.random.default_rng(3)
    ds = pd.date_range("2025-01-01", last, freq="h")
    hour = ds.hour.to_numpy()
    mu = 100 * (1 + 0.8 * np.sin((hour - 6) / 24 * 2 * np.pi).clip(0))
    launches = ["2025-01-20", "2025-02-15", "2025-03-12", "2025-04-10"]
    for at in launches:
        age = np.floor(np.asarray((ds - pd.Timestamp(at)) / pd.Timedelta(days=1), dtype=float))
        mu = mu * np.where((age >= 0) & (age < 20), 1 + 3 * np.exp(-age / 3), 1)
    series = pd.DataFrame({"series_id": "s", "ds": ds, "y": rng.poisson(mu).astype(float)})
    cal = pd.DataFrame([(f"launch {i}", at, at, "launch", "") for i, at in enumerate(launches)],
                       columns=["name", "start", "end", "kind", "channel"])
    return series, cal


def test_a_partly_covered_last_day_is_not_counted_as_a_whole_day(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The history ends at 09:00, 3 days and 10 hours after the launch's shoulder days: the
    after-days' noise was read as 82 hours over 4 days, 20 a day (the noise term divided by
    20, not 24). The periods a day are the most any day holds: 24."""
    seen: list[int] = []
    real = fe.tail_offset

    def spy(r: np.ndarray, var: np.ndarray, per: int, *args: object, **kw: object) -> float:
        seen.append(per)
        return real(r, var, per, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(fe, "tail_offset", spy)
    series, cal = _hourly_launches("2025-04-17 09:00")
    EventEffects().fit(prepare_panel(series, "auto"), cal)
    assert seen == [24]
