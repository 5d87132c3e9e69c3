"""A table model trained on a ';'-separated file with decimal commas ('19,19') reads text cells of
those columns the same way in every scoring path: ``brain score --table``, the pyfunc given a
frame of the file's text cells, and the API's live rows.

A review (2026-12-06) found the pyfunc reading '19,19' as missing and the API answering a 400
(or reading '1,234' as 1234), while ``brain score --table`` read 19.19: one customer, three
scores."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from features import infer_table_types, number_cells
from serving._answers import _check_numbers
from serving._core import BadRequestError
from training._mlflow import configure_mlflow

N = 600


def _table(seed: int = 2) -> pd.DataFrame:
    """A Telco-like export whose churn rises with MonthlyCharges, written as a German Excel
    export writes numbers ('19,19')."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 72, N)
    monthly = rng.uniform(18, 120, N).round(2)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], N)
    logit = -3.0 - 0.03 * tenure + 0.06 * monthly + np.where(contract == "Month-to-month", 1, 0)
    return pd.DataFrame({
        "customerID": [f"{i:04d}-AB" for i in range(N)], "tenure": tenure, "Contract": contract,
        "MonthlyCharges": [f"{v:.2f}".replace(".", ",") for v in monthly],
        "Churn": np.where(rng.random(N) < 1 / (1 + np.exp(-logit)), "Yes", "No")})


ROW = {"customerID": "9999-ZZ", "tenure": 5, "Contract": "Month-to-month",
       "MonthlyCharges": "119,19"}


@pytest.fixture
def trained(tmp_path: Path) -> tuple[Path, Path]:
    """``brain train churn --table`` on the ';' file (churn v1, champion), and a ';' file of one
    new customer whose MonthlyCharges is '119,19'."""
    from typer.testing import CliRunner

    from serving.cli import app

    train, new = tmp_path / "train.csv", tmp_path / "new.csv"
    _table().to_csv(train, sep=";", index=False)
    pd.DataFrame([ROW]).to_csv(new, sep=";", index=False)
    res = CliRunner().invoke(app, ["train", "churn", "--table", str(train), "--label-col",
                                   "Churn", "--id-col", "customerID"])
    assert res.exit_code == 0, res.output
    return new, tmp_path


def _cli_score(table: Path, tmp_path: Path) -> float:
    from typer.testing import CliRunner

    from serving.cli import app

    out = tmp_path / "scores.csv"
    res = CliRunner().invoke(app, ["score", "churn", "--table", str(table), "--id-col",
                                   "customerID", "--model", "models:/churn/1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return float(pd.read_csv(out)["score"].iloc[0])


def _api_score(row: dict[str, object]) -> float:
    from serving._core import Brain
    from serving._registry import Champions
    from serving._schemas import UsersRequest
    from serving.service import _loader

    champions = Champions(loader=_loader)
    champions.refresh()
    answer = Brain(champions, None).score("churn_risk", UsersRequest(rows=[row]))
    return float(answer["results"][0]["score"])


def test_one_customer_scores_the_same_through_the_cli_the_pyfunc_and_the_api(
        trained: tuple[Path, Path]) -> None:
    new, tmp_path = trained
    configure_mlflow()
    pyfunc = mlflow.pyfunc.load_model("models:/churn/1")
    cli = _cli_score(new, tmp_path)
    raw = pd.read_csv(new, sep=";")  # the file's text cells: '119,19' is a str
    assert raw["MonthlyCharges"].iloc[0] == "119,19"
    got = pyfunc.predict(raw, params={"reasons": False})
    api = _api_score(ROW)
    assert got["score"].iloc[0] == pytest.approx(cli, rel=1e-9)
    assert api == pytest.approx(cli, rel=1e-6)
    # and the score is that of 119.19, not of a missing MonthlyCharges
    as_number = pyfunc.predict(raw.assign(MonthlyCharges=119.19), params={"reasons": False})
    blank = pyfunc.predict(raw.assign(MonthlyCharges=np.nan), params={"reasons": False})
    assert as_number["score"].iloc[0] == pytest.approx(cli, rel=1e-9)
    assert abs(blank["score"].iloc[0] - cli) > 1e-3
    # a ',' file of the same customer ('119,19' quoted) scores the same in the CLI too
    comma = tmp_path / "new-comma.csv"
    pd.DataFrame([ROW]).to_csv(comma, index=False)
    assert _cli_score(comma, tmp_path) == pytest.approx(cli, rel=1e-9)
    # what the model recorded at fit: the ';' file's number columns
    model = pyfunc.unwrap_python_model().model
    assert model.decimal_comma_ == ("tenure", "MonthlyCharges")


def test_a_model_saved_before_reads_text_cells_as_it_did(trained: tuple[Path, Path]) -> None:
    """A model pickled before the record has the class default (none): the pyfunc reads
    '119,19' as missing, the API answers a 400, as before."""
    new, _ = trained
    configure_mlflow()
    pyfunc = mlflow.pyfunc.load_model("models:/churn/1")
    model = pyfunc.unwrap_python_model().model
    del model.decimal_comma_  # as unpickled from before: the class default
    assert model.decimal_comma_ == ()
    raw = pd.read_csv(new, sep=";")
    got = pyfunc.predict(raw, params={"reasons": False})
    blank = pyfunc.predict(raw.assign(MonthlyCharges=np.nan), params={"reasons": False})
    assert got["score"].iloc[0] == pytest.approx(blank["score"].iloc[0], rel=1e-9)
    frame = pd.DataFrame([ROW])
    with pytest.raises(BadRequestError, match="must hold numbers or null"):
        _check_numbers(frame, list(model.numeric_), table=True,
                       decimal_comma=model.decimal_comma_)


def test_a_decimal_comma_column_reads_1_234_as_1_234_and_other_columns_as_before() -> None:
    """'1,234' is ambiguous: in a column recorded as decimal-comma it is 1.234 (as a ';' file
    writes it), in any other column 1234 (a thousands separator), as before."""
    cells = pd.Series(["1,234", "19,19", "1.234,50", " N/A ", "12%"])
    values, missing = number_cells(cells, decimal_comma=True)
    np.testing.assert_allclose(values.to_numpy(), [1.234, 19.19, 1234.5, np.nan, 12.0])
    assert missing.tolist() == [False, False, False, True, False]
    assert number_cells(pd.Series(["1,234"]))[0].tolist() == [1234.0]
    frame = pd.DataFrame({"a": ["1,234", "2,5"], "b": ["1,234", "7"]})
    _check_numbers(frame, ["a", "b"], table=True, decimal_comma=("a",))
    assert frame["a"].tolist() == [1.234, 2.5]
    assert frame["b"].tolist() == [1234.0, 7.0]
    # a frame without a separator (the pyfunc's) reads the recorded columns so too
    typed = infer_table_types(pd.DataFrame({"a": ["1,234", "2,5"], "b": ["1,234", "7"]}),
                              numeric=("a", "b"), decimal_comma=("a",))
    assert typed["a"].tolist() == [1.234, 2.5]
    assert typed["b"].tolist() == [1234.0, 7.0]
    assert typed.attrs["decimal_comma_columns"] == ["a"]
    semi = pd.DataFrame({"a": ["19,19"], "c": ["x"]})
    semi.attrs["separator"] = ";"
    assert infer_table_types(semi).attrs["decimal_comma_columns"] == ["a"]
