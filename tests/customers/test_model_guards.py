"""Guards of the customer models: vocabulary columns, input-type errors, label errors naming rows,
bounded isotonic output, leakage and no-skill warnings, and a fair champion comparison."""

from __future__ import annotations

import logging

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from sklearn.metrics import roc_auc_score

from training._customer_calibration import Calibrator
from training._customer_mlflow import train_and_register
from training._customer_models import CustomerModel
from training._customer_report import auc_interval, single_feature_strength
from training._mlflow import CHAMPION, configure_mlflow

FAST = {"n_estimators": 60, "learning_rate": 0.1}


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    """600 customers at 4 monthly cutoffs whose purchase follows a known logistic model."""
    rng = np.random.default_rng(3)
    parts = []
    for k in range(4):
        recency = rng.exponential(40, 600)
        freq = rng.poisson(3, 600).astype(float)
        plan = rng.choice(["basic", "plus", "pro"], 600)
        logit = -0.2 - 0.04 * recency + 0.35 * freq + np.where(plan == "pro", 0.7, 0.0)
        buy = rng.random(600) < 1 / (1 + np.exp(-logit))
        parts.append(pd.DataFrame({
            "user_id": [f"u{i}" for i in range(600)],
            "cutoff": pd.Timestamp("2024-01-31") + pd.DateOffset(months=k),
            "recency_days": recency, "orders_total": freq, "plan": plan,
            "noise": rng.normal(size=600), "label_purchase": buy.astype(int),
            "label_churn": (~buy).astype(int),
            "label_value": np.where(buy, rng.gamma(2.0, 20 + 5 * freq), 0.0)}))
    return pd.concat(parts, ignore_index=True)


def _champion(name: str) -> str:
    return str(MlflowClient().get_model_version_by_alias(name, CHAMPION).version)


# ---------------------------------------------------------------- A: vocabulary share columns
def test_missing_vocabulary_share_columns_score_as_share_zero(small: pd.DataFrame) -> None:
    rng = np.random.default_rng(0)
    frame = small.assign(cat_share_20028=rng.random(len(small)),
                         ch_share_web=rng.random(len(small)))
    m = CustomerModel("propensity", **FAST).fit(frame)
    rows = frame.head(30)
    zero = rows.assign(cat_share_20028=0.0, ch_share_web=0.0)
    dropped = rows.drop(columns=["cat_share_20028", "ch_share_web"]).assign(
        cat_share_99999=0.7, purchase_cat_share_99999=0.2)  # unknown extra shares are ignored
    np.testing.assert_array_equal(m.score(dropped), m.score(zero))
    # any other missing feature still fails, naming the column
    with pytest.raises(ValueError, match=r"lacks 1 of them: \['recency_days'\]"):
        m.score(dropped.drop(columns=["recency_days"]))


def test_a_table_column_spelled_another_way_is_named_as_the_rename(small: pd.DataFrame) -> None:
    frame = small.rename(columns={"recency_days": "Recency Days"})
    m = CustomerModel("propensity", **FAST).fit(frame)
    new = frame.head(20).rename(columns={"Recency Days": "recency_days", "plan": "plan_type"})
    with pytest.raises(ValueError, match=r"lacks 2 of them") as err:
        m.score(new)
    # a spelling that differs in case, spaces or punctuation: the rename; another name: none
    assert "Fix: rename 'recency_days' to 'Recency Days'; give the table" in str(err.value)
    assert "'plan_type' to" not in str(err.value)


# ---------------------------------------------------------------- C: the other input type
def test_scoring_a_table_with_an_event_model_says_what_is_wrong(small: pd.DataFrame) -> None:
    frame = small.assign(days_since_first_purchase=small["recency_days"] + 100,
                         days_since_last_purchase=small["recency_days"])
    m = CustomerModel("value", **FAST).fit(frame)
    assert m.bgnbd_params_ is not None  # the event-pipeline path: BG/NBD needs orders_total
    table = pd.DataFrame({"user_id": ["a", "b"], "plan": ["pro", "basic"], "tenure": [3, 4]})
    with pytest.raises(ValueError, match="trained on event features") as err:
        m.score(table)
    assert "orders_total" in str(err.value)
    assert "brain score value --events" in str(err.value)


