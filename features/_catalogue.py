"""The user-feature catalogue: every column ``user_features`` returns, with one line of meaning.

Columns whose names depend on the data's vocabulary (``cat_share_<category>``,
``purchase_cat_share_<category>``, ``ch_share_<channel>``) are listed once with ``<...>``. Only
the ``MAX_CATEGORIES`` (``MAX_CHANNELS``) most frequent values get a column; the rest are pooled
into one ``..._other`` column, listed by name.
``docs/features.md`` is generated from this table (``markdown()``); ``brain features catalogue``
prints it.
"""

from __future__ import annotations

WINDOWS = (7, 30, 90, 180, 365)
MAX_CATEGORIES = 20
"""Default number of categories with their own share columns (``Vocabulary.from_events``)."""
MAX_CHANNELS = 20
"""Default number of channels with their own share columns."""

_BASE: dict[str, str] = {
    "tenure_days": "days from the user's first event to the cutoff",
    "days_since_last_event": "days from the last event of any type to the cutoff",
    "days_since_last_visit": "days from the last visit to the cutoff (empty if never visited)",
    "days_since_last_cart": "days from the last add-to-cart to the cutoff (empty if never)",
    "days_since_last_purchase": "recency (R): days from the last purchase to the cutoff "
                                "(empty if never bought)",
    "days_since_first_purchase": "days from the first purchase to the cutoff (empty if never)",
    "events_total": "all events before the cutoff",
    "visits_total": "visits (visit and page_view events) before the cutoff",
    "carts_total": "add-to-cart events before the cutoff",
    "orders_total": "frequency (F): distinct orders before the cutoff",
    "revenue_total": "monetary (M): purchase revenue minus refunds before the cutoff",
}
for _w in WINDOWS:
    _BASE[f"visits_{_w}d"] = f"visits in the {_w} days before the cutoff"
    _BASE[f"carts_{_w}d"] = f"add-to-cart events in the {_w} days before the cutoff"
    _BASE[f"orders_{_w}d"] = f"orders in the {_w} days before the cutoff"
    _BASE[f"revenue_{_w}d"] = f"purchase revenue in the {_w} days before the cutoff"
