"""The champion against what happened on windows that ended since its training (brain score)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import features as ft
from serving._cli_common import _shown_notes
from serving._cli_customers import score_app, train_app
from training._customer_outcomes import (
    Z_LIMIT,
    OutcomeCheck,
    WindowOutcome,
    _log_var,
    _verdict,
    outcome_check,
)

CHANGE = pd.Timestamp("2025-08-01")


def _text(res: object) -> str:
    return " ".join(res.output.split())  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same generated shop twice: as it was, and with 40% of the purchases from
    2025-08-01 on never made (a price change that cuts conversion for good)."""
    world = ft.generate_world(8000, 760, 3)
    same = tmp_path_factory.mktemp("same")
    ft.write_world(world, same)
    ev = world.events
    rng = np.random.default_rng(0)
    lost = (ev["event_type"] == "purchase") & (ev["ts"] >= CHANGE) & (rng.random(len(ev)) < 0.4)
    changed = tmp_path_factory.mktemp("changed")
    ft.write_world(world, changed)
    for old in changed.glob("events.*"):
        old.unlink()
    ev[~lost.to_numpy()].to_parquet(changed / "events.parquet", index=False)
    return same, changed


@pytest.fixture(scope="module")
def trained(store: tuple[Path, object]) -> object:
    return store[1]


@pytest.fixture(scope="module")
def store(worlds: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory,
          ) -> tuple[Path, object]:
    """A propensity model whose labels end 2025-05-31, before the change, in a store of its
    own: (its BRAIN_HOME, the model)."""
    import os

    import mlflow

    home = tmp_path_factory.mktemp("home")
    old = {k: os.environ.get(k) for k in ("BRAIN_HOME", "MLFLOW_TRACKING_URI")}
    os.environ["BRAIN_HOME"] = str(home)
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{home / 'mlflow.db'}"
    try:
        res = CliRunner().invoke(train_app, ["propensity", "--data", str(worlds[0]),
                                             "--last-cutoff", "2025-05-01"])
        assert res.exit_code == 0, res.output
        from training._mlflow import configure_mlflow

        configure_mlflow()
        model = mlflow.pyfunc.load_model("models:/purchase_propensity/1")
        return home, model.unwrap_python_model().model
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _events(folder: Path) -> pd.DataFrame:
    return ft.load_events(next(folder.glob("events.*")))


def test_a_lasting_drop_in_buying_reads_high_and_the_same_shop_unchanged_stays_quiet(
        worlds: tuple[Path, Path], trained: object) -> None:
    same, changed = (_events(w) for w in worlds)
    after = outcome_check(trained, changed, "2025-09-30")
    assert after is not None
    assert [w.start for w in after.windows] == [pd.Timestamp("2025-08-31"),
                                                pd.Timestamp("2025-08-01")]
    assert after.verdict == "high"
    assert all(w.drift is not None and w.drift > 1.3 for w in after.windows)
    assert all(w.ratio > 1.3 for w in after.windows)  # raw: 1 / 0.6 expected
    # the same windows, nothing changed: quiet
    quiet = outcome_check(trained, same, "2025-09-30")
    assert quiet is not None
    assert quiet.verdict == ""
    assert all(w.z is not None and abs(w.z) < Z_LIMIT for w in quiet.windows)
    # before the change, on the changed file: quiet too (windows end by the date scored)
    before = outcome_check(trained, changed, "2025-07-31")
    assert before is not None
    assert before.verdict == ""
    assert before.windows[0].end == pd.Timestamp("2025-07-30")


def test_no_window_has_ended_since_the_training(worlds: tuple[Path, Path],
                                                trained: object) -> None:
    # labels learned to 2025-05-31: a 30-day window from then ends 2025-06-29
    assert outcome_check(trained, _events(worlds[0]), "2025-06-20") is None


def _window(z: float | None, ratio: float = 1.2) -> WindowOutcome:
    drift = None if z is None else float(np.exp(z * 0.05))
    return WindowOutcome(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-30"), 1000, 0.06,
                         0.05, ratio, 1.0, drift, None if z is None else 0.05, 0.8,
                         pd.DataFrame())


