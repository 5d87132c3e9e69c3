"""Uplift metrics agree exactly with scikit-uplift 0.5.1 on the same predictions.

scikit-uplift is a test/benchmark-only dependency: ``pip install --no-deps scikit-uplift==0.5.1``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import experiments as ex

sklift_metrics = pytest.importorskip("sklift.metrics")


def _case(seed: int, ties: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 3000
    t = rng.integers(0, 2, n)
    score = rng.normal(size=n)
    if ties:
        score = np.round(score, 1)
    y = (rng.random(n) < 0.2 + 0.1 * t * (score > 0)).astype(int)
    return y, score, t


@pytest.mark.parametrize(("seed", "ties"), [(0, False), (1, True), (2, True)])
def test_uplift_metrics_agree_with_scikit_uplift(seed: int, ties: bool) -> None:
    y, u, t = _case(seed, ties)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # sklift uses a deprecated sklearn helper
        ref_qini = sklift_metrics.qini_auc_score(y, u, t)
        ref_qini_pos = sklift_metrics.qini_auc_score(y, u, t, negative_effect=False)
        ref_auuc = sklift_metrics.uplift_auc_score(y, u, t)
        ref_curve = sklift_metrics.qini_curve(y, u, t)
    assert ex.qini_coefficient(y, u, t) == pytest.approx(ref_qini, rel=1e-10)
    assert ex.qini_coefficient(y, u, t, negative_effect=False) == pytest.approx(ref_qini_pos,
                                                                              rel=1e-10)
    assert ex.auuc(y, u, t) == pytest.approx(ref_auuc, rel=1e-10)
    np.testing.assert_allclose(ex.qini_curve(y, u, t), ref_curve, rtol=1e-12)
    for strategy in ("overall", "by_group"):
        for k in (0.1, 0.3, 0.5):
            ref = sklift_metrics.uplift_at_k(y, u, t, strategy=strategy, k=k)
            assert ex.uplift_at_k(y, u, t, k=k, strategy=strategy) == pytest.approx(ref, rel=1e-12)
