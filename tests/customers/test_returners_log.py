"""The generated fashion log with heavy returners (``returners_log.py``, the one
docs/customers-reference.md measures the value model on) through the documented import: its
refunds become refund events and the long-run refund share tells the heavy returners apart."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import features as ft

_spec = importlib.util.spec_from_file_location(
    "returners_log", Path(__file__).with_name("returners_log.py"))
assert _spec is not None
assert _spec.loader is not None
returners_log = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(returners_log)


def test_the_returners_log_imports_and_its_heavy_returners_show_in_the_refund_share() -> None:
    lines, heavy = returners_log.order_lines(n_customers=400, days=540, seed=1)
    events = ft.orders_to_events(lines, customer="Customer", time="InvoiceDate",
                                 order="Invoice", quantity="Quantity", price="Price",
                                 source="fashion.csv")
    assert set(events["event_type"]) == {"purchase", "refund"}
    feats = ft.user_features(events, "2024-06-01")
    share = feats["refund_share_total"]
    ids = share.index.astype(int)
    is_heavy = heavy.reindex(ids).to_numpy()
    assert share[is_heavy].mean() > share[~is_heavy].mean() + 0.15
