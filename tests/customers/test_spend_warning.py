"""The spend early warning (``early_warning_spend``), reported beside the visit rule: spend of the
last 30 days at most half of the customer's own monthly average over days 30-365."""

from __future__ import annotations

import pandas as pd

from serving._cli_customers_print import early_warning_line
from training._customer_tiers import early_warning, early_warning_spend


def _rows() -> pd.DataFrame:
    # a year's customer spending 200 a month over 4 orders a month (days 30-365: 335 days),
    # then: 80 (a fall to 40%), 120 (60%), 80 after no order in days 30-60 (gone before the last
    # month: not a fall), a customer of 45 days, an occasional buyer (5 orders in the year)
    base = {"tenure_days": 365.0, "revenue_365d": 200 * 335 / 30, "orders_365d": 4 * 335 / 30,
            "orders_30d": 2.0, "orders_prev_30d": 4.0}
    rows = [dict(base, revenue_30d=80.0), dict(base, revenue_30d=120.0),
            dict(base, revenue_30d=80.0, orders_prev_30d=0.0),
            dict(base, revenue_30d=10.0, tenure_days=45.0),
            dict(base, revenue_30d=0.0, orders_30d=0.0, orders_365d=5.0, revenue_365d=150.0)]
    f = pd.DataFrame(rows)
    f["revenue_365d"] += f["revenue_30d"]
    f["orders_365d"] += f["orders_30d"]
    return f


def test_spend_warning_flags_a_spend_halved_against_the_own_monthly_average() -> None:
    f = _rows()
    assert early_warning_spend(f).tolist() == [True, False, False, False, False]
    # visits that hold (2 and 2): the visit rule sees none of them
    f["visits_30d"], f["visits_prev_30d"] = 2.0, 2.0
    assert early_warning(f).tolist() == [False] * 5


def test_spend_warning_is_missing_when_the_input_cannot_tell() -> None:
    f = _rows()
    assert early_warning_spend(f.drop(columns="revenue_365d")).isna().all()
    f.loc[1, "revenue_30d"] = float("nan")
    assert early_warning_spend(f).isna().tolist() == [False, True, False, False, False]


def test_the_score_line_counts_the_spend_flags_beside_the_visit_flags() -> None:
    scores = pd.DataFrame({
        "early_warning": pd.array([True, True, False, False], dtype="boolean"),
        "early_warning_basis": pd.array(["visits"] * 4, dtype="string"),
        "early_warning_chance": pd.array([0.01, 0.25, pd.NA, pd.NA], dtype="Float64"),
        "early_warning_spend": pd.array([True, False, True, pd.NA], dtype="boolean")})
    line = early_warning_line(scores)
    assert "2 flagged (2 of 4 judged on visits)" in line
    assert "early_warning_spend): 2 flagged, 1 of them by both" in line
