"""Sample ratio mismatch (SRM) check.

References:
    Fabijan, A., Gupchup, J., Gupta, S., Omhover, J., Qin, W., Vermeer, L., Dmitriev, P. (2019).
    Diagnosing sample ratio mismatch in online controlled experiments: a taxonomy and rules of
    thumb for practitioners. KDD 2019.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

from experiments._errors import ExperimentInputError, Param
from experiments._results import ArmCount, SRMResult

__all__ = ["SRM_ALPHA", "STRAY_SHARE", "srm_check", "stray_arms"]

SRM_ALPHA = 0.001
STRAY_SHARE = 0.05
"""With more than two arms, an arm holding under this share of the largest arm's units is
most likely a stray or mistyped label (``'tretment' (3)``), not a designed arm."""


def stray_arms(counts: Mapping[str, int]) -> list[str]:
    """Arms with under ``STRAY_SHARE`` of the largest arm's units, when there are more than two
    arms (``'name' (units)`` each, for messages); empty otherwise."""
    if len(counts) <= 2:
        return []
    largest = max(int(v) for v in counts.values())
    return [f"{str(k)!r} ({int(v)})" for k, v in counts.items() if int(v) < STRAY_SHARE * largest]


def _stray_note(stray: list[str]) -> str:
    return (f"Arm(s) {', '.join(stray)} hold far fewer units than the others: stray or mistyped "
            "labels? (labels differing only in case or surrounding spaces are already merged.) "
            "Fix: relabel or filter those rows and re-run.")


def srm_check(
    counts: Mapping[str, int],
    expected_shares: Mapping[str, float] | Sequence[float] | None = None,
    alpha: float = SRM_ALPHA,
) -> SRMResult:
    """Pearson chi-square test that arm sizes match the designed split.

    Args:
        counts: units per arm, in display order.
        expected_shares: designed share (or weight) per arm; equal split when None. Weights are
            normalised to sum to 1.
        alpha: flag a mismatch when the p-value is below this (default 0.001: an SRM check runs on
            every experiment, so it must rarely cry wolf).
    """
    names = [str(k) for k in counts]
    observed = np.array([int(counts[k]) for k in counts], dtype=np.float64)
    if len(names) < 2:
        raise ExperimentInputError(
            f"sample-ratio check: needs at least 2 arms; received {names}. Fix: check the "
            "variant column."
        )
    if expected_shares is None:
        weights = np.ones(len(names))
    elif isinstance(expected_shares, Mapping):
        missing = [n for n in names if n not in expected_shares]
        if missing:
            stray = [a for a in stray_arms(counts) if any(a.startswith(f"{m!r} (")
                                                         for m in missing)]
            fix = (_stray_note(stray) if len(stray) == len(missing)
                   else "Fix: give a share for every arm.")
            raise ExperimentInputError(
                "sample-ratio check: ", Param("expected_shares"), f" lacks arms {missing}; "
                f"received keys {sorted(expected_shares)}. {fix}"
            )
        weights = np.array([float(expected_shares[n]) for n in names])
    else:
        weights = np.asarray(list(expected_shares), dtype=np.float64)
        if weights.size != len(names):
            raise ExperimentInputError(
                f"sample-ratio check: {weights.size} expected shares for {len(names)} arms."
            )
    if np.any(weights <= 0) or not np.all(np.isfinite(weights)):
        raise ExperimentInputError(
            f"sample-ratio check: expected shares must be positive; received {weights.tolist()}."
        )
    shares = weights / weights.sum()
    total = observed.sum()
    expected = shares * total
    chi2 = float(((observed - expected) ** 2 / expected).sum()) if total > 0 else 0.0
    df = len(names) - 1
    p = float(stats.chi2.sf(chi2, df))
    mismatch = p < alpha
    arms = tuple(
        ArmCount(n, int(o), float(s), float(e))
        for n, o, s, e in zip(names, observed, shares, expected, strict=True)
    )
    split = ", ".join(f"{a.variant}={a.observed}" for a in arms)
    if mismatch:
        message = (
            f"SAMPLE RATIO MISMATCH: arm sizes ({split}) do not match the designed split "
            f"(chi-square {chi2:.2f}, df {df}, p = {p:.2g} < {alpha}); assignment or logging is "
            "broken, so do not trust the effects until the cause is found."
        )
        # with the designed shares given every arm is in the design (a label without a share
        # is an error above): a small arm is a designed holdout, not a stray label
        stray = stray_arms(counts) if expected_shares is None else []
        if stray:
            message += " " + _stray_note(stray)
        elif expected_shares is None:
            message += (" (Checked against an equal split: if the design was unequal, give the "
                        "designed shares as the expected split.)")
    else:
        message = (
            f"Sample ratio OK: arm sizes ({split}) match the designed split "
            f"(chi-square {chi2:.2f}, df {df}, p = {p:.2g}; a mismatch is flagged at "
            f"p < {alpha:g})."
        )
    return SRMResult(arms, chi2, df, p, alpha, mismatch, message)
