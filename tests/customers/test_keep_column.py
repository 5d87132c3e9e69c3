"""`brain train ... --table --keep-column NAME` keeps a column the identifier rules leave out
(the name rule of ``features.infer_table_types`` and the value rule of
``features._tables.id_like_numbers``), records it with the model, and ``brain score --table``
reads it; the notes on a column left out name the option, and an unknown name is an error
naming the file, the column and the columns there are."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from serving.cli import app

N = 1500


def _table(tmp_path: Path) -> Path:
    """Numbers given in signup order: 'CustomerNo' (an id by its name) tells the tenure with
    the shop, which raises churn; 'asiakas' (an id by its values: unrelated to churn on its
    own) the tenure with a partner, which raises churn on the monthly plan and lowers it on
    the annual one."""
    rng = np.random.default_rng(3)
    shop, partner = rng.uniform(0, 1, N), rng.uniform(0, 1, N)
    plan = rng.choice(["monthly", "annual"], N)
    sign = np.where(plan == "monthly", 1.0, -1.0)
    z = -0.3 + 2.5 * (shop - 0.5) + sign * 3.0 * (partner - 0.5)
    churn = rng.random(N) < 1 / (1 + np.exp(-z))
    path = tmp_path / "crm.csv"
    pd.DataFrame({"customer": [f"K{i}" for i in range(N)],
                  "CustomerNo": 100000 + 3 * shop.argsort().argsort(),
                  "asiakas": 500000 + 7 * partner.argsort().argsort(),
                  "orders": rng.poisson(3, N), "plan": plan,
                  "churned": churn.astype(int)}).to_csv(path, index=False)
    return path


def _train(path: Path, *extra: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, ["train", "churn", "--table", str(path), "--label-col",
                                   "churned", "--id-col", "customer", "--no-register", *extra])
    return res.exit_code, " ".join(res.output.split())


def test_left_out_columns_name_the_option(tmp_path: Path) -> None:
    code, said = _train(_table(tmp_path))
    assert code == 0, said
    assert re.search(r"CustomerNo.*not used as a feature.*--keep-column CustomerNo", said), said
    assert re.search(r"not used as features: asiakas \(whole numbers.*--keep-column asiakas\)",
                     said), said


def test_kept_columns_are_features_recorded_and_scored(tmp_path: Path) -> None:
    from serving._cli_customers_model import _load_model

    path = _table(tmp_path)
    code, said = _train(path, "--keep-column", "CustomerNo", "--keep-column", "asiakas")
    assert code == 0, said
    assert "not used as a feature" not in said, said
    uri = re.search(r"model (models:/m-[0-9a-f]+)", said).group(1)  # type: ignore[union-attr]
    model = _load_model("churn", uri)
    assert model.kept_columns_ == ("CustomerNo", "asiakas")
    assert {"CustomerNo", "asiakas"} <= set(model.numeric_)
    out = tmp_path / "scores.csv"
    res = CliRunner().invoke(app, ["score", "churn", "--table", str(path), "--id-col",
                                   "customer", "--model", uri, "--out", str(out)])
    assert res.exit_code == 0, res.output
    # the kept columns are read at scoring: on the monthly plan, churn rises with 'asiakas'
    scores = pd.read_csv(out).merge(pd.read_csv(path), on="customer")
    monthly = scores[scores["plan"] == "monthly"].sort_values("asiakas")
    k = len(monthly) // 5
    assert monthly["score"].tail(k).mean() > monthly["score"].head(k).mean() + 0.1


def test_unknown_kept_column_is_an_error(tmp_path: Path) -> None:
    code, said = _train(_table(tmp_path), "--keep-column", "customerno")
    assert code != 0, said
    assert ("crm.csv: --keep-column customerno: the table has no column 'customerno'; its "
            "columns are 'customer', 'CustomerNo', 'asiakas', 'orders', 'plan', 'churned'. "
            "Did you mean 'CustomerNo'?") in said
    code, said = _train(_table(tmp_path), "--keep-column", "churned")
    assert code != 0, said
    assert "names the label column" in said, said


def test_kept_column_that_is_never_a_feature_is_an_error(tmp_path: Path) -> None:
    """A 'cutoff' column (the snapshot date) and a 'label_...' column are never features:
    keeping one is an error naming it, not a name recorded as kept (kept_columns_, the run's
    keep_columns) that the model never read."""
    path = _table(tmp_path)
    frame = pd.read_csv(path).assign(cutoff="2026-06-30", label_old=0)
    frame.to_csv(path, index=False)
    for name in ("cutoff", "label_old"):
        code, said = _train(path, "--keep-column", name)
        assert code != 0, said
        assert f"--keep-column {name} names the" in said, said
        assert "never a feature" in said, said


def test_unknown_kept_column_is_not_pointed_at_the_id_or_the_label(tmp_path: Path) -> None:
    """A misspelt name close to the id or the label column is not answered with 'Did you
    mean' that column, which the next run would refuse as never a feature."""
    for name in ("Customer", "Churned"):
        code, said = _train(_table(tmp_path), "--keep-column", name)
        assert code != 0, said
        assert f"the table has no column {name!r}" in said, said
        assert f"Did you mean {name.lower()!r}" not in said, said


