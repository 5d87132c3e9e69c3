"""`brain train/score` inputs: dates, duplicate rows, table columns that are not features."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import features as ft
from serving.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def world_dir(write_world_dir: Callable[[int, int, int], Path]) -> Path:
    return write_world_dir(800, 240, 3)


def _run(args: list[str], code: int = 0) -> str:
    res = runner.invoke(app, args)
    assert res.exit_code == code, res.output
    return " ".join(res.output.split())  # rich wraps long lines


@pytest.mark.parametrize("value", ["10/09/2011", "next monday", "2011-9-10", "2011-02-30"])
def test_date_options_accept_iso_dates_only_and_name_the_option(value: str,
                                                                tmp_path: Path) -> None:
    out = _run(["score", "churn", "--events", str(tmp_path / "e.csv"), "--asof", value,
                "--out", str(tmp_path / "s.csv")], code=2)
    assert f"--asof: '{value}' is not" in out
    assert "YYYY-MM-DD" in out
    out = _run(["train", "churn", "--events", str(tmp_path / "e.csv"), "--last-cutoff", value],
               code=2)
    assert f"--last-cutoff: '{value}' is not" in out


def test_on_duplicate_rejects_unknown_choices(tmp_path: Path) -> None:
    out = _run(["train", "churn", "--events", str(tmp_path / "e.csv"), "--on-duplicate", "x"],
               code=2)
    assert "--on-duplicate: 'x' is not one of drop, keep, error" in out


def test_asof_outside_the_data_and_duplicate_rows(world_dir: Path, tmp_path: Path) -> None:
    out = _run(["train", "churn", "--data", str(world_dir), "--horizon", "30", "--cutoffs", "3",
                "--step-days", "21"])
    # the settings line says what the losses are: each setting plain and from the baseline
    # (it read 'among 6 (loss a / b / c / d / e / f)' for three settings tried two ways)
    assert "settings, each plain and from the baseline (loss " in out
    ev = pd.read_parquet(world_dir / "events.parquet")
    first, last = ev["ts"].min(), ev["ts"].max()
    base = ["score", "churn", "--data", str(world_dir), "--no-reasons"]
    out = _run([*base, "--asof", f"{first:%Y-%m-%d}", "--out", str(tmp_path / "a.csv")], code=2)
    assert "is not after the first event" in out
    assert f"{first:%Y-%m-%d}" in out
    late = last + pd.Timedelta(days=400)
    out = _run([*base, "--asof", f"{late:%Y-%m-%d}", "--out", str(tmp_path / "b.csv")])
    assert f"warning: --asof {late:%Y-%m-%d} is " in out
    assert f"days after the last event ({last}" in out
    day_after = last.normalize() + pd.Timedelta(days=1)
    out = _run([*base, "--asof", f"{day_after:%Y-%m-%d}", "--out", str(tmp_path / "c.csv")])
    assert "warning:" not in out
    # a log whose identical rows are genuine (two equal lines of one invoice)
    doubled = pd.concat([ev, ev.iloc[:3]], ignore_index=True).sort_values("ts", kind="stable")
    path = tmp_path / "events.csv"
    doubled.to_csv(path, index=False)
    score = ["score", "churn", "--events", str(path), "--asof", f"{day_after:%Y-%m-%d}",
             "--no-reasons", "--out", str(tmp_path / "d.csv")]
    assert "dropped 3 exact duplicate rows" in _run(score)
    assert "duplicate" not in _run([*score, "--on-duplicate", "keep"])
    out = _run([*score, "--on-duplicate", "error"], code=2)
    assert "exact duplicate rows" in out
    # only the customers still active: the others are counted, not scored
    all_users = pd.read_csv(tmp_path / "c.csv")
    out = _run([*base, "--asof", f"{day_after:%Y-%m-%d}", "--active-within", "30", "--out",
                str(tmp_path / "e.csv")])
    recent = ev[(ev["ts"] >= day_after - pd.Timedelta(days=30))
                & (ev["event_type"].astype(str) != "refund")]["user_id"].nunique()
    active = pd.read_csv(tmp_path / "e.csv")
    assert len(active) == recent < len(all_users)
    assert (f"--active-within 30: {recent:,} customers with an event (not counting refunds) in "
            f"the 30 days before {day_after:%Y-%m-%d} are scored; "
            f"{len(all_users) - recent:,} without one") in out
    assert "needs --data/--events" in _run(
        [*base, "--active-within", "0", "--asof", f"{day_after:%Y-%m-%d}", "--out",
         str(tmp_path / "f.csv")], code=2)


def _crm(world_dir: Path, with_cutoff: bool) -> pd.DataFrame:
    ev = ft.load_events(world_dir / "events.parquet")
    snap = ft.build_training_set(ev, ["2024-06-01"], 60)
    table = pd.DataFrame({
        "customer": "c" + snap["user_id"].astype(str),
        "recency": snap["days_since_last_event"], "orders": snap["orders_total"],
        "plan": np.where(snap["orders_total"] > 2, "gold", "basic"),
        "signup_date": (pd.Timestamp("2024-06-01") - pd.to_timedelta(
            snap["tenure_days"].round(), unit="D")).dt.strftime("%Y-%m-%d"),
        "market": "US", "legacy_score": np.nan,
        "churned": snap["label_churn"]})
    if with_cutoff:
        table.insert(1, "cutoff", "2024-06-01")
    return table


def test_table_training_names_every_column_it_does_not_use(world_dir: Path,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    _crm(world_dir, with_cutoff=False).assign(flag=0.0, rate=2.5, version=3).to_csv(
        path, index=False)
    out = _run(["train", "churn", "--table", str(path), "--label-col", "churned", "--id-col",
                "customer"])
    assert "note: not used as features: signup_date (date column: pass --asof" in out
    assert "market (constant ('US' in every row))" in out
    assert "legacy_score (all empty)" in out
    # numbers as plain numbers, never np.float64(0.0)
    assert "flag (constant (0 in every row))" in out
    assert "rate (constant (2.5 in every row))" in out
    assert "version (constant (3 in every row))" in out
    assert "np." not in out
    import mlflow

    from training._mlflow import configure_mlflow

    configure_mlflow()
    model = mlflow.pyfunc.load_model("models:/churn@champion").unwrap_python_model().model
    used = set(model.numeric_) | set(model.categorical_)
    assert {"recency", "orders", "plan"} <= used
    assert not used & {"market", "legacy_score", "signup_date", "flag", "rate", "version"}


def test_table_scores_have_an_asof_column(world_dir: Path, tmp_path: Path) -> None:
    plain, stacked = tmp_path / "crm.csv", tmp_path / "crm_cut.csv"
    _crm(world_dir, with_cutoff=False).to_csv(plain, index=False)
    _crm(world_dir, with_cutoff=True).to_csv(stacked, index=False)
    _run(["train", "churn", "--table", str(plain), "--label-col", "churned", "--id-col",
          "customer"])
    score = ["score", "churn", "--id-col", "customer", "--no-reasons", "--table"]
    _run([*score, str(plain), "--out", str(tmp_path / "a.parquet")])
    a = pd.read_parquet(tmp_path / "a.parquet")
    assert list(a.columns[:2]) == ["customer", "asof"]
    assert a["asof"].isna().all()  # the table does not say when: empty, never a guess
    _run([*score, str(plain), "--asof", "2024-06-01", "--out", str(tmp_path / "b.parquet")])
    assert (pd.read_parquet(tmp_path / "b.parquet")["asof"] == pd.Timestamp("2024-06-01")).all()
    out = _run([*score, str(stacked), "--asof", "2025-01-01", "--out",
                str(tmp_path / "c.parquet")])
    assert "--asof is not used" in out
    assert (pd.read_parquet(tmp_path / "c.parquet")["asof"] == pd.Timestamp("2024-06-01")).all()


def test_data_validate_takes_on_duplicate_like_train_and_score(world_dir: Path,
                                                               tmp_path: Path) -> None:
    ev = pd.read_parquet(world_dir / "events.parquet")
    path = tmp_path / "events.csv"
    pd.concat([ev, ev.iloc[:2]], ignore_index=True).sort_values(
        "ts", kind="stable").to_csv(path, index=False)
    out = _run(["data", "validate", "--events", str(path)])
    assert "dropped 2 exact duplicate rows" in out
    assert "--on-duplicate keep" in out
    assert "duplicate" not in _run(["data", "validate", "--events", str(path),
                                    "--on-duplicate", "keep"])


def test_scoring_events_without_a_trained_category_uses_the_models_vocabulary(
        world_dir: Path, tmp_path: Path) -> None:
    """A category the model was trained with is absent from the scoring log (a discontinued
    product): its share is 0, not a missing-column error."""
    _run(["train", "propensity", "--data", str(world_dir), "--horizon", "30", "--cutoffs", "3",
          "--step-days", "21"])
    ev = pd.read_parquet(world_dir / "events.parquet")
    gone = ev["category"].dropna().astype(str).value_counts().index[-1]
    path = tmp_path / "events.csv"
    ev[ev["category"].astype(str) != gone].to_csv(path, index=False)
    day_after = ev["ts"].max().normalize() + pd.Timedelta(days=1)
    _run(["score", "propensity", "--events", str(path), "--asof", f"{day_after:%Y-%m-%d}",
          "--no-reasons", "--out", str(tmp_path / "s.parquet")])
    assert len(pd.read_parquet(tmp_path / "s.parquet")) > 0


def test_a_leaky_table_column_blocks_promotion_unless_the_user_opts_in(world_dir: Path,
                                                                        tmp_path: Path) -> None:
    table = _crm(world_dir, with_cutoff=False)
    table["cancel_reason_code"] = table["churned"] * 3 + 1  # known only after the churn
    path = tmp_path / "leaky.csv"
    table.to_csv(path, index=False)
    train = ["train", "churn", "--table", str(path), "--label-col", "churned", "--id-col",
             "customer"]
    out = _run(train)
    assert "cancel_reason_code" in out
    assert "not promoted" in out
    assert "--allow-suspected-leakage" in out
    # scoring with the default (champion) model says why there is none and how to go on
    out = _run(["score", "churn", "--table", str(path), "--id-col", "customer", "--out",
                str(tmp_path / "s.parquet")], code=2)
    assert "no churn version is champion yet; 1 version(s) are registered" in out
    assert "v1, was not promoted (suspected leakage" in out
    assert "--model models:/churn/1" in out
    out = _run([*train, "--allow-suspected-leakage"])
    assert "becomes champion" in out


def test_a_model_of_the_wrong_kind_is_a_one_line_error(world_dir: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _run(["train", "propensity", "--data", str(world_dir), "--horizon", "30", "--cutoffs", "3",
          "--step-days", "21"])
    out = _run(["forecast", "predict", "--horizon", "7", "--model-uri",
                "models:/purchase_propensity/1", "--out", str(tmp_path / "f")], code=2)
    assert "is not a traffic forecaster (it holds a CustomerScorer)" in out

    class Forecaster:  # what a traffic_forecaster pyfunc unwraps to: no customer model
        forecaster = object()

    class Loaded:
        def unwrap_python_model(self) -> Forecaster:
            return Forecaster()

    import mlflow

    monkeypatch.setattr(mlflow.pyfunc, "load_model", lambda uri: Loaded())
    out = _run(["score", "churn", "--model", "models:/traffic_forecaster/1", "--events",
                str(world_dir / "events.parquet"), "--asof", "2024-06-01", "--out",
                str(tmp_path / "s.csv")], code=2)
    assert "is not a customer model (it holds a Forecaster)" in out


def test_table_scoring_notes_levels_the_model_never_saw(world_dir: Path, tmp_path: Path) -> None:
    train, new = tmp_path / "crm.csv", tmp_path / "crm_new.csv"
    crm = _crm(world_dir, with_cutoff=False)
    crm.to_csv(train, index=False)
    _run(["train", "churn", "--table", str(train), "--label-col", "churned", "--id-col",
          "customer"])
    score = ["score", "churn", "--id-col", "customer", "--no-reasons", "--table"]
    out = _run([*score, str(train), "--out", str(tmp_path / "a.parquet")])
    assert "never saw" not in out
    crm.loc[crm.index[:7], "plan"] = "platinum"
    crm.drop(columns=["churned"]).to_csv(new, index=False)
    out = _run([*score, str(new), "--out", str(tmp_path / "b.parquet")])
    assert "crm_new.csv: 'plan': 7 rows hold levels the model never saw ('platinum' 7" in out
    assert "it knows 'basic', 'gold'" in out


def test_levels_that_differ_only_in_case_score_as_the_model_s_level(world_dir: Path,
                                                                    tmp_path: Path) -> None:
    train, new = tmp_path / "crm.csv", tmp_path / "crm_case.csv"
    crm = _crm(world_dir, with_cutoff=False)
    crm.to_csv(train, index=False)
    _run(["train", "churn", "--table", str(train), "--label-col", "churned", "--id-col",
          "customer"])
    score = ["score", "churn", "--id-col", "customer", "--table"]
    _run([*score, str(train), "--out", str(tmp_path / "a.parquet")])
    gold = crm["plan"] == "gold"
    crm.loc[gold, "plan"] = " GOLD"  # a re-export that changed the spelling
    crm.drop(columns=["churned"]).to_csv(new, index=False)
    out = _run([*score, str(new), "--out", str(tmp_path / "b.parquet")])
    assert (f"read as the model's levels, ignoring case and spaces: 'plan': {int(gold.sum()):,} "
            "cells (' GOLD' as 'gold')") in out
    assert "never saw" not in out
    a, b = (pd.read_parquet(tmp_path / f) for f in ("a.parquet", "b.parquet"))
    np.testing.assert_allclose(a["score"], b["score"])
    reasons = b.filter(like="reason_").stack()
    assert not reasons.str.contains("GOLD").any()  # reasons quote the level the model read


def test_active_within_counts_refund_only_customers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The note had left them out of both counts (a gift-shop check: 2,066 + 5,637 of 7,715)."""
    from serving import _cli_customers_inputs as cli

    ev = pd.DataFrame({
        "user_id": ["a", "b", "c"],
        "ts": pd.to_datetime(["2024-05-20", "2024-01-10", "2024-05-25"]),
        "event_type": ["purchase", "purchase", "refund"]})
    notes: list[str] = []
    monkeypatch.setattr(cli, "show_note", notes.append)
    kept = cli._active_customers(ev, pd.Timestamp("2024-06-01"), 30)
    assert kept["user_id"].tolist() == ["a"]
    assert notes == ["--active-within 30: 1 customers with an event (not counting refunds) in "
                     "the 30 days before 2024-06-01 are scored; 1 without one are not, nor 1 "
                     "with refunds only"]


