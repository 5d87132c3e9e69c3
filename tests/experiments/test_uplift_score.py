"""Scoring customers with an uplift learner and the top-k targeting decision."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import ExperimentInputError, TLearner
from experiments._uplift_score import score_uplift

FAST = {"n_estimators": 60, "min_child_samples": 40}


@pytest.fixture(scope="module")
def learner() -> TLearner:
    # the e-mail helps customers with x > 0 (+20 points) and hurts those with x < 0 (-10)
    rng = np.random.default_rng(0)
    n = 6000
    x = rng.normal(size=n)
    region = rng.choice(["north", "south"], n)
    t = rng.choice(["control", "email"], n)
    p = 0.3 + np.where(t == "email", np.where(x > 0, 0.2, -0.1), 0.0)
    y = (rng.random(n) < p).astype(int)
    frame = pd.DataFrame({"x": x, "region": region})
    return TLearner("control", params=FAST).fit(frame, t, y)


def test_targets_the_top_k_with_a_positive_uplift_in_input_order(learner: TLearner) -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"user_id": [f"u{i}" for i in range(1000)], "x": rng.normal(size=1000),
                          "region": rng.choice(["north", "south"], 1000), "extra": 1})
    res = score_uplift(learner, frame, k=0.3, id_col="user_id")
    s = res.scores
    assert list(s.columns) == ["user_id", "uplift_email", "best_treatment", "best_uplift",
                               "rank", "target"]
    assert s["user_id"].tolist() == frame["user_id"].tolist()  # input order kept
    assert res.n_targeted == int(s["target"].sum()) == 300
    assert (s.loc[s["target"], "best_uplift"] > 0).all()
    assert s.loc[s["target"], "best_uplift"].min() >= s.loc[~s["target"], "best_uplift"].max()
    assert sorted(s["rank"]) == list(range(1, 1001))
    # the model learnt who the e-mail helps: targeted customers are those with x > 0
    assert (frame.loc[s["target"].to_numpy(), "x"] > 0).mean() > 0.95
    np.testing.assert_allclose(s["uplift_email"], learner.predict(frame[["x", "region"]])["email"])


def test_never_targets_a_customer_the_campaign_is_predicted_to_hurt(learner: TLearner) -> None:
    frame = pd.DataFrame({"x": np.linspace(-3, -1, 200), "region": "north"})
    res = score_uplift(learner, frame, k=0.5)
    assert res.n_targeted < 100
    assert (res.scores.loc[res.scores["target"], "best_uplift"] > 0).all()
    assert any("fewer than the 100 the top 50% allows" in n for n in res.notes)


def test_input_errors_name_the_column_rows_and_fix(learner: TLearner) -> None:
    with pytest.raises(ExperimentInputError, match=r"feature columns \['region'\] are missing"):
        score_uplift(learner, pd.DataFrame({"x": [0.1, 0.2]}), source="cust.csv")
    bad = pd.DataFrame({"x": ["0.5", "1,5", "2"], "region": "north"})
    with pytest.raises(ExperimentInputError, match=r"cust\.csv.*'x' has 1 values that are not "
                                                   r"numbers \(first rows \[2\]: \['1,5'\]\)"):
        score_uplift(learner, bad, source="cust.csv")
    with pytest.raises(ExperimentInputError, match="k must be in"):
        score_uplift(learner, pd.DataFrame({"x": [0.1], "region": "north"}), k=0)
    with pytest.raises(ExperimentInputError, match="id column 'cid' is missing"):
        score_uplift(learner, pd.DataFrame({"x": [0.1], "region": "north"}), id_col="cid")


def test_unseen_labels_and_empty_rows_are_counted_not_dropped(learner: TLearner) -> None:
    frame = pd.DataFrame({"x": [0.5, np.nan, 1.0], "region": ["north", None, "east"]})
    res = score_uplift(learner, frame, k=1.0)
    assert len(res.scores) == 3
    assert any("'region': 1 rows hold labels the model never saw ('east')" in n
               for n in res.notes)
    assert any("1 rows have every feature missing (first rows [2])" in n for n in res.notes)


def test_a_quota_under_one_row_says_nobody_is_targeted(learner: TLearner) -> None:
    # 30% of 3 customers rounds down to none: the output had target False everywhere and
    # no word, though every row has a positive uplift
    frame = pd.DataFrame({"x": [1.0, 2.0, 1.5], "region": "north"})
    res = score_uplift(learner, frame, k=0.3)
    assert (res.scores["best_uplift"] > 0).all()
    assert res.n_targeted == 0
    assert any("the top 30% of 3 rows is less than one row: nobody is targeted" in n
               for n in res.notes)
    assert score_uplift(learner, frame, k=0.34).n_targeted == 1


@pytest.mark.parametrize("n", [3, 7, 30, 700])
def test_the_k_suggested_for_a_quota_under_one_row_targets_one(learner: TLearner,
                                                                n: int) -> None:
    # review: the note suggested k = 1/n to 2 digits, rounded to nearest: 'at least 0.33' for
    # 3 rows, and 0.33 of 3 rows is again under one row (nobody targeted)
    import re

    frame = pd.DataFrame({"x": np.linspace(1.0, 2.0, n), "region": "north"})
    res = score_uplift(learner, frame, k=0.5 / n)
    (note,) = [x for x in res.notes if "less than one row" in x]
    k = float(re.search(r"at least ([0-9.e-]+)\)", note).group(1))
    assert score_uplift(learner, frame, k=k).n_targeted == 1

