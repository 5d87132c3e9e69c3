"""Heavy tails in an A/B analysis: caps resolved from percentiles (``--cap revenue=p99``) and
the warning when a few units hold a large share of an arm's total (a whale made a lift).

``experiments._analysis.analyze`` calls both before it summarises the arms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from experiments._errors import ExperimentInputError, Param
from experiments._metrics import Metric, _numeric

__all__ = ["CAP_TOUCH_SHARE", "dominant_unit_notes", "resolve_caps"]


def _on_floor(x: np.ndarray, cap: float) -> bool:
    """Whether a percentile ``cap`` of ``x`` is the value the units mostly have, below the
    few that vary (the 0 of revenue per user where 99.5% buy nothing): the lowest value, or
    one at least half of the units share (a 0 with a few refunds below it), with some units
    above it."""
    if not (x > cap).any():
        return False
    return bool(cap <= float(x.min()) or np.mean(x == cap) >= 0.5)


def resolve_caps(frame: pd.DataFrame, metrics: Sequence[Metric], variant_col: str,
                 source: str) -> tuple[list[Metric], dict[str, int]]:
    """``metrics`` with each ``cap_quantile`` resolved to a ``cap`` over all units (pooled over
    the arms, so every arm is capped at one value), and per capped metric the number of units
    above its cap. A metric with a CUPED covariate and a ``cap_quantile`` gets the covariate
    capped at the same quantile of its own values (``covariate_cap``; units above it counted
    under ``"<name>\0covariate"``), unless that quantile is the covariate's lowest value, or
    one at least half of the units share (the
    cap would make it constant: units above it counted under ``"<name>\0covariate_uncapped"``
    and the covariate left as it is). A percentile that is the metric's own lowest value, or
    one at least half of the units share with some above (P99
    of revenue per user where 99.5% buy nothing: 0) is taken over the units above that value
    instead (counted under ``"<name>\0cap_above_lowest"``). A 0/1 metric cannot be capped (its
    99th percentile may be 0)."""
    out: list[Metric] = []
    counts: dict[str, int] = {}
    for m in metrics:
        if m.cap is None and m.cap_quantile is None:
            out.append(m)
            continue
        x = _numeric(frame, m.column, variant_col, source)
        if m.kind == "proportion" or (m.denominator is None and np.isin(x, (0.0, 1.0)).all()):
            raise ExperimentInputError(
                f"metric {m.name!r}: column {m.column!r} holds only 0 and 1, and capping a 0/1 "
                "metric would change what it counts (its 99th percentile may well be 0). Fix: "
                "cap revenue-like metrics only; drop this one from ", Param("caps"), "."
            )
        cap = m.cap if m.cap is not None else float(np.quantile(x, m.cap_quantile or 1.0))
        if m.cap is None and _on_floor(x, cap):
            # a percentile at the lowest value (revenue per user where 99.5% of the units buy
            # nothing has P99 = 0) would set every unit to it: the metric became 0 for all
            # units without a word. As GrowthBook's "ignore zeros": the percentile of the
            # units above that value (the value most units have: three refunds below the 0
            # of 20,000 units had left it the cap)
            above = x[x > cap]
            cap = float(np.quantile(above, m.cap_quantile or 1.0))
            counts[f"{m.name}\0cap_above_lowest"] = len(above)
        counts[m.name] = int((x > cap).sum())
        cov_cap = None
        if m.covariate is not None and m.cap is None and m.cap_quantile is not None:
            z = _numeric(frame, m.covariate, variant_col, source)
            q = float(np.quantile(z, m.cap_quantile))
            if not _on_floor(z, q):
                cov_cap = q
                counts[f"{m.name}\0covariate"] = int((z > cov_cap).sum())
            else:  # a cap at its lowest value (a pre-period revenue 0 for 99.5% of the units)
                # would leave the covariate one value for every unit: CUPED had nothing left
                counts[f"{m.name}\0covariate_uncapped"] = int((z > q).sum())
        out.append(replace(m, cap=cap, covariate_cap=cov_cap))
    return out, counts


CAP_TOUCH_SHARE = 0.1
"""A cap above the values of more than this share of the units gets a warning: it is not a
cap on a few extreme units (a reviewer's p10 moved 90% of the units to it without a word)."""

DOMINANT_SHARE = 0.2
"""A few units holding this share or more of an arm's total of a mean or ratio metric (in an
arm of ``DOMINANT_MIN_UNITS`` or more) get a warning: the arm's mean rests on them. "A few" is
one unit, and up to ``DOMINANT_MAX_UNITS`` in an arm of 1,000 units per unit counted (a unit
in 1,000 or fewer: 3 whales among 20,000 customers holding 22% of an arm's revenue had made a
+25% lift without a word; among 50 customers the top 3 holding 20% is ordinary skew)."""
DOMINANT_MIN_UNITS = 50
DOMINANT_MAX_UNITS = 5


def _top_share(v: np.ndarray) -> tuple[int, float] | None:
    """(k, share) for the fewest largest values of ``v`` holding ``DOMINANT_SHARE`` of its
    total, when k is within the units allowed for ``len(v)``; None otherwise."""
    total = float(v.sum())
    if len(v) < DOMINANT_MIN_UNITS or total <= 0 or (v < 0).any():
        return None
    allowed = min(DOMINANT_MAX_UNITS, max(1, len(v) // 1000))
    top = np.sort(np.partition(v, len(v) - allowed)[len(v) - allowed:])[::-1]
    shares = np.cumsum(top) / total
    hit = np.flatnonzero(shares >= DOMINANT_SHARE)
    return (int(hit[0]) + 1, float(shares[hit[0]])) if len(hit) else None


def dominant_unit_notes(frame: pd.DataFrame, variant_col: str, metrics: Sequence[Metric],
                        kinds: Mapping[str, str], source: str) -> list[str]:
    """A warning per metric whose total in some arm is largely one unit's or a few units'
    (a whale spending 1,000x the median had made a +137% revenue lift out of one customer,
    without a word)."""
    out = []
    arms = frame[variant_col].astype(str).to_numpy()
    for m in metrics:
        if kinds.get(m.name) not in ("mean", "ratio"):
            continue
        x = _numeric(frame, m.column, variant_col, source)
        if m.cap is not None:
            x = np.minimum(x, m.cap)
        worst: tuple[int, float, str, np.ndarray] | None = None
        for arm in pd.unique(arms):
            v = x[arms == arm]
            found = _top_share(v)
            # fewest units first, then the largest share
            if found is not None and (worst is None or (found[0], -found[1])
                                      < (worst[0], -worst[1])):
                worst = (found[0], found[1], str(arm), v)
        if worst is None:
            continue
        k, share, arm, v = worst
        top = np.sort(v)[::-1][:k]
        med = float(np.median(v))
        if k == 1:
            who = f"one unit holds {share:.0%}"
            values = f"its value {top[0]:,.6g}"
            check = "that unit"
        else:
            who = f"{k} units hold {share:.0%}"
            values = f"their values {', '.join(f'{t:,.6g}' for t in top)}"
            check = "those units"
        out.append(
            f"metric {m.name!r}: {who} of the {m.column!r} total of arm {arm!r} ({values} "
            f"against a median of {med:,.6g} over {len(v):,} units), so the arm's mean and the "
            f"effect rest largely on {'it' if k == 1 else 'them'}. Check {check} (a test "
            "account, a bulk or fraudulent order?); for a heavy-tailed metric, analyse it capped "
            f"too (brain ab analyze --cap {m.name}=p99, API caps) and report both.")
    return out
