"""A seeded grocery loyalty log where some households switch to a competitor gradually.

Households shop weekly, fortnightly or occasionally (gamma-spread around their type's rate), each
basket a handful of lines from the household's usual departments (4-9 of 12), line prices
log-normal. Some households leave abruptly (a small steady hazard). Others (``switch_share`` a
year) start switching on a random day and leave ``switch_days`` later (60-150): over that spell
their baskets shrink to a third of the lines, they buy from fewer departments (down to 1-2) and
cheaper lines, while their visit rate holds until the last quarter of the spell and only then
falls (to 40% at the end). So a switcher keeps coming for weeks with a shrinking basket before
its gaps grow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEPARTMENTS = ("produce", "dairy", "bakery", "meat", "frozen", "drinks", "snacks", "household",
               "baby", "pet", "deli", "personal_care")


def grocery_log(n_households: int = 3000, start: str = "2024-01-01", days: int = 730,
                seed: int = 0, switch_share: float = 0.15, leave_share: float = 0.06
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(events, truth)``: purchase events in the events contract (one row per basket line,
    lines of a basket share an ``order_id``) and per household its ``switch_start`` and
    ``leave`` (timestamps; NaT when it never switches / leaves)."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start)
    n = n_households
    kind = rng.choice(3, n, p=[0.4, 0.3, 0.3])
    gap = np.array([7.0, 14.0, 30.0])[kind] * rng.gamma(8.0, 1 / 8.0, n)
    first = rng.uniform(0, 120, n)
    breadth = rng.integers(4, 10, n)
    lines_mean = rng.uniform(4.0, 14.0, n)
    price = rng.lognormal(np.log(3.5), 0.3, n)
    year = days / 365.0
    switch = rng.random(n) < 1 - (1 - switch_share) ** year
    spell = rng.uniform(60, 150, n)
    s_start = np.where(switch, rng.uniform(first + 60, days, n), np.inf)
    abrupt = np.where(~switch & (rng.random(n) < 1 - (1 - leave_share) ** year),
                      rng.uniform(first + 30, days, n), np.inf)
    leave = np.minimum(s_start + spell, abrupt)
    rows: list[tuple[int, float, int, int, float]] = []
    basket = 0
    for h in range(n):
        prefs = rng.permutation(len(DEPARTMENTS))[: breadth[h]]
        weights = rng.dirichlet(np.full(breadth[h], 2.0))
        order = np.argsort(-weights)
        prefs, weights = prefs[order], weights[order]
        day = first[h]
        while day < min(leave[h], days):
            p = (day - s_start[h]) / spell[h] if day >= s_start[h] else 0.0
            k = max(1, rng.poisson(lines_mean[h] * (1 - 0.67 * p)))
            m = max(1, int(np.round(breadth[h] - p * (breadth[h] - 1.5))))
            w = weights[:m] / weights[:m].sum()
            cats = prefs[rng.choice(m, k, p=w)]
            vals = rng.lognormal(np.log(price[h] * (1 - 0.3 * p)), 0.5, k)
            basket += 1
            t = day + rng.uniform(0.35, 0.85)  # daytime
            rows.extend((h, t, basket, int(c), float(v)) for c, v in zip(cats, vals, strict=True))
            slow = 1.0 if p < 0.75 else 1.0 / (1 - 2.4 * (p - 0.75))
            day += rng.exponential(gap[h] * slow)
    arr = pd.DataFrame(rows, columns=["user_id", "day", "basket", "cat", "revenue"])
    events = pd.DataFrame({
        "user_id": arr["user_id"].astype(np.int64),
        "ts": t0 + pd.to_timedelta(arr["day"] * 86400.0, unit="s").dt.floor("s"),
        "event_type": "purchase",
        "channel": "store",
        "category": np.array(DEPARTMENTS, dtype=object)[arr["cat"].to_numpy()],
        "revenue": arr["revenue"].round(2),
        "order_id": "b" + arr["basket"].astype(str),
    }).sort_values(["ts", "order_id"], kind="stable").reset_index(drop=True)

    def stamp(d: np.ndarray) -> pd.Series:
        return pd.Series(t0 + pd.to_timedelta(np.where(np.isfinite(d), d, np.nan), unit="D"))

    truth = pd.DataFrame({"user_id": np.arange(n), "switch_start": stamp(s_start),
                          "leave": stamp(np.where(leave < days, leave, np.inf))})
    return events, truth
