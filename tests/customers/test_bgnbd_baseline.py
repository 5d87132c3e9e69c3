"""The boosters can start from a GLM on the BG/NBD expected orders (``_customer_baseline``)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit

from training._customer_models import CustomerModel


def _bgnbd_log(n: int = 2500, seed: int = 3) -> pd.DataFrame:
    """Customers who buy at a gamma-spread rate and may lapse after each order (the process
    BG/NBD assumes), summarised at four cutoffs 30 days apart with 30-day labels."""
    rng = np.random.default_rng(seed)
    first = rng.uniform(0, 300, n)
    rate = rng.gamma(0.8, 1 / 25, n)
    drop = rng.beta(1.2, 6, n)
    spend = rng.lognormal(3, 0.5, n)
    orders: list[np.ndarray] = []
    for i in range(n):
        t, times = first[i], [first[i]]
        while True:
            if rng.random() < drop[i]:
                break
            t += rng.exponential(1 / rate[i])
            if t > 560:
                break
            times.append(t)
        orders.append(np.asarray(times))
    rows = []
    for c in (420.0, 450.0, 480.0, 510.0):
        for i in range(n):
            past, nxt = orders[i][orders[i] < c], orders[i][(orders[i] >= c) & (orders[i] < c + 30)]
            if not len(past):
                continue
            rows.append((f"u{i}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=c), len(past),
                         c - past[0], c - past[-1], rng.normal(), rng.normal(),
                         int(len(nxt) > 0), float(len(nxt) * spend[i])))
    return pd.DataFrame(rows, columns=["user_id", "cutoff", "orders_total",
                                       "days_since_first_purchase", "days_since_last_purchase",
                                       "noise_a", "noise_b", "label_purchase", "label_value"])


@pytest.fixture(scope="module")
def bgnbd_frame() -> pd.DataFrame:
    return _bgnbd_log()


def test_a_bgnbd_purchase_log_is_boosted_from_the_baseline_and_ranks_as_its_feature(
        bgnbd_frame: pd.DataFrame) -> None:
    """On a log BG/NBD describes, the plain booster ranks below its own expected-orders column
    (steps of trees for a smooth function); started from the GLM it does not."""
    plain = CustomerModel("propensity", horizon_days=30, baseline=False).fit(bgnbd_frame)
    auto = CustomerModel("propensity", horizon_days=30).fit(bgnbd_frame)
    assert auto.settings_["baseline"] == 1.0
    assert auto.baseline_ is not None
    assert "baseline" not in plain.settings_
    assert plain.baseline_ is None
    assert len(auto.settings_losses_) == 6  # three settings, each plain and from the baseline
    feature = auto.report_.best_single_feature
    assert feature is not None
    assert feature[0].startswith("bgnbd_expected_orders")
    assert plain.report_.validation.roc_auc < feature[1] - 0.002
    assert auto.report_.validation.roc_auc > feature[1] - 0.001
    assert auto.report_.validation.brier < plain.report_.validation.brier


@pytest.mark.parametrize("task", ["propensity", "value"])
def test_every_scoring_path_includes_the_baseline(bgnbd_frame: pd.DataFrame, task: str) -> None:
    """Scores, decision-path and TreeSHAP contributions and a pickled copy all carry the GLM
    margin: the contributions still sum to the raw score, and the paths agree."""
    m = CustomerModel(task, horizon_days=30, baseline=True).fit(bgnbd_frame)
    assert m.baseline_ is not None
    last = bgnbd_frame[bgnbd_frame["cutoff"] == bgnbd_frame["cutoff"].max()].head(300)
    score = m.score(last)
    path, contrib = m.path_score(last)
    np.testing.assert_allclose(path, score, rtol=1e-12)
    np.testing.assert_allclose(m.path_score_only(last), path, rtol=0, atol=0)
    raw = m.raw_score(last)
    margin = raw if task == "propensity" else np.log(raw)
    shap = m.contributions(last)
    saabas = m.path_contributions(last)
    np.testing.assert_allclose(shap.sum(axis=1), margin, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(saabas.sum(axis=1), margin, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(contrib, saabas[m.features_].to_numpy(), rtol=1e-9, atol=1e-9)
    # the trees alone would give another score: the margin is not lost anywhere
    trees = m.booster_.predict(m._array(last), raw_score=True)
    assert np.abs(trees - margin).max() > 0.1
    copy = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(copy.score(last), score)
    if task == "propensity":  # expected orders push towards buying for the likeliest buyers
        top = np.argsort(-score)[:30]
        assert (saabas["bgnbd_expected_orders_365d"].to_numpy()[top] > 0).mean() > 0.8
        assert np.all((score > 0) & (score < 1))
        assert np.isfinite(logit(score)).all()


def test_a_model_pickled_before_the_baseline_scores_as_it_did(bgnbd_frame: pd.DataFrame) -> None:
    m = CustomerModel("propensity", horizon_days=30, baseline=False).fit(bgnbd_frame)
    before = m.score(bgnbd_frame.head(200))
    m.__dict__.pop("baseline_", None)  # as a model saved before the attribute existed
    np.testing.assert_array_equal(m.score(bgnbd_frame.head(200)), before)


def test_each_learned_attribute_keeps_its_own_docstring() -> None:
    """The attribute docstring follows the attribute it documents (``baseline_`` had been
    inserted between ``derived_version_`` and its docstring, which then followed
    ``baseline_``'s own as a second, orphaned string)."""
    import ast
    import inspect
    import itertools

    body = ast.parse(inspect.getsource(CustomerModel).lstrip()).body[0].body  # type: ignore[attr-defined]
    docs = {}
    for stmt, nxt in itertools.pairwise(body):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            is_doc = isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
            docs[stmt.target.id] = nxt.value.value if is_doc else None  # type: ignore[attr-defined]
        if isinstance(stmt, ast.Expr) and isinstance(nxt, ast.Expr):
            raise AssertionError(f"two strings in a row at line {nxt.lineno}")
    assert "derived features" in (docs["derived_version_"] or "")
    assert "GLM margin" in (docs["baseline_"] or "")


def test_the_trees_line_says_whether_the_booster_starts_from_the_baseline() -> None:
    """``brain train``'s ``trees:`` line had read "chosen on the calibration rows among 6
    (loss a / b / c / d / e / f)" for three settings, without saying that each was fitted
    plain and from the BG/NBD baseline, or which one was kept."""
    from serving._cli_customers import _settings_choice

    losses = [0.2535, 0.2551, 0.2513, 0.2516, 0.2517, 0.2514]
    plain = _settings_choice({"num_leaves": 7, "baseline": 0.0}, losses, None)
    assert plain.startswith("plain (the BG/NBD baseline did not lower the loss)")
    assert "among 3 settings, each plain and from the baseline" in plain
    assert "0.2513 plain, 0.2516 from the baseline" in plain
    boosted = _settings_choice({"num_leaves": 7, "baseline": 1.0}, losses[1::2], True)
    assert boosted.startswith("boosted from the BG/NBD baseline")
    # a model without BG/NBD columns reads as before
    assert _settings_choice({"num_leaves": 7}, losses[:3], None) == (
        "chosen on the calibration rows among 3 (loss 0.2535 / 0.2551 / 0.2513)")


def _returners_frame(n: int = 2500, seed: int = 4) -> pd.DataFrame:
    """``_bgnbd_log`` with returns: a fifth of the customers send back 40-70% of what they buy,
    the others 0-10%; the value label is what they keep, and ``refund_share_total`` the share
    their history shows (the true one plus noise that shrinks with their orders)."""
    frame = _bgnbd_log(n, seed)
    rng = np.random.default_rng(seed)
    ids = frame["user_id"].str[1:].astype(int).to_numpy()
    heavy = rng.random(n) < 0.2
    share = np.where(heavy, rng.uniform(0.4, 0.7, n), rng.uniform(0.0, 0.1, n))
    seen = share[ids] + rng.normal(0, 0.15, len(frame)) / np.sqrt(frame["orders_total"])
    return frame.assign(label_value=frame["label_value"] * (1 - share[ids]),
                        refund_share_total=np.clip(seen, 0, 1), heavy=heavy[ids])


def test_the_value_baseline_reads_the_share_of_spend_kept() -> None:
    """Net revenue is purchases times the share kept: the value GLM reads log(1 - refund
    share), so heavy returners are not left to the trees' small steps (on a generated fashion
    log the boosters without it kept them +12% to +31% high)."""
    from training._customer_baseline import fit_baseline

    frame = _returners_frame()
    heavy = frame.pop("heavy").to_numpy()
    m = CustomerModel("value", horizon_days=30, baseline=True).fit(frame)
    assert m.baseline_ is not None
    assert m.baseline_.shares == ("refund_share_total",)
    # the GLM alone, with and without the term, on the same rows
    cols = ["bgnbd_expected_orders", "bgnbd_expected_orders_365d"]
    x = m._matrix(frame)
    y = frame["label_value"].to_numpy()
    both = fit_baseline(x[[*cols, "refund_share_total"]].to_numpy(dtype=float), y, "regressor",
                        shares=("refund_share_total",))
    alone = fit_baseline(x[cols].to_numpy(dtype=float), y, "regressor")
    assert both is not None
    assert alone is not None
    assert both.coef[-1] == pytest.approx(1.0, abs=0.35)  # a product: coefficient near 1

    def bias(pred: np.ndarray) -> float:
        return float(pred[heavy].sum() / y[heavy].sum() - 1)

    with_term = np.exp(both.margin(x[[*cols, "refund_share_total"]].to_numpy(dtype=float)))
    without = np.exp(alone.margin(x[cols].to_numpy(dtype=float)))
    assert bias(without) > 0.4
    assert abs(bias(with_term)) < 0.15
    # the model over its four cutoffs: heavy returners within 20% of what they kept (+23%
    # with the column left to the trees, +44% without the column; the others -4% / -5%)
    assert abs(bias(m.predict(frame))) < 0.2
    # contributions still sum to the margin, the share's term credited to its column
    last = frame["cutoff"] == frame["cutoff"].max()
    saabas = m.path_contributions(frame[last].head(300))
    np.testing.assert_allclose(saabas.sum(axis=1), np.log(m.raw_score(frame[last].head(300))),
                               rtol=1e-9, atol=1e-9)


def test_a_value_baseline_pickled_before_the_share_term_scores_as_it_did(
        bgnbd_frame: pd.DataFrame) -> None:
    m = CustomerModel("value", horizon_days=30, baseline=True).fit(bgnbd_frame)
    assert m.baseline_ is not None
    assert m.baseline_.shares == ()  # no refund column: no term
    before = m.score(bgnbd_frame.head(200))
    m.baseline_.__dict__.pop("shares", None)  # as a Baseline saved before the field existed
    np.testing.assert_array_equal(m.score(bgnbd_frame.head(200)), before)
