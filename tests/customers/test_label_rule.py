"""A churn model carries its churn rule ("no order" or "no order and no visit"): the champion
comparison, the check against what happened and ``brain models`` read it (2026-12-05)."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

import features as ft
from serving._cli_common import _shown_notes
from serving._cli_customers import train_app
from serving._cli_customers_model import _read_label_rule
from training._customer_labels import label_definition, version_label_words
from training._customer_mlflow import train_and_register
from training._customer_models import CustomerModel
from training._customer_outcomes import outcome_check, outcome_note
from training._mlflow import CHAMPION

FAST = {"n_estimators": 60, "learning_rate": 0.1}


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return ft.generate_world(2500, 500, 5).events


def _frame(events: pd.DataFrame, no_visit: bool, last: str | None = None) -> pd.DataFrame:
    cuts = ft.cutoff_schedule(events, 60, n_cutoffs=4, step_days=30, last=last)
    return ft.build_training_set(events, cuts, 60, churn_needs_no_visit=no_visit)


def test_a_churn_model_records_the_rule_its_labels_were_built_with(
        events: pd.DataFrame) -> None:
    frame = _frame(events, True, "2025-01-15")
    model = CustomerModel("churn", horizon_days=60, **FAST).fit(frame)
    assert model.labels_ == {"task": "churn", "label_col": "label_churn", "horizon_days": 60,
                             "churn_rule": "no_order_no_visit"}
    assert "no order and no visit in the 60-day window" in label_definition(model).describe()
    with pytest.raises(ValueError, match="built with churn_needs_no_visit=True"):
        CustomerModel("churn", horizon_days=60, churn_needs_no_visit=False, **FAST).fit(frame)
    with pytest.raises(ValueError, match="built over 60-day windows"):
        CustomerModel("churn", horizon_days=90, **FAST).fit(frame)


def test_a_champion_of_another_churn_rule_is_neither_compared_nor_replaced(
        events: pd.DataFrame) -> None:
    """The repro: a "no order" champion re-scored on "no order and no visit" labels had lost
    on Brier 0.348 against 0.075 and been replaced."""
    first = train_and_register("churn", _frame(events, False, "2025-01-15"),
                               model=CustomerModel("churn", horizon_days=60, **FAST),
                               evaluation_tag="horizon=60", params={"input": "shop"})
    second = train_and_register("churn", _frame(events, True),
                                model=CustomerModel("churn", horizon_days=60, **FAST),
                                evaluation_tag="horizon=60|no_visit", params={"input": "shop"})
    assert second.promotion is not None
    assert not second.promotion.promoted
    assert ("the champion's label is churn = no order in the 60-day window and this version's "
            "churn = no order and no visit in the 60-day window") in second.promotion.reason
    assert "not compared and the champion stays" in second.promotion.reason
    client = MlflowClient()
    assert str(client.get_model_version_by_alias("churn", CHAMPION).version) == first.version
    tags = client.get_model_version("churn", str(second.version)).tags
    assert tags["label.churn_rule"] == "no_order_no_visit"
    assert tags["label"] == ("churn = no order and no visit in the 60-day window after the "
                             "cutoff")
    run = mlflow.get_run(second.run_id)
    assert run.data.params["label.churn_rule"] == "no_order_no_visit"
    assert run.data.params["label.horizon_days"] == "60"
    # the logged model carries it too
    loaded = mlflow.pyfunc.load_model(second.model_uri).unwrap_python_model().model
    assert loaded.labels_["churn_rule"] == "no_order_no_visit"


def test_the_check_against_what_happened_uses_the_model_s_rule(events: pd.DataFrame) -> None:
    model = CustomerModel("churn", horizon_days=60, **FAST).fit(
        _frame(events, True, "2024-12-01"))
    asof = events["ts"].max().normalize() + pd.Timedelta(days=1)
    check = outcome_check(model, events, asof)
    assert check is not None
    assert check.churn_rule == "no_order_no_visit"
    w = check.windows[0]
    labels = ft.make_labels(events, w.start, 60, churn_needs_no_visit=True)
    bought = ft.make_labels(events, w.start, 60)
    # stayed = ordered or visited, not bought only (the two differ a lot in this shop)
    assert w.realized == pytest.approx(1 - labels["label_churn"].mean())
    assert abs(w.realized - bought["label_purchase"].mean()) > 0.1
    assert "P(order or visit) (1 - P(churn))" in outcome_note(check)


def test_an_old_churn_model_without_the_record_is_read_as_its_version_says_and_said_once(
        events: pd.DataFrame) -> None:
    model = CustomerModel("churn", horizon_days=60, **FAST).fit(
        _frame(events, False, "2025-01-15"))
    del model.labels_  # as pickled before the record existed
    assumed = label_definition(model)
    assert assumed.churn_rule == "no_order"
    assert assumed.assumed
    marked = label_definition(model, "churn|label_churn|horizon=60|no_visit|valid=x|n=1|ab")
    assert marked.churn_rule == "no_order_no_visit"
    assert not marked.assumed
    _shown_notes.clear()
    _read_label_rule(model, "/not/a/registry/uri")
    _read_label_rule(model, "/not/a/registry/uri")  # now recorded on the loaded model
    notes = [n for n in _shown_notes if "recorded their churn rule" in n]
    assert notes == ["/not/a/registry/uri was trained before churn models recorded their "
                     "churn rule: it is taken to be the default, churn = no order in the "
                     "60-day window"]
    assert model.labels_["churn_rule"] == "no_order"
    # brain models: a version without the label tag reads its evaluation key
    words = version_label_words("churn", {"eval.key": "churn|label_churn|horizon=90|no_visit|"
                                                      "valid=2025-01-01|n=5|ab"})
    assert words == ("churn = no order and no visit in the 90-day window after the cutoff "
                     "(not recorded by the model: read from its evaluation key)")
    assert version_label_words("purchase_propensity", {
        "eval.key": "propensity|label_purchase|horizon=30|valid=2025-01-01|n=5|ab"}) == (
        "purchase = an order in the 30-day window after the cutoff")
    assert version_label_words("traffic_forecaster", {"eval.key": "x"}) is None


def test_churn_needs_no_visit_is_refused_where_it_changes_no_label(tmp_path: Path) -> None:
    res = CliRunner().invoke(train_app, ["propensity", "--data", str(tmp_path),
                                         "--churn-needs-no-visit"])
    assert res.exit_code != 0
    assert "--churn-needs-no-visit defines churn from events" in " ".join(res.output.split())


def test_no_visit_rule_on_a_purchase_only_log_is_the_default_rule_and_said(
        events: pd.DataFrame, tmp_path: Path) -> None:
    """On a till or loyalty-card export (no visit recorded) both rules give the same labels:
    the model records 'no order', so it stays comparable with a champion of that rule."""
    path = tmp_path / "events.parquet"
    events[events["event_type"].isin(["purchase", "refund"])].to_parquet(path, index=False)
    res = CliRunner().invoke(train_app, ["churn", "--events", str(path), "--horizon", "60",
                                         "--churn-needs-no-visit"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "--churn-needs-no-visit: the events hold no visit, so churn is 'no order in the " \
           "window' either way" in text
    tags = MlflowClient().get_model_version("churn", "1").tags
    assert tags["label.churn_rule"] == "no_order"
