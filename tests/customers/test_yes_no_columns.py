"""A table column of yes/no written several ways (``yes``, ``Y``, ``true``, ``1`` beside ``no``,
``N``, ...) is one yes and one no to the model: at fit, and when scoring through the model (the
CLI's ``brain score --table``, the pyfunc and the API's live rows all score with its codes).

An independent check (2026-12-06) trained on a CRM table whose 'Auto Renew' held
yes/Yes/Y/no/No/N: 'Y' and 'N' were levels of their own, so the model split one meaning in two
and reasons read "Auto Renew: N"."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from training._customer_models import CustomerModel

FAST = {"n_estimators": 60, "learning_rate": 0.1}
N = 1200


def _table(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    auto = rng.random(N) < 0.5
    tenure = rng.integers(1, 72, N)
    churn = rng.random(N) < 1 / (1 + np.exp(-(0.8 - 1.6 * auto - 0.03 * (tenure - 36))))
    yes = rng.choice(["yes", "Yes", "Y", "TRUE"], N, p=[0.6, 0.2, 0.15, 0.05])
    no = rng.choice(["no", "No", "N", "false"], N, p=[0.6, 0.2, 0.15, 0.05])
    return pd.DataFrame({"user_id": [f"c{i}" for i in range(N)],
                         "auto_renew": np.where(auto, yes, no), "tenure": tenure,
                         "plan": rng.choice(["Basic", "Pro", "maybe"], N),
                         "label_churn": churn.astype(int)})



def _fit_noting(table: pd.DataFrame) -> tuple[CustomerModel, list[str]]:
    """A churn model fitted on ``table``, and the notes its fit logged."""
    notes: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            notes.append(record.getMessage())

    log = logging.getLogger("training._customer_models")
    handler = Keep()
    log.addHandler(handler)
    try:
        model = CustomerModel("churn", **FAST).fit(table)
    finally:
        log.removeHandler(handler)
    return model, notes

@pytest.fixture(scope="module")
def fitted() -> tuple[CustomerModel, pd.DataFrame, list[str]]:
    table = _table()
    model, notes = _fit_noting(table)
    return model, table, notes


def test_yes_no_spellings_of_one_column_are_two_levels_with_a_note(fitted) -> None:
    model, table, notes = fitted
    assert model.levels_["auto_renew"] == ["no", "yes"]
    assert sorted(model.levels_["plan"]) == ["Basic", "Pro", "maybe"]  # not yes/no: as it was
    shown = [n for n in notes if "'auto_renew'" in n]
    assert len(shown) == 1
    other = int((~table["auto_renew"].isin(["yes", "no"])).sum())
    assert shown[0].startswith(
        "CustomerModel(churn): column 'auto_renew' writes yes and no 8 ways ('yes', 'Yes', "
        "'Y', 'TRUE'; 'no', 'No', 'N', 'false'): read as one yes ('yes') and one no ('no') "
        f"({other:,} cells written otherwise)")


def test_every_yes_spelling_scores_as_yes_and_reasons_quote_the_model_s_level(fitted) -> None:
    from training._customer_mlflow import score_frame

    model, table, _ = fitted
    rows = pd.concat([table.head(1)] * 7, ignore_index=True).drop(columns="label_churn")
    rows["user_id"] = [f"r{i}" for i in range(7)]
    rows["auto_renew"] = ["yes", "Y", "y", "TRUE", "1", " Yes ", "true"]
    scores = model.predict_proba(rows)[:, 1]
    np.testing.assert_allclose(scores, scores[0])
    rows["auto_renew"] = ["no", "N", "n", "FALSE", "0", " No ", "f"]
    no_scores = model.predict_proba(rows)[:, 1]
    np.testing.assert_allclose(no_scores, no_scores[0])
    assert abs(no_scores[0] - scores[0]) > 0.05  # the column carries the signal
    out = score_frame(model, table.drop(columns="label_churn"))
    reasons = out.filter(like="reason_").stack().astype(str)
    quoted = reasons[reasons.str.startswith("auto renew: ")]
    assert set(quoted.str.removeprefix("auto renew: ")) == {"yes", "no"}  # never 'N' or 'Y'



def test_live_rows_and_the_score_note_do_not_call_yes_no_spellings_unseen(fitted) -> None:
    from serving._answers import row_warnings
    from training._customer_scoring import unseen_levels_note

    model, table, _ = fitted
    rows = table.head(4).drop(columns="label_churn").assign(auto_renew=["Y", "N", "TRUE", "no"])
    assert not [w for w in row_warnings(model, rows) if w["code"] == "unseen_categories"]
    note = unseen_levels_note(model, rows) or ""
    assert "never saw" not in note
    assert "'Y' as 'yes'" in note
    rows["auto_renew"] = ["maybe", "Y", "N", "no"]  # not a yes/no spelling: still unseen
    assert "'auto_renew': 1 rows hold levels the model never saw ('maybe' 1" in (
        unseen_levels_note(model, rows) or "")


def test_a_column_written_yes_no_one_way_but_for_case_keeps_its_levels() -> None:
    table = _table().assign(auto_renew=lambda f: np.where(
        f["auto_renew"].str.lower().isin(["yes", "y", "true"]), "Yes", "No"))
    model = CustomerModel("churn", **FAST).fit(table)
    assert model.levels_["auto_renew"] == ["No", "Yes"]
    assert not getattr(model, "yes_no_", {})


def test_a_model_saved_before_reads_its_own_levels() -> None:
    """Models pickled before yes/no columns were read record none: 'Y' is their own level."""
    model = CustomerModel("churn", **FAST).fit(_table())
    del model.yes_no_  # as unpickled from before: the class default, no yes/no columns
    model.levels_["auto_renew"] = ["N", "Y", "no", "yes"]  # what such a model learned
    rows = _table().head(2).drop(columns="label_churn").assign(auto_renew=["Y", "TRUE"])
    x = model._array(rows)
    j = model.features_.index("auto_renew")
    assert x[0, j] == 1  # 'Y', its own level
    assert np.isnan(x[1, j])  # 'TRUE' was never one of its levels


def test_a_yes_no_column_with_cells_spelling_missing_is_still_one_yes_and_one_no() -> None:
    """A CRM export's yes/no column with a few 'N/A', '-' or blank (' ') cells: those are kept
    as written (a text column's missing spellings), the yes/no spellings are still one yes and
    one no. It had kept 'Y' and 'N' as levels of their own: one 'N/A' cell was enough."""
    table = _table()
    table.loc[[3, 40, 41], "auto_renew"] = ["N/A", "-", " "]
    model, notes = _fit_noting(table)
    assert model.yes_no_["auto_renew"] == ("yes", "no")
    assert sorted(model.levels_["auto_renew"]) == [" ", "-", "N/A", "no", "yes"]
    other = int((~table["auto_renew"].isin(["yes", "no", "N/A", "-", " "])).sum())
    shown = [n for n in notes if "'auto_renew' writes yes and no" in n]
    assert len(shown) == 1
    assert shown[0].endswith(f"({other:,} cells written otherwise; 3 cells such as ' ', '-', "
                             "'N/A' kept as written)")
    rows = pd.concat([table.head(1)] * 2, ignore_index=True).drop(columns="label_churn")
    scores = model.predict_proba(rows.assign(auto_renew=["Y", "yes"]))[:, 1]
    assert scores[0] == scores[1]
    # a third value that is no missing spelling still leaves the column as written
    maybe = _table().assign(auto_renew=lambda f: f["auto_renew"].mask(f.index == 5, "maybe"))
    assert not CustomerModel("churn", **FAST).fit(maybe).yes_no_


def test_yes_no_codes_read_per_distinct_value_equal_those_read_cell_by_cell() -> None:
    """``model_level_codes`` reads a yes/no column's spellings once per distinct value and
    only for cells that are no level already; the codes equal reading every cell's spelling
    (text, numbers, booleans, missing, an unseen value, a repeated index, a JSON list)."""
    from training._customer_levels import NO_SPELLINGS, YES_SPELLINGS, level_codes

    class Model:
        levels_ = {"a": ["N/A", "no", "yes"]}  # noqa: RUF012
        yes_no_ = {"a": ("yes", "no")}  # noqa: RUF012

    def cell_by_cell(values: pd.Series) -> np.ndarray:
        read = [v if not isinstance(v, (str, int, float, bool)) or pd.isna(v) else
                "yes" if str(v).strip().casefold() in YES_SPELLINGS else
                "no" if str(v).strip().casefold() in NO_SPELLINGS else v
                for v in values.tolist()]
        return level_codes(pd.Index(Model.levels_["a"]), pd.Series(read, dtype=object))

    from training._customer_levels import model_level_codes

    spellings = ["yes", "no", "Y", "N", " TRUE ", "f", "1", "0", 1, 0, True, False, 1.0,
                 "maybe", "N/A", "n/a", None, np.nan, "YES", "nO"]
    rng = np.random.default_rng(7)
    for _ in range(100):
        k = int(rng.integers(1, 30))
        cells = [spellings[i] for i in rng.integers(0, len(spellings), k)]
        values = pd.Series(cells, dtype=object, index=rng.integers(0, 4, k))
        np.testing.assert_array_equal(model_level_codes(Model(), "a", values),
                                      cell_by_cell(values))
        text = [c for c in cells if isinstance(c, str)]
        if text:
            as_category = pd.Series(text, dtype="category")
            np.testing.assert_array_equal(model_level_codes(Model(), "a", as_category),
                                          cell_by_cell(pd.Series(text, dtype=object)))
    odd = pd.Series([[1], "Y", "no"], dtype=object)
    assert model_level_codes(Model(), "a", odd).tolist() == [-1, 2, 1]
