"""`brain train` names a validation level far from what happened (its calibration window
bought at another rate than the validation window: a sale, the season)."""

from __future__ import annotations

from types import SimpleNamespace

from serving._cli_customers_print import validation_level_note


def _rep(scheme: str = "cutoffs", method: str = "sigmoid") -> SimpleNamespace:
    split = SimpleNamespace(scheme=scheme, train_cutoffs=("2026-05-04", "2026-06-03"),
                            calibration_cutoffs=("2026-07-03",),
                            validation_cutoffs=("2026-08-02",))
    return SimpleNamespace(split=split, calibration_method=method)


def test_a_validation_level_far_from_what_happened_is_named() -> None:
    # a fashion check: calibrated on July (a summer sale), validated on August
    m = {"n": 13685.0, "base_rate": 0.1507, "mean_prediction": 0.2093, "ece": 0.0586}
    note = validation_level_note(_rep(), m)
    assert note is not None
    assert "+39%" in note
    assert "0.209 predicted against 0.151" in note
    assert "2026-07-03" in note
    assert "2026-08-02" in note
    assert "refitted on the validation cutoff" in note


def test_a_close_or_noisy_level_and_value_models_get_no_note() -> None:
    assert validation_level_note(_rep(), {"n": 13685.0, "base_rate": 0.1507,
                                          "mean_prediction": 0.158}) is None
    # 30% off on 60 rows is noise
    assert validation_level_note(_rep(), {"n": 60.0, "base_rate": 0.15,
                                          "mean_prediction": 0.195}) is None
    # a table split by customers calibrates and validates on one snapshot: no window to name
    assert validation_level_note(_rep("users"), {"n": 13685.0, "base_rate": 0.1507,
                                                 "mean_prediction": 0.2093}) is None
    assert validation_level_note(_rep(), {"n": 100.0, "aggregate_bias": 0.3}) is None


def test_an_uncalibrated_model_names_the_training_cutoffs_as_its_level() -> None:
    # no calibrator improved a later window (``choose_calibration``): the calibration cutoff
    # did not set the level, and the note had said it did
    m = {"n": 13685.0, "base_rate": 0.1507, "mean_prediction": 0.2093, "ece": 0.0586}
    note = validation_level_note(_rep(method="none"), m)
    assert note is not None
    assert "training cutoffs' (2026-05-04, 2026-06-03" in note
    assert "calibration cutoff" not in note


def test_a_value_models_total_far_from_what_happened_is_named() -> None:
    """A grocery log of four months (a New Year sale in the calibration window only): the
    value model's validation total ran +42% over the actual without a word, while churn's
    level gap on the same cutoffs was named."""
    m = {"n": 2272.0, "total_actual": 3423032.0, "total_predicted": 4871479.0,
         "aggregate_bias": 0.4231, "mae": 1333.0, "rmse": 2010.0}
    rep = _rep(method="scale")
    note = validation_level_note(rep, m)
    assert note is not None
    assert "4,871,479 predicted against 3,423,032 that happened (+42%" in note
    assert "2026-07-03" in note
    assert "2026-08-02" in note
    # within noise: 5% off, or large errors per customer on few rows
    assert validation_level_note(rep, {**m, "total_predicted": 3594000.0,
                                       "aggregate_bias": 0.05}) is None
    assert validation_level_note(rep, {**m, "n": 20.0, "total_actual": 30000.0,
                                       "total_predicted": 42000.0, "rmse": 9000.0}) is None
