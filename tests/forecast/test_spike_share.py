"""Recurring large one-day spikes (B2B orders) are named with their share of the total: a
summed P50 leaves them out."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from training._forecast_notes import series_notes

DS = pd.date_range("2024-01-01", periods=420, freq="D")


def _shop(every: int | None) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    visits = np.round(1500 * np.exp(0.05 * rng.standard_normal(len(DS))))
    orders = np.round(45 * np.exp(0.05 * rng.standard_normal(len(DS))))
    revenue = 3000 * np.exp(0.05 * rng.standard_normal(len(DS)))
    if every:
        revenue[60::every] += 25_000  # a large order one day in ``every``
    else:
        revenue[200] += 25_000  # a single one
    return pd.concat([pd.DataFrame({"series_id": sid, "ds": DS, "y": y}) for sid, y in
                      (("total", visits), ("orders:total", orders), ("revenue:total", revenue))])


def test_recurring_large_orders_are_named_with_their_share_of_the_total() -> None:
    frame = _shop(20)
    notes = [n for n in series_notes(frame) if "recurring large one-day spikes" in n]
    assert len(notes) == 1, series_notes(frame)
    note = notes[0]
    assert "'revenue:total'" in note
    assert "'total'" not in note
    revenue = frame[frame["series_id"] == "revenue:total"]["y"]
    true_share = 25_000 * 18 / revenue.sum()  # 18 orders from day 60 (the first weeks unread)
    share = int(re.search(r"(\d+)% of its total", note).group(1)) / 100
    assert abs(share - true_share) < 0.03, (share, true_share)
    assert "leaves them out" in note
    assert "P90" in note


def test_a_single_large_order_gets_no_such_note() -> None:
    assert not [n for n in series_notes(_shop(None)) if "recurring large" in n]
