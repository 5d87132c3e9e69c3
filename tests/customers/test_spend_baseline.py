"""The value model's past-spend baseline: rare big spenders are predicted at their own rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training import CustomerModel


def _spenders(seed: int, n_users: int = 3000, n_cutoffs: int = 4) -> pd.DataFrame:
    """Stacked frame: retail customers plus 0.5% accounts that spend ~100x as steadily.

    Each customer has a daily spending rate; past revenue columns and the next 90 days' revenue
    are Poisson orders at that rate times a gamma basket, so the past is an unbiased (noisy)
    reading of the future."""
    rng = np.random.default_rng(seed)
    big = np.arange(n_users) < n_users // 200
    orders_a_day = rng.gamma(1.0, 1 / 30, n_users)
    basket = np.where(big, 100.0, 1.0) * rng.gamma(4.0, 10.0, n_users)
    rows = []
    for k in range(n_cutoffs):
        def spend(days: int) -> np.ndarray:
            n = rng.poisson(orders_a_day * days)
            return n * basket * rng.gamma(20.0, 1 / 20, n_users)

        r365 = spend(275)
        r90 = spend(90)
        rows.append(pd.DataFrame({
            "user_id": [f"u{i}" for i in range(n_users)],
            "cutoff": pd.Timestamp("2024-01-31") + pd.DateOffset(months=k),
            "revenue_90d": r90,
            "revenue_365d": r365 + r90,
            "orders_90d": (r90 > 0).astype(float),
            "label_value": spend(90),
            "big": big,
        }))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def spenders() -> tuple[pd.DataFrame, pd.DataFrame]:
    return _spenders(0), _spenders(1).query("cutoff == cutoff.max()")


def _bias(model: CustomerModel, rows: pd.DataFrame) -> float:
    return float(model.score(rows.drop(columns="big")).sum() / rows["label_value"].sum() - 1)


def test_rare_big_spenders_are_predicted_near_their_rate(
        spenders: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, test = spenders
    frame = train.drop(columns="big")
    with_base = CustomerModel("value", horizon_days=90, exclude=("big",)).fit(frame)
    without = CustomerModel("value", horizon_days=90, spend_baseline=False).fit(frame)
    assert with_base.baseline_ is not None
    assert without.baseline_ is None
    big, small = test[test["big"]], test[~test["big"]]
    # Without the baseline the trees cannot get both groups right at once (here the total's
    # calibration scales retail up by a third to make up for the 15 big accounts).
    worst = max(abs(_bias(with_base, big)), abs(_bias(with_base, small)))
    assert worst < 0.15
    assert max(abs(_bias(without, big)), abs(_bias(without, small))) > worst + 0.15


def test_contributions_sum_to_the_log_prediction_with_the_baseline(
        spenders: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, test = spenders
    model = CustomerModel("value", horizon_days=90).fit(train.drop(columns="big"))
    rows = test.drop(columns="big").iloc[:300]
    log_pred = np.log(model.raw_score(rows))
    for contrib in (model.contributions(rows), model.path_contributions(rows)):
        np.testing.assert_allclose(contrib.sum(axis=1).to_numpy(), log_pred, atol=1e-9)
    score, path = model.path_score(rows)
    np.testing.assert_allclose(score, model.score(rows), rtol=1e-12)
    np.testing.assert_allclose(path, model.path_contributions(rows).drop(columns="bias"))
    # the big spenders' past revenue is what lifts them (x10 and more over a typical customer)
    credit = model.contributions(rows)[["revenue_90d", "revenue_365d"]].sum(axis=1)
    big = test["big"].iloc[:300].to_numpy()
    assert credit[big & (rows["revenue_365d"] > 0).to_numpy()].min() > np.log(10)


def test_no_baseline_without_the_revenue_columns_or_with_a_squared_error_objective(
        spenders: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    frame = spenders[0].drop(columns=["big", "revenue_365d"])
    assert CustomerModel("value", horizon_days=90).fit(frame).baseline_ is None
    squared = CustomerModel("value", horizon_days=90, value_objective="regression")
    assert squared.fit(spenders[0].drop(columns="big")).baseline_ is None
