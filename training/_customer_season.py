"""The season a customer model's scores stand in: last year's copy of the scored window
against last year's copy of the window the model's level was set on.

``season_factor`` reads that gap (revenue per customer for value, the purchase hazard for churn
and propensity) and ``adjust_probability`` moves P(purchase) by it; ``season_unknown_note`` says
when the history is too short to read it, and ``horizon_season_note`` when a chained horizon
(``--horizon-days``) disagrees with last year's share of buyers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._customer_models import CustomerModel

__all__ = [
    "SeasonFactor",
    "adjust_probability",
    "horizon_season_note",
    "season_factor",
    "season_unknown_note",
    "season_unknown_reason",
]


@dataclass(frozen=True)
class SeasonFactor:
    """How much more (or less) buying last year's copy of the scored window held than last
    year's copy of the window the model's level was set on.

    Attributes:
        factor: the ratio (1.0 = same season). Value: of revenue per customer. Churn and
            propensity: of the purchase hazard, -log(1 - share of customers buying), so that
            ``1 - (1 - p) ** factor`` moves P(purchase) by the season (``adjust_probability``).
        scored: the scored window a year earlier (start, end), 364 days back (same weekdays).
        reference: the model's reference window a year earlier (start, end).
        per_customer: revenue per customer (value) or share of customers buying (churn,
            propensity) in both (``scored``, ``reference``), customers being those with a
            purchase in the year (or as much as the data hold, at least 90 days) before each
            window, so a growing or shrinking base does not read as season.
        task: the model's task.
        lookback_days: the look-back the customers were read over (365; fewer when the start
            of the data cuts it short, at least 90).
        returning: the share of the later window's customers (of ``scored`` and
            ``reference``, by start) who were customers before the earlier one too, i.e. not
            new between them (1.0 = the same base in both).
    """

    factor: float
    scored: tuple[pd.Timestamp, pd.Timestamp]
    reference: tuple[pd.Timestamp, pd.Timestamp]
    per_customer: tuple[float, float]
    task: str = "value"
    lookback_days: int = 365
    returning: float = 1.0

    @property
    def truncated(self) -> bool:
        """Whether the start of the data cut the look-back short of a year."""
        return self.lookback_days < 365

    @property
    def applied(self) -> float:
        """The factor ``--season-adjust`` uses: ``factor``, shrunk towards 1 by the share of new
        customers when the data's start cut the look-back short (``1 + (factor - 1) *
        returning``). Last year's windows then sit in the data's first months; when the shop
        was young, the later window's customers are mostly new ones who need not buy like the
        first (a test's young shop: 100 first customers at $5 a week and 300 later ones at $10
        read 2.53 where the season was 1.50; a quarter returning: 1.38). A mature base is the
        same customers in both windows, and its gap is the season (a grocery log, 97% returning:
        0.799 applied as 0.806, where shrinking by the look-back's 276/365 days gave 0.848 and
        what happened asked for 0.770)."""
        if not self.truncated:
            return self.factor
        return 1.0 + (self.factor - 1.0) * min(1.0, max(0.0, self.returning))


def adjust_probability(p_purchase: np.ndarray, factor: float) -> np.ndarray:
    """P(at least one purchase) with the purchase rate scaled by ``factor``: 1 - (1 - p)^f."""
    p = np.clip(np.asarray(p_purchase, dtype=float), 0.0, 1.0)
    return 1.0 - (1.0 - p) ** float(factor)


def _buyers(buys: pd.DataFrame, start: pd.Timestamp, look: pd.Timedelta) -> np.ndarray:
    """Customers with a purchase in the ``look`` before ``start`` (the base a season is read
    on by ``season_factor`` and ``horizon_season_note``)."""
    return buys.loc[(buys["ts"] >= start - look) & (buys["ts"] < start), "user_id"].unique()


def _season_inputs(model: object) -> tuple[str, int, tuple] | None:
    """(task, horizon days, cutoffs the model's level was set on) of a model fitted on cutoffs
    with a horizon up to 364 days, else None: what the season check reads."""
    rep = getattr(model, "report_", None)
    h = getattr(model, "horizon_days", None)
    task = getattr(model, "task", None)
    if task not in ("value", "churn", "propensity") or rep is None or not h or h > 364:
        return None
    ref_cuts = rep.split.validation_cutoffs if rep.refit else rep.split.calibration_cutoffs
    return (str(task), int(h), tuple(ref_cuts)) if ref_cuts else None


def season_factor(model: CustomerModel, events: pd.DataFrame,
                  asof: str | pd.Timestamp) -> SeasonFactor | None:
    """The model's season gap for a window starting at ``asof`` (None when unknown).

    The model learned from windows of ``horizon_days`` starting at its training cutoffs, and
    its level is set (value: ``scale`` calibration; churn/propensity: probability
    calibration) on one of them: the validation cutoff when it was refitted, else the
    calibration cutoff. It knows nothing of the season of a later window (a grocery value model
    set on July forecast October-December 19% low; a gift shop's propensity model set on June
    gave a holiday quarter 0.17 against 0.23 buying). Last year's same two windows tell the
    gap. None without a model fitted on cutoffs, a horizon over 364 days, or purchases
    starting less than 90 days before the earlier of the two windows a year back.
    """
    known = _season_inputs(model)
    if known is None:
        return None
    task, h, ref_cuts = known
    year, span = pd.Timedelta(days=364), pd.Timedelta(days=int(h))
    buys = events[events["event_type"] == "purchase"]
    if buys.empty:
        return None
    start_scored = pd.Timestamp(asof) - year
    start_ref = pd.Timestamp(ref_cuts[-1]) - year
    # customers: those with a purchase in the same look-back before each window (a year, or
    # what the data hold, at least 90 days)
    back = min(pd.Timedelta(days=365), min(start_scored, start_ref) - buys["ts"].min())
    if back < pd.Timedelta(days=90) or start_scored + span > pd.Timestamp(asof):
        return None

    def per_customer(start: pd.Timestamp) -> float:
        users = _buyers(buys, start, back)
        window = buys[(buys["ts"] >= start) & (buys["ts"] < start + span)
                      & buys["user_id"].isin(users)]
        if task == "value":
            return float(window["revenue"].sum()) / max(len(users), 1)
        return window["user_id"].nunique() / max(len(users), 1)

    scored, ref = per_customer(start_scored), per_customer(start_ref)
    if not ref > 0 or (task != "value" and not (ref < 1 and scored < 1)):
        return None
    factor = (scored / ref if task == "value"
              else float(np.log1p(-scored) / np.log1p(-ref)))
    earlier, later = sorted((start_scored, start_ref))
    base = _buyers(buys, later, back)
    returning = float(np.isin(base, _buyers(buys, earlier, back)).mean()) if len(base) else 1.0
    return SeasonFactor(factor, (start_scored, start_scored + span),
                        (start_ref, start_ref + span), (scored, ref), str(task), back.days,
                        returning)


def season_unknown_reason(model: CustomerModel | object, events: pd.DataFrame,
                          asof: str | pd.Timestamp) -> str:
    """Why ``season_factor`` is None for ``model`` at ``asof``, as a stable code (the API's
    ``season_unknown_reason``): 'model_without_windows' (not fitted on cutoff windows of up to
    364 days, e.g. a customer-table model), 'history_too_short' (no purchases, or fewer than
    90 days of them before last year's copies of the two windows), else
    'no_reference_buyers' (nobody, or everybody, in the base bought in last year's copy of a
    window, so the gap is no ratio)."""
    known = _season_inputs(model)
    if known is None:
        return "model_without_windows"
    buys = events[events["event_type"] == "purchase"]
    if buys.empty:
        return "history_too_short"
    ref_cuts = known[2]
    year = pd.Timedelta(days=364)
    at = pd.Timestamp(asof)
    earlier = min(at, pd.Timestamp(ref_cuts[-1])) - year
    if earlier - buys["ts"].min() < pd.Timedelta(days=90):
        return "history_too_short"
    return "no_reference_buyers"


def season_unknown_note(model: CustomerModel | object, events: pd.DataFrame,
                        asof: str | pd.Timestamp) -> str | None:
    """What to say when ``season_factor`` cannot read the season because the history is too
    short, and the scored window starts a month or more away from the window the model's
    level was set on (None otherwise: nothing is lost, or the factor exists).

    A wholesaler check's 180-day value model, set on December-June, scored June-November (a
    holiday peak) 50% low (validation aggregate bias +13%) and nothing was said: last year's
    copy of the December window lay at the start of the data.

    The 90 days are kept for short windows too (tried 2026-12-06: one window's length, 30 days
    for a 30-day propensity model, with ``SeasonFactor.applied``'s shrinkage). On a grocery
    export starting 2025-06-01 (62 days before last August's copy) the 62-day look-back read a
    hazard ratio of 1.24 for September and for November where what happened asked for 0.955
    and 0.935 (shrunk 1.04: Brier 0.0947 -> 0.0949), and 1.43 for December (shrunk 1.07,
    under the 10% a note needs, so this note would have become silence); in a generated young
    shop whose first 2 months held only its light early customers, 4.19 where the season was
    1.49. The note says how many days the data hold instead.
    """
    known = _season_inputs(model)
    buys = events[events["event_type"] == "purchase"]
    if known is None or buys.empty:
        return None
    task, h, ref_cuts = known
    at, ref = pd.Timestamp(asof), pd.Timestamp(ref_cuts[-1])
    if abs((at - ref).days) < 30 or season_factor(model, events, asof) is not None:  # type: ignore[arg-type]
        return None
    year, span = pd.Timedelta(days=364), pd.Timedelta(days=int(h))
    first = buys["ts"].min()
    earlier = min(at, ref) - year
    held = max((earlier - first).days, 0)
    what = "total is" if task == "value" else "probabilities are"
    return (f"the season of this window could not be checked: the model's {what} set on "
            f"the {h}-day window from {ref:%Y-%m-%d} and this one starts {at:%Y-%m-%d}; "
            f"comparing the two needs last year's copies of both (from {earlier:%Y-%m-%d}) "
            f"and purchases from 90 days before them, but the purchases start "
            f"{first:%Y-%m-%d} ({held} days before; over a shorter look-back the buyers are "
            f"the data's first customers, and the gap read from them measures them, not the "
            f"season). If {at:%Y-%m-%d} .. {at + span - pd.Timedelta(days=1):%Y-%m-%d} "
            "is another season (a holiday peak), the scores are off by as much; rank by "
            "them, and judge their level against your own knowledge of the season")


def horizon_season_note(events: pd.DataFrame, asof: str | pd.Timestamp, horizon_days: int,
                        users: pd.Series, p_purchase: np.ndarray,
                        min_gap: float = 0.1) -> str | None:
    """For ``--horizon-days``: last year's share of buying customers in the same window
    against the mean of the extended P(purchase), when they differ by ``min_gap`` or more.

    The chain repeats the model's own window and knows no season: a seasonal retailer's
    365-day P(purchase) from March averaged 0.248 where 0.397 bought. Customers are those
    with a purchase in the year before the window (or as much as the data hold, at least 90
    days), now and a year (whole years, for a horizon over 364 days) earlier, as in
    ``season_factor``. None without that history.
    """
    buys = events[events["event_type"] == "purchase"]
    if buys.empty:
        return None
    asof = pd.Timestamp(asof)
    span, year = pd.Timedelta(days=int(horizon_days)), pd.Timedelta(days=364)
    back = year * int(np.ceil(horizon_days / 364))
    then = asof - back
    # customers: a purchase in the look-back before the window (a year, or what the data hold
    # before last year's window, at least 90 days), the same look-back now
    look = min(pd.Timedelta(days=365), then - buys["ts"].min())
    if look < pd.Timedelta(days=90):
        return None

    def base(start: pd.Timestamp) -> np.ndarray:
        return np.asarray(_buyers(buys, start, look)).astype(str)

    was = base(then)
    if not len(was):
        return None
    window = buys[(buys["ts"] >= then) & (buys["ts"] < then + span)]
    share = float(np.isin(was, window["user_id"].astype(str).unique()).mean())
    now = np.isin(users.astype(str).to_numpy(), base(asof))
    p = np.asarray(p_purchase, dtype=float)[now]
    p = p[np.isfinite(p)]
    if not len(p) or not share > 0:
        return None
    mean = float(p.mean())
    if abs(mean / share - 1) < min_gap:
        return None
    return (f"--horizon-days {horizon_days}: the scores chain the model's own window and know "
            f"no season; they give the customers who bought in the last year a mean "
            f"P(purchase) of {mean:.3f}, while {share:.1%} of such customers bought in the "
            f"{horizon_days} days from {then:%Y-%m-%d}. If the history allows, train with "
            f"--horizon {horizon_days} (labels of the whole window); meanwhile read the scores "
            "as a ranking")
