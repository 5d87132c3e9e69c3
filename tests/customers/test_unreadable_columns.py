"""A scored table whose number column cannot be read in any row (a French CRM export's
``panier_moyen`` written 'n/a' everywhere, or left blank) stops ``brain score --table`` with an
error naming the file, the column, its cells and the rows, unless ``--allow-empty-columns``;
a column unreadable in some rows only is a note that counts them and names the first rows.

Until 2026-12-07 the whole column was a note and every customer was scored as if the value
were unknown (on a generated French CRM table the mean P(churn) moved from 0.125 to 0.159)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from serving.cli import app

N = 400
runner = CliRunner()


def _table(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    orders = rng.poisson(4, N)
    basket = rng.gamma(3, 15, N).round(2)
    logit = 1.0 - 0.4 * orders - 0.02 * basket
    return pd.DataFrame({
        "client": [f"FR{i:05d}" for i in range(N)], "nb_commandes": orders,
        "panier_moyen": [f"{v:.2f}".replace(".", ",") for v in basket],
        "résilié": np.where(rng.random(N) < 1 / (1 + np.exp(-logit)), "oui", "non")})


@pytest.fixture
def trained(tmp_path: Path) -> Path:
    path = tmp_path / "clients.csv"
    _table().to_csv(path, sep=";", index=False)
    res = runner.invoke(app, ["train", "churn", "--table", str(path), "--label-col", "résilié",
                              "--id-col", "client"])
    assert res.exit_code == 0, res.output
    return tmp_path


def _score(table: pd.DataFrame, folder: Path, *extra: str) -> tuple[int, str, Path]:
    path, out = folder / "nouveaux.csv", folder / "scores.csv"
    table.drop(columns="résilié").to_csv(path, sep=";", index=False)
    res = runner.invoke(app, ["score", "churn", "--table", str(path), "--id-col", "client",
                              "--out", str(out), *extra])
    return res.exit_code, " ".join(res.output.split()), out


@pytest.mark.parametrize("cell", ["n/a", ""])
def test_a_number_column_unreadable_in_every_row_is_an_error(trained: Path, cell: str) -> None:
    code, said, out = _score(_table(4).assign(panier_moyen=cell), trained)
    assert code != 0, said
    assert not out.exists()
    written = "'n/a' 400 rows" if cell else "<empty> 400 rows"  # as written
    assert (f"nouveaux.csv: column 'panier_moyen' ({written}) has no value that reads as a "
            "number in any row (all 400 rows scored)") in said
    assert "Fix: write numbers in that column as at training, with decimal commas such as " \
        "'37,03'" in said
    assert "--allow-empty-columns" in said
    # the flag scores anyway, with the note of before
    code, said, out = _score(_table(4).assign(panier_moyen=cell), trained,
                             "--allow-empty-columns")
    assert code == 0, said
    assert "'panier_moyen' has no value in any row" in said
    assert len(pd.read_csv(out)) == N


def test_a_number_column_unreadable_in_some_rows_is_a_note_naming_them(trained: Path) -> None:
    table = _table(4)
    table.loc[[3, 17], "panier_moyen"] = "inconnu"
    table.loc[[5], "panier_moyen"] = "n/a"
    code, said, out = _score(table, trained)
    assert code == 0, said
    assert ("column 'panier_moyen' holds numbers; values that are not were read as missing "
            "(2 cells; first at row 4: 'inconnu', 18: 'inconnu')") in said
    assert "column 'panier_moyen': 1 cell such as ['n/a'] (first at row 6) read as missing" in said
    assert len(pd.read_csv(out)) == N


# The same table through the pyfunc and the API's live rows: one check
# (``training._customer_empty``), one typed error. Until 2026-12-07 both scored every customer
# as if the column were unknown, without a word.

def _pyfunc():  # type: ignore[no-untyped-def]
    import mlflow

    from training._mlflow import configure_mlflow

    configure_mlflow()
    return mlflow.pyfunc.load_model("models:/churn/1")


def _api(rows: list[dict[str, object]], **extra: object) -> dict[str, object]:
    from serving._core import Brain
    from serving._registry import Champions
    from serving._schemas import UsersRequest
    from serving.service import _loader

    champions = Champions(loader=_loader)
    champions.refresh()
    return Brain(champions, None).score("churn_risk", UsersRequest(rows=rows, **extra))


def _rows(table: pd.DataFrame) -> list[dict[str, object]]:
    """The table's rows as a JSON client sends them (a blank cell as null)."""
    rows = table.drop(columns="résilié").to_dict("records")
    for row in rows:
        row["nb_commandes"] = int(row["nb_commandes"])
        if row["panier_moyen"] == "":
            row["panier_moyen"] = None
    return rows