def test_kept_column_without_a_value_is_an_error(tmp_path: Path) -> None:
    """A kept column empty in every row (blank, or 'n/a' everywhere) is an error naming the
    file, the column and the fix; it had been recorded as kept and left out as 'all empty'."""
    path = _table(tmp_path)
    pd.read_csv(path).assign(region="n/a", segment=np.nan).to_csv(path, index=False)
    for name in ("region", "segment"):
        code, said = _train(path, "--keep-column", "CustomerNo", "--keep-column", name)
        assert code != 0, said
        assert (f"crm.csv: --keep-column names a column without a value in any of the "
                f"{N:,} rows ('{name}': empty") in said, said
        assert f"or drop --keep-column {name}" in said, said


def test_kept_constant_column_is_a_note_and_not_recorded(tmp_path: Path) -> None:
    """A kept column of one value in every row is a note naming the file, the column and the
    fix, and is not recorded as kept (kept_columns_, the run's keep_columns) nor read."""
    import mlflow

    from serving._cli_customers_model import _load_model

    path = _table(tmp_path)
    pd.read_csv(path).assign(source="crm").to_csv(path, index=False)
    code, said = _train(path, "--keep-column", "CustomerNo", "--keep-column", "source")
    assert code == 0, said
    assert ("crm.csv: --keep-column source: the column is constant ('crm' in every row), so it "
            "cannot tell one customer from another: not used as a feature and not recorded as "
            "kept; drop --keep-column source") in said, said
    uri = re.search(r"model (models:/m-[0-9a-f]+)", said).group(1)  # type: ignore[union-attr]
    model = _load_model("churn", uri)
    assert model.kept_columns_ == ("CustomerNo",)
    assert "source" not in model.features_
    run = re.search(r"run ([0-9a-f]{32})", said).group(1)  # type: ignore[union-attr]
    assert mlflow.get_run(run).data.params["keep_columns"] == "CustomerNo"


def test_kept_columns_are_shown_by_brain_models_and_get_models(tmp_path: Path) -> None:
    """``brain models`` (table and --json) and GET /models (``LoadedModel.describe``) name the
    columns a version was told to keep, only when it kept some; a version registered before
    the version tag is read from its run's keep_columns param."""
    import json

    import mlflow.pyfunc
    from mlflow import MlflowClient

    from serving._registry import LoadedModel
    from serving._schemas_models import ModelInfo

    path = _table(tmp_path)
    for extra in ((), ("--keep-column", "CustomerNo", "--keep-column", "asiakas")):
        res = CliRunner().invoke(app, ["train", "churn", "--table", str(path), "--label-col",
                                       "churned", "--id-col", "customer", *extra])
        assert res.exit_code == 0, res.output
    runner = CliRunner()
    listed = json.loads(runner.invoke(app, ["models", "churn", "--json"]).output)["versions"]
    assert "kept_columns" not in listed[0]
    assert listed[1]["kept_columns"] == ["CustomerNo", "asiakas"]
    said = " ".join(runner.invoke(app, ["models", "churn"]).output.split())
    assert "kept columns" in said, said
    assert "CustomerNo," in said, said  # the cell may wrap after the comma
    # a version registered before the tag: its run's param
    client = MlflowClient()
    client.delete_model_version_tag("churn", "2", "keep_columns")
    listed = json.loads(runner.invoke(app, ["models", "churn", "--json"]).output)["versions"]
    assert listed[1]["kept_columns"] == ["CustomerNo", "asiakas"]
    for version, kept in (("1", None), ("2", ["CustomerNo", "asiakas"])):
        mv = client.get_model_version("churn", version)
        loaded = LoadedModel("churn", version, mlflow.pyfunc.load_model(
            f"models:/churn/{version}").unwrap_python_model(), {}, dict(mv.tags), mv.run_id)
        described = loaded.describe()
        assert described.get("kept_columns") == kept
        assert ModelInfo.model_validate(described).kept_columns == kept
    overview = json.loads(runner.invoke(app, ["models", "--json"]).output)[0]
    assert overview.get("champion_kept_columns") == (
        None if overview["champion"] == "1" else ["CustomerNo", "asiakas"])


