"""The validation plots say what a reader needs: bin sizes, where customers are, zero deciles."""

from __future__ import annotations

import numpy as np

from training._customer_eval import plot_reliability, plot_value_deciles


def test_reliability_plot_shows_bin_size_and_where_the_customers_are() -> None:
    rng = np.random.default_rng(0)
    p = rng.beta(5, 1.2, 2000)
    y = (rng.random(2000) < p).astype(float)
    fig = plot_reliability(y, {"calibrated": p, "uncalibrated": np.clip(p + 0.05, 0, 1)})
    curves, spread = fig.axes
    assert "10 bins of about 200 customers each" in curves.get_xlabel()
    assert spread.get_ylabel() == "customers per probability band"
    assert sum(patch.get_height() for patch in spread.patches) == 2000


def test_value_deciles_say_zero_where_a_decile_spent_nothing() -> None:
    pred = np.geomspace(0.1, 1000, 1000)  # heavy-tailed: a log axis
    actual = np.where(pred > 10, pred, 0.0)  # the lower half spent nothing
    fig = plot_value_deciles(actual, pred)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts].count("0") == 5
    assert "log scale" in ax.get_ylabel()
