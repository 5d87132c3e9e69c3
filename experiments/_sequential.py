"""Always-valid inference: a normal-mixture confidence sequence for the difference of means.

Teams that look at an experiment every day inflate the false-positive rate of a fixed-horizon
test (each look is another chance to cross the line). A confidence sequence is an interval that
covers the true effect *at every look simultaneously* with probability ``1 - alpha``, so one may
peek, stop or continue at will. Its dual, the always-valid p-value, is ``1 / E`` where ``E`` is the
mixture likelihood ratio; it is the mSPRT of Johari et al. with a normal mixing distribution.

For ``N`` total units, effect estimate ``d`` with variance ``V`` (so per-unit variance
``s2 = V * N``) and mixing precision ``rho^2`` the boundary is (Waudby-Smith et al. 2023, eq. 9;
Howard et al. 2021, normal mixture)::

    width = sqrt(s2) * sqrt(2 (N rho^2 + 1) / (N^2 rho^2) * log(sqrt(N rho^2 + 1) / alpha))

``rho`` is tuned so the sequence is tightest at ``tuning_n`` total units:
``rho^2 = (-2 log alpha + log(-2 log alpha + 1)) / tuning_n``. These are the same formulas as
GrowthBook's sequential engine, so the results agree with ``gbstats`` to rounding.

References:
    Howard, S. R., Ramdas, A., McAuliffe, J., Sekhon, J. (2021). Time-uniform, nonparametric,
    nonasymptotic confidence sequences. Annals of Statistics 49(2), 1055-1080.
    Waudby-Smith, I., Arbour, D., Sinha, R., Kennedy, E. H., Ramdas, A. (2023). Time-uniform
    central limit theory and asymptotic confidence sequences. arXiv:2103.06476.
    Johari, R., Koomen, P., Pekelis, L., Walsh, D. (2022). Always valid inference: continuous
    monitoring of A/B tests. Operations Research 70(3), 1806-1821.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from experiments._errors import ExperimentInputError

__all__ = ["DEFAULT_TUNING_N", "confidence_sequence", "mixture_rho2"]

DEFAULT_TUNING_N = 5000.0
METHOD = "normal-mixture confidence sequence (Howard et al. 2021; Waudby-Smith et al. 2023)"


def mixture_rho2(alpha: float, tuning_n: float) -> float:
    """Mixing precision that makes the sequence tightest at ``tuning_n`` total units."""
    if not 0 < alpha < 1 or tuning_n <= 0:
        raise ExperimentInputError(
            f"sequential test: need 0 < alpha < 1 and tuning_n > 0; received alpha={alpha}, "
            f"tuning_n={tuning_n}. Fix: set tuning_n to the planned total sample size."
        )
    la = -2 * np.log(alpha)
    return float((la + np.log(la + 1)) / tuning_n)


def confidence_sequence(
    estimate: npt.ArrayLike,
    variance: npt.ArrayLike,
    n_total: npt.ArrayLike,
    *,
    alpha: float = 0.05,
    tuning_n: float = DEFAULT_TUNING_N,
    null_value: float = 0.0,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Always-valid interval bounds and p-value at the current look.

    Args:
        estimate: effect estimate(s) ``d`` (absolute difference of means).
        variance: variance(s) of the estimate, ``se^2``.
        n_total: total units over both arms at this look.
        alpha: error rate over all looks together.
        tuning_n: total units at which the boundary is tightest (e.g. the planned sample size).
        null_value: effect under the null hypothesis.

    Returns:
        ``(ci_low, ci_high, p_value)`` arrays; the running minimum of the p-value over looks is
        the always-valid p-value of the whole monitoring history.
    """
    d = np.asarray(estimate, dtype=np.float64)
    v = np.asarray(variance, dtype=np.float64)
    n = np.asarray(n_total, dtype=np.float64)
    rho2 = mixture_rho2(alpha, tuning_n)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s2 = v * n
        tr = n * rho2 + 1
        width = np.sqrt(s2) * np.sqrt(2 * tr / (n * n * rho2) * np.log(np.sqrt(tr) / alpha))
        st2 = (d - null_value) ** 2 * n / v
        log_e = rho2 * st2 / (2 * tr) - 0.5 * np.log(tr)
        p = np.minimum(1.0, np.exp(-log_e))
    return d - width, d + width, p
