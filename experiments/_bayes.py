"""Bayesian comparison of a variant with control.

Two models:

* **beta-binomial** for 0/1 metrics: each arm's rate has prior ``Beta(a, b)`` (default
  ``Beta(1, 1)``, uniform on [0, 1]) and posterior ``Beta(a + conversions, b + failures)``.
  The probability to beat control ``P(p_B > p_A) = E_B[F_A(p_B)]`` and the expected losses
  ``E[max(p_A - p_B, 0)]`` are computed by deterministic quadrature in quantile space (using
  ``E[(A - x)^+] = m_A (1 - I_x(a_A + 1, b_A)) - x (1 - I_x(a_A, b_A))``); credible intervals
  of the absolute and relative differences come from seeded Monte Carlo draws.
* **normal** for means and ratios: the effect's likelihood is ``N(d, se^2)`` (central limit
  theorem); the prior on the absolute effect is flat by default (posterior = ``N(d, se^2)``)
  or ``N(prior_mean, prior_sd^2)`` when given, combined by precision weighting. Losses have the
  closed form ``E[max(-D, 0)] = s phi(m/s) - m Phi(-m/s)``.

Expected loss is Stucchio's decision criterion: the metric units you expect to give up if you
ship the variant and it is in fact worse.

References:
    Stucchio, C. (2015). Bayesian A/B testing at VWO. VWO technical whitepaper.
    Kamalbasha, S., Eugster, M. J. A. (2021). Bayesian A/B testing for business decisions.
    Gelman, A. et al. (2013). Bayesian Data Analysis, 3rd ed., ch. 2-3 (conjugate models).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from experiments._errors import ExperimentInputError
from experiments._results import BayesResult

__all__ = ["beta_binomial", "normal_posterior"]

_GRID = 20_000
_DRAWS = 200_000


def _check_prior(a: float, b: float) -> None:
    if not (a > 0 and b > 0):
        raise ExperimentInputError(
            f"beta prior: both parameters must be > 0; received Beta({a}, {b}). Fix: use "
            "Beta(1, 1) (uniform) or a weakly informative prior centred on the baseline."
        )


def beta_binomial(
    successes_a: float, n_a: float, successes_b: float, n_b: float, *,
    prior_a: float = 1.0, prior_b: float = 1.0, alpha: float = 0.05,
    higher_is_better: bool = True, seed: int = 0,
) -> BayesResult:
    """Beta-binomial comparison of arm ``b`` (variant) with arm ``a`` (control)."""
    _check_prior(prior_a, prior_b)
    if not (0 <= successes_a <= n_a and 0 <= successes_b <= n_b):
        raise ExperimentInputError(
            f"beta-binomial: successes must lie in [0, n]; received {successes_a}/{n_a} and "
            f"{successes_b}/{n_b}. Fix: use the beta-binomial model for 0/1 metrics only."
        )
    aa, ba = prior_a + successes_a, prior_b + n_a - successes_a
    ab, bb = prior_a + successes_b, prior_b + n_b - successes_b
    u = (np.arange(_GRID) + 0.5) / _GRID
    xb = stats.beta.ppf(u, ab, bb)
    xa = stats.beta.ppf(u, aa, ba)
    p_b_gt_a = float(np.mean(stats.beta.cdf(xb, aa, ba)))
    loss_b = float(np.mean(_loss(xb, aa, ba)))  # E[max(A - B, 0)]
    loss_a = float(np.mean(_loss(xa, ab, bb)))  # E[max(B - A, 0)]
    rng = np.random.default_rng(seed)
    da = rng.beta(aa, ba, _DRAWS)
    db = rng.beta(ab, bb, _DRAWS)
    diff = db - da
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = diff / da
    lo, hi = np.quantile(diff, [alpha / 2, 1 - alpha / 2])
    rlo, rhi = np.quantile(rel, [alpha / 2, 1 - alpha / 2])
    prior = f"Beta({prior_a:g}, {prior_b:g}) on each arm's rate"
    if higher_is_better:
        prob, ship, keep = p_b_gt_a, loss_b, loss_a
    else:
        prob, ship, keep = 1 - p_b_gt_a, loss_a, loss_b
    return BayesResult("beta-binomial", prior, prob, ship, keep, float(lo), float(hi),
                       float(rlo), float(rhi))


def _loss(x: np.ndarray, a: float, b: float) -> np.ndarray:
    """``E[(A - x)^+]`` for ``A ~ Beta(a, b)`` evaluated at each ``x``."""
    mean = a / (a + b)
    return mean * (1 - special.betainc(a + 1, b, x)) - x * (1 - special.betainc(a, b, x))


def normal_posterior(
    estimate: float, se: float, control_mean: float, relative_se: float, *,
    prior_mean: float | None = None, prior_sd: float | None = None, alpha: float = 0.05,
    higher_is_better: bool = True,
) -> BayesResult:
    """Normal-approximation posterior of the absolute effect ``estimate`` (std. error ``se``)."""
    if (prior_mean is None) != (prior_sd is None):
        raise ExperimentInputError(
            "normal prior: give both prior_mean and prior_sd, or neither (flat prior); "
            f"received prior_mean={prior_mean}, prior_sd={prior_sd}."
        )
    if prior_sd is not None and prior_mean is not None:
        if prior_sd <= 0:
            raise ExperimentInputError(f"normal prior: prior_sd must be > 0; received {prior_sd}.")
        prec = 1 / se**2 + 1 / prior_sd**2
        m = (estimate / se**2 + prior_mean / prior_sd**2) / prec
        s = float(np.sqrt(1 / prec))
        prior = f"Normal({prior_mean:g}, {prior_sd:g}^2) on the absolute effect"
    else:
        m, s = estimate, se
        prior = "flat (improper uniform) prior on the absolute effect"
    sign = 1.0 if higher_is_better else -1.0
    z = sign * m / s if s > 0 else np.inf * np.sign(sign * m)
    prob = float(stats.norm.cdf(z))
    ship = float(s * stats.norm.pdf(z) - s * z * stats.norm.cdf(-z))  # E[max(-D', 0)]
    keep = float(s * stats.norm.pdf(z) + s * z * stats.norm.cdf(z))  # E[max(D', 0)]
    q = float(stats.norm.ppf(1 - alpha / 2))
    rel_m = m / control_mean if control_mean else float("nan")
    rel_s = relative_se * (s / se) if se > 0 else float("nan")
    return BayesResult("normal", prior, prob, ship, keep, m - q * s, m + q * s,
                       rel_m - q * rel_s, rel_m + q * rel_s)