def test_training_names_the_best_single_feature_and_says_when_it_wins(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from serving import _cli_customers_print as cli

    notes: list[str] = []
    monkeypatch.setattr(cli, "show_note", notes.append)
    rep = SimpleNamespace(best_single_feature=("days_since_last_purchase", 0.847))
    with cli.console.capture() as cap:
        cli._best_single_line(rep, {"roc_auc": 0.840})
    line = " ".join(cap.get().split())
    assert ("best single feature on the validation rows: days since last purchase "
            "(days_since_last_purchase), AUC, read either way 0.8470; the model: 0.8400") in line
    assert len(notes) == 1
    assert "no better than 'days since last purchase' alone (0.8400 against 0.8470)" in notes[0]
    notes.clear()
    with cli.console.capture():
        cli._best_single_line(rep, {"roc_auc": 0.90})
    assert not notes


def test_a_date_column_filled_only_for_churners_is_named_as_the_outcome_date(
        world_dir: Path, tmp_path: Path) -> None:
    # a CRM's cancellation_date is the churn itself: the note must not advise deriving a
    # number of days from it (that feature would leak the label)
    table = _crm(world_dir, with_cutoff=False)
    table["cancellation_date"] = np.where(table["churned"] == 1, "2024-07-15", "")
    path = tmp_path / "crm_cancel.csv"
    table.to_csv(path, index=False)
    out = _run(["train", "churn", "--table", str(path), "--label-col", "churned", "--id-col",
                "customer", "--no-register"])
    assert "cancellation_date (date column filled for 100% of the rows with label 1 and 0% of " \
           "the others: it looks like the date of the outcome" in out
    assert ("signup_date (date column: pass --asof with the date the table was exported (or a "
            "cutoff column) to use it as days since)") in out


def test_snapshot_checks_its_asof_as_brain_score_does(world_dir: Path) -> None:
    ev = pd.read_parquet(world_dir / "events.parquet")
    first, last = ev["ts"].min(), ev["ts"].max()
    base = ["snapshot", "--data", str(world_dir), "--asof"]
    out = _run([*base, "01/03/2024"], code=2)  # day or month first?
    assert "--asof: '01/03/2024' is not" in out
    # before the first event: an error, not a snapshot of 0 customers replacing the served one
    out = _run([*base, f"{first - pd.Timedelta(days=30):%Y-%m-%d}"], code=2)
    assert "is not after the first event" in out
    late = last + pd.Timedelta(days=200)
    out = _run([*base, f"{late:%Y-%m-%d}"])
    assert f"warning: --asof {late:%Y-%m-%d} is " in out
    assert "scored by the API as if nobody bought or visited since" in out
    out = _run([*base, f"{last.normalize() + pd.Timedelta(days=1):%Y-%m-%d}"])
    assert "warning:" not in out
    assert "snapshot as of" in out


def test_table_rows_without_a_customer_id_are_left_out_with_a_note(world_dir: Path,
                                                                   tmp_path: Path) -> None:
    table = _crm(world_dir, with_cutoff=False)
    path = tmp_path / "crm.csv"
    table.to_csv(path, index=False)
    _run(["train", "churn", "--table", str(path), "--label-col", "churned", "--id-col",
          "customer"])
    new = table.drop(columns="churned").astype({"customer": object})
    new.loc[[2, 5], "customer"] = np.nan
    new.to_csv(tmp_path / "new.csv", index=False)
    out = _run(["score", "churn", "--table", str(tmp_path / "new.csv"), "--id-col", "customer",
                "--no-reasons", "--out", str(tmp_path / "s.csv")])
    # 'of' the table's rows: "(1,000 rows; first at ...)" read as the rows without an id
    assert (f"2 rows have no customer id in 'customer' (of {len(table):,} rows; first at rows "
            "3, 6") in out
    scored = pd.read_csv(tmp_path / "s.csv")
    assert len(scored) == len(table) - 2
    assert scored["customer"].notna().all()  # no score without an id


def test_errors_and_notes_quoting_data_in_brackets_are_printed_whole(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A message quoting ids or values as a list that starts with a word ('[nan, ...]') had
    been read as console markup and vanished: 'first ids )'."""
    import typer

    from serving._cli_common import friendly_errors, show_note

    @friendly_errors
    def fails() -> None:
        show_note("values [yes, no] read as 1/0")
        raise ValueError("4 rows repeat 3 customers (first ids [nan, 'u1', 'u2'])")

    with pytest.raises(typer.Exit):
        fails()
    err = " ".join(capsys.readouterr().err.split())
    assert "(first ids [nan, 'u1', 'u2'])" in err
    assert "values [yes, no] read as 1/0" in err


def test_table_scoring_reads_the_id_column_the_model_was_trained_with(world_dir: Path,
                                                                     tmp_path: Path) -> None:
    """A Telco-like model trained with --id-col customerID stopped scoring its own table
    with "the customer id column 'user_id' is missing ... Pass --id-col NAME", where its pyfunc
    and the API read the column it was trained with."""
    path = tmp_path / "crm.csv"
    _crm(world_dir, with_cutoff=False).to_csv(path, index=False)
    _run(["train", "churn", "--table", str(path), "--label-col", "churned", "--id-col",
          "customer"])
    out = _run(["score", "churn", "--no-reasons", "--table", str(path), "--out",
                str(tmp_path / "s.csv")])
    assert "customer ids read from 'customer', the id column this model was trained with" in out
    assert pd.read_csv(tmp_path / "s.csv").columns[0] == "customer"


def test_a_value_model_below_its_column_by_spearman_but_better_at_the_top_says_so(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Retail check: expected orders alone had Spearman 0.577 against the model's 0.562, and
    the note said 'a rule on that feature is as good meanwhile', while the model's top tenth
    held 72.0% of the revenue against 61.8% for the column's."""
    from types import SimpleNamespace

    from serving import _cli_customers_print as cli

    notes: list[str] = []
    monkeypatch.setattr(cli, "show_note", notes.append)
    rep = SimpleNamespace(best_single_feature=("bgnbd_expected_orders_365d", 0.5771),
                          best_single_capture=0.618)
    with cli.console.capture():
        cli._best_single_line(rep, {"spearman": 0.5615, "top_decile_capture": 0.720})
    assert len(notes) == 1
    assert "is as good" not in notes[0]
    assert "72.0% of the validation revenue against 61.8%" in notes[0]
    notes.clear()
    with cli.console.capture():  # worse at the top too: the rule is as good
        cli._best_single_line(rep, {"spearman": 0.5615, "top_decile_capture": 0.600})
    assert len(notes) == 1
    assert "a rule on that feature is as good meanwhile" in notes[0]


def test_single_feature_capture_reads_the_column_in_the_direction_that_orders_revenue() -> None:
    from training._customer_report import single_feature_capture

    rng = np.random.default_rng(0)
    n = 1_000
    recency = rng.uniform(0, 365, n)
    revenue = np.where(recency < 30, rng.gamma(2, 50, n), 0.0)  # recent customers buy
    x = pd.DataFrame({"days_since": recency, "noise": rng.normal(size=n)})
    top = single_feature_capture(x, revenue, x, revenue, "days_since")
    order = np.argsort(recency)[:100]  # lowest recency first: the right direction
    assert top == pytest.approx(revenue[order].sum() / revenue.sum())
    assert top > 0.95
    assert single_feature_capture(x, revenue, x, revenue, "missing_col") is None
    assert single_feature_capture(x, np.zeros(n), x, np.zeros(n), "days_since") is None


def test_suggested_id_and_label_columns_are_quoted_for_the_shell(tmp_path: Path) -> None:
    """A CRM export's 'Customer ID' was suggested as `Pass --id-col Customer ID.`, which a shell
    splits into two arguments; the suggestion is now shell-quoted."""
    path = tmp_path / "crm.csv"
    pd.DataFrame({"Customer ID": ["a", "b"], "Churned Flag": ["yes", "no"],
                  "x": [1, 2]}).to_csv(path, index=False)
    out = _run(["train", "churn", "--table", str(path), "--id-col", "customer_id",
                "--label-col", "Churned Flag"], code=2)
    assert "Pass --id-col 'Customer ID'." in out
    out = _run(["train", "churn", "--table", str(path), "--id-col", "Customer ID",
                "--label-col", "churned_flag"], code=2)
    assert "Pass --label-col 'Churned Flag'." in out


def test_active_within_keeps_the_refund_share_of_every_customer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """refund_share_total of the customers ``--active-within`` scores is the one they have among
    every customer, as the model was trained on: its base share had been the active ones'."""
    from types import SimpleNamespace

    from serving import _cli_customers as cli
    from serving import _cli_customers_inputs as inputs

    monkeypatch.setattr(inputs, "show_note", lambda _: None)
    rng = np.random.default_rng(0)
    n = 200
    ids = np.repeat(np.arange(n), 3)
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 150, 3 * n), unit="D")
    # the customers who stopped buying early are the heavy returners: the active ones' share
    # of refunded money is far below the base's
    late = ids < n // 2
    day = np.where(late, day + pd.Timedelta(days=150), day)
    buys = pd.DataFrame({"user_id": ids, "ts": day, "event_type": "purchase",
                         "revenue": rng.uniform(20, 80, 3 * n), "channel": "web",
                         "category": "shoes", "acquisition_channel": "web"})
    buys["order_id"] = np.arange(len(buys)).astype(str)
    back = buys[~late].iloc[::2].assign(event_type="refund", revenue=lambda d: -d["revenue"],
                                        ts=lambda d: d["ts"] + pd.Timedelta(days=7))
    ev = pd.concat([buys, back], ignore_index=True).sort_values("ts", kind="stable")
    asof = pd.Timestamp("2024-10-01")
    everyone = ft.user_features(ev, asof).set_index("user_id")["refund_share_total"]
    model = SimpleNamespace(features_=["refund_share_total"])
    _, feats, _ = cli._scoring_features(model, ev, asof, None, 90)
    assert 0 < len(feats) < len(everyone)
    got = feats.set_index("user_id")["refund_share_total"]
    np.testing.assert_allclose(got.to_numpy(), everyone.loc[got.index].to_numpy())