def test_a_direction_needs_two_windows_in_a_row_beyond_the_limit() -> None:
    assert _verdict([_window(3.5), _window(3.1)]) == "high"
    assert _verdict([_window(-3.5), _window(-3.1)]) == "low"
    assert _verdict([_window(5.0), _window(2.9)]) == ""  # one window: a moved event, maybe
    assert _verdict([_window(5.0)]) == ""
    assert _verdict([_window(5.0), _window(-5.0)]) == ""
    assert _verdict([_window(None), _window(5.0)]) == ""


def test_the_standard_error_is_the_binomial_delta_method() -> None:
    y = np.r_[np.ones(50), np.zeros(950)]
    assert _log_var(y, "propensity") == pytest.approx(0.95 / 50)
    rev = np.r_[np.full(10, 100.0), np.zeros(90)]
    assert _log_var(rev, "value") == pytest.approx(np.var(rev, ddof=1) / (100 * 10.0 ** 2))


def test_brain_score_prints_the_check_and_says_high(worlds: tuple[Path, Path],
                                                   store: tuple[Path, object], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    home = store[0]
    monkeypatch.setenv("BRAIN_HOME", str(home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
    _shown_notes.clear()
    res = CliRunner().invoke(score_app, [
        "propensity", "--data", str(worlds[1]), "--asof", "2025-09-30", "--out",
        str(tmp_path / "s.parquet"), "--model", "models:/purchase_propensity/1",
            "--no-reasons"])
    assert res.exit_code == 0, res.output
    text = _text(res)
    assert "P(purchase) against what happened" in text
    assert "2025-08-31 .. 2025-09-29" in text
    assert "runs HIGH for two windows in a row" in text
    assert "by decile of the score" in text
    _shown_notes.clear()
    res = CliRunner().invoke(score_app, [
        "propensity", "--data", str(worlds[1]), "--asof", "2025-09-30", "--out",
        str(tmp_path / "s.parquet"), "--model", "models:/purchase_propensity/1",
        "--no-reasons", "--no-outcomes"])
    assert res.exit_code == 0, res.output
    assert "against what happened" not in _text(res)


def test_the_check_record_names_its_windows() -> None:
    check = OutcomeCheck("propensity", 30, pd.Timestamp("2025-12-02"), 1.0, 0.97,
                         (_window(3.5), _window(3.2)), "high")
    from training._customer_outcomes import outcome_note

    note = outcome_note(check)
    assert "runs HIGH for two windows in a row" in note
    assert "(the newest finished one, 1,000 customers)" in note
    # a churn model is judged on 1 - P(churn): the verdict says it the way its scores read
    churn = outcome_note(OutcomeCheck("churn", 30, pd.Timestamp("2025-12-02"), 1.0, 0.97,
                                      (_window(3.5), _window(3.2)), "high"))
    assert "P(purchase) (1 - P(churn)) runs HIGH, i.e. P(churn) runs LOW," in churn


def test_a_check_that_cannot_run_is_said_and_scoring_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import training._customer_outcomes as co
    from serving._cli_outcomes import print_outcomes

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("label_purchase")

    monkeypatch.setattr(co, "outcome_check", broken)
    _shown_notes.clear()
    print_outcomes(object(), pd.DataFrame(), pd.Timestamp("2026-01-01"), None)
    assert any("the check against what happened could not run (KeyError" in n
               for n in _shown_notes)


def test_a_large_population_is_checked_on_a_seeded_sample(worlds: tuple[Path, Path],
                                                          trained: object) -> None:
    """Six feature builds of every customer would double brain score's time on a million
    customers: above max_customers the same seeded sample is checked in every window."""
    events = _events(worlds[0])
    full = outcome_check(trained, events, "2025-09-30")
    part = outcome_check(trained, events, "2025-09-30", max_customers=300)
    assert full is not None
    assert part is not None
    assert full.sample_of is None
    assert part.sample_of == events.loc[events["ts"] < "2025-09-30", "user_id"].nunique()
    assert all(w.customers <= 300 for w in part.windows)
    assert part.windows[0].start == full.windows[0].start
    again = outcome_check(trained, events, "2025-09-30", max_customers=300)
    assert again is not None
    assert again.windows[0].predicted == part.windows[0].predicted  # seeded
