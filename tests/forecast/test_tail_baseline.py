"""Event days at the end of the history follow a level change the days themselves show.

The event model cleans an event day to the median of the same weekday up to four weeks either
side; at the end of the history only the weeks before exist. When the last week is a payday
promotion with its shoulder days, it was cleaned to the level from before a step 7 days old,
and the forecast started from the old level (a generated panel: x0.6 forecast +44% high, x0.7
+36%, x1.3 -21%; without the promotion -0.4%, +0.8%, -10%).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from training._forecast_base import prepare_panel
from training._forecast_events import EventEffects
from training._forecast_gbm import LightGBMForecaster
from training._forecast_tail import TAIL_Z, one_sided_tail, tail_offset

from .test_recent_step import _orders


@pytest.mark.parametrize(("seed", "factor"), [(0, 0.7), (2, 0.8), (1, 1.3)])
def test_a_step_seven_days_old_under_a_promotion_week_is_followed(fast_gbm: dict, seed: int,
                                                                  factor: float) -> None:
    """The step is as old as the promotion week (too young for ``follow_recent_steps``): the
    week's baseline moves by the step, and the forecast starts from the new level (four-week
    forecast / truth before: 1.38, 1.25 and 0.73; now 0.89, 1.07 and 0.90)."""
    series, cal, truth = _orders(seed, factor=factor, age=7)
    model = LightGBMForecaster(**fast_gbm).fit(series, cal)
    assert model.effects_.tail_moved_["orders"] == pytest.approx(np.log(factor), abs=0.1)
    assert 0.85 < model.predict(28)["p50"].sum() / truth.sum() < 1.15


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_end_of_history_event_days_without_a_step_keep_their_baseline(seed: int) -> None:
    series, cal, _ = _orders(seed, factor=1.0)
    panel = prepare_panel(series, "auto")
    effects = EventEffects().fit(panel, cal)
    assert effects.tail_moved_ == {}
    z = panel.fwd(panel.series["orders"].y)
    # the last week is cleaned to the weeks before it, as before
    assert (effects.clean_["orders"][-7:] != z[-7:]).all()


def test_one_sided_tail_is_the_event_days_with_no_free_same_weekday_after() -> None:
    n, m = 67, 7
    affected = np.zeros(n, bool)
    affected[[20, 60, 61, 62, 63, 64, 65, 66]] = True  # one mid-history day, the last week
    affected[55] = True  # its weekday's next value (62) is an event day too
    out = one_sided_tail(affected, affected, m, 4)
    assert np.flatnonzero(out).tolist() == [55, 60, 61, 62, 63, 64, 65, 66]
    # a free same weekday a week later: not one-sided
    affected[62] = False
    assert 55 not in np.flatnonzero(one_sided_tail(affected, affected, m, 4))


def test_tail_offset_moves_only_beyond_its_standard_error() -> None:
    var = np.full(7, 0.04)  # sd 0.2 a day
    se = np.sqrt(np.pi / 2 * 0.04 / 7)
    assert tail_offset(np.full(7, -(TAIL_Z + 0.1) * se), var, 1) == pytest.approx(
        -(TAIL_Z + 0.1) * se)
    assert tail_offset(np.full(7, (TAIL_Z - 0.1) * se), var, 1) == 0.0
    assert tail_offset(np.full(2, -1.0), np.full(2, 0.04), 1) == 0.0  # under 3 days
    # hourly periods are counted by days
    assert tail_offset(np.full(7 * 24, -0.3), np.full(7 * 24, 0.04), 24) == pytest.approx(-0.3)
    assert tail_offset(np.full(7 * 24, -0.2), np.full(7 * 24, 0.04), 24) == 0.0


def test_tail_moved_is_empty_not_missing_without_end_of_history_event_days(
        series_maker: Callable) -> None:
    """``effects_.tail_moved_`` is what the docs tell a reader to inspect: a fit whose series
    end without event days (a sale mid-history, or no calendar) moved nothing, and says so
    (the attribute had been set only when some series ended on event days)."""
    series, cal = series_maker(n_days=400)
    panel = prepare_panel(series, "auto")
    assert EventEffects().fit(panel, cal).tail_moved_ == {}
    assert EventEffects().fit(panel, cal.iloc[:0]).tail_moved_ == {}
