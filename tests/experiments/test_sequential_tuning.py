"""Sequential results tuned far below the test's size say so (independent check, 2026-12-05):
the default tuning_n of 5,000 on a 400,000-unit test gave confidence sequences 16% wider than
tuned ones, with "tuned for n=5000" in a table title as the only hint."""

from __future__ import annotations

import pandas as pd

import experiments as ex


def _table(n: int) -> pd.DataFrame:
    rows = [("control", "y", n, 0.10 * n, 0.10 * n), ("treatment", "y", n, 0.102 * n, 0.102 * n)]
    return pd.DataFrame(rows, columns=["variant", "metric", "n", "sum", "sum_sq"])


def test_far_larger_test_than_tuning_gets_a_note() -> None:
    res = ex.analyze_summary(_table(200_000), "control", "y",
                             options=ex.AnalysisOptions(sequential=True))
    (note,) = [w for w in res.warnings if w.startswith("sequential:")]
    assert "tuned for 5,000 units but the test has 400,000" in note
    assert "16% wider" in note
    tuned = ex.analyze_summary(_table(200_000), "control", "y",
                               options=ex.AnalysisOptions(sequential=True, tuning_n=400_000))
    assert not [w for w in tuned.warnings if w.startswith("sequential:")]
    small = ex.analyze_summary(_table(5_000), "control", "y",
                               options=ex.AnalysisOptions(sequential=True))
    assert not [w for w in small.warnings if w.startswith("sequential:")]
    plain = ex.analyze_summary(_table(200_000), "control", "y")
    assert not [w for w in plain.warnings if w.startswith("sequential:")]