# ---------------------------------------------------------------- F: errors name the rows
def test_label_errors_name_the_first_rows_and_ids(small: pd.DataFrame) -> None:
    # rows count from 1, as the loaders' notes do; words and out-of-range numbers are counted
    # in one error (check18: 'maybe', 'Yess' and a 2 had been reported as 2 rows)
    bad = small.astype({"label_churn": object})
    bad.loc[[7, 9], "label_churn"] = "maybe"
    bad.loc[11, "label_churn"] = 2
    with pytest.raises(ValueError, match=r"3 rows hold something else \(first: row 8 "
                                         r"\(user_id 'u7', cutoff 2024-01-31\): 'maybe'; row 10"):
        CustomerModel("churn").fit(bad)
    neg = small.copy()
    neg.loc[12, "label_value"] = -1.32
    with pytest.raises(ValueError, match=r"a number >= 0 \(revenue\); 1 row holds something "
                                         r"else \(first: row 13 \(user_id 'u12', cutoff "
                                         r"2024-01-31\): -1.32\)"):
        CustomerModel("value").fit(neg)


def test_a_label_written_as_two_words_names_them_and_the_recoding() -> None:
    """A bank-churners-like export writes its label 'Attrited Customer' / 'Existing Customer'.
    Until 2026-12-06 the error said only "Recode them"; it now names the two words with their
    counts and the one line that recodes them (the rarer word as the outcome, to be checked:
    which word is the outcome is the caller's to say, nothing is guessed)."""
    from training._customer_eval import read_labels

    frame = pd.DataFrame({"user_id": [f"c{i}" for i in range(10)],
                          "Attrition_Flag": ["Existing Customer"] * 7
                          + ["Attrited Customer"] * 2 + [None]})
    with pytest.raises(ValueError, match="rows hold something else") as err:
        read_labels(frame, "Attrition_Flag", "classifier", "churn")
    said = str(err.value)
    assert "9 rows hold something else" in said
    assert ("The column holds two words, 'Existing Customer' (7 rows) and 'Attrited "
            "Customer' (2 rows)") in said
    assert ("df['Attrition_Flag'] = df['Attrition_Flag'].map({'Attrited Customer': 1, "
            "'Existing Customer': 0})") in said
    assert "1 for the outcome the model predicts (the customer churned)" in said
    # more than two words: no recoding line (nothing to pair)
    frame.loc[0, "Attrition_Flag"] = "Dormant"
    with pytest.raises(ValueError, match="9 rows hold something else") as err:
        read_labels(frame, "Attrition_Flag", "classifier", "churn")
    assert ".map(" not in str(err.value)


