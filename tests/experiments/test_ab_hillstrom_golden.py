"""Golden values on the real Hillstrom e-mail experiment: every figure of its README section.

Reference figures come from ../shared/data/README.md (measured with scipy 1.x); the Welch
p-values are also recomputed here with scipy on the raw rows and must agree to 1e-6 relative.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import experiments as ex

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CONTROL = "No E-Mail"
ARMS = ("Mens E-Mail", "Womens E-Mail")

# README: n, visit rate %, conversion rate %, spend per customer $, as printed there
README_ARMS = {
    "Mens E-Mail": (21_307, 18.28, 1.253, 1.4226),
    "Womens E-Mail": (21_387, 15.14, 0.884, 1.0772),
    "No E-Mail": (21_306, 10.62, 0.573, 0.6528),
}
# (scale, decimals) of each printed figure
PRINTED = {"visit": (100, 2), "conversion": (100, 3), "spend": (1, 4)}
# README: Welch t-test p-values against No e-mail (3 significant figures)
README_P = {
    ("Mens E-Mail", "visit"): 1.36e-112, ("Mens E-Mail", "conversion"): 1.50e-13,
    ("Mens E-Mail", "spend"): 1.16e-7, ("Womens E-Mail", "visit"): 2.43e-44,
    ("Womens E-Mail", "conversion"): 1.56e-4, ("Womens E-Mail", "spend"): 1.13e-3,
}


@pytest.fixture(scope="module")
def hillstrom() -> pd.DataFrame:
    path = DATA / "hillstrom.csv"
    if not path.exists():
        pytest.skip(f"real dataset hillstrom.csv not found at {path} (../shared/data beside the "
                    "repository holds it in CI)")
    return pd.read_csv(path)


@pytest.fixture(scope="module")
def result(hillstrom: pd.DataFrame) -> ex.ExperimentResult:
    return ex.analyze(hillstrom, "segment", CONTROL, "visit,conversion,spend")


def test_per_arm_sizes_and_rates_match_readme(result: ex.ExperimentResult) -> None:
    for m_idx, metric in enumerate(("visit", "conversion", "spend")):
        summary = next(m for m in result.metrics if m.name == metric)
        for arm in summary.arms:
            n, *values = README_ARMS[arm.variant]
            assert arm.n == n
            scale, decimals = PRINTED[metric]
            assert round(arm.mean * scale, decimals) == pytest.approx(values[m_idx], abs=1e-9)
    kinds = {m.name: m.kind for m in result.metrics}
    assert kinds == {"visit": "proportion", "conversion": "proportion", "spend": "mean"}


@pytest.mark.parametrize(("arm", "metric"), list(README_P))
def test_welch_p_values_match_scipy_and_readme(hillstrom: pd.DataFrame,
                                               result: ex.ExperimentResult, arm: str,
                                               metric: str) -> None:
    ours = result.comparison(metric, arm)
    ref = stats.ttest_ind(hillstrom.loc[hillstrom.segment == arm, metric],
                          hillstrom.loc[hillstrom.segment == CONTROL, metric], equal_var=False)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-6)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-9)
    assert ours.p_value == pytest.approx(README_P[(arm, metric)], rel=5e-3)
    assert ours.test == "welch"
    assert ours.significant


def test_sample_ratio_check_matches_readme(result: ex.ExperimentResult) -> None:
    assert result.srm.chi2 == pytest.approx(0.20, abs=0.005)
    assert result.srm.p_value == pytest.approx(0.90, abs=0.005)
    assert result.srm.df == 2
    assert not result.srm.mismatch
    assert result.warnings == ()
    observed = stats.chisquare([a.observed for a in result.srm.arms])
    assert result.srm.chi2 == pytest.approx(observed.statistic, rel=1e-12)
    assert result.srm.p_value == pytest.approx(observed.pvalue, rel=1e-12)


def test_assigned_population_reverses_the_buyers_only_ranking(hillstrom: pd.DataFrame) -> None:
    """README: among buyers Womens spends more; over all assigned customers Mens wins."""
    res = ex.analyze(hillstrom, "segment", CONTROL, ["spend", "spend/conversion"])
    per_buyer = {a.variant: a.mean for a in res.metrics[1].arms}
    per_customer = {a.variant: a.mean for a in res.metrics[0].arms}
    assert per_buyer["Womens E-Mail"] > per_buyer["Mens E-Mail"]
    assert per_customer["Mens E-Mail"] > per_customer["Womens E-Mail"]
    buyers = hillstrom[hillstrom.conversion == 1]
    direct = buyers.groupby("segment")["spend"].mean()
    for arm, value in per_buyer.items():
        assert value == pytest.approx(direct[arm], rel=1e-12)


def test_summary_table_route_gives_identical_results(hillstrom: pd.DataFrame,
                                                     result: ex.ExperimentResult) -> None:
    """The same sums computed 'in a warehouse' (here: a groupby) give the same answer."""
    rows = []
    for arm, g in hillstrom.groupby("segment"):
        for metric in ("visit", "conversion", "spend"):
            x = g[metric].to_numpy(dtype=float)
            rows.append({"variant": arm, "metric": metric, "n": len(x), "sum": x.sum(),
                         "sum_sq": (x * x).sum(), "y_sum": np.nan, "y_sum_sq": np.nan,
                         "xy_sum": np.nan})
    res = ex.analyze_summary(pd.DataFrame(rows), CONTROL, "visit,conversion,spend",
                             variant_col="segment")
    for a, b in zip(result.comparisons, res.comparisons, strict=True):
        assert (a.metric, a.variant) == (b.metric, b.variant)
        assert b.p_value == pytest.approx(a.p_value, rel=1e-9)
        assert b.ci_low == pytest.approx(a.ci_low, rel=1e-9)
