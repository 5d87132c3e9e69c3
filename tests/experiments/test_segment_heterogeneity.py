"""Does the effect differ across segments? (independent check, 2026-12-05)

The segment table showed each segment's effect and Holm-adjusted p, and nothing tested whether
the effects differ: a novelty effect fading over four weekly cohorts (+18.8%, +9.0%, +5.3%,
-2.9%) could only be read as "two weeks significant, two not", which is no evidence of a
difference. Cochran's Q on the segments' effects is that test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.meta_analysis import combine_effects

import experiments as ex


def _cohorts(effects: list[float], n: int = 6000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for i, eff in enumerate(effects):
        arm = rng.choice(["control", "treatment"], n)
        rate = rng.gamma(2.0, 0.6, n)
        y = rng.poisson(rate * np.where(arm == "treatment", 1 + eff, 1))
        parts.append(pd.DataFrame({"variant": arm, "week": f"W{i + 1}", "clicks": y}))
    return pd.concat(parts, ignore_index=True)


def test_fading_effect_is_flagged_and_q_matches_statsmodels() -> None:
    res = ex.analyze(_cohorts([0.25, 0.12, 0.05, 0.0]), "variant", "control", "clicks",
                     segment_col="week")
    (h,) = res.heterogeneity
    assert (h.metric, h.variant, h.segment_col, h.segments, h.df) == ("clicks", "treatment",
                                                                      "week", 4, 3)
    segs = [s.comparisons[0] for s in res.segments]
    ref = combine_effects(np.array([c.absolute_effect for c in segs]),
                          np.array([c.std_error for c in segs]) ** 2)
    assert h.statistic == pytest.approx(ref.q, rel=1e-9)
    assert h.pooled_effect == pytest.approx(ref.mean_effect_fe, rel=1e-9)
    assert h.p_value < 0.001
    assert any("differs across 'week' segments" in w for w in res.warnings)
    assert res.to_dict()["heterogeneity"][0]["p_value"] == pytest.approx(h.p_value)


def test_same_effect_everywhere_is_rarely_flagged() -> None:
    flagged = 0
    for seed in range(40):
        res = ex.analyze(_cohorts([0.05] * 4, n=2000, seed=seed), "variant", "control",
                         "clicks", segment_col="week")
        flagged += res.heterogeneity[0].p_value < 0.05
    assert flagged <= 6  # ~5% expected (2 of 40); 7+ has probability < 1%
    res = ex.analyze(_cohorts([0.05] * 2), "variant", "control", "clicks")
    assert res.heterogeneity == ()
