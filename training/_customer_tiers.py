"""Tiers and the early-warning flag that go beside every customer score (its reasons:
``training._customer_reasons``).

Tiers (thresholds on calibrated probabilities, so they mean the same thing for every retailer):

- churn: ``high`` if P(churn) >= 0.70, ``medium`` if >= 0.40, else ``low``;
- propensity: ``hot`` if P(purchase) >= 0.50, ``warm`` if >= 0.20, else ``cold``;
- value (revenue is in the retailer's currency, so tiers are by rank among the scored customers):
  ``top`` = highest 10%, ``high`` = next 20%, ``medium`` = next 30%, ``low`` = the rest, and
  ``low`` too for anyone predicted under a tenth of the median of the top 60%
  (``TierRule.floor``).

Early warning: ``visit_drop_50`` (visits in the last 30 days fell by 50% or more against the 30
days before, with at least 2 visits before) is reported as ``early_warning`` beside the score.
It comes from the feature column ``visit_drop_50`` when present, else from ``visits_30d`` and
``visits_prev_30d``. A customer with no visit at all (every customer of a purchase-only event
log) is judged by the same rule on orders (``orders_30d``, ``orders_prev_30d``), and
``early_warning_basis`` says so; input that cannot tell gets missing values (never a silent
``False``).

Beside it, ``early_warning_spend`` (``early_warning_spend``): spend in the last 30 days at most
half of the customer's own monthly average over days 30-365 before the cutoff. A household
moving its shopping to a competitor shrinks its baskets before its visits halve, so the visit
rule misses most of them; the spend rule is reported next to it, not instead of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "TIERS",
    "TierRule",
    "assign_tiers",
    "early_warning",
    "early_warning_base_fall",
    "early_warning_chance",
    "early_warning_spend",
    "early_warning_with_basis",
]


@dataclass(frozen=True)
class TierRule:
    """How scores map to tiers.

    Attributes:
        labels: tier names from the highest scores to the lowest.
        thresholds: lower bounds of every tier but the last, highest first. For ``kind="prob"``
            they are probabilities; for ``kind="rank"`` cumulative shares of customers ranked by
            score (0.1 = the top 10%).
        kind: ``"prob"`` (absolute thresholds) or ``"rank"`` (shares of the scored population).
        floor: for ``kind="rank"``, scores below this share of the median score of the
            customers ranked above the lowest tier go to the lowest tier whatever their rank
            (0 = none): when many customers are worth next to nothing, ranks alone would call
            some of them 'medium'. (A share of the mean was tried: a few wholesale accounts
            lifted it so far that the 'medium' tier came out empty.)
    """

    labels: tuple[str, ...]
    thresholds: tuple[float, ...]
    kind: str = "prob"
    floor: float = 0.0


TIERS: dict[str, TierRule] = {
    "churn": TierRule(("high", "medium", "low"), (0.70, 0.40)),
    "propensity": TierRule(("hot", "warm", "cold"), (0.50, 0.20)),
    "value": TierRule(("top", "high", "medium", "low"), (0.10, 0.30, 0.60), kind="rank",
                      floor=0.10),
}
"""Default tier rule per task (documented in docs/customers.md)."""


def assign_tiers(scores: np.ndarray, rule: TierRule,
                 reference: np.ndarray | None = None) -> pd.Categorical:
    """Tier of every score under ``rule`` (ordered categorical, highest tier first).

    A rank rule ranks the scores among ``reference`` (default: among themselves): a score's
    share is the fraction of the reference scoring strictly higher, so ties share a tier, and
    the floor is read from the reference too. A request's few rows are then tiered as they are
    in the whole population, never among themselves (one row would always be 'top')."""
    s = np.asarray(scores, dtype=float)
    n_tiers = len(rule.labels)
    if len(rule.thresholds) != n_tiers - 1:
        raise ValueError(f"TierRule: {n_tiers} labels need {n_tiers - 1} thresholds; received "
                         f"{len(rule.thresholds)}")
    if rule.kind == "rank":
        ref = _sorted_finite(s if reference is None else reference)
        if not len(ref):  # no population to place the rows in: rank them among themselves
            ref = _sorted_finite(s)
        cuts = np.asarray(rule.thresholds)

        def codes(x: np.ndarray) -> np.ndarray:
            share = (len(ref) - np.searchsorted(ref, x, side="right")) / max(len(ref), 1)
            return np.where(np.isnan(x), n_tiers - 1, np.searchsorted(cuts, share, side="right"))

        code = codes(s)
        # the reference above the lowest tier is a suffix of the sorted reference: find where
        # it starts by bisection (a request's rows against a million customers cost O(log n))
        lo, hi = 0, len(ref)
        while lo < hi:
            mid = (lo + hi) // 2
            if codes(ref[mid:mid + 1])[0] < n_tiers - 1:
                hi = mid
            else:
                lo = mid + 1
        above = ref[lo:]
        if rule.floor > 0 and len(above):
            middle = (float(above[(len(above) - 1) // 2]) + float(above[len(above) // 2])) / 2
            with np.errstate(invalid="ignore"):
                code = np.where(s < rule.floor * middle, n_tiers - 1, code)
    elif rule.kind == "prob":
        # thresholds are decreasing lower bounds: count how many a score falls below.
        code = (s[:, None] < np.asarray(rule.thresholds)[None, :]).sum(axis=1)
    else:
        raise ValueError(f"TierRule.kind must be 'prob' or 'rank'; received {rule.kind!r}")
    return pd.Categorical.from_codes(code.astype(int), categories=list(rule.labels),
                                     ordered=True)


def _sorted_finite(values: np.ndarray) -> np.ndarray:
    """``values``' finite entries in ascending order (no copy when they already are)."""
    v = np.asarray(values, dtype=float)
    if len(v) and np.isfinite(v).all() and (v[1:] >= v[:-1]).all():
        return v
    return np.sort(v[np.isfinite(v)])


