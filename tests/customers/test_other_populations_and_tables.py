"""Defects found by an outside check (2026-12-05): another business's model, reasons against
their meaning, the yardstick as served, table scoring and its pyfunc, the season look-back."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from training._customer_mlflow import train_and_register
from training._customer_models import CustomerModel
from training._customer_population import score_population_warning
from training._customer_scoring import in_sample_note
from training._mlflow import CHAMPION, configure_mlflow

FAST = {"n_estimators": 60, "learning_rate": 0.1}


def _business(prefix: str, start: str, n: int = 500, seed: int = 3,
              cutoffs: int = 4) -> pd.DataFrame:
    """``n`` customers ``prefix0..`` at monthly cutoffs from ``start`` whose purchase follows a
    known logistic model."""
    rng = np.random.default_rng(seed)
    parts = []
    for k in range(cutoffs):
        recency = rng.exponential(40, n)
        freq = rng.poisson(3, n).astype(float)
        buy = rng.random(n) < 1 / (1 + np.exp(-(-0.2 - 0.04 * recency + 0.35 * freq)))
        parts.append(pd.DataFrame({
            "user_id": [f"{prefix}{i}" for i in range(n)],
            "cutoff": pd.Timestamp(start) + pd.DateOffset(months=k),
            "recency_days": recency, "orders_total": freq, "noise": rng.normal(size=n),
            "label_churn": (~buy).astype(int)}))
    return pd.concat(parts, ignore_index=True)


def _champion() -> str:
    return str(MlflowClient().get_model_version_by_alias("churn", CHAMPION).version)


def _train(frame: pd.DataFrame, source: str) -> object:
    return train_and_register("churn", frame,
                              model=CustomerModel("churn", horizon_days=30, **FAST),
                              params={"input": source})


# ---------------------------------------------------------------- 1: another business's model
def test_a_model_of_another_business_is_not_compared_and_does_not_become_champion() -> None:
    retail = _train(_business("r", "2010-01-31"), "retail/events.parquet")
    grocery = _train(_business("g", "2021-01-31", seed=4), "grocery/events.parquet")
    assert grocery.promotion is not None
    assert not grocery.promotion.promoted
    reason = grocery.promotion.reason
    assert (f"v{grocery.version} not compared with champion v{retail.version}: trained on other "
            "customers (0 of 500 in common; their label windows lie") in reason
    assert "source grocery/events.parquet vs retail/events.parquet" in reason
    assert "brain promote churn 2 --reason" in reason
    configure_mlflow()
    assert _champion() == retail.version
    assert MlflowClient().get_model_version("churn", "2").tags["promotion"] == reason
    # the command the reason names moves the alias, and says so
    from typer.testing import CliRunner

    from serving.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["promote", "churn", "2", "--reason", "the grocery chain's model"])
    assert res.exit_code == 0, res.output
    assert "churn@champion -> v2 (was v1): the grocery chain's model" in res.output
    assert "a running brain serve loads it on POST /reload" in " ".join(res.output.split())
    assert _champion() == "2"
    bad = runner.invoke(app, ["promote", "churn", "9"])
    assert bad.exit_code == 2
    assert "churn has no version '9'; versions: 1, 2" in " ".join(bad.output.split())
    none = runner.invoke(app, ["promote", "chrun", "1"])
    assert "no registered model 'chrun'" in " ".join(none.output.split())


def test_two_shops_files_of_one_name_are_still_two_populations() -> None:
    """Review: equal input names ('events.csv' in each shop's folder) skipped the customer
    check, so the grocery model was compared with the retail champion after all; and
    scoring strangers from a file of the champion's name gave no warning."""
    retail = _train(_business("r", "2010-01-31"), "events.csv")
    grocery = _train(_business("g", "2021-01-31", seed=4), "events.csv")
    assert grocery.promotion is not None
    assert not grocery.promotion.promoted
    assert "trained on other customers (0 of 500 in common" in grocery.promotion.reason
    assert _champion() == retail.version
    configure_mlflow()
    model = mlflow.pyfunc.load_model("models:/churn/1").unwrap_python_model().model
    strangers = pd.Series([f"g{i}" for i in range(300)])
    assert score_population_warning(model, "churn", "churn v1", "1", "events.csv",
                                    strangers) is not None


def test_the_same_customers_under_another_file_name_are_still_compared() -> None:
    _train(_business("r", "2010-01-31", cutoffs=3), "retail/export_2010_04.parquet")
    # a month later, a renamed export of the same customers: the row rule compares them
    later = _train(_business("r", "2010-01-31", seed=5, cutoffs=6).loc[
        lambda f: f["cutoff"] >= "2010-03-31"], "retail/export_2010_07.parquet")
    assert later.promotion is not None
    assert "not compared" not in later.promotion.reason
    assert "evaluation rows whose outcome the champion never learned" in later.promotion.reason


def test_scoring_customers_the_model_never_learned_warns_and_is_not_called_in_sample() -> None:
    _train(_business("r", "2010-01-31"), "retail/events.parquet")
    configure_mlflow()
    model = mlflow.pyfunc.load_model("models:/churn/1").unwrap_python_model().model
    grocery_ids = pd.Series([f"g{i}" for i in range(300)])
    text = score_population_warning(model, "churn", "churn v1 (@champion)", "1",
                                    "grocery/events.parquet", grocery_ids)
    assert text is not None
    assert ("churn v1 (@champion) was trained on retail/events.parquet, and 0 of the 300 "
            "customers scored here from grocery/events.parquet are customers it was fitted "
            "on") in text
    # a million scored: a sample decides (hashing every id at every cutoff cost 0.8 s each)
    many = pd.Series([f"g{i}" for i in range(60_000)])
    text = score_population_warning(model, "churn", "churn v1", "1", "grocery/events.parquet",
                                    many)
    assert text is not None
    assert "0 of a sample of 50,000 of the 60,000 customers scored here" in text
    # its own customers from its own input: no warning
    own = pd.Series([f"r{i}" for i in range(300)])
    assert score_population_warning(model, "churn", "churn v1", "1", "retail/events.parquet",
                                    own) is None
    assert score_population_warning(model, "churn", "churn v1", "1", "retail/copy.parquet",
                                    own) is None
    # a date inside its windows: in-sample for its own customers, not for strangers
    note = in_sample_note(model, "2010-04-15", own)
    assert note is not None
    assert "for 300 of the 300 customers scored" in note
    assert in_sample_note(model, "2010-04-15", grocery_ids) is None


# ---------------------------------------------------------------- 4: reasons against meaning
_MIXED = {
    "refund_rate": "refunds are dissatisfaction, not (lack of) engagement",
    "refunds_total": "as refund_rate",
    "refund_amount_total": "as refund_rate",
    "refund_share_total": "as refund_rate",
}


def test_new_customers_scored_with_a_table_model_get_no_other_business_warning() -> None:
    # a CRM table model scoring a file of new sign-ups: no id in common by design, and the
    # warning's fix ("train a model on this data") cannot be followed on a file without labels
    table = _business("c", "2010-01-31", cutoffs=1).drop(columns="cutoff")
    train_and_register("churn", table, model=CustomerModel("churn", **FAST),
                       params={"input": "crm_train.csv"})
    configure_mlflow()
    model = mlflow.pyfunc.load_model("models:/churn/1").unwrap_python_model().model
    assert model.horizon_days is None
    sign_ups = pd.Series([f"new{i}" for i in range(800)])
    assert score_population_warning(model, "churn", "churn v1", "1", "crm_new.csv",
                                    sign_ups) is None
    # stacked cutoffs without a horizon (a Python caller's event frame) are still judged
    train_and_register("churn", _business("r", "2010-01-31"), model=CustomerModel("churn", **FAST),
                       params={"input": "retail/events.parquet"})
    stacked = mlflow.pyfunc.load_model("models:/churn/2").unwrap_python_model().model
    assert stacked.horizon_days is None
    assert score_population_warning(stacked, "churn", "churn v2", "2", "grocery/events.parquet",
                                    sign_ups) is not None


def test_every_rate_and_recency_feature_has_an_engagement_sign() -> None:
    import re

    from features._catalogue import CATALOGUE
    from training._customer_bgnbd import BGNBD_COLUMNS
    from training._customer_columns import DERIVED
    from training._customer_meanings import ENGAGEMENT_SIGN
    from training._customer_reasons import prior_directions

    like = re.compile(r"rate|recency|days_since_last|mean_days_between|overdue|_total$|trend"
                      r"|^(visits|carts|orders|revenue)_\d+d$|expected_orders|p_alive")
    names = [*CATALOGUE, *DERIVED, *BGNBD_COLUMNS, "bgnbd_p_alive", "bgnbd_expected_orders",
             "bgnbd_expected_orders_365d"]
    missing = [c for c in names if like.search(c) and c not in ENGAGEMENT_SIGN
               and c not in _MIXED]
    assert missing == []
    assert ENGAGEMENT_SIGN["order_rate_30d"] == 1
    assert ENGAGEMENT_SIGN["recency_share"] == -1
    # a churn model reads them against engagement, whatever the data said
    learned = {"order_rate_30d": 1, "recency_share": 1}
    assert prior_directions("churn", learned) == {"order_rate_30d": -1, "recency_share": 1}
    assert prior_directions("propensity", learned) == {"order_rate_30d": 1,
                                                       "recency_share": -1}


def test_a_high_refund_rate_is_never_why_a_churn_risk_is_low() -> None:
    """A check (2026-12-06) read "refunds per order is high (0.095 vs typical 0)" as what kept a
    loyal customer's churn risk low: dissatisfaction raises a churn risk, whatever the trees'
    direction; propensity and value keep the data's, as do the refund counts."""
    from training._customer_reasons import _drop_contradictions, prior_directions

    learned = {"refund_rate": -1, "refund_share_total": -1, "refunds_total": -1}
    assert prior_directions("churn", learned) == {"refund_rate": 1, "refund_share_total": 1,
                                                  "refunds_total": -1}
    assert prior_directions("propensity", learned) == learned
    assert prior_directions("value", learned) == learned
    rows = pd.DataFrame({"refund_rate": [0.095, 0.0, 0.2], "days_since_last_purchase": [5.0] * 3})
    push = np.array([[-0.4, -0.1], [0.3, 0.1], [0.5, 0.1]])  # high pushing down, low up, high up
    out = _drop_contradictions(push, list(rows.columns), rows,
                               {"refund_rate": 0.0, "days_since_last_purchase": 20.0},
                               prior_directions("churn", {"refund_rate": -1,
                                                          "days_since_last_purchase": 1}), 1)
    assert out[0, 0] == 0.0  # high refunds as a reason for a low risk: left out
    assert out[2, 0] == 0.5  # high refunds as a reason for a high risk: kept


def test_the_buying_pattern_is_no_reason_for_a_customer_with_one_order() -> None:
    """BG/NBD takes a customer without a repeat order to be active (its dropout follows a
    repeat), so a refill pharmacy's one-order customer of 500 days ago read "expected orders
    from the buying pattern is low (2.1 vs typical 2.5)" (a check, 2026-12-06): right for the
    model, read by a marketer as two orders to come. Such rows get their other reasons."""
    from training._customer_reasons import reasons_from_array

    cols = ["bgnbd_expected_orders", "bgnbd_p_alive", "days_since_last_purchase",
            "orders_total"]
    rows = pd.DataFrame({"bgnbd_expected_orders": [2.1, 0.4], "bgnbd_p_alive": [1.0, 0.1],
                         "days_since_last_purchase": [500.0, 500.0], "orders_total": [1.0, 6.0]})
    push = np.array([[0.9, 0.8, 0.5, 0.1], [0.9, 0.8, 0.5, 0.1]])
    typical = {"bgnbd_expected_orders": 2.5, "bgnbd_p_alive": 0.9,
               "days_since_last_purchase": 25.0, "orders_total": 8.0}
    out = reasons_from_array(push, cols, rows, typical, top=3, disengaged=1)
    one, six = out.iloc[0].tolist(), out.iloc[1].tolist()
    assert not [r for r in one if "buying pattern" in str(r)]
    assert str(one[0]).startswith("days since last purchase is high (500")
    assert str(six[0]).startswith("expected orders from the buying pattern is low (0.4")


# ---------------------------------------------------------------- 7: the yardstick as served
def test_the_yardstick_compares_the_probabilities_as_served(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from serving import _cli_customers_print as cli

    notes: list[str] = []
    monkeypatch.setattr(cli, "show_note", notes.append)
    rep = SimpleNamespace(best_single_feature=("bgnbd_expected_orders_365d", 0.8622),
                          validation_uncalibrated=SimpleNamespace(roc_auc=0.8659))
    with cli.console.capture() as cap:
        cli._best_single_line(rep, {"roc_auc": 0.8584})
    line = " ".join(cap.get().split())
    assert "read either way 0.8622; the model: 0.8584 (uncalibrated scores: 0.8659)" in line
    assert len(notes) == 1
    assert "(0.8584 against 0.8622, as served; uncalibrated scores: 0.8659)" in notes[0]


# ---------------------------------------------------------------- 8: the table version's URI
def test_scoring_a_table_with_the_event_champion_names_the_table_version() -> None:
    from serving import _cli_customers_model as cli

    events = _business("r", "2010-01-31").assign(
        days_since_first_purchase=lambda f: f["recency_days"] + 100,
        days_since_last_purchase=lambda f: f["recency_days"])
    train_and_register("churn", events, model=CustomerModel("churn", horizon_days=30, **FAST),
                       params={"input": "retail/events.parquet", "horizon_days": 30})
    table = _business("c", "2010-01-31", cutoffs=1).drop(columns="cutoff").rename(
        columns={"recency_days": "tenure", "orders_total": "contracts"})
    table_out = train_and_register(
        "churn", table, model=CustomerModel("churn", **FAST),
        params={"input": "telco/telco_train.csv", "label_col": "label_churn"})
    assert table_out.promotion is not None
    assert not table_out.promotion.promoted  # the event champion stays
    configure_mlflow()
    champion = mlflow.pyfunc.load_model("models:/churn@champion").unwrap_python_model().model
    with pytest.raises(ValueError, match="trained on event features") as err:
        cli._check_table_model(champion, "models:/churn@champion",
                               table.drop(columns="label_churn"))
    text = " ".join(str(err.value).split())
    assert text.startswith("CustomerModel(churn): churn v1 (@champion) was trained on event")
    assert ("Fix: score it with --model models:/churn/2, the newest version trained on a table "
            "with these columns (telco/telco_train.csv).") in text


# ---------------------------------------------------------------- 6: table rough edges
def test_a_mistyped_label_column_gets_a_suggestion(tmp_path: Path) -> None:
    from serving import _cli_customers_inputs as cli

    path = tmp_path / "telco.csv"
    pd.DataFrame({"customerID": ["a", "b"], "tenure": [1, 2], "Churn": ["Yes", "No"]}).to_csv(
        path, index=False)
    with pytest.raises(ValueError, match="label column 'churn' is missing") as err:
        cli._read_table(path, "customerID", "churn")
    assert "Did you mean 'Churn'? Pass --label-col Churn." in str(err.value)


def test_scoring_the_training_table_is_called_in_sample_and_extra_columns_are_named() -> None:
    from serving import _cli_customers_model as cli
    from training._customer_scoring import table_in_sample_note

    table = _business("c", "2010-01-31", cutoffs=1).drop(columns="cutoff")
    model = CustomerModel("churn", **FAST).fit(table)
    note = table_in_sample_note(model, table.head(40))
    assert note is not None
    assert note.startswith("40 of the 40 rows are rows this model was fitted or calibrated on")
    fresh = table.head(40).assign(user_id=lambda f: "new" + f["user_id"])
    assert table_in_sample_note(model, fresh) is None
    extra = cli._extra_columns_note(model, fresh.assign(Region="north", NPS=7))
    assert extra == ("2 columns not used by the model: 'Region', 'NPS' (it reads 3 feature "
                     "columns; the scores do not depend on these)")
    assert cli._extra_columns_note(model, fresh) is None  # the label column is no extra


def test_a_later_snapshot_of_the_same_customers_is_not_called_in_sample() -> None:
    """An independent check scored a CRM snapshot taken after the training one (the same
    customer ids, their values moved on, no cutoff column): every row was called "fitted or
    calibrated on ... in-sample". Only rows seen in training, the same id with the same
    values, are; read back from a file, with other dtypes, they still are."""
    import io

    from training._customer_scoring import table_in_sample_note

    table = _business("c", "2010-01-31", cutoffs=1).drop(columns="cutoff")
    model = CustomerModel("churn", **FAST).fit(table)
    later = _business("c", "2010-01-31", cutoffs=1, seed=8).drop(columns=["cutoff",
                                                                           "label_churn"])
    assert (later["user_id"] == table["user_id"]).all()
    assert table_in_sample_note(model, later) is None
    # ten customers whose values did not move since: those ten are the rows it learned
    mixed = later.copy()
    mixed.iloc[:10, 1:] = table.drop(columns="label_churn").iloc[:10, 1:].to_numpy()
    note = table_in_sample_note(model, mixed)
    assert note is not None
    assert note.startswith("10 of the 500 rows are rows this model was")
    assert "the same values of the columns it reads" in note
    buf = io.StringIO()
    table.drop(columns="label_churn").to_csv(buf, index=False)
    buf.seek(0)
    again = pd.read_csv(buf).astype({"orders_total": "int64"})
    note = table_in_sample_note(model, again)
    assert note is not None
    assert note.startswith("500 of the 500 rows")


def test_a_model_trained_on_ids_written_as_floats_still_calls_its_table_in_sample() -> None:
    """Since 2026-12-06 a table's id '12345.0' is the customer '12345' (``features.table_ids``);
    a model trained before hashed its rows under '12345.0', and scoring its own training table
    had stopped saying the scores are in-sample."""
    from training._customer_scoring import table_in_sample_note

    table = _business("", "2010-01-31", cutoffs=1).drop(columns="cutoff")
    table["user_id"] = (table["user_id"].astype(int) + 10000).astype(str)
    old = table.assign(user_id=table["user_id"] + ".0")  # the ids as such a model read them
    model = CustomerModel("churn", **FAST).fit(old)
    note = table_in_sample_note(model, table.drop(columns="label_churn"))
    assert note is not None
    assert note.startswith("500 of the 500 rows are rows this model was fitted or calibrated on")
    assert table_in_sample_note(model, old.drop(columns="label_churn")) is not None
    others = table.assign(user_id=lambda f: (f["user_id"].astype(int) + 5000).astype(str))
    assert table_in_sample_note(model, others.drop(columns="label_churn")) is None



def test_a_retrain_on_a_table_with_ids_written_as_floats_is_compared_with_its_champion(
) -> None:
    """Since 2026-12-06 a table's id '12345.0' is the customer '12345' (``features.table_ids``);
    a champion trained before hashed its rows under '12345.0'. Retrained on the same table, the
    new version had been called a model of "other customers (0 of 500 in common; source
    crm.csv vs crm.csv)", and scoring that table with the champion warned that it learned
    another customer base."""
    table = _business("", "2010-01-31")
    table["user_id"] = (table["user_id"].astype(int) + 10000).astype(str)
    old = table.assign(user_id=table["user_id"] + ".0")  # the ids as such a model read them

    def train(frame: pd.DataFrame) -> object:
        return train_and_register("churn", frame,
                                  model=CustomerModel("churn", horizon_days=30, **FAST),
                                  params={"input": "crm.csv"}, id_col="Customer ID")

    train(old)
    again = train(table)
    assert again.promotion is not None
    # the champion's own rows, known as such: no fair comparison on them (they had been
    # "other customers", and past that guard would have been re-scored as rows it never saw)
    assert "not compared" not in again.promotion.reason
    assert ("the champion learned the outcome of 500 of the 500 evaluation rows"
            in again.promotion.reason)
    configure_mlflow()
    champion = mlflow.pyfunc.load_model("models:/churn/1").unwrap_python_model().model
    assert score_population_warning(champion, "churn", "churn v1", "1", "crm.csv",
                                    table["user_id"]) is None
    strangers = (table["user_id"].astype(int) + 5000).astype(str)
    assert score_population_warning(champion, "churn", "churn v1", "1", "crm.csv",
                                    strangers) is not None

# ---------------------------------------------------------------- 5: the table model's pyfunc
def test_the_pyfunc_of_a_table_model_takes_the_table_as_read(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from serving.cli import app

    rng = np.random.default_rng(1)
    n = 600
    tenure = rng.integers(1, 72, n)
    monthly = rng.uniform(20, 110, n).round(2)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n)
    logit = 0.5 - 0.05 * tenure + 0.01 * monthly + np.where(contract == "Month-to-month", 1, 0)
    table = pd.DataFrame({
        "customerID": [f"{i:04d}-AB" for i in range(n)], "SeniorCitizen": rng.integers(0, 2, n),
        "tenure": tenure, "Contract": contract, "MonthlyCharges": monthly,
        "TotalCharges": (tenure * monthly).round(2).astype(str),
        "Churn": np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "Yes", "No")})
    table.loc[[3, 40], "TotalCharges"] = " "  # blanks, as in the Telco export
    train, new = tmp_path / "train.csv", tmp_path / "new.csv"
    table.to_csv(train, index=False)
    table.drop(columns="Churn").head(200).to_csv(new, index=False)
    runner = CliRunner()
    res = runner.invoke(app, ["train", "churn", "--table", str(train), "--label-col", "Churn",
                              "--id-col", "customerID"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "scores.csv"
    res = runner.invoke(app, ["score", "churn", "--table", str(new), "--id-col", "customerID",
                              "--model", "models:/churn/1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    cli = pd.read_csv(out)
    configure_mlflow()
    raw = pd.read_csv(new)  # int64 columns, text in TotalCharges
    assert raw["tenure"].dtype == np.int64
    assert not pd.api.types.is_numeric_dtype(raw["TotalCharges"])
    got = mlflow.pyfunc.load_model("models:/churn/1").predict(raw, params={"reasons": False})
    assert list(got.columns[:2]) == ["customerID", "score"]
    assert got["customerID"].tolist() == cli["customerID"].tolist()
    np.testing.assert_allclose(got["score"].to_numpy(), cli["score"].to_numpy(), rtol=1e-9)


# ---------------------------------------------------------------- 7 (report 6): season look-back
def _young_shop() -> pd.DataFrame:
    """From 2023-01-01: 100 first customers buying $5 a week; from 2023-07-10, 300 more buying
    $10 a week; everyone spends 1.5x from October to December."""
    days = pd.date_range("2023-01-01", "2025-09-30", freq="7D")
    rows = []
    for u in range(400):
        start, amount = ((days[0], 5.0) if u < 100 else (pd.Timestamp("2023-07-10"), 10.0))
        rows.extend((f"u{u}", d, "purchase", amount * (1.5 if d.month >= 10 else 1.0))
                    for d in days[days >= start])
    return pd.DataFrame(rows, columns=["user_id", "ts", "event_type", "revenue"])


def _season_model(reference: str) -> object:
    from types import SimpleNamespace

    from training._customer_report import CutoffSplit

    split = CutoffSplit("cutoffs", ("2020-01-01",), ("2020-02-01",), (reference,), 1, 1, 1)
    return SimpleNamespace(task="value", horizon_days=90,
                           report_=SimpleNamespace(split=split, refit=True))


def test_a_look_back_truncated_by_the_data_s_start_shrinks_the_season_factor() -> None:
    from serving import _cli_common
    from serving._cli_customers_print import _season_note
    from training._customer_season import season_factor

    ev = _young_shop()
    young = season_factor(_season_model("2024-07-03"), ev, "2024-10-01")
    assert young is not None
    assert young.truncated
    assert young.lookback_days == 185  # 2023-01-01 .. 2023-07-05, the reference a year back
    # the same statistic a year later, over a full year's look-back of the grown base
    later = season_factor(_season_model("2025-07-02"), ev, "2025-09-30")
    assert later is not None
    assert not later.truncated
    # the 300 later customers are new since last year's copy of the reference window
    assert young.returning == pytest.approx(100 / 400)
    assert young.applied == pytest.approx(1 + (young.factor - 1) * 100 / 400)
    assert abs(young.applied - later.factor) < abs(young.factor - later.factor)
    assert later.applied == later.factor
    _cli_common._shown_notes.clear()
    with _cli_common.err_console.capture() as cap:
        moved = _season_note(young, adjust=True, scores=pd.DataFrame({"score": [10.0]}))
    assert moved is not None
    assert moved[0] == pytest.approx(10 * young.applied)
    text = " ".join(cap.get().split())
    assert (f"value scores scaled by {young.applied:.3f}") in text
    assert ("the look-back before those windows was truncated by the start of the data "
            "(185 days, not a year), and 75% of the customers before the later window were new "
            f"since the earlier one, so the factor {young.factor:.3f} is shrunk towards 1 by "
            f"that share to {young.applied:.3f}") in text


def _mature_shop() -> pd.DataFrame:
    """From 2024-01-01 to 2025-12-31: 270 customers buying from the first week, 30 joining
    in 2024-07 (the base is mature); everyone spends 1.25x from October to December."""
    days = pd.date_range("2024-01-01", "2025-12-31", freq="7D")
    rows = []
    for u in range(300):
        start = days[0] if u < 270 else pd.Timestamp("2024-07-01") + pd.Timedelta(days=u % 7)
        amount = 8.0 + u % 5
        rows.extend((f"u{u}", d, "purchase", amount * (1.25 if d.month >= 10 else 1.0))
                    for d in days[days >= start])
    return pd.DataFrame(rows, columns=["user_id", "ts", "event_type", "revenue"])


def test_a_mature_base_s_season_is_not_shrunk_for_a_truncated_look_back() -> None:
    """Independent check: a grocery log whose households had mostly shopped since its first
    month, value level set on the holiday quarter and scored for January-March: the factor
    0.799 had been shrunk by 276/365 to 0.848 (bias +10.1%; unshrunk +3.7%)."""
    from training._customer_season import season_factor

    got = season_factor(_season_model("2025-10-03"), _mature_shop(), "2026-01-01")
    assert got is not None
    assert got.truncated
    assert got.lookback_days == 277  # 2024-01-01 .. 2024-10-04, the reference a year back
    assert got.factor == pytest.approx(0.8, abs=0.01)  # January-March over the holiday quarter
    # every customer of the January copy's base was one of the October copy's already
    assert got.returning == pytest.approx(1.0)
    assert got.applied == pytest.approx(got.factor)
    assert abs(got.applied - 0.8) < 0.01  # by calendar days: 1 + (0.8 - 1) * 277 / 365 = 0.848


def test_a_table_model_never_replaces_the_event_champion() -> None:
    """Independent check: a table of the demo's own event features (one snapshot) was compared
    with the event champion on the rows it had pruned constant columns from; the champion
    'could not score these rows', lost at brier=inf, and the nightly events job then scored
    with the table model."""
    events = _train(_business("r", "2010-01-31"), "events.parquet")
    snap = _business("r", "2010-06-30", seed=8, cutoffs=1).drop(columns="cutoff").rename(
        columns={"label_churn": "churned"})
    snap["constant"] = 0.0
    table = train_and_register("churn", snap, model=CustomerModel(
        "churn", label_col="churned", exclude=("constant",), **FAST),
        params={"input": "crm.csv"})
    assert table.promotion is not None
    assert not table.promotion.promoted
    assert ("this version was trained on a customer table and the champion on events"
            in table.promotion.reason)
    assert "brain promote" in table.promotion.reason
    configure_mlflow()
    assert _champion() == events.version


def test_a_table_the_event_champion_cannot_read_stops_with_the_error_alone(
        tmp_path: Path) -> None:
    """Independent check (2026-12-07): a CRM table scored against the event champion was first
    told that the model "learned another customer base" (0 of its customers were fitted on,
    with a fix to train on the table) and then stopped with the error that the model reads
    event features: the warning about scores that were never made only buried the error."""
    from typer.testing import CliRunner

    from serving.cli import app

    events = _business("r", "2010-01-31").assign(
        days_since_first_purchase=lambda f: f["recency_days"] + 100,
        days_since_last_purchase=lambda f: f["recency_days"])
    train_and_register("churn", events, model=CustomerModel("churn", horizon_days=30, **FAST),
                       params={"input": "retail/events.parquet", "horizon_days": 30})
    table = _business("c", "2010-01-31", cutoffs=1).drop(columns=["cutoff", "label_churn"])
    path = tmp_path / "crm_new.csv"
    table.rename(columns={"recency_days": "tenure"}).to_csv(path, index=False)
    res = CliRunner().invoke(app, ["score", "churn", "--table", str(path), "--out",
                                   str(tmp_path / "s.csv")], terminal_width=400)
    assert res.exit_code != 0
    text = " ".join(res.output.split())
    assert "trained on event features" in text
    assert "another customer base" not in text
    assert "customers it was fitted on" not in text
