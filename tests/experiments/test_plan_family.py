"""The plan's level matches the analysis's correction family (independent check, 2026-12-05).

``brain ab analyze`` corrects over variants x primary metrics (Holm by default), but the plan
split alpha over variants only: 2 variants x 2 primary metrics planned at alpha/2 for 80% power
got about 72% with Holm over the 4 comparisons.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from scipy import optimize
from statsmodels.stats.proportion import power_proportions_2indep
from typer.testing import CliRunner

import experiments as ex
from serving._cli_ab import ab_app

app = typer.Typer()
app.add_typer(ab_app, name="ab")


def _n_at(alpha: float) -> float:
    def gap(n: float) -> float:
        return float(power_proportions_2indep(0.006, 0.12, n, alpha=alpha,
                                              return_results=False)) - 0.8
    return float(optimize.brentq(gap, 100, 1e8))


def test_alpha_is_split_over_variants_and_metrics() -> None:
    plan = ex.sample_size(baseline=0.12, mde=0.05, variants=2, metrics=2)
    assert plan.alpha_per_comparison == pytest.approx(0.0125)
    assert plan.n_per_variant_exact == pytest.approx(_n_at(0.0125), rel=1e-6)
    assert plan.metrics == 2
    # the power of the variants-only plan with the analysis's family of 4 is well under 80%
    short = ex.sample_size(baseline=0.12, mde=0.05, variants=2)
    got = ex.power(n_control=short.n_control, baseline=0.12, mde=0.05, variants=2, metrics=2)
    assert 0.70 < got.power < 0.75
    with pytest.raises(ex.ExperimentInputError, match="metrics"):
        ex.sample_size(baseline=0.12, mde=0.05, metrics=0)


def test_cli_plan_takes_metrics(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    res = CliRunner().invoke(app, ["ab", "plan", "--baseline", "0.12", "--mde", "0.05",
                                   "--variants", "2", "--metrics", "2", "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "2 primary metrics" in res.output
    plan = json.loads(out.read_text())
    assert plan["metrics"] == 2
    assert plan["n_per_variant_exact"] == pytest.approx(_n_at(0.0125), rel=1e-6)


def test_api_plans_an_unequal_split_and_a_one_sided_test() -> None:
    """POST /experiments/plan had no 'ratio' or 'alternative': a 90/10 test could not be
    planned through the API (the strict request refused the field)."""
    from serving._core import Brain
    from serving._registry import Champions
    from serving._schemas_ab import PlanRequest

    brain = Brain(Champions(names=("churn",), loader=lambda uri: None), snapshot=None)
    got = brain.plan(PlanRequest(baseline=0.05, mde=0.04, ratio=1 / 9, metrics=1))
    cli = ex.sample_size(baseline=0.05, mde=0.04, ratio=1 / 9)
    assert (got["n_control"], got["n_per_variant"]) == (cli.n_control, cli.n_per_variant)
    assert got["n_control"] > 8 * got["n_per_variant"]
    one = brain.plan(PlanRequest(baseline=0.1, mde=0.05, alternative="one-sided"))
    assert one["n_per_variant"] == ex.sample_size(baseline=0.1, mde=0.05,
                                                  alternative="one-sided").n_per_variant