def test_a_table_id_column_of_integral_floats_reads_as_the_integer_ids(tmp_path: Path) -> None:
    """A CRM export whose id column went through a float ('12345.0'), as the events loaders
    read it: the scores had been written under '20000.0', which joins neither to the integer
    id 20000 nor to its text '20000'."""
    from serving._cli_customers_inputs import _read_table
    from training._customer_mlflow import _as_table
    from training._customer_models import CustomerModel

    path = tmp_path / "crm.csv"
    path.write_text("Customer ID,tenure\n20000.0,3\n 20001.00 ,5\nAB-7,1\n0042,2\n")
    frame = _read_table(path, "Customer ID")
    assert frame["user_id"].tolist() == ["20000", "20001", "AB-7", "0042"]
    model = CustomerModel("churn", label_col="churned")
    model.numeric_, model.categorical_ = ["tenure"], []
    sent = pd.DataFrame({"Customer ID": ["20000.0", "AB-7"], "tenure": [3, 1]})
    assert _as_table(model, sent, "Customer ID")["user_id"].tolist() == ["20000", "AB-7"]


def test_an_id_written_twice_two_ways_is_named_with_its_rows_and_spellings(
        tmp_path: Path) -> None:
    """'20000' and '20000.0' are one customer, repeated: the refusal names the rows as the
    file wrote them, counted in the file (a row without an id before them left out); it had
    named the id '20000' alone, which the file never wrote twice."""
    from serving._cli_customers_inputs import _read_table

    path = tmp_path / "crm.csv"
    path.write_text("user_id,tenure\nu1,1\n,2\n20000,3\n20000.0,4\n")
    with pytest.raises(ValueError, match=r"crm\.csv: 1 row repeats 1 customer ") as refused:
        _read_table(path, "user_id")
    assert "'20000' (row 3: '20000', row 4: '20000.0')" in str(refused.value)


