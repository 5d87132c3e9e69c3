"""Invariants and behaviour of the analysis engine, Bayesian model, guardrails, segments, report."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

import experiments as ex


def _frame(n: int = 3000, seed: int = 0, split: tuple[float, ...] = (0.5, 0.5),
           lift: float = 0.1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arms = np.array(["control", "treatment", "other"][: len(split)])
    variant = rng.choice(arms, n, p=split)
    treated = variant != "control"
    pre = rng.gamma(2.0, 2.0, n)
    visits = rng.poisson(1 + 0.5 * pre)
    converted = (rng.random(n) < 0.1 * (1 + lift * treated)).astype(int)
    revenue = converted * rng.gamma(2.0, 20.0, n) + 0.5 * pre
    return pd.DataFrame({"variant": variant, "pre_revenue": pre, "visits": visits,
                         "converted": converted, "revenue": revenue,
                         "country": rng.choice(["DE", "FR", "US"], n)})


def test_intervals_contain_the_point_estimate() -> None:
    res = ex.analyze(_frame(), "variant", "control", ["converted", "revenue", "revenue/visits",
                                                      ex.Metric("rev_cuped", "revenue",
                                                                covariate="pre_revenue")],
                     options=ex.AnalysisOptions(sequential=True, bayesian=True))
    for c in res.comparisons:
        assert c.ci_low <= c.absolute_effect <= c.ci_high
        assert c.relative_ci_low <= c.relative_effect <= c.relative_ci_high
        assert c.sequential is not None
        assert c.bayes is not None
        assert c.sequential.ci_low <= c.absolute_effect <= c.sequential.ci_high
        # always-valid intervals are wider than fixed-horizon ones
        assert c.sequential.ci_high - c.sequential.ci_low > c.ci_high - c.ci_low
        assert c.bayes.ci_low <= c.bayes.ci_high


def test_results_are_immutable_and_round_trip_through_json() -> None:
    res = ex.analyze(_frame(), "variant", "control", "converted,revenue",
                     options=ex.AnalysisOptions(bayesian=True, sequential=True))
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.alpha = 0.1  # type: ignore[misc]
    data = json.loads(res.to_json())
    assert data["srm"]["p_value"] == pytest.approx(res.srm.p_value)
    assert data["comparisons"][0]["bayes"]["method"] == "beta-binomial"
    assert len(data["comparisons"]) == 2


def test_missing_metric_values_raise_instead_of_being_dropped() -> None:
    df = _frame()
    df.loc[[5, 17], "revenue"] = np.nan  # data rows 6 and 18, counted from 1
    with pytest.raises(ex.ExperimentInputError, match=r"'revenue' has 2 values .*first rows "
                                                      r"\[6, 18\]"):
        ex.analyze(df, "variant", "control", "revenue")


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"control": "ctrl"}, "control arm 'ctrl' is not among the variants"),
    ({"variant_col": "arm"}, "variant column 'arm' is missing"),
    ({"metrics": "nope"}, r"columns \['nope'\] are missing"),
])
def test_bad_inputs_name_the_problem_and_the_fix(kwargs: dict, pattern: str) -> None:
    args = {"variant_col": "variant", "control": "control", "metrics": "revenue", **kwargs}
    with pytest.raises(ex.ExperimentInputError, match=pattern):
        ex.analyze(_frame(), **args)


def test_sample_ratio_mismatch_is_flagged_first_everywhere(tmp_path: Path) -> None:
    res = ex.analyze(_frame(n=4000, split=(0.45, 0.55)), "variant", "control", "converted")
    assert res.srm.mismatch
    assert res.srm.p_value < 0.001
    assert res.warnings[0].startswith("SAMPLE RATIO MISMATCH")
    md = ex.write_report(res, tmp_path / "r.md").read_text()
    assert md.index("SAMPLE RATIO MISMATCH") < md.index("## Sample ratio check")
    html = ex.write_report(res, tmp_path / "r.html").read_text()
    assert "srm-bad" in html
    # a designed 45/55 split is not a mismatch
    ok = ex.analyze(_frame(n=4000, split=(0.45, 0.55)), "variant", "control", "converted",
                    options=ex.AnalysisOptions(expected_shares={"control": 0.45,
                                                                "treatment": 0.55}))
    assert not ok.srm.mismatch


def test_sample_ratio_ok_message_never_prints_p_as_zero() -> None:
    # 5104/5107/5025/4764 units against an equal split: chi-square 15.72, df 3, p = 0.0013,
    # just above the 0.001 flag; the message had read "Sample ratio OK ... p = 0.00"
    srm = ex.srm_check({"control": 5104, "A": 5107, "B": 5025, "C": 4764})
    assert not srm.mismatch
    assert srm.p_value == pytest.approx(0.001296, rel=1e-3)
    assert "p = 0.0013" in srm.message
    assert "p = 0.00)" not in srm.message
    assert "flagged at p < 0.001" in srm.message


def test_cuped_reduces_variance_and_reports_it() -> None:
    df = _frame(n=6000)
    plain = ex.analyze(df, "variant", "control", "revenue").comparisons[0]
    adj = ex.analyze(df, "variant", "control",
                     [ex.Metric("revenue", "revenue", covariate="pre_revenue")]).comparisons[0]
    assert adj.std_error < plain.std_error
    assert adj.variance_reduction == pytest.approx(1 - (adj.std_error / plain.std_error) ** 2)
    assert adj.control_mean == plain.control_mean  # relative lift is over the raw control mean
    assert adj.theta is not None


def test_multi_arm_holm_adjusts_across_arms_and_metrics() -> None:
    df = _frame(n=6000, split=(0.34, 0.33, 0.33))
    res = ex.analyze(df, "variant", "control", "converted,revenue,visits")
    assert len(res.comparisons) == 6
    raw = [c.p_value for c in res.comparisons]
    np.testing.assert_allclose([c.p_value_adjusted for c in res.comparisons],
                               ex.adjust_p_values(raw, "holm"))
    assert all(c.p_value_adjusted >= c.p_value for c in res.comparisons)
    bh = ex.analyze(df, "variant", "control", "converted,revenue,visits",
                    options=ex.AnalysisOptions(correction="bh"))
    assert all(b.p_value_adjusted <= h.p_value_adjusted + 1e-15
               for b, h in zip(bh.comparisons, res.comparisons, strict=True))


def test_guardrail_statuses_follow_the_one_sided_bound() -> None:
    rng = np.random.default_rng(5)
    n = 20000
    variant = np.repeat(["control", "treatment"], n)
    base = rng.normal(100, 10, 2 * n)
    df = pd.DataFrame({"variant": variant, "same": base,
                       "worse": base - 5 * (variant == "treatment"),
                       "latency": base + 5 * (variant == "treatment")})
    ms = [ex.Metric("same", "same", guardrail_margin=0.01),
          ex.Metric("worse", "worse", guardrail_margin=0.01),
          ex.Metric("latency", "latency", higher_is_better=False, guardrail_margin=0.01),
          ex.Metric("fuzzy", "worse", guardrail_margin=0.05, guardrail_relative=False)]
    res = ex.analyze(df, "variant", "control", ms)
    status = {g.metric: g.status for g in res.guardrails}
    assert status == {"same": "pass", "worse": "fail", "latency": "fail", "fuzzy": "fail"}
    ok = ex.analyze(df, "variant", "control",
                    [ex.Metric("worse", "worse", guardrail_margin=0.08)]).guardrails[0]
    assert ok.status == "pass"
    loose = ex.analyze(df.sample(300, random_state=1), "variant", "control",
                       [ex.Metric("worse", "worse", guardrail_margin=0.05)]).guardrails[0]
    assert loose.status == "inconclusive"
    assert any("worse" in w for w in res.warnings)


def test_guardrail_message_says_why_it_failed_or_is_inconclusive() -> None:
    # a FAIL and an INCONCLUSIVE check both have a worst plausible change beyond the margin: the
    # message (the report's "detail" column) had quoted only that, so the two read alike
    rng = np.random.default_rng(5)
    n = 20000
    variant = np.repeat(["control", "treatment"], n)
    base = rng.normal(100, 10, 2 * n)
    df = pd.DataFrame({"variant": variant, "worse": base - 5 * (variant == "treatment")})
    fail = ex.analyze(df, "variant", "control",
                      [ex.Metric("worse", "worse", guardrail_margin=0.01)]).guardrails[0]
    assert fail.status == "fail"
    best = float(fail.message.split("best plausible change, ")[1].split("%")[0])
    assert best < -1.0  # the smaller deterioration still exceeds the 1% margin
    assert fail.message.endswith("is a larger deterioration than allowed")
    loose = ex.analyze(df.sample(300, random_state=1), "variant", "control",
                       [ex.Metric("worse", "worse", guardrail_margin=0.05)]).guardrails[0]
    assert loose.status == "inconclusive"
    best = float(loose.message.split("best plausible change, ")[1].split("%")[0])
    assert best > -5.0  # within the margin: not decided either way
    assert "within the allowed deterioration" in loose.message
    ok = ex.analyze(df, "variant", "control",
                    [ex.Metric("worse", "worse", guardrail_margin=0.08)]).guardrails[0]
    assert ok.status == "pass"
    assert ok.message.endswith("-> pass")


def test_segments_are_corrected_across_segments_and_keep_every_unit() -> None:
    df = _frame(n=6000)
    res = ex.analyze(df, "variant", "control", "converted,revenue", segment_col="country")
    assert [s.segment for s in res.segments] == ["DE", "FR", "US"]
    assert sum(s.n_units for s in res.segments) == len(df)
    flat = [c for s in res.segments for c in s.comparisons]
    np.testing.assert_allclose([c.p_value_adjusted for c in flat],
                               ex.adjust_p_values([c.p_value for c in flat], "holm"))


def _evan_miller(a1: int, b1: int, a2: int, b2: int) -> float:
    """Exact P(p_B > p_A) for integer beta parameters (Evan Miller's closed form)."""
    total = 0.0
    for i in range(a2):
        total += math.exp(special.betaln(a1 + i, b1 + b2) - math.log(b2 + i)
                          - special.betaln(1 + i, b2) - special.betaln(a1, b1))
    return total


@pytest.mark.parametrize(("sa", "na", "sb", "nb"), [(12, 100, 20, 100), (150, 1000, 140, 1000),
                                                    (3, 40, 9, 35)])
def test_beta_binomial_matches_exact_probability_and_loss(sa: int, na: int, sb: int,
                                                          nb: int) -> None:
    res = ex.beta_binomial(sa, na, sb, nb)
    a1, b1, a2, b2 = 1 + sa, 1 + na - sa, 1 + sb, 1 + nb - sb
    assert res.prob_beat_control == pytest.approx(_evan_miller(a1, b1, a2, b2), abs=1e-6)
    # expected loss of shipping B, E[max(A - B, 0)], by 2-d numerical integration
    lo = min(stats.beta.ppf(1e-12, a1, b1), stats.beta.ppf(1e-12, a2, b2))
    hi = max(stats.beta.isf(1e-12, a1, b1), stats.beta.isf(1e-12, a2, b2))
    loss, _ = integrate.dblquad(lambda y, x: (x - y) * stats.beta.pdf(x, a1, b1)
                                * stats.beta.pdf(y, a2, b2), lo, hi, lo, lambda x: x,
                                epsabs=1e-10)
    assert res.expected_loss == pytest.approx(loss, rel=1e-3, abs=1e-7)
    assert res.ci_low < sb / nb - sa / na < res.ci_high


def test_normal_posterior_with_flat_prior_equals_the_frequentist_z_interval() -> None:
    res = ex.normal_posterior(0.4, 0.2, 10.0, 0.02)
    assert res.prob_beat_control == pytest.approx(stats.norm.cdf(2.0))
    assert res.ci_low == pytest.approx(0.4 - 1.959963984540054 * 0.2)
    # E[max(-D, 0)] for D ~ N(0.4, 0.2^2) by quadrature
    loss, _ = integrate.quad(lambda d: max(-d, 0) * stats.norm.pdf(d, 0.4, 0.2), -3, 3,
                             points=[0.0])
    assert res.expected_loss == pytest.approx(loss, rel=1e-6)
    shrunk = ex.normal_posterior(0.4, 0.2, 10.0, 0.02, prior_mean=0.0, prior_sd=0.2)
    assert shrunk.ci_high - shrunk.ci_low < res.ci_high - res.ci_low
    assert shrunk.prob_beat_control < res.prob_beat_control


def test_report_has_one_interval_plot_per_metric(tmp_path: Path) -> None:
    res = ex.analyze(_frame(), "variant", "control", "converted,revenue,revenue/visits",
                     segment_col="country")
    path = ex.write_report(res, tmp_path / "report.md")
    text = path.read_text()
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["report_converted.png", "report_revenue.png", "report_revenue_visits.png"]
    for name in pngs:
        assert f"]({name})" in text
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    html = ex.write_report(res, tmp_path / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3
    with pytest.raises(ex.ExperimentInputError, match="suffix"):
        ex.write_report(res, tmp_path / "report.txt")


def test_always_valid_p_values_are_corrected_like_the_fixed_horizon_ones() -> None:
    # A/A with 5 variants x 4 metrics: one raw always-valid p is 0.029, which the table showed
    # as a "safe to peek" winner; 20 such comparisons peeked at daily declared a winner in
    # 12.5% of 200 A/A experiments. Corrected over the same family (Holm), none is.
    rng = np.random.default_rng(25)
    n = 6000
    arm = np.array(["control", "v1", "v2", "v3", "v4", "v5"])[rng.integers(0, 6, n)]
    frame = pd.DataFrame({"variant": arm, **{f"m{j}": rng.normal(0, 1, n) for j in range(4)}})
    res = ex.analyze(frame, "variant", "control", "m0,m1,m2,m3",
                     options=ex.AnalysisOptions(sequential=True, tuning_n=n))
    seq = [c.sequential for c in res.comparisons]
    assert all(s is not None for s in seq)
    raw = np.array([s.p_value for s in seq if s])
    assert raw.min() < 0.05
    np.testing.assert_allclose([s.p_value_adjusted for s in seq if s],
                               ex.adjust_p_values(raw, "holm"))
    assert not any(s.significant for s in seq if s)
    # the confidence sequences themselves are per comparison, like the fixed-horizon intervals
    assert any(s.ci_low > 0 or s.ci_high < 0 for s in seq if s)
    none = ex.analyze(frame, "variant", "control", "m0,m1,m2,m3", options=ex.AnalysisOptions(
        sequential=True, tuning_n=n, correction="none"))
    assert any(c.sequential.significant for c in none.comparisons if c.sequential)
    # a guardrail stays outside the family: unadjusted
    one = ex.analyze(frame[frame.variant.isin(["control", "v1"])], "variant", "control",
                     [ex.Metric("m0", "m0"), ex.Metric("m1", "m1", guardrail_margin=0.1)],
                     options=ex.AnalysisOptions(sequential=True, tuning_n=n))
    g = next(c for c in one.comparisons if c.metric == "m1")
    assert g.sequential is not None
    assert g.sequential.p_value_adjusted == g.sequential.p_value
