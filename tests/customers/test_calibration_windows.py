"""The calibration method is chosen in time over several labelled windows: a sale month's level
is not carried into the next window, a level that lasts still is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training._customer_calibration import Calibrator, calibration_scores, choose_calibration
from training._customer_models import CustomerModel

from .conftest import toy_frame

FAST = {"n_estimators": 120, "learning_rate": 0.1}


def _fit(levels: tuple[float, ...]) -> CustomerModel:
    frame = toy_frame(n_users=3000, levels=levels).drop(columns=["true_p"])
    return CustomerModel("propensity", horizon_days=30, **FAST).fit(frame)


def test_a_sale_month_in_the_calibration_window_does_not_set_the_validation_level() -> None:
    # the third of four monthly windows bought far more (a sale); the others alike. Fitted on
    # that window, the calibrator carried its level into the fourth (mean 0.628 predicted
    # against 0.433 that happened; Brier 0.2181 against 0.1766 uncalibrated)
    m = _fit((0.0, 0.0, 1.0, 0.0))
    rep = m.report_
    assert rep.calibration_windows == ("2024-02-29", "2024-03-31")
    assert rep.calibration_method == "none"
    shape = min(("isotonic", "sigmoid"), key=rep.calibration_scores.__getitem__)
    assert set(rep.calibration_scores) == {"isotonic", "sigmoid", f"in_time_{shape}",
                                           "in_time_none"}
    v = rep.validation
    assert abs(v.mean_prediction - v.base_rate) < 0.03
    assert v.ece < 0.04


def test_a_calibration_named_by_the_caller_is_kept() -> None:
    frame = toy_frame(n_users=3000, levels=(0.0, 0.0, 1.0, 0.0)).drop(columns=["true_p"])
    rep = CustomerModel("propensity", horizon_days=30, calibration="sigmoid", **FAST
                        ).fit(frame).report_
    assert rep.calibration_method == "sigmoid"
    assert rep.calibration_windows == ()


def test_a_level_that_lasts_is_still_calibrated() -> None:
    # from the second window on everyone buys less (a lasting change): the calibrator's level
    # carries over and it is kept
    m = _fit((0.0, -1.0, -1.0, -1.0))
    rep = m.report_
    assert rep.calibration_method in {"isotonic", "sigmoid"}
    v, u = rep.validation, rep.validation_uncalibrated
    assert abs(v.mean_prediction - v.base_rate) < 0.03
    assert v.brier < u.brier
    assert v.ece < u.ece


def test_one_window_is_scored_in_two_halves_as_before(toy: pd.DataFrame) -> None:
    # three cutoffs: one training cutoff, so no booster before the calibration window
    three = toy[toy["cutoff"] < toy["cutoff"].max()].drop(columns=["true_p"])
    rep = CustomerModel("propensity", **FAST).fit(three).report_
    assert rep.calibration_windows == ()
    assert set(rep.calibration_scores) == {"isotonic", "sigmoid"}


def test_choose_calibration_scores_each_window_by_the_windows_before_it() -> None:
    # golden: three windows of one booster's margins; the shape is the two-fold choice on the
    # last window, and it and none score the second and third windows by calibrators fitted on
    # the first and on the first two (hand-computed below)
    rng = np.random.default_rng(0)
    raw = [rng.normal(-1, 1, 400) for _ in range(3)]
    shift = (0.0, 1.2, 0.0)
    ys = [(rng.random(400) < 1 / (1 + np.exp(-(r + s)))).astype(float)
          for r, s in zip(raw, shift, strict=True)]
    windows = list(zip(raw, ys, strict=True))
    method, scores = choose_calibration(["isotonic", "sigmoid"], windows, "classifier")
    shape = min(("isotonic", "sigmoid"), key=scores.__getitem__)
    assert scores[shape] == pytest.approx(calibration_scores(
        ["isotonic", "sigmoid"], raw[2], ys[2], "classifier")[shape], rel=1e-12)
    for m in (shape, "none"):
        first = Calibrator(m).fit(raw[0], ys[0]).transform(raw[1], "classifier")
        both = Calibrator(m).fit(np.r_[raw[0], raw[1]], np.r_[ys[0], ys[1]]).transform(
            raw[2], "classifier")
        hand = (np.mean((first - ys[1]) ** 2) + np.mean((both - ys[2]) ** 2)) / 2
        assert scores[f"in_time_{m}"] == pytest.approx(hand, rel=1e-12)
    assert method in (shape, "none")
    if method == "none":
        assert scores["in_time_none"] < scores[f"in_time_{shape}"]


def test_the_shape_is_not_chosen_in_time() -> None:
    # isotonic against Platt is the calibration rows' two-fold choice, as with one window: on
    # one window fitted and the next scored, the two differ by noise (a generated BG/NBD log
    # had turned to isotonic by 6e-6 and its validation Brier rose 0.06890 -> 0.06908)
    rng = np.random.default_rng(3)
    raw = [rng.normal(-1, 1, 3000) for _ in range(3)]
    ys = [(rng.random(3000) < 1 / (1 + np.exp(-0.7 * r))).astype(float) for r in raw]
    two_fold = calibration_scores(["isotonic", "sigmoid"], raw[2], ys[2], "classifier")
    method, _ = choose_calibration(["isotonic", "sigmoid"], list(zip(raw, ys, strict=True)),
                                   "classifier")
    assert method == min(two_fold, key=two_fold.__getitem__)


def test_no_calibration_within_noise_of_the_best_calibrator_keeps_the_calibrator() -> None:
    # margins that are already the true log-odds, one level in every window: no calibration
    # scores lowest here (0.182459 against sigmoid's 0.182650) by less than two standard
    # errors of the per-row difference, so the calibrator stays as it was before the check
    rng = np.random.default_rng(1)
    raw = [rng.normal(-1, 1, 2000) for _ in range(3)]
    ys = [(rng.random(2000) < 1 / (1 + np.exp(-r))).astype(float) for r in raw]
    method, scores = choose_calibration(["isotonic", "sigmoid"], list(zip(raw, ys, strict=True)),
                                        "classifier")
    assert scores["sigmoid"] < scores["isotonic"]  # the two-fold shape
    assert scores["in_time_none"] < scores["in_time_sigmoid"]
    assert method == "sigmoid"