def test_integral_float_ids_beyond_exact_integers_are_kept_as_text() -> None:
    """A float id column with a value past 2**53 (1e19) had raised pandas' TypeError
    ('cannot safely cast non-equivalent float64 to int64'); the others still read as their
    integers."""
    from features import table_ids

    out = table_ids(pd.Series([1e19, 2.0, np.nan]))
    assert out.iloc[1] == "2"
    assert out.iloc[0] not in ("", "nan")
    assert float(out.iloc[0]) == 1e19
    assert pd.isna(out.iloc[2])


def test_table_training_notes_name_the_file_not_the_model_class(world_dir: Path,
                                                                tmp_path: Path) -> None:
    """A CRM check's training printed "CustomerModel(churn): column 'Auto Renew': 1231 cells
    differ ..." and "CustomerModel(value): 1 of 6,000 rows have no label": the class name of
    our code where the file's name belongs, as in the errors about the table."""
    crm = _crm(world_dir, with_cutoff=False)
    crm.loc[crm.index[::3], "plan"] = crm.loc[crm.index[::3], "plan"].str.upper()
    crm["churned"] = crm["churned"].astype("Int64")
    crm.loc[crm.index[:2], "churned"] = pd.NA
    path = tmp_path / "crm.csv"
    crm.to_csv(path, index=False)
    out = _run(["train", "churn", "--table", str(path), "--label-col", "churned", "--id-col",
                "customer", "--no-register"])
    assert "CustomerModel(" not in out
    assert f"crm.csv: 2 of {len(crm):,} rows have no label ('churned' empty)" in out
    assert "crm.csv: column 'plan':" in out


