"""Reasons, tiers, early warning, batch scoring and the BG/NBD features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training._customer_bgnbd import BgNbdParams, bgnbd_features, fit_bgnbd
from training._customer_mlflow import score_frame
from training._customer_models import CustomerModel
from training._customer_reasons import (
    TIERS,
    TierRule,
    assign_tiers,
    early_warning,
    reason_label,
    top_reasons,
)
from training._customer_scoring import score_features

FAST = {"n_estimators": 80, "learning_rate": 0.1}


@pytest.fixture(scope="module")
def fitted(toy: pd.DataFrame) -> CustomerModel:
    return CustomerModel("churn", **FAST).fit(toy.drop(columns="true_p"))


def test_reasons_name_features_pushing_the_score_up(fitted: CustomerModel,
                                                    toy: pd.DataFrame) -> None:
    rows = toy.head(200)
    contrib = fitted.contributions(rows)
    reasons = top_reasons(contrib, rows, fitted.typical_, top=2)
    top_col = contrib.drop(columns="bias").idxmax(axis=1)
    positive = contrib.drop(columns="bias").max(axis=1) > 0
    for i in np.flatnonzero(positive.to_numpy())[:50]:
        assert reasons["reason_1"].iloc[i].startswith(reason_label(top_col.iloc[i]))
    assert reasons.loc[~positive, "reason_1"].isna().all()


def test_reason_labels_are_readable() -> None:
    assert reason_label("days_since_last_purchase") == "days since last purchase"
    assert reason_label("orders_90d") == "orders (last 90 days)"
    assert reason_label("ch_share_email") == "share of visits via email"
    assert reason_label("my_crm_score") == "my crm score"


def test_tiers_follow_documented_thresholds() -> None:
    t = assign_tiers(np.array([0.95, 0.7, 0.69, 0.4, 0.39, 0.0]), TIERS["churn"])
    assert list(t) == ["high", "high", "medium", "medium", "low", "low"]
    t = assign_tiers(np.array([0.5, 0.2, 0.1]), TIERS["propensity"])
    assert list(t) == ["hot", "warm", "cold"]
    v = assign_tiers(np.arange(100.0), TIERS["value"])
    assert (pd.Series(v).value_counts()[["top", "high", "medium", "low"]].tolist()
            == [10, 20, 30, 40])
    with pytest.raises(ValueError, match="need 1 thresholds"):
        assign_tiers(np.array([0.1]), TierRule(("a", "b"), ()))


def test_early_warning_is_missing_when_the_input_cannot_tell() -> None:
    f = pd.DataFrame({"visits_30d": [1, 5, 0], "visits_prev_30d": [4, 6, 1]})
    assert early_warning(f).tolist() == [True, False, False]
    assert early_warning(pd.DataFrame({"x": [1, 2]})).isna().all()
    assert early_warning(pd.DataFrame({"visit_drop_50": [1.0, 0.0]})).tolist() == [True, False]


def test_chunked_scoring_equals_one_pass(fitted: CustomerModel, toy: pd.DataFrame) -> None:
    one = score_frame(fitted, toy)
    chunked = score_features(fitted, toy, chunk_size=777, reason_method="shap")
    pd.testing.assert_frame_equal(one, chunked)
    assert list(one.columns) == ["user_id", "score", "tier", "early_warning", "reason_1",
                                 "reason_2", "reason_3"]


def test_value_tiers_are_ranked_over_all_chunks(toy: pd.DataFrame) -> None:
    model = CustomerModel("value", **FAST).fit(toy.drop(columns="true_p"))
    out = score_features(model, toy, reasons=False, chunk_size=500)
    top = out.loc[out["tier"] == "top", "score"].min()
    assert top >= out.loc[out["tier"] != "top", "score"].max()
    assert (out["tier"] == "top").mean() == pytest.approx(0.1, abs=0.01)


def _bgnbd_sample(n: int, seed: int) -> pd.DataFrame:
    """Simulate (x, t_x, T) from a BG/NBD with r=0.25, alpha=4, a=0.8, b=2.5."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(0.25, 1 / 4.0, n)
    p = rng.beta(0.8, 2.5, n)
    T = rng.uniform(30, 300, n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T[i]:
                break
            x[i] += 1
            t_x[i] = t
            if rng.random() < p[i]:
                break
    return pd.DataFrame({"orders_total": x + 1, "days_since_first_purchase": T,
                         "days_since_last_purchase": T - t_x})


def test_bgnbd_matches_lifetimes() -> None:
    lifetimes = pytest.importorskip("lifetimes")
    f = _bgnbd_sample(3000, 0)
    ours = fit_bgnbd(f)
    ref = lifetimes.BetaGeoFitter().fit(f["orders_total"] - 1, f["days_since_first_purchase"]
                                        - f["days_since_last_purchase"],
                                        f["days_since_first_purchase"])
    got = np.array([ours.r, ours.alpha, ours.a, ours.b])
    want = ref.params_[["r", "alpha", "a", "b"]].to_numpy()
    np.testing.assert_allclose(got, want, rtol=0.05)
    params = BgNbdParams(*want)
    feats = bgnbd_features(params, f, 90)
    x = f["orders_total"] - 1
    t_x = f["days_since_first_purchase"] - f["days_since_last_purchase"]
    T = f["days_since_first_purchase"]
    np.testing.assert_allclose(
        feats["bgnbd_expected_orders"],
        ref.conditional_expected_number_of_purchases_up_to_time(90, x, t_x, T), rtol=1e-6)
    np.testing.assert_allclose(feats["bgnbd_p_alive"],
                               ref.conditional_probability_alive(x, t_x, T), rtol=1e-6)


def test_bgnbd_features_are_missing_for_non_buyers() -> None:
    f = pd.DataFrame({"orders_total": [0.0, 2.0], "days_since_first_purchase": [np.nan, 50.0],
                      "days_since_last_purchase": [np.nan, 10.0]})
    out = bgnbd_features(BgNbdParams(0.3, 5.0, 0.8, 2.0), f, 30)
    assert out.iloc[0].isna().all()
    assert out.iloc[1].notna().all()


def test_path_contributions_sum_to_the_raw_score(fitted: CustomerModel,
                                                 toy: pd.DataFrame) -> None:
    rows = toy.head(300)
    path = fitted.path_contributions(rows, block=64)
    np.testing.assert_allclose(path.sum(axis=1).to_numpy(), fitted.raw_score(rows), atol=1e-9)
    shap = fitted.contributions(rows)
    agree = (path.drop(columns="bias").idxmax(axis=1)
             == shap.drop(columns="bias").idxmax(axis=1)).mean()
    assert agree > 0.7