@pytest.mark.parametrize("cell", ["n/a", ""])
def test_the_pyfunc_stops_on_the_same_table_with_the_same_typed_error(trained: Path,
                                                                      cell: str) -> None:
    from training._customer_empty import EmptyColumnsError

    pyfunc = _pyfunc()
    table = _table(4).assign(panier_moyen=cell).drop(columns="résilié")
    with pytest.raises(EmptyColumnsError) as err:
        pyfunc.predict(table, params={"reasons": False})
    said = str(err.value)
    written = "'n/a' 400 rows" if cell else "<empty> 400 rows"
    assert said.startswith(f"the table: column 'panier_moyen' ({written}) has no value that "
                           "reads as a number in any row (all 400 rows scored)"), said
    assert said.endswith("pass params={'allow_empty_columns': True}")
    assert err.value.columns == ["panier_moyen"]
    assert isinstance(err.value, ValueError)
    got = pyfunc.predict(table, params={"reasons": False, "allow_empty_columns": True})
    assert len(got) == N
    # a readable table is scored as before
    assert len(pyfunc.predict(_table(4).drop(columns="résilié"), params={"reasons": False})) == N


@pytest.mark.parametrize("cell", ["n/a", ""])
def test_the_api_answers_400_naming_the_column_and_the_request_option(trained: Path,
                                                                      cell: str) -> None:
    from serving._answers import BadRequestError

    rows = _rows(_table(4).assign(panier_moyen=cell))
    with pytest.raises(BadRequestError) as err:
        _api(rows)
    said = str(err.value)
    written = "'n/a' 400 rows" if cell else "<empty> 400 rows"
    assert said.startswith(f"rows: column 'panier_moyen' ({written}) has no value that reads "
                           "as a number in any row (all 400 rows scored)"), said
    assert "Fix: write numbers in that column as at training" in said
    assert said.endswith('send "allow_empty_columns": true with the rows')
    assert (err.value.code, err.value.field, err.value.loc) == (
        "unreadable_columns", "rows", ["rows", "panier_moyen"])
    assert err.value.detail is not None
    assert err.value.detail[0]["loc"] == ["rows", "panier_moyen"]
    answer = _api(rows, allow_empty_columns=True)
    assert len(answer["results"]) == N  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", ["n/a", None])
def test_one_live_customer_without_the_value_is_scored_with_it_missing(trained: Path,
                                                                       cell: object) -> None:
    """A request for one customer (under 20 rows) whose cell is null or 'n/a' is a missing value,
    as brain score --table reads a table of a few rows; text that is no number is a 400."""
    from serving._answers import BadRequestError

    row = {**_rows(_table(4))[0], "panier_moyen": cell}
    answer = _api([row])
    assert len(answer["results"]) == 1  # type: ignore[arg-type]
    blank = _api([{**row, "panier_moyen": None}])
    assert answer["results"][0]["score"] == blank["results"][0]["score"]  # type: ignore[index]
    with pytest.raises(BadRequestError) as err:
        _api([{**row, "panier_moyen": "beaucoup"}])
    assert (err.value.code, err.value.loc) == ("not_a_number", ["rows", 0, "panier_moyen"])


def test_direct_score_checks_empty_columns_too() -> None:
    """``CustomerModel.score`` (and ``predict``/``predict_proba``) on a frame whose number
    column has no value in any row raises the error of the other paths, unless
    ``allow_empty_columns=True``; until 2026-12-07 it scored everyone as if it were unknown."""
    from training._customer_empty import EmptyColumnsError
    from training._customer_models import CustomerModel

    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"user_id": [f"C{i}" for i in range(N)],
                          "orders": rng.poisson(4, N), "basket": rng.gamma(3, 15, N)})
    logit = 1.0 - 0.4 * frame["orders"] - 0.02 * frame["basket"]
    frame["label_churn"] = (rng.random(N) < 1 / (1 + np.exp(-logit))).astype(int)
    model = CustomerModel("churn", n_estimators=50).fit(frame)
    blank = frame.drop(columns="label_churn").assign(basket=np.nan)
    for call in (model.score, model.predict, model.predict_proba):
        with pytest.raises(EmptyColumnsError, match=r"the frame: column 'basket' has no value "
                           r".*pass allow_empty_columns=True"):
            call(blank)
    scores = model.score(blank, allow_empty_columns=True)
    assert len(scores) == N
    assert np.isfinite(scores).all()
    assert len(model.predict_proba(blank, allow_empty_columns=True)) == N
    # fewer rows than the check needs (a request for one customer) score as before
    assert np.isfinite(model.score(blank.head(5))).all()


