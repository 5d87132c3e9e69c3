"""The validation plots say what a reader needs: bin sizes, where customers are, zero deciles."""

from __future__ import annotations

import numpy as np
import pytest

from training._customer_eval import plot_lift, plot_reliability, plot_value_deciles


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


def test_lift_plot_draws_the_best_possible_curve_and_names_the_top_tenth() -> None:
    # churn where most customers leave: the best possible top-decile lift is 1 / 0.8 = 1.25, so
    # a model at 1.22 runs near the diagonal; without the ceiling it read as barely random
    rng = np.random.default_rng(1)
    y = (rng.random(5000) < 0.8).astype(float)
    p = np.clip(0.8 + 0.15 * (y - 0.8) + rng.normal(0, 0.1, 5000), 0, 1)
    fig = plot_lift(y, {"model": p})
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    best = next(line for line in ax.get_lines() if line.get_label().startswith("best possible"))
    assert "top-decile lift 1.25" in best.get_label()
    share, gain = best.get_data()
    # every customer reached first is a positive until the positives run out
    assert np.interp(0.1, share, gain) == pytest.approx(0.1 / y.mean(), rel=1e-3)
    assert gain[-1] == pytest.approx(1.0)
    assert "top 10%" in labels
    assert labels[0].startswith("model (top-decile lift")


def test_value_lift_plot_ceiling_is_the_revenue_sorted_by_itself() -> None:
    y = np.array([0.0] * 90 + [10.0] * 9 + [1000.0])
    fig = plot_lift(y, {"model": np.arange(100.0)}, captured="revenue")
    ax = fig.axes[0]
    best = next(line for line in ax.get_lines() if line.get_label().startswith("best possible"))
    share, gain = best.get_data()
    # the top tenth by actual revenue holds it all
    assert np.interp(0.1, share, gain) == pytest.approx(1.0)
    assert ax.get_ylabel() == "share of revenue captured"