_BASE.update({
    "visits_prev_30d": "visits in days 30-60 before the cutoff (the 30 days before the last 30)",
    "visits_prev_90d": "visits in days 90-180 before the cutoff",
    "orders_prev_30d": "orders in days 30-60 before the cutoff (the 30 days before the last 30)",
    "orders_prev_90d": "orders in days 90-180 before the cutoff",
    "revenue_prev_90d": "revenue in days 90-180 before the cutoff",
    "active_days_7d": "distinct days with any event in the last 7 days",
    "active_days_30d": "distinct days with any event in the last 30 days",
    "active_days_90d": "distinct days with any event in the last 90 days",
    "active_weeks_12w": "distinct weeks (of the last 12) with at least one visit",
    "visit_trend_30d": "(visits last 30 days + 1) / (visits in the 30 days before + 1); "
                       "below 1 means slowing down",
    "visit_trend_7v30": "visits in the last 7 days x 30/7 over visits in the last 30 days "
                        "(empty without visits in 30 days)",
    "visit_drop_50": "1 when visits in the last 30 days fell by 50% or more against the 30 days "
                     "before (with at least 2 visits before): the early-warning rule",
    "visit_trend_90d": "(visits last 90 days + 1) / (visits in the 90 days before + 1)",
    "order_trend_90d": "(orders last 90 days + 1) / (orders in the 90 days before + 1)",
    "revenue_trend_90d": "(revenue last 90 days + 1) / (revenue in the 90 days before + 1)",
    "revenue_trend_30d": "revenue in the last 30 days / the monthly average of days 30-365 "
                         "before the cutoff (revenue there x 30 / its days: 335, or tenure - 30 "
                         "for a newer customer, at least 30); below 1 means spending less "
                         "(empty without revenue in days 30-365); this and the next two "
                         "only for events with a category column",
    "order_value_trend_30d": "mean order value in the last 30 days / mean order value in days "
                             "30-365 (empty without an order in either)",
    "basket_categories_trend_30d": "distinct categories per order in the last 30 days / per "
                                   "order in days 30-365 (empty without an order in either)",
    "aov": "average order value over all orders, before refunds (empty if never bought)",
    "aov_365d": "average order value over the last 365 days (empty without orders)",
    "max_order_value": "largest single order before the cutoff",
    "mean_days_between_orders": "(last order - first order) / (orders - 1); empty below 2 orders",
    "purchase_overdue_ratio": "days since last purchase / mean days between orders; above 1 "
                              "means later than usual",
    "mean_days_between_visits": "tenure / visits: typical gap between visits",
    "conversion_rate": "orders / visits over all history",
    "cart_conversion_rate": "orders / add-to-cart events over all history",
    "abandoned_carts_30d": "add-to-cart events not followed by an order count, last 30 days "
                           "(carts - orders, floored at 0)",
    "revenue_per_visit": "purchase revenue (before refunds) / visits over all history",
    "recent_revenue_share": "revenue in the last 90 days / revenue in the last 365 days",
    "refunds_total": "refunds before the cutoff (rows sharing an order_id count once)",
    "refund_amount_total": "money refunded before the cutoff (positive)",
    "refund_amount_90d": "money refunded in the last 90 days (positive; revenue_90d is before "
                         "refunds)",
    "refund_amount_365d": "money refunded in the last 365 days (positive)",
    "refund_rate": "refunds / orders",
    "refund_share_total": "long-run share of the purchased money refunded, over all history "
                          "before the cutoff, pulled towards the whole base's share for "
                          "customers with few orders (the own share weighs orders / (orders + "
                          "K), K estimated from the base: features/_refunds.py); the base's share "
                          "for a customer who never paid for an order",
    "weekend_visit_share": "share of visits on Saturday or Sunday",
    "night_visit_share": "share of visits between 00:00 and 06:00",
    "evening_visit_share": "share of visits between 18:00 and 24:00",
    "visits_per_active_day_90d": "visits in the last 90 days / active days in the last 90 days",
    "email_opens_30d": "email_open events in the last 30 days",
    "email_clicks_30d": "email_click events in the last 30 days",
    "promo_order_share": "share of orders placed on calendar event days (empty without "
                         "a calendar or orders)",
    "promo_visit_share": "share of visits on calendar event days (empty without a calendar)",
    "category_count": "distinct categories the user touched (all of them, not only those with "
                      "share columns)",
    "category_entropy": "entropy (nats) of the user's mix over all categories; 0 = one category",
    "top_category": "category with most events (categorical; 'other' when it is outside the "
                    "categories with share columns)",
    "top_purchase_category": "category with most purchase rows (categorical, 'other' as for "
                             "top_category; empty if never bought)",
    "channel_count": "distinct channels the user visited through (all of them)",
    "channel_entropy": "entropy (nats) of the user's visit mix over all channels",
    "top_channel": "channel with most visits (categorical; 'other' as for top_category)",
    "acquisition_channel": "channel that first brought the user (categorical)",
    "cat_share_<category>": f"share of the user's events in that category (one column each for "
                            f"the {MAX_CATEGORIES} categories with most events)",
    "cat_share_other": "share of the user's events in the categories pooled together (only when "
                       f"there are more than {MAX_CATEGORIES})",
    "purchase_cat_share_<category>": "share of the user's purchase rows in that category "
                                     "(each row counts: lines of one order too)",
    "purchase_cat_share_other": "share of the user's purchase rows in the pooled categories",
    "ch_share_<channel>": f"share of the user's visits through that channel (one column each "
                          f"for the {MAX_CHANNELS} channels with most events)",
    "ch_share_other": "share of the user's visits through the channels pooled together (only "
                      f"when there are more than {MAX_CHANNELS})",
})

CATALOGUE: dict[str, str] = dict(_BASE)
"""Feature name -> meaning. Keys with ``<...>`` stand for one column per vocabulary value."""


def describe(columns: list[str]) -> dict[str, str]:
    """Meaning of each concrete feature column (vocabulary columns resolved)."""
    out = {}
    for c in columns:
        if c in CATALOGUE:
            out[c] = CATALOGUE[c]
            continue
        for prefix, key in (("purchase_cat_share_", "purchase_cat_share_<category>"),
                            ("cat_share_", "cat_share_<category>"),
                            ("ch_share_", "ch_share_<channel>")):
            if c.startswith(prefix):
                out[c] = CATALOGUE[key].replace("that", f"'{c[len(prefix):]}'", 1)
                break
    return out


def markdown() -> str:
    """The catalogue as a markdown table."""
    lines = ["| feature | meaning |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in CATALOGUE.items()]
    return "\n".join(lines)