def test_kept_column_the_model_does_not_read_is_named_and_not_recorded(tmp_path: Path) -> None:
    """A kept date column without a snapshot date (no --asof) is not a feature: the note names
    it with why, and it is not recorded as kept (kept_columns_, the run's keep_columns)."""
    import mlflow

    from serving._cli_customers_model import _load_model

    path = _table(tmp_path)
    frame = pd.read_csv(path)
    frame["signup date"] = (pd.Timestamp("2026-06-30") - pd.to_timedelta(
        np.arange(N) % 700, unit="D")).strftime("%Y-%m-%d")
    frame.to_csv(path, index=False)
    code, said = _train(path, "--keep-column", "CustomerNo", "--keep-column", "signup date")
    assert code == 0, said
    assert ("crm.csv: --keep-column 'signup date': not used as a feature (date column: pass "
            "--asof") in said, said
    uri = re.search(r"model (models:/m-[0-9a-f]+)", said).group(1)  # type: ignore[union-attr]
    assert _load_model("churn", uri).kept_columns_ == ("CustomerNo",)
    run = re.search(r"run ([0-9a-f]{32})", said).group(1)  # type: ignore[union-attr]
    assert mlflow.get_run(run).data.params["keep_columns"] == "CustomerNo"


def test_kept_ordinary_column_is_a_note_and_not_recorded(tmp_path: Path) -> None:
    """A kept column the rules read as a feature anyway (a count, a plan of two levels) is a
    note saying the option changes nothing, and is not recorded as kept (kept_columns_, the
    run's keep_columns); it stays a feature. It had been listed as kept by ``brain models``."""
    import mlflow

    from serving._cli_customers_model import _load_model

    path = _table(tmp_path)
    code, said = _train(path, "--keep-column", "CustomerNo", "--keep-column", "orders",
                        "--keep-column", "plan")
    assert code == 0, said
    for name in ("orders", "plan"):
        assert (f"crm.csv: --keep-column {name}: the column is read as a feature without the "
                "option (it is not taken for an identifier, a code or free text), so the "
                "option changes nothing and the column is not recorded as kept; drop "
                f"--keep-column {name}") in said, said
    assert "--keep-column CustomerNo: the column is read" not in said, said
    uri = re.search(r"model (models:/m-[0-9a-f]+)", said).group(1)  # type: ignore[union-attr]
    model = _load_model("churn", uri)
    assert model.kept_columns_ == ("CustomerNo",)
    assert {"orders", "plan"} <= set(model.features_)
    run = re.search(r"run ([0-9a-f]{32})", said).group(1)  # type: ignore[union-attr]
    assert mlflow.get_run(run).data.params["keep_columns"] == "CustomerNo"


def test_kept_column_taken_for_an_id_by_its_values_stays_kept(tmp_path: Path) -> None:
    """'asiakas' is left out by the value rule (whole numbers, one per customer), not by its
    type: keeping it matters, so it is recorded and no 'changes nothing' note is shown."""
    from serving._cli_customers_model import _load_model

    code, said = _train(_table(tmp_path), "--keep-column", "asiakas")
    assert code == 0, said
    assert "changes nothing" not in said, said
    uri = re.search(r"model (models:/m-[0-9a-f]+)", said).group(1)  # type: ignore[union-attr]
    assert _load_model("churn", uri).kept_columns_ == ("asiakas",)