def test_duplicate_customers_are_counted_and_named(small: pd.DataFrame) -> None:
    dup = pd.concat([small, small.iloc[[5, 6, 6]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"5 rows repeat 2 customers within a cutoff "
                                         r"\(first ids \['u5', 'u6'\]\)"):
        CustomerModel("churn").fit(dup)


# ---------------------------------------------------------------- G: isotonic stays inside (0, 1)
def test_isotonic_end_blocks_are_bounded_by_the_rule_of_succession() -> None:
    raw = np.arange(100, dtype=float)
    y = (raw >= 30).astype(float)  # 30 negatives then 70 positives: blocks of rate 0 and 1
    y[50] = 0.0  # one negative inside keeps a middle block
    cal = Calibrator("isotonic").fit(raw, y)
    p = cal.transform(np.array([-5.0, 0.0, 29.0, 75.0, 99.0, 500.0]), "classifier")
    n_low, n_high = 30, 49  # rows 0..29 all 0; rows 51..99 all 1
    assert p[:3] == pytest.approx([1 / (n_low + 2)] * 3, abs=2e-9)
    assert p[3:] == pytest.approx([(n_high + 1) / (n_high + 2)] * 3, abs=2e-9)
    assert ((p > 0) & (p < 1)).all()
    # a block rate strictly inside (0, 1) is untouched
    mid = cal.transform(np.array([40.0]), "classifier")
    assert mid[0] == pytest.approx(20 / 21)


def test_isotonic_calibration_keeps_the_boosters_order_within_a_block() -> None:
    """Isotonic blocks had given their customers one probability: a retail check's churn
    scores ranked at AUC 0.8517 where the margins did at 0.8535."""
    rng = np.random.default_rng(0)
    raw = rng.normal(size=2_000)
    y = (rng.random(2_000) < 1 / (1 + np.exp(-2 * raw))).astype(float)
    cal = Calibrator("isotonic").fit(raw, y)
    grid = np.linspace(-4, 4, 801)
    p = cal.transform(grid, "classifier")
    assert (np.diff(p) > 0).all()  # strictly increasing: no ties left
    plain = np.clip(cal.model_.predict(grid), *cal.bounds_)
    assert np.abs(p - plain).max() <= 1e-9  # no probability moves
    assert roc_auc_score(y, cal.transform(raw, "classifier")) == pytest.approx(
        roc_auc_score(y, raw), abs=1e-12)


def test_isotonic_tie_break_keeps_an_old_models_probabilities_within_0_and_1() -> None:
    """A model pickled before ``bounds_`` clips to (0, 1): its all-1 end block is 1.0, which the
    tie-break had raised to 1.000000001."""
    raw = np.arange(100, dtype=float)
    y = (raw > 50).astype(float)
    cal = Calibrator("isotonic").fit(raw, y)
    del cal.__dict__["bounds_"]  # as unpickled from before the bounds
    p = cal.transform(np.array([-5.0, 0.0, 60.0, 99.0, 500.0]), "classifier")
    assert ((p >= 0) & (p <= 1)).all()
    assert (np.diff(p) > 0).all()  # the order is still kept


# ---------------------------------------------------------------- D / E: guards
def test_auc_interval_matches_hanley_mcneil_hand_computation() -> None:
    # A = 0.9 with 50 positives and 50 negatives, by hand: Q1 = 0.9/1.1 = 0.818182,
    # Q2 = 2 * 0.81 / 1.9 = 0.852632, var = (0.09 + 49 * 0.008182 + 49 * 0.042632) / 2500
    # = 0.00103194, SE = 0.032124
    lo, hi = auc_interval(0.9, 50, 50)
    assert (hi - lo) / (2 * 1.96) == pytest.approx(0.032124, abs=2e-6)
    assert (lo + hi) / 2 == pytest.approx(0.9)


def test_single_feature_strength_flags_a_column_that_is_the_label() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(400) < 0.4).astype(float)
    x = pd.DataFrame({"leak": np.where(y == 1, np.nan, rng.random(400)),  # missing = churned
                      "noise": rng.random(400),
                      "reason": pd.Categorical(np.where(y == 1, "cancelled", "active"))})
    s = single_feature_strength(x, y, x, y, "classifier")
    assert s["leak"] == pytest.approx(1.0)
    assert s["reason"] == pytest.approx(1.0)
    assert s["noise"] < 0.6


def test_a_leaky_column_is_warned_about_and_not_promoted(
        small: pd.DataFrame, caplog: pytest.LogCaptureFixture) -> None:
    honest = train_and_register("churn", small, model=CustomerModel("churn", **FAST))
    assert honest.promotion is not None
    assert honest.promotion.promoted
    leaky = small.assign(revenue_next_90d=np.where(small["label_churn"] == 1, 0.0,
                                                   50 + small["recency_days"]))
    with caplog.at_level(logging.WARNING):
        out = train_and_register("churn", leaky, model=CustomerModel("churn", **FAST))
    assert "revenue_next_90d" in out.report.suspected_leakage
    assert "suspected leakage: column 'revenue_next_90d'" in caplog.text
    assert out.promotion is not None
    assert not out.promotion.promoted
    assert "not promoted: suspected leakage" in out.promotion.reason
    assert _champion("churn") == honest.version
    run = mlflow.get_run(out.run_id)
    assert "revenue_next_90d" in run.data.tags["warnings"]
    opted = train_and_register("churn", leaky, model=CustomerModel("churn", **FAST),
                               allow_suspected_leakage=True)
    assert opted.promotion is not None
    assert opted.promotion.promoted


def test_a_model_without_skill_is_warned_about_and_never_promoted(
        caplog: pytest.LogCaptureFixture) -> None:
    rng = np.random.default_rng(5)
    n = 300
    noise = pd.DataFrame({"user_id": [f"c{i}" for i in range(n)], "x1": rng.random(n),
                          "x2": rng.random(n), "label_churn": (rng.random(n) < 0.4).astype(int)})
    with caplog.at_level(logging.WARNING):
        out = train_and_register("churn", noise, model=CustomerModel("churn", **FAST))
    assert out.report.no_skill
    assert "no skill" in caplog.text
    assert "small validation" in caplog.text  # ~60 validation rows
    assert out.promotion is not None
    assert not out.promotion.promoted
    assert "no better than the base rate" in out.promotion.reason


# ---------------------------------------------------------------- B: a fair champion comparison
def test_identical_retraining_under_another_name_ties_and_keeps_the_champion(
        small: pd.DataFrame) -> None:
    first = train_and_register("churn", small, model=CustomerModel("churn", **FAST),
                               evaluation_tag="table=a.csv")
    renamed = small.rename(columns={"label_churn": "churn"})
    again = train_and_register("churn", renamed,
                               model=CustomerModel("churn", label_col="churn", **FAST),
                               evaluation_tag="table=b.parquet")
    assert again.promotion is not None
    assert not again.promotion.promoted
    assert again.promotion.champion_value == again.promotion.candidate_value  # a tie, not worse
    assert "same validation rows" in again.promotion.reason
    assert _champion("churn") == first.version


def test_a_rescored_champion_is_judged_only_on_rows_it_never_saw(small: pd.DataFrame) -> None:
    old = small[small["cutoff"] < small["cutoff"].max()]
    first = train_and_register("churn", old, model=CustomerModel("churn", **FAST))
    assert first.promotion is not None
    assert first.promotion.promoted
    # one cutoff later: the new validation cutoff is new to the champion, the rest is not
    out = train_and_register("churn", small, model=CustomerModel("churn", **FAST))
    assert out.promotion is not None
    assert "600 of 600 evaluation rows whose outcome the champion never" in out.promotion.reason
    # and whether the difference is more than noise (six monthly retrains had moved champions
    # on a Brier difference of 0.000004 without a word about it)
    assert "brier difference (this version minus the champion, same 600 rows)" in \
        out.promotion.reason
    assert "95% interval" in out.promotion.reason
    # the same data with one label flipped: every validation row was the champion's own
    flipped = old.copy()
    flipped.loc[flipped.index[0], "label_churn"] = 1 - flipped["label_churn"].iloc[0]
    again = train_and_register("churn", flipped, model=CustomerModel("churn", **FAST))
    assert again.promotion is not None
    assert not again.promotion.promoted
    assert "no fair comparison" in again.promotion.reason


def test_rows_whose_label_window_the_champion_learned_are_not_fresh(small: pd.DataFrame) -> None:
    """A month later, the new 90-day validation window shares two months with the champion's
    own last window for the same customers: the champion learned those outcomes, so it is not
    judged on them (it had been, and looked far better than it is)."""
    old = small[small["cutoff"] < small["cutoff"].max()]
    first = train_and_register("churn", old,
                               model=CustomerModel("churn", horizon_days=90, **FAST))
    assert first.promotion is not None
    out = train_and_register("churn", small,
                             model=CustomerModel("churn", horizon_days=90, **FAST))
    assert out.promotion is not None
    assert not out.promotion.promoted
    reason = out.promotion.reason
    assert "learned the outcome of 600 of the 600 evaluation rows" in reason
    assert "no fair comparison" in reason
    assert "from 2024-06-29 on" in reason  # its last cutoff, 2024-03-31, plus 90 days
    later = small.assign(cutoff=small["cutoff"] + pd.DateOffset(months=5))  # Jun 30 .. Sep 30
    fair = train_and_register("churn", later,
                              model=CustomerModel("churn", horizon_days=90, **FAST))
    assert fair.promotion is not None
    assert "compared on the 600 of 600 evaluation rows whose outcome" in fair.promotion.reason


def test_a_slight_overlap_of_label_windows_still_compares_everyone(small: pd.DataFrame
                                                                   ) -> None:
    """Monthly retrains of a 30-day model on month-end exports: the new validation window
    shares two days with the champion's last one in some months. Those rows were all taken as
    learned, so one month compared 417 new customers of 19,103 and the next everyone (s14a)."""
    old = small[small["cutoff"] < small["cutoff"].max()]  # Jan 31, Feb 29, Mar 31
    train_and_register("churn", old, model=CustomerModel("churn", horizon_days=30, **FAST))
    new = small.copy()
    last = new["cutoff"] == new["cutoff"].max()
    new.loc[last, "cutoff"] = pd.Timestamp("2024-04-28")  # 2 of 30 days inside Mar 31's window
    out = train_and_register("churn", new, model=CustomerModel("churn", horizon_days=30, **FAST))
    assert out.promotion is not None
    reason = " ".join(out.promotion.reason.split())
    assert "compared on the 600 of 600 evaluation rows" in reason, reason
    assert "600 of them share at most that with one of its windows" in reason
    # a quarter of the window is learned: those rows stay out, as before
    new.loc[last, "cutoff"] = pd.Timestamp("2024-04-22")
    out = train_and_register("churn", new, model=CustomerModel("churn", horizon_days=30, **FAST))
    assert out.promotion is not None
    assert "no fair comparison" in out.promotion.reason


def test_a_comparison_left_with_new_customers_only_says_so(small: pd.DataFrame) -> None:
    """A month later the rows the champion never learned are the customers who joined since
    its cutoffs: the reason says they are new customers, not a sample of all, and from when
    every customer counts (the decision had rested on them without a word)."""
    old = small[small["cutoff"] < small["cutoff"].max()]
    train_and_register("churn", old, model=CustomerModel("churn", horizon_days=90, **FAST))
    last = small[small["cutoff"] == small["cutoff"].max()].head(120)
    joined = last.assign(user_id=[f"new{i}" for i in range(len(last))])
    out = train_and_register("churn", pd.concat([small, joined], ignore_index=True),
                             model=CustomerModel("churn", horizon_days=90, **FAST))
    assert out.promotion is not None
    reason = " ".join(out.promotion.reason.split())
    assert "compared on the 120 of 720 evaluation rows whose outcome" in reason
    assert "120 of them are customers the champion never saw" in reason
    assert "from 2024-06-29 on (--last-cutoff) compare on every customer" in reason


# ---------------------------------------------------------------- H: quiet logging, whole reasons
def test_mlflow_cloudpickle_notice_is_filtered_but_other_pyfunc_warnings_are_not() -> None:
    configure_mlflow()
    log = logging.getLogger("mlflow.pyfunc")
    harmless = log.makeRecord("mlflow.pyfunc", logging.WARNING, __file__, 1,
                              "Passing a Python object as `python_model` causes it to be "
                              "serialized using CloudPickle, it requires ...", (), None)
    other = log.makeRecord("mlflow.pyfunc", logging.WARNING, __file__, 1, "something else",
                           (), None)
    assert not log.filter(harmless)
    assert log.filter(other)


def test_a_champion_that_cannot_score_is_reported_with_whole_words(small: pd.DataFrame) -> None:
    wide = small.assign(**{f"extra_feature_{i:02d}": np.arange(len(small)) % (i + 2)
                           for i in range(40)})
    train_and_register("churn", wide, model=CustomerModel("churn", **FAST))
    # other validation rows, and 16 of the champion's columns gone (most remain: it is the same
    # kind of input, so the champion that cannot read it competes, and loses)
    gone = ["noise", *(f"extra_feature_{i:02d}" for i in range(15))]
    other = wide[wide["user_id"] != "u0"].drop(columns=gone)
    out = train_and_register("churn", other, model=CustomerModel("churn", **FAST))
    assert out.promotion is not None
    assert out.promotion.promoted
    reason = out.promotion.reason
    assert "the champion cannot score these rows" in reason
    assert "lacks" in reason
    assert " ..." in reason
    assert "'v)" not in reason


def test_a_champion_of_other_inputs_is_not_compared_and_stays(small: pd.DataFrame) -> None:
    """A model of a CRM table must not replace the events champion (nor the other way)."""
    crm = pd.DataFrame({"user_id": small["user_id"], "cutoff": small["cutoff"],
                        "label_churn": small["label_churn"], "days_quiet": small["recency_days"],
                        "purchases": small["orders_total"], "contract": small["plan"]})
    first = train_and_register("churn", crm, model=CustomerModel("churn", **FAST))
    assert first.promotion is not None
    assert first.promotion.promoted
    events = small[small["user_id"] != "u0"]  # other rows: the champion is re-scored
    out = train_and_register("churn", events, model=CustomerModel("churn", **FAST))
    assert out.promotion is not None
    assert not out.promotion.promoted
    assert "the champion reads other inputs (it shares 0 of its 3 features" in (
        out.promotion.reason)


def test_leakage_through_a_combination_of_columns_names_the_top_feature() -> None:
    from training._customer_eval import classifier_metrics
    from training._customer_report import model_guards

    rng = np.random.default_rng(2)
    y = (rng.random(500) < 0.4).astype(float)
    p = np.clip(y * 0.95 + rng.random(500) * 0.05, 0, 1)  # AUC ~ 1, but no single column is
    g = model_guards(classifier_metrics(y, p), {"revenue_next_90d": 0.94, "plan": 0.6},
                     {"revenue_next_90d": 90.0, "plan": 10.0})
    assert list(g.suspected_leakage) == ["revenue_next_90d"]
    assert "90% of the split gain" in g.warnings[0]


def test_no_leakage_is_claimed_on_a_validation_too_small_to_tell() -> None:
    """46 validation rows: a history feature ranked them at AUC 0.98 by chance while the model
    itself had AUC 0.50; the small-validation and no-skill warnings say it, leakage does not."""
    from training._customer_eval import classifier_metrics
    from training._customer_report import model_guards

    rng = np.random.default_rng(4)
    y = (rng.random(46) < 0.3).astype(float)
    g = model_guards(classifier_metrics(y, np.full(46, 0.3)), {"bgnbd_expected_orders": 0.983})
    assert not g.suspected_leakage
    assert any(w.startswith("small validation") for w in g.warnings)
    assert not any("leakage" in w for w in g.warnings)


def test_point_in_time_features_of_the_event_pipeline_are_never_suspected(
        small: pd.DataFrame) -> None:
    """Weekly grocery shoppers: recency nearly determines 90-day churn, and the event pipeline
    computes it before the cutoff, so it is signal. The same column in a table is suspected."""
    from training._customer_eval import classifier_metrics
    from training._customer_report import model_guards

    rng = np.random.default_rng(2)
    y = (rng.random(500) < 0.4).astype(float)
    p = np.clip(y * 0.95 + rng.random(500) * 0.05, 0, 1)
    strength, gain = {"days_since_last_purchase": 0.985, "plan": 0.6}, {
        "days_since_last_purchase": 90.0, "plan": 10.0}
    assert list(model_guards(classifier_metrics(y, p), strength, gain).suspected_leakage) == [
        "days_since_last_purchase"]
    trusted = model_guards(classifier_metrics(y, p), strength, gain,
                           trusted={"days_since_last_purchase", "plan"})
    assert not trusted.suspected_leakage
    assert not any("leakage" in w for w in trusted.warnings)
    # a table column beside the pipeline's: the model is suspected only when such columns carry
    # most of the split gain (here the pipeline's recency carries 90%)
    mixed = model_guards(classifier_metrics(y, p), strength, gain,
                         trusted={"days_since_last_purchase"})
    assert not mixed.suspected_leakage
    swapped = model_guards(classifier_metrics(y, p), strength, gain, trusted={"plan"})
    assert list(swapped.suspected_leakage) == ["days_since_last_purchase"]
    crm = model_guards(classifier_metrics(y, p), {"plan": 0.6, "crm_score": 0.9},
                       {"plan": 10.0, "crm_score": 90.0}, trusted={"plan"})
    assert list(crm.suspected_leakage) == ["crm_score"]
    assert "90% of the split gain" in crm.warnings[0]

    near = small.assign(days_since_last_purchase=np.where(
        small["label_churn"] == 1, 200.0, 5.0) + rng.normal(0, 1, len(small)))
    as_table = CustomerModel("churn", **FAST).fit(near)
    assert "days_since_last_purchase" in as_table.report_.suspected_leakage
    marked = near.copy()
    marked.attrs["point_in_time_features"] = ("recency_days", "orders_total", "plan", "noise",
                                              "days_since_last_purchase")
    from_events = CustomerModel("churn", **FAST).fit(marked)
    assert not from_events.report_.suspected_leakage


def test_build_training_set_marks_its_feature_columns_point_in_time() -> None:
    import features as ft
    from features._synthetic import generate_world

    world = generate_world(n_users=300, n_days=200, seed=1)
    frame = ft.build_training_set(world.events, ["2024-04-01"], 30)
    marked = set(frame.attrs["point_in_time_features"])
    assert {"days_since_last_purchase", "orders_total"} <= marked
    assert not {"user_id", "cutoff"} & marked
    assert not any(c.startswith("label_") for c in marked)
    assert marked == {c for c in frame.columns
                      if c not in ("user_id", "cutoff") and not c.startswith("label_")}


def test_validation_is_also_reported_on_the_customers_still_active(small: pd.DataFrame) -> None:
    plain = CustomerModel("churn", **FAST, horizon_days=60).fit(small)
    assert plain.report_.validation_active is None  # no days_since_last_event: nothing to say
    frame = small.assign(days_since_last_event=small["recency_days"])
    m = CustomerModel("churn", **FAST, horizon_days=60).fit(frame)
    act = m.report_.validation_active
    assert act is not None
    last = frame[frame["cutoff"] == frame["cutoff"].max()]
    assert act.n == int((last["days_since_last_event"] <= 60).sum())
    assert act.n < m.report_.validation.n


def test_a_field_empty_only_for_one_class_is_named_as_possible_leakage(
        small: pd.DataFrame) -> None:
    """A retention offer's answer, asked only of the customers who stayed: empty for half of
    them, 'no' for every churner. Alone it reads AUC ~0.75 (under the leakage threshold), yet
    part of it is the label; the fit names it. A column with gaps in both classes is not."""
    rng = np.random.default_rng(5)
    churned = small["label_churn"].to_numpy() == 1
    offer = np.where(churned, "no", rng.choice(["yes", "no", ""], len(small), p=[.3, .2, .5]))
    gaps = np.where(rng.random(len(small)) < 0.3, np.nan, small["recency_days"])
    frame = small.assign(offer_answer=pd.Series(offer).replace("", np.nan), recency_gaps=gaps)
    m = CustomerModel("churn", **FAST).fit(frame)
    named = [w for w in m.report_.warnings if w.startswith("possible leakage")]
    assert len(named) == 1
    assert "column 'offer_answer' is empty in" in named[0]
    assert "every one of them has label 0" in named[0]
    assert not m.report_.suspected_leakage  # a warning, not the leakage veto


def test_training_labels_covering_most_of_the_validation_window_block_promotion(
        caplog: pytest.LogCaptureFixture) -> None:
    """Cutoffs a week apart under 90-day labels: the training rows' windows cover 76 of the
    validation window's 90 days for the same customers, so the validation metrics are
    flattered (a wholesaler check: Brier 0.047 on validation, 0.077 on the real next quarter)
    and such a version must not move the champion on them. Monthly cutoffs (60 days before
    the validation cutoff: 30 of 90 days covered) are judged as before."""
    rng = np.random.default_rng(11)
    parts = []
    for k, cut in enumerate(pd.date_range("2024-05-06", periods=4, freq="7D")):
        recency = rng.exponential(40, 600) + 7 * k
        buy = rng.random(600) < 1 / (1 + np.exp(-(0.5 - 0.03 * recency)))
        parts.append(pd.DataFrame({"user_id": [f"w{i}" for i in range(600)], "cutoff": cut,
                                   "recency_days": recency, "noise": rng.normal(size=600),
                                   "label_churn": (~buy).astype(int)}))
    weekly = pd.concat(parts, ignore_index=True)
    with caplog.at_level(logging.WARNING):
        out = train_and_register("churn", weekly,
                                 model=CustomerModel("churn", horizon_days=90, **FAST))
    assert out.report.overlapping_validation
    assert "overlapping label windows" in caplog.text
    assert "cover 76 of the validation window's 90 days" in caplog.text
    assert "--step-days 23" in caplog.text
    assert out.promotion is not None
    assert not out.promotion.promoted
    assert "not promoted: overlapping label windows" in out.promotion.reason
    monthly = weekly.assign(cutoff=weekly["cutoff"].map(
        dict(zip(sorted(weekly["cutoff"].unique()),
                 pd.date_range("2024-02-06", periods=4, freq="30D"), strict=True))))
    ok = CustomerModel("churn", horizon_days=90, **FAST).fit(monthly)
    assert not ok.report_.overlapping_validation
    assert not any("overlapping" in w for w in ok.report_.warnings)
    # a table model (no label window known) is not judged
    assert not CustomerModel("churn", **FAST).fit(weekly).report_.overlapping_validation


def test_default_step_keeps_training_labels_off_most_of_the_validation_window() -> None:
    from serving._cli_customers import default_step_days

    assert [default_step_days(h, k) for h, k in ((90, 4), (30, 4), (180, 4), (365, 4),
                                                  (90, 2), (60, 2))] == [30, 30, 45, 92, 45, 30]


def test_paired_difference_words_say_whether_a_difference_is_noise() -> None:
    from training._customer_champion import paired_difference_words

    rng = np.random.default_rng(0)
    n = 4_000
    p = rng.uniform(0.05, 0.6, n)
    y = (rng.random(n) < p).astype(float)
    same = paired_difference_words("brier", y, p, p + rng.normal(0, 0.002, n))
    assert "within noise" in same
    better = paired_difference_words("brier", y, np.full(n, y.mean()), p)
    assert "beyond noise" in better
    diff = float(np.mean((p - y) ** 2) - np.mean((y.mean() - y) ** 2))
    assert f"{diff:+.3g}," in better  # the difference is the Brier difference itself
    v = rng.gamma(2, 50, n)
    pred = v * rng.lognormal(0, 0.3, n)
    words = paired_difference_words("rmse", v, pred * 1.5, pred)
    rmse = lambda a: float(np.sqrt(np.mean((a - v) ** 2)))  # noqa: E731
    assert f"{rmse(pred) - rmse(pred * 1.5):+.3g}," in words  # exact for the difference
    assert "beyond noise" in words
    assert paired_difference_words("auc", y, p, p) == ""
    assert paired_difference_words("brier", y[:10], p[:10], p[:10]) == ""


def test_a_label_written_ja_nein_reads_as_yes_no() -> None:
    """A German CRM export writes its churn flag 'Gekündigt' as Ja/Nein (German Excel writes
    WAHR/FALSCH): until 2026-12-07 it was refused with "must hold 0/1 (or yes/no,
    true/false)" and the caller told to recode it."""
    from training._customer_eval import read_labels

    frame = pd.DataFrame({"user_id": [f"c{i}" for i in range(7)],
                          "Gekündigt": ["Ja", "Nein", " nein ", "JA", None, "WAHR", "falsch"]})
    y = read_labels(frame, "Gekündigt", "classifier", "churn")
    assert y.tolist()[:4] == [1.0, 0.0, 0.0, 1.0]
    assert np.isnan(y.iloc[4])
    assert y.tolist()[5:] == [1.0, 0.0]
    assert read_labels(pd.DataFrame({"user_id": ["a", "b"], "Résilié": ["oui", "non"]}),
                       "Résilié", "classifier", "churn").tolist() == [1.0, 0.0]


def test_the_registered_model_says_what_it_answers_and_how_its_champion_moves(
        small: pd.DataFrame) -> None:
    """The MLflow UI's list of registered models showed ``churn`` without a description (only
    its versions had one); the model's own page now says what it scores and who serves it,
    and a description written there by hand is kept."""
    client = mlflow.MlflowClient()
    train_and_register("churn", small, model=CustomerModel("churn", **FAST))
    text = client.get_registered_model("churn").description
    assert text.startswith("Churn: each customer's probability of no order in the label window")
    assert "alias `champion`" in text
    assert "lower validation Brier" in text
    client.update_registered_model("churn", description="ours")
    train_and_register("churn", small, model=CustomerModel("churn", **FAST))
    assert client.get_registered_model("churn").description == "ours"


def test_the_versions_table_says_each_versions_validation_score(small: pd.DataFrame) -> None:
    """``brain models churn`` showed the promotion reason but not each version's validation
    Brier (the metric it compares) nor its ROC AUC."""
    from typer.testing import CliRunner

    from serving.cli import app

    res = train_and_register("churn", small, model=CustomerModel("churn", **FAST))
    out = CliRunner().invoke(app, ["models", "churn"], env={"COLUMNS": "220"})
    assert out.exit_code == 0, out.output
    row = next(ln for ln in out.output.splitlines() if ln.startswith("│ v1"))
    assert (f"validation Brier {res.metrics['brier']:.4g} "
            f"(ROC AUC {res.metrics['roc_auc']:.3f})") in row
