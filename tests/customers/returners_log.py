"""A seeded online-fashion order-line export with a known share of heavy returners.

Customers arrive over the period, buy at their own rate (gamma-spread) until they leave (a
chance after each order, BG/NBD-like), put 1-4 items in an order and send back each item with
their own return probability: heavy returners (``heavy_share`` of customers) 40-70%, the others
0-10%. Returned lines of an order come back together 1-6 weeks after it, as one return invoice
(``R`` + the order's invoice) with negative quantities. Purchase habits do not depend on the
return habit, so only the refunds tell a heavy returner apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["Customer", "Invoice", "InvoiceDate", "Quantity", "Price"]


def order_lines(n_customers: int = 3000, start: str = "2023-01-01", days: int = 1095,
                seed: int = 0, heavy_share: float = 0.2) -> tuple[pd.DataFrame, pd.Series]:
    """``(lines, heavy)``: the export (``COLUMNS``, one row per order line, returns with a
    negative quantity) and each customer's true returner group (True = heavy, by customer id).
    """
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start)
    heavy = rng.random(n_customers) < heavy_share
    ret_p = np.where(heavy, rng.uniform(0.4, 0.7, n_customers), rng.uniform(0.0, 0.1, n_customers))
    first = rng.uniform(0, days - 30, n_customers)  # day of the first order
    rate = rng.gamma(1.2, 1 / 1.2, n_customers) / 45.0  # orders per day, mean one in 45 days
    leave = rng.beta(1.0, 8.0, n_customers)  # chance to leave after each order
    price_scale = rng.lognormal(0.0, 0.35, n_customers)
    rows: list[tuple[int, str, pd.Timestamp, int, float]] = []
    inv = 0
    for c in range(n_customers):
        day = first[c]
        while day < days:
            inv += 1
            ts = t0 + pd.Timedelta(minutes=int(day * 1440))
            k = 1 + min(rng.poisson(1.0), 3)
            prices = np.round(rng.lognormal(np.log(35 * price_scale[c]), 0.45, k), 2)
            rows.extend((c, f"{inv}", ts, 1, float(p)) for p in prices)
            back = rng.random(k) < ret_p[c]
            if back.any():
                rts = ts + pd.Timedelta(minutes=int(rng.uniform(7, 42) * 1440))
                rows.extend((c, f"R{inv}", rts, -1, float(p)) for p in prices[back])
            if rng.random() < leave[c]:
                break
            day += rng.exponential(1 / rate[c])
    lines = pd.DataFrame(rows, columns=COLUMNS)
    lines = lines[lines["InvoiceDate"] < t0 + pd.Timedelta(days=days)]
    lines = lines.sort_values(["InvoiceDate", "Invoice"], kind="stable").reset_index(drop=True)
    return lines, pd.Series(heavy, index=pd.RangeIndex(n_customers, name="Customer"),
                            name="heavy")