def _drop_50(features: pd.DataFrame, now_col: str, before_col: str
             ) -> tuple[pd.Series, pd.Series]:
    """(flag, unknown): ``now_col`` at most half of ``before_col``, which is at least 2."""
    now = pd.to_numeric(features[now_col], errors="coerce")
    before = pd.to_numeric(features[before_col], errors="coerce")
    return (before >= 2) & (now <= 0.5 * before), now.isna() | before.isna()


def early_warning_chance(features: pd.DataFrame, basis: pd.Series,
                         flag: pd.Series) -> pd.Series:
    """For each flagged row, how often a customer whose rate did not change would fall this far.

    The last 30 days' count ``now`` against the 30 days before ``before``: with one steady
    rate, ``now`` given ``now + before`` is Binomial(now + before, 1/2), so the chance is
    P(X <= now) (the conditional test of two Poisson counts; both windows are noisy). 0 of 2
    reads 0.25, 1 of 5 0.19, 0 of 5 0.03. Light visitors are flagged by chance often: a
    check's visit log with constant rates had 17% flagged; ``brain score`` counts the flags
    below 0.05. ``basis`` and ``flag`` are ``early_warning_with_basis``'s. Missing where the
    row is not flagged, ``basis`` names no count columns (a table with only ``visit_drop_50``)
    or the counts are not whole non-negative numbers.
    """
    out = pd.Series(np.nan, index=features.index, dtype="Float64")
    for what in ("visits", "orders"):
        cols = (f"{what}_30d", f"{what}_prev_30d")
        sel = basis.eq(what).fillna(False).to_numpy()
        if not sel.any() or not set(cols) <= set(features.columns):
            continue
        now = pd.to_numeric(features[cols[0]], errors="coerce").to_numpy(dtype=float)[sel]
        before = pd.to_numeric(features[cols[1]], errors="coerce").to_numpy(dtype=float)[sel]
        counts = np.isfinite(now + before) & (now >= 0) & (before >= 0)
        with np.errstate(invalid="ignore"):
            counts &= (now == np.round(now)) & (before == np.round(before))
            chance = stats.binom.cdf(now, now + before, 0.5)
        flagged = flag.fillna(False).to_numpy(dtype=bool)[sel] & counts
        out.iloc[np.flatnonzero(sel)] = np.where(flagged, chance, np.nan)
    return out.mask(out.isna())


BASE_FALL = 0.2
"""A fall of the judged customers' summed counts (last 30 days against the 30 before) by this
share or more is named beside the flags (``early_warning_base_fall``)."""
BASE_FALL_MIN = 500
"""Summed counts of the 30 days before needed to call a fall the base's, not noise."""


def early_warning_base_fall(features: pd.DataFrame, basis: pd.Series,
                            flag: pd.Series) -> str | None:
    """A note when the judged customers' visits (or orders) as a whole fell by ``BASE_FALL``
    or more in the last 30 days against the 30 before: the end of a sale month or the season
    lowers everyone's rate, so the flags then count the calendar as much as each customer,
    and ``early_warning_chance`` (a customer whose rate did not change) reads such falls as
    unlikely by chance. None otherwise. ``basis`` and ``flag`` are
    ``early_warning_with_basis``'s.
    """
    parts = []
    for what in ("visits", "orders"):
        cols = (f"{what}_30d", f"{what}_prev_30d")
        sel = basis.eq(what).fillna(False).to_numpy()
        if not sel.any() or not set(cols) <= set(features.columns):
            continue
        now = float(np.nansum(pd.to_numeric(features[cols[0]], errors="coerce")
                              .to_numpy(dtype=float)[sel]))
        before = float(np.nansum(pd.to_numeric(features[cols[1]], errors="coerce")
                                 .to_numpy(dtype=float)[sel]))
        if before < BASE_FALL_MIN or now > (1 - BASE_FALL) * before:
            continue
        n_flag = int(flag.fillna(False).to_numpy(dtype=bool)[sel].sum())
        parts.append(f"{what} of the {int(sel.sum()):,} customers judged on {what} fell "
                     f"{1 - now / before:.0%} in the last 30 days ({now:,.0f} against "
                     f"{before:,.0f} in the 30 before; {n_flag:,} of them flagged)")
    if not parts:
        return None
    return ("early warning: " + "; ".join(parts) + ": a fall of the whole base (the end of a "
            "sale, the season) flags many customers whose own behaviour did not change, and "
            "early_warning_chance assumes an unchanged rate, so it reads such falls as "
            "unlikely by chance too; compare a flagged customer with the base's fall, or with "
            "the same dates a year earlier, before acting on the flag alone")


