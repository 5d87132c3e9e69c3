"""Logged models' input examples carry no real customer (s16h): the customer and uplift
models had logged their data's first 5 rows (ids and features) as the input example, which
MLflow copies to the artifact store with every version. The examples are now built from
column statistics (``training._examples.synthetic_example``) and still serve: MLflow's own
``validate_serving_input`` and ``load_model(...).predict`` accept them."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.models import validate_serving_input

from training._customer_mlflow import train_and_register
from training._customer_models import CustomerModel
from training._examples import MIN_SHARED, synthetic_example


def toy_frame(n_users: int, n_cutoffs: int, seed: int = 0) -> pd.DataFrame:
    """Stacked (user_id, cutoff) rows whose purchase label follows a logistic model."""
    rng = np.random.default_rng(seed)
    parts = []
    for k in range(n_cutoffs):
        recency = rng.exponential(40, n_users)
        orders = rng.poisson(3, n_users).astype(float)
        plan = rng.choice(["basic", "plus", "pro"], n_users)
        logit = -0.2 - 0.04 * recency + 0.35 * orders + np.where(plan == "pro", 0.7, 0.0)
        buy = rng.random(n_users) < 1 / (1 + np.exp(-logit))
        parts.append(pd.DataFrame({
            "user_id": [f"u{i}" for i in range(n_users)],
            "cutoff": pd.Timestamp("2024-01-31") + pd.DateOffset(months=k),
            "recency_days": recency, "orders_total": orders, "plan": plan,
            "noise": rng.normal(size=n_users), "label_purchase": buy.astype(int)}))
    return pd.concat(parts, ignore_index=True)


def _logged_example(model_uri: str) -> tuple[pd.DataFrame, Path]:
    local = Path(mlflow.artifacts.download_artifacts(model_uri))
    ex = json.loads((local / "input_example.json").read_text())
    return pd.DataFrame(ex["data"], columns=ex["columns"]), local


def _serves(model_uri: str, local: Path, example: pd.DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():  # deprecated since MLflow 3.13, still the documented check
        warnings.simplefilter("ignore", FutureWarning)
        validate_serving_input(model_uri, (local / "serving_input_example.json").read_text())
    return mlflow.pyfunc.load_model(model_uri).predict(example)


def _no_real_row(example: pd.DataFrame, frame: pd.DataFrame, features: list[str]) -> None:
    real = frame[features].astype(str).apply(tuple, axis=1)
    assert not set(example[features].astype(str).apply(tuple, axis=1)) & set(real)


def test_the_customer_model_logs_no_real_customer_and_its_example_serves() -> None:
    frame = toy_frame(600, 3)
    out = train_and_register("propensity", frame, register=False,
                             model=CustomerModel("propensity", n_estimators=40))
    example, local = _logged_example(out.model_uri)
    assert list(example["user_id"]) == [f"example-{i}" for i in range(1, 6)]
    assert not set(example["user_id"]) & set(frame["user_id"])
    features = ["recency_days", "orders_total", "noise", "plan"]
    _no_real_row(example, frame, features)
    assert example.loc[0, "recency_days"] == pytest.approx(frame["recency_days"].median())
    assert example.loc[0, "plan"] == frame["plan"].mode()[0]
    scored = _serves(out.model_uri, local, example)
    assert list(scored["user_id"]) == list(example["user_id"])
    sample = pd.read_csv(mlflow.artifacts.download_artifacts(
        run_id=out.run_id, artifact_path="reasons/reasons_sample.csv"))
    assert len(sample) == 25
    assert not set(sample["user_id"]) & set(frame["user_id"])
    assert scored["score"].between(0, 1).all()


def test_a_customer_table_model_with_integer_ids_gets_placeholder_ids() -> None:
    frame = toy_frame(600, 1).drop(columns=["cutoff"])
    frame["user_id"] = np.arange(1000, 1000 + len(frame))
    out = train_and_register("propensity", frame, register=False, id_col="customerID",
                             model=CustomerModel("propensity", n_estimators=40))
    example, local = _logged_example(out.model_uri)
    assert list(example["customerID"]) == [-1, -2, -3, -4, -5]
    scored = _serves(out.model_uri, local, example)
    assert list(scored["customerID"]) == ["-1", "-2", "-3", "-4", "-5"]


def test_the_uplift_model_logs_no_real_customer_and_its_example_serves() -> None:
    import experiments as ex

    rng = np.random.default_rng(0)
    n = 3000
    arm = rng.choice(["control", "email"], n)
    x1 = rng.random(n)
    df = pd.DataFrame({"x1": x1, "visits": rng.poisson(3, n),
                       "region": rng.choice(["north", "south"], n), "arm": arm,
                       "bought": (rng.random(n) < 0.2 + 0.2 * x1 * (arm == "email")).astype(int)})
    _, res = ex.train_uplift(df, treatment_col="arm", control="control", outcome="bought",
                             features=["x1", "visits", "region"], params={"n_estimators": 40},
                             model_name="uplift_example_test")
    uri = f"runs:/{res.run_id}/model"
    example, local = _logged_example(uri)
    _no_real_row(example, df, ["x1", "visits", "region"])
    assert example.loc[0, "x1"] == pytest.approx(df["x1"].quantile(0.5), abs=0.05)
    assert example["visits"].dtype.kind == "i"  # an integer column keeps its type
    out = _serves(uri, local, example)
    assert list(out.columns) == ["email"]
    assert len(out) == 5


def test_rare_levels_are_not_copied_and_dtypes_are_kept() -> None:
    frame = pd.DataFrame({
        "user_id": [f"c{i}" for i in range(40)],
        "email": [f"p{i}@example.org" for i in range(40)],   # one person's value each
        "plan": ["pro"] * (MIN_SHARED - 1) + ["basic"] * (41 - MIN_SHARED),
        "orders": pd.array(range(40), dtype="int64"),
        "opted_in": [True] * 30 + [False] * 10,
        "spend": np.linspace(0, 39, 40)})
    ex = synthetic_example(frame, list(frame.columns), id_col="user_id")
    assert list(ex["email"]) == [""] * 5
    assert set(ex["plan"]) == {"basic"}  # 'pro' is held by fewer than MIN_SHARED rows
    assert ex.dtypes.to_dict() == frame.dtypes.to_dict()  # the signature is inferred from it
    assert list(ex["user_id"]) == [f"example-{i}" for i in range(1, 6)]
    assert list(ex["opted_in"]) == [True, False, True, True, True]  # 75% True
    assert list(ex["spend"]) == [float(frame["spend"].quantile(q))
                                 for q in (0.5, 0.1, 0.25, 0.75, 0.9)]
    assert list(ex["orders"]) == [20, 4, 10, 29, 35]


def test_an_empty_or_one_row_frame_gets_placeholders_and_dates_keep_their_dtype() -> None:
    frame = pd.DataFrame({
        "orders": pd.Series([3], dtype="int64"),
        "spend": [412.5],
        "first_seen": pd.to_datetime(["2024-03-07 10:15"]),
        "since": pd.to_timedelta(["40 days"]),
        "vip": [True],
    })
    cols = list(frame.columns)
    for rows in (frame, frame.iloc[:0]):
        # an empty frame had crashed on the integer column; a one-row frame logged that
        # customer's own values as the "medians"
        ex = synthetic_example(rows, cols)
        assert list(ex.dtypes) == list(frame.dtypes)
        assert (ex["orders"] == 0).all()
        assert (ex["spend"] == 0).all()
        assert (ex["first_seen"] == pd.Timestamp(0)).all()
        assert (ex["since"] == pd.Timedelta(0)).all()
        assert not ex["vip"].any()
    many = pd.DataFrame({"first_seen": pd.date_range("2024-01-01", periods=101, freq="D")})
    ex = synthetic_example(many, ["first_seen"])
    assert ex["first_seen"].dtype == many["first_seen"].dtype
    assert ex["first_seen"].iloc[0] == pd.Timestamp("2024-02-20")  # the median day
