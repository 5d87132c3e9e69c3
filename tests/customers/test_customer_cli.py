"""`brain train/score churn|propensity|value`: events, bring-your-own table, MLflow registry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

import features as ft
from serving.cli import app
from training._mlflow import configure_mlflow

runner = CliRunner()


@pytest.fixture(scope="module")
def world_dir(write_world_dir: Callable[[int, int, int], Path]) -> Path:
    return write_world_dir(1500, 300, 5)


def _ok(args: list[str]) -> str:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return res.output


def test_train_and_score_from_events(world_dir: Path, tmp_path: Path) -> None:
    out = _ok(["train", "churn", "--data", str(world_dir), "--horizon", "45", "--cutoffs", "4",
               "--step-days", "21", "--plots", str(tmp_path / "plots")])
    assert "registered churn v1" in out
    assert {"roc.png", "reliability.png", "lift.png", "importance.png"} <= {
        p.name for p in (tmp_path / "plots").iterdir()}
    # the run itself says which data it learned from (monthly retrains side by side in the UI)
    configure_mlflow()
    client = MlflowClient()
    mv = client.get_model_version("churn", "1")
    tags = client.get_run(mv.run_id).data.tags
    ev = ft.load_events(world_dir / "events.parquet")
    assert tags["data.start"] == str(ev["ts"].min().date())
    assert tags["data.end"] == str(ev["ts"].max().date())
    assert tags["data.n_events"] == str(len(ev))
    assert tags["data_cutoff"] == mv.tags["data_cutoff"]
    # the version says what it learned from, as a forecaster does (version_data)
    assert mv.tags["data.start"] == tags["data.start"]
    frame_users = ev.loc[ev["ts"] < pd.Timestamp(mv.tags["data_cutoff"]), "user_id"].nunique()
    assert 0 < int(mv.tags["data.n_customers"]) <= frame_users
    import json

    record = json.loads(_ok(["models", "churn", "--json"]))["versions"][0]
    assert record["data_cutoff"] == mv.tags["data_cutoff"]
    assert record["data_start"] == tags["data.start"]
    assert record["n_customers"] == int(mv.tags["data.n_customers"])
    scores = tmp_path / "scores.parquet"
    _ok(["score", "churn", "--asof", "2024-10-20", "--data", str(world_dir), "--out",
         str(scores)])
    df = pd.read_parquet(scores)
    assert {"user_id", "asof", "score", "tier", "early_warning", "reason_1", "reason_2",
            "reason_3"} <= set(df.columns)
    assert df["user_id"].is_unique
    assert df["score"].between(0, 1).all()
    assert set(df["tier"]) <= {"high", "medium", "low"}
    assert df["reason_1"].notna().mean() > 0.9


def test_longer_horizon_raises_purchase_probability(world_dir: Path, tmp_path: Path) -> None:
    # no --horizon: propensity's default window is 30 days (churn's 90), so the 90-day scores
    # below extend it
    _ok(["train", "propensity", "--data", str(world_dir), "--cutoffs", "4", "--step-days", "21"])
    short, long = tmp_path / "short.csv", tmp_path / "long.csv"
    base = ["--asof", "2024-10-20", "--data", str(world_dir)]
    _ok(["score", "propensity", *base, "--out", str(short)])
    _ok(["score", "propensity", *base, "--out", str(long), "--horizon-days", "90"])
    a, b = pd.read_csv(short), pd.read_csv(long)
    assert (b["user_id"] == a["user_id"]).all()
    assert (b["score"].to_numpy() >= a["score"].to_numpy() - 1e-9).all()
    assert b["score"].mean() > a["score"].mean()
    # customers the longer horizon lifts out of 'cold' are told what raises their chance, no
    # longer what keeps it low (the reasons follow the final tier)
    left = (a["tier"] == "cold") & (b["tier"] != "cold")
    assert left.sum() > 0
    assert (b.loc[left, "reason_1"] != a.loc[left, "reason_1"]).mean() > 0.5
    stayed = (a["tier"] == "cold") == (b["tier"] == "cold")
    assert b.loc[stayed, "reason_1"].fillna("").equals(a.loc[stayed, "reason_1"].fillna(""))


def test_bring_your_own_table(world_dir: Path, tmp_path: Path) -> None:
    ev = ft.load_events(world_dir / "events.parquet")
    snap = ft.build_training_set(ev, ["2024-08-01"], 60)
    table = pd.DataFrame({
        "customer": "c" + snap["user_id"].astype(str),
        "tenure": snap["tenure_days"], "recency": snap["days_since_last_event"],
        "orders": snap["orders_total"], "spend": snap["revenue_total"],
        "plan": np.where(snap["orders_total"] > 2, "gold", "basic"),
        "churned": snap["label_churn"], "label_spend_next_60d": snap["label_value"]})
    path = tmp_path / "crm.csv"
    table.to_csv(path, index=False)
    out = _ok(["train", "churn", "--table", str(path), "--label-col", "churned", "--id-col",
               "customer"])
    assert "users split" in out
    scored = tmp_path / "crm_scores.csv"
    _ok(["score", "churn", "--table", str(path), "--id-col", "customer", "--out", str(scored)])
    df = pd.read_csv(scored)
    assert len(df) == len(table)
    assert df["customer"].str.startswith("c").all()  # the table's own id column name
    assert df["early_warning"].isna().all()  # the table cannot tell: missing, never False
    _ok(["train", "value", "--table", str(path), "--label-col", "label_spend_next_60d", "--id-col",
         "customer", "--no-register"])
    # a table's errors and notes speak of its file and its own id column (check18)
    blank = tmp_path / "blank.csv"
    table.assign(orders=np.nan).to_csv(blank, index=False)
    res = runner.invoke(app, ["score", "churn", "--table", str(blank), "--id-col", "customer",
                              "--out", str(tmp_path / "b.csv")])
    assert res.exit_code != 0  # an error since 2026-12-07 (test_unreadable_columns)
    assert "blank.csv: column 'orders' (<empty>" in " ".join(res.output.split())
    res = runner.invoke(app, ["score", "churn", "--table", str(blank), "--id-col", "customer",
                              "--out", str(tmp_path / "b.csv"), "--allow-empty-columns"])
    assert res.exit_code == 0, res.output
    assert ("blank.csv: 'orders' has no value in any row (empty, or no cell read as a number) "
            "but had values at training") in " ".join(
        res.output.split())
    short = tmp_path / "short.csv"
    table.drop(columns="orders").to_csv(short, index=False)
    res = runner.invoke(app, ["score", "churn", "--table", str(short), "--id-col", "customer",
                              "--out", str(tmp_path / "s.csv")])
    said = " ".join(res.output.split())
    assert res.exit_code != 0
    assert "short.csv: this model was trained on a table" in said
    assert "'customer'" in said
    assert "'user_id'" not in said
    # a table the model cannot read gets the error alone, not first a note that its other
    # columns are "not used by the model ... the scores do not depend on these"
    extra = tmp_path / "extra.csv"
    table.drop(columns="orders").assign(Region="north").to_csv(extra, index=False)
    res = runner.invoke(app, ["score", "churn", "--table", str(extra), "--id-col", "customer",
                              "--out", str(tmp_path / "s.csv")])
    said = " ".join(res.output.split())
    assert res.exit_code != 0
    assert "extra.csv: this model was trained on a table" in said
    assert "not used by the model" not in said
    res = runner.invoke(app, ["score", "churn", "--table", str(path), "--id-col", "Customer",
                              "--out", str(tmp_path / "s.csv")])
    assert "Did you mean 'customer'? Pass --id-col customer." in " ".join(res.output.split())
    labels = tmp_path / "labels.csv"
    table.assign(churned=table["churned"].astype(object)).pipe(
        lambda t: t.assign(churned=t["churned"].where(t.index != 4, "maybe").where(
            t.index != 2, "Yes"))).to_csv(labels, index=False)
    res = runner.invoke(app, ["train", "churn", "--table", str(labels), "--label-col", "churned",
                              "--id-col", "customer"])
    said = " ".join(res.output.split())
    assert "labels.csv: label column 'churned' must hold 0/1" in said
    assert f"row 5 (customer {table['customer'][4]!r}): 'maybe'" in said
    # the label's own error speaks for it: no column-type note calling 1 cell in hundreds 'too
    # many' or 'Yes' not a number, at training nor at scoring
    assert "1 row holds something else" in said
    assert said.count("column 'churned'") == 1  # the label error's own
    assert "'Yes'" not in said
    assert "numbers are lost" not in said
    res = runner.invoke(app, ["score", "churn", "--table", str(labels), "--id-col", "customer",
                              "--out", str(tmp_path / "l.csv")])
    assert res.exit_code == 0, res.output
    assert "churned" not in res.output


def test_bad_inputs_give_one_line_errors(world_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    pd.DataFrame({"user_id": ["a", "b"], "x": [1, 2], "y": [0, 1]}).to_csv(path, index=False)
    res = runner.invoke(app, ["train", "churn", "--table", str(path)])
    assert res.exit_code == 2
    assert "--label-col" in res.output
    res = runner.invoke(app, ["train", "churn", "--table", str(path), "--label-col", "nope"])
    assert res.exit_code == 2
    assert "label column 'nope' is missing" in res.output
    res = runner.invoke(app, ["score", "value", "--table", str(path), "--out",
                              str(tmp_path / "o.csv")])
    assert res.exit_code == 2
    assert "brain train value" in res.output


def test_champion_moves_only_when_better(world_dir: Path) -> None:
    args = ["train", "churn", "--data", str(world_dir), "--horizon", "45", "--cutoffs", "4",
            "--step-days", "21"]
    _ok(args)
    _ok([*args, "--seed", "1"])
    configure_mlflow()
    client = MlflowClient()
    versions = client.search_model_versions("name='churn'")
    assert len(versions) == 2
    champ = client.get_model_version_by_alias("churn", "champion")
    by_v = {v.version: float(v.tags["eval.brier"]) for v in versions}
    assert by_v[champ.version] == min(by_v.values())
    assert all(v.tags["eval.key"] == versions[0].tags["eval.key"] for v in versions)
    model = mlflow.pyfunc.load_model("models:/churn@champion")
    assert model.metadata.signature is not None


def test_retraining_on_other_rows_rescores_the_champion(world_dir: Path) -> None:
    # the champion's windows end by 2024-08-31; the new validation cutoff (09-13) is later, so
    # the comparison is fair (overlapping windows of the same customers would not be)
    _ok(["train", "churn", "--data", str(world_dir), "--horizon", "30", "--cutoffs", "3",
         "--step-days", "21", "--last-cutoff", "2024-08-01"])
    out = _ok(["train", "churn", "--data", str(world_dir), "--horizon", "30", "--cutoffs", "3",
               "--step-days", "21", "--last-cutoff", "2024-09-13"])
    assert "registered churn v2" in out
    configure_mlflow()
    v1 = MlflowClient().get_model_version("churn", "1")
    scored = {k: v for k, v in v1.tags.items() if k.startswith("rescored.")}
    (value,) = [float(v) for k, v in scored.items() if not k.endswith(".evaluation")]
    assert np.isfinite(value)  # v1 re-scored on v2's validation rows (Brier)
    assert 0.0 < value < 0.25
    assert any("horizon=30" in v for k, v in scored.items() if k.endswith(".evaluation"))


def test_a_model_for_another_horizon_is_not_compared_with_the_champion(world_dir: Path) -> None:
    _ok(["train", "churn", "--data", str(world_dir), "--horizon", "45", "--cutoffs", "3",
         "--step-days", "21"])
    out = " ".join(_ok(["train", "churn", "--data", str(world_dir), "--horizon", "30",
                        "--cutoffs", "3", "--step-days", "21"]).split())
    assert "the champion predicts a 45-day window and this version a 30-day one" in out
    assert "brain score churn --model models:/churn/2" in out
    configure_mlflow()
    assert str(MlflowClient().get_model_version_by_alias("churn", "champion").version) == "1"


def test_a_csv_table_trains_like_the_same_parquet_table(world_dir: Path, tmp_path: Path) -> None:
    ev = ft.load_events(world_dir / "events.parquet")
    snap = ft.build_training_set(ev, ["2024-08-01"], 60)
    table = pd.DataFrame({
        "acct": "c" + snap["user_id"].astype(str),
        "tenure": snap["tenure_days"], "recency": snap["days_since_last_event"],
        "orders": snap["orders_total"], "spend": snap["revenue_total"].round(2),
        "plan": np.where(snap["orders_total"] > 2, "gold", "basic"),
        "signup": (pd.Timestamp("2024-08-01")
                   - pd.to_timedelta(snap["tenure_days"], unit="D")).dt.strftime("%Y-%m-%d"),
        "churned": np.where(snap["label_churn"] == 1, "Yes", "No")})
    table.to_csv(tmp_path / "crm.csv", index=False)
    table.to_parquet(tmp_path / "crm.parquet")
    from serving._cli_customers_inputs import _read_table
    from training._customer_models import CustomerModel

    reports = {}
    for ext in ("csv", "parquet"):
        frame = _read_table(tmp_path / f"crm.{ext}", "acct")
        assert pd.api.types.is_numeric_dtype(frame["recency"])
        assert pd.api.types.is_datetime64_any_dtype(frame["signup"])
        reports[ext] = CustomerModel("churn", label_col="churned", n_estimators=60).fit(
            frame).report_
    assert "signup" in reports["csv"].skipped_columns
    assert reports["csv"].validation == reports["parquet"].validation
    assert reports["csv"].validation.roc_auc > 0.7
    out = _ok(["train", "churn", "--table", str(tmp_path / "crm.csv"), "--label-col", "churned",
               "--id-col", "acct", "--no-register"])
    assert "roc_auc" in out


def test_tier_counts_list_tiers_from_the_highest_down() -> None:
    from serving._cli_customers_print import _tier_counts

    got = _tier_counts(pd.Series(["low", "low", "high", "low"]), "churn")
    assert got["tier"].tolist() == ["high", "medium", "low"]
    assert got["count"].tolist() == ["1", "0", "3"]
    assert got["share"].tolist() == ["25.0%", "0.0%", "75.0%"]
    many = _tier_counts(pd.Series(["low"] * 3833 + ["high"]), "churn")
    assert many["count"].tolist()[-1] == "3,833"
    # with the scores, each tier's mean: value tiers are ranks, the mean says the amount
    val = _tier_counts(pd.Series(["high", "low", "high", "medium"]), "value",
                       pd.Series([3.0, 0.1, 1.5, 0.7]))
    assert val["mean predicted value"].tolist() == ["", "2.25", "0.70", "0.10"]
    churn = _tier_counts(pd.Series(["high", "low"]), "churn", pd.Series([0.8, 0.1]))
    assert churn["mean score"].tolist() == ["0.800", "", "0.100"]


def test_score_says_which_model_and_when_long_gone_customers_crowd_a_tier(
        world_dir: Path, tmp_path: Path) -> None:
    _ok(["train", "churn", "--data", str(world_dir), "--horizon", "30", "--cutoffs", "3",
         "--step-days", "21"])
    out = " ".join(_ok(["score", "churn", "--data", str(world_dir), "--asof", "2024-10-01",
                        "--out", str(tmp_path / "s.parquet")]).split())
    assert "scoring with churn v1 (@champion)" in out
    configure_mlflow()
    v1 = MlflowClient().get_model_version("churn", "1")
    assert v1.description.startswith(f"churn model from {world_dir}")
    assert "30-day label window" in v1.description
    assert "AUC" in v1.description
    assert MlflowClient().get_run(v1.run_id).info.run_name.startswith("train-churn h30 valid ")
    assert "had no activity in the 30 days before the date" in out
    assert "--active-within 30" in out
    out = " ".join(_ok(["score", "churn", "--data", str(world_dir), "--asof", "2024-10-01",
                        "--active-within", "30", "--out", str(tmp_path / "a.parquet")]).split())
    assert "had no activity in the" not in out


def test_rows_that_arrived_late_in_a_regrown_export_get_a_note(world_dir: Path,
                                                               tmp_path: Path) -> None:
    """A monthly re-export of the same log can hold rows dated before the end of the data the
    last training read (late-arriving orders): the labels of windows ending by then change,
    and `brain train` says so instead of recomputing them in silence."""
    ev = pd.read_parquet(world_dir / "events.parquet")
    ts = pd.to_datetime(ev["ts"])
    end = ts.max().normalize()
    # last month's export: the data up to 30 days before the end, without 7 orders of its
    # last week that had not arrived yet
    first = ev[ts < end - pd.Timedelta(days=30)]
    late = first.index[(first["event_type"] == "purchase")
                       & (pd.to_datetime(first["ts"]) >= end - pd.Timedelta(days=37))][:7]
    assert len(late) == 7
    last_month = tmp_path / "last_month"
    last_month.mkdir()
    first.drop(index=late).to_parquet(last_month / "events.parquet", index=False)
    args = ["--horizon", "30", "--cutoffs", "3", "--step-days", "30"]
    out = _ok(["train", "propensity", "--data", str(last_month), *args])
    assert "arrived late" not in out
    # this month's export: everything, the 7 late orders included
    out = _ok(["train", "propensity", "--data", str(world_dir), *args])
    assert "this file holds 7 more events dated" in " ".join(out.split())
    configure_mlflow()
    client = MlflowClient()
    run = client.get_run(client.get_model_version("purchase_propensity", "2").run_id)
    assert run.data.tags["data.changed"].startswith("this file holds 7 more events")
    # the same file again: nothing changed since the last training
    out = _ok(["train", "propensity", "--data", str(world_dir), *args])
    assert "arrived late" not in " ".join(out.split())


def test_demo_customer_models_say_what_data_they_learned_from(world_dir: Path) -> None:
    # `brain demo` trained its three customer models without the events' span: `brain models`
    # read "up to 2025-12-30" and GET /models data_start null, where `brain train --data` on
    # the same folder gives the first day
    import json

    from serving._cli_customers import demo_step

    demo_step(world_dir)
    ev = ft.load_events(world_dir / "events.parquet")
    first = str(ev["ts"].min().date())
    for name in ("churn", "purchase_propensity", "customer_value"):
        record = json.loads(_ok(["models", name, "--json"]))["versions"][0]
        assert record["data_start"] == first, (name, record)
        assert record["data_cutoff"] is not None
