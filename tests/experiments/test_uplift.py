"""Uplift learners, metrics and the MLflow training flow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import experiments as ex


def _uplift_data(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    """Two treatments; 'email' helps customers with high x1, 'sms' helps nobody."""
    rng = np.random.default_rng(seed)
    x1 = rng.random(n)
    x2 = rng.random(n)
    arm = rng.choice(["control", "email", "sms"], n)
    p = 0.15 + 0.1 * x2 + 0.3 * x1 * (arm == "email")
    return pd.DataFrame({"x1": x1, "x2": x2, "region": rng.choice(["north", "south"], n),
                         "arm": arm, "bought": (rng.random(n) < p).astype(int)})


def test_qini_curve_matches_a_hand_computation() -> None:
    x, q = ex.qini_curve([1, 0, 1, 0], [0.4, 0.3, 0.2, 0.1], [1, 1, 0, 0])
    np.testing.assert_allclose(x, [0, 1, 2, 3, 4])
    # Q(t) = Y_T - Y_C * N_T / N_C: (1 - 0), (1 - 0), (1 - 1*2/1), (1 - 1*2/2)
    np.testing.assert_allclose(q, [0, 1, 1, -1, 0])


def test_perfect_ranking_scores_one_and_reversed_ranking_scores_below_zero() -> None:
    rng = np.random.default_rng(1)
    t = rng.integers(0, 2, 2000)
    y = rng.integers(0, 2, 2000)
    perfect = y * t - y * (1 - t)
    assert ex.qini_coefficient(y, perfect, t) == pytest.approx(1.0)
    assert ex.qini_coefficient(y, -perfect, t) < 0


@pytest.mark.parametrize("learner_cls", ["TLearner", "XLearner"])
def test_learners_rank_customers_by_their_true_uplift(learner_cls: str) -> None:
    df = _uplift_data()
    train, test = df.iloc[:4500], df.iloc[4500:]
    model = getattr(ex, learner_cls)("control", params={"n_estimators": 80},
                                     random_state=0)
    assert model.fit(train[["x1", "x2", "region"]], train["arm"], train["bought"]) is model
    preds = model.predict(test[["x1", "x2", "region"]])
    assert list(preds.columns) == ["email", "sms"]
    true_email = 0.3 * test["x1"]
    assert np.corrcoef(preds["email"], true_email)[0, 1] > 0.6
    assert preds["email"].mean() == pytest.approx(0.15, abs=0.05)
    assert abs(preds["sms"].mean()) < 0.05
    mask = test["arm"].isin(["control", "email"]).to_numpy()
    y, u = test["bought"].to_numpy()[mask], preds["email"].to_numpy()[mask]
    t = (test["arm"].to_numpy()[mask] == "email").astype(int)
    oracle = ex.qini_coefficient(y, 0.3 * test["x1"].to_numpy()[mask], t)
    assert oracle > 0.03
    assert ex.qini_coefficient(y, u, t) > 0.7 * oracle
    policy = ex.top_k_policy(y, u, t, k=0.3)
    assert policy.uplift_per_targeted > ex.uplift_at_k(y, -u, t, k=0.3)
    assert policy.ci_low <= policy.uplift_per_targeted <= policy.ci_high
    assert policy.incremental_outcome == pytest.approx(policy.uplift_per_targeted
                                                       * policy.n_targeted)


def _linear_effect_data(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """A 0/1 outcome whose effect is linear (on the logit) in four features at once."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"x{i}" for i in range(6)])
    X["region"] = rng.choice(["north", "south", "east"], n)
    arm = rng.choice(["control", "email"], n)
    effect = 0.2 + 0.4 * (X["x0"] + X["x1"] + X["x2"] - X["x3"])
    logit = -1.0 + 0.5 * X["x4"] + (arm == "email") * effect
    return X, arm, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def _xor_effect_data(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """A 0/1 outcome whose effect is an interaction no main-effect linear model can express."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.random(size=(n, 4)), columns=[f"x{i}" for i in range(4)])
    X["region"] = rng.choice(["north", "south", "east"], n)
    arm = rng.choice(["control", "email"], n)
    effect = 0.3 * ((X["x0"] > 0.5) != (X["x1"] > 0.5)) - 0.05
    p = 0.2 + 0.1 * X["x2"] + (arm == "email") * effect
    return X, arm, (rng.random(n) < p).astype(int)


def _holdout_qini(model: ex.TLearner | ex.XLearner, X: pd.DataFrame, arm: np.ndarray,
                  y: np.ndarray) -> float:
    return ex.qini_coefficient(y, model.predict_uplift(X), (arm == "email").astype(int))


def test_auto_base_picks_linear_for_a_linear_effect_and_beats_lightgbm() -> None:
    # LightGBM-only learners lost to two logistic regressions on Hillstrom; 'auto' chooses by
    # cross-validated Qini on the training rows alone
    X, arm, y = _linear_effect_data(24_000, 0)
    cut = 4000
    fit = (X.iloc[:cut], arm[:cut], y[:cut])
    hold = (X.iloc[cut:], arm[cut:], y[cut:])
    lgbm = ex.TLearner("control", params={"n_estimators": 80}).fit(*fit)
    auto = ex.TLearner("control", params={"n_estimators": 80}, base="auto").fit(*fit)
    assert lgbm.bases_ == {"email": "lightgbm"}
    assert auto.bases_ == {"email": "linear"}
    cv = auto.base_cv_["email"]
    assert set(cv) == {"lightgbm", "linear"}
    assert cv["linear"] > cv["lightgbm"]
    assert _holdout_qini(auto, *hold) > _holdout_qini(lgbm, *hold) + 0.01


def test_pick_base_keeps_lightgbm_only_for_a_lead_beyond_the_fold_noise() -> None:
    from experiments._uplift import pick_base

    # illustrative folds with the means of Hillstrom's visits, Mens e-mail, split seed 1
    # (0.0247 vs 0.0226): a lead well inside the folds' noise, which the larger mean had
    # turned into LightGBM (holdout Qini -0.012 against the linear base's -0.008)
    noisy = {"lightgbm": [0.045, 0.002, 0.030, 0.010, 0.037],
             "linear": [0.030, 0.015, 0.025, 0.020, 0.023]}
    assert pick_base(noisy) == "linear"
    clear = {"lightgbm": [0.15, 0.16, 0.14, 0.15, 0.17], "linear": [0.01, 0.0, 0.02, 0.01, 0.0]}
    assert pick_base(clear) == "lightgbm"
    assert pick_base({"lightgbm": [0.02] * 5, "linear": [0.02] * 5}) == "linear"
    assert pick_base({"lightgbm": [float("nan")], "linear": [float("nan")]}) == "lightgbm"


@pytest.mark.parametrize("learner_cls", ["TLearner", "XLearner"])
def test_auto_base_keeps_lightgbm_for_a_non_linear_effect(learner_cls: str) -> None:
    X, arm, y = _xor_effect_data(12_000, 0)
    cut = 6000
    auto = getattr(ex, learner_cls)("control", params={"n_estimators": 80}, base="auto",
                                     cv_folds=3).fit(X.iloc[:cut], arm[:cut], y[:cut])
    assert auto.bases_ == {"email": "lightgbm"}
    assert auto.base_cv_["email"]["lightgbm"] > auto.base_cv_["email"]["linear"] + 0.05
    linear = getattr(ex, learner_cls)("control", base="linear").fit(X.iloc[:cut], arm[:cut],
                                                                   y[:cut])
    hold = (X.iloc[cut:], arm[cut:], y[cut:])
    assert _holdout_qini(auto, *hold) > _holdout_qini(linear, *hold) + 0.05


@pytest.mark.parametrize("learner_cls", ["TLearner", "XLearner"])
def test_linear_base_scores_gaps_unseen_labels_and_continuous_outcomes(learner_cls: str) -> None:
    df = _uplift_data(3000)
    df.loc[df.index[::7], "x2"] = np.nan
    feats = ["x1", "x2", "region"]
    model = getattr(ex, learner_cls)("control", base="linear").fit(df[feats], df["arm"],
                                                                  df["bought"])
    assert model.bases_ == {"email": "linear", "sms": "linear"}
    preds = model.predict(df[feats])
    assert np.corrcoef(preds["email"], 0.3 * df["x1"])[0, 1] > 0.9
    odd = pd.DataFrame({"x1": [0.5, np.nan], "x2": [np.inf, 0.3], "region": ["west", None]})
    assert np.isfinite(model.predict(odd).to_numpy()).all()
    spend = df["bought"] * (20 + 10 * df["x2"].fillna(0))
    cont = getattr(ex, learner_cls)("control", base="linear").fit(df[feats], df["arm"], spend)
    assert not cont.binary_
    assert np.isfinite(cont.predict(odd).to_numpy()).all()


@pytest.mark.parametrize("base", ["linear", "auto"])
@pytest.mark.parametrize("learner_cls", ["TLearner", "XLearner"])
def test_an_arm_with_one_or_no_conversion_fits_with_the_linear_base(learner_cls: str,
                                                                   base: str) -> None:
    # rare conversions: a control arm with one conversion leaves cross-validation folds with
    # none, and scikit-learn's logistic regression refuses a single class (a ValueError from
    # brain uplift train's default base, where LightGBM fitted)
    rng = np.random.default_rng(3)
    n = 600
    X = pd.DataFrame({"a": rng.normal(size=n), "seg": rng.choice(["x", "y"], n)})
    arm = np.where(np.arange(n) % 2 == 0, "control", "email")
    for control_conversions in (1, 0):
        y = np.zeros(n)
        y[np.flatnonzero(arm == "control")[:control_conversions]] = 1
        y[np.flatnonzero(arm == "email")[:30]] = 1
        model = getattr(ex, learner_cls)("control", base=base).fit(X, arm, y)
        preds = model.predict(X)["email"].to_numpy()
        assert np.isfinite(preds).all()


def test_a_learner_pickled_before_base_models_existed_still_predicts() -> None:
    # models registered by earlier versions hold outcome_models_ and no bases_ / base_models_
    import pickle

    df = _uplift_data(2000)
    feats = ["x1", "x2", "region"]
    model = ex.TLearner("control", params={"n_estimators": 20}).fit(df[feats], df["arm"],
                                                                     df["bought"])
    expected = model.predict(df[feats])
    model.outcome_models_ = model.base_models_["lightgbm"]  # type: ignore[attr-defined]
    del model.base_models_, model.bases_, model.base_cv_, model.base, model.cv_folds
    legacy = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(legacy.predict(df[feats]), expected)


def test_unknown_base_is_an_input_error() -> None:
    df = _uplift_data(600)
    with pytest.raises(ex.ExperimentInputError, match="base must be 'lightgbm', 'linear' or"):
        ex.TLearner("control", base="ridge").fit(  # type: ignore[arg-type]
            df[["x1"]], df["arm"], df["bought"])


def test_top_k_policy_interval_with_no_control_event_is_not_welch() -> None:
    # a rare conversion (0.4% of treated), none among the targeted controls, scores that carry
    # no information: Welch took the control rate 0 as exact and put the interval above 0
    rng = np.random.default_rng(0)
    n = 10_000
    t = (rng.random(n) < 0.85).astype(int)
    y = np.zeros(n)
    y[(t == 1) & (rng.random(n) < 0.004)] = 1
    u = rng.random(n)
    policy = ex.top_k_policy(y, u, t, k=0.3)
    top = np.argsort(u, kind="mergesort")[::-1][: int(n * 0.3)]
    yc, yt = y[top][t[top] == 0], y[top][t[top] == 1]
    assert yc.sum() == 0
    assert policy.ci_low < 0 < policy.ci_high
    from experiments._stats import exact_proportions

    exact = exact_proportions(0, int(yc.size), float(yt.sum()), int(yt.size))
    assert policy.ci_low == pytest.approx(float(exact.ci_low))
    assert policy.ci_high == pytest.approx(float(exact.ci_high))
    assert policy.incremental_ci_low == pytest.approx(policy.ci_low * policy.n_targeted)


def test_top_k_policy_interval_with_one_control_event_includes_zero() -> None:
    # the check's counts: 1 conversion among 822 targeted controls, 26 among 4,576 treated
    # (Fisher p = 0.11); Welch had given an interval above 0
    from scipy import stats

    yc = np.r_[np.ones(1), np.zeros(821)]
    yt = np.r_[np.ones(26), np.zeros(4_550)]
    y, t = np.r_[yc, yt], np.r_[np.zeros(822, int), np.ones(4_576, int)]
    # those customers are the top half by score; the other half never buys
    y, t = np.r_[y, np.zeros(len(y))], np.r_[t, t]
    u = np.r_[np.ones(len(y) // 2), np.zeros(len(y) // 2)]
    policy = ex.top_k_policy(y, u, t, k=0.5)
    assert stats.fisher_exact([[26, 4_550], [1, 821]])[1] > 0.05
    assert policy.ci_low < 0 < policy.ci_high
    assert policy.uplift_per_targeted == pytest.approx(26 / 4_576 - 1 / 822)


def test_learner_rejects_unknown_features_and_too_few_rows() -> None:
    df = _uplift_data(600)
    model = ex.TLearner("control", params={"n_estimators": 10}).fit(df[["x1"]], df["arm"],
                                                                     df["bought"])
    with pytest.raises(ex.ExperimentInputError, match=r"feature columns \['x1'\] are missing"):
        model.predict(df[["x2"]])
    with pytest.raises(ex.ExperimentInputError, match=r"arm '\w+' has \d+ rows; need at least 50"):
        ex.TLearner("control").fit(df[["x1"]].iloc[:100], df["arm"].iloc[:100],
                                   df["bought"].iloc[:100])


def test_train_uplift_logs_registers_and_serves_by_alias() -> None:
    import mlflow

    df = _uplift_data(4000)
    # split seed 2: e-mail's holdout Qini 0.144 (standard error 0.044) is clearly a ranking;
    # seed 0's holdout shows 0.021 (0.039), which is not made champion
    model, res = ex.train_uplift(df, treatment_col="arm", control="control", outcome="bought",
                                 features=["x1", "x2", "region"], params={"n_estimators": 60},
                                 model_name="uplift_test", seed=2)
    assert res.treatments == ("email", "sms")
    assert res.n_holdout == 1200
    assert res.model_version == "1"
    assert res.promoted
    email = next(e for e in res.evaluations if e.treatment == "email")
    sms = next(e for e in res.evaluations if e.treatment == "sms")
    assert email.qini > 0.02
    assert email.uplift_at_k > sms.uplift_at_k
    assert res.run_id is not None
    run = mlflow.get_run(res.run_id)
    assert run.data.metrics["qini_email"] == pytest.approx(email.qini)
    served = mlflow.pyfunc.load_model("models:/uplift_test@champion")
    out = served.predict(df[["x1", "x2", "region"]].head(7))
    np.testing.assert_allclose(out["email"], model.predict(df[["x1", "x2", "region"]].head(7))
                               ["email"])
    # the same model on the same holdout ties the champion, which is kept
    _, again = ex.train_uplift(df, treatment_col="arm", control="control", outcome="bought",
                               features=["x1", "x2", "region"], params={"n_estimators": 60},
                               model_name="uplift_test", seed=2)
    assert again.model_version == "2"
    assert not again.promoted
    # the registered model's own description (the MLflow UI's model list showed none)
    text = mlflow.MlflowClient().get_registered_model("uplift_test").description
    assert text.startswith("Uplift on 'bought': for each customer, how much each treatment")
    assert "against 'control'" in text
    assert "alias `champion`" in text
    assert "higher holdout Qini" in text
    assert "'brain models uplift_test'" in text


def test_train_uplift_auto_records_the_base_choice_and_serves_it() -> None:
    import mlflow

    X, arm, y = _linear_effect_data(6000, 1)
    df = X.assign(arm=arm, bought=y)
    feats = list(X.columns)
    model, res = ex.train_uplift(df, treatment_col="arm", control="control", outcome="bought",
                                 features=feats, params={"n_estimators": 60}, cv_folds=3,
                                 model_name="uplift_auto_test")
    assert res.base == "auto"
    assert res.cv_folds == 3
    (e,) = res.evaluations
    assert e.base == "linear" == model.bases_["email"]
    assert e.cv_qini == model.base_cv_["email"]
    assert e.cv_qini["linear"] > e.cv_qini["lightgbm"]
    assert res.to_dict()["evaluations"][0]["cv_qini"] == pytest.approx(e.cv_qini)
    run = mlflow.get_run(res.run_id)
    assert run.data.params["base"] == "auto"
    assert run.data.params["base_email"] == "linear"
    assert run.data.params["cv_folds"] == "3"
    assert run.data.metrics["cv_qini_linear_email"] == pytest.approx(e.cv_qini["linear"])
    assert e.cv_qini_diff_se == pytest.approx(model.base_cv_se_["email"])
    assert run.data.metrics["cv_qini_diff_se_email"] == pytest.approx(e.cv_qini_diff_se)
    served = mlflow.pyfunc.load_model("models:/uplift_auto_test@champion")
    np.testing.assert_allclose(served.predict(X.head(9))["email"],
                               model.predict(X.head(9))["email"])
    # a fixed base: no cross-validation, recorded as such
    _, fixed = ex.train_uplift(df, treatment_col="arm", control="control", outcome="bought",
                               features=feats, base="lightgbm", params={"n_estimators": 60},
                               log_to_mlflow=False)
    assert fixed.base == "lightgbm"
    assert fixed.evaluations[0].base == "lightgbm"
    assert fixed.evaluations[0].cv_qini == {}
    with pytest.raises(ex.ExperimentInputError, match="base must be 'lightgbm', 'linear' or"):
        ex.train_uplift(df, treatment_col="arm", control="control", outcome="bought",
                        features=feats, base="tree", log_to_mlflow=False)  # type: ignore[arg-type]


def test_a_base_that_ranks_nobody_is_not_chosen_over_one_that_ranks() -> None:
    from experiments._uplift import pick_base

    nan = float("nan")
    # a LightGBM of one leaf scores a Qini of exactly 0 (ties grouped), which had beaten a
    # linear base at -0.085: it gives everyone the same uplift, so it has no Qini there
    assert pick_base({"lightgbm": [nan] * 5, "linear": [-0.08] * 5}) == "linear"
    assert pick_base({"lightgbm": [nan, nan, nan, 0.2, 0.2], "linear": [0.01] * 5}) == "linear"
    df = _uplift_data(1200)
    # min_child_samples beyond any arm: every LightGBM outcome model is one leaf
    model = ex.TLearner("control", base="auto", cv_folds=3,
                        params={"n_estimators": 10, "min_child_samples": 5000}).fit(
        df[["x1", "x2", "region"]], df["arm"], df["bought"])
    assert model.bases_ == {"email": "linear", "sms": "linear"}
    assert model.base_cv_constant_["email"] == {"lightgbm": 3, "linear": 0}
    assert np.isnan(model.base_cv_["email"]["lightgbm"])


def test_a_ranking_not_clearly_above_random_is_registered_but_not_champion() -> None:
    rng = np.random.default_rng(5)
    n = 1600  # no effect anywhere: the holdout Qini is noise around 0
    df = pd.DataFrame({"x1": rng.random(n), "arm": rng.choice(["control", "email"], n),
                       "bought": (rng.random(n) < 0.2).astype(int)})
    _, res = ex.train_uplift(df, treatment_col="arm", control="control", outcome="bought",
                             features=["x1"], base="linear", model_name="uplift_noise")
    e = res.evaluations[0]
    assert e.qini_se > 0
    assert e.qini < 2 * e.qini_se
    assert res.model_version == "1"
    assert not res.promoted
    assert res.promotion_reason is not None
    assert "holdout Qini is clearly above 0" in res.promotion_reason
    assert "brain promote uplift_noise 1" in res.promotion_reason
