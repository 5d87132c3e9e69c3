"""A new launch's lift in a series whose earlier launches happened to run large or small.

Every launch has its own name; a series' offset from its kind is what its launches show beyond
the spread of launches themselves (``training._forecast_event_pool._series_offsets``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features._calendar import normalize_calendar
from training._forecast_event_pool import _series_offsets
from training._forecast_events import EventEffects
from training._forecast_panel import prepare_panel


def _pages(sizes: dict[str, list[float]], seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One-day launches of their own names on steady pages (log sizes ``sizes`` per page)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2020-01-01", periods=1000, freq="D")
    frames, rows = [], []
    for j, (sid, logs) in enumerate(sizes.items()):
        y = np.exp(7 + 0.05 * rng.standard_normal(len(ds)))
        for k, size in enumerate(logs):
            start = ds[60 + 150 * k + 11 * j]
            y[ds.get_loc(start)] *= np.exp(size)
            rows.append((f"{sid} launch {k}", start, start, "launch", sid))
        frames.append(pd.DataFrame({"series_id": sid, "ds": ds, "y": y}))
    cal = normalize_calendar(pd.DataFrame(rows, columns=["name", "start", "end", "kind",
                                                         "channel"]))
    return pd.concat(frames), cal


def test_a_page_whose_launches_happened_to_run_large_gets_near_the_kinds_lift() -> None:
    """Launches drawn alike (log sizes 0.7 .. 2.5, the pages' means within what four
    launches each differ by): the page whose first two ran at e^2.4 is not forecast its next
    at e^2.4 (before: +2.37), but near the kind's lift (about +1.6)."""
    sizes = {"p1": [2.4, 2.45, 0.9, 1.2], "p2": [1.0, 2.3, 1.5, 1.7],
             "p3": [2.5, 0.7, 1.3, 1.9], "p4": [1.4, 1.8, 0.8, 2.2],
             "lucky": [2.4, 2.45]}
    series, cal = _pages(sizes)
    fx = EventEffects().fit(prepare_panel(series, "log1p"), cal)
    kind = fx.estimates_[("kind", "key")][("launch", "d0")].mean
    lift = fx.effect("lucky", "lucky launch new", "launch", "d0", 1.0)[0]
    assert abs(kind - 1.64) < 0.15
    assert abs(lift - kind) < 0.2, (lift, kind)


def test_series_offsets_keep_sizes_that_differ_beyond_the_launches_spread() -> None:
    """Pages whose launches agree within each page and differ between pages keep their own
    offsets; a page's offset is shrunk by how far its launches scatter."""
    g = pd.DataFrame({"sid": ["a"] * 4 + ["b"] * 4 + ["c"] * 4,
                      "name": [f"n{i}" for i in range(12)],
                      "b": [-0.8, -0.82, -0.78, -0.8, 0.0, 0.02, -0.02, 0.0,
                            0.8, 0.79, 0.81, 0.8],
                      "v": 0.0025})
    out, _ = _series_offsets(g, 0.25)
    assert abs(out["a"][0] + 0.8) < 0.01
    assert abs(out["c"][0] - 0.8) < 0.01
    scattered = g.assign(b=[-0.8, 0.6, -0.5, 0.7, 0.4, -0.6, 0.5, -0.3, 0.8, -0.7, 0.2, -0.1])
    shrunk, spread = _series_offsets(scattered, 0.25)
    assert all(abs(m) < 0.05 for m, _ in shrunk.values()), shrunk
    assert spread > 0.2  # the launches' own spread, each page's about 0.3


def test_a_name_several_series_share_is_read_against_its_own_mean() -> None:
    """Orders rise by more than visits in each sale, the sales differing in size: the
    sales' sizes are the names', so the orders keep their offset over the visits."""
    g = pd.DataFrame({"sid": ["visits", "orders"] * 3,
                      "name": ["A", "A", "B", "B", "C", "C"],
                      "b": [-0.5, -0.3, 0.4, 0.6, 0.0, 0.2], "v": 0.0004})
    out, _ = _series_offsets(g, 0.25)
    assert abs(out["orders"][0] - out["visits"][0] - 0.2) < 0.02


def test_an_unseen_launch_carries_the_spread_of_the_kinds_launches() -> None:
    """A launch of a new name is one more launch: its lift's variance holds the launches'
    spread around their pages' (log sizes 0.7 .. 2.5: variance about 0.3), not only the
    kind's mean's (before: 0.01)."""
    sizes = {"p1": [2.4, 2.45, 0.9, 1.2], "p2": [1.0, 2.3, 1.5, 1.7],
             "p3": [2.5, 0.7, 1.3, 1.9], "p4": [1.4, 1.8, 0.8, 2.2]}
    series, cal = _pages(sizes)
    fx = EventEffects().fit(prepare_panel(series, "log1p"), cal)
    _, lo, hi = fx.effect("p1", "p1 launch new", "launch", "d0", 1.0)
    spread = np.var([v for logs in sizes.values() for v in logs], ddof=1)
    assert lo == hi
    assert 0.5 * spread < lo < 2 * spread, (lo, spread)
    # a name seen before keeps its own estimate's variance
    _, seen, _ = fx.effect("p1", "p1 launch 0", "launch", "d0", 1.0)
    assert seen < 0.1 * spread
