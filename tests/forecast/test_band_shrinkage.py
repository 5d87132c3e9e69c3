"""The band's offsets per group (series, day type, event kind, half of a kind's window) are
shrunk towards their parent's by a pseudo-count set from the data (empirical Bayes:
``_forecast_conformal._pseudo_counts``), not a fixed 200.

A fixed 200 pseudo-scores had taken half of the distance between a generated launch's first
half (raw quantile +0.43, 159 scores) and its second (+0.21, 163 scores) though they differ
far beyond their sampling noise."""

from __future__ import annotations

import numpy as np
import pytest

from training._forecast_conformal import (
    _MIN_CALIB,
    _conformal_quantile,
    _pseudo_counts,
    _quantile_variance,
)
from training._forecast_gbm import LightGBMForecaster


def _model() -> LightGBMForecaster:
    """A forecaster with the adjustments the event-kind offsets are read against: none."""
    model = LightGBMForecaster()
    model.spd_ = 1
    model.conformal_h_ = np.zeros(5)
    model.conformal_series_ = {}
    model.conformal_day_ = np.array([0.0, 0.25])
    return model


def _scores(rng: np.random.Generator, groups: dict[str, tuple[int, float]]
            ) -> tuple[np.ndarray, np.ndarray]:
    """Calibration scores of event-day groups (label: count, centre; spread 0.1 each)."""
    score = np.concatenate([rng.normal(c, 0.1, n) for n, c in groups.values()])
    kinds = np.concatenate([[k] * n for k, (n, _) in groups.items()]).astype(object)
    return score, kinds


def test_halves_that_differ_beyond_their_noise_keep_their_own_offsets() -> None:
    """A launch's first and second halves (160 scores each, centres 0.45 and 0.20): each
    half's offset lies within 0.03 of its own quantile (a fixed 200 pseudo-scores had left
    each 0.06 or more from it, towards the kind's)."""
    rng = np.random.default_rng(0)
    score, kinds = _scores(rng, {"launch (first half)": (160, 0.45),
                                 "launch (second half)": (160, 0.20),
                                 "launch (shoulder)": (120, 0.20)})
    n = len(score)
    table = _model()._conformal_by_kind(score, np.array(["a"] * n), np.ones(n, int), kinds,
                                        np.ones(n, bool))
    for half in ("launch (first half)", "launch (second half)"):
        raw = _conformal_quantile(score[kinds == half])
        assert abs(table[half] - raw) < 0.03, (half, table, raw)
    assert table["launch (first half)"] > table["launch"] > table["launch (second half)"]


def test_groups_alike_keep_the_fixed_pseudo_count() -> None:
    """Two groups drawn alike (no spread beyond their noise), or one group, are shrunk by
    ``_MIN_CALIB`` pseudo-scores as before."""
    rng = np.random.default_rng(1)
    a = rng.normal(0.3, 0.1, 400)
    b = a + 0.005  # a spread well within the quantiles' noise
    raw = [_conformal_quantile(a), _conformal_quantile(b)]
    var = [_quantile_variance(a), _quantile_variance(b)]
    towards = float(np.mean(raw))
    assert raw[0] != raw[1]
    assert _pseudo_counts(raw, var, [400, 400], [towards] * 2) == [_MIN_CALIB] * 2
    assert _pseudo_counts(raw[:1], var[:1], [400], [0.3]) == [_MIN_CALIB]
    assert _pseudo_counts(raw, [var[0], float("nan")], [400, 400], [0.3, 0.3]) == [
        _MIN_CALIB] * 2


def test_a_small_group_keeps_the_fixed_pseudo_count() -> None:
    """A group under ``_MIN_HALF`` scores (29 scores far from the parent, as Peyton Manning's
    playoff days: a few target days scored at many horizons) keeps ``_MIN_CALIB``
    pseudo-scores and does not count in the spread: the large groups' pseudo-counts are those
    they get without it, and beside one large group (ordinary days) nothing is estimated."""
    rng = np.random.default_rng(2)
    big = [rng.normal(0.45, 0.1, 300), rng.normal(0.15, 0.1, 300)]
    small = rng.normal(2.4, 0.5, 29)
    groups = [*big, small]
    raw = [_conformal_quantile(g) for g in groups]
    var = [_quantile_variance(g) for g in groups]
    n = [len(g) for g in groups]
    k = _pseudo_counts(raw, var, n, [0.3] * 3)
    assert max(k[:2]) < 50, k
    assert k[2] == _MIN_CALIB
    assert k[:2] == _pseudo_counts(raw[:2], var[:2], n[:2], [0.3] * 2)
    # ordinary days and 29 event days: both keep the fixed count
    ordinary = rng.normal(0.0, 0.1, 5000)
    assert _pseudo_counts([_conformal_quantile(ordinary), raw[2]],
                          [_quantile_variance(ordinary), var[2]], [5000, 29],
                          [0.0, 0.0]) == [_MIN_CALIB] * 2


def test_quantile_variance_shrinks_with_the_count() -> None:
    """The 80% quantile's sampling variance: near p(1-p)/(n f(q)^2) for normal scores, about
    four times smaller with four times the scores."""
    rng = np.random.default_rng(3)
    small, large = rng.normal(0, 1, 400), rng.normal(0, 1, 1600)
    expected = 0.8 * 0.2 / (400 * 0.2800 ** 2)  # f(q80) of a standard normal: 0.2800
    assert _quantile_variance(small) == pytest.approx(expected, rel=0.5)
    assert _quantile_variance(small) / _quantile_variance(large) == pytest.approx(4, rel=0.5)
    # weights: the effective count, (sum w)^2 / sum w^2
    assert _quantile_variance(small, weights=np.ones(400) * 0.5) == pytest.approx(
        _quantile_variance(small))