def test_raw_scores_and_reasons_check_empty_columns_too() -> None:
    """``raw_score``, ``contributions``, ``path_contributions``, ``path_score`` and
    ``path_score_only`` (the reasons' paths) make the check of ``score``, with the same
    ``allow_empty_columns=True``; until 2026-12-07 they explained scores made as if the empty
    column were unknown, without a word."""
    from training._customer_empty import EmptyColumnsError
    from training._customer_models import CustomerModel

    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"user_id": [f"C{i}" for i in range(N)],
                          "orders": rng.poisson(4, N), "basket": rng.gamma(3, 15, N)})
    logit = 1.0 - 0.4 * frame["orders"] - 0.02 * frame["basket"]
    frame["label_churn"] = (rng.random(N) < 1 / (1 + np.exp(-logit))).astype(int)
    value = frame.assign(label_value=rng.gamma(2, 20, N) * (frame["label_churn"] == 0))
    for model, fitted_on in ((CustomerModel("churn", n_estimators=50), frame),
                             (CustomerModel("value", n_estimators=50),
                              value.drop(columns="label_churn"))):
        model.fit(fitted_on)
        blank = frame[["user_id", "orders", "basket"]].assign(basket=np.nan)
        calls = (model.raw_score, model.contributions, model.path_contributions,
                 model.path_score, model.path_score_only)
        for call in calls:
            with pytest.raises(EmptyColumnsError, match=r"the frame: column 'basket' has no "
                               r"value .*pass allow_empty_columns=True"):
                call(blank)  # type: ignore[operator]
            call(blank, allow_empty_columns=True)  # type: ignore[operator]
            call(blank.head(5))  # type: ignore[operator]  # fewer rows than the check needs: scored as before
        raw = model.raw_score(blank, allow_empty_columns=True)
        assert np.isfinite(raw).all()
        total = model.contributions(blank, allow_empty_columns=True).sum(axis=1).to_numpy()
        if model.kind == "classifier":
            np.testing.assert_allclose(total, raw, atol=1e-6)


def test_a_pyfunc_logged_before_the_param_says_how_to_score_anyway(trained: Path) -> None:
    """A version whose signature lacks 'allow_empty_columns' (logged before 2026-12-07): MLflow
    drops the param, so the error no longer tells the user to pass it; it names the ways that
    work, and the unwrapped model scores with it."""
    import json

    import mlflow
    import yaml

    from training._customer_empty import EmptyColumnsError
    from training._mlflow import configure_mlflow

    configure_mlflow()
    local = Path(mlflow.artifacts.download_artifacts("models:/churn/1",
                                                     dst_path=str(trained / "old")))
    spec = yaml.safe_load((local / "MLmodel").read_text())
    params = json.loads(spec["signature"]["params"])
    spec["signature"]["params"] = json.dumps(
        [p for p in params if p["name"] != "allow_empty_columns"])
    (local / "MLmodel").write_text(yaml.safe_dump(spec))
    old = mlflow.pyfunc.load_model(str(local))
    table = _table(4).assign(panier_moyen="n/a").drop(columns="résilié")
    for params_given in ({"reasons": False}, {"reasons": False, "allow_empty_columns": True}):
        with pytest.raises(EmptyColumnsError) as err:
            old.predict(table, params=params_given)
        said = str(err.value)
        assert "pass params={'allow_empty_columns': True}" not in said, said
        assert said.endswith("logged before its signature took 'allow_empty_columns', and "
                             "MLflow drops a param the signature lacks: fill the column, "
                             "retrain (brain train registers a version that takes it), or call "
                             "unwrap_python_model().predict(None, table, "
                             "{'allow_empty_columns': True})"), said
    got = old.unwrap_python_model().predict(None, table, {"reasons": False,
                                                          "allow_empty_columns": True})
    assert len(got) == N