def early_warning(features: pd.DataFrame) -> pd.Series:
    """The 'visit frequency fell by 50% or more' flag per row, always a nullable boolean.

    Uses ``visit_drop_50`` when present, else ``visits_30d`` and ``visits_prev_30d`` with the
    same rule (at least 2 visits in the 30 days before the last 30, and the last 30 days at most
    half of that). A customer with no visit recorded at all (``visits_total`` is 0: every
    customer of a purchase-only event log) is judged on orders instead, by the same rule on
    ``orders_30d`` and ``orders_prev_30d`` (``early_warning_basis`` says which). Missing
    (``pd.NA``, never ``False``) where the input cannot tell. Decided row by row, so a
    customer's flag does not depend on who else is scored with it.
    """
    return early_warning_with_basis(features)[0]


def early_warning_with_basis(features: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """``early_warning`` and, per row, what it was judged on: 'visits', 'orders' or NA."""
    cols = set(features.columns)
    flag = pd.Series(False, index=features.index)
    unknown = pd.Series(True, index=features.index)
    has_visits = True
    if "visit_drop_50" in cols:
        v = pd.to_numeric(features["visit_drop_50"], errors="coerce")
        flag, unknown = v > 0, v.isna()
    elif {"visits_30d", "visits_prev_30d"} <= cols:
        flag, unknown = _drop_50(features, "visits_30d", "visits_prev_30d")
    else:
        has_visits = False
    on_orders = pd.Series(not has_visits, index=features.index)
    if "visits_total" in cols:
        on_orders = pd.to_numeric(features["visits_total"], errors="coerce").fillna(0).eq(0)
    if {"orders_30d", "orders_prev_30d"} <= cols:
        o_flag, o_unknown = _drop_50(features, "orders_30d", "orders_prev_30d")
        flag = flag.where(~on_orders, o_flag)
        unknown = unknown.where(~on_orders, o_unknown)
    else:
        unknown = unknown | on_orders
    basis = pd.Series(np.where(on_orders, "orders", "visits"), index=features.index,
                      dtype="string").mask(unknown)
    return flag.astype("boolean").mask(unknown), basis


SPEND_COLUMNS = ("revenue_30d", "revenue_365d", "orders_30d", "orders_365d", "orders_prev_30d",
                 "tenure_days")


def early_warning_spend(features: pd.DataFrame) -> pd.Series:
    """The 'spend per month fell by 50% or more' flag per row, a nullable boolean.

    True when the spend of the last 30 days (``revenue_30d``) is at most half of the customer's
    monthly average over days 30-365 before the cutoff (``revenue_365d`` less the last 30 days,
    over the days the customer was known there, at most 335), for a customer known 60 days or
    more, with one order a month or more on average over those days and an order in the 30 days
    before the last 30 (``orders_prev_30d``): an occasional buyer's empty month, or a customer
    gone for months, is not a fall. Missing (``pd.NA``) where a column is missing or empty.
    Decided row by row, like ``early_warning``, which it goes beside (it does not replace it).
    """
    if not set(SPEND_COLUMNS) <= set(features.columns):
        return pd.Series(pd.NA, index=features.index, dtype="boolean")
    v = {c: pd.to_numeric(features[c], errors="coerce") for c in SPEND_COLUMNS}
    days = (v["tenure_days"] - 30).clip(lower=30, upper=335)
    monthly = (v["revenue_365d"] - v["revenue_30d"]) * 30 / days
    orders_monthly = (v["orders_365d"] - v["orders_30d"]) * 30 / days
    flag = ((v["tenure_days"] >= 60) & (orders_monthly >= 1) & (v["orders_prev_30d"] >= 1)
            & (monthly > 0) & (v["revenue_30d"] <= 0.5 * monthly))
    unknown = pd.concat(v, axis=1).isna().any(axis=1)
    return flag.astype("boolean").mask(unknown)