def test_a_spreadsheets_empty_rows_at_the_end_are_left_out_in_one_note(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An Excel export ends in rows of commas only (',,,,'): one note says they are empty rows,
    where the empty-cells note had counted their cells in every column ('5 of 6,005') beside a
    note on 5 rows without a customer id. An empty row in the middle is still a row without
    an id (dropping it would move the row numbers the other notes give)."""
    from serving._cli_customers_inputs import _read_table

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"Customer No": [f"{i:06d}" for i in range(1, 201)],
                          "Tickets": rng.integers(0, 5, 200),
                          "Churned": rng.choice(["Yes", "No"], 200)})
    path = tmp_path / "crm.csv"
    table.to_csv(path, index=False)
    with path.open("a") as f:
        f.write(",,\n" * 5)
    frame = _read_table(path, "Customer No", label_col="Churned")
    said = capsys.readouterr()
    out = " ".join((said.out + said.err).split())
    assert len(frame) == 200
    assert frame["user_id"].iloc[0] == "000001"  # leading zeros kept
    assert ("crm.csv: the last 5 rows are empty in every column (rows 201 to 205, data rows "
            "counted from 1; a spreadsheet's unused rows): left out") in out
    assert "empty cells" not in out
    assert "no customer id" not in out


def test_trailing_empty_rows_are_found_from_the_end_of_a_table(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The rows are read from the end a block at a time (the whole table as text had taken 46 s
    for 500,000 rows of 30 columns): 700 blank rows (cells of spaces too) after an empty row in
    the middle are all left out, the middle one stays, and a table of empty rows only is kept
    whole (the other notes say what is wrong with it)."""
    from serving._cli_customers_inputs import _without_trailing_empty_rows

    data = pd.DataFrame({"id": ["a", None, "c"], "n": [1.0, np.nan, 3.0]})
    blank = pd.DataFrame({"id": [" ", None] * 350, "n": [np.nan] * 700})
    frame = pd.concat([data, blank], ignore_index=True)
    out = _without_trailing_empty_rows(frame, "t.csv")
    assert out.equals(data)
    got = capsys.readouterr()
    said = " ".join((got.out + got.err).split())
    assert "the last 700 rows are empty in every column (rows 4 to 703" in said
    assert _without_trailing_empty_rows(blank, "t.csv").equals(blank)
    assert _without_trailing_empty_rows(data, "t.csv").equals(data)


def _app_users(n: int, empty: float, seed: int) -> pd.DataFrame:
    """A grocery CRM's table: 'App-Nutzer' (Ja/Nein) with a share ``empty`` of empty cells."""
    rng = np.random.default_rng(seed)
    bons = rng.poisson(12, n)
    app = rng.choice(["Ja", "Nein"], n).astype(object)
    app[rng.random(n) < empty] = None
    p = 1 / (1 + np.exp(-(4.0 - 0.35 * bons)))
    return pd.DataFrame({"Kundennummer": [f"{i:010d}" for i in range(n)],
                         "Bons 12 Monate": bons,
                         "Filiale": rng.choice(["Nord", "Süd", "West"], n),
                         "App-Nutzer": app,
                         "Gekündigt": np.where(rng.random(n) < p, "Ja", "Nein")})


def test_empty_cells_of_a_text_column_get_a_note_at_training_and_a_changed_share_at_scoring(
        tmp_path: Path) -> None:
    """An independent check's 'App-Nutzer' had 8% empty cells read as missing without a word
    (the empty-cells note counted number and date columns only); at scoring, a column empty
    far more often than at training (a broken export) is named with both shares."""
    train = _app_users(1000, 0.08, 0)
    train.loc[[1, 4], "Bons 12 Monate"] = None
    path = tmp_path / "crm.csv"
    train.to_csv(path, index=False)
    out = _run(["train", "churn", "--table", str(path), "--label-col", "Gekündigt",
                "--id-col", "Kundennummer"])
    n = int(train["App-Nutzer"].isna().sum())
    first = ", ".join(str(i + 1) for i in np.flatnonzero(train["App-Nutzer"].isna())[:3])
    assert (f"crm.csv: empty cells of text columns, column 'App-Nutzer' {n} of 1,000 "
            f"({n / 1000:.1%}; first at rows {first}): read as missing: not a level of their "
            "own, the model scores such a cell as it scores a value it never saw") in out
    assert "'Filiale'" not in out.split("empty cells of text columns")[1].split("note:")[0]
    assert "empty cells read as missing: column 'Bons 12 Monate' 2 of 1,000" in out
    base = ["score", "churn", "--table", str(tmp_path / "neu.csv"), "--id-col", "Kundennummer"]
    _app_users(300, 0.08, 1).drop(columns="Gekündigt").to_csv(tmp_path / "neu.csv", index=False)
    out = _run([*base, "--out", str(tmp_path / "a.csv")])
    assert "'App-Nutzer' is empty" not in out  # about the training's share: no note
    broken = _app_users(300, 0.40, 2).drop(columns="Gekündigt")
    broken.to_csv(tmp_path / "neu.csv", index=False)
    out = _run([*base, "--out", str(tmp_path / "b.csv")])
    now = broken["App-Nutzer"].isna()
    assert (f"neu.csv: 'App-Nutzer' is empty in {now.mean():.1%} of the rows ({int(now.sum())} "
            f"of 300; first at rows") in out
    assert f"against {n / 1000:.1%} at training" in out
    assert "A broken or changed export?" in out


def test_the_empty_cells_of_many_text_columns_are_one_note() -> None:
    """Seven category columns with gaps: one line names five of them and counts the others;
    a column without gaps, or one dropped as an identifier, is not named."""
    rng = np.random.default_rng(0)
    table = pd.DataFrame({f"c{k}": rng.choice(["a", "b", "c"], 200).astype(object)
                          for k in range(8)})
    for k in range(7):
        table.loc[table.index[k::9], f"c{k}"] = None
    table["ref"] = [f"R{i}" if i % 5 else None for i in range(200)]  # an id, dropped
    typed = ft.infer_table_types(table)
    said = [n for n in typed.attrs["load_notes"] if "empty cells of text columns" in n]
    assert len(said) == 1
    assert said[0].startswith("table: empty cells of text columns, 7 columns: 'c0' 23 of 200 "
                              "(11.5%; first at rows 1, 10, 19); 'c1' 23 of 200")
    assert "; and 2 more columns: read as missing: not a level of their own" in said[0]
    assert "'c7'" not in said[0]
    assert "'ref'" not in said[0]
    # at scoring (the model's columns given) the table's own shares are no note of theirs
    scored = ft.infer_table_types(table, categorical=[f"c{k}" for k in range(8)])
    assert not any("empty cells of text" in n for n in scored.attrs["load_notes"])
