"""Multiplicity corrections across variants, metrics and segments.

References:
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics 6(2), 65-70.
    Benjamini, Y., Hochberg, Y. (1995). Controlling the false discovery rate: a practical and
    powerful approach to multiple testing. JRSS B 57(1), 289-300.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from experiments._errors import ExperimentInputError

__all__ = ["Correction", "adjust_p_values"]

Correction = Literal["holm", "bh", "none"]


def adjust_p_values(p_values: npt.ArrayLike,
                    method: Correction = "holm") -> npt.NDArray[np.float64]:
    """Adjusted p-values (same order as the input); reject where ``adjusted < alpha``.

    ``holm`` controls the family-wise error rate; ``bh`` (Benjamini-Hochberg) the false discovery
    rate; ``none`` returns the input. NaN p-values are left as NaN and do not count towards the
    family size.
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = p.copy()
    ok = np.isfinite(p)
    q = p[ok]
    m = q.size
    if method == "none" or m == 0:
        return out
    order = np.argsort(q, kind="mergesort")
    ranked = q[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    elif method == "bh":
        adj = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    else:
        raise ExperimentInputError(
            f"correction must be 'holm', 'bh' or 'none'; received {method!r}."
        )
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out
